/* SPDX-License-Identifier: MIT */
#ifndef KILN_PART_GPT_H
#define KILN_PART_GPT_H

/*
 * GPT codec (UEFI 2.x, chapter 5): header, entry array, their CRCs. Pure
 * byte layout, no I/O, no allocation. GUIDs are handled in their on-disk
 * (mixed-endian) byte order; base/ids.h converts from RFC 4122 UUIDs.
 *
 * kiln writes the classic layout: 128 entries of 128 bytes (16 KiB, 32
 * sectors); the primary header at LBA 1, the array at `gpt-location`
 * (default LBA 2), the backup array and header in the last 33 sectors.
 */

#include <stddef.h>
#include <stdint.h>

#define GPT_SECTOR_SIZE 512u
#define GPT_HEADER_SIZE 92u
#define GPT_ENTRY_SIZE 128u
#define GPT_NENTRIES 128u
#define GPT_ARRAY_SIZE (GPT_NENTRIES * GPT_ENTRY_SIZE)          /* 16384 */
#define GPT_ARRAY_SECTORS (GPT_ARRAY_SIZE / GPT_SECTOR_SIZE)    /* 32 */
#define GPT_BACKUP_SECTORS (GPT_ARRAY_SECTORS + 1)              /* array + header */
#define GPT_REVISION_1_0 0x00010000u
#define GPT_NAME_LEN 36u                                        /* UTF-16 units */

/* Entry attribute bits. */
#define GPT_ATTR_REQUIRED (1ull << 0)
#define GPT_ATTR_LEGACY_BOOTABLE (1ull << 2)
#define GPT_ATTR_READ_ONLY (1ull << 60)
#define GPT_ATTR_HIDDEN (1ull << 62)
#define GPT_ATTR_NO_AUTOMOUNT (1ull << 63)

struct gpt_header_raw {
	uint8_t signature[8];      /* 0: "EFI PART" */
	uint8_t revision[4];       /* 8 */
	uint8_t header_size[4];    /* 12: 92 */
	uint8_t header_crc[4];     /* 16: CRC32 of these 92 bytes, this field 0 */
	uint8_t reserved[4];       /* 20 */
	uint8_t current_lba[8];    /* 24 */
	uint8_t backup_lba[8];     /* 32 */
	uint8_t first_usable[8];   /* 40 */
	uint8_t last_usable[8];    /* 48 */
	uint8_t disk_guid[16];     /* 56 */
	uint8_t entries_lba[8];    /* 72 */
	uint8_t nentries[4];       /* 80 */
	uint8_t entry_size[4];     /* 84 */
	uint8_t entries_crc[4];    /* 88 */
} __attribute__((packed));
_Static_assert(sizeof(struct gpt_header_raw) == GPT_HEADER_SIZE, "GPT header is 92 bytes");

struct gpt_entry_raw {
	uint8_t type_guid[16];     /* 0 */
	uint8_t guid[16];          /* 16 */
	uint8_t first_lba[8];      /* 32 */
	uint8_t last_lba[8];       /* 40: inclusive */
	uint8_t attrs[8];          /* 48 */
	uint8_t name[72];          /* 56: UTF-16LE, NUL padded */
} __attribute__((packed));
_Static_assert(sizeof(struct gpt_entry_raw) == GPT_ENTRY_SIZE, "GPT entry is 128 bytes");

struct gpt_header {
	uint32_t revision;
	uint64_t current_lba, backup_lba, first_usable, last_usable, entries_lba;
	uint8_t disk_guid[16];
	uint32_t nentries, entry_size;
	uint32_t entries_crc;
	uint32_t header_crc;       /* decode: as stored; encode: computed */
};

struct gpt_entry {
	uint8_t type_guid[16], guid[16];
	uint64_t first_lba, last_lba, attrs;
	uint16_t name[GPT_NAME_LEN];
};

/* Encode @h into 92 bytes, computing the header CRC (h->header_crc is
 * ignored). */
void gpt_header_encode(const struct gpt_header *h, uint8_t out[GPT_HEADER_SIZE]);

/*
 * gpt_header_decode - decode and verify a header from @len bytes at @buf.
 * Returns 0; -EINVAL if @len < 92, the signature is not "EFI PART" or the
 * header size is outside 92..512 (or past @len); -EBADMSG on a CRC mismatch
 * (*ret is filled anyway).
 */
int gpt_header_decode(const void *buf, size_t len, struct gpt_header *ret);

void gpt_entry_encode(const struct gpt_entry *e, uint8_t out[GPT_ENTRY_SIZE]);
void gpt_entry_decode(const uint8_t in[GPT_ENTRY_SIZE], struct gpt_entry *ret);

/* True if the entry's type GUID is all zero (unused slot). */
int gpt_entry_is_unused(const uint8_t in[GPT_ENTRY_SIZE]);

/* CRC32 of an entry array (what entries_crc holds). */
uint32_t gpt_array_crc(const void *array, size_t len);

/*
 * gpt_name_from_utf8 - convert a UTF-8 name to UTF-16 code units (BMP
 * only, at most 36, rest zero). Returns 0, -EINVAL on malformed UTF-8 or a
 * character outside the BMP, -ENAMETOOLONG if longer than 36 units.
 * Bytes of an invalid sequence are not guessed at.
 */
int gpt_name_from_utf8(const char *s, uint16_t out[GPT_NAME_LEN]);

#endif
