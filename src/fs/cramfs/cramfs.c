/* SPDX-License-Identifier: MIT */
/* cramfs codec: inodes and the superblock, little-endian (cramfs.h). */
#include <string.h>

#include "base/endian.h"
#include "fs/cramfs/cramfs.h"

/*
 * An inode is three 32-bit words of bit fields, laid out as a
 * little-endian host's compiler packs them: mode:16 uid:16, size:24
 * gid:8, namelen:6 (4-byte units) offset:26 (4-byte units).
 */
void cramfs_inode_encode(const struct cramfs_inode *in, uint8_t out[CRAMFS_INODE_SIZE])
{
	put_le32(out, (in->mode & 0xffff) | (in->uid & 0xffff) << 16);
	put_le32(out + 4, (in->size & 0xffffff) | (in->gid & 0xff) << 24);
	put_le32(out + 8, ((in->namelen >> 2) & 0x3f) | (in->offset >> 2) << 6);
}

void cramfs_inode_decode(const uint8_t in[CRAMFS_INODE_SIZE], struct cramfs_inode *ret)
{
	uint32_t a = get_le32(in), b = get_le32(in + 4), c = get_le32(in + 8);

	ret->mode = a & 0xffff;
	ret->uid = a >> 16;
	ret->size = b & 0xffffff;
	ret->gid = b >> 24;
	ret->namelen = (c & 0x3f) << 2;
	ret->offset = (c >> 6) << 2;
}

/*
 * Superblock: magic, size, flags, future, signature[16], fsid { crc,
 * edition, blocks, files }, name[16], root inode.
 */
void cramfs_super_encode(const struct cramfs_super *s, uint8_t out[CRAMFS_SUPER_SIZE])
{
	memset(out, 0, CRAMFS_SUPER_SIZE);
	put_le32(out, CRAMFS_MAGIC);
	put_le32(out + 4, s->size);
	put_le32(out + 8, s->flags);
	memcpy(out + 16, "Compressed ROMFS", 16);
	put_le32(out + 32, s->crc);
	put_le32(out + 36, s->edition);
	put_le32(out + 40, s->blocks);
	put_le32(out + 44, s->files);
	memcpy(out + 48, s->name, 16);
	cramfs_inode_encode(&s->root, out + 64);
}
