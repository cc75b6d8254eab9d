/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_VERITY_H
#define KILN_FS_VERITY_H

/*
 * dm-verity hash devices as `veritysetup format` writes them (format
 * version 1, sha256): a 512-byte superblock in the first hash block,
 * then the hash tree, top level first. Each hash is
 * sha256(salt || block); a hash block holds 2^k 32-byte slots, the rest
 * zero. The root hash is sha256(salt || the top-level block), or of the
 * only data block when there is one.
 *
 * The tree is computed in one pass over the data with one partial block
 * per level in memory.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct sink;

#define VERITY_SB_SIZE 512
#define VERITY_MAX_SALT 256
#define VERITY_MAX_LEVELS 64
#define VERITY_DIGEST 32 /* sha256 */

/* On-disk superblock (little-endian); the codec writes at these offsets. */
struct verity_sb {
	uint8_t signature[8];       /* "verity\0\0" */
	uint32_t version;           /* 1 */
	uint32_t hash_type;         /* 1: normal (0: Chrome OS) */
	uint8_t uuid[16];
	uint8_t algorithm[32];      /* "sha256" */
	uint32_t data_block_size;
	uint32_t hash_block_size;
	uint64_t data_blocks;
	uint16_t salt_size;
	uint8_t pad1[6];
	uint8_t salt[256];
	uint8_t pad2[168];
} __attribute__((packed));
_Static_assert(sizeof(struct verity_sb) == VERITY_SB_SIZE, "verity superblock is 512 bytes");

struct verity_params {
	uint32_t data_block_size, hash_block_size; /* powers of two, 512..4096 */
	uint64_t data_blocks;
	uint8_t salt[VERITY_MAX_SALT];
	uint16_t salt_size;
	uint8_t uuid[16];
	bool no_superblock;         /* --no-superblock: the tree starts at 0 */
};

/* The tree's shape, derived from the params. */
struct verity_geom {
	unsigned levels;
	uint64_t level_block[VERITY_MAX_LEVELS]; /* first hash block of level i (0: above data) */
	uint64_t level_size[VERITY_MAX_LEVELS];  /* its blocks */
	uint64_t hash_blocks;       /* tree blocks */
	uint64_t bytes;             /* the hash device: superblock block + tree */
	unsigned per_block;         /* digests per hash block */
};

/* verity_geometry - the tree of @p. -EINVAL for block sizes that are not
 * powers of two in 512..4096, no data blocks, or a salt over 256 bytes. */
int verity_geometry(const struct verity_params *p, struct verity_geom *ret);

/* Encode the superblock into @out (512 bytes). */
void verity_sb_encode(const struct verity_params *p, uint8_t out[VERITY_SB_SIZE]);

/* verity_sb_decode - read a superblock. 0, or -EINVAL for a bad
 * signature, version, hash type, algorithm other than sha256, block
 * sizes or salt size. */
int verity_sb_decode(const uint8_t *buf, size_t len, struct verity_params *ret);

/*
 * verity_build - hash @p->data_blocks blocks of @fd (from offset 0) and,
 * when @out is not NULL, write the superblock and tree onto it (at least
 * the geometry's bytes, zero/hole). The root hash goes to @ret_root.
 * Errors: -errno reading (a short file is -EIO, "@what changed"), or
 * what the sink returns.
 */
int verity_build(const struct verity_params *p, int fd, const char *what, struct sink *out,
		 uint8_t ret_root[VERITY_DIGEST], struct diag *d);

/*
 * verity_root_from_tree - the root hash of a hash device in @buf (@len
 * bytes) with a superblock, from its top-level block. -EINVAL for a bad
 * superblock or a truncated tree; -ENODATA when the data is one block
 * (the root is the hash of that data block, not in the device).
 */
int verity_root_from_tree(const uint8_t *buf, size_t len, struct verity_params *ret_params,
			  uint8_t ret_root[VERITY_DIGEST]);

/*
 * verity_check_tree - check a hash device in @buf (with a superblock)
 * without its data: every block of levels 1 and up holds the hashes of
 * the level below, and the slots past the last digest of each level
 * are zero. 0; -EINVAL for a bad superblock or a truncated tree;
 * -EBADMSG with the first bad block's level and index in the level.
 */
int verity_check_tree(const uint8_t *buf, size_t len, unsigned *ret_level, uint64_t *ret_block);

#endif
