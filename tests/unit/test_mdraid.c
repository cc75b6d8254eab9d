/* SPDX-License-Identifier: MIT */
/* md v1.2 superblock: every field's offset against the kernel's own
 * struct mdp_superblock_1 (linux/raid/md_p.h), the encoded fields, the
 * checksum (odd and even device counts) and the member checks. */
#include <errno.h>
#include <linux/raid/md_p.h>
#include <stddef.h>
#include <string.h>

#include "base/diag.h"
#include "base/endian.h"
#include "part/mdraid.h"
#include "t.h"

#define SAME(f) CHECK_EQ_U64(offsetof(struct md_sb1, f), offsetof(struct mdp_superblock_1, f))

static void test_offsets(void)
{
	SAME(magic); SAME(major_version); SAME(feature_map); SAME(pad0); SAME(set_uuid);
	SAME(set_name); SAME(ctime); SAME(level); SAME(layout); SAME(size); SAME(chunksize);
	SAME(raid_disks); SAME(bitmap_offset); SAME(new_level); SAME(reshape_position);
	SAME(delta_disks); SAME(new_layout); SAME(new_chunk); SAME(new_offset);
	SAME(data_offset); SAME(data_size); SAME(super_offset); SAME(recovery_offset);
	SAME(dev_number); SAME(cnt_corrected_read); SAME(device_uuid); SAME(devflags);
	SAME(bblog_shift); SAME(bblog_size); SAME(bblog_offset); SAME(utime); SAME(events);
	SAME(resync_offset); SAME(sb_csum); SAME(max_dev); SAME(pad3);
	CHECK_EQ_U64(sizeof(struct mdp_superblock_1), sizeof(struct md_sb1));
	CHECK_EQ_U64(offsetof(struct md_bitmap_sb, sync_size), 40);
	CHECK_EQ_U64(offsetof(struct md_bitmap_sb, sectors_reserved), 64);
	CHECK_EQ_U64(offsetof(struct md_bitmap_sb, cluster_name), 72);
}

static void test_encode(void)
{
	struct md_member m = { .name = "host:md0", .ctime = 1700000000, .devices = 3,
			       .role = 2, .size = 8 << 20 };
	uint8_t sb[256 + 6], bm[256];
	struct diag d = { 0 };
	uint64_t sum = 0;

	memset(m.array_uuid.b, 0xab, 16);
	memset(m.device_uuid.b, 0xcd, 16);
	CHECK(md_member_check(&m, &d) == 0);
	md_sb_encode(&m, sb);
	CHECK_EQ_U64(get_le32(sb), MD_SB_MAGIC);
	CHECK_EQ_U64(get_le32(sb + 72), 1);             /* level */
	CHECK_EQ_U64(get_le64(sb + 80), (7u << 20) / 512); /* size */
	CHECK_EQ_U64(get_le32(sb + 92), 3);             /* raid_disks */
	CHECK_EQ_U64(get_le64(sb + 128), 2048);         /* data_offset */
	CHECK_EQ_U64(get_le64(sb + 144), 8);            /* super_offset */
	CHECK_EQ_U64(get_le32(sb + 160), 2);            /* dev_number */
	CHECK_EQ_U64(get_le32(sb + 220), 3);            /* max_dev */
	CHECK_EQ_U64(get_le16(sb + 256 + 4), 2);        /* roles[2] */
	CHECK(!strcmp((char *)sb + 32, "host:md0"));
	/* The checksum, recomputed here independently: the le32 words of
	 * 256 + 2*3 bytes (the last 2 bytes as le16), csum read as 0, the
	 * carry folded once. */
	for (unsigned i = 0; i + 4 <= sizeof(sb); i += 4)
		sum += i == 216 ? 0 : get_le32(sb + i);
	sum += get_le16(sb + 260);
	CHECK_EQ_U64(get_le32(sb + 216), (uint32_t)((sum & 0xffffffff) + (sum >> 32)));
	md_bitmap_encode(&m, bm);
	CHECK_EQ_U64(get_le32(bm), MD_BITMAP_MAGIC);
	CHECK_EQ_U64(get_le32(bm + 4), 4);
	CHECK(!memcmp(bm + 8, m.array_uuid.b, 16));
	CHECK_EQ_U64(get_le64(bm + 40), (7u << 20) / 512);

	m.role = 3;
	CHECK(md_member_check(&m, &d) == -EINVAL);
	m.role = 0;
	m.size = (1 << 20) + 512;
	CHECK(md_member_check(&m, &d) == -EINVAL);
	m.size = 1 << 20;
	CHECK(md_member_check(&m, &d) == -EINVAL);
}

int main(void)
{
	T_RUN(test_offsets);
	T_RUN(test_encode);
	return T_DONE();
}
