/* SPDX-License-Identifier: MIT */
/*
 * The ext4 planner: geometry as mke2fs computes it, metadata placement
 * (flex_bg packs each flex group's bitmaps and inode tables at its
 * start), inode numbers in sorted pre-order, and a bump allocator that
 * gives every file contiguous blocks in inode order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/checked.h"
#include "base/diag.h"
#include "fs/ext4/ext4-int.h"
#include "fs/tree.h"

/* ---- features ---------------------------------------------------------- */

enum { FC, FI, FR };
static const struct {
	const char *name;
	uint8_t word;
	uint32_t bit;
} feats[] = {
	{ "has_journal", FC, EXT4_COMPAT_HAS_JOURNAL },
	{ "ext_attr", FC, EXT4_COMPAT_EXT_ATTR },
	{ "dir_index", FC, EXT4_COMPAT_DIR_INDEX },
	{ "resize_inode", FC, EXT4_COMPAT_RESIZE_INODE },
	{ "filetype", FI, EXT4_INCOMPAT_FILETYPE },
	{ "extent", FI, EXT4_INCOMPAT_EXTENTS },
	{ "extents", FI, EXT4_INCOMPAT_EXTENTS },
	{ "64bit", FI, EXT4_INCOMPAT_64BIT },
	{ "flex_bg", FI, EXT4_INCOMPAT_FLEX_BG },
	{ "sparse_super", FR, EXT4_RO_COMPAT_SPARSE_SUPER },
	{ "large_file", FR, EXT4_RO_COMPAT_LARGE_FILE },
	{ "huge_file", FR, EXT4_RO_COMPAT_HUGE_FILE },
	{ "uninit_bg", FR, EXT4_RO_COMPAT_GDT_CSUM },
	{ "gdt_csum", FR, EXT4_RO_COMPAT_GDT_CSUM },
	{ "dir_nlink", FR, EXT4_RO_COMPAT_DIR_NLINK },
	{ "extra_isize", FR, EXT4_RO_COMPAT_EXTRA_ISIZE },
	{ "metadata_csum", FR, EXT4_RO_COMPAT_METADATA_CSUM },
};

static uint32_t *fword(struct ext4_opts *o, int w)
{
	return w == FC ? &o->compat : w == FI ? &o->incompat : &o->ro_compat;
}

int ext4_features_apply(struct ext4_opts *o, const char *list, struct diag *d)
{
	const char *s = list;

	while (s && *s) {
		size_t len = strcspn(s, ", \t");
		bool off = false;
		const char *name = s;
		size_t nl = len;
		bool found = false;

		if (!len) {
			s++;
			continue;
		}
		if (*name == '^' || *name == '-') {
			off = true;
			name++;
			nl--;
		} else if (*name == '+') {
			name++;
			nl--;
		}
		if (nl == 4 && !strncmp(name, "none", 4)) {
			o->compat = o->incompat = o->ro_compat = 0;
			found = true;
		}
		for (size_t i = 0; !found && i < sizeof(feats) / sizeof(feats[0]); i++) {
			if (strlen(feats[i].name) == nl && !strncmp(feats[i].name, name, nl)) {
				uint32_t *w = fword(o, feats[i].word);
				*w = off ? *w & ~feats[i].bit : *w | feats[i].bit;
				found = true;
			}
		}
		if (!found)
			return diag_fail(d, -EINVAL, "feature \"%.*s\": unknown or not supported by kiln",
					 (int)nl, name);
		s += len;
	}
	return 0;
}

void ext4_features_default(struct ext4_opts *o, const char *fstype)
{
	o->compat = EXT4_COMPAT_EXT_ATTR | EXT4_COMPAT_DIR_INDEX | EXT4_COMPAT_RESIZE_INODE;
	o->incompat = EXT4_INCOMPAT_FILETYPE;
	o->ro_compat = EXT4_RO_COMPAT_SPARSE_SUPER | EXT4_RO_COMPAT_LARGE_FILE;
	if (!strcmp(fstype, "ext3") || !strcmp(fstype, "ext4"))
		o->compat |= EXT4_COMPAT_HAS_JOURNAL;
	if (!strcmp(fstype, "ext4")) {
		o->incompat |= EXT4_INCOMPAT_EXTENTS | EXT4_INCOMPAT_FLEX_BG | EXT4_INCOMPAT_64BIT;
		o->ro_compat |= EXT4_RO_COMPAT_HUGE_FILE | EXT4_RO_COMPAT_METADATA_CSUM |
				EXT4_RO_COMPAT_DIR_NLINK | EXT4_RO_COMPAT_EXTRA_ISIZE;
	}
}

void ext4_features_format(const struct ext4_opts *o, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		if (!strcmp(feats[i].name, "extents") || !strcmp(feats[i].name, "gdt_csum"))
			continue;
		if (*fword((struct ext4_opts *)o, feats[i].word) & feats[i].bit) {
			int w = snprintf(buf + n, len - n, "%s%s", n ? " " : "", feats[i].name);
			if (w < 0 || (size_t)w >= len - n)
				return;
			n += (size_t)w;
		}
	}
}

/* ---- geometry ---------------------------------------------------------- */

static bool is_power_of(uint32_t v, uint32_t b)
{
	while (v > 1 && v % b == 0)
		v /= b;
	return v == 1;
}

bool ext4_group_has_super(const struct ext4_plan *p, uint32_t g)
{
	if (g <= 1 || !has_ro(p, EXT4_RO_COMPAT_SPARSE_SUPER))
		return true;
	if (!(g & 1))
		return false;
	return is_power_of(g, 3) || is_power_of(g, 5) || is_power_of(g, 7);
}

uint64_t ext4_ip_size(const struct ext4_plan *p, struct ext4_iplan *ip)
{
	struct tree_node *n = ip->node;
	uint64_t blocks = 0;

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

static inline bool bb_test(const struct ext4_plan *p, uint64_t b)
{
	uint64_t i = b - p->first_data_block;
	return p->bbm[i >> 3] & (1u << (i & 7));
}
static inline void bb_set(struct ext4_plan *p, uint64_t b)
{
	uint64_t i = b - p->first_data_block;
	p->bbm[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static void bb_set_range(struct ext4_plan *p, uint64_t b, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		bb_set(p, b + i);
}

/* Next @n contiguous free blocks at or after @from; 0 if none. */
static uint64_t alloc_contig(struct ext4_plan *p, uint64_t from, uint64_t n)
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

static uint64_t default_journal_blocks(uint64_t blocks)
{
	if (blocks < 2048)
		return 0;
	if (blocks < 32768)
		return 1024;
	if (blocks < 256 * 1024)
		return 4096;
	if (blocks < 512 * 1024)
		return 8192;
	if (blocks < 4096 * 1024)
		return 16384;
	if (blocks < 8192 * 1024)
		return 32768;
	if (blocks < 16384 * 1024)
		return 65536;
	if (blocks < 32768 * 1024)
		return 131072;
	return 262144;
}

/* mke2fs.conf's size types: block size and inode ratio. */
static void usage_defaults(const char *type, uint64_t bytes, uint32_t *bs, uint32_t *ratio)
{
	if (!type)
		type = bytes < 3ull << 20 ? "floppy" : bytes < 512ull << 20 ? "small"
			: bytes >= 16ull << 40 ? "huge" : bytes >= 4ull << 40 ? "big" : "default";
	*bs = 4096;
	*ratio = 16384;
	if (!strcmp(type, "floppy")) {
		*bs = 1024;
		*ratio = 8192;
	} else if (!strcmp(type, "small")) {
		*bs = 1024;
		*ratio = 4096;
	} else if (!strcmp(type, "news")) {
		*ratio = 4096;
	} else if (!strcmp(type, "big")) {
		*ratio = 32768;
	} else if (!strcmp(type, "huge")) {
		*ratio = 65536;
	} else if (!strcmp(type, "largefile")) {
		*ratio = 1048576;
	} else if (!strcmp(type, "largefile4")) {
		*ratio = 4194304;
	}
}

/* ---- inode numbering ------------------------------------------------- */

struct numctx {
	struct ext4_plan *p;
	uint32_t next;
	uint32_t count; /* distinct inodes */
};

static int number_cb(struct tree_node *n, void *ud)
{
	struct numctx *c = ud;

	if (!n->parent) {
		n->priv = EXT4_ROOT_INO;
		return 0;
	}
	if (n->hardlink)
		return 0;
	if (!n->parent->parent && c->p->lpf_in_tree && !strcmp(n->name, "lost+found")) {
		n->priv = EXT4_FIRST_INO;
		return 0;
	}
	n->priv = c->next++;
	return 0;
}

static int fill_cb(struct tree_node *n, void *ud)
{
	struct ext4_plan *p = ud;
	uint32_t ino;

	if (n->hardlink)
		return 0;
	ino = (uint32_t)n->priv;
	p->inodes[ino].node = n;
	p->inodes[ino].kind = n->parent ? IK_NODE : IK_ROOT;
	return 0;
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
static int alloc_file(struct ext4_plan *p, struct ext4_iplan *ip, const struct ext4_extent *want,
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

static int alloc_meta(struct ext4_plan *p, struct ext4_iplan *ip)
{
	uint32_t m = ext4_map_meta_count(p, ip_ext(ip), ip->next, &ip->depth);

	if (m == UINT32_MAX)
		return -EFBIG;
	ip->nmeta = m;
	if (m) {
		ip->meta = alloc_contig(p, p->cursor, m);
		if (!ip->meta)
			return -ENOSPC;
	}
	return 0;
}

static int plan_inode(struct ext4_plan *p, uint32_t ino, struct diag *d)
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
		r = alloc_file(p, ip, &w, 1);
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
		r = alloc_file(p, ip, w, nw);
		free(w);
	} else if (tree_is_symlink(n)) {
		size_t l = strlen(n->link ? n->link : "");
		ip->nlink = n->nlink ? n->nlink : 1;
		if (l >= p->bs)
			return diag_fail(d, -ENAMETOOLONG, "symlink target of %zu bytes is longer than a block", l);
		if (l >= 60) {
			struct ext4_extent w = { 0, 1, 0 };
			r = alloc_file(p, ip, &w, 1);
		}
	} else {
		ip->nlink = n->nlink ? n->nlink : 1;
	}
	if (!r)
		r = alloc_meta(p, ip);
	if (!r && n && n->nxattrs) {
		bool in, blk;
		r = ext4_xattr_size(p, n, &in, &blk, d);
		if (r)
			return r;
		ip->xattr_in_inode = in;
		if (blk) {
			ip->xattr_blk = alloc_contig(p, p->cursor, 1);
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

static void plan_clear(struct ext4_plan *p)
{
	if (p->inodes)
		for (uint32_t i = 0; i <= p->used_inodes; i++)
			if (p->inodes[i].next > 1)
				free(p->inodes[i].ext.many);
	free(p->inodes);
	free(p->groups);
	free(p->bbm);
	p->inodes = NULL;
	p->groups = NULL;
	p->bbm = NULL;
}

void ext4_plan_free(struct ext4_plan *p)
{
	if (!p)
		return;
	plan_clear(p);
	free(p);
}

struct counts {
	uint32_t inodes;  /* tree inodes (distinct) */
	uint64_t bytes;   /* rough data size, for the first size guess */
};

static int count_cb(struct tree_node *n, void *ud)
{
	struct counts *c = ud;

	if (n->hardlink)
		return 0;
	c->inodes++;
	if (tree_is_reg(n))
		c->bytes += n->size + 4096;
	else if (tree_is_dir(n))
		c->bytes += 4096 + 64ull * n->nkids;
	else
		c->bytes += 64;
	return 0;
}

/*
 * One attempt at @blocks blocks with @ninodes inodes (0: from the
 * ratio). -ENOSPC with *ret_short = blocks missing (estimate).
 */
static int plan_try(struct ext4_plan *p, uint64_t blocks, uint64_t want_inodes,
		    uint32_t tree_inodes, uint64_t *ret_short, struct diag *d)
{
	uint32_t bs = p->bs;
	int r;

	plan_clear(p);
	*ret_short = 0;
	p->first_data_block = bs == 1024 ? 1 : 0;
	p->bpg = bs * 8;
	if (blocks > 0xFFFFFFFFull && !has_incompat(p, EXT4_INCOMPAT_64BIT))
		return diag_fail(d, -EFBIG, "%llu blocks need the 64bit feature",
				 (unsigned long long)blocks);
	p->desc_size = has_incompat(p, EXT4_INCOMPAT_64BIT) ? EXT4_DESC_SIZE_64 : EXT4_DESC_SIZE;
	if (blocks <= p->first_data_block + 64)
		return diag_fail(d, -ENOSPC, "filesystem of %llu blocks is too small",
				 (unsigned long long)blocks);
	p->ngroups = (uint32_t)u64_div_roundup(blocks - p->first_data_block, p->bpg);
	p->gdt_blocks = (uint32_t)u64_div_roundup((uint64_t)p->ngroups * p->desc_size, bs);

	/* Inodes per group: whole inode-table blocks, a multiple of 8. */
	uint64_t ninodes = want_inodes ? want_inodes : blocks * bs / p->o.inode_ratio;
	if (ninodes < EXT4_FIRST_INO + 1)
		ninodes = EXT4_FIRST_INO + 1;
	uint64_t ipg = u64_div_roundup(ninodes, p->ngroups);
	uint32_t ipb = bs / p->inode_size, mult = ipb > 8 ? ipb : 8;
	ipg = u64_div_roundup(ipg, mult) * mult;
	if (ipg > p->bpg)
		ipg = p->bpg;
	if (ipg < 16)
		ipg = 16;
	p->ipg = (uint32_t)ipg;
	p->itb = p->ipg * p->inode_size / bs;

	/* A last group too small for its own metadata is dropped (as mke2fs). */
	uint64_t rem = (blocks - p->first_data_block) % p->bpg;
	if (rem && p->ngroups > 1) {
		uint64_t ov = (ext4_group_has_super(p, p->ngroups - 1) ? 1 + p->gdt_blocks : 0) +
			      (has_incompat(p, EXT4_INCOMPAT_FLEX_BG) ? 0 : 2 + p->itb);
		if (rem < ov + 50) {
			blocks -= rem;
			p->ngroups--;
			p->gdt_blocks = (uint32_t)u64_div_roundup((uint64_t)p->ngroups * p->desc_size, bs);
			/* Same inode count over one group less. */
			ipg = u64_div_roundup(u64_div_roundup(ninodes, p->ngroups), mult) * mult;
			if (ipg > p->bpg)
				ipg = p->bpg;
			p->ipg = (uint32_t)ipg;
			p->itb = p->ipg * p->inode_size / bs;
		}
	}
	p->blocks = blocks;
	if ((uint64_t)p->ipg * p->ngroups > 0xFFFFFFFFull)
		return diag_fail(d, -EINVAL, "too many inodes");
	p->ninodes = p->ipg * p->ngroups;
	if ((uint64_t)tree_inodes + EXT4_FIRST_INO > p->ninodes)
		return diag_fail(d, -ENOSPC,
				 "out of inodes: the tree needs %u inodes, the filesystem has %u (raise the inode count with -N or lower -i)",
				 tree_inodes + EXT4_FIRST_INO, p->ninodes);
	p->r_blocks = blocks * p->o.reserved_permille / 1000;

	p->bbm = calloc(1, (size_t)((blocks - p->first_data_block + 7) / 8) + 1);
	p->groups = calloc(p->ngroups, sizeof(*p->groups));
	p->inodes = calloc((size_t)p->used_inodes + 1, sizeof(*p->inodes));
	if (!p->bbm || !p->groups || !p->inodes)
		return diag_fail(d, -ENOMEM, "out of memory");

	/* Reserved GDT blocks for online growth to 1024 times the size
	 * (mke2fs's rule), at most one indirect block's worth. */
	p->rsv_gdt = 0;
	if (has_compat(p, EXT4_COMPAT_RESIZE_INODE)) {
		uint64_t maxb = blocks > 0xFFFFFFFFull / 1024 ? 0xFFFFFFFFull : blocks * 1024;
		uint64_t rg = u64_div_roundup(maxb - p->first_data_block, p->bpg);
		uint64_t gdb = u64_div_roundup(rg, bs / p->desc_size);
		uint64_t rsv = gdb > p->gdt_blocks ? gdb - p->gdt_blocks : 0;
		if (rsv > bs / 4)
			rsv = bs / 4;
		p->rsv_gdt = (uint32_t)rsv;
	}
	/* Superblock and descriptor copies. */
	for (uint32_t g = 0; g < p->ngroups; g++)
		if (ext4_group_has_super(p, g))
			bb_set_range(p, p->first_data_block + (uint64_t)g * p->bpg,
				     1 + p->gdt_blocks + p->rsv_gdt);
	p->want = 0;

	/* Bitmaps and inode tables. */
	p->flex = has_incompat(p, EXT4_INCOMPAT_FLEX_BG) ? 16 : 0;
	if (p->flex) {
		for (uint32_t f = 0; f < p->ngroups; f += p->flex) {
			uint32_t n = p->ngroups - f < p->flex ? p->ngroups - f : p->flex;
			uint64_t at = p->first_data_block + (uint64_t)f * p->bpg, b;
			if (!(b = alloc_contig(p, at, n)))
				goto nospace;
			for (uint32_t i = 0; i < n; i++)
				p->groups[f + i].block_bitmap = b + i;
			if (!(b = alloc_contig(p, b + n, n)))
				goto nospace;
			for (uint32_t i = 0; i < n; i++)
				p->groups[f + i].inode_bitmap = b + i;
			for (uint32_t i = 0; i < n; i++) {
				if (!(b = alloc_contig(p, b, p->itb)))
					goto nospace;
				p->groups[f + i].inode_table = b;
				b += p->itb;
			}
		}
	} else {
		for (uint32_t g = 0; g < p->ngroups; g++) {
			uint64_t at = p->first_data_block + (uint64_t)g * p->bpg;
			uint64_t end = at + p->bpg < blocks ? at + p->bpg : blocks;
			uint64_t b = alloc_contig(p, at, 2 + p->itb);
			if (!b || b + 2 + p->itb > end)
				return diag_fail(d, -ENOSPC, "block group %u too small for its metadata", g);
			p->groups[g].block_bitmap = b;
			p->groups[g].inode_bitmap = b + 1;
			p->groups[g].inode_table = b + 2;
		}
	}
	p->cursor = p->first_data_block;

	/* The resize inode's double-indirect block. */
	p->resize_dind = 0;
	if (p->rsv_gdt) {
		if (blocks > 0xFFFFFFFFull)
			return diag_fail(d, -EINVAL, "resize_inode needs a filesystem under 2^32 blocks");
		p->resize_dind = alloc_contig(p, p->cursor, 1);
		if (!p->resize_dind)
			goto nospace;
		p->inodes[EXT4_RESIZE_INO].kind = IK_RESIZE;
		p->inodes[EXT4_RESIZE_INO].nlink = 1;
	}

	/* Journal. */
	p->journal_blocks = 0;
	if (has_compat(p, EXT4_COMPAT_HAS_JOURNAL)) {
		uint64_t jb = p->o.journal_bytes ? p->o.journal_bytes / bs : default_journal_blocks(blocks);
		if (!jb)
			return diag_fail(d, -ENOSPC, "filesystem of %llu blocks is too small for a journal",
					 (unsigned long long)blocks);
		if (jb < 1024 || jb > 10240000)
			return diag_fail(d, -EINVAL, "journal of %llu blocks: must be 1024..10240000 blocks",
					 (unsigned long long)jb);
		struct ext4_iplan *ji = &p->inodes[EXT4_JOURNAL_INO];
		ji->kind = IK_JOURNAL;
		ji->nlink = 1;
		/* One contiguous run when possible, as mke2fs does. */
		uint64_t at = has_incompat(p, EXT4_INCOMPAT_EXTENTS) && jb <= EXT4_EXT_MAX_LEN * 4
				      ? alloc_contig(p, p->cursor, jb) : 0;
		if (at) {
			ji->ext.one = (struct ext4_extent){ 0, (uint32_t)jb, at };
			ji->next = 1;
			if (jb > EXT4_EXT_MAX_LEN) {
				uint32_t ne = (uint32_t)u64_div_roundup(jb, EXT4_EXT_MAX_LEN);
				struct ext4_extent *e = calloc(ne, sizeof(*e));
				if (!e)
					return diag_fail(d, -ENOMEM, "out of memory");
				for (uint32_t i = 0; i < ne; i++) {
					uint64_t l = (uint64_t)i * EXT4_EXT_MAX_LEN;
					e[i] = (struct ext4_extent){ (uint32_t)l,
						(uint32_t)(jb - l < EXT4_EXT_MAX_LEN ? jb - l : EXT4_EXT_MAX_LEN), at + l };
				}
				ji->ext.many = e;
				ji->next = ne;
			}
			r = 0;
		} else {
			struct ext4_extent w = { 0, (uint32_t)jb, 0 };
			r = alloc_file(p, ji, &w, 1);
		}
		if (!r)
			r = alloc_meta(p, ji);
		if (r == -ENOSPC)
			goto nospace;
		if (r)
			return diag_fail(d, r, "journal: %s", strerror(-r));
		p->journal_blocks = jb;
	}

	/* Inodes in number order: root, lost+found, then the tree. */
	if (tree_walk(p->tree, fill_cb, p))
		return diag_fail(d, -EINVAL, "tree walk failed");
	if (!p->lpf_in_tree)
		p->inodes[EXT4_FIRST_INO].kind = IK_LPF;
	for (uint32_t ino = EXT4_ROOT_INO; ino <= p->used_inodes; ino++) {
		if (ino > EXT4_ROOT_INO && ino < EXT4_FIRST_INO)
			continue;
		r = plan_inode(p, ino, d);
		if (r == -ENOSPC)
			goto nospace;
		if (r) {
			struct tree_node *n = p->inodes[ino].node;
			char pb[TREE_SRC_PATH_MAX];
			const char *sp = n ? tree_node_src_path(n, pb, sizeof(pb)) : NULL;
			if (n && d && d->err && !strstr(d->msg, sp ? sp : "\x01")) {
				char *path = tree_path(n);
				diag_prefix(d, "/%s", path ? path : "?");
				free(path);
			}
			return r;
		}
	}

	/* Group accounting. */
	p->free_blocks = 0;
	for (uint32_t g = 0; g < p->ngroups; g++) {
		uint64_t at = p->first_data_block + (uint64_t)g * p->bpg;
		uint64_t end = at + p->bpg < blocks ? at + p->bpg : blocks;
		uint32_t free_b = 0;
		for (uint64_t b = at; b < end; b++)
			if (!bb_test(p, b))
				free_b++;
		p->groups[g].free_blocks = free_b;
		p->free_blocks += free_b;
		uint32_t first = g * p->ipg + 1, last = first + p->ipg - 1, used = 0, dirs = 0;
		for (uint32_t i = first; i <= last && i <= p->used_inodes; i++) {
			if (i < EXT4_FIRST_INO || p->inodes[i].kind != IK_NONE)
				used++;
			struct ext4_iplan *ip = &p->inodes[i];
			if (ip->kind == IK_ROOT || ip->kind == IK_LPF || (ip->kind == IK_NODE && tree_is_dir(ip->node)))
				dirs++;
		}
		p->groups[g].free_inodes = p->ipg - used;
		p->groups[g].used_dirs = dirs;
		uint32_t hi = p->used_inodes >= last ? p->ipg : p->used_inodes >= first ? p->used_inodes - first + 1 : 0;
		p->groups[g].itable_unused = p->ipg - hi;
	}
	return 0;

nospace:
	{
		uint64_t used = 0;
		for (uint64_t b = p->first_data_block; b < blocks; b++)
			used += bb_test(p, b);
		*ret_short = p->want > (blocks - used) ? p->want - (blocks - used) : 1;
	}
	return -ENOSPC;
}

uint64_t ext4_plan_bytes(const struct ext4_plan *p)
{
	return p->blocks * p->bs;
}

void ext4_plan_summary(const struct ext4_plan *p, char *buf, size_t len)
{
	snprintf(buf, len, "%llu blocks of %u, %u groups, %u inodes (%u used), %llu blocks free",
		 (unsigned long long)p->blocks, p->bs, p->ngroups, p->ninodes, p->used_inodes,
		 (unsigned long long)p->free_blocks);
}

int ext4_plan_new(struct ext4_plan **ret, struct tree *t, const struct ext4_opts *o,
		  struct diag *d)
{
	struct ext4_plan *p = calloc(1, sizeof(*p));
	struct counts c = { 0 };
	struct numctx nc;
	uint32_t bs, ratio;
	uint64_t blocks, inodes = o->inodes, short_by;
	int r;

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	p->tree = t;
	p->o = *o;
	tree_finish(t);
	tree_walk(t, count_cb, &c);

	/* Geometry defaults from mke2fs.conf's usage types. */
	uint64_t guess = o->size ? o->size : c.bytes + c.bytes / 8 + (2ull << 20);
	usage_defaults(o->usage_type, guess, &bs, &ratio);
	if (o->block_size)
		bs = o->block_size;
	if (bs != 1024 && bs != 2048 && bs != 4096) {
		free(p);
		return diag_fail(d, -EINVAL, "block size %u: must be 1024, 2048 or 4096", bs);
	}
	p->bs = bs;
	p->log_bs = bs == 1024 ? 0 : bs == 2048 ? 1 : 2;
	p->o.inode_ratio = o->inode_ratio ? o->inode_ratio : ratio;
	if (p->o.inode_ratio < 1024 || p->o.inode_ratio > 67108864) {
		uint32_t v = p->o.inode_ratio;
		free(p);
		return diag_fail(d, -EINVAL, "inode ratio %u: must be 1024..67108864", v);
	}
	p->inode_size = o->inode_size ? o->inode_size : 256;
	if (p->inode_size < 128 || p->inode_size > bs || (p->inode_size & (p->inode_size - 1))) {
		uint32_t v = p->inode_size;
		free(p);
		return diag_fail(d, -EINVAL, "inode size %u: must be a power of 2 from 128 to the block size",
				 v);
	}
	if (p->inode_size == 128)
		p->o.ro_compat &= ~EXT4_RO_COMPAT_EXTRA_ISIZE;
	if (has_ro(p, EXT4_RO_COMPAT_METADATA_CSUM))
		p->o.ro_compat &= ~EXT4_RO_COMPAT_GDT_CSUM;
	p->csum_seed = ext4_csum_seed(p->o.uuid);

	/* Number inodes: root 2, lost+found 11, the rest from 12 in order. */
	struct tree_node *lpf = NULL;
	for (uint32_t i = 0; i < t->root->nkids; i++)
		if (!strcmp(t->root->kids[i]->name, "lost+found"))
			lpf = t->root->kids[i];
	if (lpf && (lpf->hardlink || !tree_is_dir(lpf))) {
		free(p);
		return diag_fail(d, -EINVAL, "/lost+found must be a directory");
	}
	p->lpf_in_tree = lpf != NULL;
	nc = (struct numctx){ p, EXT4_FIRST_INO + 1, 0 };
	tree_walk(t, number_cb, &nc);
	p->used_inodes = nc.next - 1;
	uint32_t tree_inodes = p->used_inodes - EXT4_FIRST_INO;

	if (o->size) {
		blocks = o->size / bs;
		r = plan_try(p, blocks, inodes, tree_inodes, &short_by, d);
		if (r == -ENOSPC && short_by)
			r = diag_fail(d, -ENOSPC,
				      "does not fit: %llu bytes given, about %llu more needed (%llu blocks of %u)",
				      (unsigned long long)o->size,
				      (unsigned long long)(short_by * bs),
				      (unsigned long long)short_by, bs);
	} else {
		/* Smallest that fits: grow by what is missing until it fits,
		 * then add the margin. */
		uint64_t need_inodes = inodes ? inodes
			: (uint64_t)tree_inodes + EXT4_FIRST_INO + tree_inodes / 10 + 16;
		uint64_t min_blocks = has_compat(p, EXT4_COMPAT_HAS_JOURNAL) ? 4096 : 256;
		/* A group holds at most 8 x block-size inodes. */
		uint64_t bpg = 8ull * bs, groups_for_inodes = u64_div_roundup(need_inodes, bpg);
		if (min_blocks < groups_for_inodes * bpg + 1)
			min_blocks = groups_for_inodes * bpg + 1;
		blocks = u64_div_roundup(guess, bs);
		if (blocks < min_blocks)
			blocks = min_blocks;
		for (int iter = 0;; iter++) {
			uint64_t by_ratio = blocks * bs / p->o.inode_ratio;
			r = plan_try(p, blocks, inodes ? inodes : (by_ratio > need_inodes ? 0 : need_inodes),
				     tree_inodes, &short_by, d);
			if (r != -ENOSPC || !short_by || iter > 40)
				break;
			diag_clear(d);
			blocks += short_by + blocks / 8 + 64;
		}
		/* Then the smallest size with the margin. Journal and inode
		 * tables scale with the size, so plan again at the size the
		 * last plan asks for until it settles. */
		for (int round = 0; !r && round < 4; round++) {
			uint64_t used = p->blocks - p->free_blocks;
			uint64_t extra = used * o->margin_pct / 100;
			if (extra * bs < o->margin_min)
				extra = u64_div_roundup(o->margin_min, bs);
			uint64_t target = used + extra;
			/* Reserved blocks come out of the margin's free space too. */
			target += target * p->o.reserved_permille / 1000;
			if (target < min_blocks)
				target = min_blocks;
			if (target == p->blocks || (round && target > p->blocks))
				break;
			for (int iter = 0; iter < 20; iter++) {
				uint64_t by_ratio = target * bs / p->o.inode_ratio;
				r = plan_try(p, target, inodes ? inodes : (by_ratio > need_inodes ? 0 : need_inodes),
					     tree_inodes, &short_by, d);
				if (r != -ENOSPC || !short_by)
					break;
				diag_clear(d);
				target += short_by + 64;
			}
		}
	}
	if (r) {
		ext4_plan_free(p);
		return r;
	}
	*ret = p;
	return 0;
}
