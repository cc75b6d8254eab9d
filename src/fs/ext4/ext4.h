/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_EXT4_H
#define KILN_FS_EXT4_H

/*
 * The ext2/3/4 writer. ext4_plan_new() computes the whole layout from a
 * finished tree (groups, metadata placement, inode numbers, every file's
 * blocks, directory sizes, journal) without writing anything;
 * ext4_write() then streams it onto a sink. Same tree and options give
 * the same bytes.
 */

#include <stdbool.h>
#include <stdint.h>

struct diag;
struct sink;
struct tree;
struct ext4_plan;

struct ext4_opts {
	uint32_t block_size;        /* 1024/2048/4096; 0: mke2fs's choice by size */
	uint32_t inode_size;        /* 128/256/...; 0: 256 */
	uint32_t inode_ratio;       /* bytes per inode; 0: by usage type */
	uint64_t inodes;            /* -N; 0: from the ratio */
	uint32_t reserved_permille; /* -m in tenths of a percent */
	uint64_t size;              /* bytes; 0: the smallest that fits (+margin) */
	uint32_t margin_pct;        /* auto size only: extra free space in percent */
	uint64_t margin_min;        /* auto size only: at least this many extra bytes */
	uint32_t compat, incompat, ro_compat; /* feature bits (ext4-format.h) */
	char label[17];
	uint8_t uuid[16];
	uint32_t hash_seed[4];      /* as stored (le32 words) */
	int64_t timestamp;          /* superblock times */
	bool root_owner_set;
	uint32_t root_uid, root_gid;
	uint64_t journal_bytes;     /* 0: as mke2fs sizes it */
	const char *usage_type;     /* mke2fs -T: NULL = by size */
	uint8_t quota_types;        /* EXT4_QUOTA_* with the quota feature */
	bool quota_types_set;       /* -E quotatype=; else user and group (+ project) */
};

/* Quota files written with the quota feature (mke2fs -E quotatype=). */
#define EXT4_QUOTA_USR 1
#define EXT4_QUOTA_GRP 2
#define EXT4_QUOTA_PRJ 4

/*
 * ext4_plan_new - lay out @t (finished) with @o. Reads input metadata
 * (hole maps of regular files) but writes nothing. Errors: -ENOSPC with
 * the number of blocks/inodes needed, -EINVAL for impossible options or
 * names/xattrs the format cannot hold, -errno for unreadable inputs (the
 * diag names the path). The plan keeps pointers into @t: free the plan
 * first.
 */
int ext4_plan_new(struct ext4_plan **ret, struct tree *t, const struct ext4_opts *o,
		  struct diag *d);

/* Total bytes of the filesystem (blocks_count * block size). */
uint64_t ext4_plan_bytes(const struct ext4_plan *p);

/* One-line summary for `kiln plan` into @buf. */
void ext4_plan_summary(const struct ext4_plan *p, char *buf, size_t len);

/*
 * ext4_write - write the planned filesystem onto @out (at least
 * ext4_plan_bytes() long, all zero/hole). File data is read from each
 * node's src_path; a file whose size changed since planning, or that
 * cannot be read, fails with the path in the diag. Returns 0 or -errno.
 */
int ext4_write(struct ext4_plan *p, struct sink *out, struct diag *d);

void ext4_plan_free(struct ext4_plan *p);

/* Feature names <-> bits: parse a mke2fs -O style list ("a,^b,c") onto
 * @o's bits. Unknown name: -EINVAL with it in the diag. */
int ext4_features_apply(struct ext4_opts *o, const char *list, struct diag *d);

/* ext4_quota_types_parse - mke2fs's quotatype list ("usrquota:grpquota",
 * also "usr", "grp", "prj"...; ',' or ':' separate; "" is none) into
 * EXT4_QUOTA_* bits. Unknown name: -EINVAL with it in the diag. */
int ext4_quota_types_parse(const char *list, uint8_t *ret, struct diag *d);

/* Defaults of mke2fs.conf for "ext2", "ext3", "ext4" into @o's bits. */
void ext4_features_default(struct ext4_opts *o, const char *fstype);

/* Space-separated names of the features set in @o (for messages). */
void ext4_features_format(const struct ext4_opts *o, char *buf, size_t len);

#endif
