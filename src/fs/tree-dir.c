/* SPDX-License-Identifier: MIT */
/* Host directory import: tree_add_dir(). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/tree-int.h"

#define TREE_MAX_DEPTH 4096

struct ino_map {
	struct ino_ent {
		dev_t dev;
		ino_t ino;
		struct tree_node *node;
	} *v;
	size_t n, cap;
};

static struct tree_node *ino_find(struct ino_map *m, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].dev == dev && m->v[i].ino == ino)
			return m->v[i].node;
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct import {
	struct tree *t;
	bool keep_owner;
	const char *const *exclude;
	enum tree_conflict policy;
	uint32_t layer;
	struct ino_map links;
	struct diag *d;
	const char *hostroot;
};

static bool excluded(const struct import *im, const char *rel)
{
	if (!im->exclude)
		return false;
	for (const char *const *e = im->exclude; *e; e++) {
		const char *x = *e;
		while (*x == '/')
			x++;
		size_t l = strlen(x);
		while (l && x[l - 1] == '/')
			l--;
		if (l && strlen(rel) == l && !strncmp(rel, x, l))
			return true;
	}
	return false;
}

static int import_dir(struct import *im, const char *host, const char *rel, const char *dest,
		      unsigned depth)
{
	DIR *dir;
	struct dirent *de;
	char **names = NULL, *hdir = NULL, *nbuf = NULL;
	size_t *offs = NULL, n = 0, cap = 0, nlen = 0, ncap = 0;
	int r = 0;

	if (depth > TREE_MAX_DEPTH)
		return diag_fail(im->d, -ELOOP, "%s: directory nesting too deep", host);
	dir = opendir(host);
	if (!dir)
		return diag_fail(im->d, -errno, "%s: cannot open directory: %s", host, strerror(errno));
	while ((errno = 0, de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* Names go into one buffer (offsets, as it moves when it
		 * grows): no malloc per entry to fragment the heap. */
		size_t l = strlen(de->d_name) + 1;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			size_t *no = realloc(offs, cap * sizeof(*no));
			if (!no) {
				r = diag_fail(im->d, -ENOMEM, "out of memory");
				goto out;
			}
			offs = no;
		}
		if (ncap - nlen < l) {
			ncap = ncap ? ncap * 2 : 1024;
			if (ncap - nlen < l)
				ncap = nlen + l;
			char *nb = realloc(nbuf, ncap);
			if (!nb) {
				r = diag_fail(im->d, -ENOMEM, "out of memory");
				goto out;
			}
			nbuf = nb;
		}
		memcpy(nbuf + nlen, de->d_name, l);
		offs[n++] = nlen;
		nlen += l;
	}
	if (errno) {
		r = diag_fail(im->d, -errno, "%s: cannot read directory: %s", host, strerror(errno));
		goto out;
	}
	/* Everything is read: close now, not after the subdirectories (one
	 * descriptor and one stream buffer at a time however deep). */
	closedir(dir);
	dir = NULL;
	names = malloc((n ? n : 1) * sizeof(*names));
	if (!names) {
		r = diag_fail(im->d, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		names[i] = nbuf + offs[i];
	free(offs);
	offs = NULL;
	/* readdir order is an ambient input: sort. */
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && !r; i++) {
		size_t hl = strlen(host) + strlen(names[i]) + 2;
		size_t rl = strlen(rel) + strlen(names[i]) + 2;
		size_t dl = strlen(dest) + strlen(names[i]) + 2;
		char *hp = malloc(hl), *rp = malloc(rl), *dp = malloc(dl);
		struct stat st;
		struct tree_node *node = NULL;

		if (!hp || !rp || !dp) {
			r = diag_fail(im->d, -ENOMEM, "out of memory");
			goto next;
		}
		snprintf(hp, hl, "%s/%s", host, names[i]);
		snprintf(rp, rl, "%s%s%s", rel, *rel ? "/" : "", names[i]);
		snprintf(dp, dl, "%s%s%s", dest, *dest ? "/" : "", names[i]);
		if (lstat(hp, &st)) {
			r = diag_fail(im->d, -errno, "%s: %s", hp, strerror(errno));
			goto next;
		}
		struct tree_attr a = {
			.mode = st.st_mode & 0177777,
			.uid = im->keep_owner ? st.st_uid : 0,
			.gid = im->keep_owner ? st.st_gid : 0,
			.mtime = st.st_mtime,
		};
		if (S_ISDIR(st.st_mode) && excluded(im, rp)) {
			r = tree_add(im->t, dp, &a, im->policy, im->layer, &node, im->d);
			goto next;
		}
		if (S_ISREG(st.st_mode)) {
			if (st.st_nlink > 1) {
				struct tree_node *first = ino_find(&im->links, st.st_dev, st.st_ino);
				if (first) {
					char *fp = tree_path(first);
					r = fp ? tree_add_hardlink(im->t, dp, fp, im->policy, im->layer, im->d)
					       : -ENOMEM;
					free(fp);
					goto next;
				}
			}
			if (access(hp, R_OK)) {
				r = diag_fail(im->d, -errno, "%s: cannot read: %s", hp, strerror(errno));
				goto next;
			}
			a.size = (uint64_t)st.st_size;
		} else if (S_ISLNK(st.st_mode)) {
			char *buf = malloc((size_t)st.st_size + 2);
			ssize_t l = buf ? readlink(hp, buf, (size_t)st.st_size + 1) : -1;
			if (l < 0 || l > st.st_size) {
				free(buf);
				r = diag_fail(im->d, -EIO, "%s: cannot read symlink", hp);
				goto next;
			}
			buf[l] = 0;
			a.link = buf;
			r = tree_add(im->t, dp, &a, im->policy, im->layer, &node, im->d);
			free(buf);
			goto next;
		} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			a.rdev_major = major(st.st_rdev);
			a.rdev_minor = minor(st.st_rdev);
		}
		r = tree_add(im->t, dp, &a, im->policy, im->layer, &node, im->d);
		if (r)
			goto next;
		if (node && S_ISREG(st.st_mode)) {
			/* The files of a directory share its path (once in the
			 * arena); their own is it plus their name. */
			if (!hdir) {
				size_t l = strlen(host);
				if (!(hdir = tree_mem_alloc(im->t->mem, l + 2, 1))) {
					r = diag_fail(im->d, -ENOMEM, "out of memory");
					goto next;
				}
				hdir[0] = SRC_DIR_MARK;
				memcpy(hdir + 1, host, l + 1);
			}
			tree_mem_drop(im->t->mem, &node->src_path);
			node->src_path = hdir;
			node->src_off = 0;
		}
		if (node && S_ISREG(st.st_mode) && st.st_nlink > 1) {
			if (im->links.n == im->links.cap) {
				size_t nc = im->links.cap ? im->links.cap * 2 : 16;
				struct ino_ent *nv = realloc(im->links.v, nc * sizeof(*nv));
				if (!nv) {
					r = diag_fail(im->d, -ENOMEM, "out of memory");
					goto next;
				}
				im->links.v = nv;
				im->links.cap = nc;
			}
			im->links.v[im->links.n++] = (struct ino_ent){ st.st_dev, st.st_ino, node };
		}
		if (S_ISDIR(st.st_mode))
			r = import_dir(im, hp, rp, dp, depth + 1);
next:
		free(hp);
		free(rp);
		free(dp);
	}
out:
	if (dir)
		closedir(dir);
	free(offs);
	free(names);
	free(nbuf);
	return r;
}

int tree_add_dir(struct tree *t, const char *hostdir, const char *dest, bool keep_owner,
		 const char *const *exclude, enum tree_conflict policy, uint32_t layer,
		 struct diag *d)
{
	struct import im = { .t = t, .keep_owner = keep_owner, .exclude = exclude,
			     .policy = policy, .layer = layer, .d = d, .hostroot = hostdir };
	struct stat st;
	int r;

	if (stat(hostdir, &st))
		return diag_fail(d, -errno, "%s: %s", hostdir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return diag_fail(d, -ENOTDIR, "%s: not a directory", hostdir);
	while (*dest == '/')
		dest++;
	if (*dest) {
		struct tree_attr a = { .mode = st.st_mode & 0177777, .mtime = st.st_mtime,
				       .uid = keep_owner ? st.st_uid : 0,
				       .gid = keep_owner ? st.st_gid : 0 };
		r = tree_add(t, dest, &a, policy == TREE_CONFLICT_ERROR ? TREE_CONFLICT_REPLACE : policy,
			     layer, NULL, d);
		if (r)
			return r;
	}
	r = import_dir(&im, hostdir, "", dest, 0);
	free(im.links.v);
	return r;
}

