/* SPDX-License-Identifier: MIT */
#include "boot/gzip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define CHUNK 65536

static int drain(struct gzip_out *g, int flush)
{
	z_stream *z = g->z;
	uint8_t out[CHUNK];
	int zr, r;

	do {
		z->next_out = out;
		z->avail_out = sizeof(out);
		zr = deflate(z, flush);
		if (zr == Z_STREAM_ERROR)
			return -EIO;
		r = bout_emit(g->next, out, sizeof(out) - z->avail_out);
		if (r)
			return r;
	} while (z->avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

static int emit_gzip(struct bout *o, const void *buf, size_t len)
{
	struct gzip_out *g = o->priv;
	z_stream *z = g->z;
	static const uint8_t zeros[4096];
	int r;

	while (len) {
		size_t n = len > CHUNK ? CHUNK : len;
		if (!buf && n > sizeof(zeros))
			n = sizeof(zeros);
		z->next_in = (Bytef *)(buf ? buf : zeros);
		z->avail_in = (uInt)n;
		r = drain(g, Z_NO_FLUSH);
		if (r)
			return g->err = r;
		if (buf)
			buf = (const uint8_t *)buf + n;
		len -= n;
		o->off += n;
	}
	return 0;
}

/* zlib keeps a pointer to the header until it is written: keep both
 * in one allocation (z first, so g->z is the z_stream). */
struct zstate {
	z_stream z;
	gz_header h;
};

int gzip_begin(struct gzip_out *g, struct bout *next)
{
	struct zstate *zs = calloc(1, sizeof(*zs));
	z_stream *z = zs ? &zs->z : NULL;

	memset(g, 0, sizeof(*g));
	if (!zs)
		return -ENOMEM;
	/* 15 + 16: a gzip wrapper; the header is set explicitly so the OS
	 * byte does not depend on how zlib was built. */
	if (deflateInit2(z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(zs);
		return -ENOMEM;
	}
	zs->h.os = 3;
	if (deflateSetHeader(z, &zs->h) != Z_OK) {
		deflateEnd(z);
		free(zs);
		return -EIO;
	}
	g->z = z;
	g->next = next;
	g->in.emit = emit_gzip;
	g->in.priv = g;
	return 0;
}

int gzip_end(struct gzip_out *g)
{
	z_stream *z = g->z;

	if (g->err)
		return g->err;
	z->next_in = NULL;
	z->avail_in = 0;
	return drain(g, Z_FINISH);
}

void gzip_release(struct gzip_out *g)
{
	if (g->z) {
		deflateEnd(g->z);
		free(g->z);
	}
	g->z = NULL;
}

struct membuf {
	uint8_t *p;
	size_t len, cap;
};

static int emit_mem(struct bout *o, const void *buf, size_t len)
{
	struct membuf *m = o->priv;

	if (m->len + len > m->cap) {
		size_t nc = m->cap ? m->cap : 65536;
		while (nc < m->len + len)
			nc *= 2;
		uint8_t *np = realloc(m->p, nc);
		if (!np)
			return -ENOMEM;
		m->p = np;
		m->cap = nc;
	}
	if (buf)
		memcpy(m->p + m->len, buf, len);
	else
		memset(m->p + m->len, 0, len);
	m->len += len;
	o->off += len;
	return 0;
}

int gzip_buf(const void *in, size_t len, uint8_t **ret, size_t *ret_len)
{
	struct membuf m = { 0 };
	struct bout mo = { .emit = emit_mem, .priv = &m };
	struct gzip_out g;
	int r = gzip_begin(&g, &mo);

	if (r)
		return r;
	r = bout_emit(&g.in, in, len);
	if (!r)
		r = gzip_end(&g);
	gzip_release(&g);
	if (r) {
		free(m.p);
		return r;
	}
	*ret = m.p;
	*ret_len = m.len;
	return 0;
}

bool gzip_magic(const void *buf, size_t len)
{
	const uint8_t *b = buf;

	return len >= 10 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8;
}

int gunzip_buf(const void *in, size_t len, uint64_t max, uint8_t **ret, size_t *ret_len)
{
	z_stream z;
	struct membuf m = { 0 };
	struct bout mo = { .emit = emit_mem, .priv = &m };
	uint8_t out[CHUNK];
	int zr, r = 0;

	if (!gzip_magic(in, len))
		return -EINVAL;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			r = zr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
		if (m.len + (sizeof(out) - z.avail_out) > max) {
			r = -EFBIG;
			break;
		}
		r = bout_emit(&mo, out, sizeof(out) - z.avail_out);
		if (r)
			break;
		if (zr == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
			r = -EINVAL; /* truncated */
			break;
		}
	} while (zr != Z_STREAM_END);
	inflateEnd(&z);
	if (r) {
		free(m.p);
		return r;
	}
	*ret = m.p;
	*ret_len = m.len;
	return 0;
}
