/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_FAT_FORMAT_H
#define KILN_FS_FAT_FORMAT_H

/*
 * FAT on-disk structures (Microsoft FAT specification, fatgen103): the
 * boot sector with its BIOS parameter block, the FAT32 FSInfo sector,
 * 32-byte directory entries and VFAT long-name entries. Pure byte
 * layout: every function writes into the caller's buffer, no I/O, no
 * allocation. Offsets are the spec's; tests/unit/test_fat_format.c checks
 * each one.
 */

#include <stdbool.h>
#include <stdint.h>

/* Boot sector / BPB field offsets (common part). */
enum {
	FAT_BS_JMP = 0,          /* 3: EB xx 90 */
	FAT_BS_OEM = 3,          /* 8 */
	FAT_BPB_BYTSPERSEC = 11, /* 2 */
	FAT_BPB_SECPERCLUS = 13, /* 1 */
	FAT_BPB_RSVDSECCNT = 14, /* 2 */
	FAT_BPB_NUMFATS = 16,    /* 1 */
	FAT_BPB_ROOTENTCNT = 17, /* 2 */
	FAT_BPB_TOTSEC16 = 19,   /* 2 */
	FAT_BPB_MEDIA = 21,      /* 1 */
	FAT_BPB_FATSZ16 = 22,    /* 2 */
	FAT_BPB_SECPERTRK = 24,  /* 2 */
	FAT_BPB_NUMHEADS = 26,   /* 2 */
	FAT_BPB_HIDDSEC = 28,    /* 4 */
	FAT_BPB_TOTSEC32 = 32,   /* 4 */
	/* FAT12/16 extended BPB */
	FAT16_BS_DRVNUM = 36,
	FAT16_BS_BOOTSIG = 38,
	FAT16_BS_VOLID = 39,
	FAT16_BS_VOLLAB = 43,
	FAT16_BS_FILSYSTYPE = 54,
	FAT16_BS_CODE = 62,
	/* FAT32 extended BPB */
	FAT32_BPB_FATSZ32 = 36,
	FAT32_BPB_EXTFLAGS = 40,
	FAT32_BPB_FSVER = 42,
	FAT32_BPB_ROOTCLUS = 44,
	FAT32_BPB_FSINFO = 48,
	FAT32_BPB_BKBOOTSEC = 50,
	FAT32_BS_DRVNUM = 64,
	FAT32_BS_BOOTSIG = 66,
	FAT32_BS_VOLID = 67,
	FAT32_BS_VOLLAB = 71,
	FAT32_BS_FILSYSTYPE = 82,
	FAT32_BS_CODE = 90,
	FAT_BS_SIGNATURE = 510,  /* 0x55 0xAA */
};

/* FSInfo offsets. */
enum {
	FAT_FSI_LEADSIG = 0,     /* 0x41615252 "RRaA" */
	FAT_FSI_STRUCSIG = 484,  /* 0x61417272 "rrAa" */
	FAT_FSI_FREE_COUNT = 488,
	FAT_FSI_NXT_FREE = 492,
	FAT_FSI_TRAILSIG = 508,  /* 0xAA550000 */
};

/* Directory entry offsets. */
enum {
	FAT_DIR_NAME = 0,        /* 11: 8.3, space padded */
	FAT_DIR_ATTR = 11,
	FAT_DIR_NTRES = 12,      /* lowercase flags */
	FAT_DIR_CRTTIMETENTH = 13,
	FAT_DIR_CRTTIME = 14,
	FAT_DIR_CRTDATE = 16,
	FAT_DIR_LSTACCDATE = 18,
	FAT_DIR_FSTCLUSHI = 20,
	FAT_DIR_WRTTIME = 22,
	FAT_DIR_WRTDATE = 24,
	FAT_DIR_FSTCLUSLO = 26,
	FAT_DIR_FILESIZE = 28,
	FAT_DIRENT_SIZE = 32,
};

/* Long-name entry offsets. */
enum {
	FAT_LDIR_ORD = 0,
	FAT_LDIR_NAME1 = 1,      /* 5 UTF-16 units */
	FAT_LDIR_ATTR = 11,      /* 0x0F */
	FAT_LDIR_TYPE = 12,
	FAT_LDIR_CHKSUM = 13,
	FAT_LDIR_NAME2 = 14,     /* 6 units */
	FAT_LDIR_FSTCLUSLO = 26, /* 0 */
	FAT_LDIR_NAME3 = 28,     /* 2 units */
	FAT_LFN_CHARS = 13,
	FAT_LFN_LAST = 0x40,
};

#define FAT_ATTR_READ_ONLY 0x01
#define FAT_ATTR_HIDDEN 0x02
#define FAT_ATTR_SYSTEM 0x04
#define FAT_ATTR_VOLUME_ID 0x08
#define FAT_ATTR_DIRECTORY 0x10
#define FAT_ATTR_ARCHIVE 0x20
#define FAT_ATTR_LONG_NAME 0x0F

#define FAT_NTRES_LOWER_BASE 0x08 /* display the 8-char base in lowercase */
#define FAT_NTRES_LOWER_EXT 0x10  /* display the extension in lowercase */

/* Cluster-count limits (spec: type follows the count of data clusters). */
#define FAT12_MAX_CLUSTERS 4084u
#define FAT16_MIN_CLUSTERS 4085u
#define FAT16_MAX_CLUSTERS 65524u
#define FAT32_MIN_CLUSTERS 65525u
#define FAT32_MAX_CLUSTERS 0x0FFFFFF4u

/* FAT type implied by a count of data clusters (12, 16 or 32). */
unsigned fat_type_for_clusters(uint32_t clusters);

/* Everything the boot sector records. */
struct fat_bpb {
	unsigned fat_type;         /* 12, 16, 32 */
	char oem[8];
	uint16_t bytes_per_sector;
	uint8_t sectors_per_cluster;
	uint16_t reserved_sectors;
	uint8_t num_fats;
	uint16_t root_entries;     /* 0 on FAT32 */
	uint32_t total_sectors;
	uint8_t media;
	uint32_t fat_sectors;      /* per FAT */
	uint16_t sectors_per_track, heads;
	uint32_t hidden_sectors;
	uint8_t drive_number;
	uint32_t volume_id;
	char label[11];            /* space padded; "NO NAME    " when none */
	/* FAT32 only */
	uint32_t root_cluster;
	uint16_t fsinfo_sector, backup_boot_sector;
};

/*
 * fat_bpb_encode - lay out a complete boot sector (@out, 512 bytes; a
 * larger logical sector is the caller's zeroed buffer beyond that).
 * Boot code is a tiny stub that asks the BIOS for the next boot device.
 */
void fat_bpb_encode(const struct fat_bpb *b, uint8_t out[512]);

/*
 * fat_bpb_decode - read a boot sector back. The type is taken from the
 * cluster count as the spec says. Returns 0, or -EINVAL when the sector
 * has no 0x55AA signature or impossible geometry (including root entries
 * or a 16-bit FAT size on FAT32, no 16-bit FAT size on FAT12/16).
 */
int fat_bpb_decode(const uint8_t in[512], struct fat_bpb *ret);

/* FSInfo sector (512 bytes). */
void fat_fsinfo_encode(uint32_t free_count, uint32_t next_free, uint8_t out[512]);

/* FAT date/time from a Unix time (UTC). Times before 1980-01-01 or
 * after 2107-12-31 23:59:58 are clamped; *ret_clamped says so. */
void fat_time_encode(int64_t t, uint16_t *ret_date, uint16_t *ret_time, uint8_t *ret_tenth,
		     bool *ret_clamped);
/* Inverse (for tests): seconds since the epoch, UTC. */
int64_t fat_time_decode(uint16_t date, uint16_t time, uint8_t tenth);

/* A short directory entry. */
struct fat_dirent {
	uint8_t name[11];
	uint8_t attr, ntres;
	uint16_t date, time;      /* write = creation = this */
	uint8_t tenth;
	uint32_t first_cluster;
	uint32_t size;
};
void fat_dirent_encode(const struct fat_dirent *e, uint8_t out[32]);
void fat_dirent_decode(const uint8_t in[32], struct fat_dirent *ret);

/* Checksum of an 11-byte short name, stored in each of its LFN entries. */
uint8_t fat_lfn_checksum(const uint8_t name[11]);

/*
 * fat_lfn_encode - the LFN entries for @name (@len UTF-16 units, 1..255)
 * in on-disk order (highest ordinal first), 32 bytes each, into @out
 * (room for fat_lfn_count(len) entries).
 */
unsigned fat_lfn_count(unsigned len);
void fat_lfn_encode(const uint16_t *name, unsigned len, uint8_t checksum, uint8_t *out);

#endif
