/* SPDX-License-Identifier: MIT */
/*
 * erofs planner: inode order, versions, nids, inline tails and data
 * blocks, all fixed before a byte is written.
 *
 * Native layout (genimage mode's is mkfs.erofs 1.5's: erofs-twin.c),
 * as mkfs.erofs lays out an uncompressed image: meta_blkaddr
 * is 0, so the root inode follows the superblock at byte 1152 (nid 36;
 * the superblock's root_nid is 16 bits wide). Inodes follow in the
 * tree's pre-order, 32-byte aligned; an inode, its xattrs and its
 * inline tail never straddle a block (the kernel maps a tail only
 * inside the inode's block): one that does not fit goes to the next
 * block, and the space it left is filled by later inodes that fit (so
 * nids are not in inode order). Out-of-line data follows the metadata.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "fs/erofs/erofs-int.h"

#define INODE_START (EROFS_SUPER_OFFSET + sizeof(struct erofs_super_block))

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

int erofs_dir_entries(const struct tree_node *n, struct erofs_dent **ret)
{
	struct erofs_dent *e = malloc(((size_t)n->nkids + 2) * sizeof(*e));
	struct erofs_dent dot = { ".", 1, n }, dotdot = { "..", 2, n->parent ? n->parent : n };
	uint32_t k = 0, i = 0;
	bool dot_done = false, dotdot_done = false;

	if (!e)
		return -ENOMEM;
	/* Kids are sorted bytewise; "." and ".." go where strcmp puts them
	 * (names such as "-x" or ".-" sort before them). */
	while (i < n->nkids || !dot_done || !dotdot_done) {
		const char *kn = i < n->nkids ? n->kids[i]->name : NULL;

		if (!dot_done && (!kn || strcmp(".", kn) < 0)) {
			e[k++] = dot;
			dot_done = true;
		} else if (dot_done && !dotdot_done && (!kn || strcmp("..", kn) < 0)) {
			e[k++] = dotdot;
			dotdot_done = true;
		} else {
			e[k].name = kn;
			e[k].len = (uint32_t)strlen(kn);
			e[k].target = erofs_primary(n->kids[i]);
			k++;
			i++;
		}
	}
	*ret = e;
	return 0;
}

uint64_t erofs_dir_pack(const struct erofs_dent *e, uint32_t n, uint32_t *ret_blocks,
			int (*emit)(void *ud, uint32_t blk, const struct erofs_dent *e, uint32_t n),
			void *ud, int *ret_err)
{
	uint32_t blk = 0, start = 0;
	uint64_t used = 0;

	*ret_err = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t need = sizeof(struct erofs_dirent) + e[i].len;

		if (used + need > EROFS_BLKSZ) {
			if (emit && (*ret_err = emit(ud, blk, e + start, i - start)))
				return 0;
			blk++;
			start = i;
			used = 0;
		}
		used += need;
	}
	if (emit && (*ret_err = emit(ud, blk, e + start, n - start)))
		return 0;
	*ret_blocks = blk + 1;
	return (uint64_t)blk * EROFS_BLKSZ + used;
}

static int xattr_ibody(const struct erofs_plan *p, const struct tree_node *n, uint16_t *ret,
		       struct diag *d)
{
	uint32_t size = sizeof(struct erofs_xattr_ibody_header);

	*ret = 0;
	if (p->o.no_xattrs || !n->nxattrs)
		return 0;
	for (unsigned k = 0; k < n->nxattrs; k++) {
		const struct tree_xattr *x = &n->xattrs[k];
		const char *suffix;
		char *path;

		if (!erofs_xattr_split(x->name, &suffix) || strlen(suffix) > 255 ||
		    x->len > 0xFFFF) {
			path = tree_path(n);
			diag_fail(d, -EINVAL, "/%s: xattr \"%s\" (%u bytes): %s", path ? path : "?",
				  x->name, x->len,
				  erofs_xattr_split(x->name, &suffix)
					  ? "too long for erofs (name 255, value 65535 bytes)"
					  : "erofs stores only user., trusted., security., lustre. and POSIX ACL xattrs");
			free(path);
			return -EINVAL;
		}
		size += (uint32_t)align_up(sizeof(struct erofs_xattr_entry) + strlen(suffix) + x->len, 4);
		if (size > EROFS_BLKSZ - sizeof(struct erofs_inode_extended)) {
			path = tree_path(n);
			diag_fail(d, -EINVAL, "/%s: xattrs take more than a %u-byte block with the inode",
				  path ? path : "?", EROFS_BLKSZ);
			free(path);
			return -EINVAL;
		}
	}
	*ret = (uint16_t)(1 + (size - sizeof(struct erofs_xattr_ibody_header)) / 4);
	return 0;
}

/* i_size of every inode; directories are packed to know theirs. */
static int size_of(const struct tree_node *n, uint64_t *ret, struct diag *d)
{
	struct erofs_dent *e;
	uint32_t blocks;
	int r;

	if (tree_is_reg(n)) {
		*ret = n->size;
	} else if (tree_is_symlink(n)) {
		*ret = strlen(n->link ? n->link : "");
		/* Linux reads a symlink target of up to a block less its NUL. */
		if (*ret >= EROFS_BLKSZ) {
			char *path = tree_path(n);

			diag_fail(d, -ENAMETOOLONG, "/%s: symlink target of %llu bytes (at most %u)",
				  path ? path : "?", (unsigned long long)*ret, EROFS_BLKSZ - 1);
			free(path);
			return -ENAMETOOLONG;
		}
	} else if ((n->mode & 0170000) == 0020000 || (n->mode & 0170000) == 0060000) {
		*ret = 0;
		/* i_u holds the device as Linux's new_encode_dev: 12-bit major, 20-bit minor. */
		if (n->rdev_major > 0xFFF || n->rdev_minor > 0xFFFFF) {
			char *path = tree_path(n);

			diag_fail(d, -EOVERFLOW, "/%s: device %u:%u does not fit erofs (major < 4096, minor < 1048576)",
				  path ? path : "?", n->rdev_major, n->rdev_minor);
			free(path);
			return -EOVERFLOW;
		}
	} else if (tree_is_dir(n)) {
		for (uint32_t i = 0; i < n->nkids; i++)
			if (strlen(n->kids[i]->name) > EROFS_NAME_LEN) {
				char *path = tree_path(n->kids[i]);

				diag_fail(d, -ENAMETOOLONG, "/%s: name longer than %u bytes",
					  path ? path : "?", EROFS_NAME_LEN);
				free(path);
				return -ENAMETOOLONG;
			}
		r = erofs_dir_entries(n, &e);
		if (r)
			return diag_fail(d, r, "out of memory");
		*ret = erofs_dir_pack(e, n->nkids + 2, &blocks, NULL, NULL, &r);
		free(e);
	} else {
		*ret = 0;
	}
	return 0;
}

struct collect {
	struct erofs_plan *p;
	uint64_t cap;
	int err;
};

static int collect_cb(struct tree_node *n, void *ud)
{
	struct collect *c = ud;
	struct tree_node *prim = n->hardlink ? n->hardlink : n;

	if (prim->priv)
		return 0;
	if (c->p->ninos == c->cap) {
		uint64_t cap = c->cap ? c->cap * 2 : 256;
		struct erofs_ino *v = realloc(c->p->inos, cap * sizeof(*v));

		if (!v) {
			c->err = -ENOMEM;
			return 1;
		}
		c->p->inos = v;
		c->cap = cap;
	}
	memset(&c->p->inos[c->p->ninos], 0, sizeof(c->p->inos[0]));
	c->p->inos[c->p->ninos].n = prim;
	prim->priv = ++c->p->ninos;
	return 0;
}

static bool needs_extended(const struct erofs_plan *p, const struct erofs_ino *x)
{
	if (p->o.inodes == EROFS_INODE_EXTENDED)
		return true;
	if (x->size > UINT32_MAX || x->uid > 0xFFFF || x->gid > 0xFFFF || x->n->nlink > 0xFFFF)
		return true;
	/* Compact inodes have no mtime: they read as the build time. */
	return p->o.inodes == EROFS_INODE_AUTO &&
	       (x->mtime != p->o.build_time || x->mtime_ns != 0);
}

/*
 * Space left at the end of metadata blocks when an inode did not fit:
 * later, smaller inodes fill it first-fit (as mkfs.erofs' buffer
 * manager does), so inline tails waste little. Bounded: the 16 largest.
 */
#define EROFS_MAX_GAPS 16
struct gaps {
	uint64_t pos[EROFS_MAX_GAPS], end[EROFS_MAX_GAPS];
	unsigned n;
};

static void gap_add(struct gaps *g, uint64_t pos, uint64_t end)
{
	unsigned k = g->n, min = 0;

	if (end - pos < (1u << EROFS_ISLOT_BITS))
		return;
	if (g->n == EROFS_MAX_GAPS) {
		for (unsigned i = 1; i < g->n; i++)
			if (g->end[i] - g->pos[i] < g->end[min] - g->pos[min])
				min = i;
		if (g->end[min] - g->pos[min] >= end - pos)
			return;
		k = min;
	} else {
		g->n++;
	}
	g->pos[k] = pos;
	g->end[k] = end;
}

/* First gap with room for @meta bytes: its position, or 0 if none. */
static uint64_t gap_take(struct gaps *g, uint64_t meta)
{
	for (unsigned i = 0; i < g->n; i++) {
		uint64_t at = g->pos[i];

		if (g->end[i] - at < meta)
			continue;
		g->pos[i] = align_up(at + meta, 1u << EROFS_ISLOT_BITS);
		if (g->pos[i] + (1u << EROFS_ISLOT_BITS) > g->end[i]) {
			g->pos[i] = g->pos[--g->n];
			g->end[i] = g->end[g->n];
		}
		return at;
	}
	return 0;
}

int erofs_ino_attrs(const struct erofs_plan *p, struct erofs_ino *x, struct diag *d)
{
	const struct tree_node *n = x->n;
	int r;

	x->uid = p->o.all_root ? 0 : p->o.force_uid ? p->o.uid : n->uid;
	x->gid = p->o.all_root ? 0 : p->o.force_gid ? p->o.gid : n->gid;
	x->mtime = p->o.fixed_time ? p->o.build_time : n->mtime;
	x->mtime_ns = p->o.fixed_time ? 0 : n->mtime_ns;
	if ((r = size_of(n, &x->size, d)) || (r = xattr_ibody(p, n, &x->xattr_icount, d)))
		return r;
	x->extended = needs_extended(p, x);
	if (!x->extended && p->o.inodes == EROFS_INODE_COMPACT) {
		x->mtime = p->o.build_time;
		x->mtime_ns = 0;
	}
	return 0;
}

static int place(struct erofs_plan *p, struct diag *d)
{
	uint64_t pos = INODE_START, next, at;
	struct gaps gaps = { .n = 0 };

	for (uint64_t i = 0; i < p->ninos; i++) {
		struct erofs_ino *x = &p->inos[i];
		const struct tree_node *n = x->n;
		uint64_t meta, tail = 0;
		bool has_data = tree_is_reg(n) || tree_is_dir(n) || tree_is_symlink(n);
		int r;

		if ((r = erofs_ino_attrs(p, x, d)))
			return r;
		meta = (x->extended ? 64 : 32) + erofs_xattr_ibody_size(x->xattr_icount);
		if (has_data && !p->o.no_inline && x->size % EROFS_BLKSZ &&
		    meta + x->size % EROFS_BLKSZ <= EROFS_BLKSZ)
			tail = x->size % EROFS_BLKSZ;
		x->layout = tail ? EROFS_INODE_FLAT_INLINE : EROFS_INODE_FLAT_PLAIN;
		if (tree_is_reg(n) && p->o.compress && x->size > EROFS_BLKSZ) {
			uint32_t zb;

			if ((r = erofs_z_file(p, n, NULL, NULL, &zb, d)))
				return r;
			/* Compressed only when it saves blocks (mkfs.erofs). */
			if (zb < (x->size + EROFS_BLKSZ - 1) / EROFS_BLKSZ) {
				x->layout = EROFS_INODE_FLAT_COMPRESSION_LEGACY;
				x->zblocks = zb;
				tail = 0;
			}
		}
		x->tail = (uint32_t)tail;
		meta += tail;
		if (x->layout != EROFS_INODE_FLAT_COMPRESSION_LEGACY && (at = gap_take(&gaps, meta))) {
			x->nid = at >> EROFS_ISLOT_BITS;
		} else {
			if (pos % EROFS_BLKSZ + meta > EROFS_BLKSZ) {
				gap_add(&gaps, pos, align_up(pos, EROFS_BLKSZ));
				pos = align_up(pos, EROFS_BLKSZ);
			}
			x->nid = pos >> EROFS_ISLOT_BITS;
			if (x->layout == EROFS_INODE_FLAT_COMPRESSION_LEGACY)
				meta += erofs_zmeta_size(meta, x->size); /* indexes may cross blocks */
			pos = align_up(pos + meta, 1u << EROFS_ISLOT_BITS);
		}
		if (x->layout == EROFS_INODE_FLAT_COMPRESSION_LEGACY) {
			x->nblocks = x->zblocks;
		} else if (has_data) {
			uint64_t nb = tail ? x->size / EROFS_BLKSZ
					   : (x->size + EROFS_BLKSZ - 1) / EROFS_BLKSZ;

			if (nb > UINT32_MAX)
				return diag_fail(d, -EFBIG, "a file of %llu bytes is too big for erofs",
						 (unsigned long long)x->size);
			x->nblocks = (uint32_t)nb;
		}
	}
	if (p->inos[0].nid > 0xFFFF)
		return diag_fail(d, -EFBIG, "root nid %llu does not fit the superblock",
				 (unsigned long long)p->inos[0].nid);
	next = align_up(pos, EROFS_BLKSZ) / EROFS_BLKSZ;
	p->meta_blocks = (uint32_t)next;
	for (uint64_t i = 0; i < p->ninos; i++) {
		struct erofs_ino *x = &p->inos[i];

		x->blkaddr = EROFS_NULL_ADDR;
		if (!x->nblocks)
			continue;
		x->blkaddr = (uint32_t)next;
		next += x->nblocks;
		if (next >= EROFS_NULL_ADDR)
			return diag_fail(d, -EFBIG, "the tree needs more than 2^32 blocks");
	}
	if (next > UINT32_MAX)
		return diag_fail(d, -EFBIG, "the tree needs more than 2^32 blocks");
	p->blocks = (uint32_t)next;
	return 0;
}

int erofs_plan_new(struct erofs_plan **ret, struct tree *t, const struct erofs_opts *o,
		   struct diag *d)
{
	struct erofs_plan *p = calloc(1, sizeof(*p));
	struct collect c = { 0 };
	int r;

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	p->t = t;
	p->o = *o;
	tree_finish(t);
	c.p = p;
	/* priv numbers inodes from 1 (0: not seen yet). */
	tree_walk(t, collect_cb, &c);
	if (c.err) {
		r = diag_fail(d, c.err, "out of memory");
		goto fail;
	}
	/* The twin layout has no compressed files: those use kiln's own. */
	r = o->twin_mkfs15 && !o->compress ? erofs_place_twin(p, d) : place(p, d);
	if (r)
		goto fail;
	if (o->size && o->size < erofs_plan_bytes(p)) {
		r = diag_fail(d, -ENOSPC, "erofs needs %llu bytes, size is %llu",
			      (unsigned long long)erofs_plan_bytes(p), (unsigned long long)o->size);
		goto fail;
	}
	*ret = p;
	return 0;
fail:
	erofs_plan_free(p);
	return r;
}

uint64_t erofs_plan_bytes(const struct erofs_plan *p)
{
	return (uint64_t)p->blocks * EROFS_BLKSZ;
}

void erofs_plan_summary(const struct erofs_plan *p, char *buf, size_t len)
{
	uint64_t ext = 0, inl = 0, z = 0;

	for (uint64_t i = 0; i < p->ninos; i++) {
		ext += p->inos[i].extended;
		inl += p->inos[i].layout == EROFS_INODE_FLAT_INLINE;
		z += p->inos[i].layout == EROFS_INODE_FLAT_COMPRESSION_LEGACY;
	}
	snprintf(buf, len,
		 "erofs: %llu inodes (%llu extended, %llu with inline tails, %llu %s-compressed), %u blocks of %u (%u of metadata)",
		 (unsigned long long)p->ninos, (unsigned long long)ext, (unsigned long long)inl,
		 (unsigned long long)z, p->o.compress == EROFS_COMPRESS_LZ4HC ? "lz4hc" : "lz4",
		 p->blocks, EROFS_BLKSZ, p->meta_blocks);
}

void erofs_plan_free(struct erofs_plan *p)
{
	if (!p)
		return;
	for (uint64_t i = 0; i < p->ninos; i++)
		p->inos[i].n->priv = 0;
	free(p->inos);
	free(p);
}
