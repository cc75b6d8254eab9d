/* SPDX-License-Identifier: MIT */
/*
 * The ext4 writer: streams a plan onto a sink. Group by group: each
 * inode's blocks (file data read straight from the source into the
 * write cache, directory blocks, extent/indirect blocks, xattr block),
 * then the group's inode table, bitmaps and descriptor; finally the
 * superblocks and descriptor tables. Nothing is written twice.
 *
 * Every block the writer touches is one some reader interprets (file
 * contents, directories, extent blocks, inode tables, bitmaps, the
 * journal), so all of it is written as data, zeros included: flashed
 * through a bmap onto a used card, it must not keep the card's old
 * bytes. Only blocks the writer never touches (free blocks) are holes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/hash.h"
#include "fs/ext4/ext4-int.h"
#include "fs/ext4/ext4-wcache.h"
#include "fs/tree.h"
#include "io/sink.h"

/* Write @buf (logical blocks 0..n) through the extents of @ip. */
static int put_mapped(struct ext4_plan *p, struct sink *out, struct ext4_iplan *ip,
		      const uint8_t *buf, struct diag *d)
{
	struct ext4_extent *e = ip_ext(ip);

	for (uint32_t i = 0; i < ip->next; i++) {
		int r = ext4_put_blocks(p, out, e[i].pblk, buf + (size_t)e[i].lblk * p->bs, e[i].len, d);
		if (r)
			return r;
	}
	return 0;
}

/* Extent tree: leaves (and upper levels) in the meta blocks, root in
 * i_block. */
static int map_extents(struct ext4_plan *p, struct sink *out, struct ext4_iplan *ip, uint32_t ino,
		       uint8_t *iblock, struct diag *d)
{
	uint32_t per = (p->bs - EXT4_EXT_HDR_SIZE) / EXT4_EXT_ENTRY_SIZE;
	uint32_t n = ip->next, depth = 0;
	struct ext4_extent *items = NULL;
	uint8_t *buf = NULL;
	uint64_t next_meta = ip->meta;
	uint32_t seed = plan_csum(p) ? ext4_inode_seed(p->csum_seed, ino, 0) : 0;
	int r = 0;

	/* items: (lblk, -, pblk) of the current level. */
	items = malloc((n ? n : 1) * sizeof(*items));
	if (!items)
		return diag_fail(d, -ENOMEM, "out of memory");
	memcpy(items, ip_ext(ip), n * sizeof(*items));
	if (ip->nmeta) {
		buf = calloc(ip->nmeta, p->bs);
		if (!buf) {
			free(items);
			return diag_fail(d, -ENOMEM, "out of memory");
		}
	}
	while (n > 4) {
		uint32_t nb = (n + per - 1) / per;
		for (uint32_t b = 0; b < nb; b++) {
			uint8_t *blk = buf + (size_t)(next_meta - ip->meta) * p->bs;
			uint32_t cnt = n - b * per < per ? n - b * per : per;
			ext4_ext_header(blk, (uint16_t)cnt, (uint16_t)per, (uint16_t)depth);
			for (uint32_t i = 0; i < cnt; i++) {
				uint8_t *q = blk + EXT4_EXT_HDR_SIZE + i * EXT4_EXT_ENTRY_SIZE;
				if (depth == 0)
					ext4_ext_leaf(q, &items[b * per + i]);
				else
					ext4_ext_index(q, items[b * per + i].lblk, items[b * per + i].pblk);
			}
			if (seed)
				ext4_ext_block_csum_set(blk, seed);
			items[b] = (struct ext4_extent){ items[b * per].lblk, 0, next_meta };
			next_meta++;
		}
		n = nb;
		depth++;
	}
	ext4_ext_header(iblock, (uint16_t)n, 4, (uint16_t)depth);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *q = iblock + EXT4_EXT_HDR_SIZE + i * EXT4_EXT_ENTRY_SIZE;
		if (depth == 0)
			ext4_ext_leaf(q, &items[i]);
		else
			ext4_ext_index(q, items[i].lblk, items[i].pblk);
	}
	if (ip->nmeta)
		r = ext4_put_blocks(p, out, ip->meta, buf, ip->nmeta, d);
	free(items);
	free(buf);
	return r;
}

/* Indirect mapping (ext2/ext3): pointer blocks allocated in order of
 * first use, which is the order the planner counted them in. */
struct indctx {
	struct ext4_plan *p;
	uint8_t *buf;
	uint64_t used;
	uint8_t *iblock;
};

static uint8_t *ind_child(struct indctx *c, uint8_t *slot, uint64_t meta0)
{
	uint32_t v = get_le32(slot);

	if (!v) {
		v = (uint32_t)(meta0 + c->used++);
		put_le32(slot, v);
	}
	return c->buf + (size_t)(v - meta0) * c->p->bs;
}

static int map_indirect(struct ext4_plan *p, struct sink *out, struct ext4_iplan *ip,
			uint8_t *iblock, struct diag *d)
{
	struct indctx c = { p, NULL, 0, iblock };
	uint64_t apb = p->bs / 4;
	struct ext4_extent *e = ip_ext(ip);
	int r = 0;

	if (ip->nmeta) {
		c.buf = calloc(ip->nmeta, p->bs);
		if (!c.buf)
			return diag_fail(d, -ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < ip->next; i++) {
		for (uint32_t k = 0; k < e[i].len; k++) {
			uint64_t l = (uint64_t)e[i].lblk + k;
			uint32_t pb = (uint32_t)(e[i].pblk + k);
			uint8_t *blk;
			if (l < 12) {
				put_le32(iblock + l * 4, pb);
				continue;
			}
			l -= 12;
			if (l < apb) {
				blk = ind_child(&c, iblock + 12 * 4, ip->meta);
				put_le32(blk + l * 4, pb);
				continue;
			}
			l -= apb;
			if (l < apb * apb) {
				blk = ind_child(&c, iblock + 13 * 4, ip->meta);
				blk = ind_child(&c, blk + (l / apb) * 4, ip->meta);
				put_le32(blk + (l % apb) * 4, pb);
				continue;
			}
			l -= apb * apb;
			blk = ind_child(&c, iblock + 14 * 4, ip->meta);
			blk = ind_child(&c, blk + (l / (apb * apb)) * 4, ip->meta);
			blk = ind_child(&c, blk + ((l / apb) % apb) * 4, ip->meta);
			put_le32(blk + (l % apb) * 4, pb);
		}
	}
	if (ip->nmeta)
		r = ext4_put_blocks(p, out, ip->meta, c.buf, ip->nmeta, d);
	free(c.buf);
	return r;
}

static int map_blocks(struct ext4_plan *p, struct sink *out, struct ext4_iplan *ip, uint32_t ino,
		      uint8_t *inode, struct diag *d)
{
	if (has_incompat(p, EXT4_INCOMPAT_EXTENTS)) {
		put_le32(inode + INO_FLAGS, get_le32(inode + INO_FLAGS) | EXT4_EXTENTS_FL);
		return map_extents(p, out, ip, ino, inode + INO_BLOCK, d);
	}
	return map_indirect(p, out, ip, inode + INO_BLOCK, d);
}

static int file_err(struct tree_node *n, int err, const char *what, struct diag *d)
{
	char *path = tree_path(n), pb[TREE_SRC_PATH_MAX];
	const char *sp = tree_node_src_path(n, pb, sizeof(pb));
	int r = diag_fail(d, err, "/%s: %s %s: %s", path ? path : "?", what, sp ? sp : "?",
			  strerror(-err));

	free(path);
	return r;
}

static int write_file_data(struct ext4_plan *p, struct sink *out, struct ext4_iplan *ip,
			   struct diag *d)
{
	struct tree_node *n = ip->node;
	struct ext4_extent *e = ip_ext(ip);
	struct stat st;
	int fd, r = 0;

	if (!ip->next)
		return 0;
	char pb[TREE_SRC_PATH_MAX];
	const char *sp = tree_node_src_path(n, pb, sizeof(pb));
	fd = sp ? open(sp, O_RDONLY | O_CLOEXEC) : (errno = ENAMETOOLONG, -1);
	if (fd < 0)
		return file_err(n, -errno, "cannot open", d);
	if (fstat(fd, &st)) {
		r = file_err(n, -errno, "cannot stat", d);
		goto out;
	}
	/* Changed since planning? (Spill files hold many members: only
	 * their length as seen when planning is comparable.) */
	if (S_ISREG(st.st_mode) && (n->src_off ? (uint64_t)st.st_size < n->src_off + n->size
						 : (uint64_t)st.st_size != n->size)) {
		r = diag_fail(d, -EIO, "%s: size changed while building (%llu, now %llu bytes)",
			      sp, (unsigned long long)n->size,
			      (unsigned long long)st.st_size);
		goto out;
	}
	/* Each extent's bytes, read straight into the write cache in
	 * chunks; the tail of the last block is zero. */
	for (uint32_t i = 0; i < ip->next && !r; i++) {
		uint64_t off = (uint64_t)e[i].lblk * p->bs;
		uint64_t blen = (uint64_t)e[i].len * p->bs;
		for (uint64_t pos = 0; pos < blen && !r;) {
			size_t chunk = blen - pos > WC_SIZE ? WC_SIZE : (size_t)(blen - pos);
			uint8_t *dst = ext4_wc_reserve(out, p->wc, e[i].pblk * p->bs + pos, chunk, d, &r);
			if (!dst)
				break;
			uint64_t want = off + pos >= n->size ? 0
				: n->size - (off + pos) < chunk ? n->size - (off + pos) : chunk;
			size_t got = 0;
			while (got < want) {
				ssize_t k = pread(fd, dst + got, (size_t)want - got,
						  (off_t)(n->src_off + off + pos + got));
				if (k < 0 && errno == EINTR)
					continue;
				if (k < 0) {
					r = file_err(n, -errno, "cannot read", d);
					goto out;
				}
				if (k == 0) {
					r = diag_fail(d, -EIO, "%s: file is shorter than expected (changed while reading?)",
						      sp);
					goto out;
				}
				got += (size_t)k;
			}
			memset(dst + want, 0, chunk - (size_t)want);
			pos += chunk;
		}
	}
out:
	close(fd);
	return r;
}

static void set_time(uint8_t *inode, uint32_t inode_size, int off, int extra_off, int64_t t,
		     uint32_t ns)
{
	put_le32(inode + off, (uint32_t)t);
	if (inode_size > EXT4_GOOD_OLD_INODE_SIZE && extra_off)
		put_le32(inode + extra_off, ext4_time_extra_ns(t, ns));
}

/*
 * The resize inode (7): a block map whose double-indirect block lists
 * the primary reserved GDT blocks, each of which lists its copies in
 * the backup groups, so resize2fs can grow the descriptor table.
 */
static int emit_resize(struct ext4_plan *p, uint8_t *inode, struct diag *d)
{
	uint32_t apb = p->bs / 4, nbackup = 0;
	uint8_t *dind = calloc(1, p->bs), *ind = calloc(1, p->bs);
	uint64_t sb0 = p->first_data_block, nblocks = 1;
	int r = 0;

	if (!dind || !ind) {
		free(dind);
		free(ind);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	for (uint32_t g = 1; g < p->ngroups; g++)
		nbackup += ext4_group_has_super(p, g);
	for (uint32_t i = 0; i < p->rsv_gdt && !r; i++) {
		uint32_t gdt_off = p->gdt_blocks + i, j = 0;
		uint64_t pblk = sb0 + 1 + gdt_off;
		put_le32(dind + (gdt_off % apb) * 4, (uint32_t)pblk);
		memset(ind, 0, p->bs);
		for (uint32_t g = 1; g < p->ngroups; g++) {
			if (!ext4_group_has_super(p, g))
				continue;
			put_le32(ind + (j++) * 4,
				 (uint32_t)(sb0 + (uint64_t)g * p->bpg + 1 + gdt_off));
		}
		nblocks += 1 + nbackup;
		r = ext4_put_blocks(p, p->wc_out, pblk, ind, 1, d);
	}
	if (!r)
		r = ext4_put_blocks(p, p->wc_out, p->resize_dind, dind, 1, d);
	free(dind);
	free(ind);
	if (r)
		return r;
	put_le32(inode + INO_BLOCK + 13 * 4, (uint32_t)p->resize_dind);
	uint64_t size = ((uint64_t)apb * apb + apb + 12) * p->bs;
	put_le32(inode + INO_SIZE_LO, (uint32_t)size);
	put_le32(inode + INO_SIZE_HIGH, (uint32_t)(size >> 32));
	uint64_t sectors = nblocks * (p->bs / 512);
	put_le32(inode + INO_BLOCKS_LO, (uint32_t)sectors);
	put_le16(inode + INO_BLOCKS_HIGH, (uint16_t)(sectors >> 32));
	return 0;
}

/* Fill inode @ino into @inode (inode_size bytes, zeroed) and write its blocks. */
static int emit_inode(struct ext4_plan *p, struct sink *out, uint32_t ino, uint8_t *inode,
		      struct diag *d)
{
	struct ext4_iplan *ip = &p->inodes[ino];
	struct tree_node *n = ip->node;
	uint32_t mode, uid = 0, gid = 0, flags = 0;
	int64_t t = p->o.timestamp;
	uint32_t ns = 0;
	uint64_t nblocks = 0;
	int r = 0;

	switch (ip->kind) {
	case IK_NONE:
		return 0;
	case IK_JOURNAL:
	case IK_RESIZE:
		mode = 0100600;
		break;
	case IK_LPF:
		mode = 040700;
		break;
	default:
		mode = n->mode;
		uid = n->uid;
		gid = n->gid;
		t = n->mtime;
		ns = n->mtime_ns;
		break;
	}
	if (ip->kind == IK_ROOT && p->o.root_owner_set) {
		uid = p->o.root_uid;
		gid = p->o.root_gid;
	}
	for (uint32_t i = 0; i < ip->next; i++)
		nblocks += ip_ext(ip)[i].len;
	nblocks += ip->nmeta + (ip->xattr_blk ? 1 : 0);

	put_le16(inode + INO_MODE, (uint16_t)mode);
	put_le16(inode + INO_UID, (uint16_t)uid);
	put_le16(inode + INO_UID_HIGH, (uint16_t)(uid >> 16));
	put_le16(inode + INO_GID, (uint16_t)gid);
	put_le16(inode + INO_GID_HIGH, (uint16_t)(gid >> 16));
	uint64_t isize = ext4_ip_size(p, ip);
	put_le32(inode + INO_SIZE_LO, (uint32_t)isize);
	put_le32(inode + INO_SIZE_HIGH, (uint32_t)(isize >> 32));
	put_le16(inode + INO_LINKS_COUNT, (uint16_t)ip->nlink);
	uint64_t sectors = nblocks * (p->bs / 512);
	put_le32(inode + INO_BLOCKS_LO, (uint32_t)sectors);
	put_le16(inode + INO_BLOCKS_HIGH, (uint16_t)(sectors >> 32));
	if (p->inode_size > EXT4_GOOD_OLD_INODE_SIZE)
		put_le16(inode + INO_EXTRA_ISIZE, EXT4_EXTRA_ISIZE);
	set_time(inode, p->inode_size, INO_ATIME, INO_ATIME_EXTRA, t, ns);
	set_time(inode, p->inode_size, INO_CTIME, INO_CTIME_EXTRA, t, ns);
	set_time(inode, p->inode_size, INO_MTIME, INO_MTIME_EXTRA, t, ns);
	if (p->inode_size > EXT4_GOOD_OLD_INODE_SIZE)
		set_time(inode, p->inode_size, INO_CRTIME, INO_CRTIME_EXTRA, t, ns);
	if (ip->xattr_blk) {
		put_le32(inode + INO_FILE_ACL_LO, (uint32_t)ip->xattr_blk);
		put_le16(inode + INO_FILE_ACL_HIGH, (uint16_t)(ip->xattr_blk >> 32));
	}

	uint32_t fmt = mode & 0170000;
	if (ip->kind == IK_ROOT || ip->kind == IK_LPF || fmt == 0040000) {
		uint8_t *buf;
		uint32_t nb;
		bool htree;
		r = ext4_dir_build(p, ino, true, &buf, &nb, &htree, d);
		if (r)
			return r;
		if ((uint64_t)nb * p->bs != isize) {
			free(buf);
			return diag_fail(d, -EIO, "internal: directory size changed");
		}
		if (htree)
			flags |= EXT4_INDEX_FL;
		r = put_mapped(p, out, ip, buf, d);
		free(buf);
		if (!r)
			r = map_blocks(p, out, ip, ino, inode, d);
	} else if (ip->kind == IK_RESIZE) {
		r = emit_resize(p, inode, d);
	} else if (ip->kind == IK_JOURNAL) {
		uint8_t *jsb = calloc(1, p->bs);
		if (!jsb)
			return diag_fail(d, -ENOMEM, "out of memory");
		put_be32(jsb + JSB_MAGIC, JBD2_MAGIC);
		put_be32(jsb + JSB_BLOCKTYPE, JBD2_SB_V2);
		put_be32(jsb + JSB_BLOCKSIZE, p->bs);
		put_be32(jsb + JSB_MAXLEN, (uint32_t)p->journal_blocks);
		put_be32(jsb + JSB_FIRST, 1);
		put_be32(jsb + JSB_SEQUENCE, 1);
		memcpy(jsb + JSB_UUID, p->o.uuid, 16);
		put_be32(jsb + JSB_NR_USERS, 1);
		r = ext4_put_blocks(p, out, ip_ext(ip)[0].pblk, jsb, 1, d);
		free(jsb);
		/* The log is zeroed, as mke2fs does without lazy_journal_init:
		 * a card's old bytes could hold descriptor blocks that look
		 * valid (same UUID in a reproducible rebuild) and be replayed
		 * after a crash. */
		struct ext4_extent *je = ip_ext(ip);
		for (uint32_t i = 0; i < ip->next && !r; i++) {
			uint64_t skip = i == 0 ? 1 : 0;
			r = ext4_put_zero_blocks(p, out, je[i].pblk + skip, je[i].len - skip, d);
		}
		if (!r)
			r = map_blocks(p, out, ip, ino, inode, d);
	} else if (fmt == 0100000) {
		r = write_file_data(p, out, ip, d);
		if (!r)
			r = map_blocks(p, out, ip, ino, inode, d);
	} else if (fmt == 0120000) {
		size_t l = (size_t)isize;
		if (ip->next) {
			uint8_t *b = calloc(1, p->bs);
			if (!b)
				return diag_fail(d, -ENOMEM, "out of memory");
			memcpy(b, n->link, l);
			r = put_mapped(p, out, ip, b, d);
			free(b);
			if (!r)
				r = map_blocks(p, out, ip, ino, inode, d);
		} else {
			memcpy(inode + INO_BLOCK, n->link, l);
		}
	} else if (fmt == 0020000 || fmt == 0060000) {
		uint32_t ma = n->rdev_major, mi = n->rdev_minor;
		if (ma < 256 && mi < 256)
			put_le32(inode + INO_BLOCK, ma << 8 | mi);
		else
			put_le32(inode + INO_BLOCK + 4, (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12));
	}
	if (r)
		return r;
	put_le32(inode + INO_FLAGS, get_le32(inode + INO_FLAGS) | flags);

	if (n && n->nxattrs) {
		if (ip->xattr_in_inode) {
			ext4_xattr_fill_inode(p, n, inode);
		} else if (ip->xattr_blk) {
			uint8_t *b = calloc(1, p->bs);
			if (!b)
				return diag_fail(d, -ENOMEM, "out of memory");
			ext4_xattr_fill_block(p, n, b, ip->xattr_blk);
			r = ext4_put_blocks(p, out, ip->xattr_blk, b, 1, d);
			free(b);
		}
	}
	return r;
}

static void bitmap_set(uint8_t *bm, uint32_t i)
{
	bm[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static void fill_superblock(struct ext4_plan *p, uint8_t *sb, uint32_t group)
{
	int64_t t = p->o.timestamp;
	uint64_t free_inodes = 0;

	for (uint32_t g = 0; g < p->ngroups; g++)
		free_inodes += p->groups[g].free_inodes;
	memset(sb, 0, EXT4_SB_SIZE);
	put_le32(sb + SB_INODES_COUNT, p->ninodes);
	put_le32(sb + SB_BLOCKS_COUNT_LO, (uint32_t)p->blocks);
	put_le32(sb + SB_BLOCKS_COUNT_HI, (uint32_t)(p->blocks >> 32));
	put_le32(sb + SB_R_BLOCKS_COUNT_LO, (uint32_t)p->r_blocks);
	put_le32(sb + SB_R_BLOCKS_COUNT_HI, (uint32_t)(p->r_blocks >> 32));
	put_le32(sb + SB_FREE_BLOCKS_COUNT_LO, (uint32_t)p->free_blocks);
	put_le32(sb + SB_FREE_BLOCKS_COUNT_HI, (uint32_t)(p->free_blocks >> 32));
	put_le32(sb + SB_FREE_INODES_COUNT, (uint32_t)free_inodes);
	put_le32(sb + SB_FIRST_DATA_BLOCK, p->first_data_block);
	put_le32(sb + SB_LOG_BLOCK_SIZE, p->log_bs);
	put_le32(sb + SB_LOG_CLUSTER_SIZE, p->log_bs);
	put_le32(sb + SB_BLOCKS_PER_GROUP, p->bpg);
	put_le32(sb + SB_CLUSTERS_PER_GROUP, p->bpg);
	put_le32(sb + SB_INODES_PER_GROUP, p->ipg);
	put_le32(sb + SB_WTIME, (uint32_t)t);
	sb[SB_WTIME_HI] = (uint8_t)((uint64_t)t >> 32);
	put_le16(sb + SB_MAX_MNT_COUNT, 0xFFFF);
	put_le16(sb + SB_MAGIC, EXT4_MAGIC);
	put_le16(sb + SB_STATE, 1);
	put_le16(sb + SB_ERRORS, 1);
	put_le32(sb + SB_LASTCHECK, (uint32_t)t);
	sb[SB_LASTCHECK_HI] = (uint8_t)((uint64_t)t >> 32);
	put_le32(sb + SB_REV_LEVEL, 1);
	put_le32(sb + SB_FIRST_INO, EXT4_FIRST_INO);
	put_le16(sb + SB_INODE_SIZE, (uint16_t)p->inode_size);
	put_le16(sb + SB_RESERVED_GDT_BLOCKS, (uint16_t)p->rsv_gdt);
	put_le16(sb + SB_BLOCK_GROUP_NR, (uint16_t)group);
	put_le32(sb + SB_FEATURE_COMPAT, p->o.compat);
	put_le32(sb + SB_FEATURE_INCOMPAT, p->o.incompat);
	put_le32(sb + SB_FEATURE_RO_COMPAT, p->o.ro_compat);
	memcpy(sb + SB_UUID, p->o.uuid, 16);
	memcpy(sb + SB_VOLUME_NAME, p->o.label, strnlen(p->o.label, 16));
	for (int i = 0; i < 4; i++)
		put_le32(sb + SB_HASH_SEED + 4 * i, p->o.hash_seed[i]);
	sb[SB_DEF_HASH_VERSION] = EXT4_HASH_HALF_MD4;
	if (has_incompat(p, EXT4_INCOMPAT_64BIT))
		put_le16(sb + SB_DESC_SIZE, (uint16_t)p->desc_size);
	put_le32(sb + SB_DEFAULT_MOUNT_OPTS, EXT4_DEFM_XATTR_USER | EXT4_DEFM_ACL);
	put_le32(sb + SB_MKFS_TIME, (uint32_t)t);
	sb[SB_MKFS_TIME_HI] = (uint8_t)((uint64_t)t >> 32);
	if (p->inode_size > EXT4_GOOD_OLD_INODE_SIZE) {
		put_le16(sb + SB_MIN_EXTRA_ISIZE, EXT4_EXTRA_ISIZE);
		put_le16(sb + SB_WANT_EXTRA_ISIZE, EXT4_EXTRA_ISIZE);
	}
	put_le32(sb + SB_FLAGS, EXT4_FLAGS_UNSIGNED_HASH);
	if (p->flex)
		sb[SB_LOG_GROUPS_PER_FLEX] = 4;
	if (p->journal_blocks) {
		struct ext4_iplan *ji = &p->inodes[EXT4_JOURNAL_INO];
		put_le32(sb + SB_JOURNAL_INUM, EXT4_JOURNAL_INO);
		sb[SB_JNL_BACKUP_TYPE] = 1; /* EXT3_JNL_BACKUP_BLOCKS */
		(void)ji;
	}
	if (plan_csum(p))
		sb[SB_CHECKSUM_TYPE] = EXT4_CRC32C_CHKSUM;
}

int ext4_write(struct ext4_plan *p, struct sink *out, struct diag *d)
{
	uint32_t bs = p->bs, isz = p->inode_size;
	uint8_t *itable = NULL, *bm = NULL, *gdt = NULL, sb[EXT4_SB_SIZE];
	uint8_t jnl_iblock[60] = { 0 };
	struct wcache wc = { 0 };
	int r = 0;

	if (ext4_wc_init(&wc, out)) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	p->wc = &wc;
	p->wc_out = out;
	itable = malloc((size_t)p->ipg * isz);
	bm = malloc(bs);
	gdt = calloc(p->gdt_blocks, bs);
	if (!itable || !bm || !gdt) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}

	for (uint32_t g = 0; g < p->ngroups; g++) {
		struct ext4_group *gr = &p->groups[g];
		uint32_t first = g * p->ipg + 1;
		uint32_t used = p->ipg - gr->itable_unused;

		/*
		 * Inodes (and their blocks). The whole table is written, the
		 * never-used tail too: the descriptor says ITABLE_ZEROED, so
		 * no kernel lazyinit will zero it later, and ext2/ext3 without
		 * group checksums have every inode read by e2fsck.
		 */
		{
			memset(itable, 0, (size_t)p->ipg * isz);
			for (uint32_t i = 0; i < used; i++) {
				uint32_t ino = first + i;
				uint8_t *inode = itable + (size_t)i * isz;
				r = emit_inode(p, out, ino, inode, d);
				if (r) {
					struct tree_node *n = p->inodes[ino].node;
					if (n && !strstr(d ? d->msg : "", "/")) {
						char *path = tree_path(n);
						diag_prefix(d, "/%s", path ? path : "?");
						free(path);
					}
					goto out;
				}
				if (ino == EXT4_JOURNAL_INO)
					memcpy(jnl_iblock, inode + INO_BLOCK, 60);
				if (plan_csum(p) && (p->inodes[ino].kind != IK_NONE || ino < EXT4_FIRST_INO) &&
				    !buf_is_zero(inode, isz))
					ext4_inode_csum_set(inode, isz,
							    ext4_inode_seed(p->csum_seed, ino, 0));
			}
			r = ext4_put_blocks(p, out, gr->inode_table, itable, p->itb, d);
			if (r)
				goto out;
		}

		/* Block bitmap: bits past the end of the filesystem are set. */
		memset(bm, 0, bs);
		uint64_t at = p->first_data_block + (uint64_t)g * p->bpg;
		for (uint32_t i = 0; i < p->bpg; i++) {
			uint64_t b = at + i;
			if (b >= p->blocks) {
				bitmap_set(bm, i);
				continue;
			}
			uint64_t k = b - p->first_data_block;
			if (p->bbm[k >> 3] & (1u << (k & 7)))
				bitmap_set(bm, i);
		}
		for (uint32_t i = p->bpg; i < bs * 8; i++)
			bitmap_set(bm, i);
		uint8_t *gd = gdt + (size_t)g * p->desc_size;
		if (plan_csum(p)) {
			uint32_t c = crc32c_raw(p->csum_seed, bm, p->bpg / 8);
			put_le16(gd + GD_BLOCK_BITMAP_CSUM_LO, (uint16_t)c);
			if (p->desc_size >= EXT4_DESC_SIZE_64)
				put_le16(gd + GD_BLOCK_BITMAP_CSUM_HI, (uint16_t)(c >> 16));
		}
		r = ext4_put_blocks(p, out, gr->block_bitmap, bm, 1, d);
		if (r)
			goto out;

		/* Inode bitmap: reserved inodes and every planned inode are used. */
		memset(bm, 0, bs);
		for (uint32_t i = 0; i < p->ipg; i++) {
			uint32_t ino = first + i;
			if (ino < EXT4_FIRST_INO || (ino <= p->used_inodes && p->inodes[ino].kind != IK_NONE))
				bitmap_set(bm, i);
		}
		for (uint32_t i = p->ipg; i < bs * 8; i++)
			bitmap_set(bm, i);
		if (plan_csum(p)) {
			uint32_t c = crc32c_raw(p->csum_seed, bm, p->ipg / 8);
			put_le16(gd + GD_INODE_BITMAP_CSUM_LO, (uint16_t)c);
			if (p->desc_size >= EXT4_DESC_SIZE_64)
				put_le16(gd + GD_INODE_BITMAP_CSUM_HI, (uint16_t)(c >> 16));
		}
		r = ext4_put_blocks(p, out, gr->inode_bitmap, bm, 1, d);
		if (r)
			goto out;

		/* Descriptor. */
		put_le32(gd + GD_BLOCK_BITMAP_LO, (uint32_t)gr->block_bitmap);
		put_le32(gd + GD_INODE_BITMAP_LO, (uint32_t)gr->inode_bitmap);
		put_le32(gd + GD_INODE_TABLE_LO, (uint32_t)gr->inode_table);
		put_le16(gd + GD_FREE_BLOCKS_COUNT_LO, (uint16_t)gr->free_blocks);
		put_le16(gd + GD_FREE_INODES_COUNT_LO, (uint16_t)gr->free_inodes);
		put_le16(gd + GD_USED_DIRS_COUNT_LO, (uint16_t)gr->used_dirs);
		bool gcsum = plan_csum(p) || has_ro(p, EXT4_RO_COMPAT_GDT_CSUM);
		if (gcsum) {
			put_le16(gd + GD_FLAGS, EXT4_BG_INODE_ZEROED);
			put_le16(gd + GD_ITABLE_UNUSED_LO, (uint16_t)gr->itable_unused);
		}
		if (p->desc_size >= EXT4_DESC_SIZE_64) {
			put_le32(gd + GD_BLOCK_BITMAP_HI, (uint32_t)(gr->block_bitmap >> 32));
			put_le32(gd + GD_INODE_BITMAP_HI, (uint32_t)(gr->inode_bitmap >> 32));
			put_le32(gd + GD_INODE_TABLE_HI, (uint32_t)(gr->inode_table >> 32));
			put_le16(gd + GD_FREE_BLOCKS_COUNT_HI, (uint16_t)(gr->free_blocks >> 16));
			put_le16(gd + GD_FREE_INODES_COUNT_HI, (uint16_t)(gr->free_inodes >> 16));
			put_le16(gd + GD_USED_DIRS_COUNT_HI, (uint16_t)(gr->used_dirs >> 16));
			if (gcsum)
				put_le16(gd + GD_ITABLE_UNUSED_HI, (uint16_t)(gr->itable_unused >> 16));
		}
		if (gcsum)
			ext4_gd_csum_set(gd, p->desc_size, g, p->csum_seed, plan_csum(p), p->o.uuid);
	}

	r = ext4_wc_drain(&wc, d);
	if (r)
		goto out;
	ext4_wc_release(&wc);
	p->wc = NULL;

	/* Superblocks and descriptor tables, primary first. */
	for (uint32_t g = 0; g < p->ngroups; g++) {
		if (!ext4_group_has_super(p, g))
			continue;
		uint64_t blk = p->first_data_block + (uint64_t)g * p->bpg;
		fill_superblock(p, sb, g);
		if (p->journal_blocks) {
			for (int i = 0; i < EXT4_N_BLOCKS; i++)
				put_le32(sb + SB_JNL_BLOCKS + 4 * i, get_le32(jnl_iblock + 4 * i));
			put_le32(sb + SB_JNL_BLOCKS + 4 * 15, (uint32_t)((p->journal_blocks * bs) >> 32));
			put_le32(sb + SB_JNL_BLOCKS + 4 * 16, (uint32_t)(p->journal_blocks * bs));
		}
		if (plan_csum(p))
			ext4_sb_csum_set(sb);
		uint64_t off = g == 0 ? EXT4_SB_OFFSET : blk * bs;
		r = sink_pwrite(out, sb, EXT4_SB_SIZE, off);
		if (!r)
			r = sink_pwrite(out, gdt, (size_t)p->gdt_blocks * bs, (blk + 1) * bs);
		if (r) {
			r = diag_fail(d, r, "writing superblock of group %u: %s", g, strerror(-r));
			goto out;
		}
	}
out:
	p->wc = NULL;
	ext4_wc_release(&wc);
	free(itable);
	free(bm);
	free(gdt);
	return r;
}
