/* SPDX-License-Identifier: MIT */
#ifndef KILN_PART_MDRAID_H
#define KILN_PART_MDRAID_H

/*
 * Linux md RAID1 member with a v1.2 superblock, as genimage's `mdraid`
 * writes it (docs/formats/mdraid.md): the superblock 4 KiB into the
 * member, a write-intent bitmap superblock 4 KiB after it, the array's
 * data from 1 MiB on. It lives in part/ because, like a partition table,
 * it is a header that places one payload at an offset of a disk.
 * All fields little-endian.
 */

#include <stdint.h>

#include "base/ids.h"

struct diag;

#define MD_SB_MAGIC_V1 0xa92b4efcu
#define MD_SUPER_OFFSET 4096u       /* v1.2: 8 sectors in */
#define MD_BITMAP_OFFSET 8192u      /* 8 sectors after the superblock */
#define MD_DATA_OFFSET (1u << 20)   /* 2048 sectors, as genimage */
#define MD_ALIGN 4096u              /* member size granularity */
#define MD_MAX_DEVICES 384          /* a superblock fits in 1 KiB, as mdadm's v1 limit */
#define MD_BITMAP_SECTORS_MAX 256
#define MD_BITMAP_MAGIC 0x6d746962u /* "bitm" */

struct md_sb1 {
	uint8_t magic[4];
	uint8_t major_version[4];
	uint8_t feature_map[4];
	uint8_t pad0[4];
	uint8_t set_uuid[16];
	char set_name[32];
	uint8_t ctime[8];
	uint8_t level[4];
	uint8_t layout[4];
	uint8_t size[8];
	uint8_t chunksize[4];
	uint8_t raid_disks[4];
	uint8_t bitmap_offset[4];
	uint8_t new_level[4];
	uint8_t reshape_position[8];
	uint8_t delta_disks[4];
	uint8_t new_layout[4];
	uint8_t new_chunk[4];
	uint8_t new_offset[4];
	uint8_t data_offset[8];
	uint8_t data_size[8];
	uint8_t super_offset[8];
	uint8_t recovery_offset[8];
	uint8_t dev_number[4];
	uint8_t cnt_corrected_read[4];
	uint8_t device_uuid[16];
	uint8_t devflags;
	uint8_t bblog_shift;
	uint8_t bblog_size[2];
	uint8_t bblog_offset[4];
	uint8_t utime[8];
	uint8_t events[8];
	uint8_t resync_offset[8];
	uint8_t sb_csum[4];
	uint8_t max_dev[4];
	uint8_t pad3[32];
	/* followed by max_dev 16-bit roles */
} __attribute__((packed));
_Static_assert(sizeof(struct md_sb1) == 256, "md_sb1");

struct md_bitmap_sb {
	uint8_t magic[4];
	uint8_t version[4];
	uint8_t uuid[16];
	uint8_t events[8];
	uint8_t events_cleared[8];
	uint8_t sync_size[8];
	uint8_t state[4];
	uint8_t chunksize[4];
	uint8_t daemon_sleep[4];
	uint8_t write_behind[4];
	uint8_t sectors_reserved[4];
	uint8_t nodes[4];
	uint8_t cluster_name[64];
	uint8_t pad[120];
} __attribute__((packed));
_Static_assert(sizeof(struct md_bitmap_sb) == 256, "md_bitmap_sb");

struct md_member {
	struct uuid array_uuid, device_uuid;
	char name[33];       /* set_name, at most 32 bytes */
	uint64_t ctime;      /* seconds (low 40 bits stored) */
	uint32_t devices;    /* raid_disks = max_dev */
	uint32_t role;       /* dev_number */
	uint64_t size;       /* member size in bytes, multiple of MD_ALIGN, > MD_DATA_OFFSET */
};

/* Bytes of the superblock with its roles table: 256 + 2 * devices. */
static inline uint32_t md_sb_bytes(uint32_t devices)
{
	return 256 + 2 * devices;
}

/*
 * md_sb_encode - the superblock and roles of @m into @out
 * (md_sb_bytes(m->devices) bytes), checksum included.
 * md_bitmap_encode - the bitmap superblock into @out (256 bytes).
 * Pure layout; the caller checked @m (md_member_check).
 */
void md_sb_encode(const struct md_member *m, uint8_t *out);
void md_bitmap_encode(const struct md_member *m, uint8_t out[256]);

/* md_sb_csum - the v1 checksum of @sb (@len bytes), its sb_csum read as 0. */
uint32_t md_sb_csum(const uint8_t *sb, uint32_t len);

/*
 * md_member_check - devices in 1..MD_MAX_DEVICES, role < devices, size
 * aligned and larger than the data offset. 0 or -EINVAL with detail.
 */
int md_member_check(const struct md_member *m, struct diag *d);

#endif
