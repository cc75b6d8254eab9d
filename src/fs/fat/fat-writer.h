/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_FAT_WRITER_H
#define KILN_FS_FAT_WRITER_H

/*
 * The FAT writer: plan a FAT12/16/32 filesystem holding a tree, then
 * stream it onto a sink. Planning validates every name, generates short
 * names, sizes the volume and allocates every cluster (directories first,
 * then files, each contiguous, in sorted breadth-first order) before a
 * byte is written; writing reads file data straight from each node's
 * src_path and needs no temporary copy.
 */

#include <stdbool.h>
#include <stdint.h>

#include "fs/fat/fat-geom.h"

struct diag;
struct sink;
struct tree;

enum fat_symlinks {
	FAT_SYMLINKS_ERROR, /* a symlink is an error naming its path */
	FAT_SYMLINKS_COPY,  /* store a copy of the file it points to (resolved in the tree) */
	FAT_SYMLINKS_SKIP,  /* leave it out, with one warning */
};

struct fat_options {
	struct fat_geom_req geom;  /* geom.size 0: the smallest size that fits + margin */
	uint64_t margin_bytes;     /* extra space when sizing automatically ... */
	unsigned margin_percent;   /* ... or this percentage of the minimum (if bytes 0) */
	uint32_t hidden_sectors;
	uint32_t volume_id;
	const char *label;         /* NULL or "": no label */
	bool drive_number_set;
	uint8_t drive_number;      /* default 0x80 for media 0xF8, else 0 */
	uint8_t media;             /* 0: geometry default (0xF8) */
	int64_t epoch;             /* time of the volume label entry */
	enum fat_symlinks symlinks;
	const char *name;          /* the image, for warnings (NULL: none) */
};

struct fat_plan;

/*
 * fat_plan_new - plan the filesystem for @t (finished; must outlive the
 * plan) with @o. Returns 0, or:
 *  -EINVAL  a name FAT cannot hold (forbidden character, invalid UTF-8,
 *           two names differing only in case), a bad label or option;
 *  -ENAMETOOLONG  a name over 255 UTF-16 units;
 *  -EPERM   a symlink (policy error), device node, FIFO or socket;
 *  -EFBIG   a file of 4 GiB or more;
 *  -ENOSPC  the content does not fit @o->geom.size (the message says how
 *           much is needed) or no FAT of the requested type can hold it;
 *  -ENOMEM.
 * Each error's diag names the path or value.
 */
int fat_plan_new(struct fat_plan **ret, struct tree *t, const struct fat_options *o,
		 struct diag *d);

/* Volume size in bytes (the requested size, or the one chosen). */
uint64_t fat_plan_size(const struct fat_plan *p);
const struct fat_geom *fat_plan_geom(const struct fat_plan *p);
/* Clusters holding directories and file data. */
uint32_t fat_plan_used_clusters(const struct fat_plan *p);
/* Smallest volume size that would hold the content (same options). */
uint64_t fat_plan_min_size(const struct fat_plan *p);

/*
 * fat_plan_write - write the planned filesystem onto @out (at least
 * fat_plan_size() bytes, all zero/hole beforehand). Returns 0, or a sink
 * error, or -errno when an input file cannot be read or is shorter than
 * planned (diag names it).
 */
int fat_plan_write(const struct fat_plan *p, struct sink *out, struct diag *d);

/* Change the BPB's hidden-sector count (the partition start, known only
 * once a disk image has placed the filesystem). Layout is unaffected. */
void fat_plan_set_hidden_sectors(struct fat_plan *p, uint32_t n);

void fat_plan_free(struct fat_plan *p);

#endif
