/* SPDX-License-Identifier: MIT */
/* Host directory import: tree_add_dir(). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
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
	unsigned xattrs;            /* TREE_XATTR_* */
	struct ino_map links;
	struct diag *d;
	const char *hostroot;
	char *xnames;               /* llistxattr() buffer, grown as needed */
	size_t xnames_cap;
	uint8_t *xval;              /* one value (at most TREE_XATTR_VALUE_MAX) */
};

/* The largest value the kernel hands out (XATTR_SIZE_MAX). */
#define TREE_XATTR_VALUE_MAX 65536

static bool xattr_wanted(const char *name, unsigned mask)
{
	if (!strncmp(name, "user.", 5))
		return mask & TREE_XATTR_USER;
	if (!strncmp(name, "trusted.", 8))
		return mask & TREE_XATTR_TRUSTED;
	if (!strcmp(name, "security.selinux"))
		return mask & TREE_XATTR_SELINUX;
	if (!strncmp(name, "security.", 9))
		return mask & TREE_XATTR_SECURITY;
	if (!strcmp(name, "system.posix_acl_access") || !strcmp(name, "system.posix_acl_default"))
		return mask & TREE_XATTR_ACL;
	/* Other system.* names (NFSv4 ACLs, ...) are views of the host's
	 * filesystem, not attributes an image can hold. */
	return false;
}

/* Copy @hp's extended attributes (not following a symlink) onto @n. */
static int import_xattrs(struct import *im, const char *hp, struct tree_node *n)
{
	ssize_t len;
	int r;

	if (!im->xattrs)
		return 0;
	if (!im->xnames) {
		/* glibc declares the buffer non-null: never pass NULL. */
		if (!(im->xnames = malloc(256)))
			return diag_fail(im->d, -ENOMEM, "out of memory");
		im->xnames_cap = 256;
	}
	for (;;) {
		len = llistxattr(hp, im->xnames, im->xnames_cap);
		if (len >= 0)
			break;
		if (errno == ENOTSUP)
			return 0;
		if (errno != ERANGE)
			return diag_fail(im->d, -errno, "%s: cannot list extended attributes: %s", hp,
					 strerror(errno));
		/* Grow to the size asked for (it may change between calls). */
		ssize_t need = llistxattr(hp, im->xnames, 0);
		if (need < 0)
			return diag_fail(im->d, -errno, "%s: cannot list extended attributes: %s",
					 hp, strerror(errno));
		char *nb = realloc(im->xnames, (size_t)need + 1);
		if (!nb)
			return diag_fail(im->d, -ENOMEM, "out of memory");
		im->xnames = nb;
		im->xnames_cap = (size_t)need + 1;
	}
	for (ssize_t o = 0; o < len; o += (ssize_t)strlen(im->xnames + o) + 1) {
		const char *name = im->xnames + o;
		if (!xattr_wanted(name, im->xattrs))
			continue;
		if (!im->xval && !(im->xval = malloc(TREE_XATTR_VALUE_MAX)))
			return diag_fail(im->d, -ENOMEM, "out of memory");
		ssize_t vl = lgetxattr(hp, name, im->xval, TREE_XATTR_VALUE_MAX);
		if (vl < 0 && errno == ENODATA)
			continue; /* removed since the listing */
		if (vl < 0)
			return diag_fail(im->d, -errno, "%s: cannot read extended attribute %s: %s",
					 hp, name, strerror(errno));
		r = tree_set_xattr(n, name, im->xval, (uint32_t)vl);
		if (r)
			return diag_fail(im->d, r, "%s: extended attribute %s: %s", hp, name,
					 strerror(-r));
	}
	return 0;
}

/* The kernel lists trusted.* names only to CAP_SYS_ADMIN. */
static bool can_see_trusted(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, c))
		return false;
	return c[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN);
}

/* Remember the first name of a multiply linked inode. */
static int links_add(struct import *im, const struct stat *st, struct tree_node *node)
{
	if (im->links.n == im->links.cap) {
		size_t nc = im->links.cap ? im->links.cap * 2 : 16;
		struct ino_ent *nv = realloc(im->links.v, nc * sizeof(*nv));
		if (!nv)
			return diag_fail(im->d, -ENOMEM, "out of memory");
		im->links.v = nv;
		im->links.cap = nc;
	}
	im->links.v[im->links.n++] = (struct ino_ent){ st->st_dev, st->st_ino, node };
	return 0;
}

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
		char *lbuf = NULL;

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
			.mtime_ns = (uint32_t)st.st_mtim.tv_nsec,
		};
		if (S_ISDIR(st.st_mode) && excluded(im, rp)) {
			r = tree_add(im->t, dp, &a, im->policy, im->layer, &node, im->d);
			goto next;
		}
		/* Every type but directories can have several names. */
		bool multi = !S_ISDIR(st.st_mode) && st.st_nlink > 1;
		if (multi) {
			struct tree_node *first = ino_find(&im->links, st.st_dev, st.st_ino);
			if (first) {
				char *fp = tree_path(first);
				r = fp ? tree_add_hardlink(im->t, dp, fp, im->policy, im->layer, im->d)
				       : diag_fail(im->d, -ENOMEM, "out of memory");
				free(fp);
				goto next;
			}
		}
		if (S_ISREG(st.st_mode)) {
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
			a.link = lbuf = buf;
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
		if (node && multi && (r = links_add(im, &st, node)))
			goto next;
		if (node && (r = import_xattrs(im, hp, node)))
			goto next;
		if (S_ISDIR(st.st_mode))
			r = import_dir(im, hp, rp, dp, depth + 1);
next:
		free(lbuf);
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

int tree_import_dir(struct tree *t, const char *hostdir, const struct tree_dir_opts *o,
		    struct diag *d)
{
	struct import im = { .t = t, .keep_owner = o->keep_owner, .exclude = o->exclude,
			     .policy = o->policy, .layer = o->layer, .xattrs = o->xattrs, .d = d,
			     .hostroot = hostdir };
	const char *dest = o->dest ? o->dest : "";
	struct tree_node *top = NULL;
	struct stat st;
	int r;

	if (stat(hostdir, &st))
		return diag_fail(d, -errno, "%s: %s", hostdir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return diag_fail(d, -ENOTDIR, "%s: not a directory", hostdir);
	if (o->warn_trusted && (o->xattrs & TREE_XATTR_TRUSTED) && !can_see_trusted())
		diag_warn(d, "%s: trusted.* extended attributes are not copied: only a process "
			  "with CAP_SYS_ADMIN can see them", hostdir);
	while (*dest == '/')
		dest++;
	struct tree_attr a = { .mode = st.st_mode & 0177777, .mtime = st.st_mtime,
			       .mtime_ns = (uint32_t)st.st_mtim.tv_nsec,
			       .uid = o->keep_owner ? st.st_uid : 0,
			       .gid = o->keep_owner ? st.st_gid : 0 };
	if (*dest) {
		r = tree_add(t, dest, &a,
			     o->policy == TREE_CONFLICT_ERROR ? TREE_CONFLICT_REPLACE : o->policy,
			     o->layer, &top, d);
	} else {
		/* The source root is the tree's root: it merges like any
		 * directory (mke2fs -d gives / the source's mode and times). */
		r = 0;
		if (tree_set_root(t, &a, o->policy, o->layer))
			top = t->root;
	}
	if (!r && top)
		r = import_xattrs(&im, hostdir, top);
	if (!r)
		r = import_dir(&im, hostdir, "", dest, 0);
	free(im.links.v);
	free(im.xnames);
	free(im.xval);
	return r;
}

int tree_add_dir(struct tree *t, const char *hostdir, const char *dest, bool keep_owner,
		 const char *const *exclude, enum tree_conflict policy, uint32_t layer,
		 struct diag *d)
{
	struct tree_dir_opts o = { .dest = dest, .keep_owner = keep_owner, .exclude = exclude,
				   .policy = policy, .layer = layer,
				   .xattrs = TREE_XATTR_DEFAULT };

	return tree_import_dir(t, hostdir, &o, d);
}
