/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_CRAMFS_H
#define KILN_FS_CRAMFS_H

/*
 * cramfs as util-linux's mkfs.cramfs makes it (little-endian, zlib):
 * the superblock, then every directory's entries (the root's first, then
 * each non-empty subdirectory's, depth first), then the data of files
 * and symlinks in tree order, each as block pointers followed by zlib
 * blocks. Files with equal contents share their data. The image is
 * padded to the block size and carries a CRC-32 over all of it.
 *
 * The codec (cramfs.c) lays out inodes and the superblock; the writer
 * (cramfs-write.c) puts a tree onto a sink. Same tree and options give
 * the same bytes as mkfs.cramfs on a host directory holding that tree.
 */

#include <stdbool.h>
#include <stdint.h>

struct diag;
struct sink;
struct tree;

#define CRAMFS_MAGIC 0x28cd3d45u
#define CRAMFS_SUPER_SIZE 76
#define CRAMFS_INODE_SIZE 12
#define CRAMFS_MAX_NAME 252            /* 6 bits of 4-byte units */
#define CRAMFS_MAX_FILE ((1u << 24) - 1)
#define CRAMFS_MAX_UID 0xffffu
#define CRAMFS_MAX_GID 0xffu
#define CRAMFS_MAX_OFFSET (1u << 28)   /* 26 bits of 4-byte units */
#define CRAMFS_PAD 512                 /* mkfs.cramfs -p: room for a boot loader */

#define CRAMFS_FLAG_FSID_VERSION_2 0x1
#define CRAMFS_FLAG_SORTED_DIRS 0x2
#define CRAMFS_FLAG_HOLES 0x100

struct cramfs_inode {
	uint32_t mode, uid, gid, size;
	uint32_t namelen;  /* bytes of the name, padded to 4 */
	uint32_t offset;   /* bytes; a multiple of 4 */
};

struct cramfs_super {
	uint32_t size, flags;
	uint32_t crc, edition, blocks, files;
	char name[16];     /* not NUL-terminated when 16 bytes long */
	struct cramfs_inode root;
};

/* Encode an inode (the 12 bytes before its name). */
void cramfs_inode_encode(const struct cramfs_inode *in, uint8_t out[CRAMFS_INODE_SIZE]);
void cramfs_inode_decode(const uint8_t in[CRAMFS_INODE_SIZE], struct cramfs_inode *ret);
/* Encode the superblock (crc as given: the writer puts it in last). */
void cramfs_super_encode(const struct cramfs_super *s, uint8_t out[CRAMFS_SUPER_SIZE]);

struct cramfs_opts {
	uint32_t blksize;  /* mkfs.cramfs -b: a power of two, 4096 by default */
	uint32_t edition;  /* -e */
	char name[17];     /* -n; "Compressed" by default */
	bool pad;          /* -p: 512 zero bytes before the superblock */
	bool holes;        /* -z: all-zero blocks stored as holes, CRAMFS_FLAG_HOLES */
};

/*
 * cramfs_write - write finished tree @t onto @out (unbounded, all
 * zero/hole) and set *@ret_bytes to the image's length. Errors, each
 * naming the path and the value: -ENAMETOOLONG for a name over 252
 * bytes, -EOVERFLOW for an owner past 16-bit uid / 8-bit gid, a device
 * number past 255:255, -EFBIG for a file or directory of 16 MiB or more
 * or an image whose offsets pass 256 MiB, -EIO when a source file
 * changed size. Extended attributes are not stored (cramfs has none).
 */
int cramfs_write(struct tree *t, const struct cramfs_opts *o, struct sink *out,
		 uint64_t *ret_bytes, struct diag *d);

#endif
