/* SPDX-License-Identifier: MIT */
/* dm-verity hash tree (see verity.h): geometry, superblock codec, and
 * the one-pass builder. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/hash.h"
#include "fs/verity/verity.h"
#include "io/sink.h"

#define VSB(f) offsetof(struct verity_sb, f)

static bool good_block_size(uint32_t v)
{
	return v >= 512 && v <= 4096 && !(v & (v - 1));
}

int verity_geometry(const struct verity_params *p, struct verity_geom *ret)
{
	struct verity_geom g;
	unsigned bits = 0;
	uint64_t pos;

	memset(&g, 0, sizeof(g));
	if (!good_block_size(p->data_block_size) || !good_block_size(p->hash_block_size) ||
	    !p->data_blocks || p->salt_size > VERITY_MAX_SALT)
		return -EINVAL;
	/* Digests per block, rounded down to a power of two (cryptsetup). */
	while ((2u << bits) <= p->hash_block_size / VERITY_DIGEST)
		bits++;
	g.per_block = 1u << bits;
	while (bits * g.levels < 64 && (p->data_blocks - 1) >> (bits * g.levels))
		g.levels++;
	if (g.levels > VERITY_MAX_LEVELS)
		return -EINVAL;
	/* The superblock takes the first hash block; the top level follows. */
	pos = p->no_superblock ? 0 : (VERITY_SB_SIZE + p->hash_block_size - 1) / p->hash_block_size;
	for (int i = (int)g.levels - 1; i >= 0; i--) {
		unsigned sh = (unsigned)(i + 1) * bits;
		/* ceil(data_blocks / 2^sh) without overflowing. */
		uint64_t s = sh >= 64 ? 1
				      : (p->data_blocks >> sh) + !!(p->data_blocks & ((1ull << sh) - 1));

		g.level_block[i] = pos;
		g.level_size[i] = s;
		if (s > UINT64_MAX - pos)
			return -EINVAL;
		pos += s;
		g.hash_blocks += s;
	}
	if (pos > UINT64_MAX / p->hash_block_size)
		return -EINVAL;
	g.bytes = pos * p->hash_block_size;
	*ret = g;
	return 0;
}

void verity_sb_encode(const struct verity_params *p, uint8_t out[VERITY_SB_SIZE])
{
	memset(out, 0, VERITY_SB_SIZE);
	memcpy(out + VSB(signature), "verity\0\0", 8);
	put_le32(out + VSB(version), 1);
	put_le32(out + VSB(hash_type), 1);
	memcpy(out + VSB(uuid), p->uuid, 16);
	memcpy(out + VSB(algorithm), "sha256", 6);
	put_le32(out + VSB(data_block_size), p->data_block_size);
	put_le32(out + VSB(hash_block_size), p->hash_block_size);
	put_le64(out + VSB(data_blocks), p->data_blocks);
	put_le16(out + VSB(salt_size), p->salt_size);
	memcpy(out + VSB(salt), p->salt, p->salt_size);
}

int verity_sb_decode(const uint8_t *buf, size_t len, struct verity_params *ret)
{
	struct verity_params p;

	memset(&p, 0, sizeof(p));
	if (len < VERITY_SB_SIZE || memcmp(buf, "verity\0\0", 8) || get_le32(buf + VSB(version)) != 1 ||
	    get_le32(buf + VSB(hash_type)) != 1 ||
	    memcmp(buf + VSB(algorithm), "sha256\0", 7))
		return -EINVAL;
	p.data_block_size = get_le32(buf + VSB(data_block_size));
	p.hash_block_size = get_le32(buf + VSB(hash_block_size));
	p.data_blocks = get_le64(buf + VSB(data_blocks));
	p.salt_size = get_le16(buf + VSB(salt_size));
	if (!good_block_size(p.data_block_size) || !good_block_size(p.hash_block_size) ||
	    p.salt_size > VERITY_MAX_SALT || !p.data_blocks)
		return -EINVAL;
	memcpy(p.uuid, buf + VSB(uuid), 16);
	memcpy(p.salt, buf + VSB(salt), p.salt_size);
	*ret = p;
	return 0;
}

static int salted(const struct verity_params *p, const uint8_t *blk, size_t len,
		  uint8_t out[VERITY_DIGEST])
{
	struct sha256_ctx c;
	int r = sha256_init(&c);

	if (r)
		return r;
	if (!(r = sha256_update(&c, p->salt, p->salt_size)) && !(r = sha256_update(&c, blk, len)))
		r = sha256_final(&c, out);
	sha256_release(&c);
	return r;
}

struct builder {
	const struct verity_params *p;
	const struct verity_geom *g;
	struct sink *out;
	uint8_t *lvl[VERITY_MAX_LEVELS]; /* the partial block of each level */
	unsigned fill[VERITY_MAX_LEVELS]; /* digests in it */
	uint64_t done[VERITY_MAX_LEVELS]; /* blocks of that level written */
};

/* Append digest @dg to level @i; a full block goes out and its digest up. */
static int push(struct builder *b, unsigned i, const uint8_t *dg)
{
	uint8_t up[VERITY_DIGEST];
	uint32_t hbs = b->p->hash_block_size;
	int r;

	memcpy(b->lvl[i] + (size_t)b->fill[i] * VERITY_DIGEST, dg, VERITY_DIGEST);
	if (++b->fill[i] < b->g->per_block || i + 1 == b->g->levels)
		return 0; /* the top level is emitted at the end */
	if (b->out) {
		r = sink_pwrite(b->out, b->lvl[i], hbs, (b->g->level_block[i] + b->done[i]) * hbs);
		if (r)
			return r;
	}
	b->done[i]++;
	if ((r = salted(b->p, b->lvl[i], hbs, up)))
		return r;
	memset(b->lvl[i], 0, hbs);
	b->fill[i] = 0;
	return push(b, i + 1, up);
}

/* Pad and emit every partial block bottom-up; the top gives the root. */
static int finish(struct builder *b, uint8_t root[VERITY_DIGEST])
{
	uint32_t hbs = b->p->hash_block_size;
	uint8_t up[VERITY_DIGEST];
	int r;

	for (unsigned i = 0; i < b->g->levels; i++) {
		bool top = i + 1 == b->g->levels;

		if (!b->fill[i] && !top)
			continue;
		if (b->out) {
			r = sink_pwrite(b->out, b->lvl[i], hbs, (b->g->level_block[i] + b->done[i]) * hbs);
			if (r)
				return r;
		}
		b->done[i]++;
		if ((r = salted(b->p, b->lvl[i], hbs, top ? root : up)))
			return r;
		if (!top) {
			b->fill[i] = 0;
			if ((r = push(b, i + 1, up)))
				return r;
		}
	}
	return 0;
}

int verity_build(const struct verity_params *p, int fd, const char *what, struct sink *out,
		 uint8_t ret_root[VERITY_DIGEST], struct diag *d)
{
	struct verity_geom g;
	struct builder b = { .p = p, .g = &g, .out = out };
	const size_t chunk = 1u << 20;
	uint8_t *buf = NULL, dg[VERITY_DIGEST], sb[VERITY_SB_SIZE];
	uint64_t left, off = 0;
	int r = verity_geometry(p, &g);

	if (r)
		return diag_fail(d, r, "verity: bad parameters");
	buf = malloc(chunk > p->data_block_size ? chunk : p->data_block_size);
	r = -ENOMEM;
	if (!buf)
		goto out;
	for (unsigned i = 0; i < g.levels; i++)
		if (!(b.lvl[i] = calloc(1, p->hash_block_size)))
			goto out;
	if (out && !p->no_superblock) {
		verity_sb_encode(p, sb);
		if ((r = sink_pwrite(out, sb, sizeof(sb), 0)))
			goto out;
	}
	left = p->data_blocks * p->data_block_size;
	while (left) {
		size_t want = left < chunk ? (size_t)left : chunk, got = 0;

		while (got < want) {
			ssize_t n = pread(fd, buf + got, want - got, (off_t)(off + got));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				r = diag_fail(d, n < 0 ? -errno : -EIO, "%s: %s", what,
					      n < 0 ? strerror(errno) : "changed while reading (shorter)");
				goto out;
			}
			got += (size_t)n;
		}
		for (size_t k = 0; k < want; k += p->data_block_size) {
			if ((r = salted(p, buf + k, p->data_block_size, dg)))
				goto out;
			if (!g.levels) { /* one data block: its hash is the root */
				memcpy(ret_root, dg, VERITY_DIGEST);
				continue;
			}
			if ((r = push(&b, 0, dg)))
				goto out;
		}
		off += want;
		left -= want;
	}
	r = g.levels ? finish(&b, ret_root) : 0;
out:
	if (r && d && !d->msg[0])
		diag_fail(d, r, "verity: %s", strerror(-r));
	for (unsigned i = 0; i < g.levels && i < VERITY_MAX_LEVELS; i++)
		free(b.lvl[i]);
	free(buf);
	return r;
}

int verity_root_from_tree(const uint8_t *buf, size_t len, struct verity_params *ret_params,
			  uint8_t ret_root[VERITY_DIGEST])
{
	struct verity_params p;
	struct verity_geom g;
	uint64_t top;

	if (verity_sb_decode(buf, len, &p) || verity_geometry(&p, &g))
		return -EINVAL;
	*ret_params = p;
	if (!g.levels)
		return -ENODATA;
	top = g.level_block[g.levels - 1] * p.hash_block_size;
	if (top > len || p.hash_block_size > len - top || g.bytes > len)
		return -EINVAL;
	return salted(&p, buf + top, p.hash_block_size, ret_root) ? -EIO : 0;
}

int verity_check_tree(const uint8_t *buf, size_t len, unsigned *ret_level, uint64_t *ret_block)
{
	struct verity_params p;
	struct verity_geom g;
	uint8_t dg[VERITY_DIGEST];
	const uint32_t slot = VERITY_DIGEST;

	if (verity_sb_decode(buf, len, &p) || verity_geometry(&p, &g) || g.bytes > len)
		return -EINVAL;
	for (unsigned i = 0; i < g.levels; i++) {
		/* Digests this level holds: data blocks, or the level below's blocks. */
		uint64_t n = i ? g.level_size[i - 1] : p.data_blocks;

		for (uint64_t b = 0; b < g.level_size[i]; b++) {
			const uint8_t *blk = buf + (g.level_block[i] + b) * p.hash_block_size;
			uint64_t first = b * g.per_block;

			for (uint64_t k = 0; k < g.per_block; k++) {
				const uint8_t *s = blk + k * slot;

				if (first + k >= n) {
					/* Past the last digest: zeros to the block's end. */
					if (!buf_is_zero(s, p.hash_block_size - k * slot))
						goto bad;
					break;
				}
				if (!i)
					continue; /* level 0 hashes data kiln does not have here */
				if (salted(&p, buf + (g.level_block[i - 1] + first + k) * p.hash_block_size,
					   p.hash_block_size, dg))
					return -EIO;
				if (memcmp(dg, s, VERITY_DIGEST))
					goto bad;
			}
			continue;
bad:
			*ret_level = i;
			*ret_block = b;
			return -EBADMSG;
		}
	}
	return 0;
}
