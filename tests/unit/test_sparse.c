/* SPDX-License-Identifier: MIT */
/* Android sparse codec: every header field's offset, writer -> decoder
 * round trips (holes, fills, partial block, RAW chunks split at the
 * limit, fill-holes, CRC), each rejection of the decoder, and every
 * failing sink call. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "flash/sparse.h"
#include "io/sink.h"
#include "t.h"

#define BS 4096u

static void test_layout(void)
{
	struct sparse_header h = { SPARSE_MAGIC, 1, 2, 28, 12, 0x11223344, 0x55667788,
				   0x99aabbcc, 0xddeeff00 }, h2;
	struct sparse_chunk c = { SPARSE_CHUNK_FILL, 0x01020304, 0x05060708 }, c2;
	uint8_t b[SPARSE_HEADER_SIZE], cb[SPARSE_CHUNK_HEADER_SIZE];

	sparse_header_encode(&h, b);
	CHECK_EQ_U64(get_le32(b + 0), SPARSE_MAGIC);
	CHECK_EQ_U64(get_le16(b + 4), 1);
	CHECK_EQ_U64(get_le16(b + 6), 2);
	CHECK_EQ_U64(get_le16(b + 8), 28);
	CHECK_EQ_U64(get_le16(b + 10), 12);
	CHECK_EQ_U64(get_le32(b + 12), 0x11223344);
	CHECK_EQ_U64(get_le32(b + 16), 0x55667788);
	CHECK_EQ_U64(get_le32(b + 20), 0x99aabbcc);
	CHECK_EQ_U64(get_le32(b + 24), 0xddeeff00);
	sparse_header_decode(b, &h2);
	CHECK(!memcmp(&h, &h2, sizeof(h)));
	memset(cb, 0xee, sizeof(cb));
	sparse_chunk_encode(&c, cb);
	CHECK_EQ_U64(get_le16(cb + 0), SPARSE_CHUNK_FILL);
	CHECK_EQ_U64(get_le16(cb + 2), 0); /* reserved */
	CHECK_EQ_U64(get_le32(cb + 4), 0x01020304);
	CHECK_EQ_U64(get_le32(cb + 8), 0x05060708);
	sparse_chunk_decode(cb, &c2);
	CHECK(c2.type == c.type && c2.blocks == c.blocks && c2.total_size == c.total_size);
}

/* A file of @size bytes: data at block 0-9, a hole, a FILL run of 3
 * blocks at 64, zero data at 70, a partial last block. */
static int make_input(char *path, uint64_t *ret_size, uint8_t **ret_bytes)
{
	uint64_t size = 100 * BS + 123;
	uint8_t *img = calloc(1, size);
	int fd = mkstemp(path);

	if (fd < 0 || !img)
		return -1;
	for (uint64_t i = 0; i < 10 * BS; i++)
		img[i] = (uint8_t)(i * 7 + (i >> 12));
	for (uint64_t i = 64 * BS; i < 67 * BS; i += 4)
		memcpy(img + i, "\x01\x02\x03\x04", 4);
	for (uint64_t i = 99 * BS; i < size; i++)
		img[i] = (uint8_t)i | 1;
	if (ftruncate(fd, (off_t)size) || pwrite(fd, img, 10 * BS, 0) != 10 * BS ||
	    pwrite(fd, img + 64 * BS, 3 * BS, 64 * BS) != 3 * BS ||
	    pwrite(fd, img + 70 * BS, BS, 70 * BS) != BS ||
	    pwrite(fd, img + 99 * BS, size - 99 * BS, 99 * BS) != (ssize_t)(size - 99 * BS))
		return -1;
	*ret_size = size;
	*ret_bytes = img;
	return fd;
}

struct counts {
	unsigned raw, fill, dont, crc;
	uint32_t max_raw_blocks;
};

static void count_chunks(const uint8_t *s, uint64_t len, struct counts *c)
{
	uint64_t off = SPARSE_HEADER_SIZE;
	struct sparse_header h;

	memset(c, 0, sizeof(*c));
	sparse_header_decode(s, &h);
	for (uint32_t i = 0; i < h.total_chunks && off + 12 <= len; i++) {
		struct sparse_chunk k;
		sparse_chunk_decode(s + off, &k);
		if (k.type == SPARSE_CHUNK_RAW) {
			c->raw++;
			if (k.blocks > c->max_raw_blocks)
				c->max_raw_blocks = k.blocks;
		}
		c->fill += k.type == SPARSE_CHUNK_FILL;
		c->dont += k.type == SPARSE_CHUNK_DONT_CARE;
		c->crc += k.type == SPARSE_CHUNK_CRC32;
		off += k.total_size;
	}
}

static void roundtrip(int fd, uint64_t size, const uint8_t *img, struct sparse_opts *o,
		      struct counts *ret)
{
	struct sink *s = NULL, *x = NULL;
	struct sparse_stats st;
	struct sparse_header h;
	struct diag d = { 0 };
	const uint8_t *sb, *xb;
	uint64_t slen, xlen, padded = (size + o->block_size - 1) / o->block_size * o->block_size;

	CHECK(!sink_mem_new(&s, 1 << 24));
	CHECK(!sink_mem_new(&x, 1 << 24));
	CHECK(!sparse_write(fd, size, "input", o, s, &st, &d));
	sb = sink_mem_data(s, &slen);
	CHECK_EQ_U64(slen, st.bytes);
	CHECK(!sparse_decode(sb, slen, x, 1 << 24, &h, &d));
	if (d.err)
		fprintf(stderr, "%s\n", d.msg);
	xb = sink_mem_data(x, &xlen);
	CHECK_EQ_U64(h.total_blocks * (uint64_t)o->block_size, padded);
	CHECK(xlen <= padded);
	CHECK(!memcmp(xb, img, xlen < size ? xlen : size));
	for (uint64_t i = xlen; i < size; i++)
		if (img[i]) {
			CHECK(!"expanded image shorter than the data");
			break;
		}
	count_chunks(sb, slen, ret);
	CHECK_EQ_U64(st.chunks, h.total_chunks);
	sink_release(s);
	sink_release(x);
}

static void test_roundtrip(void)
{
	char path[] = "/tmp/kiln-sparse-XXXXXX";
	struct sparse_opts o = { .block_size = BS };
	struct counts c;
	uint64_t size;
	uint8_t *img;
	int fd = make_input(path, &size, &img);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	unlink(path);
	roundtrip(fd, size, img, &o, &c);
	CHECK(c.dont >= 2 && c.fill >= 2 && c.raw >= 2 && !c.crc);
	/* genimage's limit, made small: RAW chunks are split at it. */
	o.max_raw_bytes = 3 * BS;
	roundtrip(fd, size, img, &o, &c);
	CHECK_EQ_U64(c.max_raw_blocks, 3);
	CHECK(c.raw >= 4);
	o.max_raw_bytes = 0;
	o.fill_holes = o.add_crc = true;
	roundtrip(fd, size, img, &o, &c);
	CHECK(!c.dont && c.crc == 1);
	o.block_size = 512;
	roundtrip(fd, size, img, &o, &c);
	o.block_size = 3000;
	{
		struct diag d = { 0 };
		struct sparse_stats st;
		struct sink *s = NULL;
		CHECK(!sink_mem_new(&s, 1 << 20));
		CHECK(sparse_write(fd, size, "input", &o, s, &st, &d) == -EINVAL);
		sink_release(s);
	}
	close(fd);
	free(img);
}

static int decode(uint8_t *b, size_t len, bool with_out)
{
	struct sink *x = NULL;
	struct diag d = { 0 };
	int r;

	CHECK(!sink_mem_new(&x, 1 << 24));
	r = sparse_decode(b, len, with_out ? x : NULL, 1 << 24, NULL, &d);
	CHECK(r == 0 || d.msg[0]);
	sink_release(x);
	return r;
}

static void test_rejects(void)
{
	char path[] = "/tmp/kiln-sparse-XXXXXX";
	struct sparse_opts o = { .block_size = BS, .add_crc = true };
	struct sparse_stats st;
	struct diag d = { 0 };
	struct sink *s = NULL;
	const uint8_t *sb;
	uint8_t *b;
	uint64_t size, slen;
	uint8_t *img;
	int fd = make_input(path, &size, &img);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	unlink(path);
	CHECK(!sink_mem_new(&s, 1 << 24));
	CHECK(!sparse_write(fd, size, "input", &o, s, &st, &d));
	sb = sink_mem_data(s, &slen);
	b = malloc(slen + 1);
	memcpy(b, sb, slen);
	CHECK(decode(b, slen, true) == 0);
	CHECK(decode(b, 10, true) == -EINVAL);                 /* short header */
	CHECK(decode(b, slen - 1, true) == -EINVAL);           /* truncated chunk */
	b[slen] = 0;
	CHECK(decode(b, slen + 1, true) == -EINVAL);           /* trailing byte */
	b[40] ^= 1;                                            /* data of the first RAW chunk */
	CHECK(decode(b, slen, true) == -EBADMSG);
	CHECK(decode(b, slen, false) == 0);                    /* CRC checked only when expanding */
	b[40] ^= 1;
	b[0] ^= 1;
	CHECK(decode(b, slen, true) == -EINVAL);               /* magic */
	b[0] ^= 1;
	put_le16(b + 4, 2);
	CHECK(decode(b, slen, true) == -EINVAL);               /* version */
	put_le16(b + 4, 1);
	put_le32(b + 12, 4097);
	CHECK(decode(b, slen, true) == -EINVAL);               /* block size */
	put_le32(b + 12, BS);
	put_le32(b + 16, get_le32(b + 16) + 1);
	CHECK(decode(b, slen, true) == -EINVAL);               /* blocks do not add up */
	put_le32(b + 16, get_le32(b + 16) - 1);
	put_le16(b + 28, 0xCAC9);
	CHECK(decode(b, slen, true) == -EINVAL);               /* chunk type */
	put_le16(b + 28, SPARSE_CHUNK_RAW);
	put_le32(b + 20, 0xffffffff);
	CHECK(decode(b, slen, true) == -EINVAL);               /* chunk count */
	free(b);
	sink_release(s);
	close(fd);
	free(img);
}

/* Every sink call failing in turn: a clean error with a message. */
static void test_faults(void)
{
	char path[] = "/tmp/kiln-sparse-XXXXXX";
	struct sparse_opts o = { .block_size = BS, .add_crc = true };
	uint64_t size;
	uint8_t *img;
	unsigned n, failures = 0;
	int fd = make_input(path, &size, &img);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	unlink(path);
	for (n = 1; n < 10000; n++) {
		struct sink *m = NULL, *f = NULL;
		struct sparse_stats st;
		struct diag d = { 0 };
		int r;

		CHECK(!sink_mem_new(&m, 1 << 24));
		CHECK(!sink_fault_new(&f, m, n));
		r = sparse_write(fd, size, "input", &o, f, &st, &d);
		sink_release(f);
		sink_release(m);
		if (!r)
			break;
		failures++;
		CHECK(r == -EIO && strstr(d.msg, "sparse image: write at"));
	}
	CHECK(failures >= 10);
	close(fd);
	free(img);
}

int main(void)
{
	T_RUN(test_faults);
	T_RUN(test_layout);
	T_RUN(test_roundtrip);
	T_RUN(test_rejects);
	return T_DONE();
}
