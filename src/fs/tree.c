/* SPDX-License-Identifier: MIT */
/* The input tree model: nodes, layers, paths, links (see tree.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "fs/tree-int.h"

#define TREE_MAX_DEPTH 4096
#define TREE_MAX_PATH 65536

const char *tree_node_src_path(const struct tree_node *n, char *buf, size_t bufsize)
{
	if (!src_is_dir(n->src_path))
		return n->src_path;
	int l = snprintf(buf, bufsize, "%s/%s", n->src_path + 1, n->name);
	return l >= 0 && (size_t)l < bufsize ? buf : NULL;
}

static struct tree_node *node_new(struct tree *t, const char *name, size_t len)
{
	struct tree_mem *m = t->mem;
	struct tree_node *n = m->free_nodes;
	char *nm = tree_mem_strndup(m, name, len);

	if (!nm)
		return NULL;
	if (n)
		m->free_nodes = n->parent;
	else if (!(n = tree_mem_alloc(m, sizeof(*n), _Alignof(struct tree_node))))
		return NULL;
	memset(n, 0, sizeof(*n));
	n->name = nm;
	return n;
}

static void node_clear_xattrs(struct tree_node *n)
{
	for (uint32_t i = 0; i < n->nxattrs; i++) {
		free(n->xattrs[i].name);
		free(n->xattrs[i].value);
	}
	free(n->xattrs);
	n->xattrs = NULL;
	n->nxattrs = 0;
}

/* Free what @n holds outside the arena, recursively. With @reuse the
 * nodes go back on the free list (not when the whole tree goes). */
static void node_free(struct tree *t, struct tree_node *n, bool reuse)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n->nkids; i++)
		node_free(t, n->kids[i], reuse);
	node_clear_xattrs(n);
	free(n->kids);
	n->kids = NULL;
	tree_mem_drop(t->mem, &n->link);
	tree_mem_drop(t->mem, &n->src_path);
	tree_mem_drop(t->mem, &n->name);
	if (reuse) {
		n->parent = t->mem->free_nodes;
		t->mem->free_nodes = n;
	}
}

int tree_new(struct tree **ret, int64_t epoch)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->mem = calloc(1, sizeof(*t->mem));
	if (!t->mem)
		goto fail;
	t->root = node_new(t, "", 0);
	if (!t->root)
		goto fail;
	t->root->mode = 0040755;
	t->root->mtime = epoch;
	t->root->layer = TREE_MAX_LAYERS; /* built-in until a layer sets it */
	t->epoch = epoch;
	*ret = t;
	return 0;
fail:
	tree_free(t);
	return -ENOMEM;
}

void tree_free(struct tree *t)
{
	if (!t)
		return;
	if (t->mem) {
		node_free(t, t->root, false);
		tree_mem_release(t->mem);
	}
	for (uint32_t i = 0; i < t->nlayers; i++) {
		free(t->layer_names[i]);
		free(t->layer_pkgs ? t->layer_pkgs[i] : NULL);
	}
	free(t->layer_names);
	free(t->layer_pkgs);
	free(t);
}

int tree_add_layer(struct tree *t, const char *name)
{
	char **nl;

	/* The last index stays free: it marks the built-in root. */
	if (t->nlayers >= TREE_MAX_LAYERS - 1)
		return -E2BIG;
	nl = realloc(t->layer_names, (t->nlayers + 1) * sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	t->layer_names = nl;
	if (t->layer_pkgs) {
		char **np = realloc(t->layer_pkgs, (t->nlayers + 1) * sizeof(*np));
		if (!np)
			return -ENOMEM;
		t->layer_pkgs = np;
		np[t->nlayers] = NULL;
	}
	nl[t->nlayers] = strdup(name);
	if (!nl[t->nlayers])
		return -ENOMEM;
	return (int)t->nlayers++;
}

int tree_set_layer_package(struct tree *t, uint32_t layer, const char *pkg)
{
	char *c;

	if (layer >= t->nlayers)
		return -EINVAL;
	/* Allocated at the first package: most trees have none. */
	if (!t->layer_pkgs && !(t->layer_pkgs = calloc(t->nlayers, sizeof(*t->layer_pkgs))))
		return -ENOMEM;
	if (!(c = strdup(pkg)))
		return -ENOMEM;
	free(t->layer_pkgs[layer]);
	t->layer_pkgs[layer] = c;
	return 0;
}

static const char *layer_name(const struct tree *t, uint32_t l)
{
	return l < t->nlayers ? t->layer_names[l] : "(built-in)";
}

/* Binary search among sorted kids: index of @name, or -(insert pos)-1. */
static long kid_find(const struct tree_node *dir, const char *name, size_t len)
{
	long lo = 0, hi = (long)dir->nkids - 1;

	while (lo <= hi) {
		long mid = (lo + hi) / 2;
		const char *k = dir->kids[mid]->name;
		int c = strncmp(k, name, len);
		if (!c && k[len])
			c = 1;
		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -lo - 1;
}

static int kid_insert(struct tree *t, struct tree_node *dir, long pos, struct tree_node *n)
{
	if (dir->nkids == dir->capkids) {
		uint32_t nc = dir->capkids ? dir->capkids * 2 : 4;
		struct tree_node **nk = realloc(dir->kids, nc * sizeof(*nk));
		if (!nk)
			return -ENOMEM;
		dir->kids = nk;
		dir->capkids = nc;
	}
	memmove(dir->kids + pos + 1, dir->kids + pos, (dir->nkids - (uint32_t)pos) * sizeof(*dir->kids));
	dir->kids[pos] = n;
	dir->nkids++;
	n->parent = dir;
	t->nnodes++;
	return 0;
}

/* Walk @path, creating directories when @create. On success *ret is the
 * parent directory and (*ret_name, *ret_len) the last component. */
static int walk_parent(struct tree *t, const char *path, bool create, uint32_t layer,
		       struct tree_node **ret, const char **ret_name, size_t *ret_len,
		       struct diag *d)
{
	struct tree_node *cur = t->root;
	const char *p = path;
	unsigned depth = 0;

	if (strlen(path) > TREE_MAX_PATH)
		return diag_fail(d, -ENAMETOOLONG, "path too long: %.64s...", path);
	while (*p == '/')
		p++;
	if (!*p)
		return diag_fail(d, -EINVAL, "path \"%s\": names the root", path);
	for (;;) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return diag_fail(d, -EINVAL, "path \"%s\": '.' or '..' component", path);
		if (len > 255)
			return diag_fail(d, -ENAMETOOLONG, "path \"%s\": component longer than 255 bytes", path);
		const char *rest = e;
		while (rest && *rest == '/')
			rest++;
		if (!rest || !*rest) {
			*ret = cur;
			*ret_name = p;
			*ret_len = len;
			return 0;
		}
		if (++depth > TREE_MAX_DEPTH)
			return diag_fail(d, -ELOOP, "path \"%s\": too deep", path);
		long i = kid_find(cur, p, len);
		if (i >= 0) {
			cur = cur->kids[i];
			if (!tree_is_dir(cur))
				return diag_fail(d, -ENOTDIR, "path \"%s\": \"%.*s\" is not a directory",
						 path, (int)(rest - path - 1), path);
		} else {
			if (!create)
				return -ENOENT;
			struct tree_node *n = node_new(t, p, len);
			if (!n)
				return diag_fail(d, -ENOMEM, "out of memory");
			n->mode = 0040755;
			n->mtime = t->epoch;
			n->layer = (uint16_t)layer;
			int r = kid_insert(t, cur, -i - 1, n);
			if (r) {
				node_free(t, n, true);
				return diag_fail(d, r, "out of memory");
			}
			cur = n;
		}
		p = rest;
	}
}

static void node_clear_content(struct tree *t, struct tree_node *n)
{
	tree_mem_drop(t->mem, &n->link);
	tree_mem_drop(t->mem, &n->src_path);
	n->src_off = 0;
	node_clear_xattrs(n);
	n->hardlink = NULL;
}

int tree_node_set_src(struct tree *t, struct tree_node *n, const char *path, uint64_t off)
{
	char *p = NULL;

	if (src_is_dir(path)) {
		size_t l = strlen(path);
		if ((p = tree_mem_alloc(t->mem, l + 3, 1))) {
			memcpy(p, "./", 2);
			memcpy(p + 2, path, l + 1);
		}
	} else if (path) {
		p = tree_mem_intern(t->mem, path);
	}
	if (path && !p)
		return -ENOMEM;
	tree_mem_drop(t->mem, &n->src_path);
	n->src_path = p;
	n->src_off = path ? off : 0;
	return 0;
}

/* Times after the epoch become the epoch itself, without a fraction. */
static void node_set_time(const struct tree *t, struct tree_node *n, int64_t s, uint32_t ns)
{
	if (ns > 999999999u)
		ns = 0;
	if (s > t->epoch || (s == t->epoch && ns)) {
		s = t->epoch;
		ns = 0;
	}
	n->mtime = s;
	n->mtime_ns = ns;
}

static void node_set_attr(const struct tree *t, struct tree_node *n, const struct tree_attr *a,
			  uint32_t layer)
{
	n->mode = a->mode;
	n->uid = a->uid;
	n->gid = a->gid;
	node_set_time(t, n, a->mtime, a->mtime_ns);
	n->layer = (uint16_t)layer;
}

bool tree_set_root(struct tree *t, const struct tree_attr *a, enum tree_conflict policy,
		   uint32_t layer)
{
	if (policy == TREE_CONFLICT_KEEP_FIRST && t->root->layer != TREE_MAX_LAYERS)
		return false;
	node_set_attr(t, t->root, a, layer);
	t->root->mode = (a->mode & 07777) | 0040000;
	return true;
}

static int node_set(struct tree *t, struct tree_node *n, const struct tree_attr *a, uint32_t layer)
{
	node_clear_content(t, n);
	node_set_attr(t, n, a, layer);
	n->size = tree_is_reg(n) ? a->size : 0;
	n->rdev_major = a->rdev_major;
	n->rdev_minor = a->rdev_minor;
	if (a->link) {
		size_t l = strlen(a->link);
		n->link = tree_mem_strndup(t->mem, a->link, l);
		if (!n->link)
			return -ENOMEM;
		n->size = l;
	}
	if (a->src_path)
		return tree_node_set_src(t, n, a->src_path, a->src_off);
	return 0;
}

/* Drop hard links that point into a subtree about to be freed. */
static void unlink_refs(struct tree *t, struct tree_node *scan, struct tree_node *victim);

static bool is_under(const struct tree_node *n, const struct tree_node *top)
{
	for (; n; n = n->parent)
		if (n == top)
			return true;
	return false;
}

static void unlink_refs(struct tree *t, struct tree_node *scan, struct tree_node *victim)
{
	if (scan->hardlink && is_under(scan->hardlink, victim)) {
		/* The link outlives its target: it becomes the data holder. */
		struct tree_node *tgt = scan->hardlink;
		scan->hardlink = NULL;
		scan->size = tgt->size;
		/* On failure (out of memory, path too long) the link is left
		 * without data: writers then fail naming it. The buffer is on
		 * the heap: this function recurses. */
		char *buf = malloc(TREE_SRC_PATH_MAX);
		if (buf)
			tree_node_set_src(t, scan, tree_node_src_path(tgt, buf, TREE_SRC_PATH_MAX),
					  tgt->src_off);
		free(buf);
		for (uint32_t i = 0; i < tgt->nxattrs; i++)
			tree_set_xattr(scan, tgt->xattrs[i].name, tgt->xattrs[i].value, tgt->xattrs[i].len);
	}
	for (uint32_t i = 0; i < scan->nkids; i++)
		unlink_refs(t, scan->kids[i], victim);
}

int tree_add(struct tree *t, const char *path, const struct tree_attr *a,
	     enum tree_conflict policy, uint32_t layer, struct tree_node **ret, struct diag *d)
{
	struct tree_node *dir = NULL, *n;
	const char *name = NULL;
	size_t len = 0;
	int r = walk_parent(t, path, true, layer, &dir, &name, &len, d);

	if (r)
		return r;
	long i = kid_find(dir, name, len);
	if (i < 0) {
		n = node_new(t, name, len);
		if (!n)
			return diag_fail(d, -ENOMEM, "out of memory");
		r = node_set(t, n, a, layer);
		if (!r)
			r = kid_insert(t, dir, -i - 1, n);
		if (r) {
			node_free(t, n, true);
			return diag_fail(d, r, "out of memory");
		}
		if (ret)
			*ret = n;
		return 0;
	}
	n = dir->kids[i];
	bool both_dirs = tree_is_dir(n) && (a->mode & 0170000) == 0040000;
	if (both_dirs) {
		/* Directories merge; attributes follow the policy. */
		if (policy == TREE_CONFLICT_KEEP_FIRST) {
			if (ret)
				*ret = NULL;
			return 0;
		}
		node_set_attr(t, n, a, layer);
		if (ret)
			*ret = n;
		return 0;
	}
	switch (policy) {
	case TREE_CONFLICT_ERROR:
		return diag_fail(d, -EEXIST, "\"/%s\": provided by both %s and %s (set conflicts = keep-first or replace)",
				 path[0] == '/' ? path + 1 : path, layer_name(t, n->layer),
				 layer_name(t, layer));
	case TREE_CONFLICT_KEEP_FIRST:
		if (ret)
			*ret = NULL;
		return 0;
	case TREE_CONFLICT_REPLACE:
		break;
	}
	/* Replace: a directory replaced by a non-directory loses its subtree. */
	unlink_refs(t, t->root, n);
	for (uint32_t k = 0; k < n->nkids; k++)
		node_free(t, n->kids[k], true);
	free(n->kids);
	n->kids = NULL;
	n->nkids = n->capkids = 0;
	r = node_set(t, n, a, layer);
	if (r)
		return diag_fail(d, r, "out of memory");
	if (ret)
		*ret = n;
	return 0;
}

static struct tree_node *lookup(struct tree *t, const char *path)
{
	struct tree_node *cur = t->root;
	const char *p = path;

	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			return cur;
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (!tree_is_dir(cur))
			return NULL;
		long i = kid_find(cur, p, len);
		if (i < 0)
			return NULL;
		cur = cur->kids[i];
		p += len;
	}
}

struct tree_node *tree_lookup(struct tree *t, const char *path)
{
	return lookup(t, path);
}

int tree_add_hardlink(struct tree *t, const char *path, const char *target,
		      enum tree_conflict policy, uint32_t layer, struct diag *d)
{
	struct tree_node *tgt = lookup(t, target), *n;
	int r;

	if (!tgt)
		return diag_fail(d, -ENOENT, "hard link \"%s\": target \"%s\" does not exist", path,
				 target);
	while (tgt->hardlink)
		tgt = tgt->hardlink;
	if (tree_is_dir(tgt))
		return diag_fail(d, -EPERM, "hard link \"%s\": target \"%s\" is a directory", path,
				 target);
	/* Replacing a directory that holds the target would free it. */
	struct tree_node *old = lookup(t, path);
	if (old && old != tgt && is_under(tgt, old))
		return diag_fail(d, -EINVAL, "hard link \"%s\": would replace the directory "
				 "holding its target \"%s\"", path, target);
	struct tree_attr a = { .mode = tgt->mode, .uid = tgt->uid, .gid = tgt->gid,
			       .mtime = tgt->mtime, .mtime_ns = tgt->mtime_ns };
	r = tree_add(t, path, &a, policy, layer, &n, d);
	if (r || !n)
		return r;
	if (n == tgt)
		return 0;
	n->hardlink = tgt;
	return 0;
}

int tree_remove(struct tree *t, const char *path)
{
	struct tree_node *n = lookup(t, path);

	if (!n || n == t->root)
		return -ENOENT;
	struct tree_node *dir = n->parent;
	long i = kid_find(dir, n->name, strlen(n->name));
	if (i < 0)
		return -ENOENT;
	unlink_refs(t, t->root, n);
	memmove(dir->kids + i, dir->kids + i + 1, (dir->nkids - (uint32_t)i - 1) * sizeof(*dir->kids));
	dir->nkids--;
	node_free(t, n, true);
	return 0;
}

/* Move the entries of directory @from into directory @to (see
 * tree_merge_dir()). Entries leave @from from the end, so a failure
 * leaves both directories sorted and every node in one of them. */
static int merge_kids(struct tree *t, struct tree_node *from, struct tree_node *to,
		      int (*clash)(void *ud, const struct tree_node *moving,
				   const struct tree_node *staying),
		      void *ud)
{
	int r;

	while (from->nkids) {
		struct tree_node *k = from->kids[from->nkids - 1];
		long i = kid_find(to, k->name, strlen(k->name));
		struct tree_node *o = i >= 0 ? to->kids[i] : NULL;
		if (o && tree_is_dir(o) && tree_is_dir(k)) {
			if ((r = merge_kids(t, k, o, clash, ud)))
				return r;
			from->nkids--;
			node_free(t, k, true);
			continue;
		}
		if (o) {
			if ((r = clash(ud, k, o)) < 0)
				return r;
			struct tree_node *victim = r ? o : k;
			unlink_refs(t, t->root, victim);
			if (!r) {
				from->nkids--;
				node_free(t, k, true);
				continue;
			}
			memmove(to->kids + i, to->kids + i + 1,
				(to->nkids - (uint32_t)i - 1) * sizeof(*to->kids));
			to->nkids--;
			t->nnodes--;
			node_free(t, o, true);
			i = kid_find(to, k->name, strlen(k->name));
		}
		from->nkids--;
		t->nnodes--;
		if (kid_insert(t, to, -i - 1, k)) {
			from->nkids++;
			t->nnodes++;
			return -ENOMEM;
		}
	}
	return 0;
}

int tree_merge_dir(struct tree *t, const char *from, const char *to,
		   int (*clash)(void *ud, const struct tree_node *moving,
				const struct tree_node *staying),
		   void *ud, struct diag *d)
{
	struct tree_node *f = lookup(t, from), *o = lookup(t, to);
	int r;

	if (!f || f == t->root)
		return diag_fail(d, -ENOENT, "\"/%s\": no such directory", from);
	if (!tree_is_dir(f))
		return diag_fail(d, -ENOTDIR, "\"/%s\": not a directory", from);
	if (!o) {
		struct tree_attr a = { .mode = 0040755, .mtime = t->epoch };
		if ((r = tree_add(t, to, &a, TREE_CONFLICT_ERROR, f->layer, &o, d)))
			return r;
	}
	if (!tree_is_dir(o))
		return diag_fail(d, -ENOTDIR, "\"/%s\": not a directory", to);
	if (is_under(o, f) || is_under(f, o))
		return diag_fail(d, -EINVAL, "\"/%s\" and \"/%s\": one holds the other", from, to);
	r = merge_kids(t, f, o, clash, ud);
	if (r == -ENOMEM)
		return diag_fail(d, r, "out of memory");
	return r;
}

int tree_set_xattr(struct tree_node *n, const char *name, const void *value, uint32_t len)
{
	uint8_t *v = malloc(len ? len : 1);

	if (!v)
		return -ENOMEM;
	memcpy(v, value, len);
	for (uint32_t i = 0; i < n->nxattrs; i++) {
		if (!strcmp(n->xattrs[i].name, name)) {
			free(n->xattrs[i].value);
			n->xattrs[i].value = v;
			n->xattrs[i].len = len;
			return 0;
		}
	}
	if (n->nxattrs >= TREE_MAX_XATTRS) {
		free(v);
		return -E2BIG;
	}
	struct tree_xattr *nx = realloc(n->xattrs, (n->nxattrs + 1) * sizeof(*nx));
	if (!nx) {
		free(v);
		return -ENOMEM;
	}
	n->xattrs = nx;
	nx[n->nxattrs].name = strdup(name);
	if (!nx[n->nxattrs].name) {
		free(v);
		return -ENOMEM;
	}
	nx[n->nxattrs].value = v;
	nx[n->nxattrs].len = len;
	n->nxattrs++;
	return 0;
}

/* ---- finishing and walking ---- */

static int cmp_node(const void *a, const void *b)
{
	return strcmp((*(struct tree_node *const *)a)->name, (*(struct tree_node *const *)b)->name);
}

static void finish(struct tree_node *n)
{
	n->nlink = tree_is_dir(n) ? 2 : 1;
	/* Growth doubled the arrays; writers only read them from now on. */
	if (n->nkids && n->nkids < n->capkids) {
		struct tree_node **k = realloc(n->kids, n->nkids * sizeof(*k));
		if (k) {
			n->kids = k;
			n->capkids = n->nkids;
		}
	}
	if (n->nkids > 1)
		qsort(n->kids, n->nkids, sizeof(*n->kids), cmp_node);
	for (uint32_t i = 0; i < n->nkids; i++)
		finish(n->kids[i]);
}

static void count_links(struct tree_node *n)
{
	for (uint32_t i = 0; i < n->nkids; i++) {
		struct tree_node *k = n->kids[i];
		if (tree_is_dir(k))
			n->nlink++;
		if (k->hardlink)
			k->hardlink->nlink++;
		count_links(k);
	}
}

void tree_finish(struct tree *t)
{
	finish(t->root);
	count_links(t->root);
}

char *tree_path(const struct tree_node *n)
{
	size_t len = 0, pos;
	const struct tree_node *p;
	char *s;

	/* Length with a leading '/', then fill from the end and drop it. */
	for (p = n; p && p->parent; p = p->parent)
		len += strlen(p->name) + 1;
	s = malloc(len + 1);
	if (!s)
		return NULL;
	pos = len;
	s[pos] = 0;
	for (p = n; p && p->parent; p = p->parent) {
		size_t l = strlen(p->name);
		pos -= l;
		memcpy(s + pos, p->name, l);
		s[--pos] = '/';
	}
	if (len)
		memmove(s, s + 1, len);
	return s;
}

static int walk(struct tree_node *n, int (*cb)(struct tree_node *, void *), void *ud)
{
	int r = cb(n, ud);

	for (uint32_t i = 0; !r && i < n->nkids; i++)
		r = walk(n->kids[i], cb, ud);
	return r;
}

int tree_walk(struct tree *t, int (*cb)(struct tree_node *n, void *ud), void *ud)
{
	return walk(t->root, cb, ud);
}
