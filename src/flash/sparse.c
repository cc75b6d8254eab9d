/* SPDX-License-Identifier: MIT */
/* Android sparse images: codec, writer, decoder (see sparse.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/hash.h"
#include "flash/sparse.h"
#include "io/sink.h"

/* ---- codec ---- */

void sparse_header_encode(const struct sparse_header *h, uint8_t out[SPARSE_HEADER_SIZE])
{
	put_le32(out + 0, h->magic);
	put_le16(out + 4, h->major);
	put_le16(out + 6, h->minor);
	put_le16(out + 8, h->header_size);
	put_le16(out + 10, h->chunk_header_size);
	put_le32(out + 12, h->block_size);
	put_le32(out + 16, h->total_blocks);
	put_le32(out + 20, h->total_chunks);
	put_le32(out + 24, h->crc32);
}

void sparse_header_decode(const uint8_t in[SPARSE_HEADER_SIZE], struct sparse_header *ret)
{
	ret->magic = get_le32(in + 0);
	ret->major = get_le16(in + 4);
	ret->minor = get_le16(in + 6);
	ret->header_size = get_le16(in + 8);
	ret->chunk_header_size = get_le16(in + 10);
	ret->block_size = get_le32(in + 12);
	ret->total_blocks = get_le32(in + 16);
	ret->total_chunks = get_le32(in + 20);
	ret->crc32 = get_le32(in + 24);
}

void sparse_chunk_encode(const struct sparse_chunk *c, uint8_t out[SPARSE_CHUNK_HEADER_SIZE])
{
	put_le16(out + 0, c->type);
	put_le16(out + 2, 0); /* reserved */
	put_le32(out + 4, c->blocks);
	put_le32(out + 8, c->total_size);
}

void sparse_chunk_decode(const uint8_t in[SPARSE_CHUNK_HEADER_SIZE], struct sparse_chunk *ret)
{
	ret->type = get_le16(in + 0);
	ret->blocks = get_le32(in + 4);
	ret->total_size = get_le32(in + 8);
}

/* ---- writer ---- */

#define SPARSE_READ_BUF (1u << 20)

struct sw {
	const struct sparse_opts *o;
	struct sink *out;
	struct diag *d;
	uint64_t pos;              /* next output byte */
	struct sparse_chunk cur;   /* open chunk (type 0: none) */
	uint64_t cur_pos;          /* where its header goes */
	uint32_t fill;
	uint32_t crc, chunks;
	uint64_t block;            /* next output block */
	uint64_t max_raw_blocks;
	/* RAW blocks read but not yet written: one pwrite per run. */
	const uint8_t *pend;
	size_t pend_len;
	uint64_t pend_off;
};

static int sw_put(struct sw *w, const void *buf, size_t len, uint64_t off)
{
	int r = sink_pwrite(w->out, buf, len, off);

	return r ? diag_fail(w->d, r, "sparse image: write at %llu: %s",
			     (unsigned long long)off, strerror(-r)) : 0;
}

static int sw_flush_pending(struct sw *w)
{
	int r = 0;

	if (w->pend_len)
		r = sw_put(w, w->pend, w->pend_len, w->pend_off);
	w->pend_len = 0;
	return r;
}

/* Write the open chunk's header, now that its block count is final. */
static int sw_close_chunk(struct sw *w)
{
	uint8_t h[SPARSE_CHUNK_HEADER_SIZE];
	int r = sw_flush_pending(w);

	if (r || !w->cur.type)
		return r;
	sparse_chunk_encode(&w->cur, h);
	w->cur.type = 0;
	return sw_put(w, h, sizeof(h), w->cur_pos);
}

static int sw_open_chunk(struct sw *w, uint16_t type, uint32_t payload)
{
	int r = sw_close_chunk(w);

	if (r)
		return r;
	if (w->chunks == UINT32_MAX)
		return diag_fail(w->d, -EFBIG, "sparse image: more than 2^32-1 chunks");
	w->chunks++;
	w->cur.type = type;
	w->cur.blocks = 0;
	w->cur.total_size = SPARSE_CHUNK_HEADER_SIZE + payload;
	w->cur_pos = w->pos;
	w->pos += SPARSE_CHUNK_HEADER_SIZE;
	return 0;
}

static void crc_zero_blocks(struct sw *w, uint64_t n, const uint8_t *zero)
{
	if (!w->o->add_crc)
		return;
	for (uint64_t i = 0; i < n; i++)
		w->crc = crc32_ieee(w->crc, zero, w->o->block_size);
}

/* Blocks [w->block, upto) are holes. */
static int sw_dont_care(struct sw *w, uint64_t upto, const uint8_t *zero)
{
	uint64_t n = upto - w->block;
	int r;

	if (!n)
		return 0;
	r = sw_open_chunk(w, SPARSE_CHUNK_DONT_CARE, 0);
	if (r)
		return r;
	w->cur.blocks = (uint32_t)n; /* fits: total blocks < 2^32 */
	crc_zero_blocks(w, n, zero);
	w->block = upto;
	return sw_close_chunk(w);
}

static int sw_block(struct sw *w, const uint8_t *b)
{
	uint32_t bs = w->o->block_size;
	int r;

	if (w->o->add_crc)
		w->crc = crc32_ieee(w->crc, b, bs);
	w->block++;
	/* All 32-bit words equal iff the block equals itself shifted by one. */
	if (!memcmp(b, b + 4, bs - 4)) {
		uint32_t word;
		uint8_t le[4];

		memcpy(&word, b, 4);
		if (w->cur.type != SPARSE_CHUNK_FILL || w->fill != word) {
			r = sw_open_chunk(w, SPARSE_CHUNK_FILL, 4);
			if (r)
				return r;
			w->fill = word;
			memcpy(le, b, 4); /* the bytes as they are in the image */
			r = sw_put(w, le, 4, w->pos);
			if (r)
				return r;
			w->pos += 4;
		}
		w->cur.blocks++;
		return 0;
	}
	if (w->cur.type != SPARSE_CHUNK_RAW || w->cur.blocks >= w->max_raw_blocks) {
		r = sw_open_chunk(w, SPARSE_CHUNK_RAW, 0);
		if (r)
			return r;
	}
	if (w->pend_len && w->pend + w->pend_len == b) {
		w->pend_len += bs;
	} else {
		r = sw_flush_pending(w);
		if (r)
			return r;
		w->pend = b;
		w->pend_len = bs;
		w->pend_off = w->pos;
	}
	w->pos += bs;
	w->cur.blocks++;
	w->cur.total_size += bs;
	return 0;
}

/* Bytes [start, end) of the input (block-aligned start) as chunks. */
static int sw_extent(struct sw *w, int fd, const char *what, uint64_t start, uint64_t end,
		     uint8_t *buf, size_t bufsize, const uint8_t *zero)
{
	uint32_t bs = w->o->block_size;
	int r = sw_dont_care(w, start / bs, zero);

	while (!r && start < end) {
		size_t want = end - start < bufsize ? (size_t)(end - start) : bufsize;
		size_t got = 0, padded;

		while (got < want) {
			ssize_t n = pread(fd, buf + got, want - got, (off_t)(start + got));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return diag_fail(w->d, -errno, "%s: %s", what, strerror(errno));
			if (n == 0)
				return diag_fail(w->d, -EIO, "%s: changed while reading (shorter than planned)",
						 what);
			got += (size_t)n;
		}
		/* The format holds whole blocks: pad the last one with zeros. */
		padded = (want + bs - 1) / bs * bs;
		memset(buf + want, 0, padded - want);
		for (size_t i = 0; !r && i < padded; i += bs)
			r = sw_block(w, buf + i);
		if (!r)
			r = sw_flush_pending(w); /* buf is reused */
		start += want;
	}
	return r;
}

int sparse_write(int fd, uint64_t size, const char *what, const struct sparse_opts *o,
		 struct sink *out, struct sparse_stats *ret, struct diag *d)
{
	struct sw w = { .o = o, .out = out, .d = d, .pos = SPARSE_HEADER_SIZE };
	uint32_t bs = o->block_size;
	uint64_t nblocks, cs = 0, ce = 0, off = 0;
	struct sparse_header h = { 0 };
	uint8_t hb[SPARSE_HEADER_SIZE], *buf = NULL, *zero = NULL;
	size_t bufsize;
	bool have = false;
	int r = 0;

	if (!bs || bs % 512 || bs > SPARSE_MAX_BLOCK_SIZE)
		return diag_fail(d, -EINVAL, "sparse image: block size %u is not a multiple of 512 up to 64 MiB", bs);
	nblocks = size / bs + (size % bs != 0);
	if (nblocks > UINT32_MAX)
		return diag_fail(d, -EFBIG, "%s: %llu bytes are more than 2^32-1 blocks of %u", what,
				 (unsigned long long)size, bs);
	w.max_raw_blocks = (o->max_raw_bytes ? o->max_raw_bytes : UINT32_MAX - SPARSE_CHUNK_HEADER_SIZE) / bs;
	if (!w.max_raw_blocks)
		w.max_raw_blocks = 1;
	bufsize = SPARSE_READ_BUF > bs ? SPARSE_READ_BUF / bs * bs : bs;
	buf = malloc(bufsize);
	zero = calloc(1, bs);
	if (!buf || !zero) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	/* Extents of data, aligned outwards to blocks and merged when they
	 * touch, each emitted once the next one is known. */
	while (off < size) {
		uint64_t ds, de;

		if (o->fill_holes) {
			ds = 0;
			de = size;
		} else {
			off_t a = lseek(fd, (off_t)off, SEEK_DATA), b;
			if (a < 0 && errno == ENXIO)
				break;
			if (a < 0 && errno != EINVAL) {
				r = diag_fail(d, -errno, "%s: SEEK_DATA: %s", what, strerror(errno));
				goto out;
			}
			if (a < 0) { /* cannot tell: all data */
				a = (off_t)off;
				b = (off_t)size;
			} else {
				b = lseek(fd, a, SEEK_HOLE);
				if (b < 0) {
					r = diag_fail(d, -errno, "%s: SEEK_HOLE: %s", what, strerror(errno));
					goto out;
				}
			}
			if ((uint64_t)a >= size)
				break;
			ds = (uint64_t)a;
			de = (uint64_t)b < size ? (uint64_t)b : size;
		}
		off = de;
		ds = ds / bs * bs;
		de = (de + bs - 1) / bs * bs;
		if (de > size)
			de = size;
		if (have && ds <= ce) {
			ce = de > ce ? de : ce;
			continue;
		}
		if (have && (r = sw_extent(&w, fd, what, cs, ce, buf, bufsize, zero)))
			goto out;
		if (have)
			w.block = (ce + bs - 1) / bs;
		cs = ds;
		ce = de;
		have = true;
	}
	if (have) {
		r = sw_extent(&w, fd, what, cs, ce, buf, bufsize, zero);
		if (r)
			goto out;
		w.block = (ce + bs - 1) / bs;
	}
	r = sw_close_chunk(&w);
	if (!r)
		r = sw_dont_care(&w, nblocks, zero);
	if (!r && o->add_crc) {
		uint8_t le[4];

		r = sw_open_chunk(&w, SPARSE_CHUNK_CRC32, 4);
		put_le32(le, w.crc);
		if (!r)
			r = sw_put(&w, le, 4, w.pos);
		w.pos += 4;
		if (!r)
			r = sw_close_chunk(&w);
	}
	if (r)
		goto out;
	h.magic = SPARSE_MAGIC;
	h.major = 1;
	h.header_size = SPARSE_HEADER_SIZE;
	h.chunk_header_size = SPARSE_CHUNK_HEADER_SIZE;
	h.block_size = bs;
	h.total_blocks = (uint32_t)nblocks;
	h.total_chunks = w.chunks;
	sparse_header_encode(&h, hb);
	r = sw_put(&w, hb, sizeof(hb), 0);
	if (r)
		goto out;
	ret->bytes = w.pos;
	ret->chunks = w.chunks;
	ret->blocks = (uint32_t)nblocks;
out:
	free(buf);
	free(zero);
	return r;
}

/* ---- decoder ---- */

int sparse_decode(const uint8_t *buf, size_t len, struct sink *out, uint64_t max_out,
		  struct sparse_header *ret_header, struct diag *d)
{
	struct sparse_header h;
	uint64_t off, blocks = 0;
	uint32_t crc = 0, i;
	uint8_t *blk = NULL;
	int r = 0;

	if (len < SPARSE_HEADER_SIZE)
		return diag_fail(d, -EINVAL, "sparse image: %zu bytes, shorter than its header", len);
	sparse_header_decode(buf, &h);
	if (h.magic != SPARSE_MAGIC)
		return diag_fail(d, -EINVAL, "sparse image: bad magic 0x%08x", h.magic);
	if (h.major != 1)
		return diag_fail(d, -EINVAL, "sparse image: version %u.%u (kiln reads 1.x)", h.major,
				 h.minor);
	if (h.header_size < SPARSE_HEADER_SIZE || h.chunk_header_size < SPARSE_CHUNK_HEADER_SIZE ||
	    h.header_size > len)
		return diag_fail(d, -EINVAL, "sparse image: header size %u, chunk header size %u",
				 h.header_size, h.chunk_header_size);
	if (!h.block_size || h.block_size % 4 || h.block_size > SPARSE_MAX_BLOCK_SIZE)
		return diag_fail(d, -EINVAL, "sparse image: block size %u", h.block_size);
	if ((uint64_t)h.total_blocks * h.block_size > max_out)
		return diag_fail(d, -EFBIG, "sparse image: %u blocks of %u bytes: over the %llu-byte limit",
				 h.total_blocks, h.block_size, (unsigned long long)max_out);
	if (out) {
		blk = malloc(h.block_size);
		if (!blk)
			return diag_fail(d, -ENOMEM, "out of memory");
	}
	off = h.header_size;
	for (i = 0; i < h.total_chunks; i++) {
		struct sparse_chunk c;
		uint64_t payload, want;
		const uint8_t *p;

		if (len - off < h.chunk_header_size) {
			r = diag_fail(d, -EINVAL, "sparse image: chunk %u at %llu: truncated", i,
				      (unsigned long long)off);
			goto out;
		}
		sparse_chunk_decode(buf + off, &c);
		p = buf + off + h.chunk_header_size;
		if (c.total_size < h.chunk_header_size || c.total_size > len - off) {
			r = diag_fail(d, -EINVAL, "sparse image: chunk %u at %llu: size %u out of range",
				      i, (unsigned long long)off, c.total_size);
			goto out;
		}
		payload = c.total_size - h.chunk_header_size;
		switch (c.type) {
		case SPARSE_CHUNK_RAW: want = (uint64_t)c.blocks * h.block_size; break;
		case SPARSE_CHUNK_FILL:
		case SPARSE_CHUNK_CRC32: want = 4; break;
		case SPARSE_CHUNK_DONT_CARE: want = 0; break;
		default:
			r = diag_fail(d, -EINVAL, "sparse image: chunk %u at %llu: unknown type 0x%04x",
				      i, (unsigned long long)off, c.type);
			goto out;
		}
		if (payload != want || (c.type == SPARSE_CHUNK_CRC32 && c.blocks) ||
		    blocks + c.blocks > h.total_blocks) {
			r = diag_fail(d, -EINVAL, "sparse image: chunk %u at %llu: %u blocks, %u bytes do not add up",
				      i, (unsigned long long)off, c.blocks, c.total_size);
			goto out;
		}
		for (uint32_t k = 0; out && k < c.blocks; k++) {
			uint64_t at = (blocks + k) * h.block_size;
			const uint8_t *src = blk;

			if (c.type == SPARSE_CHUNK_RAW)
				src = p + (uint64_t)k * h.block_size;
			else if (c.type == SPARSE_CHUNK_FILL && k == 0)
				for (uint32_t j = 0; j < h.block_size; j += 4)
					memcpy(blk + j, p, 4);
			else if (c.type == SPARSE_CHUNK_DONT_CARE && k == 0)
				memset(blk, 0, h.block_size);
			crc = crc32_ieee(crc, src, h.block_size);
			r = c.type == SPARSE_CHUNK_DONT_CARE ? sink_zero(out, at, h.block_size)
							     : sink_pwrite(out, src, h.block_size, at);
			if (r) {
				diag_fail(d, r, "sparse image: writing block %llu: %s",
					  (unsigned long long)(blocks + k), strerror(-r));
				goto out;
			}
		}
		if (out && c.type == SPARSE_CHUNK_CRC32 && get_le32(p) != crc) {
			r = diag_fail(d, -EBADMSG, "sparse image: chunk %u: CRC32 %08x, data has %08x", i,
				      get_le32(p), crc);
			goto out;
		}
		blocks += c.blocks;
		off += c.total_size;
	}
	if (blocks != h.total_blocks || off != len) {
		r = diag_fail(d, -EINVAL, "sparse image: chunks cover %llu of %u blocks, end at %llu of %zu bytes",
			      (unsigned long long)blocks, h.total_blocks, (unsigned long long)off, len);
		goto out;
	}
	if (ret_header)
		*ret_header = h;
out:
	free(blk);
	return r;
}
