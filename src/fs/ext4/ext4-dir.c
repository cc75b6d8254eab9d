/* SPDX-License-Identifier: MIT */
/*
 * Directory blocks: linear for one block, hashed b-tree (dx root, at
 * most one level of dx nodes, leaves in hash order) when larger and
 * dir_index is on. Entries are packed full; deterministic.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/endian.h"
#include "fs/ext4/ext4-int.h"
#include "fs/tree.h"

struct dent {
	const char *name;
	uint32_t name_len;
	uint32_t ino;
	uint8_t type;
	uint32_t hash;
};

static uint8_t node_ftype(const struct tree_node *n)
{
	switch (n->mode & 0170000) {
	case 0100000: return FT_REG;
	case 0040000: return FT_DIR;
	case 0020000: return FT_CHR;
	case 0060000: return FT_BLK;
	case 0010000: return FT_FIFO;
	case 0140000: return FT_SOCK;
	case 0120000: return FT_SYMLINK;
	}
	return FT_UNKNOWN;
}

static int dent_cmp(const void *a, const void *b)
{
	const struct dent *x = a, *y = b;
	uint32_t n;
	int c;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	n = x->name_len < y->name_len ? x->name_len : y->name_len;
	c = memcmp(x->name, y->name, n);
	if (c)
		return c;
	return (int)x->name_len - (int)y->name_len;
}

/* Pack @e[0..n) linearly into blocks starting at @buf (grown as needed).
 * Returns blocks used via *nb; @first_rec: entries already in block 0. */
struct packer {
	struct ext4_plan *p;
	uint8_t *buf;
	uint32_t cap, nblocks; /* blocks allocated / used */
	uint32_t used;         /* bytes used in the current block */
	uint32_t last;         /* offset of the last entry in the current block */
	uint32_t usable;
};

static int pk_grow(struct packer *k, uint32_t want)
{
	if (want <= k->cap)
		return 0;
	uint32_t nc = k->cap ? k->cap * 2 : 4;
	while (nc < want)
		nc *= 2;
	uint8_t *nb = realloc(k->buf, (size_t)nc * k->p->bs);
	if (!nb)
		return -ENOMEM;
	memset(nb + (size_t)k->cap * k->p->bs, 0, (size_t)(nc - k->cap) * k->p->bs);
	k->buf = nb;
	k->cap = nc;
	return 0;
}

/* Close the current block: the last entry's rec_len runs to the end. */
static void pk_close(struct packer *k)
{
	uint8_t *b = k->buf + (size_t)(k->nblocks - 1) * k->p->bs;

	if (k->used == 0) {
		/* Empty block: one unused entry spanning it. */
		put_le32(b, 0);
		put_le16(b + DE_REC_LEN, (uint16_t)k->usable);
	} else {
		put_le16(b + k->last + DE_REC_LEN, (uint16_t)(k->usable - k->last));
	}
}

static int pk_new_block(struct packer *k)
{
	if (k->nblocks)
		pk_close(k);
	if (pk_grow(k, k->nblocks + 1))
		return -ENOMEM;
	k->nblocks++;
	k->used = 0;
	k->last = 0;
	return 0;
}

static int pk_add(struct packer *k, const char *name, uint32_t name_len, uint32_t ino,
		  uint8_t type, bool *ret_newblock)
{
	uint32_t rl = ext4_rec_len(name_len);

	if (ret_newblock)
		*ret_newblock = false;
	if (!k->nblocks || k->used + rl > k->usable) {
		if (pk_new_block(k))
			return -ENOMEM;
		if (ret_newblock)
			*ret_newblock = true;
	}
	uint8_t *b = k->buf + (size_t)(k->nblocks - 1) * k->p->bs;
	ext4_dirent(b + k->used, ino, (uint16_t)rl, name, (uint8_t)name_len, type,
		    has_incompat(k->p, EXT4_INCOMPAT_FILETYPE));
	k->last = k->used;
	k->used += rl;
	return 0;
}

static int collect(struct ext4_plan *p, uint32_t ino, struct dent **ret, uint32_t *ret_n)
{
	struct ext4_iplan *ip = &p->inodes[ino];
	struct tree_node *dn = ip->node;
	uint32_t n = 0, cap = (dn ? dn->nkids : 0) + 1;
	struct dent *e = calloc(cap, sizeof(*e));

	if (!e)
		return -ENOMEM;
	if (ip->kind == IK_ROOT && !p->lpf_in_tree) {
		e[n++] = (struct dent){ "lost+found", 10, EXT4_FIRST_INO, FT_DIR, 0 };
	}
	for (uint32_t i = 0; dn && i < dn->nkids; i++) {
		struct tree_node *k = dn->kids[i];
		e[n].name = k->name;
		e[n].name_len = (uint32_t)strlen(k->name);
		e[n].ino = ext4_inode_of(k);
		e[n].type = node_ftype(k->hardlink ? k->hardlink : k);
		n++;
	}
	*ret = e;
	*ret_n = n;
	return 0;
}

static void dot_entries(struct ext4_plan *p, uint8_t *b, uint32_t ino, uint32_t parent,
			uint32_t dotdot_len)
{
	bool ft = has_incompat(p, EXT4_INCOMPAT_FILETYPE);

	ext4_dirent(b, ino, 12, ".", 1, FT_DIR, ft);
	ext4_dirent(b + 12, parent, (uint16_t)dotdot_len, "..", 2, FT_DIR, ft);
}

static uint32_t parent_ino(struct ext4_plan *p, uint32_t ino)
{
	struct ext4_iplan *ip = &p->inodes[ino];

	if (ip->kind == IK_ROOT || ip->kind == IK_LPF || !ip->node->parent)
		return EXT4_ROOT_INO;
	return ext4_inode_of(ip->node->parent);
}

static void finish_leaves(struct ext4_plan *p, uint8_t *buf, uint32_t from, uint32_t nb,
			  uint32_t ino, bool final)
{
	bool csum = plan_csum(p);
	uint32_t seed = final && csum ? ext4_inode_seed(p->csum_seed, ino, 0) : 0;

	if (!csum)
		return;
	for (uint32_t i = from; i < nb; i++)
		ext4_dir_tail_set(buf + (size_t)i * p->bs, p->bs, seed, final);
}

int ext4_dir_build(struct ext4_plan *p, uint32_t ino, bool final, uint8_t **ret_buf,
		   uint32_t *ret_nblocks, bool *ret_htree, struct diag *d)
{
	struct ext4_iplan *ip = &p->inodes[ino];
	bool csum = plan_csum(p);
	uint32_t bs = p->bs, usable = bs - (csum ? EXT4_DIR_TAIL_SIZE : 0);
	uint32_t parent = parent_ino(p, ino), n = 0, total;
	struct packer k = { .p = p, .usable = usable };
	struct dent *e = NULL;
	int r;

	*ret_htree = false;
	if (ip->kind == IK_LPF) {
		/* mke2fs gives lost+found 16 KiB so e2fsck can use it offline. */
		uint32_t nb = 16384 / bs;
		for (uint32_t i = 0; i < nb; i++) {
			if (pk_new_block(&k))
				return -ENOMEM;
			if (i == 0) {
				dot_entries(p, k.buf, ino, EXT4_ROOT_INO, 12);
				k.used = 24;
				k.last = 12;
			}
		}
		pk_close(&k);
		finish_leaves(p, k.buf, 0, k.nblocks, ino, final);
		*ret_buf = k.buf;
		*ret_nblocks = k.nblocks;
		return 0;
	}
	r = collect(p, ino, &e, &n);
	if (r)
		return diag_fail(d, r, "out of memory");

	total = 24;
	for (uint32_t i = 0; i < n; i++)
		total += ext4_rec_len(e[i].name_len);
	if (total <= usable || !has_compat(p, EXT4_COMPAT_DIR_INDEX)) {
		/* Linear: ".", "..", then the entries in name order. */
		if (pk_new_block(&k))
			goto nomem;
		dot_entries(p, k.buf, ino, parent, 12);
		k.used = 24;
		k.last = 12;
		for (uint32_t i = 0; i < n; i++)
			if (pk_add(&k, e[i].name, e[i].name_len, e[i].ino, e[i].type, NULL))
				goto nomem;
		pk_close(&k);
		finish_leaves(p, k.buf, 0, k.nblocks, ino, final);
		goto done;
	}

	/* Hashed b-tree. */
	*ret_htree = true;
	{
		uint32_t root_limit = (bs - DXR_ENTRIES - (csum ? EXT4_DX_TAIL_SIZE : 0)) / 8;
		uint32_t node_limit = (bs - DXN_ENTRIES - (csum ? EXT4_DX_TAIL_SIZE : 0)) / 8;
		uint32_t nleaves = 0, nnodes = 0, levels = 0, *lhash = NULL, lcap = 0;
		uint32_t prev_hash = 0;
		bool unsign = true;

		for (uint32_t i = 0; i < n; i++)
			e[i].hash = ext4_dx_hash(e[i].name, e[i].name_len, p->o.hash_seed, unsign);
		qsort(e, n, sizeof(*e), dent_cmp);

		/* Leaves into a separate packer, then assemble. */
		for (uint32_t i = 0; i < n; i++) {
			bool nb;
			if (pk_add(&k, e[i].name, e[i].name_len, e[i].ino, e[i].type, &nb))
				goto nomem;
			if (nb) {
				if (nleaves == lcap) {
					uint32_t nc = lcap ? lcap * 2 : 64;
					uint32_t *t = realloc(lhash, nc * sizeof(*t));
					if (!t) {
						free(lhash);
						goto nomem;
					}
					lhash = t;
					lcap = nc;
				}
				/* Continuation bit: this leaf starts inside a run of
				 * equal hashes that began in the previous leaf. */
				lhash[nleaves] = e[i].hash |
						 (nleaves && e[i].hash == prev_hash ? 1u : 0u);
				nleaves++;
			}
			prev_hash = e[i].hash;
		}
		pk_close(&k);
		if (nleaves > root_limit) {
			levels = 1;
			nnodes = (nleaves + node_limit - 1) / node_limit;
			if (nnodes > root_limit) {
				free(lhash);
				free(e);
				free(k.buf);
				return diag_fail(d, -EFBIG,
						 "directory with %u entries needs a 3-level htree (large_dir), which kiln does not write",
						 n);
			}
		}
		uint32_t nb = 1 + nnodes + nleaves;
		uint8_t *buf = calloc(nb, bs);
		if (!buf) {
			free(lhash);
			goto nomem;
		}
		memcpy(buf + (size_t)(1 + nnodes) * bs, k.buf, (size_t)nleaves * bs);
		free(k.buf);
		k.buf = buf;
		k.nblocks = nb;

		/* Root. */
		dot_entries(p, buf, ino, parent, bs - 12);
		buf[DXR_HASH_VERSION] = EXT4_HASH_HALF_MD4;
		buf[DXR_INFO_LENGTH] = 8;
		buf[DXR_INDIRECT_LEVELS] = (uint8_t)levels;
		uint8_t *ce = buf + DXR_ENTRIES;
		if (!levels) {
			put_le16(ce + DX_LIMIT, (uint16_t)root_limit);
			put_le16(ce + DX_COUNT, (uint16_t)nleaves);
			for (uint32_t i = 0; i < nleaves; i++) {
				if (i)
					put_le32(ce + i * 8 + DXE_HASH, lhash[i]);
				put_le32(ce + i * 8 + DXE_BLOCK, 1 + i);
			}
		} else {
			put_le16(ce + DX_LIMIT, (uint16_t)root_limit);
			put_le16(ce + DX_COUNT, (uint16_t)nnodes);
			for (uint32_t j = 0; j < nnodes; j++) {
				uint32_t first = j * node_limit;
				uint32_t cnt = nleaves - first < node_limit ? nleaves - first : node_limit;
				uint8_t *nbk = buf + (size_t)(1 + j) * bs;
				if (j)
					put_le32(ce + j * 8 + DXE_HASH, lhash[first]);
				put_le32(ce + j * 8 + DXE_BLOCK, 1 + j);
				put_le32(nbk, 0);
				put_le16(nbk + DE_REC_LEN, (uint16_t)bs);
				uint8_t *ne = nbk + DXN_ENTRIES;
				put_le16(ne + DX_LIMIT, (uint16_t)node_limit);
				put_le16(ne + DX_COUNT, (uint16_t)cnt);
				for (uint32_t i = 0; i < cnt; i++) {
					if (i)
						put_le32(ne + i * 8 + DXE_HASH, lhash[first + i]);
					put_le32(ne + i * 8 + DXE_BLOCK, 1 + nnodes + first + i);
				}
			}
		}
		free(lhash);
		if (csum && final) {
			uint32_t seed = ext4_inode_seed(p->csum_seed, ino, 0);
			ext4_dx_csum_set(buf, DXR_ENTRIES, seed);
			for (uint32_t j = 0; j < nnodes; j++)
				ext4_dx_csum_set(buf + (size_t)(1 + j) * bs, DXN_ENTRIES, seed);
		}
		finish_leaves(p, buf, 1 + nnodes, nb, ino, final);
	}
done:
	free(e);
	*ret_buf = k.buf;
	*ret_nblocks = k.nblocks;
	return 0;
nomem:
	free(e);
	free(k.buf);
	return diag_fail(d, -ENOMEM, "out of memory");
}
