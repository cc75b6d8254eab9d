/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_EXT4_FORMAT_H
#define KILN_FS_EXT4_FORMAT_H

/*
 * ext2/3/4 on-disk layout: field offsets, constants and pure codecs
 * (no I/O, no allocation). Learnt from the kernel's
 * Documentation/filesystems/ext4/ and e2fsprogs' ext2_fs.h.
 * All multi-byte fields are little-endian, except the jbd2 journal's,
 * which are big-endian.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXT4_SB_OFFSET 1024
#define EXT4_SB_SIZE 1024
#define EXT4_MAGIC 0xEF53
#define EXT4_ROOT_INO 2
#define EXT4_RESIZE_INO 7
#define EXT4_JOURNAL_INO 8
#define EXT4_FIRST_INO 11 /* lost+found, the first non-reserved inode */
#define EXT4_N_BLOCKS 15
#define EXT4_MIN_BLOCK_SIZE 1024
#define EXT4_MAX_BLOCK_SIZE 4096

/* Superblock field offsets. */
enum {
	SB_INODES_COUNT = 0x00,
	SB_BLOCKS_COUNT_LO = 0x04,
	SB_R_BLOCKS_COUNT_LO = 0x08,
	SB_FREE_BLOCKS_COUNT_LO = 0x0C,
	SB_FREE_INODES_COUNT = 0x10,
	SB_FIRST_DATA_BLOCK = 0x14,
	SB_LOG_BLOCK_SIZE = 0x18,
	SB_LOG_CLUSTER_SIZE = 0x1C,
	SB_BLOCKS_PER_GROUP = 0x20,
	SB_CLUSTERS_PER_GROUP = 0x24,
	SB_INODES_PER_GROUP = 0x28,
	SB_MTIME = 0x2C,
	SB_WTIME = 0x30,
	SB_MNT_COUNT = 0x34,
	SB_MAX_MNT_COUNT = 0x36,
	SB_MAGIC = 0x38,
	SB_STATE = 0x3A,
	SB_ERRORS = 0x3C,
	SB_MINOR_REV_LEVEL = 0x3E,
	SB_LASTCHECK = 0x40,
	SB_CHECKINTERVAL = 0x44,
	SB_CREATOR_OS = 0x48,
	SB_REV_LEVEL = 0x4C,
	SB_DEF_RESUID = 0x50,
	SB_DEF_RESGID = 0x52,
	SB_FIRST_INO = 0x54,
	SB_INODE_SIZE = 0x58,
	SB_BLOCK_GROUP_NR = 0x5A,
	SB_FEATURE_COMPAT = 0x5C,
	SB_FEATURE_INCOMPAT = 0x60,
	SB_FEATURE_RO_COMPAT = 0x64,
	SB_UUID = 0x68,
	SB_VOLUME_NAME = 0x78,
	SB_LAST_MOUNTED = 0x88,
	SB_ALGORITHM_USAGE_BITMAP = 0xC8,
	SB_RESERVED_GDT_BLOCKS = 0xCE,
	SB_JOURNAL_UUID = 0xD0,
	SB_JOURNAL_INUM = 0xE0,
	SB_JOURNAL_DEV = 0xE4,
	SB_LAST_ORPHAN = 0xE8,
	SB_HASH_SEED = 0xEC,
	SB_DEF_HASH_VERSION = 0xFC,
	SB_JNL_BACKUP_TYPE = 0xFD,
	SB_DESC_SIZE = 0xFE,
	SB_DEFAULT_MOUNT_OPTS = 0x100,
	SB_FIRST_META_BG = 0x104,
	SB_MKFS_TIME = 0x108,
	SB_JNL_BLOCKS = 0x10C, /* 17 x le32 */
	SB_BLOCKS_COUNT_HI = 0x150,
	SB_R_BLOCKS_COUNT_HI = 0x154,
	SB_FREE_BLOCKS_COUNT_HI = 0x158,
	SB_MIN_EXTRA_ISIZE = 0x15C,
	SB_WANT_EXTRA_ISIZE = 0x15E,
	SB_FLAGS = 0x160,
	SB_RAID_STRIDE = 0x164,
	SB_MMP_INTERVAL = 0x166,
	SB_MMP_BLOCK = 0x168,
	SB_RAID_STRIPE_WIDTH = 0x170,
	SB_LOG_GROUPS_PER_FLEX = 0x174,
	SB_CHECKSUM_TYPE = 0x175,
	SB_KBYTES_WRITTEN = 0x178,
	SB_USR_QUOTA_INUM = 0x240,
	SB_GRP_QUOTA_INUM = 0x244,
	SB_OVERHEAD_CLUSTERS = 0x248,
	SB_LPF_INO = 0x268,
	SB_PRJ_QUOTA_INUM = 0x26C,
	SB_CHECKSUM_SEED = 0x270,
	SB_WTIME_HI = 0x274,
	SB_MTIME_HI = 0x275,
	SB_MKFS_TIME_HI = 0x276,
	SB_LASTCHECK_HI = 0x277,
	SB_CHECKSUM = 0x3FC,
};

/* Feature bits. */
#define EXT4_COMPAT_HAS_JOURNAL 0x0004
#define EXT4_COMPAT_EXT_ATTR 0x0008
#define EXT4_COMPAT_RESIZE_INODE 0x0010
#define EXT4_COMPAT_DIR_INDEX 0x0020
#define EXT4_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT4_RO_COMPAT_LARGE_FILE 0x0002
#define EXT4_RO_COMPAT_HUGE_FILE 0x0008
#define EXT4_RO_COMPAT_GDT_CSUM 0x0010
#define EXT4_RO_COMPAT_DIR_NLINK 0x0020
#define EXT4_RO_COMPAT_EXTRA_ISIZE 0x0040
#define EXT4_RO_COMPAT_QUOTA 0x0100
#define EXT4_RO_COMPAT_METADATA_CSUM 0x0400
#define EXT4_RO_COMPAT_PROJECT 0x2000
#define EXT4_INCOMPAT_FILETYPE 0x0002
#define EXT4_INCOMPAT_EXTENTS 0x0040
#define EXT4_INCOMPAT_64BIT 0x0080
#define EXT4_INCOMPAT_FLEX_BG 0x0200

#define EXT4_FLAGS_UNSIGNED_HASH 0x0002
#define EXT4_DEFM_XATTR_USER 0x0004
#define EXT4_DEFM_ACL 0x0008
#define EXT4_HASH_HALF_MD4 1
#define EXT4_CRC32C_CHKSUM 1

/* Group descriptor offsets (32 bytes; 64 with the 64bit feature). */
enum {
	GD_BLOCK_BITMAP_LO = 0x00,
	GD_INODE_BITMAP_LO = 0x04,
	GD_INODE_TABLE_LO = 0x08,
	GD_FREE_BLOCKS_COUNT_LO = 0x0C,
	GD_FREE_INODES_COUNT_LO = 0x0E,
	GD_USED_DIRS_COUNT_LO = 0x10,
	GD_FLAGS = 0x12,
	GD_EXCLUDE_BITMAP_LO = 0x14,
	GD_BLOCK_BITMAP_CSUM_LO = 0x18,
	GD_INODE_BITMAP_CSUM_LO = 0x1A,
	GD_ITABLE_UNUSED_LO = 0x1C,
	GD_CHECKSUM = 0x1E,
	GD_BLOCK_BITMAP_HI = 0x20,
	GD_INODE_BITMAP_HI = 0x24,
	GD_INODE_TABLE_HI = 0x28,
	GD_FREE_BLOCKS_COUNT_HI = 0x2C,
	GD_FREE_INODES_COUNT_HI = 0x2E,
	GD_USED_DIRS_COUNT_HI = 0x30,
	GD_ITABLE_UNUSED_HI = 0x32,
	GD_EXCLUDE_BITMAP_HI = 0x34,
	GD_BLOCK_BITMAP_CSUM_HI = 0x38,
	GD_INODE_BITMAP_CSUM_HI = 0x3A,
};
#define EXT4_DESC_SIZE 32
#define EXT4_DESC_SIZE_64 64
#define EXT4_BG_INODE_ZEROED 0x0004

/* Inode offsets. */
enum {
	INO_MODE = 0x00,
	INO_UID = 0x02,
	INO_SIZE_LO = 0x04,
	INO_ATIME = 0x08,
	INO_CTIME = 0x0C,
	INO_MTIME = 0x10,
	INO_DTIME = 0x14,
	INO_GID = 0x18,
	INO_LINKS_COUNT = 0x1A,
	INO_BLOCKS_LO = 0x1C,
	INO_FLAGS = 0x20,
	INO_VERSION = 0x24,
	INO_BLOCK = 0x28, /* 15 x le32 = 60 bytes */
	INO_GENERATION = 0x64,
	INO_FILE_ACL_LO = 0x68,
	INO_SIZE_HIGH = 0x6C,
	INO_BLOCKS_HIGH = 0x74,
	INO_FILE_ACL_HIGH = 0x76,
	INO_UID_HIGH = 0x78,
	INO_GID_HIGH = 0x7A,
	INO_CHECKSUM_LO = 0x7C,
	INO_EXTRA_ISIZE = 0x80,
	INO_CHECKSUM_HI = 0x82,
	INO_CTIME_EXTRA = 0x84,
	INO_MTIME_EXTRA = 0x88,
	INO_ATIME_EXTRA = 0x8C,
	INO_CRTIME = 0x90,
	INO_CRTIME_EXTRA = 0x94,
	INO_VERSION_HI = 0x98,
	INO_PROJID = 0x9C,
};
#define EXT4_GOOD_OLD_INODE_SIZE 128
#define EXT4_EXTRA_ISIZE 32 /* what mke2fs and the kernel use today */
#define EXT4_IMMUTABLE_FL 0x00000010
#define EXT4_INDEX_FL 0x00001000
#define EXT4_EXTENTS_FL 0x00080000

/* Extents. */
#define EXT4_EXT_MAGIC 0xF30A
#define EXT4_EXT_HDR_SIZE 12
#define EXT4_EXT_ENTRY_SIZE 12
#define EXT4_EXT_MAX_LEN 32768 /* initialised extent */
enum {
	EH_MAGIC = 0, EH_ENTRIES = 2, EH_MAX = 4, EH_DEPTH = 6, EH_GENERATION = 8,
	EE_BLOCK = 0, EE_LEN = 4, EE_START_HI = 6, EE_START_LO = 8,
	EI_BLOCK = 0, EI_LEAF_LO = 4, EI_LEAF_HI = 8,
};

/* Directory entries. */
enum {
	DE_INODE = 0, DE_REC_LEN = 4, DE_NAME_LEN = 6, DE_FILE_TYPE = 7, DE_NAME = 8,
};
#define EXT4_NAME_LEN 255
#define EXT4_DIR_TAIL_SIZE 12
#define EXT4_DIR_TAIL_FT 0xDE
enum {
	FT_UNKNOWN, FT_REG, FT_DIR, FT_CHR, FT_BLK, FT_FIFO, FT_SOCK, FT_SYMLINK,
};

/* htree: dx_root lives in block 0 after "." and ".."; dx_node blocks
 * start with a fake empty dirent; both then hold count/limit + entries. */
enum {
	DXR_INFO = 24,          /* reserved_zero(4) hash_version info_length levels flags */
	DXR_HASH_VERSION = 28,
	DXR_INFO_LENGTH = 29,
	DXR_INDIRECT_LEVELS = 30,
	DXR_ENTRIES = 32,       /* count/limit at 32 */
	DXN_ENTRIES = 8,
	DX_LIMIT = 0, DX_COUNT = 2, DX_BLOCK = 4, /* first entry: limit, count, block */
	DXE_HASH = 0, DXE_BLOCK = 4,
};
#define EXT4_DX_TAIL_SIZE 8

/* Extended attributes. */
#define EXT4_XATTR_MAGIC 0xEA020000u
#define EXT4_XATTR_HDR_SIZE 32
enum {
	XH_MAGIC = 0, XH_REFCOUNT = 4, XH_BLOCKS = 8, XH_HASH = 12, XH_CHECKSUM = 16,
	XE_NAME_LEN = 0, XE_NAME_INDEX = 1, XE_VALUE_OFFS = 2, XE_VALUE_INUM = 4,
	XE_VALUE_SIZE = 8, XE_HASH = 12, XE_NAME = 16,
};

/* jbd2 superblock (big-endian). */
#define JBD2_MAGIC 0xC03B3998u
#define JBD2_SB_V2 4
enum {
	JSB_MAGIC = 0x00, JSB_BLOCKTYPE = 0x04, JSB_HSEQUENCE = 0x08,
	JSB_BLOCKSIZE = 0x0C, JSB_MAXLEN = 0x10, JSB_FIRST = 0x14, JSB_SEQUENCE = 0x18,
	JSB_START = 0x1C, JSB_ERRNO = 0x20, JSB_FEATURE_COMPAT = 0x24,
	JSB_FEATURE_INCOMPAT = 0x28, JSB_FEATURE_RO_COMPAT = 0x2C, JSB_UUID = 0x30,
	JSB_NR_USERS = 0x40, JSB_MAX_TRANSACTION = 0x48, JSB_CHECKSUM_TYPE = 0x50,
	JSB_CHECKSUM = 0xFC, JSB_USERS = 0x100,
};

/* One extent: @len blocks of file block @lblk stored at @pblk. */
struct ext4_extent {
	uint32_t lblk;
	uint32_t len;
	uint64_t pblk;
};

/*
 * ext4_dx_hash - the directory-index hash (half_md4, as the kernel's
 * ext4fs_dirhash computes it) of @name under @seed (four words; all-zero
 * means the default seed). @unsigned_chars selects the unsigned-char
 * variant (superblock flag). Returns the major hash (low bit clear).
 */
uint32_t ext4_dx_hash(const char *name, size_t len, const uint32_t seed[4], bool unsigned_chars);

/* Hash of one xattr entry (name and in-block value). */
uint32_t ext4_xattr_entry_hash(const uint8_t *name, size_t name_len, const uint8_t *value,
			       size_t value_len);

/* CRC-16 (ANSI, reflected 0xA001) for uninit_bg group descriptors. */
uint16_t ext4_crc16(uint16_t crc, const void *buf, size_t len);

/* Extent header into @p. */
void ext4_ext_header(uint8_t *p, uint16_t entries, uint16_t max, uint16_t depth);
void ext4_ext_leaf(uint8_t *p, const struct ext4_extent *e);
void ext4_ext_index(uint8_t *p, uint32_t lblk, uint64_t leaf);

/* Directory entry at @p; returns bytes used (rec_len as given). */
void ext4_dirent(uint8_t *p, uint32_t ino, uint16_t rec_len, const char *name, uint8_t name_len,
		 uint8_t file_type, bool filetype_feature);
/* Minimal record length of a name. */
static inline uint32_t ext4_rec_len(uint32_t name_len)
{
	return (8 + name_len + 3) & ~3u;
}

/* Metadata checksums (metadata_csum): @seed is crc32c(~0, uuid). */
uint32_t ext4_csum_seed(const uint8_t uuid[16]);
uint32_t ext4_inode_seed(uint32_t fs_seed, uint32_t ino, uint32_t gen);
void ext4_sb_csum_set(uint8_t sb[EXT4_SB_SIZE]);
void ext4_gd_csum_set(uint8_t *gd, uint32_t desc_size, uint32_t group, uint32_t fs_seed,
		      bool metadata_csum, const uint8_t uuid[16]);
void ext4_inode_csum_set(uint8_t *inode, uint32_t inode_size, uint32_t ino_seed);
void ext4_ext_block_csum_set(uint8_t *blk, uint32_t ino_seed);
void ext4_dir_tail_set(uint8_t *blk, uint32_t bs, uint32_t ino_seed, bool csum);
void ext4_dx_csum_set(uint8_t *blk, uint32_t count_offset, uint32_t ino_seed);
void ext4_xattr_block_csum_set(uint8_t *blk, uint32_t bs, uint64_t blocknr, uint32_t fs_seed);

/*
 * A time is its low 32 bits (read as signed) in the base field and, in
 * the *_extra field of large inodes, the epoch bits (how many 2^32 s to
 * add: 1901..2446) in bits 0-1 and the nanoseconds in bits 2-31.
 */
static inline uint32_t ext4_time_extra(int64_t t)
{
	return (uint32_t)((uint64_t)(t - (int64_t)(int32_t)(uint32_t)t) >> 32) & 3;
}
static inline uint32_t ext4_time_extra_ns(int64_t t, uint32_t ns)
{
	return ext4_time_extra(t) | (ns < 1000000000u ? ns << 2 : 0);
}
/* Times a 128-byte inode (no extra fields) stores: signed 32 bits. */
static inline bool ext4_time_fits_small(int64_t t)
{
	return t >= INT32_MIN && t <= INT32_MAX;
}

#endif
