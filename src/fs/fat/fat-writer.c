/* SPDX-License-Identifier: MIT */
/*
 * FAT writer: tree -> plan (names, sizes, clusters) -> sink.
 *
 * Layout decisions (docs/formats/fat.md): directories are numbered
 * breadth-first in sorted order and get their clusters first (the FAT32
 * root at cluster 2), then every file's data follows in the same order,
 * each file contiguous. So the FAT is a set of ascending runs, readers
 * find all metadata near the start, and file data is written in one
 * forward sweep through a large write-combining buffer.
 */
#include "fs/fat/fat-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/size.h"
#include "fs/fat/fat-format.h"
#include "fs/fat/fat-names.h"
#include "fs/tree.h"
#include "io/sink.h"

#define MAX_DIR_ENTRIES 65536u    /* 32-byte slots per directory (2 MiB) */
#define MAX_SYMLINK_DEPTH 40
#define WBUF_SIZE (4u << 20)      /* write-combining buffers for file data */
#define FILE_MAX 0xFFFFFFFFull    /* 32-bit size field */

struct fat_obj {
	struct tree_node *node;        /* the directory entry */
	const struct tree_node *data;  /* regular file holding its bytes */
	uint64_t size;
	uint32_t first, nclus;
	uint32_t dir;                  /* directories: index in plan->dirs */
	uint8_t sfn[11], ntres, nlfn;
	bool is_dir;
};

struct fat_dir {
	uint32_t obj;                  /* UINT32_MAX for the root */
	uint32_t parent;
	uint32_t kid0, nkids;
	uint32_t nentries;
	uint32_t first, nclus;
};

struct fat_plan {
	struct tree *tree;
	struct fat_options o;
	uint8_t label[11];
	bool has_label;
	struct fat_geom g;
	uint64_t size, min_size;
	struct fat_obj *objs;
	uint32_t nobjs, capobjs;
	struct fat_dir *dirs;
	uint32_t ndirs, capdirs;
	uint32_t next_free;            /* first cluster after the allocated ones */
	uint32_t used;
	uint16_t root_need;            /* slots the root directory needs */
};

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

/* Fail with a message naming @n's path: "/a/b: why". */
static int fail_path(struct diag *d, int err, const struct tree_node *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_path(struct diag *d, int err, const struct tree_node *n, const char *fmt, ...)
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
			return fail_path(d, -EPERM, k, "FAT cannot store a symbolic link (-> %s); set symlinks = \"copy\" to store the file it points to, or \"skip\"",
					 data->link ? data->link : "");
		int depth = 0;
		const struct tree_node *tgt =
			walk(p->tree, k->parent ? k->parent : p->tree->root, data->link ? data->link : "", &depth);
		if (!tgt)
			return fail_path(d, -ENOENT, k, "symbolic link to %s: target not found in the image tree (or a loop)",
					 data->link ? data->link : "");
		if (!tree_is_reg(tgt))
			return fail_path(d, -EPERM, k, "symbolic link to %s: points to %s; only links to regular files can be copied",
					 data->link, tree_is_dir(tgt) ? "a directory" : type_name(tgt->mode));
		data = tgt;
	}
	if (tree_is_dir(data)) {
		o->is_dir = true;
		return 0;
	}
	if (!tree_is_reg(data))
		return fail_path(d, -EPERM, k, "FAT cannot store %s", type_name(data->mode));
	if (data->size > FILE_MAX)
		return fail_path(d, -EFBIG, k, "%llu bytes: FAT files must be smaller than 4 GiB",
				 (unsigned long long)data->size);
	if (data->size && !data->src_path) /* tree_node_src_path() composes it when writing */
		return fail_path(d, -EINVAL, k, "no source for the file's data");
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
			r = fail_path(d, r, o->node, "name longer than %u UTF-16 units, the VFAT limit", FAT_NAME_MAX);
			goto out;
		}
		if (r) {
			r = fail_path(d, -EINVAL, o->node, "name is not valid UTF-8");
			goto out;
		}
		const char *why = fat_name_check(u, len);
		if (why) {
			r = fail_path(d, -EINVAL, o->node, "%s: FAT cannot hold this name", why);
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
				r = fail_path(d, -EINVAL, o->node, "differs from %s only in case; FAT names are case-insensitive",
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
				r = fail_path(d, -EINVAL, o->node, "no free 8.3 short name left for this name");
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
		r = fail_path(d, -ENOSPC, dn, "directory needs %llu entries (long names take several); FAT allows %u",
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

static int scan(struct fat_plan *p, struct diag *d)
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

/* ---- sizing ---- */

static uint64_t dir_clusters(uint32_t nentries, uint32_t cb)
{
	uint64_t c = ((uint64_t)nentries * 32 + cb - 1) / cb;
	return c ? c : 1;
}

/* Data clusters the content needs at cluster size @cb (with the root in
 * the data area, as on FAT32, when @root_in_data). */
static uint64_t clusters_needed(const struct fat_plan *p, uint32_t cb, bool root_in_data)
{
	uint64_t c = 0;

	for (uint32_t i = root_in_data ? 0 : 1; i < p->ndirs; i++)
		c += dir_clusters(p->dirs[i].nentries, cb);
	for (uint32_t i = 0; i < p->nobjs; i++)
		if (!p->objs[i].is_dir)
			c += (p->objs[i].size + cb - 1) / cb;
	return c;
}

static bool fits(const struct fat_plan *p, uint64_t size, struct fat_geom *ret)
{
	struct fat_geom_req req = p->o.geom;
	struct fat_geom g;

	req.size = size;
	if (fat_geom_plan(&req, &g, NULL))
		return false;
	if (g.fat_type != 32 && p->root_need > g.root_entries)
		return false;
	if (clusters_needed(p, g.cluster_bytes, g.fat_type == 32) > g.clusters)
		return false;
	if (ret)
		*ret = g;
	return true;
}

/* Smallest size (multiple of 1 KiB) that holds the content; 0 if none. */
static uint64_t search_min_size(const struct fat_plan *p)
{
	uint64_t lo = 0, hi = 64 * 1024;

	while (!fits(p, hi, NULL)) {
		lo = hi;
		hi *= 2;
		if (hi > (1ull << 45))
			return 0;
	}
	while (hi - lo > 1024) {
		uint64_t mid = (lo + (hi - lo) / 2) & ~1023ull;
		if (mid <= lo)
			break;
		if (fits(p, mid, NULL))
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

static void allocate(struct fat_plan *p)
{
	const struct fat_geom *g = &p->g;
	uint32_t next = 2;

	for (uint32_t i = 0; i < p->ndirs; i++) {
		struct fat_dir *dd = &p->dirs[i];
		if (i == 0 && g->fat_type != 32)
			continue; /* FAT12/16 root: the fixed area */
		dd->first = next;
		dd->nclus = (uint32_t)dir_clusters(dd->nentries, g->cluster_bytes);
		next += dd->nclus;
		if (dd->obj != UINT32_MAX) {
			p->objs[dd->obj].first = dd->first;
			p->objs[dd->obj].nclus = dd->nclus;
		}
	}
	for (uint32_t i = 0; i < p->nobjs; i++) {
		struct fat_obj *o = &p->objs[i];
		if (o->is_dir || !o->size)
			continue;
		o->first = next;
		o->nclus = (uint32_t)((o->size + g->cluster_bytes - 1) / g->cluster_bytes);
		next += o->nclus;
	}
	p->next_free = next;
	p->used = next - 2;
}

static bool any_before_1980(const struct tree_node *n, int64_t limit)
{
	if (n->mtime < limit)
		return true;
	for (uint32_t i = 0; i < n->nkids; i++)
		if (any_before_1980(n->kids[i], limit))
			return true;
	return false;
}

int fat_plan_new(struct fat_plan **ret, struct tree *t, const struct fat_options *o,
		 struct diag *d)
{
	struct fat_plan *p = calloc(1, sizeof(*p));
	char hs[32], ns[32];
	const char *why;
	int r;

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	p->tree = t;
	p->o = *o;
	p->o.label = NULL;
	why = fat_label_encode(o->label, p->label);
	if (why) {
		r = diag_fail(d, -EINVAL, "label \"%s\": %s", o->label, why);
		goto fail;
	}
	p->has_label = o->label && *o->label;
	tree_finish(t);
	if ((r = scan(p, d)))
		goto fail;
	if (p->dirs[0].nentries > 0xFFF0) {
		p->root_need = 0xFFF0;
	} else {
		p->root_need = (uint16_t)p->dirs[0].nentries;
	}
	/* A FAT12/16 root larger than the default: grow it rather than fail,
	 * unless the user fixed the count. */
	if (!p->o.geom.root_entries && p->root_need > 512)
		p->o.geom.root_entries = p->root_need > 32768 ? 32768 : (p->root_need + 15u) & ~15u;

	p->min_size = search_min_size(p);
	if (o->geom.size) {
		struct fat_geom_req req = p->o.geom;
		if ((r = fat_geom_plan(&req, &p->g, d)))
			goto fail;
		if (!fits(p, o->geom.size, NULL)) {
			size_format(o->geom.size, hs, sizeof(hs));
			if (p->g.fat_type != 32 && p->root_need > p->g.root_entries) {
				r = diag_fail(d, -ENOSPC, "the root directory needs %u entries but FAT%u at %s has %u (set root entries with extraargs -r, or use FAT32)",
					      p->root_need, p->g.fat_type, hs, p->g.root_entries);
				goto fail;
			}
			uint64_t need = clusters_needed(p, p->g.cluster_bytes, p->g.fat_type == 32);
			if (p->min_size) {
				size_format(p->min_size, ns, sizeof(ns));
				r = diag_fail(d, -ENOSPC, "content does not fit: it needs %llu clusters of %u bytes but a %s FAT%u has %u; the smallest size that fits is %llu bytes (%s)",
					      (unsigned long long)need, p->g.cluster_bytes, hs, p->g.fat_type,
					      p->g.clusters, (unsigned long long)p->min_size, ns);
			} else {
				r = diag_fail(d, -ENOSPC, "content does not fit: it needs %llu clusters of %u bytes but a %s FAT%u has %u, and no size with these options holds it",
					      (unsigned long long)need, p->g.cluster_bytes, hs, p->g.fat_type,
					      p->g.clusters);
			}
			goto fail;
		}
		p->size = o->geom.size;
	} else {
		if (!p->min_size) {
			r = diag_fail(d, -ENOSPC, "no FAT%s with these options can hold the content",
				      o->geom.fat_type == 12 ? "12" : o->geom.fat_type == 16 ? "16" :
				      o->geom.fat_type == 32 ? "32" : "");
			goto fail;
		}
		uint64_t margin = o->margin_bytes ? o->margin_bytes : p->min_size / 100 * o->margin_percent;
		uint64_t sz = (p->min_size + margin + (1u << 20) - 1) & ~(uint64_t)((1u << 20) - 1);
		unsigned tries = 0;
		while (!fits(p, sz, NULL) && tries++ < 256)
			sz += 1u << 20;
		if (!fits(p, sz, &p->g)) {
			r = diag_fail(d, -ENOSPC, "cannot find a volume size that holds the content");
			goto fail;
		}
		p->size = sz;
	}
	if (o->media)
		p->g.media = o->media;
	allocate(p);
	if (any_before_1980(t->root, 315532800) || (p->has_label && o->epoch < 315532800))
		diag_warn(d, "FAT cannot store dates before 1980: earlier timestamps are stored as 1980-01-01");
	*ret = p;
	return 0;
fail:
	fat_plan_free(p);
	return r;
}

uint64_t fat_plan_size(const struct fat_plan *p)
{
	return p->size;
}

const struct fat_geom *fat_plan_geom(const struct fat_plan *p)
{
	return &p->g;
}

uint32_t fat_plan_used_clusters(const struct fat_plan *p)
{
	return p->used;
}

uint64_t fat_plan_min_size(const struct fat_plan *p)
{
	return p->min_size;
}

void fat_plan_set_hidden_sectors(struct fat_plan *p, uint32_t n)
{
	p->o.hidden_sectors = n;
}

void fat_plan_free(struct fat_plan *p)
{
	if (!p)
		return;
	free(p->objs);
	free(p->dirs);
	free(p);
}

/* ---- writing ---- */

static void fat_set(uint8_t *fat, unsigned type, uint32_t c, uint32_t v)
{
	if (type == 12) {
		uint8_t *b = fat + c * 3 / 2;
		if (c & 1) {
			b[0] = (uint8_t)((b[0] & 0x0F) | (v & 0x0F) << 4);
			b[1] = (uint8_t)(v >> 4);
		} else {
			b[0] = (uint8_t)v;
			b[1] = (uint8_t)((b[1] & 0xF0) | ((v >> 8) & 0x0F));
		}
	} else if (type == 16) {
		put_le16(fat + (size_t)c * 2, (uint16_t)v);
	} else {
		put_le32(fat + (size_t)c * 4, v & 0x0FFFFFFF);
	}
}

static void fat_run(uint8_t *fat, unsigned type, uint32_t first, uint32_t n, uint32_t eoc)
{
	for (uint32_t c = first; c + 1 < first + n; c++)
		fat_set(fat, type, c, c + 1);
	if (n)
		fat_set(fat, type, first + n - 1, eoc);
}

static int write_tables(const struct fat_plan *p, struct sink *out, struct diag *d)
{
	const struct fat_geom *g = &p->g;
	uint32_t ss = g->sector_size;
	uint8_t *sec = calloc(1, ss);
	uint8_t *fat = NULL;
	struct fat_bpb b;
	int r = -ENOMEM;

	if (!sec)
		goto out;
	memset(&b, 0, sizeof(b));
	b.fat_type = g->fat_type;
	memcpy(b.oem, "MSWIN4.1", 8); /* the spec's most compatible OEM name */
	b.bytes_per_sector = (uint16_t)ss;
	b.sectors_per_cluster = (uint8_t)g->sectors_per_cluster;
	b.reserved_sectors = (uint16_t)g->reserved;
	b.num_fats = (uint8_t)g->nfats;
	b.root_entries = (uint16_t)g->root_entries;
	b.total_sectors = g->total_sectors;
	b.media = g->media;
	b.fat_sectors = g->fat_sectors;
	b.sectors_per_track = g->sectors_per_track;
	b.heads = g->heads;
	b.hidden_sectors = p->o.hidden_sectors;
	b.drive_number = p->o.drive_number_set ? p->o.drive_number : g->media == 0xF8 ? 0x80 : 0;
	b.volume_id = p->o.volume_id;
	memcpy(b.label, p->label, 11);
	b.root_cluster = 2;
	b.fsinfo_sector = 1;
	b.backup_boot_sector = g->backup_boot;
	fat_bpb_encode(&b, sec);
	if ((r = sink_pwrite(out, sec, ss, 0)))
		goto out;
	if (g->fat_type == 32) {
		if (g->backup_boot && (r = sink_pwrite(out, sec, ss, (uint64_t)g->backup_boot * ss)))
			goto out;
		memset(sec, 0, ss);
		uint32_t free_count = g->clusters - p->used;
		fat_fsinfo_encode(free_count, free_count ? p->next_free : 0xFFFFFFFF, sec);
		if ((r = sink_pwrite(out, sec, ss, (uint64_t)ss)))
			goto out;
	}

	/* Only the used head of each FAT is written: the rest is free (zero),
	 * which the sink already is. */
	uint64_t ents = p->next_free;
	uint64_t bytes = g->fat_type == 12 ? (ents * 3 + 1) / 2 : ents * (g->fat_type / 8);
	bytes = (bytes + ss - 1) / ss * ss;
	fat = calloc(1, bytes + 4);
	if (!fat) {
		r = -ENOMEM;
		goto out;
	}
	uint32_t eoc = g->fat_type == 12 ? 0xFFF : g->fat_type == 16 ? 0xFFFF : 0x0FFFFFFF;
	fat_set(fat, g->fat_type, 0, (0x0FFFFF00 | g->media) & eoc);
	fat_set(fat, g->fat_type, 1, eoc);
	for (uint32_t i = 0; i < p->ndirs; i++)
		fat_run(fat, g->fat_type, p->dirs[i].first, p->dirs[i].nclus, eoc);
	for (uint32_t i = 0; i < p->nobjs; i++)
		if (!p->objs[i].is_dir)
			fat_run(fat, g->fat_type, p->objs[i].first, p->objs[i].nclus, eoc);
	for (uint32_t k = 0; k < g->nfats; k++) {
		uint64_t off = ((uint64_t)g->reserved + (uint64_t)k * g->fat_sectors) * ss;
		if ((r = sink_pwrite(out, fat, bytes, off)))
			goto out;
	}
	r = 0;
out:
	if (r == -ENOMEM)
		diag_fail(d, r, "out of memory");
	free(sec);
	free(fat);
	return r;
}

static void time_of(int64_t t, struct fat_dirent *e)
{
	fat_time_encode(t, &e->date, &e->time, &e->tenth, NULL);
}

static int write_dir(const struct fat_plan *p, uint32_t di, uint8_t *buf, size_t cap,
		     struct sink *out)
{
	const struct fat_geom *g = &p->g;
	const struct fat_dir *dd = &p->dirs[di];
	const struct tree_node *dn = di ? p->objs[dd->obj].node : p->tree->root;
	size_t used = (size_t)dd->nentries * 32;
	size_t len = (used + g->sector_size - 1) / g->sector_size * g->sector_size;
	struct fat_dirent e;
	uint16_t u[FAT_NAME_MAX];
	uint8_t *w = buf;
	uint64_t off;

	if (!len)
		return 0;
	if (len > cap)
		return -EOVERFLOW;
	memset(buf, 0, len);
	memset(&e, 0, sizeof(e));
	if (!di) {
		if (p->has_label) {
			memcpy(e.name, p->label, 11);
			e.attr = FAT_ATTR_VOLUME_ID;
			time_of(p->o.epoch, &e);
			fat_dirent_encode(&e, w);
			w += 32;
		}
	} else {
		memset(e.name, ' ', 11);
		e.name[0] = '.';
		e.attr = FAT_ATTR_DIRECTORY;
		time_of(dn->mtime, &e);
		e.first_cluster = dd->first;
		fat_dirent_encode(&e, w);
		w += 32;
		e.name[1] = '.';
		/* ".." of a directory in the root points to cluster 0, even on FAT32. */
		e.first_cluster = dd->parent ? p->dirs[dd->parent].first : 0;
		fat_dirent_encode(&e, w);
		w += 32;
	}
	for (uint32_t i = 0; i < dd->nkids; i++) {
		const struct fat_obj *o = &p->objs[dd->kid0 + i];
		if (o->nlfn) {
			unsigned ul = 0;
			fat_utf8_to_utf16(o->node->name, u, FAT_NAME_MAX, &ul); /* checked in the plan */
			fat_lfn_encode(u, ul, fat_lfn_checksum(o->sfn), w);
			w += (size_t)o->nlfn * 32;
		}
		memset(&e, 0, sizeof(e));
		memcpy(e.name, o->sfn, 11);
		e.ntres = o->ntres;
		e.attr = o->is_dir ? FAT_ATTR_DIRECTORY : FAT_ATTR_ARCHIVE;
		time_of(o->node->mtime, &e);
		e.first_cluster = o->first;
		e.size = o->is_dir ? 0 : (uint32_t)o->size;
		fat_dirent_encode(&e, w);
		w += 32;
	}
	if (di == 0 && g->fat_type != 32)
		off = ((uint64_t)g->reserved + (uint64_t)g->nfats * g->fat_sectors) * g->sector_size;
	else
		off = fat_cluster_offset(g, dd->first);
	return sink_pwrite(out, buf, len, off);
}

static int write_dirs(const struct fat_plan *p, struct sink *out, struct diag *d)
{
	size_t cap = 0;
	uint8_t *buf;
	int r = 0;

	for (uint32_t i = 0; i < p->ndirs; i++) {
		size_t need = (size_t)p->dirs[i].nentries * 32 + p->g.sector_size;
		if (need > cap)
			cap = need;
	}
	buf = malloc(cap);
	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < p->ndirs && !r; i++)
		r = write_dir(p, i, buf, cap, out);
	free(buf);
	return r;
}

/*
 * File data goes through large buffers: consecutive files are contiguous
 * on disk, so many small files become few large writes. A writer thread
 * takes filled buffers in order and writes them (fsyncing every
 * SYNC_EVERY bytes, so the device writes while we read instead of all at
 * the final flush) while the caller reads the next files.
 */
#define NBUF 3
#define SYNC_EVERY (32ull << 20)

struct wbuf {
	uint8_t *b;     /* the buffer being filled */
	uint64_t off;   /* sink offset of b[0] */
	size_t len;
	/* pipeline */
	struct sink *out;
	pthread_t thr;
	bool started, done;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *buf[NBUF];
	uint64_t boff[NBUF];
	size_t blen[NBUF];
	bool full[NBUF];
	unsigned fill, take;
	int err;
};

static void *wb_thread(void *arg)
{
	struct wbuf *w = arg;
	uint64_t since_sync = 0;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->full[w->take] && !w->done)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->full[w->take])
			break;
		unsigned k = w->take;
		int err = w->err;
		pthread_mutex_unlock(&w->mu);
		int r = 0;
		if (!err) {
			r = sink_pwrite(w->out, w->buf[k], w->blen[k], w->boff[k]);
			since_sync += w->blen[k];
			if (!r && since_sync >= SYNC_EVERY) {
				r = sink_sync(w->out);
				since_sync = 0;
			}
		}
		pthread_mutex_lock(&w->mu);
		if (r && !w->err)
			w->err = r;
		w->full[k] = false;
		w->take = (k + 1) % NBUF;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int wb_start(struct wbuf *w, struct sink *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	for (unsigned i = 0; i < NBUF; i++)
		if (!(w->buf[i] = malloc(WBUF_SIZE)))
			return -ENOMEM;
	w->b = w->buf[0];
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thr, NULL, wb_thread, w)) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		return -EAGAIN;
	}
	w->started = true;
	return 0;
}

/* Hand the filled buffer to the writer and take the next free one. */
static int wb_flush(struct wbuf *w, struct sink *out)
{
	int r;

	(void)out;
	pthread_mutex_lock(&w->mu);
	if (w->len) {
		w->boff[w->fill] = w->off;
		w->blen[w->fill] = w->len;
		w->full[w->fill] = true;
		pthread_cond_broadcast(&w->cv);
		w->fill = (w->fill + 1) % NBUF;
		while (w->full[w->fill])
			pthread_cond_wait(&w->cv, &w->mu);
		w->b = w->buf[w->fill];
	}
	w->len = 0;
	r = w->err;
	pthread_mutex_unlock(&w->mu);
	return r;
}

/* Flush, wait for the writer to finish everything, free. */
static int wb_finish(struct wbuf *w, bool flush)
{
	int r = 0;

	if (w->started) {
		if (flush)
			r = wb_flush(w, w->out);
		pthread_mutex_lock(&w->mu);
		w->done = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thr, NULL);
		if (!r)
			r = w->err;
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
	}
	for (unsigned i = 0; i < NBUF; i++)
		free(w->buf[i]);
	return r;
}

/* Read-ahead: ask the kernel for the next files' data while we copy the
 * current one, so many small files are read with a deep queue. */
#define PF_MAX 64
#define PF_BYTES (16ull << 20)

struct prefetch {
	int fd[PF_MAX];
	uint32_t obj[PF_MAX];
	unsigned head, count;
	uint32_t next;
	uint64_t bytes;
};

static void pf_fill(const struct fat_plan *p, struct prefetch *pf)
{
	while (pf->count < PF_MAX && pf->bytes < PF_BYTES && pf->next < p->nobjs) {
		const struct fat_obj *o = &p->objs[pf->next];
		uint32_t i = pf->next++;
		if (o->is_dir || !o->size)
			continue;
		char pb[TREE_SRC_PATH_MAX];
		const char *sp = tree_node_src_path(o->data, pb, sizeof(pb));
		int fd = sp ? open(sp, O_RDONLY | O_CLOEXEC) : -1;
		if (fd >= 0)
			posix_fadvise(fd, (off_t)o->data->src_off, (off_t)o->size, POSIX_FADV_WILLNEED);
		unsigned slot = (pf->head + pf->count++) % PF_MAX;
		pf->fd[slot] = fd;
		pf->obj[slot] = i;
		pf->bytes += o->size;
	}
}

/* The prefetched fd of object @i (or -1: open it yourself). */
static int pf_take(const struct fat_plan *p, struct prefetch *pf, uint32_t i)
{
	while (pf->count && pf->obj[pf->head] <= i) {
		unsigned slot = pf->head;
		pf->head = (pf->head + 1) % PF_MAX;
		pf->count--;
		pf->bytes -= p->objs[pf->obj[slot]].size;
		if (pf->obj[slot] == i)
			return pf->fd[slot];
		if (pf->fd[slot] >= 0)
			close(pf->fd[slot]);
	}
	return -1;
}

static void pf_release(struct prefetch *pf)
{
	while (pf->count) {
		if (pf->fd[pf->head] >= 0)
			close(pf->fd[pf->head]);
		pf->head = (pf->head + 1) % PF_MAX;
		pf->count--;
	}
}

static int read_full(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	while (n) {
		ssize_t got = pread(fd, buf, n, (off_t)off);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!got)
			return -ENODATA;
		buf += got;
		n -= (size_t)got;
		off += (uint64_t)got;
	}
	return 0;
}

static int write_file(const struct fat_plan *p, const struct fat_obj *o, int fd, struct wbuf *w,
		      struct sink *out, struct diag *d)
{
	const struct fat_geom *g = &p->g;
	char pb[TREE_SRC_PATH_MAX];
	const char *src = tree_node_src_path(o->data, pb, sizeof(pb));
	uint64_t off = fat_cluster_offset(g, o->first), left = o->size, pos = o->data->src_off;
	struct stat st;
	int r;

	if (fd < 0)
		fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_path(d, -errno, o->node, "cannot read %s: %s", src, strerror(errno));
	/* A source that changed since planning is an error, not a silent
	 * truncation (spill files hold several sources: only check the end). */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    ((uint64_t)st.st_size < pos + left || (!pos && (uint64_t)st.st_size != left))) {
		close(fd);
		return fail_path(d, -EIO, o->node, "%s is %llu bytes, planned with %llu (changed while building?)",
				 src, (unsigned long long)st.st_size, (unsigned long long)(pos + left));
	}
	if (w->len && w->off + w->len != off && (r = wb_flush(w, out)))
		goto out;
	while (left) {
		if (w->len == WBUF_SIZE && (r = wb_flush(w, out)))
			goto out;
		if (!w->len)
			w->off = off + (o->size - left);
		size_t n = WBUF_SIZE - w->len;
		if (n > left)
			n = (size_t)left;
		r = read_full(fd, w->b + w->len, n, pos);
		if (r) {
			r = r == -ENODATA ? fail_path(d, -EIO, o->node, "%s: file is shorter than planned (changed while building?)", src)
					  : fail_path(d, r, o->node, "cannot read %s: %s", src, strerror(-r));
			goto out;
		}
		w->len += n;
		left -= n;
		pos += n;
	}
	/* Pad to the end of the last cluster so the next file stays in the
	 * same buffer (slack must read as zeros). */
	size_t slack = (size_t)((uint64_t)o->nclus * g->cluster_bytes - o->size);
	if (w->len + slack <= WBUF_SIZE) {
		memset(w->b + w->len, 0, slack);
		w->len += slack;
	} else if ((r = wb_flush(w, out))) { /* slack stays a hole */
		goto out;
	}
	r = 0;
out:
	close(fd);
	return r;
}

int fat_plan_write(const struct fat_plan *p, struct sink *out, struct diag *d)
{
	struct wbuf w;
	struct prefetch pf = { 0 };
	int r;

	if (out->size != UINT64_MAX && out->size < p->size)
		return diag_fail(d, -ENOSPC, "output is %llu bytes, the FAT needs %llu",
				 (unsigned long long)out->size, (unsigned long long)p->size);
	if ((r = write_tables(p, out, d)) || (r = write_dirs(p, out, d)))
		return r;
	r = wb_start(&w, out);
	if (r) {
		wb_finish(&w, false);
		return diag_fail(d, r, "cannot start the writer: %s", strerror(-r));
	}
	for (uint32_t i = 0; i < p->nobjs && !r; i++) {
		if (p->objs[i].is_dir || !p->objs[i].size)
			continue;
		pf_fill(p, &pf);
		r = write_file(p, &p->objs[i], pf_take(p, &pf, i), &w, out, d);
	}
	pf_release(&pf);
	int r2 = wb_finish(&w, !r);
	if (!r && r2)
		r = diag_fail(d, r2, "writing the image: %s", strerror(-r2));
	return r;
}
