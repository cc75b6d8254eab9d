/* SPDX-License-Identifier: MIT */
/* MBR/GPT codecs: round trips, every on-disk field's offset, CRCs, CHS. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "base/endian.h"
#include "base/hash.h"
#include "part/gpt.h"
#include "part/mbr.h"
#include "t.h"

static void test_mbr_offsets(void)
{
	CHECK_EQ_U64(offsetof(struct mbr_entry_raw, boot), 0);
	CHECK_EQ_U64(offsetof(struct mbr_entry_raw, chs_first), 1);
	CHECK_EQ_U64(offsetof(struct mbr_entry_raw, type), 4);
	CHECK_EQ_U64(offsetof(struct mbr_entry_raw, chs_last), 5);
	CHECK_EQ_U64(offsetof(struct mbr_entry_raw, lba_start), 8);
	CHECK_EQ_U64(offsetof(struct mbr_entry_raw, lba_count), 12);
	/* relative to sector offset 440 */
	CHECK_EQ_U64(MBR_TAIL_OFFSET + offsetof(struct mbr_tail_raw, disk_signature), 440);
	CHECK_EQ_U64(MBR_TAIL_OFFSET + offsetof(struct mbr_tail_raw, copy_protect), 444);
	CHECK_EQ_U64(MBR_TAIL_OFFSET + offsetof(struct mbr_tail_raw, entry), 446);
	CHECK_EQ_U64(MBR_TAIL_OFFSET + offsetof(struct mbr_tail_raw, entry[1]), 462);
	CHECK_EQ_U64(MBR_TAIL_OFFSET + offsetof(struct mbr_tail_raw, entry[3]), 494);
	CHECK_EQ_U64(MBR_TAIL_OFFSET + offsetof(struct mbr_tail_raw, boot_signature), 510);
	CHECK_EQ_U64(MBR_TABLE_OFFSET + MBR_EBR_SIZE, 512);
}

static void test_gpt_offsets(void)
{
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, signature), 0);
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, revision), 8);
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, header_size), 12);
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, header_crc), 16);
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, reserved), 20);
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, current_lba), 24);
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, backup_lba), 32);
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, first_usable), 40);
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, last_usable), 48);
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, disk_guid), 56);
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, entries_lba), 72);
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, nentries), 80);
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, entry_size), 84);
	CHECK_EQ_U64(offsetof(struct gpt_header_raw, entries_crc), 88);
	CHECK_EQ_U64(sizeof(struct gpt_header_raw), 92);
	CHECK_EQ_U64(offsetof(struct gpt_entry_raw, type_guid), 0);
	CHECK_EQ_U64(offsetof(struct gpt_entry_raw, guid), 16);
	CHECK_EQ_U64(offsetof(struct gpt_entry_raw, first_lba), 32);
	CHECK_EQ_U64(offsetof(struct gpt_entry_raw, last_lba), 40);
	CHECK_EQ_U64(offsetof(struct gpt_entry_raw, attrs), 48);
	CHECK_EQ_U64(offsetof(struct gpt_entry_raw, name), 56);
	CHECK_EQ_U64(sizeof(struct gpt_entry_raw), 128);
	CHECK_EQ_U64(GPT_ARRAY_SECTORS, 32);
}

static void test_mbr_roundtrip(void)
{
	struct mbr_table t = { .disk_signature = 0x4c414230 }, u;
	uint8_t tail[MBR_TAIL_SIZE], sector[512];

	t.part[0] = (struct mbr_part){ true, 0x0c, 2048, 40960, { 1, 2, 3 }, { 4, 5, 6 } };
	t.part[1] =
		(struct mbr_part){ false, 0x83, 43008, 0xfffff000u, { 7, 8, 9 }, { 10, 11, 12 } };
	t.part[3] = (struct mbr_part){ false, 0x0f, 1, 2, { 0 }, { 0 } };
	mbr_encode(&t, tail);
	memset(sector, 0xab, sizeof(sector));
	memcpy(sector + MBR_TAIL_OFFSET, tail, sizeof(tail));
	CHECK(mbr_decode(sector, &u) == 0);
	CHECK_EQ_U64(u.disk_signature, 0x4c414230);
	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ_U64(u.part[i].bootable, t.part[i].bootable);
		CHECK_EQ_U64(u.part[i].type, t.part[i].type);
		CHECK_EQ_U64(u.part[i].start, t.part[i].start);
		CHECK_EQ_U64(u.part[i].count, t.part[i].count);
		CHECK(!memcmp(u.part[i].chs_first, t.part[i].chs_first, 3));
		CHECK(!memcmp(u.part[i].chs_last, t.part[i].chs_last, 3));
	}
	/* the bytes where the spec puts them */
	CHECK_EQ_U64(get_le32(sector + 440), 0x4c414230);
	CHECK_EQ_U64(sector[446], 0x80);
	CHECK_EQ_U64(sector[446 + 4], 0x0c);
	CHECK_EQ_U64(get_le32(sector + 446 + 8), 2048);
	CHECK_EQ_U64(get_le32(sector + 462 + 12), 0xfffff000u);
	CHECK_EQ_U64(sector[494 + 4], 0x0f);
	CHECK_EQ_U64(sector[510], 0x55);
	CHECK_EQ_U64(sector[511], 0xaa);
	CHECK_EQ_U64(sector[439], 0xab); /* boot code untouched */
	sector[511] = 0;
	CHECK(mbr_decode(sector, &u) == -EINVAL);
}

static void test_chs(void)
{
	uint8_t c[3];

	/* genimage: LBA 0 is sector 0, LBA 1 head 0 sector 2 */
	mbr_chs_genimage(0, c);
	CHECK(c[0] == 0 && c[1] == 0 && c[2] == 0);
	mbr_chs_genimage(1, c);
	CHECK(c[0] == 0 && c[1] == 2 && c[2] == 0);
	/* LBA 8194 = cyl 0, head 130, sector 5 */
	mbr_chs_genimage(8194, c);
	CHECK(c[0] == 130 && c[1] == 5 && c[2] == 0);
	/* LBA 2048 (fdisk's first partition): head 32, sector 33 */
	mbr_chs_clamped(2048, c);
	CHECK(c[0] == 32 && c[1] == 33 && c[2] == 0);
	/* cylinder 1023 limit */
	mbr_chs_clamped(100000000ull, c);
	CHECK(c[0] == 254 && c[1] == 0xff && c[2] == 0xff);
	/* cylinder 300: bits 8-9 of the cylinder go into byte 1's top bits */
	mbr_chs_clamped(300ull * 255 * 63, c);
	CHECK(c[0] == 0 && c[1] == (0x40 | 1) && c[2] == 300 - 256);
	mbr_chs_genimage(300ull * 255 * 63, c);
	CHECK(c[0] == 0 && c[1] == (0x40 | 1) && c[2] == 300 - 256);
}

static void test_gpt_roundtrip(void)
{
	struct gpt_header h = { 0 }, g;
	struct gpt_entry e = { 0 }, f;
	uint8_t buf[512] = { 0 }, ent[GPT_ENTRY_SIZE];

	h.revision = GPT_REVISION_1_0;
	h.current_lba = 1;
	h.backup_lba = 999;
	h.first_usable = 34;
	h.last_usable = 965;
	for (unsigned i = 0; i < 16; i++)
		h.disk_guid[i] = (uint8_t)(i * 7 + 1);
	h.entries_lba = 2;
	h.nentries = GPT_NENTRIES;
	h.entry_size = GPT_ENTRY_SIZE;
	h.entries_crc = 0xdeadbeef;
	gpt_header_encode(&h, buf);
	CHECK(!memcmp(buf, "EFI PART", 8));
	CHECK_EQ_U64(get_le32(buf + 12), 92);
	CHECK_EQ_U64(get_le64(buf + 40), 34);
	CHECK_EQ_U64(get_le32(buf + 88), 0xdeadbeef);
	CHECK(gpt_header_decode(buf, sizeof(buf), &g) == 0);
	CHECK_EQ_U64(g.current_lba, 1);
	CHECK_EQ_U64(g.backup_lba, 999);
	CHECK_EQ_U64(g.first_usable, 34);
	CHECK_EQ_U64(g.last_usable, 965);
	CHECK_EQ_U64(g.entries_lba, 2);
	CHECK_EQ_U64(g.nentries, 128);
	CHECK_EQ_U64(g.entry_size, 128);
	CHECK_EQ_U64(g.entries_crc, 0xdeadbeef);
	CHECK(!memcmp(g.disk_guid, h.disk_guid, 16));
	/* the CRC is zlib's crc32 of the header with the CRC field zero */
	{
		uint8_t t[92];
		memcpy(t, buf, 92);
		memset(t + 16, 0, 4);
		CHECK_EQ_U64(get_le32(buf + 16), crc32_ieee(0, t, 92));
	}
	buf[40] ^= 1;
	CHECK(gpt_header_decode(buf, sizeof(buf), &g) == -EBADMSG);
	buf[40] ^= 1;
	CHECK(gpt_header_decode(buf, 91, &g) == -EINVAL);
	buf[0] = 'X';
	CHECK(gpt_header_decode(buf, sizeof(buf), &g) == -EINVAL);

	for (unsigned i = 0; i < 16; i++) {
		e.type_guid[i] = (uint8_t)(0xc0 + i);
		e.guid[i] = (uint8_t)(0x10 + i);
	}
	e.first_lba = 2048;
	e.last_lba = 34815;
	e.attrs = GPT_ATTR_LEGACY_BOOTABLE | GPT_ATTR_NO_AUTOMOUNT;
	CHECK(gpt_name_from_utf8("esp-\xc3\xa9", e.name) == 0);
	gpt_entry_encode(&e, ent);
	CHECK(!gpt_entry_is_unused(ent));
	gpt_entry_decode(ent, &f);
	CHECK(!memcmp(&e, &f, sizeof(e)));
	CHECK_EQ_U64(get_le64(ent + 32), 2048);
	CHECK_EQ_U64(get_le64(ent + 40), 34815);
	CHECK_EQ_U64(get_le64(ent + 48), (1ull << 2) | (1ull << 63));
	CHECK_EQ_U64(get_le16(ent + 56), 'e');
	CHECK_EQ_U64(get_le16(ent + 56 + 8), 0xe9);
	memset(ent, 0, 16);
	CHECK(gpt_entry_is_unused(ent));
	CHECK_EQ_U64(gpt_array_crc("123456789", 9), 0xcbf43926u);
}

static void test_gpt_names(void)
{
	uint16_t n[GPT_NAME_LEN];

	CHECK(gpt_name_from_utf8("rootfs", n) == 0);
	CHECK(n[0] == 'r' && n[5] == 's' && n[6] == 0);
	CHECK(gpt_name_from_utf8("\xe2\x82\xac", n) == 0 && n[0] == 0x20ac && n[1] == 0);
	CHECK(gpt_name_from_utf8("123456789012345678901234567890123456", n) == 0);
	CHECK(gpt_name_from_utf8("1234567890123456789012345678901234567", n) == -ENAMETOOLONG);
	CHECK(gpt_name_from_utf8("\xf0\x9f\x98\x80", n) == -EINVAL); /* outside the BMP */
	CHECK(gpt_name_from_utf8("\xc0\x80", n) == -EINVAL);	     /* overlong */
	CHECK(gpt_name_from_utf8("\xed\xa0\x80", n) == -EINVAL);     /* surrogate */
	CHECK(gpt_name_from_utf8("\xc3", n) == -EINVAL);	     /* truncated */
}

int main(void)
{
	T_RUN(test_mbr_offsets);
	T_RUN(test_gpt_offsets);
	T_RUN(test_mbr_roundtrip);
	T_RUN(test_chs);
	T_RUN(test_gpt_roundtrip);
	T_RUN(test_gpt_names);
	return T_DONE();
}
