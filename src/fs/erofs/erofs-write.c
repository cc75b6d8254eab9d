/* SPDX-License-Identifier: MIT */
/*
 * erofs writer: streams the plan. Metadata blocks are composed one at a
 * time in nid order (inode, xattrs, inline tail); out-of-line data goes
 * straight to its planned blocks. Block 0 goes out once complete, with
 * the superblock's checksum over it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "fs/erofs/erofs-int.h"
#include "io/sink.h"

struct wctx {
	struct erofs_plan *p;
	struct sink *out;
	uint8_t *blk;        /* the metadata block being composed */
	uint32_t cur;        /* its number */
	uint8_t *dir;        /* a directory block being rendered */
	const struct erofs_ino *dino; /* the directory */
	struct diag *d;
};

static uint64_t nid_of(const struct erofs_plan *p, const struct tree_node *n)
{
	return p->inos[n->priv - 1].nid;
}

static int flush_meta(struct wctx *w)
{
	const struct erofs_plan *p = w->p;

	if (w->cur == 0) {
		struct erofs_sb_info s = {
			.feature_compat = EROFS_FEATURE_COMPAT_MTIME |
					  (p->o.no_sbcrc ? 0 : EROFS_FEATURE_COMPAT_SB_CHKSUM),
			.blkszbits = EROFS_BLKSZ_BITS,
			.root_nid = (uint16_t)p->inos[0].nid,
			.inos = p->ninos,
			.build_time = (uint64_t)p->o.build_time,
			.blocks = p->blocks,
		};
		uint8_t *sb = w->blk + EROFS_SUPER_OFFSET;

		memcpy(s.uuid, p->o.uuid, 16);
		memcpy(s.volume_name, p->o.label, sizeof(s.volume_name));
		erofs_sb_encode(&s, sb);
		if (!p->o.no_sbcrc)
			put_le32(sb + offsetof(struct erofs_super_block, checksum),
				 erofs_sb_checksum(sb, EROFS_BLKSZ - EROFS_SUPER_OFFSET));
	}
	return sink_pwrite(w->out, w->blk, EROFS_BLKSZ, (uint64_t)w->cur * EROFS_BLKSZ);
}

static int meta_goto(struct wctx *w, uint32_t blk)
{
	int r;

	if (blk == w->cur)
		return 0;
	r = flush_meta(w);
	if (r)
		return r;
	memset(w->blk, 0, EROFS_BLKSZ);
	w->cur = blk;
	return 0;
}

static int emit_dir_block(void *ud, uint32_t b, const struct erofs_dent *e, uint32_t n)
{
	struct wctx *w = ud;
	const struct erofs_ino *x = w->dino;
	uint32_t nameoff = n * (uint32_t)sizeof(struct erofs_dirent), used;
	uint8_t *dst;

	memset(w->dir, 0, EROFS_BLKSZ);
	for (uint32_t i = 0; i < n; i++) {
		erofs_dirent_encode(nid_of(w->p, e[i].target), (uint16_t)nameoff,
				    erofs_ftype(e[i].target->mode),
				    w->dir + i * sizeof(struct erofs_dirent));
		memcpy(w->dir + nameoff, e[i].name, e[i].len);
		nameoff += e[i].len;
	}
	used = nameoff;
	if (b < x->nblocks)
		return sink_pwrite(w->out, w->dir, EROFS_BLKSZ,
				   ((uint64_t)x->blkaddr + b) * EROFS_BLKSZ);
	/* The last, partial block is the inline tail: it sits in the
	 * metadata block right after the inode and its xattrs. */
	dst = w->blk + (x->nid << EROFS_ISLOT_BITS) % EROFS_BLKSZ + (x->extended ? 64 : 32) +
	      erofs_xattr_ibody_size(x->xattr_icount);
	if (used != x->tail)
		return diag_fail(w->d, -EIO, "directory tail is %u bytes, planned %u", used, x->tail);
	memcpy(dst, w->dir, used);
	return 0;
}

static int put_xattrs(const struct erofs_plan *p, const struct erofs_ino *x, uint8_t *dst)
{
	const struct tree_node *n = x->n;
	uint32_t off = sizeof(struct erofs_xattr_ibody_header);

	if (!x->xattr_icount)
		return 0;
	memset(dst, 0, off);
	for (unsigned k = 0; k < n->nxattrs; k++) {
		const struct tree_xattr *xa = &n->xattrs[k];
		const char *suffix;
		unsigned idx = erofs_xattr_split(xa->name, &suffix);
		size_t sl = strlen(suffix), len = sizeof(struct erofs_xattr_entry) + sl + xa->len;

		dst[off] = (uint8_t)sl;
		dst[off + 1] = (uint8_t)idx;
		put_le16(dst + off + 2, (uint16_t)xa->len);
		memcpy(dst + off + 4, suffix, sl);
		if (xa->len)
			memcpy(dst + off + 4 + sl, xa->value, xa->len);
		memset(dst + off + len, 0, ((len + 3) & ~(size_t)3) - len);
		off += (uint32_t)((len + 3) & ~(size_t)3);
	}
	(void)p;
	return off == erofs_xattr_ibody_size(x->xattr_icount) ? 0 : -EIO;
}

static int write_file(struct wctx *w, const struct erofs_ino *x, uint8_t *tail)
{
	const struct tree_node *n = x->n;
	char buf[TREE_SRC_PATH_MAX], *path;
	const char *src;
	uint64_t body = x->tail ? x->size - x->tail : x->size;
	int fd, r = 0;
	ssize_t got;

	if (!x->size)
		return 0;
	src = tree_node_src_path(n, buf, sizeof(buf));
	if (!src) {
		path = tree_path(n);
		r = diag_fail(w->d, -EINVAL, "/%s: %llu bytes but no data source",
			      path ? path : "?", (unsigned long long)x->size);
		free(path);
		return r;
	}
	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(w->d, -errno, "%s: %s", src, strerror(errno));
	if (body) {
		r = sink_copy_fd(w->out, (uint64_t)x->blkaddr * EROFS_BLKSZ, fd, n->src_off, body,
				 src, w->d);
		if (r)
			goto out;
	}
	if (x->tail) {
		got = pread(fd, tail, x->tail, (off_t)(n->src_off + body));
		if (got != (ssize_t)x->tail) {
			r = diag_fail(w->d, got < 0 ? -errno : -EIO, "%s: %s", src,
				      got < 0 ? strerror(errno) : "changed while reading (shorter)");
			goto out;
		}
	}
out:
	close(fd);
	return r;
}

struct zw {
	struct wctx *w;
	const struct erofs_ino *x;
	uint8_t *idx;        /* one 8-byte index per logical cluster */
	uint32_t nidx, blk;  /* indexes; physical blocks written */
};

static int emit_extent(void *ud, uint64_t off, bool compressed, uint32_t count, const uint8_t *b)
{
	struct zw *z = ud;
	uint32_t lcn = (uint32_t)(off / EROFS_BLKSZ), ofs = (uint32_t)(off % EROFS_BLKSZ);
	uint32_t d1 = (ofs + count) / EROFS_BLKSZ; /* clusters up to the next head */
	int r;

	if (z->blk >= z->x->nblocks || off + count > z->x->size ||
	    (!d1 && off + count != z->x->size))
		return diag_fail(z->w->d, -EIO, "compressed data differs from the plan (input changed?)");
	r = sink_pwrite(z->w->out, b, EROFS_BLKSZ, ((uint64_t)z->x->blkaddr + z->blk) * EROFS_BLKSZ);
	if (r)
		return r;
	/* As mkfs.erofs' vle_write_indexes(): the head where the extent
	 * starts, NONHEAD for each further cluster it covers, and in the
	 * cluster where it ends mid-way a PLAIN index with that offset and
	 * block 0 — the next extent's head replaces it, at the end of the
	 * file it stays. A plain tail within one cluster needs neither. */
	erofs_zindex_encode(compressed ? Z_EROFS_CLUSTER_TYPE_HEAD : Z_EROFS_CLUSTER_TYPE_PLAIN,
			    (uint16_t)ofs, z->x->blkaddr + z->blk, z->idx + (size_t)lcn * 8);
	for (uint32_t d0 = 1; d0 < d1; d0++)
		erofs_zindex_encode(Z_EROFS_CLUSTER_TYPE_NONHEAD, 0, d0 | (d1 - d0) << 16,
				    z->idx + (size_t)(lcn + d0) * 8);
	if (d1 && (ofs + count) % EROFS_BLKSZ)
		erofs_zindex_encode(Z_EROFS_CLUSTER_TYPE_PLAIN, (ofs + count) % EROFS_BLKSZ, 0,
				    z->idx + (size_t)(lcn + d1) * 8);
	z->blk++;
	return 0;
}

/* A compressed file: data blocks out of line, indexes after the inode. */
static int write_zfile(struct wctx *w, const struct erofs_ino *x, uint64_t head_end)
{
	struct zw z = { .w = w, .x = x };
	uint32_t blocks = 0;
	uint64_t pos = ((head_end + 7) & ~7ull) + EROFS_ZMAP_HEADER_SIZE, len;
	int r;

	z.nidx = (uint32_t)((x->size + EROFS_BLKSZ - 1) / EROFS_BLKSZ);
	z.idx = calloc(z.nidx, 8);
	if (!z.idx)
		return diag_fail(w->d, -ENOMEM, "out of memory");
	r = erofs_z_file(w->p, x->n, emit_extent, &z, &blocks, w->d);
	if (!r && blocks != x->nblocks)
		r = diag_fail(w->d, -EIO, "compressed to %u blocks, planned %u (input changed?)",
			      blocks, x->nblocks);
	/* The index array may run over several metadata blocks. */
	len = (uint64_t)z.nidx * 8;
	for (uint64_t done = 0; !r && done < len;) {
		uint64_t at = pos + done, n = EROFS_BLKSZ - at % EROFS_BLKSZ;

		if (n > len - done)
			n = len - done;
		r = meta_goto(w, (uint32_t)(at / EROFS_BLKSZ));
		if (!r)
			memcpy(w->blk + at % EROFS_BLKSZ, z.idx + done, n);
		done += n;
	}
	free(z.idx);
	return r;
}

static int write_ino(struct wctx *w, const struct erofs_ino *x)
{
	const struct tree_node *n = x->n;
	struct erofs_inode_info ii = {
		.extended = x->extended,
		.datalayout = x->layout,
		.xattr_icount = x->xattr_icount,
		.mode = (uint16_t)n->mode,
		.nlink = n->nlink,
		.size = x->size,
		.u = x->blkaddr,
		.ino = (uint32_t)(n->priv - 1),
		.uid = x->uid,
		.gid = x->gid,
		.mtime = (uint64_t)x->mtime,
		.mtime_nsec = x->mtime_ns,
	};
	uint64_t pos = x->nid << EROFS_ISLOT_BITS;
	uint8_t *at, *tail;
	size_t isz;
	int r;

	r = meta_goto(w, (uint32_t)(pos / EROFS_BLKSZ));
	if (r)
		return r;
	if (x->layout == EROFS_INODE_FLAT_COMPRESSION_LEGACY)
		ii.u = x->nblocks; /* i_compressed_blocks */
	else if ((n->mode & 0170000) == 0020000 || (n->mode & 0170000) == 0060000)
		ii.u = erofs_encode_dev(n->rdev_major, n->rdev_minor);
	else if (!tree_is_reg(n) && !tree_is_dir(n) && !tree_is_symlink(n))
		ii.u = 0;
	at = w->blk + pos % EROFS_BLKSZ;
	isz = erofs_inode_encode(&ii, at);
	r = put_xattrs(w->p, x, at + isz);
	if (r)
		return diag_fail(w->d, r, "xattr layout differs from the plan");
	tail = at + isz + erofs_xattr_ibody_size(x->xattr_icount);
	if (x->layout == EROFS_INODE_FLAT_COMPRESSION_LEGACY)
		return write_zfile(w, x, pos + (uint64_t)(tail - at));
	if (tree_is_reg(n))
		return write_file(w, x, tail);
	if (tree_is_symlink(n)) {
		if (x->tail) {
			memcpy(tail, n->link, x->size);
			return 0;
		}
		if (!x->size)
			return 0;
		memset(w->dir, 0, EROFS_BLKSZ);
		memcpy(w->dir, n->link, x->size);
		return sink_pwrite(w->out, w->dir, EROFS_BLKSZ, (uint64_t)x->blkaddr * EROFS_BLKSZ);
	}
	if (tree_is_dir(n)) {
		struct erofs_dent *e;
		uint32_t blocks;

		r = erofs_dir_entries(n, &e);
		if (r)
			return diag_fail(w->d, r, "out of memory");
		w->dino = x;
		erofs_dir_pack(e, n->nkids + 2, &blocks, emit_dir_block, w, &r);
		free(e);
		return r;
	}
	return 0;
}

static int by_nid(const void *a, const void *b)
{
	const struct erofs_ino *x = *(const struct erofs_ino *const *)a;
	const struct erofs_ino *y = *(const struct erofs_ino *const *)b;

	return x->nid < y->nid ? -1 : x->nid > y->nid;
}

int erofs_write(struct erofs_plan *p, struct sink *out, struct diag *d)
{
	struct wctx w = { .p = p, .out = out, .d = d };
	const struct erofs_ino **order = NULL;
	int r = -ENOMEM;

	w.blk = calloc(1, EROFS_BLKSZ);
	w.dir = calloc(1, EROFS_BLKSZ);
	order = malloc(p->ninos * sizeof(*order));
	if (!w.blk || !w.dir || !order) {
		diag_fail(d, r, "out of memory");
		goto out;
	}
	/* Metadata blocks are composed one at a time: go in nid order. */
	for (uint64_t i = 0; i < p->ninos; i++)
		order[i] = &p->inos[i];
	qsort(order, p->ninos, sizeof(*order), by_nid);
	for (uint64_t i = 0; i < p->ninos; i++) {
		r = write_ino(&w, order[i]);
		if (r)
			goto out;
	}
	r = flush_meta(&w);
out:
	if (r && d && !d->msg[0])
		diag_fail(d, r, "writing erofs: %s", strerror(-r));
	free(order);
	free(w.blk);
	free(w.dir);
	return r;
}
