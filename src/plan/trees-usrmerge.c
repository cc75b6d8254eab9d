/* SPDX-License-Identifier: MIT */
/*
 * `merged-usr = true` on a tree: the layout Debian's usrmerge makes.
 * After the tree's layers, what they put under /bin, /sbin and /lib*
 * moves to /usr/..., and those become symlinks to usr/bin, usr/sbin,
 * usr/lib... A path provided under both (/bin/foo and /usr/bin/foo) is
 * fine when both are the same (same type and bytes, or same link
 * target): one stays. Otherwise the tree's conflict policy decides, as
 * for two layers providing one path: an error naming both, or the
 * earlier (keep-first) or later (replace) layer's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/tree.h"
#include "plan/trees-def.h"

/* Always linked (Debian's base set), then those linked when present. */
static const char *const usr_dirs[] = { "bin", "sbin", "lib", "lib32", "lib64", "libx32",
					"libo32" };
#define N_ALWAYS 3

struct merge_ctx {
	struct tree *t;
	enum tree_conflict policy;
	const char *tree_name;
	struct diag *d;
};

/* Compare the bytes of two regular files; *ret_same. */
static int same_bytes(const struct tree_node *a, const struct tree_node *b, bool *ret_same,
		      struct diag *d)
{
	char pa[TREE_SRC_PATH_MAX], pb[TREE_SRC_PATH_MAX];
	const char *sa = tree_node_src_path(a, pa, sizeof(pa));
	const char *sb = tree_node_src_path(b, pb, sizeof(pb));
	char *ba = NULL, *bb = NULL;
	int fa = -1, fb = -1, r = 0;
	size_t chunk = 65536;

	*ret_same = a->size == b->size;
	if (!*ret_same || !a->size || (sa && sb && !strcmp(sa, sb) && a->src_off == b->src_off))
		return 0;
	if (!(ba = malloc(chunk)) || !(bb = malloc(chunk))) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	if (!sa || !sb || (fa = open(sa, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (fb = open(sb, O_RDONLY | O_CLOEXEC)) < 0) {
		r = diag_fail(d, -EIO, "cannot read \"%s\"", sa && fa < 0 ? sa : sb ? sb : "?");
		goto out;
	}
	for (uint64_t off = 0; off < a->size && *ret_same;) {
		size_t n = a->size - off < chunk ? (size_t)(a->size - off) : chunk;
		if (pread(fa, ba, n, (off_t)(a->src_off + off)) != (ssize_t)n ||
		    pread(fb, bb, n, (off_t)(b->src_off + off)) != (ssize_t)n) {
			r = diag_fail(d, -EIO, "short read comparing \"%s\" and \"%s\"", sa, sb);
			goto out;
		}
		*ret_same = !memcmp(ba, bb, n);
		off += n;
	}
out:
	free(ba);
	free(bb);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return r;
}

static int same_entry(const struct tree_node *a, const struct tree_node *b, bool *ret_same,
		      struct diag *d)
{
	while (a->hardlink)
		a = a->hardlink;
	while (b->hardlink)
		b = b->hardlink;
	*ret_same = a == b;
	if (a == b || (a->mode & 0170000) != (b->mode & 0170000) || tree_is_dir(a))
		return 0;
	if (tree_is_reg(a))
		return same_bytes(a, b, ret_same, d);
	if (tree_is_symlink(a))
		*ret_same = a->link && b->link && !strcmp(a->link, b->link);
	else
		*ret_same = a->rdev_major == b->rdev_major && a->rdev_minor == b->rdev_minor;
	return 0;
}

static const char *layer_of(const struct tree *t, const struct tree_node *n)
{
	return n->layer < t->nlayers ? t->layer_names[n->layer] : "(built-in)";
}

static int clash(void *ud, const struct tree_node *moving, const struct tree_node *staying)
{
	struct merge_ctx *c = ud;
	bool same;
	int r = same_entry(moving, staying, &same, c->d);

	if (r)
		return r;
	if (same)
		return 0;
	switch (c->policy) {
	case TREE_CONFLICT_KEEP_FIRST:
		return moving->layer < staying->layer;
	case TREE_CONFLICT_REPLACE:
		return moving->layer > staying->layer;
	case TREE_CONFLICT_ERROR:
		break;
	}
	char *pm = tree_path(moving), *ps = tree_path(staying);
	r = diag_fail(c->d, -EEXIST, "tree '%s': merged-usr: \"/%s\" (%s) and \"/%s\" (%s) "
		      "differ (set conflicts = keep-first or replace)", c->tree_name,
		      pm ? pm : "?", layer_of(c->t, moving), ps ? ps : "?",
		      layer_of(c->t, staying));
	free(pm);
	free(ps);
	return r;
}

int trees_merge_usr(struct tree_def *def, struct tree *t, uint32_t layer, struct diag *d)
{
	struct merge_ctx c = { t, def->policy, def->name, d };
	char usr[64], want[72];
	int r;

	for (unsigned i = 0; i < sizeof(usr_dirs) / sizeof(usr_dirs[0]); i++) {
		const char *name = usr_dirs[i];
		struct tree_node *n = tree_lookup(t, name);
		snprintf(usr, sizeof(usr), "usr/%s", name);
		if (n && tree_is_symlink(n)) {
			snprintf(want, sizeof(want), "/%s", usr);
			if (n->link && (!strcmp(n->link, usr) || !strcmp(n->link, want)))
				continue;
			return diag_fail(d, -EINVAL, "%s:%u: tree '%s': merged-usr: \"/%s\" is a "
					 "symlink to \"%s\" (%s), not to %s", def->merged_usr_file,
					 def->merged_usr_line, def->name, name, n->link ? n->link : "",
					 layer_of(t, n), usr);
		}
		if (n && !tree_is_dir(n))
			return diag_fail(d, -ENOTDIR, "%s:%u: tree '%s': merged-usr: \"/%s\" (%s) is "
					 "not a directory", def->merged_usr_file, def->merged_usr_line, def->name, name,
					 layer_of(t, n));
		if (n) {
			if ((r = tree_merge_dir(t, name, usr, clash, &c, d)) ||
			    (r = tree_remove(t, name))) {
				diag_prefix(d, "%s:%u", def->merged_usr_file, def->merged_usr_line);
				return r;
			}
		} else if (i < N_ALWAYS) {
			struct tree_attr a = { .mode = 0040755, .mtime = t->epoch };
			if ((r = tree_add(t, usr, &a, TREE_CONFLICT_KEEP_FIRST, layer, NULL, d)))
				return r;
		} else {
			struct tree_node *u = tree_lookup(t, usr);
			if (!u || !tree_is_dir(u))
				continue;
		}
		struct tree_attr l = { .mode = 0120777, .mtime = t->epoch, .link = usr,
				       .size = strlen(usr) };
		if ((r = tree_add(t, name, &l, TREE_CONFLICT_ERROR, layer, NULL, d)))
			return r;
	}
	return 0;
}
