/* SPDX-License-Identifier: MIT */
/* ext4 codecs: hashes, checksums and small structures (no I/O). */
#include <string.h>

#include "base/endian.h"
#include "base/hash.h"
#include "fs/ext4/ext4-format.h"

static inline uint32_t rol32(uint32_t w, unsigned s)
{
	return (w << s) | (w >> (32 - s));
}

#define MD4_F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MD4_G(x, y, z) (((x) & (y)) + (((x) ^ (y)) & (z)))
#define MD4_H(x, y, z) ((x) ^ (y) ^ (z))
#define MD4_ROUND(f, a, b, c, d, x, s) (a += f(b, c, d) + (x), a = rol32(a, s))
#define MD4_K2 013240474631u
#define MD4_K3 015666365641u

/* The kernel's cut-down MD4 over 8 words; feeds back into @buf. */
static void half_md4(uint32_t buf[4], const uint32_t in[8])
{
	uint32_t a = buf[0], b = buf[1], c = buf[2], d = buf[3];

	MD4_ROUND(MD4_F, a, b, c, d, in[0], 3);
	MD4_ROUND(MD4_F, d, a, b, c, in[1], 7);
	MD4_ROUND(MD4_F, c, d, a, b, in[2], 11);
	MD4_ROUND(MD4_F, b, c, d, a, in[3], 19);
	MD4_ROUND(MD4_F, a, b, c, d, in[4], 3);
	MD4_ROUND(MD4_F, d, a, b, c, in[5], 7);
	MD4_ROUND(MD4_F, c, d, a, b, in[6], 11);
	MD4_ROUND(MD4_F, b, c, d, a, in[7], 19);

	MD4_ROUND(MD4_G, a, b, c, d, in[1] + MD4_K2, 3);
	MD4_ROUND(MD4_G, d, a, b, c, in[3] + MD4_K2, 5);
	MD4_ROUND(MD4_G, c, d, a, b, in[5] + MD4_K2, 9);
	MD4_ROUND(MD4_G, b, c, d, a, in[7] + MD4_K2, 13);
	MD4_ROUND(MD4_G, a, b, c, d, in[0] + MD4_K2, 3);
	MD4_ROUND(MD4_G, d, a, b, c, in[2] + MD4_K2, 5);
	MD4_ROUND(MD4_G, c, d, a, b, in[4] + MD4_K2, 9);
	MD4_ROUND(MD4_G, b, c, d, a, in[6] + MD4_K2, 13);

	MD4_ROUND(MD4_H, a, b, c, d, in[3] + MD4_K3, 3);
	MD4_ROUND(MD4_H, d, a, b, c, in[7] + MD4_K3, 9);
	MD4_ROUND(MD4_H, c, d, a, b, in[2] + MD4_K3, 11);
	MD4_ROUND(MD4_H, b, c, d, a, in[6] + MD4_K3, 15);
	MD4_ROUND(MD4_H, a, b, c, d, in[1] + MD4_K3, 3);
	MD4_ROUND(MD4_H, d, a, b, c, in[5] + MD4_K3, 9);
	MD4_ROUND(MD4_H, c, d, a, b, in[0] + MD4_K3, 11);
	MD4_ROUND(MD4_H, b, c, d, a, in[4] + MD4_K3, 15);

	buf[0] += a;
	buf[1] += b;
	buf[2] += c;
	buf[3] += d;
}

/* Pack up to 4*@num name bytes into words, padded with a length pattern. */
static void str2hashbuf(const uint8_t *p, size_t len, uint32_t *buf, int num, bool uns)
{
	uint32_t pad = (uint32_t)len | ((uint32_t)len << 8);
	uint32_t val;

	pad |= pad << 16;
	val = pad;
	if (len > (size_t)num * 4)
		len = (size_t)num * 4;
	for (size_t i = 0; i < len; i++) {
		int32_t c = uns ? (int32_t)p[i] : (int32_t)(int8_t)p[i];
		val = (uint32_t)c + (val << 8);
		if (i % 4 == 3) {
			*buf++ = val;
			val = pad;
			num--;
		}
	}
	if (--num >= 0)
		*buf++ = val;
	while (--num >= 0)
		*buf++ = pad;
}

uint32_t ext4_dx_hash(const char *name, size_t len, const uint32_t seed[4], bool unsigned_chars)
{
	uint32_t buf[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	const uint8_t *p = (const uint8_t *)name;
	uint32_t in[8], hash;

	if (seed && (seed[0] | seed[1] | seed[2] | seed[3]))
		memcpy(buf, seed, sizeof(buf));
	for (long left = (long)len; left > 0; left -= 32, p += 32) {
		str2hashbuf(p, (size_t)left, in, 8, unsigned_chars);
		half_md4(buf, in);
	}
	hash = buf[1] & ~1u;
	if (hash == (0x7FFFFFFFu << 1))
		hash = (0x7FFFFFFFu - 1) << 1;
	return hash;
}

uint32_t ext4_xattr_entry_hash(const uint8_t *name, size_t name_len, const uint8_t *value,
			       size_t value_len)
{
	uint32_t h = 0;

	for (size_t i = 0; i < name_len; i++)
		h = (h << 5) ^ (h >> 27) ^ name[i];
	for (size_t i = 0; i < value_len; i += 4) {
		uint8_t w[4] = { 0 };
		memcpy(w, value + i, value_len - i < 4 ? value_len - i : 4);
		h = (h << 16) ^ (h >> 16) ^ get_le32(w);
	}
	return h;
}

uint16_t ext4_crc16(uint16_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
	}
	return crc;
}

void ext4_ext_header(uint8_t *p, uint16_t entries, uint16_t max, uint16_t depth)
{
	put_le16(p + EH_MAGIC, EXT4_EXT_MAGIC);
	put_le16(p + EH_ENTRIES, entries);
	put_le16(p + EH_MAX, max);
	put_le16(p + EH_DEPTH, depth);
	put_le32(p + EH_GENERATION, 0);
}

void ext4_ext_leaf(uint8_t *p, const struct ext4_extent *e)
{
	put_le32(p + EE_BLOCK, e->lblk);
	put_le16(p + EE_LEN, (uint16_t)e->len);
	put_le16(p + EE_START_HI, (uint16_t)(e->pblk >> 32));
	put_le32(p + EE_START_LO, (uint32_t)e->pblk);
}

void ext4_ext_index(uint8_t *p, uint32_t lblk, uint64_t leaf)
{
	put_le32(p + EI_BLOCK, lblk);
	put_le32(p + EI_LEAF_LO, (uint32_t)leaf);
	put_le16(p + EI_LEAF_HI, (uint16_t)(leaf >> 32));
	put_le16(p + EI_LEAF_HI + 2, 0);
}

void ext4_dirent(uint8_t *p, uint32_t ino, uint16_t rec_len, const char *name, uint8_t name_len,
		 uint8_t file_type, bool filetype_feature)
{
	put_le32(p + DE_INODE, ino);
	put_le16(p + DE_REC_LEN, rec_len);
	p[DE_NAME_LEN] = name_len;
	p[DE_FILE_TYPE] = filetype_feature ? file_type : 0;
	memcpy(p + DE_NAME, name, name_len);
	/* Padding bytes stay zero so identical trees give identical blocks. */
	memset(p + DE_NAME + name_len, 0, ext4_rec_len(name_len) - 8 - name_len);
}

uint32_t ext4_csum_seed(const uint8_t uuid[16])
{
	return crc32c_raw(~0u, uuid, 16);
}

uint32_t ext4_inode_seed(uint32_t fs_seed, uint32_t ino, uint32_t gen)
{
	uint8_t le[4];
	uint32_t c;

	put_le32(le, ino);
	c = crc32c_raw(fs_seed, le, 4);
	put_le32(le, gen);
	return crc32c_raw(c, le, 4);
}

void ext4_sb_csum_set(uint8_t sb[EXT4_SB_SIZE])
{
	put_le32(sb + SB_CHECKSUM, crc32c_raw(~0u, sb, SB_CHECKSUM));
}

void ext4_gd_csum_set(uint8_t *gd, uint32_t desc_size, uint32_t group, uint32_t fs_seed,
		      bool metadata_csum, const uint8_t uuid[16])
{
	uint8_t le[4];

	put_le32(le, group);
	put_le16(gd + GD_CHECKSUM, 0);
	if (metadata_csum) {
		uint32_t c = crc32c_raw(fs_seed, le, 4);
		c = crc32c_raw(c, gd, desc_size);
		put_le16(gd + GD_CHECKSUM, (uint16_t)c);
	} else {
		/* uninit_bg: crc16 over uuid, group, descriptor without the field. */
		uint16_t c = ext4_crc16(0xFFFF, uuid, 16);
		c = ext4_crc16(c, le, 4);
		c = ext4_crc16(c, gd, GD_CHECKSUM);
		if (desc_size > GD_CHECKSUM + 2)
			c = ext4_crc16(c, gd + GD_CHECKSUM + 2, desc_size - GD_CHECKSUM - 2);
		put_le16(gd + GD_CHECKSUM, c);
	}
}

void ext4_inode_csum_set(uint8_t *inode, uint32_t inode_size, uint32_t ino_seed)
{
	bool hi = inode_size > EXT4_GOOD_OLD_INODE_SIZE &&
		  get_le16(inode + INO_EXTRA_ISIZE) >= 4;
	uint32_t c;

	put_le16(inode + INO_CHECKSUM_LO, 0);
	if (hi)
		put_le16(inode + INO_CHECKSUM_HI, 0);
	c = crc32c_raw(ino_seed, inode, inode_size);
	put_le16(inode + INO_CHECKSUM_LO, (uint16_t)c);
	if (hi)
		put_le16(inode + INO_CHECKSUM_HI, (uint16_t)(c >> 16));
}

void ext4_ext_block_csum_set(uint8_t *blk, uint32_t ino_seed)
{
	uint32_t off = EXT4_EXT_HDR_SIZE + EXT4_EXT_ENTRY_SIZE * get_le16(blk + EH_MAX);

	put_le32(blk + off, crc32c_raw(ino_seed, blk, off));
}

void ext4_dir_tail_set(uint8_t *blk, uint32_t bs, uint32_t ino_seed, bool csum)
{
	uint8_t *t = blk + bs - EXT4_DIR_TAIL_SIZE;

	memset(t, 0, EXT4_DIR_TAIL_SIZE);
	put_le16(t + DE_REC_LEN, EXT4_DIR_TAIL_SIZE);
	t[DE_FILE_TYPE] = EXT4_DIR_TAIL_FT;
	if (csum)
		put_le32(t + 8, crc32c_raw(ino_seed, blk, bs - EXT4_DIR_TAIL_SIZE));
}

void ext4_dx_csum_set(uint8_t *blk, uint32_t count_offset, uint32_t ino_seed)
{
	uint32_t limit = get_le16(blk + count_offset + DX_LIMIT);
	uint32_t count = get_le16(blk + count_offset + DX_COUNT);
	uint8_t *tail = blk + count_offset + limit * 8;
	uint32_t c;

	/* Over the entries in use, then the whole tail with the checksum zero. */
	put_le32(tail, 0);
	put_le32(tail + 4, 0);
	c = crc32c_raw(ino_seed, blk, count_offset + count * 8);
	c = crc32c_raw(c, tail, EXT4_DX_TAIL_SIZE);
	put_le32(tail + 4, c);
}

void ext4_xattr_block_csum_set(uint8_t *blk, uint32_t bs, uint64_t blocknr, uint32_t fs_seed)
{
	uint8_t le[8];
	uint32_t c;

	put_le64(le, blocknr);
	put_le32(blk + XH_CHECKSUM, 0);
	c = crc32c_raw(fs_seed, le, 8);
	c = crc32c_raw(c, blk, bs);
	put_le32(blk + XH_CHECKSUM, c);
}
