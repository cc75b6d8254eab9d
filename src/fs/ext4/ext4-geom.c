/* SPDX-License-Identifier: MIT */
/*
 * ext4 geometry for one size, as mke2fs computes it: groups, inodes per
 * group, reserved GDT blocks, metadata placement (flex_bg packs each flex
 * group's bitmaps and inode tables at its start), the journal, then every
 * inode's blocks (ext4-alloc.c) and the per-group accounting.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/diag.h"
#include "fs/ext4/ext4-int.h"
#include "fs/tree.h"

static bool is_power_of(uint32_t v, uint32_t b)
{
	while (v > 1 && v % b == 0)
		v /= b;
	return v == 1;
}

bool ext4_group_has_super(const struct ext4_plan *p, uint32_t g)
{
	if (g <= 1 || !has_ro(p, EXT4_RO_COMPAT_SPARSE_SUPER))
		return true;
	if (!(g & 1))
		return false;
	return is_power_of(g, 3) || is_power_of(g, 5) || is_power_of(g, 7);
}

static uint64_t default_journal_blocks(uint64_t blocks)
{
	if (blocks < 2048)
		return 0;
	if (blocks < 32768)
		return 1024;
	if (blocks < 256 * 1024)
		return 4096;
	if (blocks < 512 * 1024)
		return 8192;
	if (blocks < 4096 * 1024)
		return 16384;
	if (blocks < 8192 * 1024)
		return 32768;
	if (blocks < 16384 * 1024)
		return 65536;
	if (blocks < 32768 * 1024)
		return 131072;
	return 262144;
}

static int fill_cb(struct tree_node *n, void *ud)
{
	struct ext4_plan *p = ud;
	uint32_t ino;

	if (n->hardlink)
		return 0;
	ino = (uint32_t)n->priv;
	p->inodes[ino].node = n;
	p->inodes[ino].kind = n->parent ? IK_NODE : IK_ROOT;
	return 0;
}

/*
 * One attempt at @blocks blocks with @ninodes inodes (0: from the
 * ratio). -ENOSPC with *ret_short = blocks missing (estimate).
 */
int ext4_plan_try(struct ext4_plan *p, uint64_t blocks, uint64_t want_inodes,
		  uint32_t tree_inodes, uint64_t *ret_short, struct diag *d)
{
	uint32_t bs = p->bs;
	int r;

	ext4_plan_clear(p);
	*ret_short = 0;
	p->first_data_block = bs == 1024 ? 1 : 0;
	p->bpg = bs * 8;
	if (blocks > 0xFFFFFFFFull && !has_incompat(p, EXT4_INCOMPAT_64BIT))
		return diag_fail(d, -EFBIG, "%llu blocks need the 64bit feature",
				 (unsigned long long)blocks);
	p->desc_size = has_incompat(p, EXT4_INCOMPAT_64BIT) ? EXT4_DESC_SIZE_64 : EXT4_DESC_SIZE;
	if (blocks <= p->first_data_block + 64)
		return diag_fail(d, -ENOSPC, "filesystem of %llu blocks is too small",
				 (unsigned long long)blocks);
	p->ngroups = (uint32_t)u64_div_roundup(blocks - p->first_data_block, p->bpg);
	p->gdt_blocks = (uint32_t)u64_div_roundup((uint64_t)p->ngroups * p->desc_size, bs);

	/* Inodes per group: whole inode-table blocks, a multiple of 8. */
	uint64_t ninodes = want_inodes ? want_inodes : blocks * bs / p->o.inode_ratio;
	if (ninodes < EXT4_FIRST_INO + 1)
		ninodes = EXT4_FIRST_INO + 1;
	uint64_t ipg = u64_div_roundup(ninodes, p->ngroups);
	uint32_t ipb = bs / p->inode_size, mult = ipb > 8 ? ipb : 8;
	ipg = u64_div_roundup(ipg, mult) * mult;
	if (ipg > p->bpg)
		ipg = p->bpg;
	if (ipg < 16)
		ipg = 16;
	p->ipg = (uint32_t)ipg;
	p->itb = p->ipg * p->inode_size / bs;

	/* A last group too small for its own metadata is dropped (as mke2fs). */
	uint64_t rem = (blocks - p->first_data_block) % p->bpg;
	if (rem && p->ngroups > 1) {
		uint64_t ov = (ext4_group_has_super(p, p->ngroups - 1) ? 1 + p->gdt_blocks : 0) +
			      (has_incompat(p, EXT4_INCOMPAT_FLEX_BG) ? 0 : 2 + p->itb);
		if (rem < ov + 50) {
			blocks -= rem;
			p->ngroups--;
			p->gdt_blocks = (uint32_t)u64_div_roundup((uint64_t)p->ngroups * p->desc_size, bs);
			/* Same inode count over one group less. */
			ipg = u64_div_roundup(u64_div_roundup(ninodes, p->ngroups), mult) * mult;
			if (ipg > p->bpg)
				ipg = p->bpg;
			p->ipg = (uint32_t)ipg;
			p->itb = p->ipg * p->inode_size / bs;
		}
	}
	p->blocks = blocks;
	if ((uint64_t)p->ipg * p->ngroups > 0xFFFFFFFFull)
		return diag_fail(d, -EINVAL, "too many inodes");
	p->ninodes = p->ipg * p->ngroups;
	if ((uint64_t)tree_inodes + EXT4_FIRST_INO > p->ninodes)
		return diag_fail(d, -ENOSPC,
				 "out of inodes: the tree needs %u inodes, the filesystem has %u (raise the inode count with -N or lower -i)",
				 tree_inodes + EXT4_FIRST_INO, p->ninodes);
	p->r_blocks = blocks * p->o.reserved_permille / 1000;

	p->bbm = calloc(1, (size_t)((blocks - p->first_data_block + 7) / 8) + 1);
	p->groups = calloc(p->ngroups, sizeof(*p->groups));
	p->inodes = calloc((size_t)p->used_inodes + 1, sizeof(*p->inodes));
	if (!p->bbm || !p->groups || !p->inodes)
		return diag_fail(d, -ENOMEM, "out of memory");

	/* Reserved GDT blocks for online growth to 1024 times the size
	 * (mke2fs's rule), at most one indirect block's worth. */
	p->rsv_gdt = 0;
	if (has_compat(p, EXT4_COMPAT_RESIZE_INODE)) {
		uint64_t maxb = blocks > 0xFFFFFFFFull / 1024 ? 0xFFFFFFFFull : blocks * 1024;
		uint64_t rg = u64_div_roundup(maxb - p->first_data_block, p->bpg);
		uint64_t gdb = u64_div_roundup(rg, bs / p->desc_size);
		uint64_t rsv = gdb > p->gdt_blocks ? gdb - p->gdt_blocks : 0;
		if (rsv > bs / 4)
			rsv = bs / 4;
		p->rsv_gdt = (uint32_t)rsv;
	}
	/* Superblock and descriptor copies. */
	for (uint32_t g = 0; g < p->ngroups; g++)
		if (ext4_group_has_super(p, g))
			bb_set_range(p, p->first_data_block + (uint64_t)g * p->bpg,
				     1 + p->gdt_blocks + p->rsv_gdt);
	p->want = 0;

	/* Bitmaps and inode tables. */
	p->flex = has_incompat(p, EXT4_INCOMPAT_FLEX_BG) ? 16 : 0;
	if (p->flex) {
		for (uint32_t f = 0; f < p->ngroups; f += p->flex) {
			uint32_t n = p->ngroups - f < p->flex ? p->ngroups - f : p->flex;
			uint64_t at = p->first_data_block + (uint64_t)f * p->bpg, b;
			if (!(b = ext4_alloc_contig(p, at, n)))
				goto nospace;
			for (uint32_t i = 0; i < n; i++)
				p->groups[f + i].block_bitmap = b + i;
			if (!(b = ext4_alloc_contig(p, b + n, n)))
				goto nospace;
			for (uint32_t i = 0; i < n; i++)
				p->groups[f + i].inode_bitmap = b + i;
			for (uint32_t i = 0; i < n; i++) {
				if (!(b = ext4_alloc_contig(p, b, p->itb)))
					goto nospace;
				p->groups[f + i].inode_table = b;
				b += p->itb;
			}
		}
	} else {
		for (uint32_t g = 0; g < p->ngroups; g++) {
			uint64_t at = p->first_data_block + (uint64_t)g * p->bpg;
			uint64_t end = at + p->bpg < blocks ? at + p->bpg : blocks;
			uint64_t b = ext4_alloc_contig(p, at, 2 + p->itb);
			if (!b || b + 2 + p->itb > end)
				return diag_fail(d, -ENOSPC, "block group %u too small for its metadata", g);
			p->groups[g].block_bitmap = b;
			p->groups[g].inode_bitmap = b + 1;
			p->groups[g].inode_table = b + 2;
		}
	}
	p->cursor = p->first_data_block;

	/* The resize inode's double-indirect block. */
	p->resize_dind = 0;
	if (p->rsv_gdt) {
		if (blocks > 0xFFFFFFFFull)
			return diag_fail(d, -EINVAL, "resize_inode needs a filesystem under 2^32 blocks");
		p->resize_dind = ext4_alloc_contig(p, p->cursor, 1);
		if (!p->resize_dind)
			goto nospace;
		p->inodes[EXT4_RESIZE_INO].kind = IK_RESIZE;
		p->inodes[EXT4_RESIZE_INO].nlink = 1;
	}

	/* Journal. */
	p->journal_blocks = 0;
	if (has_compat(p, EXT4_COMPAT_HAS_JOURNAL)) {
		uint64_t jb = p->o.journal_bytes ? p->o.journal_bytes / bs : default_journal_blocks(blocks);
		if (!jb)
			return diag_fail(d, -ENOSPC, "filesystem of %llu blocks is too small for a journal",
					 (unsigned long long)blocks);
		if (jb < 1024 || jb > 10240000)
			return diag_fail(d, -EINVAL, "journal of %llu blocks: must be 1024..10240000 blocks",
					 (unsigned long long)jb);
		struct ext4_iplan *ji = &p->inodes[EXT4_JOURNAL_INO];
		ji->kind = IK_JOURNAL;
		ji->nlink = 1;
		/* One contiguous run when possible, as mke2fs does. */
		uint64_t at = has_incompat(p, EXT4_INCOMPAT_EXTENTS) && jb <= EXT4_EXT_MAX_LEN * 4
				      ? ext4_alloc_contig(p, p->cursor, jb) : 0;
		if (at) {
			ji->ext.one = (struct ext4_extent){ 0, (uint32_t)jb, at };
			ji->next = 1;
			if (jb > EXT4_EXT_MAX_LEN) {
				uint32_t ne = (uint32_t)u64_div_roundup(jb, EXT4_EXT_MAX_LEN);
				struct ext4_extent *e = calloc(ne, sizeof(*e));
				if (!e)
					return diag_fail(d, -ENOMEM, "out of memory");
				for (uint32_t i = 0; i < ne; i++) {
					uint64_t l = (uint64_t)i * EXT4_EXT_MAX_LEN;
					e[i] = (struct ext4_extent){ (uint32_t)l,
						(uint32_t)(jb - l < EXT4_EXT_MAX_LEN ? jb - l : EXT4_EXT_MAX_LEN), at + l };
				}
				ji->ext.many = e;
				ji->next = ne;
			}
			r = 0;
		} else {
			struct ext4_extent w = { 0, (uint32_t)jb, 0 };
			r = ext4_alloc_file(p, ji, &w, 1);
		}
		if (!r)
			r = ext4_alloc_meta(p, ji);
		if (r == -ENOSPC)
			goto nospace;
		if (r)
			return diag_fail(d, r, "journal: %s", strerror(-r));
		p->journal_blocks = jb;
	}

	/* Inodes in number order: root, lost+found, then the tree. */
	if (tree_walk(p->tree, fill_cb, p))
		return diag_fail(d, -EINVAL, "tree walk failed");
	if (!p->lpf_in_tree)
		p->inodes[EXT4_FIRST_INO].kind = IK_LPF;
	for (uint32_t ino = EXT4_ROOT_INO; ino <= p->used_inodes; ino++) {
		if ((ino > EXT4_ROOT_INO && ino < EXT4_FIRST_INO) || ino == p->prj_ino)
			continue;
		r = ext4_plan_inode(p, ino, d);
		if (r == -ENOSPC)
			goto nospace;
		if (r) {
			struct tree_node *n = p->inodes[ino].node;
			char pb[TREE_SRC_PATH_MAX];
			const char *sp = n ? tree_node_src_path(n, pb, sizeof(pb)) : NULL;
			if (n && d && d->err && !strstr(d->msg, sp ? sp : "\x01")) {
				char *path = tree_path(n);
				diag_prefix(d, "/%s", path ? path : "?");
				free(path);
			}
			return r;
		}
	}

	/* Quota files, once every other inode's blocks are known. */
	r = ext4_quota_plan(p, d);
	if (r == -ENOSPC)
		goto nospace;
	if (r)
		return r;

	/* Group accounting. */
	p->free_blocks = 0;
	for (uint32_t g = 0; g < p->ngroups; g++) {
		uint64_t at = p->first_data_block + (uint64_t)g * p->bpg;
		uint64_t end = at + p->bpg < blocks ? at + p->bpg : blocks;
		uint32_t free_b = 0;
		for (uint64_t b = at; b < end; b++)
			if (!bb_test(p, b))
				free_b++;
		p->groups[g].free_blocks = free_b;
		p->free_blocks += free_b;
		uint32_t first = g * p->ipg + 1, last = first + p->ipg - 1, used = 0, dirs = 0;
		for (uint32_t i = first; i <= last && i <= p->used_inodes; i++) {
			if (i < EXT4_FIRST_INO || p->inodes[i].kind != IK_NONE)
				used++;
			struct ext4_iplan *ip = &p->inodes[i];
			if (ip->kind == IK_ROOT || ip->kind == IK_LPF || (ip->kind == IK_NODE && tree_is_dir(ip->node)))
				dirs++;
		}
		p->groups[g].free_inodes = p->ipg - used;
		p->groups[g].used_dirs = dirs;
		uint32_t hi = p->used_inodes >= last ? p->ipg : p->used_inodes >= first ? p->used_inodes - first + 1 : 0;
		p->groups[g].itable_unused = p->ipg - hi;
	}
	return 0;

nospace:
	{
		uint64_t used = 0;
		for (uint64_t b = p->first_data_block; b < blocks; b++)
			used += bb_test(p, b);
		*ret_short = p->want > (blocks - used) ? p->want - (blocks - used) : 1;
	}
	return -ENOSPC;
}
