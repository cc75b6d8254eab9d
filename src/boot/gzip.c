/* SPDX-License-Identifier: MIT */
#include "boot/gzip.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define CHUNK 65536
#define DICT 32768u
/* Blocks compressed per thread between two writes to the next stream:
 * enough to amortise starting the threads, few enough to bound memory. */
#define BATCH_PER_JOB 4

/* One block: its input, the 32 KiB before it, its compressed bytes. */
struct block {
	const uint8_t *dict, *in;
	size_t dictlen, len;
	bool last;
	uint8_t *out;
	size_t outlen;
	uint32_t crc;
	int err;
};

/* Raw deflate of one block, primed with its dictionary. A block depends
 * on nothing but these bytes, so any thread may compress it. */
static int deflate_block(struct block *k)
{
	z_stream z;
	size_t cap;
	int zr;

	memset(&z, 0, sizeof(z));
	k->crc = (uint32_t)crc32(0, k->in, (uInt)k->len);
	if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	if (k->dictlen && deflateSetDictionary(&z, k->dict, (uInt)k->dictlen) != Z_OK) {
		deflateEnd(&z);
		return -EIO;
	}
	/* The bound covers stored blocks; a sync flush adds at most 5 bytes. */
	cap = deflateBound(&z, (uLong)k->len) + 64;
	k->out = malloc(cap);
	if (!k->out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)k->in;
	z.avail_in = (uInt)k->len;
	z.next_out = k->out;
	z.avail_out = (uInt)cap;
	zr = deflate(&z, k->last ? Z_FINISH : Z_SYNC_FLUSH);
	k->outlen = cap - z.avail_out;
	deflateEnd(&z);
	if (k->last ? zr != Z_STREAM_END : zr != Z_OK || z.avail_in || !z.avail_out)
		return -EIO;
	return 0;
}

struct worker {
	struct block *v;
	unsigned n, first, step;
};

static void *work(void *ud)
{
	struct worker *w = ud;

	for (unsigned i = w->first; i < w->n; i += w->step)
		w->v[i].err = deflate_block(&w->v[i]);
	return NULL;
}

/* Compress @n blocks with up to @jobs threads (the caller's is one). */
static int deflate_blocks(struct block *v, unsigned n, unsigned jobs)
{
	struct worker w[GZIP_MAX_JOBS];
	pthread_t tid[GZIP_MAX_JOBS];
	unsigned nt = jobs < n ? jobs : n, started = 1;
	int r = 0;

	if (nt < 1)
		nt = 1;
	for (unsigned t = 0; t < nt; t++)
		w[t] = (struct worker){ .v = v, .n = n, .first = t, .step = nt };
	for (; started < nt; started++) {
		int e = pthread_create(&tid[started], NULL, work, &w[started]);
		if (e) {
			r = -e;
			break;
		}
	}
	/* Blocks of threads that could not start are done here. */
	for (unsigned t = 0; t < nt; t++)
		if (t == 0 || t >= started)
			work(&w[t]);
	for (unsigned t = 1; t < started; t++)
		pthread_join(tid[t], NULL);
	for (unsigned i = 0; i < n && !r; i++)
		r = v[i].err;
	return r;
}

struct gzstate {
	unsigned jobs;
	bool header;
	uint32_t crc;
	uint64_t total;
	uint8_t *buf;       /* DICT bytes of history, then the pending input */
	size_t hist, fill;  /* history bytes at buf, pending bytes after them */
	size_t cap;         /* pending bytes that make a batch */
};

static const uint8_t header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };

/*
 * Compress @len bytes at @in (the @hist bytes before it are history)
 * as whole blocks from the stream's last block boundary; @final: the
 * last of them ends the stream. Blocks go out in order, a batch at a
 * time, so memory stays bounded whatever @len is.
 */
static int compress_run(struct gzip_out *g, const uint8_t *in, size_t hist, size_t len,
			bool final)
{
	struct gzstate *s = g->priv;
	unsigned batch = s->jobs * BATCH_PER_JOB;
	struct block *v = calloc(batch, sizeof(*v));
	size_t pos = 0;
	int r = 0;

	if (!v)
		return -ENOMEM;
	if (!s->header) {
		r = bout_emit(g->next, header, sizeof(header));
		s->header = true;
	}
	/* An empty stream still gets one (empty) final block. */
	while (!r && (pos < len || (final && !len && !pos))) {
		unsigned n = 0;
		do {
			size_t bl = len - pos < GZIP_BLOCK ? len - pos : GZIP_BLOCK;
			size_t dl = pos + hist < DICT ? pos + hist : DICT;
			v[n++] = (struct block){ .dict = in + pos - dl, .dictlen = dl, .in = in + pos,
						 .len = bl, .last = final && pos + bl == len };
			pos += bl;
		} while (n < batch && pos < len);
		r = deflate_blocks(v, n, s->jobs);
		for (unsigned i = 0; i < n; i++) {
			if (!r)
				r = bout_emit(g->next, v[i].out, v[i].outlen);
			s->crc = (uint32_t)crc32_combine(s->crc, v[i].crc, (z_off_t)v[i].len);
			s->total += v[i].len;
			free(v[i].out);
			v[i].out = NULL;
		}
		if (!len)
			break;
	}
	free(v);
	return r;
}

static int emit_gzip(struct bout *o, const void *buf, size_t len)
{
	struct gzip_out *g = o->priv;
	struct gzstate *s = g->priv;
	int r;

	if (g->err)
		return g->err;
	while (len) {
		/* A full batch is compressed only when more input follows:
		 * the stream's last block must be its last non-empty one,
		 * wherever the batches end (they depend on the jobs). */
		if (s->fill == s->cap) {
			r = compress_run(g, s->buf + s->hist, s->hist, s->fill, false);
			if (r)
				return g->err = r;
			memmove(s->buf, s->buf + s->hist + s->fill - DICT, DICT);
			s->hist = DICT;
			s->fill = 0;
		}
		size_t n = s->cap - s->fill < len ? s->cap - s->fill : len;
		if (buf) {
			memcpy(s->buf + s->hist + s->fill, buf, n);
			buf = (const uint8_t *)buf + n;
		} else {
			memset(s->buf + s->hist + s->fill, 0, n);
		}
		s->fill += n;
		len -= n;
		o->off += n;
	}
	return 0;
}

static int state_new(struct gzip_out *g, struct bout *next, unsigned jobs, size_t cap)
{
	struct gzstate *s = calloc(1, sizeof(*s));

	memset(g, 0, sizeof(*g));
	if (!s)
		return -ENOMEM;
	s->jobs = jobs < 1 ? 1 : jobs > GZIP_MAX_JOBS ? GZIP_MAX_JOBS : jobs;
	s->crc = (uint32_t)crc32(0, NULL, 0);
	s->cap = cap ? (size_t)s->jobs * BATCH_PER_JOB * GZIP_BLOCK : 0;
	if (cap && !(s->buf = malloc(DICT + s->cap))) {
		free(s);
		return -ENOMEM;
	}
	g->priv = s;
	g->next = next;
	g->in.emit = emit_gzip;
	g->in.priv = g;
	return 0;
}

int gzip_begin(struct gzip_out *g, struct bout *next, unsigned jobs)
{
	return state_new(g, next, jobs, 1);
}

static int trailer(struct gzip_out *g)
{
	struct gzstate *s = g->priv;
	uint8_t t[8];

	for (unsigned i = 0; i < 4; i++) {
		t[i] = (uint8_t)(s->crc >> (8 * i));
		t[4 + i] = (uint8_t)(s->total >> (8 * i)); /* ISIZE: mod 2^32 */
	}
	return bout_emit(g->next, t, sizeof(t));
}

int gzip_end(struct gzip_out *g)
{
	struct gzstate *s = g->priv;
	int r;

	if (g->err)
		return g->err;
	r = compress_run(g, s->buf + s->hist, s->hist, s->fill, true);
	if (!r)
		r = trailer(g);
	return g->err = r;
}

void gzip_release(struct gzip_out *g)
{
	struct gzstate *s = g->priv;

	if (s) {
		free(s->buf);
		free(s);
	}
	g->priv = NULL;
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

int gzip_buf(const void *in, size_t len, unsigned jobs, uint8_t **ret, size_t *ret_len)
{
	struct membuf m = { 0 };
	struct bout mo = { .emit = emit_mem, .priv = &m };
	struct gzip_out g;
	/* The input is in memory already: blocks are cut from it in place. */
	int r = state_new(&g, &mo, jobs, 0);

	if (r)
		return r;
	r = compress_run(&g, in, 0, len, true);
	if (!r)
		r = trailer(&g);
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
