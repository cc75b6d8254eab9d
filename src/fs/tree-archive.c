/* SPDX-License-Identifier: MIT */
/* Archive layers through libarchive: see tree-archive.h for the rules. */
#include "fs/tree-archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/diag.h"
#include "fs/spill.h"

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

struct imp {
	struct tree *t;
	const struct tree_archive_opts *o;
	struct spill_writer w;
	struct diag *d;
	bool warned_abs;
	uint64_t count;
	char path[TREE_ARCHIVE_MAX_NAME * 2 + 2];
	char target[TREE_ARCHIVE_MAX_NAME * 2 + 2];
};

/*
 * Layer filters on a cleaned member path: `include` globs (on the whole
 * member path; an archive as large as a kernel package then costs only
 * what it keeps) and `subdir` (only members below it, relative to it).
 * Returns true when the member is kept; @clean is rewritten in place.
 */
static bool member_filter(const struct imp *im, char *clean, bool check_include)
{
	if (check_include && im->o->ninclude) {
		bool hit = false;
		for (unsigned i = 0; i < im->o->ninclude && !hit; i++) {
			const char *g = im->o->include[i];
			while (*g == '/')
				g++;
			hit = !fnmatch(g, clean, FNM_PATHNAME);
		}
		if (!hit)
			return false;
	}
	if (im->o->subdir && *im->o->subdir) {
		const char *sd = im->o->subdir;
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
static int member_path(struct imp *im, const char *name, char *out, size_t outsz,
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
	}
	if (!member_filter(im, clean, ret_skip != NULL)) {
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
static int resolve_parents(struct imp *im, char *path, size_t pathsz, const char *member)
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
static int check_parents(struct imp *im, char *path, const char *member)
{
	if (im->o->follow_symlinks)
		return resolve_parents(im, path, sizeof(im->path), member);
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

static int arch_fail(struct imp *im, struct archive *a, const char *member, int err)
{
	const char *why = archive_error_string(a);

	if (member)
		return diag_fail(im->d, err, "%s: member \"%s\": %s", im->o->name, member,
				 why ? why : "read error");
	return diag_fail(im->d, err, "%s: %s", im->o->name, why ? why : "cannot read archive");
}

/* Copy one member's data into the spill file. */
static int read_data(struct imp *im, struct archive *a, const char *member, uint64_t size,
		     uint64_t *ret_off)
{
	uint64_t base;
	int r = spill_reserve(&im->w, size, &base, im->d);

	if (r)
		return r;
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int k = archive_read_data_block(a, &buf, &len, &off);
		if (k == ARCHIVE_EOF)
			break;
		if (k < ARCHIVE_WARN)
			return arch_fail(im, a, member, -EIO);
		if (off < 0 || (uint64_t)off > size || len > size - (uint64_t)off)
			return diag_fail(im->d, -EINVAL, "%s: member \"%s\": data beyond its size",
					 im->o->name, member);
		r = spill_write(&im->w, base + (uint64_t)off, buf, len, im->d);
		if (r)
			return r;
	}
	*ret_off = base;
	return 0;
}

static int add_xattrs(struct imp *im, struct archive_entry *e, struct tree_node *n)
{
	const char *name;
	const void *val;
	size_t len;

	if (!n)
		return 0;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &val, &len) == ARCHIVE_OK) {
		if (!name || !*name || len > 65536)
			return diag_fail(im->d, -EINVAL, "%s: member \"/%s\": bad xattr", im->o->name,
					 im->path);
		if (tree_set_xattr(n, name, val, (uint32_t)len))
			return diag_fail(im->d, -ENOMEM, "out of memory");
	}
	return 0;
}

static int import_entry(struct imp *im, struct archive *a, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);
	const char *hl = archive_entry_hardlink(e);
	unsigned type = archive_entry_filetype(e);
	struct tree_node *n = NULL;
	int r;

	if (!name)
		return diag_fail(im->d, -EINVAL, "%s: member without a name", im->o->name);
	bool skip = false;
	r = member_path(im, name, im->path, sizeof(im->path), "member", &skip);
	if (r || skip)
		return r;
	struct tree_attr at = {
		.mode = (uint32_t)archive_entry_mode(e) & 0177777,
		.uid = (uint32_t)archive_entry_uid(e),
		.gid = (uint32_t)archive_entry_gid(e),
		.mtime = archive_entry_mtime_is_set(e) ? (int64_t)archive_entry_mtime(e) : im->t->epoch,
	};
	if (archive_entry_uid(e) < 0 || archive_entry_uid(e) > UINT32_MAX - 1 ||
	    archive_entry_gid(e) < 0 || archive_entry_gid(e) > UINT32_MAX - 1)
		return diag_fail(im->d, -EINVAL, "%s: member \"%s\": uid/gid out of range",
				 im->o->name, name);
	if (!im->path[0]) {
		/* The archive's "./": attributes of the destination root. */
		if (type != AE_IFDIR)
			return diag_fail(im->d, -EINVAL, "%s: member \"%s\": names the root but is "
					 "not a directory", im->o->name, name);
		if (im->o->policy != TREE_CONFLICT_KEEP_FIRST) {
			n = im->t->root;
			n->mode = at.mode;
			n->uid = at.uid;
			n->gid = at.gid;
			n->mtime = at.mtime > im->t->epoch ? im->t->epoch : at.mtime;
		}
		return 0;
	}
	r = check_parents(im, im->path, name);
	if (r)
		return r;
	if (hl) {
		r = member_path(im, hl, im->target, sizeof(im->target), "hard link target", NULL);
		if (!r && im->o->follow_symlinks && im->target[0])
			r = resolve_parents(im, im->target, sizeof(im->target), hl);
		if (r)
			return r;
		if (!im->target[0] || !tree_lookup(im->t, im->target))
			return diag_fail(im->d, -EINVAL, "%s: member \"%s\": hard link to \"%s\", "
					 "which is not in the tree (refused)", im->o->name, name, hl);
		r = tree_add_hardlink(im->t, im->path, im->target, im->o->policy, im->o->layer, im->d);
		if (r)
			return r;
		/* cpio puts a link set's data on its last member. */
		if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0) {
			struct tree_node *tgt = tree_lookup(im->t, im->target);
			uint64_t off;
			while (tgt && tgt->hardlink)
				tgt = tgt->hardlink;
			r = read_data(im, a, name, (uint64_t)archive_entry_size(e), &off);
			if (r)
				return r;
			if (tgt && tree_is_reg(tgt) && *spill_path(im->o->spill)) {
				free(tgt->src_path);
				tgt->src_path = strdup(spill_path(im->o->spill));
				if (!tgt->src_path)
					return diag_fail(im->d, -ENOMEM, "out of memory");
				tgt->src_off = off;
				tgt->size = (uint64_t)archive_entry_size(e);
			} else if (tgt && tree_is_reg(tgt)) {
				tgt->size = (uint64_t)archive_entry_size(e);
			}
		}
		return 0;
	}
	switch (type) {
	case AE_IFREG: {
		la_int64_t sz = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
		if (sz < 0)
			return diag_fail(im->d, -EINVAL, "%s: member \"%s\": negative size",
					 im->o->name, name);
		at.size = (uint64_t)sz;
		if (sz > 0) {
			r = read_data(im, a, name, at.size, &at.src_off);
			if (r)
				return r;
			if (*spill_path(im->o->spill))
				at.src_path = spill_path(im->o->spill);
		}
		break;
	}
	case AE_IFLNK:
		/* Linux ignores symlink permissions; store what it reports. */
		at.mode = 0120777;
		at.link = archive_entry_symlink(e);
		if (!at.link || !*at.link)
			return diag_fail(im->d, -EINVAL, "%s: member \"%s\": symlink without a target",
					 im->o->name, name);
		if (strlen(at.link) > TREE_ARCHIVE_MAX_NAME)
			return diag_fail(im->d, -ENAMETOOLONG, "%s: member \"%s\": symlink target too long",
					 im->o->name, name);
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		at.rdev_major = (uint32_t)archive_entry_rdevmajor(e);
		at.rdev_minor = (uint32_t)archive_entry_rdevminor(e);
		break;
	case AE_IFDIR:
	case AE_IFIFO:
	case AE_IFSOCK:
		break;
	default:
		return diag_fail(im->d, -EINVAL, "%s: member \"%s\": unsupported file type 0%o",
				 im->o->name, name, type);
	}
	r = tree_add(im->t, im->path, &at, im->o->policy, im->o->layer, &n, im->d);
	if (r)
		return r;
	return add_xattrs(im, e, n);
}

static void setup_filters(struct archive *a)
{
	/* Built-in decoders only: no fallback to external programs. */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_zstd(a);
}

static int import_all(struct imp *im, struct archive *a)
{
	struct archive_entry *e;
	int r;

	for (;;) {
		int k = archive_read_next_header(a, &e);
		if (k == ARCHIVE_EOF)
			return 0;
		if (k < ARCHIVE_WARN)
			return arch_fail(im, a, NULL, -EINVAL);
		if (++im->count > TREE_ARCHIVE_MAX_ENTRIES ||
		    im->t->nnodes >= TREE_ARCHIVE_MAX_ENTRIES)
			return diag_fail(im->d, -E2BIG, "%s: more than %u entries in the tree",
					 im->o->name, TREE_ARCHIVE_MAX_ENTRIES);
		r = import_entry(im, a, e);
		if (r)
			return r;
	}
}

/* The data.tar.* member of a .deb, read straight out of the ar stream. */
struct deb_inner {
	struct archive *outer;
	char buf[65536];
};

static la_ssize_t deb_read(struct archive *inner, void *ud, const void **buf)
{
	struct deb_inner *di = ud;
	la_ssize_t n = archive_read_data(di->outer, di->buf, sizeof(di->buf));

	if (n < 0) {
		archive_set_error(inner, EIO, "%s", archive_error_string(di->outer)
						      ? archive_error_string(di->outer) : "read error");
		return -1;
	}
	*buf = di->buf;
	return n;
}

static int import_deb(struct imp *im, struct archive *outer)
{
	struct archive_entry *e;
	bool first = true;

	for (;;) {
		int k = archive_read_next_header(outer, &e);
		if (k == ARCHIVE_EOF)
			return diag_fail(im->d, -EINVAL, "%s: no data.tar member: not a Debian package",
					 im->o->name);
		if (k < ARCHIVE_WARN)
			return arch_fail(im, outer, NULL, -EINVAL);
		const char *name = archive_entry_pathname(e);
		if (!name)
			name = "";
		if (first && strcmp(name, "debian-binary"))
			return diag_fail(im->d, -EINVAL, "%s: first member is \"%s\", not "
					 "\"debian-binary\": not a Debian package", im->o->name, name);
		first = false;
		if (strncmp(name, "data.tar", 8))
			continue;
		struct deb_inner *di = calloc(1, sizeof(*di));
		struct archive *in = archive_read_new();
		int r;
		if (!di || !in) {
			free(di);
			if (in)
				archive_read_free(in);
			return diag_fail(im->d, -ENOMEM, "out of memory");
		}
		di->outer = outer;
		setup_filters(in);
		archive_read_support_format_tar(in);
		if (archive_read_open(in, di, NULL, deb_read, NULL) != ARCHIVE_OK)
			r = arch_fail(im, in, NULL, -EINVAL);
		else
			r = import_all(im, in);
		archive_read_free(in);
		free(di);
		return r;
	}
}

static int run(struct tree *t, struct archive *a, int opened, const struct tree_archive_opts *o,
	       struct diag *d)
{
	struct imp *im = calloc(1, sizeof(*im));
	int r;

	if (!im) {
		archive_read_free(a);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	im->t = t;
	im->o = o;
	im->d = d;
	spill_begin(o->spill, o->region, &im->w);
	if (opened != ARCHIVE_OK)
		r = arch_fail(im, a, NULL, -EINVAL);
	else if (o->kind == TREE_ARCHIVE_DEB)
		r = import_deb(im, a);
	else
		r = import_all(im, a);
	if (!r)
		r = spill_end(&im->w, d);
	archive_read_free(a);
	free(im);
	return r;
}

static struct archive *new_reader(enum tree_archive_kind kind)
{
	struct archive *a = archive_read_new();

	if (!a)
		return NULL;
	if (kind == TREE_ARCHIVE_DEB) {
		archive_read_support_format_ar(a);
	} else {
		setup_filters(a);
		archive_read_support_format_tar(a);
		archive_read_support_format_cpio(a);
	}
	return a;
}

int tree_add_archive(struct tree *t, const char *path, const struct tree_archive_opts *o,
		     struct diag *d)
{
	struct stat st;
	struct archive *a;

	if (stat(path, &st))
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return diag_fail(d, -EINVAL, "%s: not a regular file", path);
	a = new_reader(o->kind);
	if (!a)
		return diag_fail(d, -ENOMEM, "out of memory");
	return run(t, a, archive_read_open_filename(a, path, 65536), o, d);
}

int tree_add_archive_mem(struct tree *t, const void *buf, size_t len,
			 const struct tree_archive_opts *o, struct diag *d)
{
	struct archive *a = new_reader(o->kind);

	if (!a)
		return diag_fail(d, -ENOMEM, "out of memory");
	return run(t, a, archive_read_open_memory(a, buf, len), o, d);
}
