/* SPDX-License-Identifier: MIT */
/*
 * erofs placement as Debian 12's mkfs.erofs 1.5 does it, so that an
 * uncompressed image in genimage mode is that tool's byte twin.
 *
 * mkfs.erofs 1.5 has no layout pass: it walks the tree once (sorted
 * pre-order, "." and ".." sorted in with the names) and allocates
 * space from a buffer manager as it goes. Each inode's full data
 * blocks are allocated before its inode and mapped to block addresses
 * at once, which also maps every metadata block allocated so far;
 * inodes (32-byte aligned, with their inline tail) go into the fullest
 * mapped metadata block they fit, else the best of the last mapped one
 * and the unmapped ones after it, else a new block; after each child
 * of a directory the child's block is mapped. Where bytes land thus
 * depends on that whole history, so it is replayed here step by step:
 * the same allocator rules in the same order give the same nids and
 * block numbers (docs/formats/erofs.md, "genimage mode").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "fs/erofs/erofs-int.h"

enum { T_DATA, T_META, T_NTYPES };

/* A run of blocks being filled (mkfs.erofs' buffer block). */
struct bb {
	struct bb *prev, *next;   /* allocation order */
	struct bb *bprev, *bnext; /* its bucket: mapped runs by used % 4096 */
	uint64_t used;            /* bytes allocated from its start */
	uint64_t blkaddr;         /* EROFS_NULL_ADDR until mapped */
	uint16_t bkt;             /* bucket it is in, if in_bucket */
	uint8_t type;
	bool in_bucket;
};

struct bucket {
	struct bb *first, *last;
};

struct twin_ino {
	struct bb *ibb;           /* the inode's run; NULL until built */
	uint64_t ioff;            /* the inode's byte offset in that run */
	struct bb *dbb;           /* its data run while it is being built */
	uint32_t idata;           /* bytes of its tail (size % 4096) */
};

struct twin {
	struct erofs_plan *p;
	struct twin_ino *ti;
	struct bb head;           /* list sentinel: never mapped */
	struct bb *last_mapped;
	uint64_t tail_blk;        /* first block no run has mapped */
	struct bucket (*buckets)[EROFS_BLKSZ];
	struct diag *d;
};

static uint64_t blocks_of(uint64_t bytes)
{
	return (bytes + EROFS_BLKSZ - 1) / EROFS_BLKSZ;
}

static uint64_t align_to(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static void bucket_del(struct twin *w, struct bb *b)
{
	struct bucket *k = &w->buckets[b->type][b->bkt];

	if (!b->in_bucket)
		return;
	if (b->bprev)
		b->bprev->bnext = b->bnext;
	else
		k->first = b->bnext;
	if (b->bnext)
		b->bnext->bprev = b->bprev;
	else
		k->last = b->bprev;
	b->bprev = b->bnext = NULL;
	b->in_bucket = false;
}

/* A mapped run moves to the end of the bucket of its new fill. */
static void bucket_update(struct twin *w, struct bb *b)
{
	struct bucket *k;

	if (b->blkaddr == EROFS_NULL_ADDR)
		return;
	bucket_del(w, b);
	b->bkt = (uint16_t)(b->used % EROFS_BLKSZ);
	k = &w->buckets[b->type][b->bkt];
	b->bprev = k->last;
	if (k->last)
		k->last->bnext = b;
	else
		k->first = b;
	k->last = b;
	b->in_bucket = true;
}

/*
 * Attach @incr bytes aligned to @align to run @b, with @extra more bytes
 * that must fit the same block. Returns where the bytes end in their
 * last block (1..4096), or -EINVAL when @b cannot grow that far; with
 * @ret_off the attachment is made and its offset in @b stored there.
 */
static int64_t attach(struct twin *w, struct bb *b, uint64_t incr, uint32_t align,
		      uint32_t extra, uint64_t *ret_off)
{
	uint64_t at = align_to(b->used, align);
	/* "used - 1" wraps for an empty run: it counts as a full block. */
	uint64_t last = (b->used - 1) % EROFS_BLKSZ + 1;
	uint64_t end = align_to(last, align) + incr + extra;
	bool tailupdate = false;

	if (end >= EROFS_BLKSZ) {
		if (end > EROFS_BLKSZ && b->next->blkaddr != EROFS_NULL_ADDR)
			return -EINVAL;
		if (b->blkaddr != EROFS_NULL_ADDR) {
			tailupdate = w->tail_blk == b->blkaddr + blocks_of(b->used);
			if (end > EROFS_BLKSZ && !tailupdate)
				return -EINVAL;
		}
	}
	if (ret_off) {
		*ret_off = at;
		b->used = at + incr;
		if (tailupdate)
			w->tail_blk = b->blkaddr + blocks_of(b->used);
		bucket_update(w, b);
	}
	return (int64_t)((at + incr - 1) % EROFS_BLKSZ + 1);
}

/* Give @b the next free block address, if it has none. */
static void map_one(struct twin *w, struct bb *b)
{
	uint64_t end;

	if (b->blkaddr == EROFS_NULL_ADDR) {
		b->blkaddr = w->tail_blk;
		w->last_mapped = b;
		bucket_update(w, b);
	}
	end = b->blkaddr + blocks_of(b->used);
	if (end > w->tail_blk)
		w->tail_blk = end;
}

/* Map every run up to @b (all runs with NULL): the runs after the last
 * mapped one get addresses in list order. Returns @b's address, or the
 * first free block for NULL. */
static uint64_t map_upto(struct twin *w, struct bb *b)
{
	struct bb *t = w->last_mapped;

	if (b && b->blkaddr != EROFS_NULL_ADDR)
		return b->blkaddr;
	do {
		t = t->next;
		if (t == &w->head)
			break;
		map_one(w, t);
	} while (t != b);
	return w->tail_blk;
}

/* The run to attach @size + @inl bytes to, NULL for a new one, or -ENOSPC
 * when the inline part cannot share the block. */
static int find_run(struct twin *w, uint8_t type, uint64_t size, uint32_t inl, uint32_t align,
		    struct bb **ret)
{
	uint64_t used0 = size % EROFS_BLKSZ + inl, usedmax = 0;
	struct bb *b = NULL, *cur;

	*ret = NULL;
	if (used0 > EROFS_BLKSZ)
		return -ENOSPC;
	if (!used0 || align == EROFS_BLKSZ)
		return 0;
	/* The fullest mapped run the bytes still fit, unless it is the last
	 * mapped one, which the scan below may grow. */
	if (size + inl < EROFS_BLKSZ) {
		for (uint64_t before = (EROFS_BLKSZ - (size + inl)) / align * align; before; before--) {
			struct bb *c = w->buckets[type][before].first;
			int64_t r;

			if (!c || c->next->blkaddr == EROFS_NULL_ADDR)
				continue;
			r = attach(w, c, size, align, inl, NULL);
			if (r < 0)
				continue;
			b = c;
			usedmax = (uint64_t)r + inl;
			break;
		}
	}
	cur = w->last_mapped == &w->head ? w->head.next : w->last_mapped;
	for (; cur != &w->head; cur = cur->next) {
		uint64_t before = cur->used % EROFS_BLKSZ, used;
		int64_t r;

		if (!before || cur->type != type)
			continue;
		r = attach(w, cur, size, align, inl, NULL);
		if (r < 0)
			continue;
		used = (uint64_t)r % EROFS_BLKSZ + inl;
		if (used > EROFS_BLKSZ || (used < before && used < used0))
			continue;
		if (usedmax < used) {
			b = cur;
			usedmax = used;
		}
	}
	*ret = b;
	return 0;
}

/*
 * Allocate @size bytes (@inl more must share their last block): type
 * @type, aligned to @align. *ret_b and *ret_off say where.
 */
static int alloc(struct twin *w, uint8_t type, uint32_t align, uint64_t size, uint32_t inl,
		 struct bb **ret_b, uint64_t *ret_off)
{
	struct bb *b;
	int r = find_run(w, type, size, inl, align, &b);

	if (r)
		return r;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return diag_fail(w->d, -ENOMEM, "out of memory");
		b->type = type;
		b->blkaddr = EROFS_NULL_ADDR;
		b->prev = w->head.prev;
		b->next = &w->head;
		w->head.prev->next = b;
		w->head.prev = b;
	}
	if (attach(w, b, size, align, inl, ret_off) < 0)
		return diag_fail(w->d, -EIO, "erofs: mkfs.erofs placement failed");
	*ret_b = b;
	return 0;
}

/* A data run is dropped once its inode is built: it leaves every list. */
static void drop(struct twin *w, struct bb *b)
{
	if (b == w->last_mapped)
		w->last_mapped = b->prev;
	bucket_del(w, b);
	b->prev->next = b->next;
	b->next->prev = b->prev;
	free(b);
}

static struct erofs_ino *ino_of(const struct twin *w, const struct tree_node *n)
{
	return &w->p->inos[erofs_primary(n)->priv - 1];
}

/* Full data blocks come first, mapped at once. */
static int alloc_data(struct twin *w, struct erofs_ino *x, struct twin_ino *t, uint64_t nblocks)
{
	uint64_t off;
	int r;

	x->blkaddr = EROFS_NULL_ADDR;
	x->nblocks = (uint32_t)nblocks;
	if (!nblocks)
		return 0;
	if (nblocks >= EROFS_NULL_ADDR)
		return diag_fail(w->d, -EFBIG, "a file of %llu bytes is too big for erofs",
				 (unsigned long long)x->size);
	r = alloc(w, T_DATA, EROFS_BLKSZ, nblocks * EROFS_BLKSZ, 0, &t->dbb, &off);
	if (r)
		return r;
	map_upto(w, t->dbb);
	if (t->dbb->blkaddr + nblocks >= EROFS_NULL_ADDR)
		return diag_fail(w->d, -EFBIG, "the tree needs more than 2^32 blocks");
	x->blkaddr = (uint32_t)t->dbb->blkaddr;
	return 0;
}

/* The inode, its xattrs and, when they fit its block, its tail. */
static int alloc_inode(struct twin *w, struct erofs_ino *x, struct twin_ino *t)
{
	uint64_t isize = (x->extended ? 64 : 32) + erofs_xattr_ibody_size(x->xattr_icount), off;
	/* -E noinline_data keeps only regular files' tails out of line. */
	bool noinline = w->p->o.no_inline && tree_is_reg(x->n);
	int r = -ENOSPC;

	x->layout = EROFS_INODE_FLAT_PLAIN;
	x->tail = 0;
	if (!noinline) {
		r = alloc(w, T_META, 1u << EROFS_ISLOT_BITS, isize, t->idata, &t->ibb, &t->ioff);
		if (r && r != -ENOSPC)
			return r;
	}
	if (!r) {
		if (t->idata) {
			/* The tail follows the inode at once, unaligned. */
			x->layout = EROFS_INODE_FLAT_INLINE;
			x->tail = t->idata;
			if (attach(w, t->ibb, t->idata, 1, 0, &off) < 0)
				return diag_fail(w->d, -EIO, "erofs: mkfs.erofs placement failed");
		}
		return 0;
	}
	/* No room inline: the tail gets a block of its own after the data. */
	if (t->idata) {
		if (!t->dbb) {
			r = alloc(w, T_DATA, EROFS_BLKSZ, EROFS_BLKSZ, 0, &t->dbb, &off);
			if (r)
				return r;
			if (map_upto(w, t->dbb) >= EROFS_NULL_ADDR - 1)
				return diag_fail(w->d, -EFBIG, "the tree needs more than 2^32 blocks");
			x->blkaddr = (uint32_t)t->dbb->blkaddr;
		} else if (attach(w, t->dbb, EROFS_BLKSZ, 1, 0, &off) < 0) {
			return diag_fail(w->d, -EIO, "erofs: mkfs.erofs placement failed");
		}
		x->nblocks++;
	}
	return alloc(w, T_META, 1u << EROFS_ISLOT_BITS, isize, 0, &t->ibb, &t->ioff);
}

static int build(struct twin *w, const struct tree_node *n, bool root);

/* Map the run of the inode an entry names: mkfs.erofs looks its nid up. */
static void lookup(struct twin *w, const struct tree_node *n)
{
	map_upto(w, w->ti[erofs_primary(n)->priv - 1].ibb);
}

static int build_dir(struct twin *w, struct erofs_ino *x, struct twin_ino *t, bool root)
{
	const struct tree_node *n = x->n;
	struct erofs_dent *e;
	int r;

	if ((r = alloc_data(w, x, t, x->size / EROFS_BLKSZ)) || (r = alloc_inode(w, x, t)))
		return r;
	if (root) {
		map_upto(w, t->ibb);
		/* The superblock's root_nid is 16 bits (mkfs.erofs would move
		 * meta_blkaddr; a root this far in cannot happen in practice). */
		if (((uint64_t)t->ibb->blkaddr * EROFS_BLKSZ + t->ioff) >> EROFS_ISLOT_BITS > 0xFFFF)
			return diag_fail(w->d, -EFBIG, "erofs: the root inode lies beyond nid 65535");
	}
	r = erofs_dir_entries(n, &e);
	if (r)
		return diag_fail(w->d, r, "out of memory");
	for (uint32_t i = 0; i < n->nkids + 2 && !r; i++) {
		bool dots = !strcmp(e[i].name, ".") || !strcmp(e[i].name, "..");

		if (!dots && !w->ti[e[i].target->priv - 1].ibb)
			r = build(w, e[i].target, false);
		if (!r)
			lookup(w, e[i].target);
	}
	free(e);
	return r;
}

static int build(struct twin *w, const struct tree_node *n, bool root)
{
	struct erofs_ino *x = ino_of(w, n);
	struct twin_ino *t = &w->ti[erofs_primary(n)->priv - 1];
	int r;

	t->idata = 0;
	if (tree_is_dir(n) || tree_is_symlink(n) || (tree_is_reg(n) && x->size)) {
		t->idata = (uint32_t)(x->size % EROFS_BLKSZ);
		if (tree_is_dir(n))
			r = build_dir(w, x, t, root);
		else
			r = alloc_data(w, x, t, x->size / EROFS_BLKSZ) ?: alloc_inode(w, x, t);
	} else {
		/* Empty files keep block address 0; devices, FIFOs and sockets
		 * store their device number there (the writer's business). */
		x->nblocks = 0;
		x->blkaddr = 0;
		r = alloc_inode(w, x, t);
	}
	if (t->dbb) {
		drop(w, t->dbb);
		t->dbb = NULL;
	}
	return r;
}

int erofs_place_twin(struct erofs_plan *p, struct diag *d)
{
	struct twin w = { .p = p, .d = d };
	struct bb *sb, *b, *nb;
	uint64_t off, meta = 0;
	int r = -ENOMEM;

	w.head.prev = w.head.next = &w.head;
	w.head.blkaddr = EROFS_NULL_ADDR;
	w.last_mapped = &w.head;
	w.ti = calloc(p->ninos, sizeof(*w.ti));
	w.buckets = calloc(T_NTYPES, sizeof(*w.buckets));
	if (!w.ti || !w.buckets) {
		diag_fail(d, r, "out of memory");
		goto out;
	}
	for (uint64_t i = 0; i < p->ninos; i++)
		if ((r = erofs_ino_attrs(p, &p->inos[i], d)))
			goto out;
	/* Block 0 starts with 1024 bytes of nothing and the superblock. */
	r = alloc(&w, T_META, 1, 0, 0, &sb, &off);
	if (r)
		goto out;
	attach(&w, sb, EROFS_SUPER_OFFSET + sizeof(struct erofs_super_block), 1, 0, &off);
	r = build(&w, p->inos[0].n, true);
	if (r)
		goto out;
	if (map_upto(&w, NULL) >= EROFS_NULL_ADDR) {
		r = diag_fail(d, -EFBIG, "the tree needs more than 2^32 blocks");
		goto out;
	}
	p->blocks = (uint32_t)w.tail_blk;
	for (uint64_t i = 0; i < p->ninos; i++)
		p->inos[i].nid = ((uint64_t)w.ti[i].ibb->blkaddr * EROFS_BLKSZ + w.ti[i].ioff) >>
				 EROFS_ISLOT_BITS;
	for (b = w.head.next; b != &w.head; b = b->next)
		meta += b->type == T_META ? blocks_of(b->used) : 0;
	p->meta_blocks = (uint32_t)meta;
out:
	for (b = w.head.next; b != &w.head; b = nb) {
		nb = b->next;
		free(b);
	}
	free(w.ti);
	free(w.buckets);
	return r;
}
