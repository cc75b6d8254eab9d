/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_FAT_WRITER_INT_H
#define KILN_FS_FAT_WRITER_INT_H

/*
 * Internal: the FAT plan shared by the tree scan (fat-scan.c), sizing and
 * allocation (fat-plan.c), metadata writing (fat-write-meta.c) and the
 * data streamer (fat-writer.c).
 */

#include <stdbool.h>
#include <stdint.h>

#include "fs/fat/fat-geom.h"
#include "fs/fat/fat-writer.h"

struct diag;
struct sink;
struct tree_node;

struct fat_obj {
	struct tree_node *node;        /* the directory entry */
	const struct tree_node *data;  /* regular file holding its bytes */
	uint64_t size;
	uint32_t first, nclus;
	uint32_t dir;                  /* directories: index in plan->dirs */
	uint8_t sfn[11], ntres, nlfn;
	bool is_dir;
};

struct fat_dir {
	uint32_t obj;                  /* UINT32_MAX for the root */
	uint32_t parent;
	uint32_t kid0, nkids;
	uint32_t nentries;
	uint32_t first, nclus;
};

struct fat_plan {
	struct tree *tree;
	struct fat_options o;
	uint8_t label[11];
	bool has_label;
	struct fat_geom g;
	uint64_t size, min_size;
	struct fat_obj *objs;
	uint32_t nobjs, capobjs;
	struct fat_dir *dirs;
	uint32_t ndirs, capdirs;
	uint32_t next_free;            /* first cluster after the allocated ones */
	uint32_t used;
	uint16_t root_need;            /* slots the root directory needs */
};

/* Fail with a message naming @n's path: "/a/b: why". */
int fat_fail_path(struct diag *d, int err, const struct tree_node *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Scan the tree into p->objs/p->dirs: classify every entry, validate its
 * name, pick short names and count directory slots. 0 or -errno (diag). */
int fat_plan_scan(struct fat_plan *p, struct diag *d);

/* Boot sector (and FAT32 backup/FSInfo) and the used head of every FAT. */
int fat_write_tables(const struct fat_plan *p, struct sink *out, struct diag *d);
/* Every directory's entries (the FAT12/16 root in its fixed area). */
int fat_write_dirs(const struct fat_plan *p, struct sink *out, struct diag *d);

#endif
