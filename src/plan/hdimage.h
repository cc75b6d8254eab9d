/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_HDIMAGE_H
#define KILN_PLAN_HDIMAGE_H

/* State shared by the hdimage planner (img-hdimage.c) and its writer
 * (hd-write.c). Everything here is fixed by setup before any byte is
 * written. */

#include <stdbool.h>
#include <stdint.h>

#include "base/ids.h"

struct build;
struct diag;
struct image;
struct sink;

enum hd_table {
	HD_TABLE_NONE = 0,
	HD_TABLE_MBR = 1,
	HD_TABLE_GPT = 2,
	HD_TABLE_HYBRID = 3, /* HD_TABLE_MBR | HD_TABLE_GPT */
};

struct hd_priv {
	enum hd_table table;
	uint64_t align;          /* image `align` (table granularity) */
	bool align_set;
	unsigned ext_index;      /* `extended-partition` (0: automatic) */
	int ext;                 /* index of the [Extended] entry in img->parts, -1 */
	uint32_t disksig;
	char *disksig_str;       /* as written, NULL if unset */
	struct uuid disk_uuid;
	bool disk_uuid_set;
	uint64_t gpt_location;
	bool gpt_no_backup, fill;
	bool genimage;           /* genimage mode: genimage's layout and bytes */
	/* Fixed by setup. */
	uint64_t first_usable_lba, last_usable_lba;
	uint64_t backup_offset;  /* [GPT backup]: array, then header */
	const char *cfgfile;
	unsigned line;
};

/* Place @img's partitions and tables: offsets, sizes, types, ids, the
 * disk's size (hd-layout.c). */
int hd_setup(struct build *b, struct image *img, struct diag *d);

/* Write partitions, EBRs and tables of @img onto @out (hd-write.c). */
int hd_generate(struct build *b, struct image *img, struct sink *out, struct diag *d);

#endif
