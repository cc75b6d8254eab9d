/* SPDX-License-Identifier: MIT */
/* The random UUIDs and clock stamps of a mkfs.btrfs image made reproducible (see btrfs-fix.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/hash.h"
#include "base/ids.h"
#include "fs/btrfs/btrfs-fix.h"
#include "io/patch.h"

/* Superblock (btrfs-progs kernel-shared/uapi/btrfs_tree.h), its copies. */
#define SB_SIZE 4096u
#define SB_FSID 0x20u
#define SB_BYTENR 0x30u
#define SB_MAGIC 0x40u
#define SB_CHUNK_ROOT 0x58u
#define SB_NUM_DEVICES 0x88u
#define SB_NODESIZE 0x94u
#define SB_SYS_ARRAY_SIZE 0xa0u
#define SB_INCOMPAT 0xbcu
#define SB_CSUM_TYPE 0xc4u
#define SB_DEV_ITEM 0xc9u
#define SB_METADATA_UUID 0x23bu
#define SB_SYS_ARRAY 0x32bu
#define SB_SYS_ARRAY_MAX 2048u
#define INCOMPAT_METADATA_UUID (1u << 10)
static const uint64_t sb_offsets[] = { 64ull << 10, 64ull << 20, 256ull << 30 };

/* Tree block header; leaf items; node key pointers. */
#define HDR_FSID 0x20u
#define HDR_BYTENR 0x30u
#define HDR_CHUNK_UUID 0x40u
#define HDR_OWNER 0x58u
#define HDR_NRITEMS 0x60u
#define HDR_LEVEL 0x64u
#define HDR_SIZE 0x65u
#define KEY_SIZE 17u
#define ITEM_SIZE 25u
#define PTR_SIZE 33u
#define UUID_TREE 9u

enum {
	INODE_ITEM = 1, ROOT_ITEM = 132, DEV_EXTENT = 204, DEV_ITEM = 216, CHUNK_ITEM = 228,
	UUID_SUBVOL = 251, UUID_RECEIVED = 252,
};

/* Item layouts: the offsets kiln touches. */
#define DEV_ITEM_DEVID 0u
#define DEV_ITEM_UUID 66u
#define DEV_EXTENT_CHUNK_UUID 32u
#define CHUNK_LENGTH 0u
#define CHUNK_TYPE 24u
#define CHUNK_NUM_STRIPES 44u
#define CHUNK_STRIPES 48u
#define STRIPE_SIZE 32u
#define STRIPE_DEVID 0u
#define STRIPE_OFFSET 8u
#define STRIPE_UUID 16u
#define INODE_ATIME 112u
#define INODE_CTIME 124u
#define INODE_MTIME 136u
#define INODE_OTIME 148u
#define INODE_SIZE 160u
#define ROOT_UUID 247u
#define ROOT_CTIME 327u
#define ROOT_OTIME 339u
#define ROOT_SIZE 375u   /* up to rtime: what mkfs writes */
#define CHUNK_SYSTEM 2u
#define CHUNK_METADATA 4u

#define MAX_CHUNKS 65536u
#define MAX_STRIPES 16u
#define MAX_DEPTH 8u
#define MAX_NODESIZE (64u << 10)

struct chunk {
	uint64_t logical, length, type;
	uint64_t phys[MAX_STRIPES];
	unsigned nstripes;
};

struct fix {
	struct patch_file p;
	uint32_t nodesize;
	uint64_t devid;
	uint8_t fsid[16];               /* what tree block headers carry */
	uint8_t old_dev[16], old_subvol[16];
	bool have_subvol;
	const struct btrfs_ids *ids;
	struct chunk *chunks;
	unsigned nchunks, cap, nsys;   /* nsys: those from the system chunk array */
	uint8_t *buf;
};

/* btrfs's crc32c: seeded with ~0, inverted, little-endian in the first 4 of 32 bytes. */
static uint32_t csum(const uint8_t *b, uint32_t len)
{
	return ~crc32c_raw(~0u, b + 32, len - 32);
}

static void set_csum(uint8_t *b, uint32_t len)
{
	memset(b, 0, 32);
	put_le32(b, csum(b, len));
}

static bool is_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static void replace(uint8_t *at, const uint8_t *old, const struct uuid *u)
{
	if (!memcmp(at, old, 16))
		memcpy(at, u->b, 16);
}

/* A chunk's stripes on this device, from its item @c (@len bytes). */
static int add_chunk(struct fix *f, uint64_t logical, const uint8_t *c, uint32_t len,
		     uint64_t at)
{
	struct chunk *ch;
	unsigned n;

	if (len < CHUNK_STRIPES || (n = get_le16(c + CHUNK_NUM_STRIPES)) == 0 ||
	    n > MAX_STRIPES || len < CHUNK_STRIPES + n * STRIPE_SIZE)
		return patch_bad(&f->p, "chunk item out of range", at);
	for (unsigned i = 0; i < f->nsys; i++)
		if (f->chunks[i].logical == logical)
			return 0;  /* in the system array and the chunk tree */
	if (f->nchunks >= MAX_CHUNKS)
		return patch_bad(&f->p, "too many chunks", at);
	if (f->nchunks == f->cap) {
		unsigned cap = f->cap ? 2 * f->cap : 8;
		struct chunk *m = realloc(f->chunks, cap * sizeof(*m));
		if (!m)
			return diag_fail(f->p.d, -ENOMEM, "out of memory");
		f->chunks = m;
		f->cap = cap;
	}
	ch = &f->chunks[f->nchunks++];
	ch->logical = logical;
	ch->length = get_le64(c + CHUNK_LENGTH);
	ch->type = get_le64(c + CHUNK_TYPE);
	ch->nstripes = n;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *s = c + CHUNK_STRIPES + i * STRIPE_SIZE;
		if (get_le64(s + STRIPE_DEVID) != f->devid)
			return patch_bad(&f->p, "stripe on another device", at);
		ch->phys[i] = get_le64(s + STRIPE_OFFSET);
	}
	return 0;
}

/* The first stripe's byte for @logical, or UINT64_MAX. */
static uint64_t map(const struct fix *f, uint64_t logical)
{
	for (unsigned i = 0; i < f->nchunks; i++) {
		const struct chunk *c = &f->chunks[i];
		if (logical >= c->logical && logical - c->logical < c->length)
			return c->phys[0] + (logical - c->logical);
	}
	return UINT64_MAX;
}

/* Is f->buf, read at @logical, a tree block of this filesystem? */
static bool tree_block(const struct fix *f, uint64_t logical)
{
	return !memcmp(f->buf + HDR_FSID, f->fsid, 16) && get_le64(f->buf + HDR_BYTENR) == logical &&
	       get_le32(f->buf) == csum(f->buf, f->nodesize);
}

/* Leaf @b: the item table, each item's data inside the block. */
static int leaf_item(struct fix *f, uint32_t i, uint8_t **ret_key, uint8_t **ret_data,
		     uint32_t *ret_len, uint64_t at)
{
	uint8_t *it = f->buf + HDR_SIZE + (size_t)i * ITEM_SIZE;
	uint32_t off, len;

	if (HDR_SIZE + (uint64_t)(i + 1) * ITEM_SIZE > f->nodesize)
		return patch_bad(&f->p, "leaf item table out of its block", at);
	off = get_le32(it + KEY_SIZE);
	len = get_le32(it + KEY_SIZE + 4);
	if ((uint64_t)off + len > f->nodesize - HDR_SIZE)
		return patch_bad(&f->p, "leaf item out of its block", at);
	*ret_key = it;
	*ret_data = f->buf + HDR_SIZE + off;
	*ret_len = len;
	return 0;
}

static int read_chunk_tree(struct fix *f, uint64_t logical, unsigned depth)
{
	uint64_t phys = map(f, logical);
	uint32_t n;
	int r;

	if (depth > MAX_DEPTH || phys == UINT64_MAX || phys > f->p.size ||
	    f->p.size - phys < f->nodesize)
		return patch_bad(&f->p, "chunk tree block out of range", phys);
	if ((r = patch_read(&f->p, f->buf, f->nodesize, phys)))
		return r;
	if (!tree_block(f, logical))
		return patch_bad(&f->p, "chunk tree block with a bad header or checksum", phys);
	n = get_le32(f->buf + HDR_NRITEMS);
	if (f->buf[HDR_LEVEL]) {
		uint64_t *kids;
		if (HDR_SIZE + (uint64_t)n * PTR_SIZE > f->nodesize)
			return patch_bad(&f->p, "node out of its block", phys);
		kids = malloc((n ? n : 1) * sizeof(*kids));
		if (!kids)
			return diag_fail(f->p.d, -ENOMEM, "out of memory");
		for (uint32_t i = 0; i < n; i++)
			kids[i] = get_le64(f->buf + HDR_SIZE + i * PTR_SIZE + KEY_SIZE);
		for (uint32_t i = 0; !r && i < n; i++)
			r = read_chunk_tree(f, kids[i], depth + 1);
		free(kids);
		return r;
	}
	for (uint32_t i = 0; !r && i < n; i++) {
		uint8_t *key, *data;
		uint32_t len;
		if (!(r = leaf_item(f, i, &key, &data, &len, phys)) && key[8] == CHUNK_ITEM)
			r = add_chunk(f, get_le64(key + 9), data, len, phys);
	}
	return r;
}

/* The single subvolume UUID mkfs drew: learnt from whichever holds it first. */
static int subvol_uuid(struct fix *f, uint8_t *at, uint64_t pos)
{
	if (!f->have_subvol) {
		memcpy(f->old_subvol, at, 16);
		f->have_subvol = true;
	} else if (memcmp(f->old_subvol, at, 16)) {
		return patch_bad(&f->p, "more than one subvolume UUID", pos);
	}
	memcpy(at, f->ids->subvol->b, 16);
	return 0;
}

static void clamp_time(const struct fix *f, uint8_t *t)
{
	if ((int64_t)get_le64(t) > f->ids->epoch) {
		put_le64(t, (uint64_t)f->ids->epoch);
		put_le32(t + 8, 0);
	}
}

/* UUID tree keys hold a UUID as two little-endian halves. */
static int fix_uuid_key(struct fix *f, uint8_t *key, uint64_t pos)
{
	uint8_t u[16];

	if (key[8] != UUID_SUBVOL && key[8] != UUID_RECEIVED)
		return 0;
	memcpy(u, key, 8);
	memcpy(u + 8, key + 9, 8);
	if (is_zero(u, 16))
		return 0;
	/* Another UUID (a received one): not mkfs's, kept. */
	if (f->have_subvol && memcmp(u, f->old_subvol, 16))
		return 0;
	subvol_uuid(f, u, pos);
	memcpy(key, u, 8);
	memcpy(key + 9, u + 8, 8);
	return 0;
}

static int key_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t x = get_le64(a), y = get_le64(b);

	if (x != y)
		return x < y ? -1 : 1;
	if (a[8] != b[8])
		return a[8] < b[8] ? -1 : 1;
	x = get_le64(a + 9);
	y = get_le64(b + 9);
	return x < y ? -1 : x > y;
}

/*
 * A UUID tree key changed: the items must still be in key order. mkfs
 * makes one subvolume, so its UUID tree is one item; reordering items
 * (and their data, which a leaf keeps contiguous in reverse order) is
 * not needed and not done.
 */
static int check_sorted(struct fix *f, uint32_t n, unsigned width, uint64_t pos)
{
	const uint8_t *t = f->buf + HDR_SIZE;

	for (uint32_t i = 1; i < n; i++)
		if (key_cmp(t + (i - 1) * width, t + i * width) >= 0)
			return patch_bad(&f->p, "UUID tree out of order after the UUID changed", pos);
	return 0;
}

static int fix_item(struct fix *f, uint8_t *key, uint8_t *data, uint32_t len, uint64_t pos)
{
	switch (key[8]) {
	case DEV_ITEM:
		if (len < DEV_ITEM_UUID + 16)
			return patch_bad(&f->p, "dev item too short", pos);
		replace(data + DEV_ITEM_UUID, f->old_dev, f->ids->device);
		return 0;
	case CHUNK_ITEM:
		if (len < CHUNK_STRIPES ||
		    len < CHUNK_STRIPES + get_le16(data + CHUNK_NUM_STRIPES) * STRIPE_SIZE)
			return patch_bad(&f->p, "chunk item too short", pos);
		for (unsigned i = 0; i < get_le16(data + CHUNK_NUM_STRIPES); i++)
			replace(data + CHUNK_STRIPES + i * STRIPE_SIZE + STRIPE_UUID, f->old_dev,
				f->ids->device);
		return 0;
	case DEV_EXTENT:
		if (len < DEV_EXTENT_CHUNK_UUID + 16)
			return patch_bad(&f->p, "dev extent too short", pos);
		memcpy(data + DEV_EXTENT_CHUNK_UUID, f->ids->chunk_tree->b, 16);
		return 0;
	case INODE_ITEM:
		if (len < INODE_SIZE)
			return patch_bad(&f->p, "inode item too short", pos);
		clamp_time(f, data + INODE_MTIME);
		memcpy(data + INODE_ATIME, data + INODE_MTIME, 12);
		memcpy(data + INODE_CTIME, data + INODE_MTIME, 12);
		memcpy(data + INODE_OTIME, data + INODE_MTIME, 12);
		return 0;
	case ROOT_ITEM:
		if (len < ROOT_SIZE)
			return 0;  /* the old short form: no UUID, no times */
		clamp_time(f, data + ROOT_CTIME);
		clamp_time(f, data + ROOT_OTIME);
		return is_zero(data + ROOT_UUID, 16) ? 0 : subvol_uuid(f, data + ROOT_UUID, pos);
	default:
		return fix_uuid_key(f, key, pos);
	}
}

/* f->buf, a tree block at @pos: its UUIDs, stamps and checksum. */
static int fix_block(struct fix *f, uint64_t pos)
{
	uint32_t n = get_le32(f->buf + HDR_NRITEMS);
	bool uuid_tree = get_le64(f->buf + HDR_OWNER) == UUID_TREE;
	uint64_t free_from, free_to = f->nodesize;
	int r = 0;

	memcpy(f->buf + HDR_CHUNK_UUID, f->ids->chunk_tree->b, 16);
	if (f->buf[HDR_LEVEL]) {
		if (HDR_SIZE + (uint64_t)n * PTR_SIZE > f->nodesize)
			return patch_bad(&f->p, "node out of its block", pos);
		for (uint32_t i = 0; !r && uuid_tree && i < n; i++)
			r = fix_uuid_key(f, f->buf + HDR_SIZE + i * PTR_SIZE, pos);
		if (!r && uuid_tree)
			r = check_sorted(f, n, PTR_SIZE, pos);
		free_from = HDR_SIZE + n * PTR_SIZE;
	} else {
		free_from = HDR_SIZE + (uint64_t)n * ITEM_SIZE;
		free_to = f->nodesize;
		for (uint32_t i = 0; !r && i < n; i++) {
			uint8_t *key, *data;
			uint32_t len;
			if (!(r = leaf_item(f, i, &key, &data, &len, pos)))
				r = fix_item(f, key, data, len, pos);
			if (!r && (uint64_t)(data - f->buf) < free_to)
				free_to = (uint64_t)(data - f->buf);
		}
		if (!r && uuid_tree)
			r = check_sorted(f, n, ITEM_SIZE, pos);
		if (!r && free_to < free_from)
			r = patch_bad(&f->p, "leaf items overlap its item table", pos);
	}
	/* Unused space keeps what deleted items held (the random device UUID
	 * of the temporary chunks among it); nothing reads it. */
	if (!r)
		memset(f->buf + free_from, 0, free_to - free_from);
	if (!r)
		set_csum(f->buf, f->nodesize);
	return r;
}

/* f->buf read at @pos: fixed and written back if a tree block at @logical. */
static int fix_at(struct fix *f, uint64_t pos, uint64_t logical)
{
	int r = patch_read(&f->p, f->buf, f->nodesize, pos);

	if (r || !tree_block(f, logical))
		return r;
	r = fix_block(f, pos);
	return r ? r : patch_write(&f->p, f->buf, f->nodesize, pos);
}

/*
 * The first block at @pos + k * nodesize that holds data, in *ret_next
 * (UINT64_MAX: none): the output starts as a hole, so unwritten space
 * is skipped without reading it.
 */
static int next_data(struct fix *f, uint64_t pos, uint64_t *ret_next)
{
	off_t data = lseek(f->p.fd, (off_t)pos, SEEK_DATA);

	if (data < 0) {
		if (errno != ENXIO)
			return diag_fail(f->p.d, -errno, "%s: %s", f->p.path, strerror(errno));
		*ret_next = UINT64_MAX;
		return 0;
	}
	*ret_next = pos + ((uint64_t)data - pos) / f->nodesize * f->nodesize;
	return 0;
}

/* Where the superblock or chunk stripe that [@pos, +nodesize) overlaps
 * ends; 0 when it overlaps none. */
static uint64_t mapped_end(const struct fix *f, uint64_t pos)
{
	for (unsigned i = 0; i < sizeof(sb_offsets) / sizeof(sb_offsets[0]); i++)
		if (pos < sb_offsets[i] + SB_SIZE && sb_offsets[i] < pos + f->nodesize)
			return sb_offsets[i] + SB_SIZE;
	for (unsigned i = 0; i < f->nchunks; i++)
		for (unsigned s = 0; s < f->chunks[i].nstripes; s++)
			if (pos < f->chunks[i].phys[s] + f->chunks[i].length &&
			    f->chunks[i].phys[s] < pos + f->nodesize)
				return f->chunks[i].phys[s] + f->chunks[i].length;
	return 0;
}

/*
 * mkfs starts with temporary chunks mapped 1:1 (logical = physical) and
 * removes them once the real ones exist; their blocks stay in the file,
 * outside the chunk map, with the random chunk tree UUID. They are found
 * where data is (the output starts as a hole) outside the map, by their
 * header naming their own physical address.
 */
static int fix_unmapped(struct fix *f)
{
	int r = 0;

	for (uint64_t pos = 0; !r && pos < f->p.size && f->p.size - pos >= f->nodesize;
	     pos += f->nodesize) {
		uint64_t end;

		if ((r = next_data(f, pos, &pos)) || pos > f->p.size ||
		    f->p.size - pos < f->nodesize)
			break;
		end = mapped_end(f, pos);
		if (!end)
			r = fix_at(f, pos, pos);
		else if (end > pos + f->nodesize)
			pos += (end - pos - 1) / f->nodesize * f->nodesize;
	}
	return r;
}

/* Every copy of every tree block in the system and metadata chunks. */
static int fix_trees(struct fix *f)
{
	int r = 0;

	for (unsigned i = 0; !r && i < f->nchunks; i++) {
		const struct chunk *c = &f->chunks[i];
		if (!(c->type & (CHUNK_SYSTEM | CHUNK_METADATA)))
			continue;
		for (unsigned s = 0; !r && s < c->nstripes; s++) {
			for (uint64_t o = 0; !r && o + f->nodesize <= c->length; o += f->nodesize) {
				uint64_t pos;
				if ((r = next_data(f, c->phys[s] + o, &pos)) || pos == UINT64_MAX)
					break;
				o = pos - c->phys[s];
				if (o + f->nodesize > c->length || pos > f->p.size ||
				    f->p.size - pos < f->nodesize)
					break;
				r = fix_at(f, pos, c->logical + o);
			}
		}
	}
	return r ? r : fix_unmapped(f);
}

/* The system chunk array: (key, chunk item) pairs, read into the map or rewritten. */
static int sys_chunks(struct fix *f, uint8_t *sb, uint64_t at, bool rewrite)
{
	uint32_t size = get_le32(sb + SB_SYS_ARRAY_SIZE), o = 0;
	int r = 0;

	if (size > SB_SYS_ARRAY_MAX)
		return patch_bad(&f->p, "system chunk array too large", at + SB_SYS_ARRAY_SIZE);
	while (!r && o < size) {
		uint8_t *key = sb + SB_SYS_ARRAY + o, *c = key + KEY_SIZE;
		uint32_t len;

		if (size - o < KEY_SIZE + CHUNK_STRIPES || key[8] != CHUNK_ITEM)
			return patch_bad(&f->p, "bad system chunk array", at + SB_SYS_ARRAY + o);
		len = CHUNK_STRIPES + get_le16(c + CHUNK_NUM_STRIPES) * STRIPE_SIZE;
		if (len > size - o - KEY_SIZE)
			return patch_bad(&f->p, "bad system chunk array", at + SB_SYS_ARRAY + o);
		r = rewrite ? fix_item(f, key, c, len, at) : add_chunk(f, get_le64(key + 9), c, len, at);
		o += KEY_SIZE + len;
	}
	return r;
}

/* The superblock at @at, if the file holds one there: device UUIDs, checksum. */
static int fix_super(struct fix *f, uint64_t at)
{
	uint8_t sb[SB_SIZE];
	int r;

	if (at > f->p.size || f->p.size - at < SB_SIZE)
		return 0;
	if ((r = patch_read(&f->p, sb, SB_SIZE, at)))
		return r;
	if (memcmp(sb + SB_MAGIC, "_BHRfS_M", 8) || get_le64(sb + SB_BYTENR) != at)
		return 0;  /* not written: the file ends in free space there */
	if (get_le32(sb) != csum(sb, SB_SIZE))
		return patch_bad(&f->p, "superblock checksum mismatch", at);
	replace(sb + SB_DEV_ITEM + DEV_ITEM_UUID, f->old_dev, f->ids->device);
	if ((r = sys_chunks(f, sb, at, true)))
		return r;
	/* Past its size the array holds what is left of the temporary chunks
	 * mkfs removed, the random device UUID among it; nothing reads it. */
	memset(sb + SB_SYS_ARRAY + get_le32(sb + SB_SYS_ARRAY_SIZE), 0,
	       SB_SYS_ARRAY_MAX - get_le32(sb + SB_SYS_ARRAY_SIZE));
	set_csum(sb, SB_SIZE);
	return patch_write(&f->p, sb, SB_SIZE, at);
}

static int load(struct fix *f, uint8_t *sb)
{
	uint64_t at = sb_offsets[0];
	int r;

	if ((r = patch_read(&f->p, sb, SB_SIZE, at)))
		return r;
	if (memcmp(sb + SB_MAGIC, "_BHRfS_M", 8))
		return patch_bad(&f->p, "no btrfs superblock", at);
	if (get_le16(sb + SB_CSUM_TYPE) != 0)
		return 1;
	if (get_le32(sb) != csum(sb, SB_SIZE))
		return patch_bad(&f->p, "superblock checksum mismatch", at);
	if (get_le64(sb + SB_NUM_DEVICES) != 1)
		return patch_bad(&f->p, "more than one device", at + SB_NUM_DEVICES);
	f->nodesize = get_le32(sb + SB_NODESIZE);
	if (f->nodesize < SB_SIZE || f->nodesize > MAX_NODESIZE || (f->nodesize & (f->nodesize - 1)))
		return patch_bad(&f->p, "node size out of range", at + SB_NODESIZE);
	memcpy(f->fsid, sb + (get_le64(sb + SB_INCOMPAT) & INCOMPAT_METADATA_UUID ?
			      SB_METADATA_UUID : SB_FSID), 16);
	f->devid = get_le64(sb + SB_DEV_ITEM + DEV_ITEM_DEVID);
	memcpy(f->old_dev, sb + SB_DEV_ITEM + DEV_ITEM_UUID, 16);
	if (!(f->buf = malloc(f->nodesize)))
		return diag_fail(f->p.d, -ENOMEM, "out of memory");
	if ((r = sys_chunks(f, sb, at, false)))
		return r;
	f->nsys = f->nchunks;
	return read_chunk_tree(f, get_le64(sb + SB_CHUNK_ROOT), 0);
}

int btrfs_fix_ids(const char *path, const struct btrfs_ids *ids, struct diag *d)
{
	struct fix f = { .ids = ids };
	uint8_t sb[SB_SIZE];
	int r;

	if ((r = patch_open(&f.p, path, "mkfs.btrfs", d)))
		return r;
	r = load(&f, sb);
	if (!r)
		r = fix_trees(&f);
	for (unsigned i = 0; !r && i < sizeof(sb_offsets) / sizeof(sb_offsets[0]); i++)
		r = fix_super(&f, sb_offsets[i]);
	free(f.buf);
	free(f.chunks);
	return patch_close(&f.p, r);
}
