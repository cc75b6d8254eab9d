/* SPDX-License-Identifier: MIT */
/*
 * ext4 block allocation: a bump allocator over the planner's block bitmap
 * that gives every file contiguous blocks in inode order, hole maps of
 * sparse inputs, extent-tree / indirect block counts, and the plan of one
 * inode (its blocks, links and xattr space).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/checked.h"
#include "base/diag.h"
#include "fs/ext4/ext4-int.h"
#include "fs/tree.h"

uint64_t ext4_ip_size(const struct ext4_plan *p, struct ext4_iplan *ip)
{
	struct tree_node *n = ip->node;
	uint64_t blocks = 0;

	if (ip->kind == IK_QUOTA) {
		const struct ext4_quota_file *q = ext4_quota_of(p, (uint32_t)(ip - p->inodes));
		return q ? q->len : 0;
	}
	if (n && tree_is_reg(n))
		return n->size;
	if (n && tree_is_symlink(n))
		return n->link ? strlen(n->link) : 0;
	if (n && !tree_is_dir(n))
		return 0;
	for (uint32_t i = 0; i < ip->next; i++)
		blocks += ip_ext(ip)[i].len;
	return blocks * p->bs;
}

uint32_t ext4_inode_of(const struct tree_node *n)
{
	if (n->hardlink)
		n = n->hardlink;
	return (uint32_t)n->priv;
}

/* Next @n contiguous free blocks at or after @from; 0 if none. */
uint64_t ext4_alloc_contig(struct ext4_plan *p, uint64_t from, uint64_t n)
{
	uint64_t run = 0, start = 0;

	p->want += n;
	if (from < p->first_data_block)
		from = p->first_data_block;
	for (uint64_t b = from; b < p->blocks; b++) {
		if (bb_test(p, b)) {
			run = 0;
			continue;
		}
		if (!run)
			start = b;
		if (++run == n) {
			bb_set_range(p, start, n);
			return start;
		}
	}
	return 0;
}

/* Up to @n (≤ @maxlen) blocks from the cursor, splitting around used
 * ranges. Returns the count (0: full) and the start in *ret. */
static uint64_t alloc_run(struct ext4_plan *p, uint64_t n, uint64_t maxlen, uint64_t *ret)
{
	uint64_t b = p->cursor, len = 0;

	while (b < p->blocks && bb_test(p, b))
		b++;
	if (b >= p->blocks)
		return 0;
	while (len < n && len < maxlen && b + len < p->blocks && !bb_test(p, b + len))
		len++;
	bb_set_range(p, b, len);
	p->cursor = b + len;
	*ret = b;
	return len;
}

/* ---- block mapping ------------------------------------------------------ */

uint32_t ext4_map_meta_count(const struct ext4_plan *p, const struct ext4_extent *ext, uint32_t n,
			     uint8_t *ret_depth)
{
	uint32_t meta = 0;

	*ret_depth = 0;
	if (has_incompat(p, EXT4_INCOMPAT_EXTENTS)) {
		uint32_t per = (p->bs - EXT4_EXT_HDR_SIZE) / EXT4_EXT_ENTRY_SIZE;
		uint32_t items = n;
		while (items > 4) {
			items = (items + per - 1) / per;
			meta += items;
			(*ret_depth)++;
		}
		return meta;
	}
	/* Indirect blocks: count the distinct pointer blocks touched. */
	uint64_t apb = p->bs / 4, l1 = 12, l2 = l1 + apb, l3 = l2 + apb * apb,
		 l4 = l3 + apb * apb * apb;
	int64_t last_d = -1, last_t = -1, last_t2 = -1;
	bool s1 = false, d1 = false, t1 = false;

	for (uint32_t i = 0; i < n; i++) {
		for (uint64_t b = ext[i].lblk; b < (uint64_t)ext[i].lblk + ext[i].len;) {
			uint64_t step;
			if (b < l1) {
				step = l1 - b;
			} else if (b < l2) {
				if (!s1)
					meta++, s1 = true;
				step = l2 - b;
			} else if (b < l3) {
				int64_t c = (int64_t)((b - l2) / apb);
				if (!d1)
					meta++, d1 = true;
				if (c != last_d)
					meta++, last_d = c;
				step = apb - (b - l2) % apb;
			} else if (b < l4) {
				int64_t c2 = (int64_t)((b - l3) / (apb * apb));
				int64_t c3 = (int64_t)((b - l3) / apb);
				if (!t1)
					meta++, t1 = true;
				if (c2 != last_t2)
					meta++, last_t2 = c2;
				if (c3 != last_t)
					meta++, last_t = c3;
				step = apb - (b - l3) % apb;
			} else {
				return UINT32_MAX;
			}
			b += step;
		}
	}
	return meta;
}

/* Hole map of a regular file, as block extents (pblk unset). */
static int data_map(struct ext4_plan *p, struct tree_node *n, struct ext4_extent **ret,
		    uint32_t *ret_n, struct diag *d)
{
	uint64_t size = n->size, bs = p->bs, nblk = u64_div_roundup(n->size, p->bs);
	struct ext4_extent *e = NULL;
	uint32_t cnt = 0, cap = 0;
	int fd;

	char pb[TREE_SRC_PATH_MAX];
	const char *sp = tree_node_src_path(n, pb, sizeof(pb));

	*ret = NULL;
	*ret_n = 0;
	if (!size)
		return 0;
	if (nblk > 0xFFFFFFFFull)
		return diag_fail(d, -EFBIG, "%s: too large for ext4 (%llu bytes)", sp ? sp : "?",
				 (unsigned long long)size);
	if (size < (64u << 10)) {
		/* Small files are not worth a hole scan: all blocks mapped. */
		e = malloc(sizeof(*e));
		if (!e)
			return diag_fail(d, -ENOMEM, "out of memory");
		e[0] = (struct ext4_extent){ 0, (uint32_t)nblk, 0 };
		*ret = e;
		*ret_n = 1;
		return 0;
	}
	fd = sp ? open(sp, O_RDONLY | O_CLOEXEC) : (errno = ENAMETOOLONG, -1);
	if (fd < 0) {
		char *path = tree_path(n);
		int r = diag_fail(d, -errno, "/%s: cannot open %s: %s", path ? path : "?",
				  sp ? sp : "?", strerror(errno));
		free(path);
		return r;
	}
	struct stat st;
	if (fstat(fd, &st) || (uint64_t)st.st_size < n->src_off + size) {
		close(fd);
		return diag_fail(d, -EIO, "%s: shorter than the %llu bytes expected (changed while reading?)",
				 sp, (unsigned long long)size);
	}
	uint64_t pos = n->src_off;
	uint64_t end = n->src_off + size;
	while (pos < end) {
		off_t ds = lseek(fd, (off_t)pos, SEEK_DATA);
		if (ds < 0)
			break; /* ENXIO: only a hole remains; other errors: treated as data below */
		off_t he = lseek(fd, ds, SEEK_HOLE);
		uint64_t a = (uint64_t)ds, z = he < 0 ? end : (uint64_t)he;
		if (a >= end)
			break;
		if (z > end)
			z = end;
		uint64_t lb = (a - n->src_off) / bs, le = u64_div_roundup(z - n->src_off, bs);
		if (cnt && e[cnt - 1].lblk + e[cnt - 1].len >= lb) {
			e[cnt - 1].len = (uint32_t)(le - e[cnt - 1].lblk);
		} else {
			if (cnt == cap) {
				uint32_t nc = cap ? cap * 2 : 4;
				struct ext4_extent *t = realloc(e, nc * sizeof(*e));
				if (!t) {
					free(e);
					close(fd);
					return diag_fail(d, -ENOMEM, "out of memory");
				}
				e = t;
				cap = nc;
			}
			e[cnt++] = (struct ext4_extent){ (uint32_t)lb, (uint32_t)(le - lb), 0 };
		}
		pos = z;
	}
	if (pos == n->src_off && cnt == 0 && lseek(fd, (off_t)pos, SEEK_DATA) < 0 && errno != ENXIO) {
		/* No SEEK_DATA support: all data. */
		e = malloc(sizeof(*e));
		if (!e) {
			close(fd);
			return diag_fail(d, -ENOMEM, "out of memory");
		}
		e[0] = (struct ext4_extent){ 0, (uint32_t)nblk, 0 };
		cnt = 1;
	}
	close(fd);
	*ret = e;
	*ret_n = cnt;
	return 0;
}

/* Allocate blocks for the logical ranges @want[@nw]; fills @ip's extents. */
int ext4_alloc_file(struct ext4_plan *p, struct ext4_iplan *ip, const struct ext4_extent *want,
		    uint32_t nw)
{
	struct ext4_extent *out = NULL;
	uint32_t cnt = 0, cap = 0;
	uint64_t maxlen = has_incompat(p, EXT4_INCOMPAT_EXTENTS) ? EXT4_EXT_MAX_LEN : UINT32_MAX;

	for (uint32_t i = 0; i < nw; i++) {
		uint64_t done = 0;
		p->want += want[i].len;
		while (done < want[i].len) {
			uint64_t start, got = alloc_run(p, want[i].len - done, maxlen, &start);
			if (!got) {
				free(out);
				return -ENOSPC;
			}
			if (cnt && out[cnt - 1].pblk + out[cnt - 1].len == start &&
			    out[cnt - 1].lblk + out[cnt - 1].len == want[i].lblk + done &&
			    out[cnt - 1].len + got <= maxlen) {
				out[cnt - 1].len += (uint32_t)got;
			} else {
				if (cnt == cap) {
					uint32_t nc = cap ? cap * 2 : 2;
					struct ext4_extent *t = realloc(out, nc * sizeof(*t));
					if (!t) {
						free(out);
						return -ENOMEM;
					}
					out = t;
					cap = nc;
				}
				out[cnt++] = (struct ext4_extent){ (uint32_t)(want[i].lblk + done),
								   (uint32_t)got, start };
			}
			done += got;
		}
	}
	ip->next = cnt;
	if (cnt == 1) {
		ip->ext.one = out[0];
		free(out);
	} else if (cnt > 1) {
		ip->ext.many = out;
	} else {
		free(out);
	}
	return 0;
}

int ext4_alloc_meta(struct ext4_plan *p, struct ext4_iplan *ip)
{
	uint32_t m = ext4_map_meta_count(p, ip_ext(ip), ip->next, &ip->depth);

	if (m == UINT32_MAX)
		return -EFBIG;
	ip->nmeta = m;
	if (m) {
		ip->meta = ext4_alloc_contig(p, p->cursor, m);
		if (!ip->meta)
			return -ENOSPC;
	}
	return 0;
}

int ext4_plan_inode(struct ext4_plan *p, uint32_t ino, struct diag *d)
{
	struct ext4_iplan *ip = &p->inodes[ino];
	struct tree_node *n = ip->node;
	int r = 0;

	if (ip->kind == IK_ROOT || ip->kind == IK_LPF || (n && tree_is_dir(n))) {
		uint8_t *buf;
		uint32_t nb;
		bool htree;
		r = ext4_dir_build(p, ino, false, &buf, &nb, &htree, d);
		if (r)
			return r;
		free(buf);
		ip->htree = htree;
		struct ext4_extent w = { 0, nb, 0 };
		r = ext4_alloc_file(p, ip, &w, 1);
		/* Links: ".", its name, and each subdirectory's "..". */
		uint32_t sub = 0;
		for (uint32_t i = 0; n && i < n->nkids; i++)
			if (!n->kids[i]->hardlink && tree_is_dir(n->kids[i]))
				sub++;
		if (ip->kind == IK_ROOT && !p->lpf_in_tree)
			sub++;
		ip->nlink = 2 + sub;
		if (ip->nlink >= 65000) {
			if (!has_ro(p, EXT4_RO_COMPAT_DIR_NLINK))
				return diag_fail(d, -EMLINK, "directory has %u subdirectories; needs dir_nlink", sub);
			ip->nlink = 1;
		}
	} else if (tree_is_reg(n)) {
		struct ext4_extent *w;
		uint32_t nw;
		ip->nlink = n->nlink ? n->nlink : 1;
		if (n->size > 0x7FFFFFFF && !has_ro(p, EXT4_RO_COMPAT_LARGE_FILE))
			return diag_fail(d, -EFBIG, "file over 2 GiB needs the large_file feature");
		r = data_map(p, n, &w, &nw, d);
		if (r)
			return r;
		r = ext4_alloc_file(p, ip, w, nw);
		free(w);
	} else if (tree_is_symlink(n)) {
		size_t l = strlen(n->link ? n->link : "");
		ip->nlink = n->nlink ? n->nlink : 1;
		if (l >= p->bs)
			return diag_fail(d, -ENAMETOOLONG, "symlink target of %zu bytes is longer than a block", l);
		if (l >= 60) {
			struct ext4_extent w = { 0, 1, 0 };
			r = ext4_alloc_file(p, ip, &w, 1);
		}
	} else {
		ip->nlink = n->nlink ? n->nlink : 1;
	}
	if (!r)
		r = ext4_alloc_meta(p, ip);
	if (!r && n && n->nxattrs) {
		bool in, blk;
		r = ext4_xattr_size(p, n, &in, &blk, d);
		if (r)
			return r;
		ip->xattr_in_inode = in;
		if (blk) {
			ip->xattr_blk = ext4_alloc_contig(p, p->cursor, 1);
			if (!ip->xattr_blk)
				r = -ENOSPC;
		}
	}
	if (r == -EFBIG)
		return diag_fail(d, r, "file too large for this block mapping");
	if (r == -ENOMEM)
		return diag_fail(d, r, "out of memory");
	return r;
}
