/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_EXT4_INT_H
#define KILN_FS_EXT4_INT_H

/* Internal: the plan shared by the planner and the writer. */

#include <stdbool.h>
#include <stdint.h>

#include "fs/ext4/ext4-format.h"
#include "fs/ext4/ext4.h"

struct tree;
struct tree_node;
struct diag;
struct sink;

enum ext4_ikind { IK_NONE, IK_ROOT, IK_LPF, IK_NODE, IK_JOURNAL, IK_RESIZE, IK_QUOTA };

/* Per inode: what it is and where its blocks went. One per entry of
 * the tree: ordered widest first so there is no padding (56 bytes). */
struct ext4_iplan {
	struct tree_node *node;   /* IK_NODE, IK_ROOT */
	uint64_t meta;            /* first extent-tree/indirect block (contiguous) */
	uint64_t xattr_blk;       /* 0: none */
	union {
		struct ext4_extent one;
		struct ext4_extent *many;
	} ext;
	uint32_t next;            /* extents (data / dir / symlink blocks) */
	uint32_t nmeta;           /* extent-tree or indirect blocks */
	uint32_t nlink;
	uint8_t kind;
	uint8_t depth;            /* extent tree depth */
	bool htree;
	bool xattr_in_inode;
};

static inline struct ext4_extent *ip_ext(struct ext4_iplan *ip)
{
	return ip->next > 1 ? ip->ext.many : &ip->ext.one;
}

/* i_size: directories and the journal are their blocks; files and
 * symlinks come from the tree. */
uint64_t ext4_ip_size(const struct ext4_plan *p, struct ext4_iplan *ip);

struct ext4_group {
	uint64_t block_bitmap, inode_bitmap, inode_table;
	uint32_t free_blocks, free_inodes, used_dirs, itable_unused;
};

struct ext4_plan {
	struct tree *tree;
	struct ext4_opts o;
	uint32_t bs, log_bs;       /* block size, log2(bs) - 10 */
	uint64_t blocks;           /* blocks_count */
	uint32_t first_data_block;
	uint32_t bpg, ipg, ngroups, inode_size, desc_size, gdt_blocks, itb;
	uint32_t rsv_gdt;          /* reserved GDT blocks (resize_inode) */
	uint64_t resize_dind;      /* the resize inode's double-indirect block */
	uint32_t flex;             /* groups per flex group (0: no flex_bg) */
	uint64_t r_blocks;
	uint32_t ninodes;          /* inodes_count */
	uint32_t used_inodes;      /* highest inode number in use */
	struct ext4_group *groups;
	uint8_t *bbm;              /* block bitmap of the whole fs (bit = block - fdb) */
	uint64_t free_blocks;
	uint32_t csum_seed;
	struct ext4_iplan *inodes; /* [0..used_inodes], index = inode number */
	uint64_t journal_blocks;
	uint64_t cursor;           /* allocator position */
	uint64_t want;             /* blocks requested so far (for messages) */
	bool lpf_in_tree;
	uint32_t prj_ino;          /* the project quota file's inode, 0: none */
	struct ext4_quota_file {
		uint32_t ino;      /* 0: this type has no quota file */
		uint32_t len;      /* i_size */
		uint8_t *buf;      /* its blocks (whole fs blocks, zero-padded) */
	} quota[3];                /* user, group, project */
	void *wc;                  /* writer: write-combining cache */
	struct sink *wc_out;       /* writer: the output */
};

static inline bool has_compat(const struct ext4_plan *p, uint32_t f)
{
	return p->o.compat & f;
}
static inline bool has_incompat(const struct ext4_plan *p, uint32_t f)
{
	return p->o.incompat & f;
}
static inline bool has_ro(const struct ext4_plan *p, uint32_t f)
{
	return p->o.ro_compat & f;
}
static inline bool plan_csum(const struct ext4_plan *p)
{
	return has_ro(p, EXT4_RO_COMPAT_METADATA_CSUM);
}

/* The owner an inode is written with (0:0 for kiln's own inodes). */
void ext4_ip_owner(const struct ext4_plan *p, const struct ext4_iplan *ip, uint32_t *ret_uid,
		   uint32_t *ret_gid);

/* Blocks an inode holds (i_blocks in fs blocks): data, mapping, xattr. */
static inline uint64_t ext4_ip_blocks(const struct ext4_iplan *ip)
{
	uint64_t n = ip->nmeta + (ip->xattr_blk ? 1 : 0);

	for (uint32_t i = 0; i < ip->next; i++)
		n += (ip->next > 1 ? ip->ext.many : &ip->ext.one)[i].len;
	return n;
}

/*
 * ext4_quota_plan - with the quota feature, count every inode's blocks
 * and inodes by owner (as e2fsck does: the root and inodes from
 * s_first_ino on, the quota files themselves left out), lay out each
 * quota file and allocate its inode's blocks. Run once every other inode
 * is planned. 0, -ENOSPC (no message), -ENOMEM.
 */
int ext4_quota_plan(struct ext4_plan *p, struct diag *d);
/* The quota file whose inode is @ino, or NULL. */
const struct ext4_quota_file *ext4_quota_of(const struct ext4_plan *p, uint32_t ino);
/* Free the quota files' buffers. */
void ext4_quota_clear(struct ext4_plan *p);

/* Does group @g hold a superblock backup? */
bool ext4_group_has_super(const struct ext4_plan *p, uint32_t g);

/*
 * ext4_dir_build - lay out directory @ip (inode @ino) into a malloc'd
 * buffer of *ret_nblocks blocks (htree when it needs more than one block
 * and dir_index is on). Inode numbers must be assigned. Checksums are
 * filled when @final. 0, -ENOMEM, -EFBIG (too large for 2 htree levels).
 */
int ext4_dir_build(struct ext4_plan *p, uint32_t ino, bool final, uint8_t **ret_buf,
		   uint32_t *ret_nblocks, bool *ret_htree, struct diag *d);

/* Number of extent-tree / indirect blocks needed to map @ext[@n]. */
uint32_t ext4_map_meta_count(const struct ext4_plan *p, const struct ext4_extent *ext, uint32_t n,
			     uint8_t *ret_depth);

/* Xattr encoding: in-inode area (@area of @len bytes) or a block. */
int ext4_xattr_size(const struct ext4_plan *p, const struct tree_node *n, bool *ret_in_inode,
		    bool *ret_block, struct diag *d);
void ext4_xattr_fill_inode(const struct ext4_plan *p, const struct tree_node *n, uint8_t *inode);
void ext4_xattr_fill_block(const struct ext4_plan *p, const struct tree_node *n, uint8_t *blk,
			   uint64_t blocknr);

uint32_t ext4_inode_of(const struct tree_node *n);

/* The planner's block bitmap (bit = block - first_data_block). */
static inline bool bb_test(const struct ext4_plan *p, uint64_t b)
{
	uint64_t i = b - p->first_data_block;
	return p->bbm[i >> 3] & (1u << (i & 7));
}
static inline void bb_set(struct ext4_plan *p, uint64_t b)
{
	uint64_t i = b - p->first_data_block;
	p->bbm[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static inline void bb_set_range(struct ext4_plan *p, uint64_t b, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bb_set(p, b + i);
}

/* Planner internals shared by ext4-plan.c (sizing), ext4-geom.c (one
 * layout attempt) and ext4-alloc.c (block allocation and mapping). */

/* Next @n contiguous free blocks at or after @from; 0 if none. */
uint64_t ext4_alloc_contig(struct ext4_plan *p, uint64_t from, uint64_t n);
/* Allocate blocks for the logical ranges @want[@nw] from the cursor;
 * fills @ip's extents. 0, -ENOSPC, -ENOMEM. */
int ext4_alloc_file(struct ext4_plan *p, struct ext4_iplan *ip, const struct ext4_extent *want,
		    uint32_t nw);
/* Extent-tree / indirect blocks for @ip's extents. 0, -EFBIG, -ENOSPC. */
int ext4_alloc_meta(struct ext4_plan *p, struct ext4_iplan *ip);
/* Blocks, link count and xattr space of inode @ino. 0, -ENOSPC (no
 * message), or another -errno with a message in @d. */
int ext4_plan_inode(struct ext4_plan *p, uint32_t ino, struct diag *d);
/* Free the per-attempt arrays (inodes, groups, bitmap). */
void ext4_plan_clear(struct ext4_plan *p);
/*
 * One attempt at @blocks blocks with @want_inodes inodes (0: from the
 * ratio). -ENOSPC with *ret_short = blocks missing (estimate).
 */
int ext4_plan_try(struct ext4_plan *p, uint64_t blocks, uint64_t want_inodes,
		  uint32_t tree_inodes, uint64_t *ret_short, struct diag *d);

#endif
