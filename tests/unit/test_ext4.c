/* SPDX-License-Identifier: MIT */
/* ext4 codecs: field offsets (from the kernel's ext4 disk-layout
 * documentation), the dx hash against debugfs's dx_hash, checksums, a
 * whole small filesystem on a memory sink, and every write failing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/hash.h"
#include "base/ids.h"
#include "fs/ext4/ext4-format.h"
#include "fs/ext4/ext4.h"
#include "fs/tree.h"
#include "io/sink.h"
#include "t.h"

static void test_offsets(void)
{
	/* Superblock (Documentation/filesystems/ext4/super.rst). */
	CHECK_EQ_U64(SB_INODES_COUNT, 0x0);
	CHECK_EQ_U64(SB_BLOCKS_COUNT_LO, 0x4);
	CHECK_EQ_U64(SB_R_BLOCKS_COUNT_LO, 0x8);
	CHECK_EQ_U64(SB_FREE_BLOCKS_COUNT_LO, 0xC);
	CHECK_EQ_U64(SB_FREE_INODES_COUNT, 0x10);
	CHECK_EQ_U64(SB_FIRST_DATA_BLOCK, 0x14);
	CHECK_EQ_U64(SB_LOG_BLOCK_SIZE, 0x18);
	CHECK_EQ_U64(SB_LOG_CLUSTER_SIZE, 0x1C);
	CHECK_EQ_U64(SB_BLOCKS_PER_GROUP, 0x20);
	CHECK_EQ_U64(SB_CLUSTERS_PER_GROUP, 0x24);
	CHECK_EQ_U64(SB_INODES_PER_GROUP, 0x28);
	CHECK_EQ_U64(SB_MTIME, 0x2C);
	CHECK_EQ_U64(SB_WTIME, 0x30);
	CHECK_EQ_U64(SB_MNT_COUNT, 0x34);
	CHECK_EQ_U64(SB_MAX_MNT_COUNT, 0x36);
	CHECK_EQ_U64(SB_MAGIC, 0x38);
	CHECK_EQ_U64(SB_STATE, 0x3A);
	CHECK_EQ_U64(SB_ERRORS, 0x3C);
	CHECK_EQ_U64(SB_MINOR_REV_LEVEL, 0x3E);
	CHECK_EQ_U64(SB_LASTCHECK, 0x40);
	CHECK_EQ_U64(SB_CHECKINTERVAL, 0x44);
	CHECK_EQ_U64(SB_CREATOR_OS, 0x48);
	CHECK_EQ_U64(SB_REV_LEVEL, 0x4C);
	CHECK_EQ_U64(SB_DEF_RESUID, 0x50);
	CHECK_EQ_U64(SB_DEF_RESGID, 0x52);
	CHECK_EQ_U64(SB_FIRST_INO, 0x54);
	CHECK_EQ_U64(SB_INODE_SIZE, 0x58);
	CHECK_EQ_U64(SB_BLOCK_GROUP_NR, 0x5A);
	CHECK_EQ_U64(SB_FEATURE_COMPAT, 0x5C);
	CHECK_EQ_U64(SB_FEATURE_INCOMPAT, 0x60);
	CHECK_EQ_U64(SB_FEATURE_RO_COMPAT, 0x64);
	CHECK_EQ_U64(SB_UUID, 0x68);
	CHECK_EQ_U64(SB_VOLUME_NAME, 0x78);
	CHECK_EQ_U64(SB_LAST_MOUNTED, 0x88);
	CHECK_EQ_U64(SB_ALGORITHM_USAGE_BITMAP, 0xC8);
	CHECK_EQ_U64(SB_RESERVED_GDT_BLOCKS, 0xCE);
	CHECK_EQ_U64(SB_JOURNAL_UUID, 0xD0);
	CHECK_EQ_U64(SB_JOURNAL_INUM, 0xE0);
	CHECK_EQ_U64(SB_JOURNAL_DEV, 0xE4);
	CHECK_EQ_U64(SB_LAST_ORPHAN, 0xE8);
	CHECK_EQ_U64(SB_HASH_SEED, 0xEC);
	CHECK_EQ_U64(SB_DEF_HASH_VERSION, 0xFC);
	CHECK_EQ_U64(SB_JNL_BACKUP_TYPE, 0xFD);
	CHECK_EQ_U64(SB_DESC_SIZE, 0xFE);
	CHECK_EQ_U64(SB_DEFAULT_MOUNT_OPTS, 0x100);
	CHECK_EQ_U64(SB_FIRST_META_BG, 0x104);
	CHECK_EQ_U64(SB_MKFS_TIME, 0x108);
	CHECK_EQ_U64(SB_JNL_BLOCKS, 0x10C);
	CHECK_EQ_U64(SB_BLOCKS_COUNT_HI, 0x150);
	CHECK_EQ_U64(SB_R_BLOCKS_COUNT_HI, 0x154);
	CHECK_EQ_U64(SB_FREE_BLOCKS_COUNT_HI, 0x158);
	CHECK_EQ_U64(SB_MIN_EXTRA_ISIZE, 0x15C);
	CHECK_EQ_U64(SB_WANT_EXTRA_ISIZE, 0x15E);
	CHECK_EQ_U64(SB_FLAGS, 0x160);
	CHECK_EQ_U64(SB_RAID_STRIDE, 0x164);
	CHECK_EQ_U64(SB_MMP_INTERVAL, 0x166);
	CHECK_EQ_U64(SB_MMP_BLOCK, 0x168);
	CHECK_EQ_U64(SB_RAID_STRIPE_WIDTH, 0x170);
	CHECK_EQ_U64(SB_LOG_GROUPS_PER_FLEX, 0x174);
	CHECK_EQ_U64(SB_CHECKSUM_TYPE, 0x175);
	CHECK_EQ_U64(SB_KBYTES_WRITTEN, 0x178);
	CHECK_EQ_U64(SB_USR_QUOTA_INUM, 0x240);
	CHECK_EQ_U64(SB_GRP_QUOTA_INUM, 0x244);
	CHECK_EQ_U64(SB_OVERHEAD_CLUSTERS, 0x248);
	CHECK_EQ_U64(SB_LPF_INO, 0x268);
	CHECK_EQ_U64(SB_PRJ_QUOTA_INUM, 0x26C);
	CHECK_EQ_U64(SB_CHECKSUM_SEED, 0x270);
	CHECK_EQ_U64(SB_WTIME_HI, 0x274);
	CHECK_EQ_U64(SB_MTIME_HI, 0x275);
	CHECK_EQ_U64(SB_MKFS_TIME_HI, 0x276);
	CHECK_EQ_U64(SB_LASTCHECK_HI, 0x277);
	CHECK_EQ_U64(SB_CHECKSUM, 0x3FC);
	/* Group descriptor (group_descr.rst). */
	CHECK_EQ_U64(GD_BLOCK_BITMAP_LO, 0x0);
	CHECK_EQ_U64(GD_INODE_BITMAP_LO, 0x4);
	CHECK_EQ_U64(GD_INODE_TABLE_LO, 0x8);
	CHECK_EQ_U64(GD_FREE_BLOCKS_COUNT_LO, 0xC);
	CHECK_EQ_U64(GD_FREE_INODES_COUNT_LO, 0xE);
	CHECK_EQ_U64(GD_USED_DIRS_COUNT_LO, 0x10);
	CHECK_EQ_U64(GD_FLAGS, 0x12);
	CHECK_EQ_U64(GD_EXCLUDE_BITMAP_LO, 0x14);
	CHECK_EQ_U64(GD_BLOCK_BITMAP_CSUM_LO, 0x18);
	CHECK_EQ_U64(GD_INODE_BITMAP_CSUM_LO, 0x1A);
	CHECK_EQ_U64(GD_ITABLE_UNUSED_LO, 0x1C);
	CHECK_EQ_U64(GD_CHECKSUM, 0x1E);
	CHECK_EQ_U64(GD_BLOCK_BITMAP_HI, 0x20);
	CHECK_EQ_U64(GD_INODE_BITMAP_HI, 0x24);
	CHECK_EQ_U64(GD_INODE_TABLE_HI, 0x28);
	CHECK_EQ_U64(GD_FREE_BLOCKS_COUNT_HI, 0x2C);
	CHECK_EQ_U64(GD_FREE_INODES_COUNT_HI, 0x2E);
	CHECK_EQ_U64(GD_USED_DIRS_COUNT_HI, 0x30);
	CHECK_EQ_U64(GD_ITABLE_UNUSED_HI, 0x32);
	CHECK_EQ_U64(GD_EXCLUDE_BITMAP_HI, 0x34);
	CHECK_EQ_U64(GD_BLOCK_BITMAP_CSUM_HI, 0x38);
	CHECK_EQ_U64(GD_INODE_BITMAP_CSUM_HI, 0x3A);
	/* Inode (inodes.rst). */
	CHECK_EQ_U64(INO_MODE, 0x0);
	CHECK_EQ_U64(INO_UID, 0x2);
	CHECK_EQ_U64(INO_SIZE_LO, 0x4);
	CHECK_EQ_U64(INO_ATIME, 0x8);
	CHECK_EQ_U64(INO_CTIME, 0xC);
	CHECK_EQ_U64(INO_MTIME, 0x10);
	CHECK_EQ_U64(INO_DTIME, 0x14);
	CHECK_EQ_U64(INO_GID, 0x18);
	CHECK_EQ_U64(INO_LINKS_COUNT, 0x1A);
	CHECK_EQ_U64(INO_BLOCKS_LO, 0x1C);
	CHECK_EQ_U64(INO_FLAGS, 0x20);
	CHECK_EQ_U64(INO_VERSION, 0x24);
	CHECK_EQ_U64(INO_BLOCK, 0x28);
	CHECK_EQ_U64(INO_GENERATION, 0x64);
	CHECK_EQ_U64(INO_FILE_ACL_LO, 0x68);
	CHECK_EQ_U64(INO_SIZE_HIGH, 0x6C);
	CHECK_EQ_U64(INO_BLOCKS_HIGH, 0x74);
	CHECK_EQ_U64(INO_FILE_ACL_HIGH, 0x76);
	CHECK_EQ_U64(INO_UID_HIGH, 0x78);
	CHECK_EQ_U64(INO_GID_HIGH, 0x7A);
	CHECK_EQ_U64(INO_CHECKSUM_LO, 0x7C);
	CHECK_EQ_U64(INO_EXTRA_ISIZE, 0x80);
	CHECK_EQ_U64(INO_CHECKSUM_HI, 0x82);
	CHECK_EQ_U64(INO_CTIME_EXTRA, 0x84);
	CHECK_EQ_U64(INO_MTIME_EXTRA, 0x88);
	CHECK_EQ_U64(INO_ATIME_EXTRA, 0x8C);
	CHECK_EQ_U64(INO_CRTIME, 0x90);
	CHECK_EQ_U64(INO_CRTIME_EXTRA, 0x94);
	CHECK_EQ_U64(INO_VERSION_HI, 0x98);
	CHECK_EQ_U64(INO_PROJID, 0x9C);
	/* Extent tree (ifork.rst). */
	CHECK_EQ_U64(EH_MAGIC, 0);
	CHECK_EQ_U64(EH_ENTRIES, 2);
	CHECK_EQ_U64(EH_MAX, 4);
	CHECK_EQ_U64(EH_DEPTH, 6);
	CHECK_EQ_U64(EH_GENERATION, 8);
	CHECK_EQ_U64(EE_BLOCK, 0);
	CHECK_EQ_U64(EE_LEN, 4);
	CHECK_EQ_U64(EE_START_HI, 6);
	CHECK_EQ_U64(EE_START_LO, 8);
	CHECK_EQ_U64(EI_BLOCK, 0);
	CHECK_EQ_U64(EI_LEAF_LO, 4);
	CHECK_EQ_U64(EI_LEAF_HI, 8);
	/* Directory entries and htree (directory.rst). */
	CHECK_EQ_U64(DE_INODE, 0);
	CHECK_EQ_U64(DE_REC_LEN, 4);
	CHECK_EQ_U64(DE_NAME_LEN, 6);
	CHECK_EQ_U64(DE_FILE_TYPE, 7);
	CHECK_EQ_U64(DE_NAME, 8);
	CHECK_EQ_U64(DXR_INFO, 0x18);
	CHECK_EQ_U64(DXR_HASH_VERSION, 0x1C);
	CHECK_EQ_U64(DXR_INFO_LENGTH, 0x1D);
	CHECK_EQ_U64(DXR_INDIRECT_LEVELS, 0x1E);
	CHECK_EQ_U64(DXR_ENTRIES, 0x20);
	CHECK_EQ_U64(DXN_ENTRIES, 0x8);
	/* Extended attributes (attributes.rst). */
	CHECK_EQ_U64(XH_REFCOUNT, 0x4);
	CHECK_EQ_U64(XH_BLOCKS, 0x8);
	CHECK_EQ_U64(XH_HASH, 0xC);
	CHECK_EQ_U64(XH_CHECKSUM, 0x10);
	CHECK_EQ_U64(XE_VALUE_OFFS, 0x2);
	CHECK_EQ_U64(XE_VALUE_INUM, 0x4);
	CHECK_EQ_U64(XE_VALUE_SIZE, 0x8);
	CHECK_EQ_U64(XE_HASH, 0xC);
	CHECK_EQ_U64(XE_NAME, 0x10);
	/* jbd2 superblock (journal.rst). */
	CHECK_EQ_U64(JSB_BLOCKSIZE, 0xC);
	CHECK_EQ_U64(JSB_MAXLEN, 0x10);
	CHECK_EQ_U64(JSB_FIRST, 0x14);
	CHECK_EQ_U64(JSB_SEQUENCE, 0x18);
	CHECK_EQ_U64(JSB_START, 0x1C);
	CHECK_EQ_U64(JSB_UUID, 0x30);
	CHECK_EQ_U64(JSB_NR_USERS, 0x40);
	CHECK_EQ_U64(JSB_CHECKSUM, 0xFC);
	CHECK_EQ_U64(JSB_USERS, 0x100);
}

static void test_hash(void)
{
	/* Vectors from debugfs: dx_hash -h half_md4 [-s SEED] NAME. */
	struct uuid u;
	uint32_t seed[4];

	CHECK(uuid_parse("6b1f3b0e-1f53-4c55-9d4e-2a3c3d5e7f10", &u) == 0);
	for (int i = 0; i < 4; i++)
		seed[i] = get_le32(u.b + 4 * i);
	CHECK_EQ_U64(ext4_dx_hash("a", 1, seed, true), 0x9816c1be);
	CHECK_EQ_U64(ext4_dx_hash("a", 1, NULL, true), 0xd5fa7d7a);
	CHECK_EQ_U64(ext4_dx_hash("lost+found", 10, seed, true), 0x8a67e72a);
	CHECK_EQ_U64(ext4_dx_hash("lost+found", 10, NULL, true), 0x591de422);
	CHECK_EQ_U64(ext4_dx_hash("entry-000001-qqqq", 17, seed, true), 0xb362737e);
	CHECK_EQ_U64(ext4_dx_hash("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", 40, seed, true),
		     0xa3e6e100);
	CHECK_EQ_U64(ext4_dx_hash("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", 40, NULL, true),
		     0x0f4273ea);
	/* CRC-16/MODBUS check value (init 0xFFFF, reflected 0x8005). */
	CHECK_EQ_U64(ext4_crc16(0xFFFF, "123456789", 9), 0x4B37);
	/* Time encoding: 2038+ sets the epoch bits. */
	CHECK_EQ_U64(ext4_time_extra(0), 0);
	CHECK_EQ_U64(ext4_time_extra(0x80000000ll), 1);
	CHECK_EQ_U64(ext4_time_extra(-1), 0);
	/* Nanoseconds above the epoch bits; out-of-range ones dropped. */
	CHECK_EQ_U64(ext4_time_extra_ns(1500000000, 123456789), 123456789u << 2);
	CHECK_EQ_U64(ext4_time_extra_ns(2218000000ll, 999999999), (999999999u << 2) | 1);
	CHECK_EQ_U64(ext4_time_extra_ns(0x100000000ll, 1000000000u), 1);
	CHECK(ext4_time_fits_small(INT32_MAX) && !ext4_time_fits_small(2218000000ll));
}

static void test_codecs(void)
{
	uint8_t b[64] = { 0 };
	struct ext4_extent e = { 7, 300, 0x123456789aull };

	ext4_ext_header(b, 1, 4, 0);
	CHECK_EQ_U64(get_le16(b + EH_MAGIC), EXT4_EXT_MAGIC);
	ext4_ext_leaf(b + 12, &e);
	CHECK_EQ_U64(get_le32(b + 12 + EE_BLOCK), 7);
	CHECK_EQ_U64(get_le16(b + 12 + EE_LEN), 300);
	CHECK_EQ_U64(get_le16(b + 12 + EE_START_HI), 0x12);
	CHECK_EQ_U64(get_le32(b + 12 + EE_START_LO), 0x3456789a);
	ext4_dirent(b, 12, 16, "abc", 3, FT_REG, true);
	CHECK_EQ_U64(get_le32(b), 12);
	CHECK_EQ_U64(get_le16(b + 4), 16);
	CHECK_EQ_U64(b[6], 3);
	CHECK_EQ_U64(b[7], FT_REG);
	CHECK(!memcmp(b + 8, "abc", 3));
	CHECK_EQ_U64(ext4_rec_len(1), 12);
	CHECK_EQ_U64(ext4_rec_len(4), 12);
	CHECK_EQ_U64(ext4_rec_len(5), 16);
	CHECK_EQ_U64(ext4_rec_len(255), 264);
}

static void opts_for(struct ext4_opts *o, const char *type)
{
	memset(o, 0, sizeof(*o));
	ext4_features_default(o, type);
	o->reserved_permille = 50;
	o->margin_pct = 10;
	o->timestamp = 1700000000;
	memset(o->uuid, 0x42, 16);
	o->uuid[6] = 0x40;
}

static void test_small_fs(void)
{
	struct tree *t;
	struct tree_node *n;
	struct tree_attr da = { .mode = 040755, .mtime = 5 };
	struct tree_attr la = { .mode = 0120777, .mtime = 5, .link = "target" };
	struct ext4_opts o;
	struct ext4_plan *p = NULL;
	struct sink *s;
	struct diag d = { 0 };
	uint64_t len;
	char feats[256];

	CHECK(tree_new(&t, 1700000000) == 0);
	CHECK(tree_add(t, "etc", &da, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	CHECK(tree_add(t, "etc/link", &la, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	CHECK(tree_set_xattr(n, "user.k", "v", 1) == 0);
	tree_finish(t);
	opts_for(&o, "ext4");
	ext4_features_format(&o, feats, sizeof(feats));
	CHECK(strstr(feats, "metadata_csum") != NULL);
	CHECK(ext4_plan_new(&p, t, &o, &d) == 0);
	CHECK(p != NULL);
	if (!p)
		goto out;
	CHECK(sink_mem_new(&s, ext4_plan_bytes(p)) == 0);
	CHECK(ext4_write(p, s, &d) == 0);
	const uint8_t *img = sink_mem_data(s, &len);
	const uint8_t *sb = img + EXT4_SB_OFFSET;
	CHECK_EQ_U64(get_le16(sb + SB_MAGIC), EXT4_MAGIC);
	CHECK_EQ_U64(get_le32(sb + SB_WTIME), 1700000000);
	CHECK_EQ_U64(get_le32(sb + SB_CHECKSUM), crc32c_raw(~0u, sb, SB_CHECKSUM));
	CHECK(!memcmp(sb + SB_UUID, o.uuid, 16));
	CHECK_EQ_U64(get_le32(sb + SB_FIRST_INO), EXT4_FIRST_INO);
	sink_release(s);

	/* Every failing write is reported, never a crash. */
	for (unsigned k = 1; k < 200; k++) {
		struct sink *m, *f;
		struct diag fd = { 0 };
		CHECK(sink_mem_new(&m, ext4_plan_bytes(p)) == 0);
		CHECK(sink_fault_new(&f, m, k) == 0);
		int r = ext4_write(p, f, &fd);
		sink_release(f);
		sink_release(m);
		if (!r)
			break;
		CHECK(r < 0 && fd.msg[0]);
	}
	ext4_plan_free(p);

	/* A size too small fails with what is needed. */
	o.size = 100 * 1024;
	o.compat &= ~EXT4_COMPAT_HAS_JOURNAL;
	{
		char path[] = "/tmp/kiln-ext4-test.XXXXXX";
		int fd = mkstemp(path);
		CHECK(fd >= 0);
		for (int i = 0; fd >= 0 && i < 256; i++)
			CHECK(write(fd, path, 4096 < sizeof(path) ? 4096 : sizeof(path)) > 0 &&
			      lseek(fd, (off_t)(i + 1) * 4096, SEEK_SET) > 0);
		if (fd >= 0) {
			CHECK(ftruncate(fd, 1 << 20) == 0);
			close(fd);
		}
		struct tree_attr fa = { .mode = 0100644, .size = 1 << 20, .src_path = path };
		CHECK(tree_add(t, "big", &fa, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
		tree_finish(t);
		diag_clear(&d);
		p = NULL;
		CHECK(ext4_plan_new(&p, t, &o, &d) == -ENOSPC);
		CHECK(strstr(d.msg, "more needed") != NULL);
		ext4_plan_free(p);
		unlink(path);
	}
	/* Unknown feature names are rejected by name. */
	diag_clear(&d);
	CHECK(ext4_features_apply(&o, "extent,^bogus", &d) == -EINVAL);
	CHECK(strstr(d.msg, "bogus") != NULL);
out:
	tree_free(t);
}

/* mke2fs's quotatype lists. */
static void test_quota_types(void)
{
	struct diag d = { 0 };
	uint8_t t = 0xff;

	CHECK(ext4_quota_types_parse("", &t, &d) == 0 && t == 0);
	CHECK(ext4_quota_types_parse("usrquota:grpquota", &t, &d) == 0 &&
	      t == (EXT4_QUOTA_USR | EXT4_QUOTA_GRP));
	CHECK(ext4_quota_types_parse("prj", &t, &d) == 0 && t == EXT4_QUOTA_PRJ);
	CHECK(ext4_quota_types_parse("usr::prjquota:", &t, &d) == 0 &&
	      t == (EXT4_QUOTA_USR | EXT4_QUOTA_PRJ));
	t = 0x55;
	CHECK(ext4_quota_types_parse("usrquota:usrquotax", &t, &d) == -EINVAL);
	CHECK(strstr(d.msg, "\"usrquotax\"") != NULL);
	CHECK(t == 0x55); /* untouched on error */
}

int main(void)
{
	T_RUN(test_offsets);
	T_RUN(test_quota_types);
	T_RUN(test_hash);
	T_RUN(test_codecs);
	T_RUN(test_small_fs);
	return T_DONE();
}
