/* SPDX-License-Identifier: MIT */
/* Block-parallel gzip (boot/gzip.h): round trips through zlib's
 * inflate, bytes independent of the thread count and of how the input
 * is fed, the pigz-style block structure, the CRC and ISIZE trailer. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/endian.h"
#include "boot/bout.h"
#include "boot/gzip.h"
#include "t.h"

struct mem {
	uint8_t *p;
	size_t len, cap;
};

static int emit_mem(struct bout *o, const void *buf, size_t len)
{
	struct mem *m = o->priv;

	if (m->len + len > m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 4096;
		while (nc < m->len + len)
			nc *= 2;
		uint8_t *np = realloc(m->p, nc);
		if (!np)
			return -1;
		m->p = np;
		m->cap = nc;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	o->off += len;
	return 0;
}

/* gzip_begin's stream over @in (NULL: zeros) fed in growing pieces. */
static struct mem stream(const uint8_t *in, size_t len, unsigned jobs)
{
	struct mem m = { 0 };
	struct bout mo = { .emit = emit_mem, .priv = &m };
	struct gzip_out g;

	CHECK(!gzip_begin(&g, &mo, jobs));
	for (size_t off = 0, step = 1; off < len; off += step, step = step * 3 + 7) {
		size_t n = len - off < step ? len - off : step;
		CHECK(!bout_emit(&g.in, in ? in + off : NULL, n));
	}
	CHECK(!gzip_end(&g));
	gzip_release(&g);
	return m;
}

/* Compressible but not trivial: text-like runs and a pseudo-random tail. */
static uint8_t *make_input(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	uint32_t x = 12345;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = i % 5000 < 3000 ? (uint8_t)("kiln builds images "[i % 19]) : (uint8_t)(x >> 24);
	}
	return p;
}

/* zlib's inflate, independently of kiln's gunzip. */
static int inflate_all(const uint8_t *gz, size_t gl, uint8_t *out, size_t cap, size_t *ret)
{
	z_stream z;
	int zr;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + 15) != Z_OK)
		return -1;
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)gl;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	zr = inflate(&z, Z_FINISH);
	*ret = cap - z.avail_out;
	inflateEnd(&z);
	return zr == Z_STREAM_END && z.avail_in == 0 ? 0 : -1;
}

/* Sync-flush markers (an empty stored block: 00 00 FF FF) in the body. */
static unsigned count_sync(const uint8_t *gz, size_t gl)
{
	static const uint8_t m[4] = { 0, 0, 0xff, 0xff };
	unsigned n = 0;

	for (size_t i = 10; i + 4 <= gl - 8; i++)
		n += !memcmp(gz + i, m, 4);
	return n;
}

static void test_sizes(void)
{
	const size_t sizes[] = { 0, 1, 1000, GZIP_BLOCK - 1, GZIP_BLOCK, GZIP_BLOCK + 1,
				 3 * GZIP_BLOCK + 7, 40 * GZIP_BLOCK + 12345 };
	const unsigned jobs[] = { 1, 2, 3, 8 };

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t len = sizes[s], back_len = 0;
		uint8_t *in = make_input(len), *ref = NULL, *back = malloc(len + 1);
		size_t rl = 0;

		CHECK(!gzip_buf(in, len, 1, &ref, &rl));
		CHECK(gzip_magic(ref, rl) || len == 0);
		CHECK_EQ_U64(ref[3], 0);              /* no name */
		CHECK_EQ_U64(get_le32(ref + 4), 0);   /* mtime 0 */
		CHECK_EQ_U64(ref[9], 3);              /* Unix */
		CHECK(!inflate_all(ref, rl, back, len + 1, &back_len));
		CHECK_EQ_U64(back_len, len);
		CHECK(!memcmp(back, in, len));
		CHECK_EQ_U64(get_le32(ref + rl - 8), crc32(crc32(0, NULL, 0), in, (uInt)len));
		CHECK_EQ_U64(get_le32(ref + rl - 4), (uint32_t)len);
		/* One independently compressed block per GZIP_BLOCK of input,
		 * each but the last ended by a sync flush. */
		unsigned blocks = len ? (unsigned)((len + GZIP_BLOCK - 1) / GZIP_BLOCK) : 1;
		CHECK(count_sync(ref, rl) >= blocks - 1);
		for (size_t k = 0; k < sizeof(jobs) / sizeof(jobs[0]); k++) {
			uint8_t *gz = NULL;
			size_t gl = 0;
			CHECK(!gzip_buf(in, len, jobs[k], &gz, &gl));
			CHECK(gl == rl && !memcmp(gz, ref, rl));
			free(gz);
			/* Streamed in odd pieces: the same bytes. */
			struct mem m = stream(in, len, jobs[k]);
			CHECK(m.len == rl && !memcmp(m.p, ref, rl));
			free(m.p);
		}
		free(ref);
		free(back);
		free(in);
	}
}

/* Zero runs (bout's NULL buffer) compress like written zeros. */
static void test_zeros(void)
{
	size_t len = 2 * GZIP_BLOCK + 99;
	uint8_t *z = calloc(1, len), *a = NULL;
	size_t al = 0;

	CHECK(!gzip_buf(z, len, 2, &a, &al));
	struct mem m = stream(NULL, len, 2);
	CHECK(m.len == al && !memcmp(m.p, a, al));
	free(m.p);
	free(a);
	free(z);
}

int main(void)
{
	T_RUN(test_sizes);
	T_RUN(test_zeros);
	return T_DONE();
}
