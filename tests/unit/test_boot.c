/* SPDX-License-Identifier: MIT */
/* Boot artifact codecs: round trips, field offsets, error paths. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/hash.h"
#include "boot/bout.h"
#include "boot/cpio.h"
#include "boot/dtree.h"
#include "boot/fit.h"
#include "boot/gzip.h"
#include "boot/its.h"
#include "boot/legacy.h"
#include "boot/ubootenv.h"
#include "fs/tree.h"
#include "io/sink.h"
#include "t.h"

static void count_var(void *ud, const char *n, size_t nl, const char *v, size_t vl)
{
	(void)n;
	(void)v;
	*(size_t *)ud += nl + vl;
}

static void test_uenv(void)
{
	struct uenv e;
	struct diag d = { 0 };
	struct uenv_layout l = { .size = 64, .pad = 0xff };
	struct uenv_info info;
	uint8_t img[64];
	size_t total = 0;
	const char *text = "a=1\n#c\n\nb=x\\\ny\nc=3";

	uenv_init(&e);
	CHECK(!uenv_parse_text(&e, text, strlen(text), "t", &d));
	CHECK_EQ_U64(e.n, 3);
	CHECK_STR(e.v[1].value, "x\ny"); /* continuation keeps the newline */
	CHECK(!uenv_encode(&e, &l, img, &d));
	CHECK(!memcmp(img + 4, "a=1\0b=x\ny\0c=3\0\0\xff", 16));
	CHECK_EQ_U64(get_le32(img), crc32_ieee(0, img + 4, 60));
	CHECK(!uenv_decode(img, sizeof(img), &l, count_var, &total, &info));
	CHECK(info.crc_ok);
	CHECK_EQ_U64(total, 2 + 4 + 2); /* a1 bx\ny c3 */
	img[10] ^= 1;
	CHECK(!uenv_decode(img, sizeof(img), &l, NULL, NULL, &info));
	CHECK(!info.crc_ok);
	/* redundant + big-endian: flag byte at 4, CRC over 5.. */
	l.redundant = l.big_endian = true;
	CHECK(!uenv_encode(&e, &l, img, &d));
	CHECK_EQ_U64(img[4], UENV_FLAG_ACTIVE);
	CHECK_EQ_U64(get_be32(img), crc32_ieee(0, img + 5, 59));
	/* errors */
	l.size = 16;
	CHECK_EQ_U64(uenv_encode(&e, &l, img, &d), -ENOSPC);
	CHECK(strstr(d.msg, "too large by") != NULL);
	diag_clear(&d);
	CHECK_EQ_U64(uenv_parse_text(&e, "a=2\n", 4, "t", &d), -EEXIST);
	diag_clear(&d);
	CHECK_EQ_U64(uenv_parse_text(&e, "x\n", 2, "t", &d), -EINVAL);
	CHECK(strstr(d.msg, "t:1:") != NULL);
	diag_clear(&d);
	CHECK_EQ_U64(uenv_parse_text(&e, "\n\n=v\n", 5, "t", &d), -EINVAL);
	CHECK(strstr(d.msg, "t:3: empty variable name") != NULL);
	uenv_release(&e);
	CHECK_EQ_U64(uenv_decode(img, 5, &l, NULL, NULL, &info), -EINVAL);
}

static void test_legacy(void)
{
	struct legacy_hdr h = { .time = 0x11223344, .size = 0x55, .load = 0x66, .ep = 0x77,
				.dcrc = 0x88, .os = 5, .arch = 22, .type = 6, .comp = 0 }, o;
	uint8_t b[LEGACY_HDR_LEN + 0x55];
	bool hok, dok, tr;

	strcpy(h.name, "name");
	memset(b, 0, sizeof(b));
	legacy_encode_header(&h, b);
	CHECK_EQ_U64(get_be32(b + 0), LEGACY_MAGIC);
	CHECK_EQ_U64(get_be32(b + 8), 0x11223344);
	CHECK_EQ_U64(get_be32(b + 12), 0x55);
	CHECK_EQ_U64(get_be32(b + 16), 0x66);
	CHECK_EQ_U64(get_be32(b + 20), 0x77);
	CHECK_EQ_U64(get_be32(b + 24), 0x88);
	CHECK_EQ_U64(b[28], 5);
	CHECK_EQ_U64(b[29], 22);
	CHECK_EQ_U64(b[30], 6);
	CHECK_EQ_U64(b[31], 0);
	CHECK(!memcmp(b + 32, "name", 5));
	CHECK(!legacy_decode(b, sizeof(b), &o, &hok, &dok, &tr));
	CHECK(hok && !tr && !dok); /* dcrc 0x88 is not the data's */
	CHECK_STR(o.name, "name");
	CHECK(!legacy_decode(b, LEGACY_HDR_LEN + 3, &o, &hok, &dok, &tr) && tr);
	CHECK_EQ_U64(legacy_arch_code("arm64"), 22);
	CHECK_EQ_U64(legacy_arch_code("nope"), (uint64_t)-1);
}

static int list_cb(void *ud, const struct cpio_entry *e)
{
	char *out = ud;

	strncat(out, e->name, e->namesize - 1);
	strcat(out, e->nlink > 1 && (e->mode & 0170000) == 0100000 && e->filesize ? "*" : "");
	strcat(out, ",");
	return 0;
}

static void test_cpio(void)
{
	char dir[] = "/tmp/kiln-test-cpio-XXXXXX", path[256], list[512] = "";
	struct tree *t;
	struct tree_attr a = { .mode = 0100644, .mtime = 5 };
	struct sink *m, *f;
	struct bout o;
	struct diag d = { 0 };
	uint64_t len;
	const uint8_t *data;
	size_t off;
	FILE *fp;
	int r;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/data", dir);
	fp = fopen(path, "w");
	fputs("hello", fp);
	fclose(fp);
	CHECK(!tree_new(&t, 100));
	a.size = 5;
	a.src_path = path;
	CHECK(!tree_add(t, "b/file", &a, TREE_CONFLICT_ERROR, 0, NULL, &d));
	CHECK(!tree_add_hardlink(t, "a", "b/file", TREE_CONFLICT_ERROR, 0, &d));
	struct tree_attr dev = { .mode = 020600, .mtime = 5, .rdev_major = 5, .rdev_minor = 1 };
	CHECK(!tree_add(t, "console", &dev, TREE_CONFLICT_ERROR, 0, NULL, &d));
	tree_finish(t);
	CHECK(!sink_mem_new(&m, 1 << 20));
	bout_sink(&o, m);
	CHECK(!cpio_write_tree(t, &o, false, &d));
	data = sink_mem_data(m, &len);
	CHECK_EQ_U64(len % 512, 0);
	CHECK(!memcmp(data, "070701", 6));
	CHECK(!cpio_decode(data, (size_t)len, list_cb, list, &off));
	/* sorted pre-order; the data goes with the last name of the link group */
	CHECK_STR(list, ".,a,b,b/file*,console,");
	/* the device node's header: mode, rdevmajor, rdevminor fields */
	const uint8_t *c = memmem(data, (size_t)len, "console", 8);
	CHECK(c != NULL);
	if (c) {
		const uint8_t *h = c - CPIO_HDR_LEN;
		CHECK(!memcmp(h + 6 + 8 * 1, "00002180", 8));  /* 020600 */
		CHECK(!memcmp(h + 6 + 8 * 9, "00000005", 8));
		CHECK(!memcmp(h + 6 + 8 * 10, "00000001", 8));
		CHECK(!memcmp(h + 6 + 8 * 6, "00000000", 8)); /* no data */
	}
	CHECK_EQ_U64(cpio_decode(data, 200, list_cb, list, &off), -EINVAL);
	/* every failing write is reported, never a crash */
	for (unsigned n = 1; n < 12; n++) {
		struct sink *m2;
		CHECK(!sink_mem_new(&m2, 1 << 20));
		CHECK(!sink_fault_new(&f, m2, n));
		bout_sink(&o, f);
		r = cpio_write_tree(t, &o, false, &d);
		CHECK(r == -EIO || r == 0);
		sink_release(f);
		sink_release(m2);
	}
	sink_release(m);
	tree_free(t);
	unlink(path);
	rmdir(dir);
}

static void test_gzip(void)
{
	uint8_t in[3000], *gz, *back;
	size_t gl, bl;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 % 13);
	CHECK(!gzip_buf(in, sizeof(in), 1, &gz, &gl));
	CHECK(gzip_magic(gz, gl));
	CHECK_EQ_U64(gz[3], 0); /* no name */
	CHECK_EQ_U64(get_le32(gz + 4), 0); /* mtime 0 */
	CHECK_EQ_U64(gz[9], 3); /* Unix */
	CHECK(!gunzip_buf(gz, gl, 1 << 20, &back, &bl));
	CHECK(bl == sizeof(in) && !memcmp(back, in, bl));
	free(back);
	CHECK_EQ_U64(gunzip_buf(gz, gl - 5, 1 << 20, &back, &bl), -EINVAL);
	CHECK_EQ_U64(gunzip_buf(gz, gl, 100, &back, &bl), -EFBIG);
	free(gz);
}

static void test_fit(void)
{
	const char *its = "/dts-v1/;\n/ { description = \"u\"; images { k { data = [01 02 03];"
			  " type = \"flat_dt\"; hash-1 { algo = \"crc32\"; }; hash-2 { algo = \"sha1\"; };"
			  " }; }; configurations { default = \"c\"; c { fdt = \"k\"; }; }; };";
	struct dt_node *root = NULL;
	struct diag d = { 0 };
	struct fit_layout l;
	struct fit_summary s;
	struct sink *m, *f;
	uint64_t len;
	uint8_t *copy;

	CHECK(!its_parse(its, strlen(its), "u.its", NULL, NULL, &root, &d));
	CHECK(!fit_check(root, "u.its", &d));
	CHECK(!fit_finalize(root, 1234));
	for (int ext = 0; ext < 2; ext++) {
		CHECK(!fit_plan(root, ext, &l, &d));
		CHECK(!sink_mem_new(&m, 1 << 20));
		CHECK(!fit_write(root, &l, m, &d));
		copy = malloc(l.total);
		memcpy(copy, sink_mem_data(m, &len), l.total);
		CHECK_EQ_U64(len, l.total);
		CHECK(!fit_inspect(copy, l.total, NULL, NULL, NULL, &s));
		CHECK_EQ_U64(s.nimages, 1);
		CHECK_EQ_U64(s.bad_hashes, 0);
		CHECK_EQ_U64(s.timestamp, 1234);
		CHECK_EQ_U64(s.version, 17);
		/* flip the last data byte: both hashes must mismatch */
		copy[ext ? l.total - 2 : (size_t)(memmem(copy, l.total, "\1\2\3", 3) - (void *)copy) + 2] ^= 0x40;
		CHECK(!fit_inspect(copy, l.total, NULL, NULL, NULL, &s));
		CHECK_EQ_U64(s.bad_hashes, 2);
		CHECK_EQ_U64(fit_inspect(copy, 30, NULL, NULL, NULL, &s), -EINVAL);
		free(copy);
		sink_release(m);
		for (unsigned n = 1; n < 4; n++) {
			CHECK(!sink_mem_new(&m, 1 << 20));
			CHECK(!sink_fault_new(&f, m, n));
			int r = fit_write(root, &l, f, &d);
			CHECK(r == -EIO || r == 0);
			sink_release(f);
			sink_release(m);
		}
	}
	dt_node_free(root);
	/* a configuration that names a missing image */
	its = "/dts-v1/;\n/ { description = \"u\"; images { k { data = [01]; type = \"flat_dt\"; }; };"
	      " configurations { default = \"c\"; c { fdt = \"nope\"; }; }; };";
	CHECK(!its_parse(its, strlen(its), "u.its", NULL, NULL, &root, &d));
	CHECK_EQ_U64(fit_check(root, "u.its", &d), -EINVAL);
	CHECK(strstr(d.msg, "fdt = \"nope\": no such image") != NULL);
	dt_node_free(root);
}

int main(void)
{
	T_RUN(test_uenv);
	T_RUN(test_legacy);
	T_RUN(test_cpio);
	T_RUN(test_gzip);
	T_RUN(test_fit);
	return T_DONE();
}
