/* SPDX-License-Identifier: MIT */
/* Archive layers: member names and the path safety checks (see
 * tree-archive.h for the rules). */
#include "fs/tree-archive.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "fs/tree-archive-int.h"

int tree_archive_clean_path(const char *in, char *out, size_t outsz, int *ret_abs)
{
	size_t o = 0;
	const char *p = in;

	*ret_abs = *p == '/';
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return -EINVAL;
		if (!(len == 1 && p[0] == '.')) {
			if (o + len + 2 > outsz)
				return -ENAMETOOLONG;
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, len);
			o += len;
		}
		p += len;
	}
	if (!outsz)
		return -ENAMETOOLONG;
	out[o] = 0;
	return 0;
}

/*
 * Layer filters on a cleaned member path: `include` globs (on the whole
 * member path; an archive as large as a kernel package then costs only
 * what it keeps) and `subdir` (only members below it, relative to it).
 * Returns true when the member is kept; @clean is rewritten in place.
 */
bool ta_member_filter(const char *const *include, unsigned ninclude, const char *subdir,
		      char *clean, bool check_include)
{
	if (check_include && ninclude) {
		bool hit = false;
		for (unsigned i = 0; i < ninclude && !hit; i++) {
			const char *g = include[i];
			while (*g == '/')
				g++;
			hit = !fnmatch(g, clean, FNM_PATHNAME);
		}
		if (!hit)
			return false;
	}
	if (subdir && *subdir) {
		const char *sd = subdir;
		while (*sd == '/')
			sd++;
		size_t l = strlen(sd);
		while (l && sd[l - 1] == '/')
			l--;
		if (strncmp(clean, sd, l) || (clean[l] && clean[l] != '/'))
			return false;
		const char *rest = clean + l;
		while (*rest == '/')
			rest++;
		memmove(clean, rest, strlen(rest) + 1);
	}
	return true;
}

/* Member name (or hard link target) → tree path under the destination.
 * *ret_skip (when not NULL) says the layer's filters drop the member. */
int ta_member_path(struct imp *im, const char *name, char *out, size_t outsz,
		   const char *what, bool *ret_skip)
{
	char clean[TREE_ARCHIVE_MAX_NAME + 1];
	int abs = 0, r;

	if (strlen(name) > TREE_ARCHIVE_MAX_NAME)
		return diag_fail(im->d, -ENAMETOOLONG, "%s: %s \"%.64s...\": longer than %d bytes",
				 im->o->name, what, name, TREE_ARCHIVE_MAX_NAME);
	r = tree_archive_clean_path(name, clean, sizeof(clean), &abs);
	if (r == -EINVAL)
		return diag_fail(im->d, r, "%s: %s \"%s\": contains a \"..\" component (refused)",
				 im->o->name, what, name);
	if (r)
		return diag_fail(im->d, r, "%s: %s \"%.64s...\": name too long", im->o->name, what,
				 name);
	if (abs && !im->warned_abs) {
		diag_warn(im->d, "%s: removing leading '/' from member names (first: \"%s\")",
			  im->o->name, name);
		im->warned_abs = true;
		if (im->rec && !(im->rec->abs_name = strdup(name)))
			return diag_fail(im->d, -ENOMEM, "out of memory");
	}
	if (!ta_member_filter(im->o->include, im->o->ninclude, im->o->subdir, clean,
			      ret_skip != NULL)) {
		if (ret_skip) {
			*ret_skip = true;
			return 0;
		}
		return diag_fail(im->d, -EINVAL, "%s: %s \"%s\": outside the layer's subdir",
				 im->o->name, what, name);
	}
	const char *dest = im->o->dest ? im->o->dest : "";
	while (*dest == '/')
		dest++;
	snprintf(out, outsz, "%s%s%s", dest, *dest && *clean ? "/" : "", clean);
	return 0;
}

#define MAX_HOPS 40

/* Resolve the parent directories of @path (in place) through symlink
 * nodes, inside the tree: a chroot-like walk that cannot leave it. */
int ta_resolve_parents(struct imp *im, char *path, size_t pathsz, const char *member)
{
	size_t cap = 2 * (TREE_ARCHIVE_MAX_NAME + 1);
	char *done = malloc(cap), *rest = malloc(cap), *tmp = malloc(cap);
	unsigned hops = 0;
	int r = 0;

	if (!done || !rest || !tmp) {
		r = diag_fail(im->d, -ENOMEM, "out of memory");
		goto out;
	}
	done[0] = 0;
	snprintf(rest, cap, "%s", path);
	for (;;) {
		char *slash = strchr(rest, '/');
		if (!slash) {
			/* The last component itself is never followed. */
			if (strlen(done) + strlen(rest) + 2 > pathsz) {
				r = diag_fail(im->d, -ENAMETOOLONG, "%s: member \"%s\": resolved path too long",
					      im->o->name, member);
				goto out;
			}
			size_t dl0 = strlen(done);
			memcpy(path, done, dl0);
			if (dl0)
				path[dl0++] = '/';
			memcpy(path + dl0, rest, strlen(rest) + 1);
			break;
		}
		*slash = 0;
		const char *c = rest, *after = slash + 1;
		size_t dl = strlen(done);
		if (!*c || !strcmp(c, ".")) {
			/* nothing */
		} else if (!strcmp(c, "..")) {
			char *p = strrchr(done, '/');
			if (p)
				*p = 0;
			else
				done[0] = 0;
		} else {
			if (dl + strlen(c) + 2 > cap) {
				r = diag_fail(im->d, -ENAMETOOLONG, "%s: member \"%s\": path too long",
					      im->o->name, member);
				goto out;
			}
			snprintf(done + dl, cap - dl, "%s%s", dl ? "/" : "", c);
			struct tree_node *n = tree_lookup(im->t, done);
			if (n && tree_is_symlink(n)) {
				if (++hops > MAX_HOPS) {
					r = diag_fail(im->d, -ELOOP, "%s: member \"%s\": too many levels of "
						      "symbolic links", im->o->name, member);
					goto out;
				}
				done[dl] = 0;
				const char *tg = n->link ? n->link : "";
				if (*tg == '/')
					done[0] = 0;
				if ((size_t)snprintf(tmp, cap, "%s/%s", tg, after) >= cap) {
					r = diag_fail(im->d, -ENAMETOOLONG, "%s: member \"%s\": path too long",
						      im->o->name, member);
					goto out;
				}
				while (*tmp == '/')
					memmove(tmp, tmp + 1, strlen(tmp));
				snprintf(rest, cap, "%s", tmp);
				continue;
			}
		}
		memmove(rest, after, strlen(after) + 1);
	}
	if (!path[0])
		r = diag_fail(im->d, -EINVAL, "%s: member \"%s\": resolves to the root", im->o->name,
			      member);
out:
	free(done);
	free(rest);
	free(tmp);
	return r;
}

/* Refuse a path whose parent directories go through a symlink node. */
int ta_check_parents(struct imp *im, char *path, const char *member)
{
	if (im->o->follow_symlinks)
		return ta_resolve_parents(im, path, sizeof(im->path), member);
	for (char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		struct tree_node *n = tree_lookup(im->t, path);
		bool link = n && tree_is_symlink(n);
		int r = 0;
		if (link)
			r = diag_fail(im->d, -EINVAL,
				      "%s: member \"%s\": parent \"/%s\" is a symlink (to \"%s\"); "
				      "writing through it is refused",
				      im->o->name, member, path, n->link ? n->link : "");
		*s = '/';
		if (r)
			return r;
		if (!n)
			break;
	}
	return 0;
}
