/* SPDX-License-Identifier: MIT */
/*
 * hdimage planner + writer in memory: a hybrid GPT disk with a logical-free
 * layout and a raw blob is planned, written into a memory sink, decoded
 * with the codecs; then every write is made to fail in turn (fault sink):
 * each failure is a clean negative errno with a message, never a crash.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "io/sink.h"
#include "part/gpt.h"
#include "part/mbr.h"
#include "plan/build.h"
#include "plan/image.h"
#include "t.h"

static char dir[64];

static void put_file(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static const char cfg[] =
	"image d.img {\n"
	"  size = 8M\n"
	"  hdimage { partition-table-type = \"hybrid\" }\n"
	"  partition blob { in-partition-table = false offset = 40K image = \"blob\" }\n"
	"  partition boot { partition-type = 0xc partition-type-uuid = \"F\" bootable = true image = \"a\" }\n"
	"  partition root { partition-type-uuid = \"root-x86-64\" size = 2M }\n"
	"}\n";

static int plan(struct build *b, struct diag *d)
{
	struct build_paths cmd = { 0 }, env = { 0 };
	char cfgpath[128];
	int r;

	snprintf(cfgpath, sizeof(cfgpath), "%s/k.cfg", dir);
	cmd.inputpath = dir;
	cmd.outputpath = dir;
	cmd.rootpath = dir;
	cmd.tmppath = dir;
	build_init(b);
	r = build_load(b, cfgpath, &cmd, &env, d);
	if (!r)
		r = build_plan(b, d);
	return r;
}

static void test_layout_and_bytes(void)
{
	struct build b;
	struct diag d = { 0 };
	struct image *img;
	struct sink *m;
	uint64_t len;
	struct mbr_table t;
	struct gpt_header h;

	CHECK(plan(&b, &d) == 0);
	if (d.err)
		fprintf(stderr, "%s\n", d.msg);
	img = build_find_image(&b, "d.img");
	CHECK(img != NULL);
	if (!img)
		goto out;
	CHECK_EQ_U64(img->size, 8u << 20);
	CHECK_EQ_U64(img->nparts, 3);
	CHECK_EQ_U64(img->parts[1].offset, 1u << 20); /* kiln: 1 MiB aligned */
	CHECK_EQ_U64(img->parts[1].index, 1);
	CHECK_EQ_U64(img->parts[2].offset, 2u << 20);
	CHECK_EQ_U64(img->parts[0].index, 0);
	CHECK(img->parts[1].child && img->parts[1].child->placed &&
	      img->parts[1].child->placed_offset == (1u << 20));
	CHECK(sink_mem_new(&m, img->size) == 0);
	CHECK(img->handler->generate(&b, img, m, &d) == 0);
	const uint8_t *data = sink_mem_data(m, &len);
	CHECK(len == img->size - 512 + GPT_HEADER_SIZE); /* the backup header ends it */
	CHECK(mbr_decode(data, &t) == 0);
	CHECK(t.part[0].bootable && t.part[0].type == 0x0c && t.part[0].start == 2048);
	CHECK(t.part[1].type == 0xee && t.part[1].start == 1 && t.part[1].count == 33);
	CHECK(gpt_header_decode(data + 512, 512, &h) == 0);
	/* the blob [40K, 40K+5) lies before the first partition */
	CHECK_EQ_U64(h.first_usable, 81);
	CHECK_EQ_U64(h.last_usable, (8u << 20) / 512 - 34);
	CHECK_EQ_U64(h.entries_crc, gpt_array_crc(data + 1024, GPT_ARRAY_SIZE));
	CHECK(gpt_header_decode(data + img->size - 512, GPT_HEADER_SIZE, &h) == 0);
	CHECK_EQ_U64(h.current_lba, img->size / 512 - 1);
	CHECK_EQ_U64(h.backup_lba, 1);
	CHECK_EQ_U64(h.entries_lba, img->size / 512 - 33);
	CHECK(!memcmp(data + 40 * 1024, "BLOB!", 5));
	CHECK(!memcmp(data + (1u << 20), "boot", 4));
	sink_release(m);
out:
	build_release(&b);
}

static void test_faults(void)
{
	unsigned n, fails = 0;

	for (n = 1; n < 64; n++) {
		struct build b;
		struct diag d = { 0 };
		struct sink *m, *f;
		struct image *img;
		int r;

		CHECK(plan(&b, &d) == 0);
		img = build_find_image(&b, "d.img");
		if (!img) {
			build_release(&b);
			break;
		}
		sink_mem_new(&m, img->size);
		sink_fault_new(&f, m, n);
		r = img->handler->generate(&b, img, f, &d);
		sink_release(f);
		sink_release(m);
		build_release(&b);
		if (!r)
			break;
		fails++;
		CHECK(r < 0);
		CHECK(d.msg[0] != 0);
	}
	CHECK(n < 64);	   /* eventually all writes succeed */
	CHECK(fails >= 5); /* blob, partition, array, header, backups, MBR */
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kiln-test-hd-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	put_file("k.cfg", cfg);
	put_file("blob", "BLOB!");
	put_file("a", "boot sector");
	T_RUN(test_layout_and_bytes);
	T_RUN(test_faults);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		return 1;
	return T_DONE();
}
