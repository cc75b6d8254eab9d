/* SPDX-License-Identifier: MIT */
/* UBI codec and writer: geometry as ubinize derives it, every header
 * field at its offset, UBI's CRC (no final inversion), the volume table,
 * the image's length and 0xFF fill, and a failing sink call or a short
 * volume file turned into a clean error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "fs/ubi/ubi.h"
#include "io/sink.h"
#include "t.h"
#include "t-fault.h"

static void test_crc(void)
{
	/* The CRC-32 check value 0xcbf43926 without its final inversion. */
	CHECK_EQ_U64(ubi_crc32("123456789", 9), 0x340bc6d9);
}

static void test_geometry(void)
{
	struct ubi_geom g;
	struct diag d = { 0 };

	CHECK(!ubi_geom_init(&g, 16384, 512, 512, 512, &d));
	CHECK_EQ_U64(g.vid_hdr_offs, 512);
	CHECK_EQ_U64(g.data_offs, 1024);
	CHECK_EQ_U64(g.leb_size, 15360);
	CHECK_EQ_U64(g.max_volumes, 89); /* 15360 / 172 */
	CHECK(!ubi_geom_init(&g, 131072, 2048, 0, 0, &d));
	CHECK_EQ_U64(g.subpage, 2048);
	CHECK_EQ_U64(g.vid_hdr_offs, 2048);
	CHECK_EQ_U64(g.data_offs, 4096);
	CHECK_EQ_U64(g.max_volumes, 128);
	CHECK(!ubi_geom_init(&g, 131072, 2048, 512, 0, &d));
	CHECK_EQ_U64(g.vid_hdr_offs, 512);
	CHECK_EQ_U64(g.data_offs, 2048);
	CHECK(!ubi_geom_init(&g, 65536, 1, 1, 64, &d));
	CHECK_EQ_U64(g.data_offs, 128);
	CHECK(ubi_geom_init(&g, 16384, 500, 0, 0, &d) == -EINVAL);
	CHECK(ubi_geom_init(&g, 16384, 512, 1024, 0, &d) == -EINVAL);
	CHECK(ubi_geom_init(&g, 16000, 512, 0, 0, &d) == -EINVAL);
	CHECK(ubi_geom_init(&g, 16384, 512, 0, 100, &d) == -EINVAL);
	CHECK(ubi_geom_init(&g, 16384, 512, 0, 16384, &d) == -EINVAL);
	CHECK(ubi_geom_init(&g, 1024, 512, 0, 0, &d) == -EINVAL); /* no LEB left */
	CHECK(strstr(d.msg, "500") != NULL);
}

static void test_headers(void)
{
	struct ubi_geom g;
	uint8_t h[64], data[5] = "abcde";

	CHECK(!ubi_geom_init(&g, 16384, 512, 512, 512, NULL));
	g.image_seq = 0x11223344;
	g.ec = 0x0102030405060708ull;
	ubi_ec_hdr_encode(&g, h);
	CHECK(!memcmp(h, "UBI#", 4));
	CHECK_EQ_U64(h[4], 1);
	CHECK_EQ_U64(get_be64(h + 8), 0x0102030405060708ull);
	CHECK_EQ_U64(get_be32(h + 16), 512);
	CHECK_EQ_U64(get_be32(h + 20), 1024);
	CHECK_EQ_U64(get_be32(h + 24), 0x11223344);
	CHECK_EQ_U64(get_be32(h + 60), ubi_crc32(h, 60));

	ubi_vid_hdr_encode(&g, 7, UBI_VOL_STATIC, 0, 3, data, 5, 9, h);
	CHECK(!memcmp(h, "UBI!", 4));
	CHECK_EQ_U64(h[5], UBI_VOL_STATIC);
	CHECK_EQ_U64(get_be32(h + 8), 7);
	CHECK_EQ_U64(get_be32(h + 12), 3);
	CHECK_EQ_U64(get_be32(h + 20), 5);
	CHECK_EQ_U64(get_be32(h + 24), 9);
	CHECK_EQ_U64(get_be32(h + 32), ubi_crc32(data, 5));
	CHECK_EQ_U64(get_be64(h + 40), 0); /* sqnum: the kernel's on attach */
	CHECK_EQ_U64(get_be32(h + 60), ubi_crc32(h, 60));
	/* A dynamic volume's VID header has no data size or CRC. */
	ubi_vid_hdr_encode(&g, UBI_LAYOUT_VOLUME_ID, UBI_VOL_DYNAMIC, 5, 1, NULL, 0, 0, h);
	CHECK_EQ_U64(h[7], 5);
	CHECK_EQ_U64(get_be32(h + 8), 0x7fffefff);
	CHECK_EQ_U64(get_be32(h + 20) | get_be32(h + 24) | get_be32(h + 32), 0);
}

static void test_vtbl(void)
{
	struct ubi_geom g;
	struct ubi_volume v = { .name = "rootfs", .id = 2, .type = UBI_VOL_DYNAMIC,
				.flags = UBI_VOL_FLAG_AUTORESIZE, .bytes = 15361 };
	uint8_t *t, zero[168] = { 0 };

	CHECK(!ubi_geom_init(&g, 16384, 512, 512, 512, NULL));
	t = calloc(g.max_volumes, UBI_VTBL_RECORD_SIZE);
	CHECK(t != NULL);
	if (!t)
		return;
	ubi_vtbl_encode(&g, &v, 1, t);
	CHECK_EQ_U64(get_be32(t + 168), ubi_crc32(zero, 168)); /* empty records carry a CRC */
	t += 2 * UBI_VTBL_RECORD_SIZE;
	CHECK_EQ_U64(get_be32(t), 2);          /* reserved PEBs: 15361 bytes in 15360-byte LEBs */
	CHECK_EQ_U64(get_be32(t + 4), 1);      /* alignment */
	CHECK_EQ_U64(t[12], UBI_VOL_DYNAMIC);
	CHECK_EQ_U64(get_be16(t + 14), 6);
	CHECK(!memcmp(t + 16, "rootfs", 7));
	CHECK_EQ_U64(t[144], UBI_VOL_FLAG_AUTORESIZE);
	CHECK_EQ_U64(get_be32(t + 168), ubi_crc32(t, 168));
	free(t - 2 * UBI_VTBL_RECORD_SIZE);
}

static void test_checks(void)
{
	struct ubi_geom g;
	struct ubi_volume v[2] = {
		{ .name = "a", .id = 0, .type = UBI_VOL_DYNAMIC, .bytes = 10 },
		{ .name = "a", .id = 1, .type = UBI_VOL_DYNAMIC, .bytes = 10 },
	};
	struct diag d = { 0 };
	unsigned bad = 9;

	CHECK(!ubi_geom_init(&g, 16384, 512, 512, 512, NULL));
	CHECK(ubi_volumes_check(&g, v, 2, &bad, &d) == -EINVAL);
	CHECK_EQ_U64(bad, 1);
	CHECK(strstr(d.msg, "two volumes are named 'a'") != NULL);
	v[1].name = "b";
	v[1].id = 0;
	CHECK(ubi_volumes_check(&g, v, 2, &bad, NULL) == -EINVAL);
	v[1].id = 89;
	CHECK(ubi_volumes_check(&g, v, 2, &bad, NULL) == -EINVAL);
	v[1].id = 88;
	v[0].flags = v[1].flags = UBI_VOL_FLAG_AUTORESIZE;
	CHECK(ubi_volumes_check(&g, v, 2, &bad, NULL) == -EINVAL);
	v[1].flags = 0;
	CHECK(!ubi_volumes_check(&g, v, 2, &bad, NULL));
}

static struct ubi_geom wgeom;

static int write_ubi(struct sink *s, void *ud, struct diag *d)
{
	return ubi_write(&wgeom, ud, 2, s, d);
}

static void test_write(void)
{
	char path[] = "/tmp/kiln-ubi-XXXXXX";
	int fd = mkstemp(path);
	uint8_t buf[20000];
	struct ubi_geom g;
	struct ubi_volume v[2] = {
		{ .name = "data", .id = 0, .type = UBI_VOL_STATIC, .bytes = 20000,
		  .path = path, .data_len = 20000 },
		{ .name = "spare", .id = 1, .type = UBI_VOL_DYNAMIC, .bytes = 100000 },
	};
	struct sink *m = NULL;
	struct diag d = { 0 };
	const uint8_t *b;
	uint64_t len;
	unsigned failures;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13);
	CHECK(fd >= 0 && write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
	close(fd);
	CHECK(!ubi_geom_init(&g, 16384, 512, 512, 512, NULL));
	wgeom = g;
	CHECK_EQ_U64(ubi_image_bytes(&g, v, 2), 4 * 16384); /* layout + 2 data PEBs */
	CHECK(!sink_mem_new(&m, 1 << 20));
	CHECK(!ubi_write(&g, v, 2, m, &d));
	b = sink_mem_data(m, &len);
	CHECK_EQ_U64(len, 4 * 16384);
	if (len == 4 * 16384) {
		CHECK_EQ_U64(b[64], 0xff);                         /* between the headers */
		CHECK_EQ_U64(get_be32(b + 16384 + 512 + 12), 1);   /* layout LEB 1 */
		CHECK(!memcmp(b + 2 * 16384 + 1024, buf, 15360));  /* LEB 0 of "data" */
		CHECK(!memcmp(b + 3 * 16384 + 1024, buf + 15360, 4640));
		CHECK_EQ_U64(b[3 * 16384 + 1024 + 4640], 0xff);    /* erased tail */
		CHECK_EQ_U64(get_be32(b + 3 * 16384 + 512 + 20), 4640);
		CHECK_EQ_U64(get_be32(b + 3 * 16384 + 512 + 24), 2);
	}
	sink_release(m);
	failures = t_fail_each_call(write_ubi, v, 1 << 20);
	CHECK_EQ_U64(failures, 4);
	/* The file shrank since planning: named, not padded silently. */
	CHECK(!truncate(path, 100));
	CHECK(!sink_mem_new(&m, 1 << 20));
	CHECK(ubi_write(&g, v, 2, m, &d) == -EIO);
	CHECK(strstr(d.msg, path) != NULL);
	sink_release(m);
	unlink(path);
}

int main(void)
{
	T_RUN(test_crc);
	T_RUN(test_geometry);
	T_RUN(test_headers);
	T_RUN(test_vtbl);
	T_RUN(test_checks);
	T_RUN(test_write);
	return T_DONE();
}
