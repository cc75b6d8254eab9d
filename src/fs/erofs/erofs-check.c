/* SPDX-License-Identifier: MIT */
/*
 * erofs reader for checks and `inspect`-like summaries: walks an
 * uncompressed image from the root with every offset bounds-checked.
 * It trusts nothing in the image (it is a fuzz target).
 */
#include <errno.h>
#include <string.h>

#include "base/diag.h"
#include "base/endian.h"
#include "fs/erofs/erofs-format.h"
#include "fs/erofs/erofs.h"

struct rd {
	const uint8_t *img;
	size_t len;
	uint64_t meta;        /* byte offset of nid 0 */
	uint64_t budget;      /* inode visits left: bounds the walk on hostile images */
	unsigned max_depth;
	struct erofs_summary *s;
	struct diag *d;
};

static int bad(struct rd *r, uint64_t nid, const char *what)
{
	return diag_fail(r->d, -EINVAL, "erofs: nid %llu: %s", (unsigned long long)nid, what);
}

static int load_inode(struct rd *r, uint64_t nid, struct erofs_inode_info *ii, uint64_t *ret_pos,
		      uint64_t *ret_end)
{
	uint64_t pos, end;

	if (nid > (UINT64_MAX - r->meta) >> EROFS_ISLOT_BITS)
		return bad(r, nid, "outside the image");
	pos = r->meta + (nid << EROFS_ISLOT_BITS);
	if (pos >= r->len || erofs_inode_decode(r->img + pos, r->len - pos, ii))
		return bad(r, nid, "inode outside the image or of unknown format");
	end = pos + (ii->extended ? 64 : 32) + erofs_xattr_ibody_size(ii->xattr_icount);
	if (end > r->len)
		return bad(r, nid, "xattrs outside the image");
	if (ii->datalayout != EROFS_INODE_FLAT_PLAIN && ii->datalayout != EROFS_INODE_FLAT_INLINE &&
	    (ii->datalayout != EROFS_INODE_FLAT_COMPRESSION_LEGACY || (ii->mode & 0170000) != 0100000))
		return diag_fail(r->d, -EOPNOTSUPP,
				 "erofs: nid %llu: compact-indexed, chunked or compressed non-file data",
				 (unsigned long long)nid);
	*ret_pos = pos;
	*ret_end = end;
	return 0;
}

/* Where byte range of block @b of an inode's data lives; NULL if out of bounds. */
static const uint8_t *data_block(struct rd *r, const struct erofs_inode_info *ii, uint64_t end,
				 uint64_t b, uint32_t *ret_len)
{
	uint64_t nblocks = (ii->size + EROFS_BLKSZ - 1) / EROFS_BLKSZ;
	uint64_t len = b + 1 < nblocks ? EROFS_BLKSZ : ii->size - b * EROFS_BLKSZ;
	uint64_t off;

	if (ii->datalayout == EROFS_INODE_FLAT_INLINE && b + 1 == nblocks) {
		if (end % EROFS_BLKSZ + len > EROFS_BLKSZ && end % EROFS_BLKSZ)
			return NULL;
		off = end;
	} else {
		if ((uint64_t)ii->u + b >= UINT32_MAX)
			return NULL;
		off = ((uint64_t)ii->u + b) * EROFS_BLKSZ;
	}
	if (off > r->len || len > r->len - off)
		return NULL;
	*ret_len = (uint32_t)len;
	return r->img + off;
}

static int walk(struct rd *r, uint64_t nid, unsigned depth);

static int walk_dir(struct rd *r, uint64_t nid, const struct erofs_inode_info *ii, uint64_t end,
		    unsigned depth)
{
	uint8_t prev[EROFS_NAME_LEN + 1];
	size_t prevlen = 0;
	bool first = true;
	uint64_t nblocks = (ii->size + EROFS_BLKSZ - 1) / EROFS_BLKSZ;

	for (uint64_t b = 0; b < nblocks; b++) {
		uint32_t max, n;
		const uint8_t *blk = data_block(r, ii, end, b, &max);

		if (!blk || max < sizeof(struct erofs_dirent))
			return bad(r, nid, "directory block outside the image");
		n = get_le16(blk + 8) / sizeof(struct erofs_dirent);
		if (!n || get_le16(blk + 8) % sizeof(struct erofs_dirent) ||
		    get_le16(blk + 8) > max)
			return bad(r, nid, "bad first name offset in a directory block");
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *de = blk + i * sizeof(struct erofs_dirent);
			uint32_t off = get_le16(de + 8), next, nlen;
			uint64_t child = get_le64(de);
			const uint8_t *name = blk + off;
			int rr;

			next = i + 1 < n ? get_le16(de + 12 + 8) : max;
			if (off > max || next > max || next < off)
				return bad(r, nid, "directory name outside its block");
			nlen = next - off;
			if (i + 1 == n)
				nlen = (uint32_t)strnlen((const char *)name, nlen);
			if (!nlen || nlen > EROFS_NAME_LEN)
				return bad(r, nid, "empty or over-long name");
			if (!first) {
				int c = memcmp(prev, name, prevlen < nlen ? prevlen : nlen);

				if (c > 0 || (c == 0 && prevlen >= nlen))
					return bad(r, nid, "directory names out of order");
			}
			memcpy(prev, name, nlen);
			prevlen = nlen;
			first = false;
			if ((nlen == 1 && name[0] == '.') ||
			    (nlen == 2 && name[0] == '.' && name[1] == '.'))
				continue;
			rr = walk(r, child, depth + 1);
			if (rr)
				return rr;
		}
	}
	return 0;
}

static int walk(struct rd *r, uint64_t nid, unsigned depth)
{
	struct erofs_inode_info ii;
	uint64_t pos = 0, end = 0;
	int rr;

	if (depth > r->max_depth)
		return bad(r, nid, "directories nested too deep");
	if (!r->budget--)
		return bad(r, nid, "more entries than the image can hold");
	rr = load_inode(r, nid, &ii, &pos, &end);
	if (rr)
		return rr;
	r->s->inodes++;
	switch (ii.mode & 0170000) {
	case 0040000:
		r->s->dirs++;
		return walk_dir(r, nid, &ii, end, depth);
	case 0100000:
		r->s->files++;
		r->s->bytes += ii.size;
		break;
	case 0120000:
		r->s->symlinks++;
		break;
	case 0020000:
	case 0060000:
		r->s->devices++;
		return 0;
	default:
		r->s->others++;
		return 0;
	}
	if (ii.datalayout == EROFS_INODE_FLAT_COMPRESSION_LEGACY) {
		/* One index per 4 KiB of the file; heads point into the image. */
		uint64_t at = ((end + 7) & ~7ull) + EROFS_ZMAP_HEADER_SIZE;
		uint64_t n = (ii.size + EROFS_BLKSZ - 1) / EROFS_BLKSZ;

		if (at > r->len || n > (r->len - at) / 8)
			return bad(r, nid, "compression indexes outside the image");
		for (uint64_t k = 0; k < n; k++) {
			const uint8_t *di = r->img + at + 8 * k;
			unsigned type = get_le16(di) & 3;

			if (type == Z_EROFS_CLUSTER_TYPE_NONHEAD) {
				/* Linux looks back delta[0] clusters (1 where it
				 * holds a big pcluster's block count) until a head. */
				uint16_t d0 = get_le16(di + 4);

				if (d0 & 0x800)
					d0 = 1;
				if (!d0 || d0 > k)
					return bad(r, nid, "compression index points to no head");
				continue;
			}
			/* An extent starts inside its cluster; the file's first
			 * starts at byte 0. */
			if (get_le16(di + 2) >= EROFS_BLKSZ || (!k && get_le16(di + 2)))
				return bad(r, nid, "compression index starts outside its cluster");
			if (get_le32(di + 4) >= r->len / EROFS_BLKSZ)
				return bad(r, nid, "compressed cluster outside the image");
		}
		return 0;
	}
	/* Regular files and symlinks: every data block must be in the image. */
	for (uint64_t b = 0; b * EROFS_BLKSZ < ii.size; b++) {
		uint32_t l;

		if (!data_block(r, &ii, end, b, &l))
			return bad(r, nid, "data outside the image");
		if (ii.datalayout == EROFS_INODE_FLAT_PLAIN)
			break; /* contiguous: the last block is checked below */
	}
	if (ii.datalayout == EROFS_INODE_FLAT_PLAIN && ii.size) {
		uint32_t l;

		if (!data_block(r, &ii, end, (ii.size - 1) / EROFS_BLKSZ, &l))
			return bad(r, nid, "data outside the image");
	}
	(void)pos;
	return 0;
}

int erofs_check(const uint8_t *img, size_t len, unsigned max_depth, struct erofs_summary *ret,
		struct diag *d)
{
	struct erofs_summary s;
	struct erofs_sb_info sb;
	struct rd r = { .img = img, .len = len, .max_depth = max_depth, .s = &s, .d = d };
	int rr;

	memset(&s, 0, sizeof(s));
	if (len < EROFS_BLKSZ)
		return diag_fail(d, -EINVAL, "erofs: image shorter than one block");
	if (erofs_sb_decode(img + EROFS_SUPER_OFFSET, &sb))
		return diag_fail(d, -EINVAL, "erofs: no superblock (magic or block size)");
	s.checksum_ok = true;
	if (sb.feature_compat & EROFS_FEATURE_COMPAT_SB_CHKSUM) {
		uint8_t blk[EROFS_BLKSZ - EROFS_SUPER_OFFSET];

		memcpy(blk, img + EROFS_SUPER_OFFSET, sizeof(blk));
		put_le32(blk + offsetof(struct erofs_super_block, checksum), 0);
		s.checksum_ok = erofs_sb_checksum(blk, sizeof(blk)) ==
				get_le32(img + EROFS_SUPER_OFFSET +
					 offsetof(struct erofs_super_block, checksum));
	}
	s.blocks = sb.blocks;
	s.root_nid = sb.root_nid;
	s.build_time = sb.build_time;
	memcpy(s.uuid, sb.uuid, 16);
	memcpy(s.label, sb.volume_name, sizeof(s.label));
	if ((uint64_t)sb.blocks * EROFS_BLKSZ > len)
		return diag_fail(d, -EINVAL, "erofs: %u blocks, the image has %zu bytes", sb.blocks,
				 len);
	r.meta = (uint64_t)sb.meta_blkaddr * EROFS_BLKSZ;
	r.budget = len / 32 + 16;
	rr = walk(&r, sb.root_nid, 0);
	if (rr)
		return rr;
	*ret = s;
	return 0;
}
