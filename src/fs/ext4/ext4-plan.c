/* SPDX-License-Identifier: MIT */
/*
 * The ext4 planner: inode numbers in sorted pre-order, the size (the one
 * given, or the smallest that fits plus the margin, found by repeated
 * layout attempts in ext4-geom.c; blocks are allocated by ext4-alloc.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/diag.h"
#include "fs/ext4/ext4-int.h"
#include "fs/tree.h"

/* mke2fs.conf's size types: block size and inode ratio. */
static void usage_defaults(const char *type, uint64_t bytes, uint32_t *bs, uint32_t *ratio)
{
	if (!type)
		type = bytes < 3ull << 20 ? "floppy" : bytes < 512ull << 20 ? "small"
			: bytes >= 16ull << 40 ? "huge" : bytes >= 4ull << 40 ? "big" : "default";
	*bs = 4096;
	*ratio = 16384;
	if (!strcmp(type, "floppy")) {
		*bs = 1024;
		*ratio = 8192;
	} else if (!strcmp(type, "small")) {
		*bs = 1024;
		*ratio = 4096;
	} else if (!strcmp(type, "news")) {
		*ratio = 4096;
	} else if (!strcmp(type, "big")) {
		*ratio = 32768;
	} else if (!strcmp(type, "huge")) {
		*ratio = 65536;
	} else if (!strcmp(type, "largefile")) {
		*ratio = 1048576;
	} else if (!strcmp(type, "largefile4")) {
		*ratio = 4194304;
	}
}

/* ---- inode numbering ------------------------------------------------- */

struct numctx {
	struct ext4_plan *p;
	uint32_t next;
	uint32_t count; /* distinct inodes */
};

static int number_cb(struct tree_node *n, void *ud)
{
	struct numctx *c = ud;

	if (!n->parent) {
		n->priv = EXT4_ROOT_INO;
		return 0;
	}
	if (n->hardlink)
		return 0;
	if (!n->parent->parent && c->p->lpf_in_tree && !strcmp(n->name, "lost+found")) {
		n->priv = EXT4_FIRST_INO;
		return 0;
	}
	n->priv = c->next++;
	return 0;
}

void ext4_plan_clear(struct ext4_plan *p)
{
	if (p->inodes)
		for (uint32_t i = 0; i <= p->used_inodes; i++)
			if (p->inodes[i].next > 1)
				free(p->inodes[i].ext.many);
	ext4_quota_clear(p);
	free(p->inodes);
	free(p->groups);
	free(p->bbm);
	p->inodes = NULL;
	p->groups = NULL;
	p->bbm = NULL;
}

void ext4_plan_free(struct ext4_plan *p)
{
	if (!p)
		return;
	ext4_plan_clear(p);
	free(p);
}

struct counts {
	uint32_t inodes;  /* tree inodes (distinct) */
	uint64_t bytes;   /* rough data size, for the first size guess */
	struct tree_node *late; /* first with a time a 128-byte inode cannot hold */
};

static int count_cb(struct tree_node *n, void *ud)
{
	struct counts *c = ud;

	if (n->hardlink)
		return 0;
	if (!ext4_time_fits_small(n->mtime) && !c->late)
		c->late = n;
	c->inodes++;
	if (tree_is_reg(n))
		c->bytes += n->size + 4096;
	else if (tree_is_dir(n))
		c->bytes += 4096 + 64ull * n->nkids;
	else
		c->bytes += 64;
	return 0;
}

uint64_t ext4_plan_bytes(const struct ext4_plan *p)
{
	return p->blocks * p->bs;
}

void ext4_plan_summary(const struct ext4_plan *p, char *buf, size_t len)
{
	snprintf(buf, len, "%llu blocks of %u, %u groups, %u inodes (%u used), %llu blocks free",
		 (unsigned long long)p->blocks, p->bs, p->ngroups, p->ninodes, p->used_inodes,
		 (unsigned long long)p->free_blocks);
}

int ext4_plan_new(struct ext4_plan **ret, struct tree *t, const struct ext4_opts *o,
		  struct diag *d)
{
	struct ext4_plan *p = calloc(1, sizeof(*p));
	struct counts c = { 0 };
	struct numctx nc;
	uint32_t bs, ratio;
	uint64_t blocks, inodes = o->inodes, short_by;
	int r;

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	p->tree = t;
	p->o = *o;
	tree_finish(t);
	tree_walk(t, count_cb, &c);

	/* Geometry defaults from mke2fs.conf's usage types. */
	uint64_t guess = o->size ? o->size : c.bytes + c.bytes / 8 + (2ull << 20);
	usage_defaults(o->usage_type, guess, &bs, &ratio);
	if (o->block_size)
		bs = o->block_size;
	if (bs != 1024 && bs != 2048 && bs != 4096) {
		free(p);
		return diag_fail(d, -EINVAL, "block size %u: must be 1024, 2048 or 4096", bs);
	}
	p->bs = bs;
	p->log_bs = bs == 1024 ? 0 : bs == 2048 ? 1 : 2;
	p->o.inode_ratio = o->inode_ratio ? o->inode_ratio : ratio;
	if (p->o.inode_ratio < 1024 || p->o.inode_ratio > 67108864) {
		uint32_t v = p->o.inode_ratio;
		free(p);
		return diag_fail(d, -EINVAL, "inode ratio %u: must be 1024..67108864", v);
	}
	p->inode_size = o->inode_size ? o->inode_size : 256;
	if (p->inode_size < 128 || p->inode_size > bs || (p->inode_size & (p->inode_size - 1))) {
		uint32_t v = p->inode_size;
		free(p);
		return diag_fail(d, -EINVAL, "inode size %u: must be a power of 2 from 128 to the block size",
				 v);
	}
	if (p->inode_size == 128) {
		p->o.ro_compat &= ~EXT4_RO_COMPAT_EXTRA_ISIZE;
		/* Such inodes have no epoch bits: the kernel would read these
		 * times back in 1901..2038. */
		if (c.late) {
			char *path = tree_path(c.late);
			diag_warn(d, "128-byte inodes cannot store times outside 1901-12-13..2038-01-19: "
				  "\"/%s\" (time %lld) will read back wrong; use inode size 256",
				  path ? path : "?", (long long)c.late->mtime);
			free(path);
		} else if (!ext4_time_fits_small(o->timestamp)) {
			/* lost+found and kiln's own inodes carry it. */
			diag_warn(d, "128-byte inodes cannot store times outside 1901-12-13..2038-01-19: "
				  "the timestamp %lld will read back wrong; use inode size 256",
				  (long long)o->timestamp);
		}
	}
	if (has_ro(p, EXT4_RO_COMPAT_METADATA_CSUM))
		p->o.ro_compat &= ~EXT4_RO_COMPAT_GDT_CSUM;
	/* Quota files as mke2fs: user and group, project too with the
	 * project feature; a project quota file turns that feature on. */
	if (!has_ro(p, EXT4_RO_COMPAT_QUOTA))
		p->o.quota_types = 0;
	else if (!p->o.quota_types_set)
		p->o.quota_types = EXT4_QUOTA_USR | EXT4_QUOTA_GRP |
				   (has_ro(p, EXT4_RO_COMPAT_PROJECT) ? EXT4_QUOTA_PRJ : 0);
	if (p->o.quota_types & EXT4_QUOTA_PRJ)
		p->o.ro_compat |= EXT4_RO_COMPAT_PROJECT;
	if (has_ro(p, EXT4_RO_COMPAT_PROJECT) && p->inode_size < 256) {
		uint32_t v = p->inode_size;
		free(p);
		return diag_fail(d, -EINVAL, "feature project needs inodes of 256 bytes or more (inode size %u)",
				 v);
	}
	p->csum_seed = ext4_csum_seed(p->o.uuid);

	/* Number inodes: root 2, lost+found 11, the rest from 12 in order. */
	struct tree_node *lpf = NULL;
	for (uint32_t i = 0; i < t->root->nkids; i++)
		if (!strcmp(t->root->kids[i]->name, "lost+found"))
			lpf = t->root->kids[i];
	if (lpf && (lpf->hardlink || !tree_is_dir(lpf))) {
		free(p);
		return diag_fail(d, -EINVAL, "/lost+found must be a directory");
	}
	p->lpf_in_tree = lpf != NULL;
	nc = (struct numctx){ p, EXT4_FIRST_INO + 1, 0 };
	tree_walk(t, number_cb, &nc);
	/* The project quota file is not a reserved inode: the first after
	 * the tree. */
	if (p->o.quota_types & EXT4_QUOTA_PRJ)
		p->prj_ino = nc.next++;
	p->used_inodes = nc.next - 1;
	uint32_t tree_inodes = p->used_inodes - EXT4_FIRST_INO;

	if (o->size) {
		blocks = o->size / bs;
		r = ext4_plan_try(p, blocks, inodes, tree_inodes, &short_by, d);
		if (r == -ENOSPC && short_by)
			r = diag_fail(d, -ENOSPC,
				      "does not fit: %llu bytes given, about %llu more needed (%llu blocks of %u)",
				      (unsigned long long)o->size,
				      (unsigned long long)(short_by * bs),
				      (unsigned long long)short_by, bs);
	} else {
		/* Smallest that fits: grow by what is missing until it fits,
		 * then add the margin. */
		uint64_t need_inodes = inodes ? inodes
			: (uint64_t)tree_inodes + EXT4_FIRST_INO + tree_inodes / 10 + 16;
		uint64_t min_blocks = has_compat(p, EXT4_COMPAT_HAS_JOURNAL) ? 4096 : 256;
		/* A group holds at most 8 x block-size inodes. */
		uint64_t bpg = 8ull * bs, groups_for_inodes = u64_div_roundup(need_inodes, bpg);
		if (min_blocks < groups_for_inodes * bpg + 1)
			min_blocks = groups_for_inodes * bpg + 1;
		blocks = u64_div_roundup(guess, bs);
		if (blocks < min_blocks)
			blocks = min_blocks;
		for (int iter = 0;; iter++) {
			uint64_t by_ratio = blocks * bs / p->o.inode_ratio;
			r = ext4_plan_try(p, blocks, inodes ? inodes : (by_ratio > need_inodes ? 0 : need_inodes),
					  tree_inodes, &short_by, d);
			if (r != -ENOSPC || !short_by || iter > 40)
				break;
			diag_clear(d);
			blocks += short_by + blocks / 8 + 64;
		}
		/* Then the smallest size with the margin. Journal and inode
		 * tables scale with the size, so plan again at the size the
		 * last plan asks for until it settles. */
		for (int round = 0; !r && round < 4; round++) {
			uint64_t used = p->blocks - p->free_blocks;
			uint64_t extra = used * o->margin_pct / 100;
			if (extra * bs < o->margin_min)
				extra = u64_div_roundup(o->margin_min, bs);
			uint64_t target = used + extra;
			/* Reserved blocks come out of the margin's free space too. */
			target += target * p->o.reserved_permille / 1000;
			if (target < min_blocks)
				target = min_blocks;
			if (target == p->blocks || (round && target > p->blocks))
				break;
			for (int iter = 0; iter < 20; iter++) {
				uint64_t by_ratio = target * bs / p->o.inode_ratio;
				r = ext4_plan_try(p, target, inodes ? inodes : (by_ratio > need_inodes ? 0 : need_inodes),
						  tree_inodes, &short_by, d);
				if (r != -ENOSPC || !short_by)
					break;
				diag_clear(d);
				target += short_by + 64;
			}
		}
	}
	if (r) {
		ext4_plan_free(p);
		return r;
	}
	*ret = p;
	return 0;
}
