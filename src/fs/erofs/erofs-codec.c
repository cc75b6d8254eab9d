/* SPDX-License-Identifier: MIT */
/* EROFS codecs: superblock, inodes, dirents, xattr name prefixes. */
#include <errno.h>
#include <string.h>

#include "base/endian.h"
#include "base/hash.h"
#include "fs/erofs/erofs-format.h"

#define SB(f) offsetof(struct erofs_super_block, f)
#define IC(f) offsetof(struct erofs_inode_compact, f)
#define IE(f) offsetof(struct erofs_inode_extended, f)

void erofs_sb_encode(const struct erofs_sb_info *s, uint8_t out[128])
{
	memset(out, 0, 128);
	put_le32(out + SB(magic), EROFS_SUPER_MAGIC);
	put_le32(out + SB(feature_compat), s->feature_compat);
	out[SB(blkszbits)] = s->blkszbits;
	put_le16(out + SB(root_nid), s->root_nid);
	put_le64(out + SB(inos), s->inos);
	put_le64(out + SB(build_time), s->build_time);
	put_le32(out + SB(build_time_nsec), s->build_time_nsec);
	put_le32(out + SB(blocks), s->blocks);
	put_le32(out + SB(meta_blkaddr), s->meta_blkaddr);
	put_le32(out + SB(xattr_blkaddr), s->xattr_blkaddr);
	memcpy(out + SB(uuid), s->uuid, 16);
	/* 16 bytes, NUL-padded; a 16-byte label has no NUL (as mkfs.erofs). */
	memcpy(out + SB(volume_name), s->volume_name, strnlen(s->volume_name, 16));
	put_le32(out + SB(feature_incompat), s->feature_incompat);
}

int erofs_sb_decode(const uint8_t *buf, struct erofs_sb_info *ret)
{
	struct erofs_sb_info s;

	memset(&s, 0, sizeof(s));
	if (get_le32(buf + SB(magic)) != EROFS_SUPER_MAGIC)
		return -EINVAL;
	s.blkszbits = buf[SB(blkszbits)];
	if (s.blkszbits != EROFS_BLKSZ_BITS)
		return -EINVAL;
	s.feature_compat = get_le32(buf + SB(feature_compat));
	s.feature_incompat = get_le32(buf + SB(feature_incompat));
	s.root_nid = get_le16(buf + SB(root_nid));
	s.inos = get_le64(buf + SB(inos));
	s.build_time = get_le64(buf + SB(build_time));
	s.build_time_nsec = get_le32(buf + SB(build_time_nsec));
	s.blocks = get_le32(buf + SB(blocks));
	s.meta_blkaddr = get_le32(buf + SB(meta_blkaddr));
	s.xattr_blkaddr = get_le32(buf + SB(xattr_blkaddr));
	memcpy(s.uuid, buf + SB(uuid), 16);
	memcpy(s.volume_name, buf + SB(volume_name), 16);
	*ret = s;
	return 0;
}

uint32_t erofs_sb_checksum(const uint8_t *blk, size_t len)
{
	return crc32c_raw(~0u, blk, len);
}

size_t erofs_inode_encode(const struct erofs_inode_info *i, uint8_t out[64])
{
	uint16_t fmt = (uint16_t)((i->extended ? EROFS_INODE_LAYOUT_EXTENDED
					       : EROFS_INODE_LAYOUT_COMPACT) |
				  (i->datalayout << 1));

	if (!i->extended) {
		memset(out, 0, 32);
		put_le16(out + IC(i_format), fmt);
		put_le16(out + IC(i_xattr_icount), i->xattr_icount);
		put_le16(out + IC(i_mode), i->mode);
		put_le16(out + IC(i_nlink), (uint16_t)i->nlink);
		put_le32(out + IC(i_size), (uint32_t)i->size);
		put_le32(out + IC(i_u), i->u);
		put_le32(out + IC(i_ino), i->ino);
		put_le16(out + IC(i_uid), (uint16_t)i->uid);
		put_le16(out + IC(i_gid), (uint16_t)i->gid);
		return 32;
	}
	memset(out, 0, 64);
	put_le16(out + IE(i_format), fmt);
	put_le16(out + IE(i_xattr_icount), i->xattr_icount);
	put_le16(out + IE(i_mode), i->mode);
	put_le64(out + IE(i_size), i->size);
	put_le32(out + IE(i_u), i->u);
	put_le32(out + IE(i_ino), i->ino);
	put_le32(out + IE(i_uid), i->uid);
	put_le32(out + IE(i_gid), i->gid);
	put_le64(out + IE(i_mtime), i->mtime);
	put_le32(out + IE(i_mtime_nsec), i->mtime_nsec);
	put_le32(out + IE(i_nlink), i->nlink);
	return 64;
}

int erofs_inode_decode(const uint8_t *buf, size_t len, struct erofs_inode_info *ret)
{
	struct erofs_inode_info i;
	uint16_t fmt;

	if (len < 32)
		return -EINVAL;
	memset(&i, 0, sizeof(i));
	fmt = get_le16(buf);
	if (fmt & ~0xfu)
		return -EINVAL;
	i.extended = fmt & 1;
	i.datalayout = (fmt >> 1) & 7;
	if (i.datalayout > EROFS_INODE_CHUNK_BASED)
		return -EINVAL;
	i.xattr_icount = get_le16(buf + IC(i_xattr_icount));
	i.mode = get_le16(buf + IC(i_mode));
	if (!i.extended) {
		i.nlink = get_le16(buf + IC(i_nlink));
		i.size = get_le32(buf + IC(i_size));
		i.u = get_le32(buf + IC(i_u));
		i.ino = get_le32(buf + IC(i_ino));
		i.uid = get_le16(buf + IC(i_uid));
		i.gid = get_le16(buf + IC(i_gid));
	} else {
		if (len < 64)
			return -EINVAL;
		i.size = get_le64(buf + IE(i_size));
		i.u = get_le32(buf + IE(i_u));
		i.ino = get_le32(buf + IE(i_ino));
		i.uid = get_le32(buf + IE(i_uid));
		i.gid = get_le32(buf + IE(i_gid));
		i.mtime = get_le64(buf + IE(i_mtime));
		i.mtime_nsec = get_le32(buf + IE(i_mtime_nsec));
		i.nlink = get_le32(buf + IE(i_nlink));
	}
	*ret = i;
	return 0;
}

void erofs_dirent_encode(uint64_t nid, uint16_t nameoff, uint8_t type, uint8_t out[12])
{
	put_le64(out, nid);
	put_le16(out + 8, nameoff);
	out[10] = type;
	out[11] = 0;
}

uint8_t erofs_ftype(uint32_t mode)
{
	switch (mode & 0170000) {
	case 0100000: return EROFS_FT_REG_FILE;
	case 0040000: return EROFS_FT_DIR;
	case 0020000: return EROFS_FT_CHRDEV;
	case 0060000: return EROFS_FT_BLKDEV;
	case 0010000: return EROFS_FT_FIFO;
	case 0140000: return EROFS_FT_SOCK;
	case 0120000: return EROFS_FT_SYMLINK;
	default: return EROFS_FT_UNKNOWN;
	}
}

unsigned erofs_xattr_split(const char *name, const char **ret_suffix)
{
	static const struct {
		const char *prefix;
		unsigned index;
		bool whole; /* the name is the prefix itself */
	} map[] = {
		{ "user.", EROFS_XATTR_INDEX_USER, false },
		{ "system.posix_acl_access", EROFS_XATTR_INDEX_POSIX_ACL_ACCESS, true },
		{ "system.posix_acl_default", EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT, true },
		{ "trusted.", EROFS_XATTR_INDEX_TRUSTED, false },
		{ "lustre.", EROFS_XATTR_INDEX_LUSTRE, false },
		{ "security.", EROFS_XATTR_INDEX_SECURITY, false },
	};

	for (unsigned k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
		size_t pl = strlen(map[k].prefix);

		if (map[k].whole ? strcmp(name, map[k].prefix)
				 : strncmp(name, map[k].prefix, pl) || !name[pl])
			continue;
		*ret_suffix = name + pl;
		return map[k].index;
	}
	return 0;
}
