/* SPDX-License-Identifier: MIT */
/* md RAID1 v1.2 member superblock (part/mdraid.h). */
#include <errno.h>
#include <string.h>

#include "base/diag.h"
#include "base/endian.h"
#include "part/mdraid.h"

#define MD_FEATURE_BITMAP_OFFSET 1u

uint32_t md_sb_csum(const uint8_t *sb, uint32_t len)
{
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i + 4 <= len; i += 4)
		if (i != offsetof(struct md_sb1, sb_csum))
			sum += get_le32(sb + i);
	if (len - i == 2)
		sum += get_le16(sb + i);
	return (uint32_t)((sum & 0xffffffffu) + (sum >> 32));
}

int md_member_check(const struct md_member *m, struct diag *d)
{
	if (m->devices < 1 || m->devices > MD_MAX_DEVICES)
		return diag_fail(d, -EINVAL, "devices = %u: must be 1 to %d", m->devices,
				 MD_MAX_DEVICES);
	if (m->role >= m->devices)
		return diag_fail(d, -EINVAL, "role %u: must be below devices (%u)", m->role,
				 m->devices);
	/* 1 PiB keeps the bitmap chunk size within its 32 bits. */
	if (m->size % MD_ALIGN || m->size <= MD_DATA_OFFSET || m->size > (1ull << 50))
		return diag_fail(d, -EINVAL,
				 "size %llu: must be a multiple of 4096 above 1 MiB, at most 1 PiB",
				 (unsigned long long)m->size);
	return 0;
}

static uint64_t data_sectors(const struct md_member *m)
{
	return (m->size - MD_DATA_OFFSET) / 512;
}

void md_sb_encode(const struct md_member *m, uint8_t *out)
{
	struct md_sb1 *sb = (struct md_sb1 *)out;
	uint8_t *roles = out + sizeof(*sb);
	/* ctime/utime: low 40 bits seconds, high 24 microseconds (0). */
	uint64_t t = m->ctime & 0xffffffffffull;

	memset(out, 0, md_sb_bytes(m->devices));
	put_le32(sb->magic, MD_SB_MAGIC_V1);
	put_le32(sb->major_version, 1);
	put_le32(sb->feature_map, MD_FEATURE_BITMAP_OFFSET);
	memcpy(sb->set_uuid, m->array_uuid.b, 16);
	/* At most 31 bytes, the 32nd always 0, as genimage. */
	memcpy(sb->set_name, m->name, strnlen(m->name, 31));
	put_le64(sb->ctime, t);
	put_le32(sb->level, 1);
	put_le64(sb->size, data_sectors(m));
	put_le32(sb->raid_disks, m->devices);
	put_le32(sb->bitmap_offset, (MD_BITMAP_OFFSET - MD_SUPER_OFFSET) / 512);
	put_le64(sb->data_offset, MD_DATA_OFFSET / 512);
	put_le64(sb->data_size, data_sectors(m));
	put_le64(sb->super_offset, MD_SUPER_OFFSET / 512);
	put_le32(sb->dev_number, m->role);
	memcpy(sb->device_uuid, m->device_uuid.b, 16);
	/* The bad-block log is reserved after the bitmap's room (not
	 * enabled: no MD_FEATURE_BAD_BLOCKS), as genimage reserves it. */
	sb->bblog_shift = 9;
	put_le16(sb->bblog_size, 8);
	put_le32(sb->bblog_offset, 8 + MD_BITMAP_SECTORS_MAX + 8);
	put_le64(sb->utime, t);
	put_le32(sb->max_dev, m->devices);
	/* Every member active in the role of its number. */
	for (uint32_t i = 0; i < m->devices; i++)
		put_le16(roles + 2 * i, (uint16_t)i);
	put_le32(sb->sb_csum, md_sb_csum(out, md_sb_bytes(m->devices)));
}

void md_bitmap_encode(const struct md_member *m, uint8_t out[256])
{
	struct md_bitmap_sb *b = (struct md_bitmap_sb *)out;
	uint64_t sync = data_sectors(m), chunk = 64ull << 20, reserved;

	memset(out, 0, 256);
	put_le32(b->magic, MD_BITMAP_MAGIC);
	put_le32(b->version, 4);
	memcpy(b->uuid, m->array_uuid.b, 16);
	put_le64(b->sync_size, sync);
	/* genimage's sizing, kept for identical bytes: 64 MiB chunks,
	 * doubled until the reservation fits 256 sectors. */
	reserved = (sync / chunk + 7) / 8 * 8;
	while (reserved > MD_BITMAP_SECTORS_MAX) {
		chunk *= 2;
		reserved = (sync / chunk + 7) / 8 * 8;
	}
	put_le32(b->chunksize, (uint32_t)chunk);
	put_le32(b->daemon_sleep, 5);
	put_le32(b->sectors_reserved, (uint32_t)reserved);
}
