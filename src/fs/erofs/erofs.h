/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_EROFS_H
#define KILN_FS_EROFS_H

/*
 * The EROFS writer (uncompressed). erofs_plan_new() fixes the whole
 * image from a finished tree: every inode's nid and version, every
 * file's and directory's blocks and inline tail, the superblock; then
 * erofs_write() streams it onto a sink. Same tree and options give the
 * same bytes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct sink;
struct tree;
struct erofs_plan;

enum erofs_inode_choice {
	EROFS_INODE_AUTO,      /* compact unless a field needs the extended one (mkfs.erofs) */
	EROFS_INODE_COMPACT,   /* -E force-inode-compact: mtimes become the build time */
	EROFS_INODE_EXTENDED,  /* -E force-inode-extended */
};

enum erofs_compress {
	EROFS_COMPRESS_NONE,
	EROFS_COMPRESS_LZ4,    /* -zlz4 */
	EROFS_COMPRESS_LZ4HC,  /* -zlz4hc[,LEVEL] */
};

struct erofs_opts {
	int64_t build_time;    /* superblock build time (seconds; nsec 0) */
	bool fixed_time;       /* -T / --ignore-mtime: every inode gets the build time */
	uint8_t uuid[16];
	char label[17];
	bool all_root;         /* --all-root */
	bool force_uid, force_gid;
	uint32_t uid, gid;     /* --force-uid / --force-gid */
	bool no_inline;        /* -E noinline_data: no tail packing */
	bool no_xattrs;        /* -x -1 */
	bool no_sbcrc;         /* -E nosbcrc */
	enum erofs_inode_choice inodes;
	uint64_t size;         /* bytes of the image; 0: what the filesystem needs */
	enum erofs_compress compress; /* regular files, 4 KiB clusters */
	int level;             /* lz4hc level (1..12) */
	/*
	 * Place inodes and data as Debian 12's mkfs.erofs 1.5 does, so an
	 * uncompressed image is its byte twin (genimage mode). Ignored with
	 * compression: compressed images keep kiln's own layout.
	 */
	bool twin_mkfs15;
};

/*
 * erofs_plan_new - lay out @t (finished) with @o; writes nothing.
 * Errors: -ENAMETOOLONG for a name over 255 bytes, -EINVAL for an xattr
 * erofs has no prefix for or an inode whose xattrs and tail do not fit
 * a block, -EFBIG past 2^32 blocks (or, with twin_mkfs15, a root inode
 * beyond nid 65535), -ENOSPC when o->size is too small
 * (the diag says how many bytes are needed). The plan keeps pointers
 * into @t: free the plan first.
 */
int erofs_plan_new(struct erofs_plan **ret, struct tree *t, const struct erofs_opts *o,
		   struct diag *d);

/* Bytes the filesystem occupies (blocks * 4096). */
uint64_t erofs_plan_bytes(const struct erofs_plan *p);

/* One-line summary for `kiln plan` into @buf. */
void erofs_plan_summary(const struct erofs_plan *p, char *buf, size_t len);

/*
 * erofs_write - write the planned image onto @out (at least
 * erofs_plan_bytes() long, zero/hole). File data is read from each
 * node's source; a file whose size changed since planning fails with its
 * path in the diag. Returns 0 or -errno.
 */
int erofs_write(struct erofs_plan *p, struct sink *out, struct diag *d);

void erofs_plan_free(struct erofs_plan *p);

/* What erofs_check() found. */
struct erofs_summary {
	uint64_t inodes, dirs, files, symlinks, devices, others;
	uint64_t bytes;        /* regular file bytes */
	uint32_t blocks;
	uint16_t root_nid;
	char label[17];
	uint8_t uuid[16];
	uint64_t build_time;
	bool checksum_ok;      /* also true when the image carries no checksum */
};

/*
 * erofs_check - read an uncompressed erofs image in @img (@len bytes):
 * superblock, checksum, and every directory from the root (dirents in
 * bounds, names sorted, nids pointing at inodes in the image, depth
 * bounded by @max_depth). Never reads outside @img. 0, or -EINVAL with
 * what is wrong in the diag; -EOPNOTSUPP for compressed or chunked
 * inodes.
 */
int erofs_check(const uint8_t *img, size_t len, unsigned max_depth, struct erofs_summary *ret,
		struct diag *d);

#endif
