/* SPDX-License-Identifier: MIT */
/* Device tables and Android fs_config files: see tree-tables.h. */
#include "fs/tree-tables.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/endian.h"

#define MAX_FIELDS 12
#define MAX_LINE 8192

void vfs_cap_encode(uint64_t caps, uint8_t out[VFS_CAP_V2_SIZE])
{
	/* struct vfs_cap_data: magic_etc, then {permitted, inheritable}
	 * for the low and high 32 capability bits, all little-endian. */
	memset(out, 0, VFS_CAP_V2_SIZE);
	put_le32(out, 0x02000000u | (caps ? 1u : 0u));
	put_le32(out + 4, (uint32_t)caps);
	put_le32(out + 12, (uint32_t)(caps >> 32));
}

int tree_set_caps(struct tree_node *n, uint64_t caps)
{
	uint8_t v[VFS_CAP_V2_SIZE];

	if (!caps) {
		for (uint32_t i = 0; i < n->nxattrs; i++) {
			if (strcmp(n->xattrs[i].name, "security.capability"))
				continue;
			free(n->xattrs[i].name);
			free(n->xattrs[i].value);
			memmove(n->xattrs + i, n->xattrs + i + 1,
				(n->nxattrs - i - 1) * sizeof(*n->xattrs));
			n->nxattrs--;
			break;
		}
		return 0;
	}
	vfs_cap_encode(caps, v);
	return tree_set_xattr(n, "security.capability", v, sizeof(v));
}

/* Split @line (modified) into whitespace-separated fields. */
static unsigned split(char *line, char **f, unsigned max)
{
	unsigned n = 0;
	char *p = line;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			*p++ = 0;
		if (!*p)
			break;
		if (n == max)
			return max + 1;
		f[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
	}
	return n;
}

static int num(const char *s, int base, uint64_t max, uint64_t *ret)
{
	char *e;

	if (!strcmp(s, "-")) {
		*ret = 0;
		return 0;
	}
	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &e, base);
	if (*e || errno || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

typedef int (*line_fn)(struct tree *t, char **f, unsigned nf, const char *name, unsigned lineno,
		       void *ud, struct diag *d);

static int each_line(struct tree *t, const char *text, size_t len, const char *name,
		     line_fn fn, void *ud, struct diag *d)
{
	char buf[MAX_LINE + 1];
	char *f[MAX_FIELDS];
	size_t pos = 0;
	unsigned lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
		if (++lineno > TREE_TABLE_MAX_LINES)
			return diag_fail(d, -E2BIG, "%s: more than %u lines", name, TREE_TABLE_MAX_LINES);
		if (l > MAX_LINE)
			return diag_fail(d, -EINVAL, "%s:%u: line longer than %d bytes", name, lineno,
					 MAX_LINE);
		memcpy(buf, text + pos, l);
		buf[l] = 0;
		pos += l + (nl ? 1 : 0);
		if (memchr(buf, 0, l))
			return diag_fail(d, -EINVAL, "%s:%u: NUL byte in line", name, lineno);
		char *s = buf;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#' || *s == '\r')
			continue;
		unsigned nf = split(s, f, MAX_FIELDS);
		int r = fn(t, f, nf, name, lineno, ud, d);
		if (r)
			return r;
	}
	return 0;
}

struct devtab {
	uint32_t layer;
	uint64_t nodes; /* made so far, against TREE_DEVTABLE_MAX_NODES */
};

static int devtable_line(struct tree *t, char **f, unsigned nf, const char *name,
			 unsigned lineno, void *ud, struct diag *d)
{
	struct devtab *st = ud;
	uint64_t v[8];
	static const char *const what[8] = { "mode", "uid", "gid", "major", "minor", "start",
					     "inc", "count" };
	static const uint64_t max[8] = { 07777, UINT32_MAX - 1, UINT32_MAX - 1, 0xfff, 0xfffff,
					 UINT32_MAX, UINT32_MAX, TREE_DEVTABLE_MAX_COUNT };

	if (nf != 10)
		return diag_fail(d, -EINVAL, "%s:%u: expected 10 fields (name type mode uid gid "
				 "major minor start inc count), got %u", name, lineno, nf);
	for (unsigned i = 0; i < 8; i++)
		if (num(f[2 + i], i == 0 ? 8 : 10, max[i], &v[i]))
			return diag_fail(d, -EINVAL, "%s:%u: %s \"%s\": not a valid number", name,
					 lineno, what[i], f[2 + i]);
	uint32_t type;
	switch (f[1][1] ? 0 : f[1][0]) {
	case 'f': type = 0100000; break;
	case 'd': type = 0040000; break;
	case 'c': type = 0020000; break;
	case 'b': type = 0060000; break;
	case 'p': type = 0010000; break;
	default:
		return diag_fail(d, -EINVAL, "%s:%u: type \"%s\": expected f, d, c, b or p", name,
				 lineno, f[1]);
	}
	const char *path = f[0];
	while (*path == '/')
		path++;
	if (type == 0100000 || (type == 0040000 && !*path)) {
		struct tree_node *n = *path ? tree_lookup(t, path) : t->root;
		if (!n || (type == 0100000 && !tree_is_reg(n)))
			return diag_fail(d, -ENOENT, "%s:%u: \"%s\": no such regular file in the tree",
					 name, lineno, f[0]);
		while (n->hardlink)
			n = n->hardlink;
		n->mode = (n->mode & 0170000) | (uint32_t)v[0];
		n->uid = (uint32_t)v[1];
		n->gid = (uint32_t)v[2];
		return 0;
	}
	if (type == 0040000) {
		struct tree_node *n = tree_lookup(t, path);
		if (n && tree_is_dir(n)) {
			n->mode = 0040000 | (uint32_t)v[0];
			n->uid = (uint32_t)v[1];
			n->gid = (uint32_t)v[2];
			return 0;
		}
	}
	uint64_t count = v[7] ? v[7] : 1;
	if (count > TREE_DEVTABLE_MAX_NODES - st->nodes)
		return diag_fail(d, -E2BIG, "%s:%u: \"%s\": the table makes more than %u nodes",
				 name, lineno, f[0], TREE_DEVTABLE_MAX_NODES);
	st->nodes += count;
	for (uint64_t i = 0; i < count; i++) {
		char p[MAX_LINE + 32];
		if (v[7])
			snprintf(p, sizeof(p), "%s%" PRIu64, path, v[5] + i);
		else
			snprintf(p, sizeof(p), "%s", path);
		uint64_t minor = v[4] + i * v[6];
		if (minor > 0xfffff)
			return diag_fail(d, -EINVAL, "%s:%u: \"%s\": minor number %" PRIu64
					 " out of range", name, lineno, p, minor);
		struct tree_attr a = { .mode = type | (uint32_t)v[0], .uid = (uint32_t)v[1],
				       .gid = (uint32_t)v[2], .mtime = t->epoch,
				       .rdev_major = (uint32_t)v[3], .rdev_minor = (uint32_t)minor };
		int r = tree_add(t, p, &a, TREE_CONFLICT_REPLACE, st->layer, NULL, d);
		if (r) {
			diag_prefix(d, "%s:%u", name, lineno);
			return r;
		}
	}
	return 0;
}

int tree_apply_device_table(struct tree *t, const char *text, size_t len, const char *name,
			    uint32_t layer, struct diag *d)
{
	struct devtab st = { .layer = layer };

	return each_line(t, text, len, name, devtable_line, &st, d);
}

struct fsc {
	unsigned missing;
	char first[256];
};

static int fsconfig_line(struct tree *t, char **f, unsigned nf, const char *name,
			 unsigned lineno, void *ud, struct diag *d)
{
	struct fsc *st = ud;
	uint64_t uid, gid, mode, caps = 0;
	bool caps_set = false;

	if (nf < 4 || nf > 5)
		return diag_fail(d, -EINVAL, "%s:%u: expected \"path uid gid mode "
				 "[capabilities=0x...]\", got %u fields", name, lineno, nf);
	if (num(f[1], 10, UINT32_MAX - 1, &uid) || !strcmp(f[1], "-"))
		return diag_fail(d, -EINVAL, "%s:%u: uid \"%s\": not a number", name, lineno, f[1]);
	if (num(f[2], 10, UINT32_MAX - 1, &gid) || !strcmp(f[2], "-"))
		return diag_fail(d, -EINVAL, "%s:%u: gid \"%s\": not a number", name, lineno, f[2]);
	if (num(f[3], 8, 07777, &mode) || !strcmp(f[3], "-"))
		return diag_fail(d, -EINVAL, "%s:%u: mode \"%s\": not an octal mode", name, lineno,
				 f[3]);
	if (nf == 5) {
		if (strncmp(f[4], "capabilities=", 13) || num(f[4] + 13, 0, UINT64_MAX, &caps))
			return diag_fail(d, -EINVAL, "%s:%u: \"%s\": expected capabilities=0x...",
					 name, lineno, f[4]);
		caps_set = true;
	}
	const char *path = f[0];
	while (*path == '/')
		path++;
	struct tree_node *n = *path ? tree_lookup(t, path) : t->root;
	if (!n) {
		if (!st->missing++)
			snprintf(st->first, sizeof(st->first), "%s", f[0]);
		return 0;
	}
	while (n->hardlink)
		n = n->hardlink;
	n->mode = (n->mode & 0170000) | (uint32_t)mode;
	n->uid = (uint32_t)uid;
	n->gid = (uint32_t)gid;
	if (caps_set && tree_set_caps(n, caps))
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

int tree_apply_fs_config(struct tree *t, const char *text, size_t len, const char *name,
			 struct diag *d)
{
	struct fsc st = { 0 };
	int r = each_line(t, text, len, name, fsconfig_line, &st, d);

	if (!r && st.missing)
		diag_warn(d, "%s: %u entr%s not in the tree, ignored (first: \"%s\")", name,
			  st.missing, st.missing == 1 ? "y" : "ies", st.first);
	return r;
}
