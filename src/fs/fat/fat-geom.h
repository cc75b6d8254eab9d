/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_FAT_GEOM_H
#define KILN_FS_FAT_GEOM_H

/*
 * The FAT geometry planner: from a volume size and the user's choices,
 * the FAT type, cluster size, FAT size, reserved sectors and root
 * directory size. Unless told otherwise it makes mkfs.vfat's (dosfstools
 * 4.2) choices for the same size, so a kiln FAT looks like the one
 * genimage would have made; where mkfs.vfat only warns about a cluster
 * count that the spec assigns to another FAT type, kiln refuses.
 */

#include <stdbool.h>
#include <stdint.h>

struct diag;

/* What the user asked for; 0 = default. */
struct fat_geom_req {
	uint64_t size;             /* bytes */
	unsigned fat_type;         /* 0 (auto), 12, 16, 32 */
	unsigned sector_size;      /* 512 .. 32768, power of two */
	unsigned sectors_per_cluster; /* 1 .. 128, power of two */
	unsigned reserved;         /* reserved sectors */
	unsigned nfats;            /* 1 .. 4 */
	unsigned root_entries;     /* FAT12/16 root directory slots */
};

struct fat_geom {
	unsigned fat_type;
	uint32_t sector_size, sectors_per_cluster, cluster_bytes;
	uint32_t total_sectors, reserved, nfats, fat_sectors;
	uint32_t root_entries, root_sectors; /* 0 on FAT32 */
	uint32_t data_start;       /* first sector of cluster 2 */
	uint32_t clusters;         /* data clusters (numbered 2 .. clusters+1) */
	uint8_t media;
	uint16_t sectors_per_track, heads;
	uint16_t backup_boot;      /* FAT32 */
};

/*
 * fat_geom_plan - compute the geometry for @req. Returns 0, or
 * -EINVAL for impossible parameters and -ENOSPC when the size is too
 * small or too large for the requested type / cluster size; the diag
 * says which and what would work.
 */
int fat_geom_plan(const struct fat_geom_req *req, struct fat_geom *ret, struct diag *d);

/* Byte offset of cluster @c (≥ 2) in the volume. */
static inline uint64_t fat_cluster_offset(const struct fat_geom *g, uint32_t c)
{
	return ((uint64_t)g->data_start + (uint64_t)(c - 2) * g->sectors_per_cluster) *
	       g->sector_size;
}

#endif
