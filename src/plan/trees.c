/* SPDX-License-Identifier: MIT */
/*
 * `tree NAME { }` sections: composing their layers, tables and attrs
 * into a struct tree (docs/config/trees.md). Reading them from the config
 * is trees-config.c; applying inline items, trees-items.c.
 */
#include "plan/trees.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/tree-archive.h"
#include "fs/tree-tables.h"
#include "plan/build.h"
#include "plan/trees-def.h"

#define MAX_PATHBUF 70000

/* ---- composing ---- */

char *trees_resolve(struct build *b, const char *p, const char *sub)
{
	size_t n = strlen(b->paths.inputpath) + strlen(p) + (sub ? strlen(sub) : 0) + 3;
	char *s = malloc(n);

	if (!s)
		return NULL;
	if (p[0] == '/')
		snprintf(s, n, "%s%s%s", p, sub ? "/" : "", sub ? sub : "");
	else
		snprintf(s, n, "%s/%s%s%s", b->paths.inputpath, p, sub ? "/" : "", sub ? sub : "");
	return s;
}

static int ensure_spill(struct build *b, struct trees_state *st, struct diag *d)
{
	if (st->spill_ready)
		return 0;
	if (spill_init(&st->spill, b->paths.tmppath))
		return diag_fail(d, -ENOMEM, "out of memory");
	st->spill_ready = true;
	return 0;
}

/* Walk with a path buffer; @fn returns 1 to skip the node's children. */
typedef int (*match_fn)(struct tree *t, struct tree_node *n, const char *path, void *ud,
			struct diag *d);

static int glob_walk(struct tree *t, struct tree_node *dir, char *buf, size_t len,
		     const char *pat, match_fn fn, void *ud, unsigned *count, struct diag *d)
{
	/* Backwards: removing a child does not move the ones not yet seen. */
	for (uint32_t i = dir->nkids; i-- > 0;) {
		struct tree_node *k = dir->kids[i];
		size_t nl = strlen(k->name);
		if (len + nl + 2 > MAX_PATHBUF)
			return diag_fail(d, -ENAMETOOLONG, "path too long under /%s", buf);
		size_t l2 = len;
		if (len)
			buf[l2++] = '/';
		memcpy(buf + l2, k->name, nl + 1);
		l2 += nl;
		bool is_dir = tree_is_dir(k);
		int r = 0;
		if (!fnmatch(pat, buf, FNM_PATHNAME)) {
			++*count;
			r = fn(t, k, buf, ud, d);
			if (r < 0)
				return r;
		}
		if (r == 0 && is_dir) {
			r = glob_walk(t, k, buf, l2, pat, fn, ud, count, d);
			if (r < 0)
				return r;
		}
		buf[len] = 0;
	}
	return 0;
}

static int do_remove(struct tree *t, struct tree_node *n, const char *path, void *ud,
		     struct diag *d)
{
	(void)n;
	(void)ud;
	(void)d;
	tree_remove(t, path);
	return 1;
}

static int do_attr(struct tree *t, struct tree_node *n, const char *path, void *ud,
		   struct diag *d)
{
	const struct tree_attrdef *a = ud;

	(void)t;
	(void)path;
	while (n->hardlink)
		n = n->hardlink;
	if (a->mode_set)
		n->mode = (n->mode & 0170000) | a->mode;
	if (a->uid_set)
		n->uid = a->uid;
	if (a->gid_set)
		n->gid = a->gid;
	if (a->caps_set && tree_set_caps(n, a->caps))
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

static int for_glob(struct tree *t, const char *glob, match_fn fn, void *ud, unsigned *count,
		    struct diag *d)
{
	char *buf = malloc(MAX_PATHBUF);
	int r;

	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	while (*glob == '/')
		glob++;
	buf[0] = 0;
	*count = 0;
	if (!*glob) {
		/* "/" names the root itself. */
		*count = 1;
		r = fn == do_remove ? diag_fail(d, -EINVAL, "cannot remove the root")
				    : fn(t, t->root, "", ud, d);
	} else {
		r = glob_walk(t, t->root, buf, 0, glob, fn, ud, count, d);
	}
	free(buf);
	return r < 0 ? r : 0;
}

static int read_host_file(const char *path, char **ret, size_t *ret_len, struct diag *d)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;

	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > TREES_MAX_TEXT) {
		close(fd);
		return diag_fail(d, -EINVAL, "%s: not a regular file of at most 16 MiB", path);
	}
	buf = malloc((size_t)sb.st_size + 1);
	ssize_t k = buf ? read(fd, buf, (size_t)sb.st_size) : -1;
	close(fd);
	if (k != sb.st_size) {
		free(buf);
		return diag_fail(d, -EIO, "%s: read error", path);
	}
	buf[k] = 0;
	*ret = buf;
	*ret_len = (size_t)k;
	return 0;
}

bool trees_def_used(struct build *b, const struct tree_def *def)
{
	for (unsigned i = 0; i < b->nimages; i++)
		for (unsigned k = 0; k < b->images[i]->ntrees; k++)
			if (!strcmp(b->images[i]->trees[k], def->name))
				return true;
	return false;
}

struct tree_layer *trees_next_used_layer(struct build *b, struct trees_state *st,
					 struct tree_def **def, unsigned *k)
{
	unsigned i = *def ? (unsigned)(*def - st->defs) : 0, l = *def ? *k + 1 : 0;

	/* A tree is checked for use once, at its first layer. */
	for (; i < st->ndefs; i++, l = 0) {
		struct tree_def *td = &st->defs[i];
		if (l >= td->nlayers || (!l && !trees_def_used(b, td)))
			continue;
		*def = td;
		*k = l;
		return &td->layers[l];
	}
	return NULL;
}

/*
 * Layers of the trees images use that read the same archive file as @l
 * (same kind) and have no replay log yet: recorded in @l's first read,
 * so a package shared by several trees (a kernel .deb giving the kernel
 * to one tree and modules to another) is decompressed once. Returns
 * the count (*ret: malloc'd, may be NULL when 0).
 */
static unsigned collect_siblings(struct build *b, struct trees_state *st,
				 const struct tree_layer *l, const char *host,
				 struct tree_archive_sibling **ret)
{
	struct tree_archive_sibling *v = NULL;
	unsigned n = 0;
	struct stat sa, so;

	*ret = NULL;
	if (stat(host, &sa))
		return 0;
	struct tree_def *od = NULL;
	unsigned k;
	for (struct tree_layer *o; (o = trees_next_used_layer(b, st, &od, &k));) {
		/* A modules layer reads its kernel on its own (trees-modules.c). */
		if (o == l || o->src != l->src || o->log || o->nmodules)
			continue;
		char *oh = trees_resolve(b, o->src_path, NULL);
		bool same = oh && !stat(oh, &so) && so.st_dev == sa.st_dev && so.st_ino == sa.st_ino;
		free(oh);
		if (!same)
			continue;
		struct tree_archive_sibling *nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break; /* only an optimisation: read the others later */
		v = nv;
		v[n++] = (struct tree_archive_sibling){
			.include = (const char *const *)o->include, .ninclude = o->ninclude,
			.subdir = o->subdir, .log = &o->log,
		};
	}
	*ret = v;
	return n;
}

int trees_compose_source(struct build *b, struct trees_state *st, struct tree_def *def,
			 struct tree_layer *l, struct tree *t, enum tree_conflict pol, uint32_t li,
			 bool cache, struct diag *d)
{
	char *host = NULL;
	int r = 0;

	/* A dir layer's subdir is a host path; an archive's filters members. */
	if (l->src && l->src != LAYER_PKG &&
	    !(host = trees_resolve(b, l->src_path, l->src == LAYER_DIR ? l->subdir : NULL)))
		return diag_fail(d, -ENOMEM, "out of memory");
	if (l->src == LAYER_DIR) {
		struct tree_dir_opts o = {
			.dest = l->dest, .keep_owner = l->keep_owner, .policy = pol,
			.layer = li, .xattrs = l->xattrs,
			.warn_trusted = l->xattrs_set,
		};
		r = tree_import_dir(t, host, &o, d);
	} else if (l->src == LAYER_ARCHIVE || l->src == LAYER_DEB) {
		struct tree_archive_opts o = {
			.kind = l->src == LAYER_DEB ? TREE_ARCHIVE_DEB : TREE_ARCHIVE_AUTO,
			.dest = l->dest ? l->dest : "", .policy = pol, .layer = li,
			.spill = &st->spill, .region = &l->region, .name = host,
			.follow_symlinks = l->follow_symlinks,
			.include = (const char *const *)l->include, .ninclude = l->ninclude,
			.subdir = l->subdir, .threads = b->jobs,
			.log = b->archive_nocache || !cache ? NULL : &l->log,
		};
		struct tree_archive_sibling *sib = NULL;
		bool first = o.log && !l->log;
		if (first)
			r = trees_cache_load(b, l, host, d);
		if (!r && o.log && !l->log)
			o.nsiblings = collect_siblings(b, st, l, host, &sib);
		o.siblings = sib;
		if (!r)
			r = tree_add_archive(t, host, &o, d);
		if (!r && first)
			r = trees_cache_save(b, st, l, host, d);
		free(sib);
	} else if (l->src == LAYER_PKG) {
		r = trees_pkg_compose(b, st, def, l, t, pol, d);
	}
	free(host);
	return r;
}

static int compose_def(struct build *b, struct trees_state *st, struct tree_def *def,
		       struct tree *t, struct diag *d)
{
	char lab[600];
	int r = 0;

	for (unsigned i = 0; i < def->nlayers && !r; i++) {
		struct tree_layer *l = &def->layers[i];
		enum tree_conflict pol = l->policy >= 0 ? (enum tree_conflict)l->policy : def->policy;
		int li = tree_add_layer(t, l->label);
		if (li < 0)
			return diag_fail(d, -ENOMEM, "out of memory");
		if (l->nmodules)
			r = trees_modules_compose(b, st, def, l, t, pol, (uint32_t)li, d);
		else
			r = trees_compose_source(b, st, def, l, t, pol, (uint32_t)li, true, d);
		for (unsigned k = 0; !r && k < l->nremove; k++) {
			unsigned cnt;
			r = for_glob(t, l->remove[k], do_remove, NULL, &cnt, d);
		}
		for (unsigned k = 0; !r && k < l->nitems; k++) {
			r = trees_apply_item(b, st, t, &l->items[k], pol, (uint32_t)li, d);
			if (r && d && !strstr(d->msg, l->items[k].cfgfile))
				diag_prefix(d, "%s:%u: %s \"%s\"", l->items[k].cfgfile, l->items[k].line,
					    trees_item_kw[l->items[k].kind], l->items[k].path);
		}
		if (r && d && !strstr(d->msg, "tree '"))
			diag_context(d, "tree '%s'", def->name);
		if (!r && t->nnodes > TREE_ARCHIVE_MAX_ENTRIES)
			r = diag_fail(d, -E2BIG, "tree '%s': more than %u entries", def->name,
				      TREE_ARCHIVE_MAX_ENTRIES);
	}
	if (r)
		return r;
	if (def->merged_usr) {
		snprintf(lab, sizeof(lab), "merged-usr of tree %s (%s:%u)", def->name,
			 def->merged_usr_file, def->merged_usr_line);
		int li = tree_add_layer(t, lab);
		if (li < 0)
			return diag_fail(d, -ENOMEM, "out of memory");
		if ((r = trees_merge_usr(def, t, (uint32_t)li, d)))
			return r;
	}
	if (def->nusers || def->ngroups) {
		snprintf(lab, sizeof(lab), "users of tree %s (%s:%u)", def->name, def->cfgfile,
			 def->line);
		int li = tree_add_layer(t, lab);
		if (li < 0)
			return diag_fail(d, -ENOMEM, "out of memory");
		if ((r = trees_apply_users(b, st, def, t, (uint32_t)li, d))) {
			diag_prefix(d, "%s:%u: tree '%s'", def->cfgfile, def->line, def->name);
			return r;
		}
	}
	for (unsigned pass = 0; pass < 2; pass++) {
		char **v = pass ? def->fsconfigs : def->devtables;
		unsigned n = pass ? def->nfsconfigs : def->ndevtables;
		for (unsigned i = 0; i < n; i++) {
			char *host = trees_resolve(b, v[i], NULL), *text = NULL;
			size_t len = 0;
			if (!host)
				return diag_fail(d, -ENOMEM, "out of memory");
			snprintf(lab, sizeof(lab), "%s \"%s\" (tree %s)", pass ? "fs-config" : "device-table",
				 v[i], def->name);
			int li = tree_add_layer(t, lab);
			r = li < 0 ? diag_fail(d, -ENOMEM, "out of memory")
				   : read_host_file(host, &text, &len, d);
			if (!r && pass)
				r = tree_apply_fs_config(t, text, len, host, d);
			else if (!r)
				r = tree_apply_device_table(t, text, len, host, (uint32_t)li, d);
			free(text);
			free(host);
			if (r) {
				diag_context(d, "tree '%s'", def->name);
				return r;
			}
		}
	}
	for (unsigned i = 0; i < def->nattrs; i++) {
		unsigned cnt;
		r = for_glob(t, def->attrs[i].glob, do_attr, &def->attrs[i], &cnt, d);
		if (r)
			return r;
		if (!cnt)
			diag_warn(d, "%s:%u: tree '%s': attr \"%s\" matches nothing", def->cfgfile,
				  def->attrs[i].line, def->name, def->attrs[i].glob);
	}
	return 0;
}

int trees_compose(struct build *b, struct image *img, struct tree *t, struct diag *d)
{
	struct trees_state *st = b->trees;
	int r;

	for (unsigned i = 0; i < img->ntrees; i++) {
		struct tree_def *def = NULL;
		for (unsigned k = 0; st && k < st->ndefs && !def; k++)
			if (!strcmp(st->defs[k].name, img->trees[i]))
				def = &st->defs[k];
		if (!def && !img->line) /* kiln ls --tree */
			return diag_fail(d, -ENOENT, "%s: tree \"%s\" is not defined",
					 img->cfgfile ? img->cfgfile : b->paths.config, img->trees[i]);
		if (!def)
			return diag_fail(d, -ENOENT, "%s:%u: image '%s': tree \"%s\" is not defined",
					 img->cfgfile ? img->cfgfile : b->paths.config, img->line,
					 img->name, img->trees[i]);
		if ((r = ensure_spill(b, st, d)))
			return r;
		if ((r = compose_def(b, st, def, t, d)))
			return r;
	}
	return 0;
}
