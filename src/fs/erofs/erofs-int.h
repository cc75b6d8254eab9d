/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_EROFS_INT_H
#define KILN_FS_EROFS_INT_H

/* The erofs plan, shared by erofs-plan.c and erofs-write.c. */

#include "fs/erofs/erofs-format.h"
#include "fs/erofs/erofs.h"
#include "fs/tree.h"

/* One inode: a tree node (the primary name of a hard-link group). */
struct erofs_ino {
	struct tree_node *n;
	uint64_t nid;
	uint64_t size;          /* i_size: file bytes, directory bytes, link length */
	uint32_t blkaddr;       /* first out-of-line block; EROFS_NULL_ADDR if none */
	uint32_t nblocks;       /* out-of-line blocks */
	uint32_t zblocks;       /* compressed: physical blocks */
	uint32_t tail;          /* bytes kept inline after the xattrs (FLAT_INLINE) */
	uint16_t xattr_icount;
	uint8_t layout;         /* enum erofs_datalayout */
	bool extended;
	uint32_t uid, gid;
	int64_t mtime;
	uint32_t mtime_ns;
};

struct erofs_plan {
	struct tree *t;
	struct erofs_opts o;
	struct erofs_ino *inos; /* in nid order; inos[0] is the root */
	uint64_t ninos;
	uint32_t meta_blocks;   /* blocks holding the superblock and inodes */
	uint32_t blocks;        /* whole filesystem */
};

/* uid, gid, mtime, i_size, xattrs and inode version of @x (erofs-plan.c).
 * Errors as erofs_plan_new()'s for names, links, devices and xattrs. */
int erofs_ino_attrs(const struct erofs_plan *p, struct erofs_ino *x, struct diag *d);

/* Nids, data layouts and blocks as mkfs.erofs 1.5 places them
 * (erofs-twin.c); p->inos holds the inodes in tree order. */
int erofs_place_twin(struct erofs_plan *p, struct diag *d);

/* A directory's entries in erofs order ("." and ".." sorted in). */
struct erofs_dent {
	const char *name;
	uint32_t len;
	const struct tree_node *target; /* primary node of the entry */
};

/* Entries of directory @n into a malloc'd array of n->nkids + 2. */
int erofs_dir_entries(const struct tree_node *n, struct erofs_dent **ret);

/* The primary node of @n's hard-link group (@n itself if none). */
static inline const struct tree_node *erofs_primary(const struct tree_node *n)
{
	return n->hardlink ? n->hardlink : n;
}

/* Directory packing: entries [first[b], first[b+1]) go in block b. Calls
 * @emit (may be NULL) with each block's entries; returns the directory's
 * i_size and sets *ret_blocks. */
uint64_t erofs_dir_pack(const struct erofs_dent *e, uint32_t n, uint32_t *ret_blocks,
			int (*emit)(void *ud, uint32_t blk, const struct erofs_dent *e, uint32_t n),
			void *ud, int *ret_err);

/* Compression (erofs-lz4.c). @emit gets each extent in file order: the
 * file offset where it starts (anywhere in a logical cluster), whether it
 * is compressed, its bytes and the 4 KiB block. */
typedef int (*erofs_z_emit)(void *ud, uint64_t off, bool compressed, uint32_t count,
			    const uint8_t *blk);

/* Compress regular file @n; *ret_blocks = the physical blocks it takes.
 * @emit may be NULL (planning). -errno reading, with the path in @d. */
int erofs_z_file(const struct erofs_plan *p, const struct tree_node *n, erofs_z_emit emit,
		 void *ud, uint32_t *ret_blocks, struct diag *d);

/* Encode one compressed-file index (8 bytes). */
void erofs_zindex_encode(uint8_t type, uint16_t clusterofs, uint32_t u, uint8_t out[8]);

/* Bytes of a compressed inode's metadata after the inode and xattrs
 * of @head bytes: padding to 8, map header, indexes. */
static inline uint64_t erofs_zmeta_size(uint64_t head, uint64_t size)
{
	return ((head + 7) & ~7ull) - head + EROFS_ZMAP_HEADER_SIZE +
	       (size + EROFS_BLKSZ - 1) / EROFS_BLKSZ * 8;
}

#endif
