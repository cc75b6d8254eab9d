/* SPDX-License-Identifier: MIT */
#ifndef KILN_PART_MBR_H
#define KILN_PART_MBR_H

/*
 * MBR / EBR codec: pure byte layout, no I/O, no allocation.
 *
 * A DOS partition table lives in the last 72 bytes of sector 0:
 *
 *   440  disk signature (le32)
 *   444  copy-protect marker (2 bytes, 0)
 *   446  four 16-byte entries
 *   510  0x55 0xaa
 *
 * Only these 72 bytes are encoded: the 440 bytes of boot code before them
 * belong to whatever raw blob (bootloader) the user placed there. An EBR
 * uses the same layout from offset 446 (two entries used).
 */

#include <stdbool.h>
#include <stdint.h>

#define MBR_SECTOR_SIZE 512u
#define MBR_TAIL_OFFSET 440u   /* first byte written: disk signature */
#define MBR_TAIL_SIZE 72u      /* 440..511 */
#define MBR_TABLE_OFFSET 446u  /* first entry */
#define MBR_EBR_SIZE 66u       /* 446..511: what an EBR writes */
#define MBR_NENTRIES 4u

#define MBR_TYPE_EXTENDED_LBA 0x0f
#define MBR_TYPE_GPT_PROTECTIVE 0xee
#define MBR_BOOTABLE 0x80

/* On-disk entry (offsets relative to the entry). */
struct mbr_entry_raw {
	uint8_t boot;           /* 0: 0x80 = active */
	uint8_t chs_first[3];   /* 1 */
	uint8_t type;           /* 4 */
	uint8_t chs_last[3];    /* 5 */
	uint8_t lba_start[4];   /* 8: le32 */
	uint8_t lba_count[4];   /* 12: le32 */
} __attribute__((packed));
_Static_assert(sizeof(struct mbr_entry_raw) == 16, "MBR entry is 16 bytes");

/* On-disk tail of sector 0 (offsets relative to byte 440). */
struct mbr_tail_raw {
	uint8_t disk_signature[4];  /* 0 (440) */
	uint8_t copy_protect[2];    /* 4 (444) */
	struct mbr_entry_raw entry[4]; /* 6 (446) */
	uint8_t boot_signature[2];  /* 70 (510): 0x55 0xaa */
} __attribute__((packed));
_Static_assert(sizeof(struct mbr_tail_raw) == MBR_TAIL_SIZE, "MBR tail is 72 bytes");

struct mbr_part {
	bool bootable;
	uint8_t type;           /* 0: unused entry */
	uint32_t start;         /* LBA, relative as the table defines it */
	uint32_t count;         /* sectors */
	uint8_t chs_first[3], chs_last[3];
};

struct mbr_table {
	uint32_t disk_signature;
	struct mbr_part part[MBR_NENTRIES];
};

/*
 * CHS of @lba for a 255-head, 63-sector geometry. Two flavours:
 * mbr_chs_genimage reproduces genimage byte for byte (cylinder bits simply
 * truncated, LBA 0 gives sector 0); mbr_chs_clamped is the conventional one
 * (fdisk/sfdisk): beyond cylinder 1023 the triple is 1023/254/63.
 */
void mbr_chs_genimage(uint64_t lba, uint8_t chs[3]);
void mbr_chs_clamped(uint64_t lba, uint8_t chs[3]);

/* Encode @t as the 72 bytes at offset 440 of the sector (signature 55aa
 * included). An EBR is bytes 6..71 of the result (MBR_EBR_SIZE). */
void mbr_encode(const struct mbr_table *t, uint8_t out[MBR_TAIL_SIZE]);

/*
 * mbr_decode - decode a whole 512-byte sector.
 * Returns 0, or -EINVAL when the 55aa signature is missing. Unused entries
 * decode as type 0. Never reads past the 512 bytes.
 */
int mbr_decode(const uint8_t sector[MBR_SECTOR_SIZE], struct mbr_table *ret);

#endif
