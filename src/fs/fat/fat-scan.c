/* SPDX-License-Identifier: MIT */
/*
 * FAT planning, part one: scan the tree into objects and directories
 * (breadth-first, sorted), resolve symlinks by policy, validate names,
 * refuse case-only duplicates and pick 8.3 short names.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "fs/fat/fat-format.h"
#include "fs/fat/fat-names.h"
#include "fs/fat/fat-writer-int.h"
#include "fs/tree.h"

#define MAX_DIR_ENTRIES 65536u    /* 32-byte slots per directory (2 MiB) */
#define MAX_SYMLINK_DEPTH 40
#define FILE_MAX 0xFFFFFFFFull    /* 32-bit size field */

static char *node_path(const struct tree_node *n)
{
	char *p = tree_path(n), *s;
	size_t l;

	if (!p)
		return NULL;
	l = strlen(p) + 2;
	s = malloc(l);
	if (s)
		snprintf(s, l, "/%s", p);
	free(p);
	return s;
}

int fat_fail_path(struct diag *d, int err, const struct tree_node *n, const char *fmt, ...)
{
	char why[512];
	char *p = node_path(n);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	err = diag_fail(d, err, "%s: %s", p ? p : "?", why);
	free(p);
	return err;
}

/* ---- small hash tables keyed by 11-byte short names ---- */

struct sfn_table {
	uint8_t (*key)[11];
	uint32_t *val;
	uint8_t *used;
	uint32_t cap;
};

static uint32_t hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static int sfn_table_init(struct sfn_table *t, uint32_t n)
{
	uint32_t cap = 16;

	while (cap < 2 * n + 16)
		cap <<= 1;
	t->cap = cap;
	t->key = malloc((size_t)cap * 11);
	t->val = malloc((size_t)cap * sizeof(*t->val));
	t->used = calloc(cap, 1);
	return t->key && t->val && t->used ? 0 : -ENOMEM;
}

static void sfn_table_release(struct sfn_table *t)
{
	free(t->key);
	free(t->val);
	free(t->used);
}

/* Slot of @k: where it is, or the free slot where it would go. */
static uint32_t sfn_slot(const struct sfn_table *t, const uint8_t k[11])
{
	uint32_t i = hash_bytes(k, 11) & (t->cap - 1);

	while (t->used[i] && memcmp(t->key[i], k, 11))
		i = (i + 1) & (t->cap - 1);
	return i;
}

/* ---- tree scan: objects, directories, names ---- */

static int push_obj(struct fat_plan *p, struct fat_obj **ret)
{
	if (p->nobjs == p->capobjs) {
		uint32_t nc = p->capobjs ? p->capobjs * 2 : 256;
		struct fat_obj *n = realloc(p->objs, (size_t)nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->objs = n;
		p->capobjs = nc;
	}
	*ret = &p->objs[p->nobjs++];
	memset(*ret, 0, sizeof(**ret));
	return 0;
}

static int push_dir(struct fat_plan *p, uint32_t obj, uint32_t parent)
{
	if (p->ndirs == p->capdirs) {
		uint32_t nc = p->capdirs ? p->capdirs * 2 : 64;
		struct fat_dir *n = realloc(p->dirs, (size_t)nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->dirs = n;
		p->capdirs = nc;
	}
	struct fat_dir *dd = &p->dirs[p->ndirs++];
	memset(dd, 0, sizeof(*dd));
	dd->obj = obj;
	dd->parent = parent;
	return 0;
}

static struct tree_node *kid_named(struct tree_node *dir, const char *name, size_t len)
{
	uint32_t lo = 0, hi = dir->nkids;

	while (lo < hi) { /* children are sorted bytewise (tree_finish) */
		uint32_t mid = lo + (hi - lo) / 2;
		const char *k = dir->kids[mid]->name;
		int c = strncmp(k, name, len);
		if (!c && k[len])
			c = 1;
		if (!c)
			return dir->kids[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Resolve @path from directory @dir inside the tree (absolute paths from
 * the tree's root, as they would be on the target), following symlinks. */
static struct tree_node *walk(struct tree *t, struct tree_node *dir, const char *path, int *depth)
{
	struct tree_node *cur = path[0] == '/' ? t->root : dir;
	const char *s = path;

	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		while (cur->hardlink)
			cur = cur->hardlink;
		if (!tree_is_dir(cur))
			return NULL;
		if (len == 1 && s[0] == '.') {
			/* stay */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			cur = cur->parent ? cur->parent : t->root;
		} else {
			struct tree_node *k = kid_named(cur, s, len);
			if (!k)
				return NULL;
			if (tree_is_symlink(k)) {
				if (++*depth > MAX_SYMLINK_DEPTH || !k->link)
					return NULL;
				k = walk(t, cur, k->link, depth);
				if (!k)
					return NULL;
			}
			cur = k;
		}
		s += len;
	}
	while (cur->hardlink)
		cur = cur->hardlink;
	return cur;
}

static const char *type_name(uint32_t mode)
{
	switch (mode & 0170000) {
	case 0020000: return "a character device";
	case 0060000: return "a block device";
	case 0010000: return "a FIFO";
	case 0140000: return "a socket";
	case 0120000: return "a symbolic link";
	}
	return "an unsupported file type";
}

/* Classify child @k of a directory: fills @o or returns 1 to skip it. */
static int classify(struct fat_plan *p, struct tree_node *k, struct fat_obj *o, bool *warned_skip,
		    struct diag *d)
{
	const struct tree_node *data = k;

	while (data->hardlink) /* hard links are stored as copies */
		data = data->hardlink;
	o->node = k;
	if (tree_is_symlink(data)) {
		if (p->o.symlinks == FAT_SYMLINKS_SKIP) {
			if (!*warned_skip) {
				char *path = node_path(k);
				diag_warn(d, "FAT has no symbolic links: %s and any others are left out (symlinks = skip)",
					  path ? path : "?");
				free(path);
				*warned_skip = true;
			}
			return 1;
		}
		if (p->o.symlinks != FAT_SYMLINKS_COPY)
			return fat_fail_path(d, -EPERM, k, "FAT cannot store a symbolic link (-> %s); set symlinks = \"copy\" to store the file it points to, or \"skip\"",
					     data->link ? data->link : "");
		int depth = 0;
		const struct tree_node *tgt =
			walk(p->tree, k->parent ? k->parent : p->tree->root, data->link ? data->link : "", &depth);
		if (!tgt)
			return fat_fail_path(d, -ENOENT, k, "symbolic link to %s: target not found in the image tree (or a loop)",
					     data->link ? data->link : "");
		if (!tree_is_reg(tgt))
			return fat_fail_path(d, -EPERM, k, "symbolic link to %s: points to %s; only links to regular files can be copied",
					     data->link, tree_is_dir(tgt) ? "a directory" : type_name(tgt->mode));
		data = tgt;
	}
	if (tree_is_dir(data)) {
		o->is_dir = true;
		return 0;
	}
	if (!tree_is_reg(data))
		return fat_fail_path(d, -EPERM, k, "FAT cannot store %s", type_name(data->mode));
	if (data->size > FILE_MAX)
		return fat_fail_path(d, -EFBIG, k, "%llu bytes: FAT files must be smaller than 4 GiB",
				     (unsigned long long)data->size);
	if (data->size && !data->src_path) /* tree_node_src_path() composes it when writing */
		return fat_fail_path(d, -EINVAL, k, "no source for the file's data");
	o->data = data;
	o->size = data->size;
	return 0;
}

/* Names of directory @di: validate, detect case-only duplicates, pick
 * short names, count directory slots. */
static int name_dir(struct fat_plan *p, uint32_t di, struct diag *d)
{
	struct fat_dir *dd = &p->dirs[di];
	uint32_t n = dd->nkids;
	struct sfn_table names = { 0 }, bases = { 0 };
	struct fat_sfn *basis = NULL;
	uint16_t u[FAT_NAME_MAX], *up = NULL;
	uint32_t *uoff = NULL, *dup = NULL, dupcap = 16;
	uint64_t slots = di == 0 ? (p->has_label ? 1 : 0) : 2;
	int r = -ENOMEM;

	while (dupcap < 2 * n + 16)
		dupcap <<= 1;
	basis = calloc(n ? n : 1, sizeof(*basis));
	uoff = calloc((size_t)n + 1, sizeof(*uoff));
	up = malloc(((size_t)n * FAT_NAME_MAX + 1) * sizeof(*up));
	dup = malloc((size_t)dupcap * sizeof(*dup));
	if (!basis || !uoff || !up || !dup || sfn_table_init(&names, n) || sfn_table_init(&bases, n))
		goto out;
	memset(dup, 0xFF, (size_t)dupcap * sizeof(*dup));

	/* Pass 1: decode, check, fold case; refuse case-only duplicates. */
	for (uint32_t i = 0; i < n; i++) {
		struct fat_obj *o = &p->objs[dd->kid0 + i];
		unsigned len;
		r = fat_utf8_to_utf16(o->node->name, u, FAT_NAME_MAX, &len);
		if (r == -ENAMETOOLONG) {
			r = fat_fail_path(d, r, o->node, "name longer than %u UTF-16 units, the VFAT limit", FAT_NAME_MAX);
			goto out;
		}
		if (r) {
			r = fat_fail_path(d, -EINVAL, o->node, "name is not valid UTF-8");
			goto out;
		}
		const char *why = fat_name_check(u, len);
		if (why) {
			r = fat_fail_path(d, -EINVAL, o->node, "%s: FAT cannot hold this name", why);
			goto out;
		}
		uint16_t *f = up + uoff[i];
		for (unsigned k = 0; k < len; k++)
			f[k] = fat_upcase(u[k]);
		uoff[i + 1] = uoff[i] + len;
		uint32_t h = hash_bytes(f, len * 2u) & (dupcap - 1);
		while (dup[h] != UINT32_MAX) {
			uint32_t j = dup[h];
			if (uoff[j + 1] - uoff[j] == len && !memcmp(up + uoff[j], f, len * 2u)) {
				char *other = node_path(p->objs[dd->kid0 + j].node);
				r = fat_fail_path(d, -EINVAL, o->node, "differs from %s only in case; FAT names are case-insensitive",
						  other ? other : "?");
				free(other);
				goto out;
			}
			h = (h + 1) & (dupcap - 1);
		}
		dup[h] = i;
		fat_sfn_basis(u, len, &basis[i]);
		o->nlfn = basis[i].need_lfn ? (uint8_t)fat_lfn_count(len) : 0;
		slots += 1u + o->nlfn;
	}
	/* Pass 2: names that are their own short name claim it first, so a
	 * generated "~N" name can never take a real file's name. */
	for (uint32_t i = 0; i < n; i++) {
		struct fat_obj *o = &p->objs[dd->kid0 + i];
		if (!basis[i].exact)
			continue;
		uint32_t s = sfn_slot(&names, basis[i].name);
		names.used[s] = 1;
		memcpy(names.key[s], basis[i].name, 11);
		memcpy(o->sfn, basis[i].name, 11);
		o->ntres = basis[i].need_lfn ? 0 : basis[i].ntres;
	}
	/* Pass 3: numeric tails, continuing per basis where the last stopped. */
	for (uint32_t i = 0; i < n; i++) {
		struct fat_obj *o = &p->objs[dd->kid0 + i];
		uint8_t cand[11];
		if (basis[i].exact)
			continue;
		uint32_t bs = sfn_slot(&bases, basis[i].name);
		uint32_t t = bases.used[bs] ? bases.val[bs] : 1;
		for (;; t++) {
			if (t > 999999) {
				r = fat_fail_path(d, -EINVAL, o->node, "no free 8.3 short name left for this name");
				goto out;
			}
			fat_sfn_tail(&basis[i], t, cand);
			uint32_t s = sfn_slot(&names, cand);
			if (!names.used[s]) {
				names.used[s] = 1;
				memcpy(names.key[s], cand, 11);
				break;
			}
		}
		bases.used[bs] = 1;
		memcpy(bases.key[bs], basis[i].name, 11);
		bases.val[bs] = t + 1;
		memcpy(o->sfn, cand, 11);
	}
	if (slots > MAX_DIR_ENTRIES) {
		const struct tree_node *dn = di ? p->objs[dd->obj].node : p->tree->root;
		r = fat_fail_path(d, -ENOSPC, dn, "directory needs %llu entries (long names take several); FAT allows %u",
				  (unsigned long long)slots, MAX_DIR_ENTRIES);
		goto out;
	}
	dd->nentries = (uint32_t)slots;
	r = 0;
out:
	if (r == -ENOMEM && d && !d->err)
		diag_fail(d, r, "out of memory");
	sfn_table_release(&names);
	sfn_table_release(&bases);
	free(basis);
	free(uoff);
	free(up);
	free(dup);
	return r;
}

int fat_plan_scan(struct fat_plan *p, struct diag *d)
{
	bool warned_skip = false;
	const struct tree_node *owned = NULL;
	int r;

	if ((r = push_dir(p, UINT32_MAX, 0)))
		return diag_fail(d, r, "out of memory");
	for (uint32_t di = 0; di < p->ndirs; di++) {
		struct tree_node *dn = di ? p->objs[p->dirs[di].obj].node : p->tree->root;
		while (dn->hardlink)
			dn = dn->hardlink;
		p->dirs[di].kid0 = p->nobjs;
		for (uint32_t i = 0; i < dn->nkids; i++) {
			struct fat_obj *o;
			if ((r = push_obj(p, &o)))
				return diag_fail(d, r, "out of memory");
			r = classify(p, dn->kids[i], o, &warned_skip, d);
			if (r == 1) {
				p->nobjs--;
				continue;
			}
			if (r)
				return r;
			if (!owned && (dn->kids[i]->uid || dn->kids[i]->gid))
				owned = dn->kids[i];
			if (o->is_dir) {
				o->dir = p->ndirs;
				if ((r = push_dir(p, p->nobjs - 1, di)))
					return diag_fail(d, r, "out of memory");
			}
		}
		p->dirs[di].nkids = p->nobjs - p->dirs[di].kid0;
		if ((r = name_dir(p, di, d)))
			return r;
	}
	if (owned) {
		char *path = node_path(owned);
		diag_warn(d, "FAT stores no owners: ownership from the tree (e.g. %s, %u:%u) is not kept",
			  path ? path : "?", owned->uid, owned->gid);
		free(path);
	}
	return 0;
}
