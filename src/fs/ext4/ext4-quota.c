/* SPDX-License-Identifier: MIT */
/*
 * ext4 quota files (feature quota): the user, group and project quota
 * inodes that mke2fs writes, holding each owner's usage. The file is the
 * kernel's quota format v2 revision 1 (QFMT_VFS_V1): a header block
 * (magic, version, grace times, block counts), then a radix tree of
 * 1 KiB blocks four levels deep indexed by the id's bytes, whose leaves
 * point into data blocks of 14 entries of 72 bytes. Ids are inserted in
 * ascending order with e2fsprogs' allocation rule (a new block at the end
 * of the file for each missing tree node and each full data block), so
 * the file is laid out as e2fsprogs lays it out for the same usage.
 *
 * Usage is counted as e2fsck counts it to check it: the root and every
 * inode from s_first_ino on, by owner (project: 0 for all, kiln writes
 * no project ids), space = i_blocks in bytes; the quota files themselves
 * are left out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/endian.h"
#include "fs/ext4/ext4-int.h"
#include "fs/tree.h"

enum {
	QT_BLK = 1024,           /* quota file block (QT_BLKSIZE) */
	QT_DEPTH = 4,            /* tree levels */
	QT_ROOT = 1,             /* the root tree block */
	QT_DATA_HDR = 16,        /* next_free, prev_free, entries, pad */
	QT_ENTRY = 72,           /* struct v2r1_disk_dqblk */
	QT_PER_BLK = (QT_BLK - QT_DATA_HDR) / QT_ENTRY,
	QT_GRACE = 7 * 24 * 3600, /* default block and inode grace */
	QT_MAX_BLOCKS = 1u << 24, /* 16 GiB of quota file: never reached */
};

/* Header words: magic, version; info at 8: bgrace, igrace, flags,
 * blocks, free_blk, free_entry. Entry: id, pad, ihardlimit, isoftlimit,
 * curinodes, bhardlimit, bsoftlimit, curspace, btime, itime. */
enum { QE_ID = 0, QE_CURINODES = 24, QE_CURSPACE = 48, QE_ITIME = 64 };

static const uint32_t quota_magic[3] = { 0xd9c01f11, 0xd9c01927, 0xd9c03f14 };

struct qusage {
	uint32_t id;
	uint64_t space, inodes;
};

struct qfile {
	uint8_t *buf;
	uint32_t blocks, cap;
};

void ext4_ip_owner(const struct ext4_plan *p, const struct ext4_iplan *ip, uint32_t *ret_uid,
		   uint32_t *ret_gid)
{
	*ret_uid = *ret_gid = 0;
	if (ip->kind == IK_ROOT && p->o.root_owner_set) {
		*ret_uid = p->o.root_uid;
		*ret_gid = p->o.root_gid;
	} else if (ip->node && (ip->kind == IK_ROOT || ip->kind == IK_NODE)) {
		*ret_uid = ip->node->uid;
		*ret_gid = ip->node->gid;
	}
}

int ext4_quota_types_parse(const char *list, uint8_t *ret, struct diag *d)
{
	static const struct {
		const char *name;
		uint8_t bit;
	} names[] = {
		{ "usr", EXT4_QUOTA_USR }, { "usrquota", EXT4_QUOTA_USR },
		{ "grp", EXT4_QUOTA_GRP }, { "grpquota", EXT4_QUOTA_GRP },
		{ "prj", EXT4_QUOTA_PRJ }, { "prjquota", EXT4_QUOTA_PRJ },
	};
	const char *s = list;
	uint8_t bits = 0;

	while (*s) {
		size_t l = strcspn(s, ",:");
		bool found = false;

		for (size_t i = 0; l && i < sizeof(names) / sizeof(names[0]); i++) {
			if (strlen(names[i].name) == l && !strncmp(names[i].name, s, l)) {
				bits |= names[i].bit;
				found = true;
			}
		}
		if (l && !found)
			return diag_fail(d, -EINVAL,
					 "quota type \"%.*s\": expected usrquota, grpquota or prjquota",
					 (int)l, s);
		s += l;
		if (*s)
			s++;
	}
	*ret = bits;
	return 0;
}

static int cmp_usage(const void *a, const void *b)
{
	const struct qusage *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* A new zeroed block at the end of the file. 0 when out of memory. */
static uint32_t qf_new_block(struct qfile *f)
{
	if (f->blocks == f->cap) {
		uint32_t cap = f->cap ? 2 * f->cap : 8;
		uint8_t *b;
		if (cap > QT_MAX_BLOCKS)
			return 0;
		b = realloc(f->buf, (size_t)cap * QT_BLK);
		if (!b)
			return 0;
		memset(b + (size_t)f->cap * QT_BLK, 0, (size_t)(cap - f->cap) * QT_BLK);
		f->buf = b;
		f->cap = cap;
	}
	return f->blocks++;
}

/*
 * Lay out the quota file of type @t for @u[@n] (ascending unique ids)
 * into @f. 0 or -ENOMEM.
 */
static int qf_build(struct qfile *f, unsigned t, const struct qusage *u, uint32_t n)
{
	uint32_t free_entry = 0;

	/* Header block and an empty root. */
	if (qf_new_block(f) != 0 || qf_new_block(f) != QT_ROOT)
		return -ENOMEM;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t blk = QT_ROOT;
		uint8_t *ref, *e;

		for (int depth = 0; depth < QT_DEPTH - 1; depth++) {
			uint32_t idx = (u[k].id >> ((QT_DEPTH - 1 - depth) * 8)) & 0xff;
			uint32_t next = get_le32(f->buf + (size_t)blk * QT_BLK + idx * 4);
			if (!next) {
				if (!(next = qf_new_block(f)))
					return -ENOMEM;
				put_le32(f->buf + (size_t)blk * QT_BLK + idx * 4, next);
			}
			blk = next;
		}
		/* The data block with room: e2fsprogs fills one at a time. */
		if (!free_entry && !(free_entry = qf_new_block(f)))
			return -ENOMEM;
		ref = f->buf + (size_t)blk * QT_BLK + (u[k].id & 0xff) * 4;
		put_le32(ref, free_entry);
		uint8_t *db = f->buf + (size_t)free_entry * QT_BLK;
		uint16_t cnt = get_le16(db + 8);
		e = db + QT_DATA_HDR + (size_t)cnt * QT_ENTRY;
		put_le32(e + QE_ID, u[k].id);
		put_le64(e + QE_CURINODES, u[k].inodes);
		put_le64(e + QE_CURSPACE, u[k].space);
		/* An all-zero entry reads as free: e2fsprogs marks it so. */
		if (!u[k].id && !u[k].inodes && !u[k].space)
			put_le64(e + QE_ITIME, 1);
		put_le16(db + 8, (uint16_t)(cnt + 1));
		if (cnt + 1 >= QT_PER_BLK)
			free_entry = 0;
	}
	put_le32(f->buf + 0, quota_magic[t]);
	put_le32(f->buf + 4, 1);
	put_le32(f->buf + 8, QT_GRACE);
	put_le32(f->buf + 12, QT_GRACE);
	put_le32(f->buf + 20, f->blocks);
	put_le32(f->buf + 28, free_entry);
	return 0;
}

/* Usage of type @t by id, merged and sorted into *ret (*ret_n ids). */
static int collect(struct ext4_plan *p, unsigned t, struct qusage **ret, uint32_t *ret_n)
{
	struct qusage *u = malloc(((size_t)p->used_inodes + 1) * sizeof(*u));
	uint32_t n = 0, m = 0;

	if (!u)
		return -ENOMEM;
	for (uint32_t ino = EXT4_ROOT_INO; ino <= p->used_inodes; ino++) {
		struct ext4_iplan *ip = &p->inodes[ino];
		uint32_t uid, gid;

		if ((ino < EXT4_FIRST_INO && ino != EXT4_ROOT_INO) || ip->kind == IK_NONE ||
		    ip->kind == IK_QUOTA)
			continue;
		ext4_ip_owner(p, ip, &uid, &gid);
		u[n].id = t == 0 ? uid : t == 1 ? gid : 0;
		u[n].space = ext4_ip_blocks(ip) * p->bs;
		u[n].inodes = 1;
		n++;
	}
	qsort(u, n, sizeof(*u), cmp_usage);
	for (uint32_t i = 0; i < n; i++) {
		if (m && u[m - 1].id == u[i].id) {
			u[m - 1].space += u[i].space;
			u[m - 1].inodes += u[i].inodes;
		} else {
			u[m++] = u[i];
		}
	}
	*ret = u;
	*ret_n = m;
	return 0;
}

void ext4_quota_clear(struct ext4_plan *p)
{
	for (unsigned t = 0; t < 3; t++) {
		free(p->quota[t].buf);
		memset(&p->quota[t], 0, sizeof(p->quota[t]));
	}
}

const struct ext4_quota_file *ext4_quota_of(const struct ext4_plan *p, uint32_t ino)
{
	for (unsigned t = 0; t < 3; t++)
		if (p->quota[t].ino && p->quota[t].ino == ino)
			return &p->quota[t];
	return NULL;
}

int ext4_quota_plan(struct ext4_plan *p, struct diag *d)
{
	static const uint8_t bit[3] = { EXT4_QUOTA_USR, EXT4_QUOTA_GRP, EXT4_QUOTA_PRJ };
	int r = 0;

	ext4_quota_clear(p);
	for (unsigned t = 0; t < 3 && !r; t++) {
		struct qfile f = { 0 };
		struct qusage *u = NULL;
		uint32_t n, ino = t == 0 ? 3 : t == 1 ? 4 : p->prj_ino;
		struct ext4_iplan *ip = &p->inodes[ino];

		if (!(p->o.quota_types & bit[t]))
			continue;
		r = collect(p, t, &u, &n);
		if (!r)
			r = qf_build(&f, t, u, n);
		free(u);
		if (r) {
			free(f.buf);
			return diag_fail(d, r, "out of memory");
		}
		/* Whole fs blocks: the tail past the quota file stays zero. */
		uint32_t len = f.blocks * QT_BLK, nb = (len + p->bs - 1) / p->bs;
		uint8_t *b = realloc(f.buf, (size_t)nb * p->bs);
		if (!b) {
			free(f.buf);
			return diag_fail(d, -ENOMEM, "out of memory");
		}
		memset(b + len, 0, (size_t)nb * p->bs - len);
		p->quota[t] = (struct ext4_quota_file){ ino, len, b };
		ip->kind = IK_QUOTA;
		ip->nlink = 1;
		struct ext4_extent w = { 0, nb, 0 };
		r = ext4_alloc_file(p, ip, &w, 1);
		if (!r)
			r = ext4_alloc_meta(p, ip);
		if (r && r != -ENOSPC)
			r = diag_fail(d, r, "quota file: %s", strerror(-r));
	}
	return r;
}
