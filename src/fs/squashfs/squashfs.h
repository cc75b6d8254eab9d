/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_SQUASHFS_H
#define KILN_FS_SQUASHFS_H

/*
 * squashfs writer: puts a finished input tree (fs/tree.h) onto a sink
 * through libsquashfs (squashfs-tools-ng), straight from the tree, with
 * no extraction to the host. The output depends only on the tree and
 * these options: directories in sorted order, inode numbers assigned in
 * tree order, mkfs time given by the caller, data blocks in tree order
 * (libsquashfs keeps block order whatever the number of worker threads).
 */

#include <stdbool.h>
#include <stdint.h>

struct diag;
struct sink;
struct tree;

enum squashfs_comp {
	SQUASHFS_COMP_GZIP,
	SQUASHFS_COMP_XZ,
	SQUASHFS_COMP_ZSTD,
	SQUASHFS_COMP_LZ4,
	SQUASHFS_COMP_LZMA,
	SQUASHFS_COMP_LZO,
	SQUASHFS_COMP_NONE, /* genimage "none": gzip id, every block stored raw */
	SQUASHFS_COMP_MAX,
};

struct squashfs_opts {
	enum squashfs_comp comp;
	uint32_t block_size;      /* power of two, 4 KiB .. 1 MiB */
	uint32_t level;           /* compression level; 0 = the compressor's default */
	bool lz4_hc;              /* lz4 high-compression mode */
	uint32_t mkfs_time;       /* superblock modification time */
	bool no_xattrs;           /* drop every extended attribute */
	bool no_fragments;        /* tail ends in their own blocks */
	bool no_duplicates;       /* do not share identical blocks */
	bool exportable;          /* write an NFS export table (mksquashfs default) */
	bool force_uid_set, force_gid_set;
	uint32_t force_uid, force_gid;
	bool all_time_set;        /* every inode gets all_time */
	uint32_t all_time;
	unsigned jobs;            /* compressor threads; 0 = 1 */
};

/* squashfs_comp_parse - name ("gzip", "xz", ... "none") to enum; -EINVAL if unknown. */
int squashfs_comp_parse(const char *name, enum squashfs_comp *ret);
const char *squashfs_comp_name(enum squashfs_comp c);

/*
 * squashfs_comp_check - whether the libsquashfs this kiln runs with can
 * compress with @c at @level (and lz4_hc). 0, or -EOPNOTSUPP /
 * -EINVAL with the reason in @d (e.g. lzo, which Debian's libsquashfs
 * leaves out for licence reasons).
 */
int squashfs_comp_check(const struct squashfs_opts *o, struct diag *d);

/*
 * squashfs_write - write @t (finished: sorted, link counts) as a squashfs
 * filesystem at offset 0 of @out, padded to 4 KiB as mksquashfs does.
 * *ret_size is the padded length. Extended attributes the format
 * cannot hold (squashfs keeps user.*, trusted.* and security.* only)
 * are dropped with one warning through @d. Returns 0, -ENOMEM, -EIO
 * (a source file changed size while read; diag names it), -errno from
 * the source files or the sink, -EOVERFLOW (device numbers or more
 * than 2^32 inodes), -EINVAL (bad options).
 */
int squashfs_write(struct tree *t, const struct squashfs_opts *o, struct sink *out,
		   uint64_t *ret_size, struct diag *d);

#endif
