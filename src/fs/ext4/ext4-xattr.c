/* SPDX-License-Identifier: MIT */
/*
 * Extended attributes: in the inode's extra space when they all fit,
 * else all in one external block. POSIX ACLs arrive in the VFS format
 * (version 2) and are stored in ext4's compact format (version 1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/endian.h"
#include "fs/ext4/ext4-int.h"
#include "fs/tree.h"

static const struct {
	const char *prefix;
	uint8_t index;
	bool exact;
} xprefix[] = {
	{ "system.posix_acl_access", 2, true },
	{ "system.posix_acl_default", 3, true },
	{ "user.", 1, false },
	{ "trusted.", 4, false },
	{ "security.", 6, false },
	{ "system.", 7, false },
};

/* Split @name into index + suffix. -1 if the namespace is unknown. */
static int xname(const char *name, const char **ret_suffix)
{
	for (size_t i = 0; i < sizeof(xprefix) / sizeof(xprefix[0]); i++) {
		size_t l = strlen(xprefix[i].prefix);
		if (xprefix[i].exact ? !strcmp(name, xprefix[i].prefix)
				     : !strncmp(name, xprefix[i].prefix, l)) {
			*ret_suffix = name + l;
			return xprefix[i].index;
		}
	}
	return -1;
}

/* Convert a VFS ACL to ext4's format into @out (NULL: size only).
 * Returns the size, or 0 when the value is not a valid VFS ACL (stored
 * unchanged then). */
static uint32_t acl_convert(const uint8_t *v, uint32_t len, uint8_t *out)
{
	uint32_t o = 4;

	if (len < 4 || (len - 4) % 8 || get_le32(v) != 2)
		return 0;
	if (out)
		put_le32(out, 1);
	for (uint32_t i = 4; i < len; i += 8) {
		uint16_t tag = get_le16(v + i);
		bool full = tag == 2 || tag == 8; /* ACL_USER, ACL_GROUP */
		if (out) {
			put_le16(out + o, tag);
			put_le16(out + o + 2, get_le16(v + i + 2));
			if (full)
				put_le32(out + o + 4, get_le32(v + i + 4));
		}
		o += full ? 8 : 4;
	}
	return o;
}

struct xent {
	uint8_t index;
	const char *suffix;
	uint32_t slen;
	const uint8_t *value;
	uint32_t vlen;
	bool acl;
};

static uint32_t xent_vlen(const struct xent *x)
{
	if (x->acl) {
		uint32_t l = acl_convert(x->value, x->vlen, NULL);
		if (l)
			return l;
	}
	return x->vlen;
}

static int xent_cmp(const void *a, const void *b)
{
	const struct xent *x = a, *y = b;

	if (x->index != y->index)
		return x->index - y->index;
	if (x->slen != y->slen)
		return x->slen < y->slen ? -1 : 1;
	return memcmp(x->suffix, y->suffix, x->slen);
}

static int xents(const struct tree_node *n, struct xent **ret, struct diag *d)
{
	struct xent *x;

	*ret = NULL;
	if (!n->nxattrs)
		return 0;
	x = calloc(n->nxattrs, sizeof(*x));
	if (!x)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n->nxattrs; i++) {
		int idx = xname(n->xattrs[i].name, &x[i].suffix);
		if (idx < 0) {
			free(x);
			return diag_fail(d, -EINVAL, "xattr \"%s\": namespace not storable in ext4",
					 n->xattrs[i].name);
		}
		x[i].index = (uint8_t)idx;
		x[i].slen = (uint32_t)strlen(x[i].suffix);
		x[i].value = n->xattrs[i].value;
		x[i].vlen = n->xattrs[i].len;
		x[i].acl = idx == 2 || idx == 3;
		if (x[i].slen > 255) {
			free(x);
			return diag_fail(d, -EINVAL, "xattr \"%s\": name too long",
					 n->xattrs[i].name);
		}
	}
	qsort(x, n->nxattrs, sizeof(*x), xent_cmp);
	*ret = x;
	return 0;
}

static uint32_t pad4(uint32_t v)
{
	return (v + 3) & ~3u;
}

/* Bytes the entries (with end marker) and values need. */
static uint32_t xsize(const struct xent *x, uint32_t n)
{
	uint32_t s = 4;

	for (uint32_t i = 0; i < n; i++)
		s += pad4(XE_NAME + x[i].slen) + pad4(xent_vlen(&x[i]));
	return s;
}

int ext4_xattr_size(const struct ext4_plan *p, const struct tree_node *n, bool *ret_in_inode,
		    bool *ret_block, struct diag *d)
{
	struct xent *x;
	uint32_t need;
	int r;

	*ret_in_inode = *ret_block = false;
	if (!n->nxattrs)
		return 0;
	if (!has_compat(p, EXT4_COMPAT_EXT_ATTR))
		return diag_fail(d, -EINVAL, "has extended attributes but the ext_attr feature is off");
	r = xents(n, &x, d);
	if (r)
		return r;
	need = xsize(x, n->nxattrs);
	free(x);
	if (p->inode_size > EXT4_GOOD_OLD_INODE_SIZE &&
	    need + 4 <= p->inode_size - EXT4_GOOD_OLD_INODE_SIZE - EXT4_EXTRA_ISIZE) {
		*ret_in_inode = true;
		return 0;
	}
	if (need > p->bs - EXT4_XATTR_HDR_SIZE)
		return diag_fail(d, -EFBIG,
				 "extended attributes need %u bytes, more than one %u-byte block",
				 need, p->bs);
	*ret_block = true;
	return 0;
}

/* Lay entries at @ents and values growing down from @vend (offsets
 * relative to @base). Returns the hashes' block combination. */
static uint32_t xlay(const struct xent *x, uint32_t n, uint8_t *base, uint8_t *ents, uint8_t *vend)
{
	uint32_t bhash = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t vl = xent_vlen(&x[i]);
		uint8_t *v = vend - pad4(vl);
		uint32_t h;

		if (x[i].acl && acl_convert(x[i].value, x[i].vlen, NULL))
			acl_convert(x[i].value, x[i].vlen, v);
		else if (vl)
			memcpy(v, x[i].value, vl);
		vend = v;
		ents[XE_NAME_LEN] = (uint8_t)x[i].slen;
		ents[XE_NAME_INDEX] = x[i].index;
		put_le16(ents + XE_VALUE_OFFS, vl ? (uint16_t)(v - base) : 0);
		put_le32(ents + XE_VALUE_INUM, 0);
		put_le32(ents + XE_VALUE_SIZE, vl);
		memcpy(ents + XE_NAME, x[i].suffix, x[i].slen);
		h = ext4_xattr_entry_hash((const uint8_t *)x[i].suffix, x[i].slen, v, vl);
		put_le32(ents + XE_HASH, h);
		bhash = (bhash << 16) ^ (bhash >> 16) ^ h;
		ents += pad4(XE_NAME + x[i].slen);
	}
	return bhash;
}

void ext4_xattr_fill_inode(const struct ext4_plan *p, const struct tree_node *n, uint8_t *inode)
{
	struct xent *x;
	uint8_t *area = inode + EXT4_GOOD_OLD_INODE_SIZE + EXT4_EXTRA_ISIZE;

	if (xents(n, &x, NULL))
		return;
	put_le32(area, EXT4_XATTR_MAGIC);
	/* Value offsets count from the first entry. */
	xlay(x, n->nxattrs, area + 4, area + 4, inode + p->inode_size);
	free(x);
}

void ext4_xattr_fill_block(const struct ext4_plan *p, const struct tree_node *n, uint8_t *blk,
			   uint64_t blocknr)
{
	struct xent *x;
	uint32_t h;

	if (xents(n, &x, NULL))
		return;
	put_le32(blk + XH_MAGIC, EXT4_XATTR_MAGIC);
	put_le32(blk + XH_REFCOUNT, 1);
	put_le32(blk + XH_BLOCKS, 1);
	h = xlay(x, n->nxattrs, blk, blk + EXT4_XATTR_HDR_SIZE, blk + p->bs);
	put_le32(blk + XH_HASH, h);
	free(x);
	if (plan_csum(p))
		ext4_xattr_block_csum_set(blk, p->bs, blocknr, p->csum_seed);
}
