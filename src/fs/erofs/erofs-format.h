/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_EROFS_FORMAT_H
#define KILN_FS_EROFS_FORMAT_H

/*
 * EROFS on-disk layout (the kernel's fs/erofs/erofs_fs.h, format as
 * Linux 5.4+ reads it): structs, constants and pure codecs (no I/O, no
 * allocation). Every multi-byte field is little-endian. The structs
 * document the layout and give the offsets the codecs write at; never
 * cast a buffer to them.
 *
 *   byte 1024      superblock (128 bytes); crc32c of [1024, block end)
 *   meta_blkaddr   inodes, addressed by nid: byte meta_blkaddr * 4096 + nid * 32
 *   after an inode its inline xattrs, then (FLAT_INLINE) the data's tail
 *   blocks         file data, directory blocks (dirents then names)
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EROFS_SUPER_OFFSET 1024
#define EROFS_SUPER_MAGIC 0xE0F5E1E2u
#define EROFS_BLKSZ_BITS 12
#define EROFS_BLKSZ 4096u
#define EROFS_ISLOT_BITS 5 /* nid = byte offset / 32 */
#define EROFS_NULL_ADDR 0xFFFFFFFFu
#define EROFS_NAME_LEN 255

#define EROFS_FEATURE_COMPAT_SB_CHKSUM 0x1u
#define EROFS_FEATURE_COMPAT_MTIME 0x2u

/* i_format: bit 0 version (compact/extended), bits 1-3 data layout. */
#define EROFS_INODE_LAYOUT_COMPACT 0
#define EROFS_INODE_LAYOUT_EXTENDED 1
enum erofs_datalayout {
	EROFS_INODE_FLAT_PLAIN = 0,
	EROFS_INODE_FLAT_COMPRESSION_LEGACY = 1,
	EROFS_INODE_FLAT_INLINE = 2,
	EROFS_INODE_FLAT_COMPRESSION = 3,
	EROFS_INODE_CHUNK_BASED = 4,
};

enum erofs_ftype {
	EROFS_FT_UNKNOWN, EROFS_FT_REG_FILE, EROFS_FT_DIR, EROFS_FT_CHRDEV,
	EROFS_FT_BLKDEV, EROFS_FT_FIFO, EROFS_FT_SOCK, EROFS_FT_SYMLINK,
};

/* Name prefixes of inline xattrs (e_name_index). */
enum {
	EROFS_XATTR_INDEX_USER = 1,
	EROFS_XATTR_INDEX_POSIX_ACL_ACCESS = 2,
	EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT = 3,
	EROFS_XATTR_INDEX_TRUSTED = 4,
	EROFS_XATTR_INDEX_LUSTRE = 5,
	EROFS_XATTR_INDEX_SECURITY = 6,
};

struct erofs_super_block {
	uint32_t magic;
	uint32_t checksum;          /* crc32c(~0, sb..block end with this 0), no final xor */
	uint32_t feature_compat;
	uint8_t blkszbits;
	uint8_t sb_extslots;
	uint16_t root_nid;
	uint64_t inos;
	uint64_t build_time;
	uint32_t build_time_nsec;
	uint32_t blocks;
	uint32_t meta_blkaddr;
	uint32_t xattr_blkaddr;
	uint8_t uuid[16];
	uint8_t volume_name[16];
	uint32_t feature_incompat;
	uint16_t u1;                /* available_compr_algs / lz4_max_distance */
	uint16_t extra_devices;
	uint16_t devt_slotoff;
	uint8_t reserved2[38];
} __attribute__((packed));
_Static_assert(sizeof(struct erofs_super_block) == 128, "erofs superblock is 128 bytes");

struct erofs_inode_compact {
	uint16_t i_format;
	uint16_t i_xattr_icount;
	uint16_t i_mode;
	uint16_t i_nlink;
	uint32_t i_size;
	uint32_t i_reserved;
	uint32_t i_u;               /* raw_blkaddr, or rdev (new_encode_dev) */
	uint32_t i_ino;
	uint16_t i_uid;
	uint16_t i_gid;
	uint32_t i_reserved2;
} __attribute__((packed));
_Static_assert(sizeof(struct erofs_inode_compact) == 32, "compact inode is 32 bytes");

struct erofs_inode_extended {
	uint16_t i_format;
	uint16_t i_xattr_icount;
	uint16_t i_mode;
	uint16_t i_reserved;
	uint64_t i_size;
	uint32_t i_u;
	uint32_t i_ino;
	uint32_t i_uid;
	uint32_t i_gid;
	uint64_t i_mtime;
	uint32_t i_mtime_nsec;
	uint32_t i_nlink;
	uint8_t i_reserved2[16];
} __attribute__((packed));
_Static_assert(sizeof(struct erofs_inode_extended) == 64, "extended inode is 64 bytes");

/* Inline xattr area: this header, shared xattr ids, then entries. */
struct erofs_xattr_ibody_header {
	uint32_t h_reserved;
	uint8_t h_shared_count;
	uint8_t h_reserved2[7];
} __attribute__((packed));
_Static_assert(sizeof(struct erofs_xattr_ibody_header) == 12, "xattr header is 12 bytes");

/* One xattr: this, the name (without its prefix), the value; 4-aligned. */
struct erofs_xattr_entry {
	uint8_t e_name_len;
	uint8_t e_name_index;
	uint16_t e_value_size;
} __attribute__((packed));
_Static_assert(sizeof(struct erofs_xattr_entry) == 4, "xattr entry is 4 bytes");

/* A directory block: dirents, then their names (no NULs) in order; the
 * first dirent's nameoff / 12 is the number of dirents in the block. */
struct erofs_dirent {
	uint64_t nid;
	uint16_t nameoff;
	uint8_t file_type;
	uint8_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct erofs_dirent) == 12, "dirent is 12 bytes");

/*
 * Compressed files (FLAT_COMPRESSION_LEGACY): after the inode and its
 * xattrs, at the next 8-byte boundary, an 8-byte map header and 8 bytes
 * of padding, then one index per 4 KiB logical cluster of the file.
 */
#define EROFS_ZMAP_HEADER_SIZE 16
enum {
	Z_EROFS_CLUSTER_TYPE_PLAIN = 0,   /* an uncompressed extent starts here */
	Z_EROFS_CLUSTER_TYPE_HEAD = 1,    /* a compressed extent starts here */
	Z_EROFS_CLUSTER_TYPE_NONHEAD = 2, /* inside an extent */
};
struct z_erofs_vle_decompressed_index {
	uint16_t di_advise;         /* bits 0-1: cluster type */
	uint16_t di_clusterofs;     /* where in this cluster the extent starts */
	uint32_t di_u;              /* head: blkaddr; nonhead: delta[0] (back to the
				     * head), delta[1] (on to the next head), le16 each */
} __attribute__((packed));
_Static_assert(sizeof(struct z_erofs_vle_decompressed_index) == 8, "z index is 8 bytes");

/* Host-order views the codecs translate. */
struct erofs_sb_info {
	uint32_t feature_compat, feature_incompat;
	uint8_t blkszbits;
	uint16_t root_nid;
	uint64_t inos;
	uint64_t build_time;
	uint32_t build_time_nsec;
	uint32_t blocks, meta_blkaddr, xattr_blkaddr;
	uint8_t uuid[16];
	char volume_name[17];       /* NUL-terminated (16 bytes on disk) */
};

struct erofs_inode_info {
	bool extended;
	uint8_t datalayout;
	uint16_t xattr_icount;
	uint16_t mode;
	uint32_t nlink;
	uint64_t size;
	uint32_t u;                 /* raw_blkaddr or encoded rdev */
	uint32_t ino;
	uint32_t uid, gid;
	uint64_t mtime;             /* extended only; compact ones use the build time */
	uint32_t mtime_nsec;
};

/* Size in bytes of an inode's inline xattr area given i_xattr_icount. */
static inline uint32_t erofs_xattr_ibody_size(uint16_t icount)
{
	return icount ? 12 + 4 * ((uint32_t)icount - 1) : 0;
}

/* Encode @s into the 128 bytes of @out (checksum field 0). */
void erofs_sb_encode(const struct erofs_sb_info *s, uint8_t out[128]);

/* erofs_sb_decode - read a superblock from the 128 bytes at @buf.
 * Returns 0, or -EINVAL for a wrong magic or a block size other than
 * 4096 (the only one Linux reads on 4 KiB-page machines). */
int erofs_sb_decode(const uint8_t *buf, struct erofs_sb_info *ret);

/* The checksum of the superblock's block: @blk starts at the
 * superblock (byte 1024) and runs to the block end (3072 bytes), with
 * the checksum field zero. */
uint32_t erofs_sb_checksum(const uint8_t *blk, size_t len);

/* Encode an inode into @out; returns its size (32 or 64). */
size_t erofs_inode_encode(const struct erofs_inode_info *i, uint8_t out[64]);

/* erofs_inode_decode - decode the inode at @buf (@len bytes available).
 * Returns 0, or -EINVAL when @len is too short for its version or the
 * data layout is unknown. */
int erofs_inode_decode(const uint8_t *buf, size_t len, struct erofs_inode_info *ret);

/* Encode one dirent (12 bytes). */
void erofs_dirent_encode(uint64_t nid, uint16_t nameoff, uint8_t type, uint8_t out[12]);

/* The Linux "new" device encoding i_u holds for device nodes. */
static inline uint32_t erofs_encode_dev(uint32_t major, uint32_t minor)
{
	return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xffu) << 12);
}

/* The dirent file type of an st_mode. */
uint8_t erofs_ftype(uint32_t mode);

/*
 * erofs_xattr_split - map a full xattr name to erofs' prefix index and
 * the remaining suffix. Returns the index (1..6), or 0 when erofs has no
 * prefix for the name (it cannot be stored inline).
 */
unsigned erofs_xattr_split(const char *name, const char **ret_suffix);

#endif
