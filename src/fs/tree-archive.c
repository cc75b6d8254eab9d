/* SPDX-License-Identifier: MIT */
/* Archive layers through libarchive: see tree-archive.h for the rules. */
#include "fs/tree-archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
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

/* One kept member, as recorded in a replay log: this fixed part, then
 * the name, the hard link target and the symlink target (each with its
 * NUL, when present), then the xattrs (u32 name length, u32 value
 * length, name, NUL, value). */
struct rec {
	int64_t uid, gid, mtime, size;
	uint64_t data_off;
	uint32_t type, mode, rdev_major, rdev_minor;
	uint32_t name_len, hl_len, link_len, nxattrs;
	uint32_t flags;
};

enum { REC_MTIME = 1, REC_SIZE = 2, REC_HL = 4, REC_LINK = 8, REC_DATA = 16 };

/* A recorded xattr value longer than this is kept as a marker without
 * its bytes: it is refused again whenever it would be applied. */
#define XATTR_MAX 65536u

struct tree_archive_log {
	uint8_t *buf;
	size_t len, cap;
	uint64_t nmembers;
	char *abs_name;   /* member that triggered the leading-'/' warning */
	bool have_stat;
	struct stat st;   /* the archive file when it was read */
};

void tree_archive_log_free(struct tree_archive_log *log)
{
	if (!log)
		return;
	free(log->buf);
	free(log->abs_name);
	free(log);
}

/* An archive member, from libarchive (a, e) or from a replay log. */
struct member {
	const char *name, *hl, *link;
	unsigned type;
	uint32_t mode, rdev_major, rdev_minor;
	int64_t uid, gid, mtime, size;
	bool mtime_set, size_set;
	struct archive *a;         /* reading: data and xattrs come from here */
	struct archive_entry *e;
	const uint8_t *xattrs;     /* replaying: packed as in the log */
	uint32_t nxattrs;
	bool has_data;             /* replaying: the data is already at data_off */
	uint64_t data_off;
};

struct imp {
	struct tree *t;
	const struct tree_archive_opts *o;
	struct spill_writer w;
	struct diag *d;
	bool warned_abs;
	uint64_t count;
	struct tree_archive_log *rec; /* reading: log being recorded (or NULL) */
	struct tree_archive_log **sib; /* ... and those of o->siblings */
	unsigned nsib;                 /* 0 when sibling recording was dropped */
	bool kept;                    /* the current member passed the filters */
	bool has_data;                /* ... and its data went to data_off */
	uint64_t data_off;
	char path[TREE_ARCHIVE_MAX_NAME * 2 + 2];
	char target[TREE_ARCHIVE_MAX_NAME * 2 + 2];
};

/*
 * Layer filters on a cleaned member path: `include` globs (on the whole
 * member path; an archive as large as a kernel package then costs only
 * what it keeps) and `subdir` (only members below it, relative to it).
 * Returns true when the member is kept; @clean is rewritten in place.
 */
static bool member_filter(const char *const *include, unsigned ninclude, const char *subdir,
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
		if (im->rec && !(im->rec->abs_name = strdup(name)))
			return diag_fail(im->d, -ENOMEM, "out of memory");
	}
	if (!member_filter(im->o->include, im->o->ninclude, im->o->subdir, clean,
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

/* A member's data: copied from the archive, or already in the spill
 * file when replaying. */
static int member_data(struct imp *im, const struct member *m, uint64_t size, uint64_t *ret_off)
{
	int r;

	if (m->a) {
		r = read_data(im, m->a, m->name, size, ret_off);
		if (r)
			return r;
	} else if (m->has_data) {
		*ret_off = m->data_off;
	} else {
		return diag_fail(im->d, -EINVAL, "%s: member \"%s\": replay log without its data",
				 im->o->name, m->name);
	}
	im->has_data = true;
	im->data_off = *ret_off;
	return 0;
}

static int set_xattr(struct imp *im, struct tree_node *n, const char *name, const void *val,
		     size_t len)
{
	if (!name || !*name || len > XATTR_MAX)
		return diag_fail(im->d, -EINVAL, "%s: member \"/%s\": bad xattr", im->o->name,
				 im->path);
	if (tree_set_xattr(n, name, val, (uint32_t)len))
		return diag_fail(im->d, -ENOMEM, "out of memory");
	return 0;
}

static int add_xattrs(struct imp *im, const struct member *m, struct tree_node *n)
{
	const char *name;
	const void *val;
	size_t len;
	int r;

	if (!n)
		return 0;
	if (m->e) {
		archive_entry_xattr_reset(m->e);
		while (archive_entry_xattr_next(m->e, &name, &val, &len) == ARCHIVE_OK)
			if ((r = set_xattr(im, n, name, val, len)))
				return r;
		return 0;
	}
	const uint8_t *p = m->xattrs;
	for (uint32_t i = 0; i < m->nxattrs; i++) {
		uint32_t nl, vl;
		memcpy(&nl, p, 4);
		memcpy(&vl, p + 4, 4);
		name = (const char *)p + 8;
		p += 8 + nl + 1;
		if ((r = set_xattr(im, n, name, p, vl)))
			return r;
		if (vl <= XATTR_MAX)
			p += vl;
	}
	return 0;
}

/* Everything after the layer's filters: the tree-dependent checks and
 * the tree update. The same for a member read and a member replayed. */
static int import_member(struct imp *im, const struct member *m)
{
	const char *name = m->name;
	struct tree_node *n = NULL;
	int r;

	im->kept = false;
	im->has_data = false;
	if (!name)
		return diag_fail(im->d, -EINVAL, "%s: member without a name", im->o->name);
	bool skip = false;
	r = member_path(im, name, im->path, sizeof(im->path), "member", &skip);
	if (r || skip)
		return r;
	im->kept = true;
	struct tree_attr at = {
		.mode = m->mode & 0177777,
		.uid = (uint32_t)m->uid,
		.gid = (uint32_t)m->gid,
		.mtime = m->mtime_set ? m->mtime : im->t->epoch,
	};
	if (m->uid < 0 || m->uid > UINT32_MAX - 1 || m->gid < 0 || m->gid > UINT32_MAX - 1)
		return diag_fail(im->d, -EINVAL, "%s: member \"%s\": uid/gid out of range",
				 im->o->name, name);
	if (!im->path[0]) {
		/* The archive's "./": attributes of the destination root. */
		if (m->type != AE_IFDIR)
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
	if (m->hl) {
		const char *hl = m->hl;
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
		if (m->size_set && m->size > 0) {
			struct tree_node *tgt = tree_lookup(im->t, im->target);
			uint64_t off;
			while (tgt && tgt->hardlink)
				tgt = tgt->hardlink;
			r = member_data(im, m, (uint64_t)m->size, &off);
			if (r)
				return r;
			if (tgt && tree_is_reg(tgt) && *spill_path(im->o->spill)) {
				if (tree_node_set_src(im->t, tgt, spill_path(im->o->spill), off))
					return diag_fail(im->d, -ENOMEM, "out of memory");
				tgt->size = (uint64_t)m->size;
			} else if (tgt && tree_is_reg(tgt)) {
				tgt->size = (uint64_t)m->size;
			}
		}
		return 0;
	}
	switch (m->type) {
	case AE_IFREG: {
		int64_t sz = m->size_set ? m->size : 0;
		if (sz < 0)
			return diag_fail(im->d, -EINVAL, "%s: member \"%s\": negative size",
					 im->o->name, name);
		at.size = (uint64_t)sz;
		if (sz > 0) {
			r = member_data(im, m, at.size, &at.src_off);
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
		at.link = m->link;
		if (!at.link || !*at.link)
			return diag_fail(im->d, -EINVAL, "%s: member \"%s\": symlink without a target",
					 im->o->name, name);
		if (strlen(at.link) > TREE_ARCHIVE_MAX_NAME)
			return diag_fail(im->d, -ENAMETOOLONG, "%s: member \"%s\": symlink target too long",
					 im->o->name, name);
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		at.rdev_major = m->rdev_major;
		at.rdev_minor = m->rdev_minor;
		break;
	case AE_IFDIR:
	case AE_IFIFO:
	case AE_IFSOCK:
		break;
	default:
		return diag_fail(im->d, -EINVAL, "%s: member \"%s\": unsupported file type 0%o",
				 im->o->name, name, m->type);
	}
	r = tree_add(im->t, im->path, &at, im->o->policy, im->o->layer, &n, im->d);
	if (r)
		return r;
	return add_xattrs(im, m, n);
}

/* Make room for @len more bytes in the log. */
static uint8_t *log_grow(struct imp *im, struct tree_archive_log *log, size_t len)
{
	if (len > SIZE_MAX / 2 - log->len) {
		diag_fail(im->d, -ENOMEM, "out of memory");
		return NULL;
	}
	if (log->len + len > log->cap) {
		size_t nc = log->cap ? log->cap : 4096;
		while (nc < log->len + len)
			nc *= 2;
		uint8_t *nb = realloc(log->buf, nc);
		if (!nb) {
			diag_fail(im->d, -ENOMEM, "out of memory");
			return NULL;
		}
		log->buf = nb;
		log->cap = nc;
	}
	uint8_t *p = log->buf + log->len;
	log->len += len;
	return p;
}

static int log_str(struct imp *im, struct tree_archive_log *log, const char *s, size_t len)
{
	uint8_t *p = log_grow(im, log, len + 1);

	if (!p)
		return -ENOMEM;
	memcpy(p, s, len);
	p[len] = 0;
	return 0;
}

/* Record a member kept by a layer's filters in its log; its data (if
 * any) is at @data_off. */
static int log_member(struct imp *im, struct tree_archive_log *log, const struct member *m,
		      bool has_data, uint64_t data_off)
{
	struct rec rc;
	const char *xn;
	const void *xv;
	size_t xl;
	int r;

	memset(&rc, 0, sizeof(rc));
	rc.uid = m->uid;
	rc.gid = m->gid;
	rc.mtime = m->mtime;
	rc.size = m->size;
	rc.type = m->type;
	rc.mode = m->mode;
	rc.rdev_major = m->rdev_major;
	rc.rdev_minor = m->rdev_minor;
	rc.flags = (m->mtime_set ? REC_MTIME : 0) | (m->size_set ? REC_SIZE : 0) |
		   (m->hl ? REC_HL : 0) | (m->link ? REC_LINK : 0) | (has_data ? REC_DATA : 0);
	rc.data_off = data_off;
	/* Names were checked (at most TREE_ARCHIVE_MAX_NAME) on import. */
	rc.name_len = (uint32_t)strlen(m->name);
	rc.hl_len = m->hl ? (uint32_t)strlen(m->hl) : 0;
	rc.link_len = m->link ? (uint32_t)strnlen(m->link, TREE_ARCHIVE_MAX_NAME + 1) : 0;
	archive_entry_xattr_reset(m->e);
	while (archive_entry_xattr_next(m->e, &xn, &xv, &xl) == ARCHIVE_OK)
		rc.nxattrs++;
	uint8_t *p = log_grow(im, log, sizeof(rc));
	if (!p)
		return -ENOMEM;
	memcpy(p, &rc, sizeof(rc));
	if ((r = log_str(im, log, m->name, rc.name_len)) ||
	    (m->hl && (r = log_str(im, log, m->hl, rc.hl_len))) ||
	    (m->link && (r = log_str(im, log, m->link, rc.link_len))))
		return r;
	archive_entry_xattr_reset(m->e);
	while (archive_entry_xattr_next(m->e, &xn, &xv, &xl) == ARCHIVE_OK) {
		/* Kept as they came, good or bad: add_xattrs judges on replay. */
		uint32_t nl = xn ? (uint32_t)strlen(xn) : 0;
		uint32_t vl = xl > XATTR_MAX ? XATTR_MAX + 1 : (uint32_t)xl;
		if (!(p = log_grow(im, log, 8)))
			return -ENOMEM;
		memcpy(p, &nl, 4);
		memcpy(p + 4, &vl, 4);
		if ((r = log_str(im, log, xn ? xn : "", nl)))
			return r;
		if (vl <= XATTR_MAX && vl) {
			if (!(p = log_grow(im, log, vl)))
				return -ENOMEM;
			memcpy(p, xv, vl);
		}
	}
	log->nmembers++;
	return 0;
}

static void drop_siblings(struct imp *im)
{
	for (unsigned k = 0; k < im->nsib; k++)
		tree_archive_log_free(im->sib[k]);
	im->nsib = 0;
}

/* Record member @m (already imported for this layer) in sibling @k's log
 * when its filters keep it; its data is read here unless this layer
 * read it already. */
static int record_sibling(struct imp *im, unsigned k, const struct member *m)
{
	const struct tree_archive_sibling *sb = &im->o->siblings[k];
	struct tree_archive_log *log = im->sib[k];
	char clean[TREE_ARCHIVE_MAX_NAME + 1];
	int abs = 0, r;

	/* Names this layer refuses never get here: the import stopped. */
	if (!m->name || strlen(m->name) > TREE_ARCHIVE_MAX_NAME ||
	    tree_archive_clean_path(m->name, clean, sizeof(clean), &abs))
		return 0;
	if (abs && !log->abs_name && !(log->abs_name = strdup(m->name)))
		return diag_fail(im->d, -ENOMEM, "out of memory");
	if (!member_filter(sb->include, sb->ninclude, sb->subdir, clean, true))
		return 0;
	bool need = m->size_set && m->size > 0 && (m->hl || m->type == AE_IFREG);
	if (need && !im->has_data) {
		bool clean_diag = im->d && !im->d->err;
		r = read_data(im, m->a, m->name, (uint64_t)m->size, &im->data_off);
		if (r && clean_diag) {
			/* Not this layer's member: this layer's import must go
			 * on as if unshared; the sibling will read for itself. */
			if (r == -ENOMEM)
				return r;
			diag_clear(im->d);
			drop_siblings(im);
			return 0;
		}
		im->has_data = true;
	}
	return log_member(im, log, m, need, im->data_off);
}

static int import_entry(struct imp *im, struct archive *a, struct archive_entry *e)
{
	unsigned type = archive_entry_filetype(e);
	struct member m = {
		.name = archive_entry_pathname(e),
		.hl = archive_entry_hardlink(e),
		.link = type == AE_IFLNK ? archive_entry_symlink(e) : NULL,
		.type = type,
		.mode = (uint32_t)archive_entry_mode(e),
		.uid = archive_entry_uid(e),
		.gid = archive_entry_gid(e),
		.mtime_set = archive_entry_mtime_is_set(e),
		.mtime = archive_entry_mtime_is_set(e) ? (int64_t)archive_entry_mtime(e) : 0,
		.size_set = archive_entry_size_is_set(e),
		.size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0,
		.a = a,
		.e = e,
	};
	if (type == AE_IFCHR || type == AE_IFBLK) {
		m.rdev_major = (uint32_t)archive_entry_rdevmajor(e);
		m.rdev_minor = (uint32_t)archive_entry_rdevminor(e);
	}
	int r = import_member(im, &m);
	if (!r && im->kept && im->rec)
		r = log_member(im, im->rec, &m, im->has_data, im->data_off);
	for (unsigned k = 0; !r && k < im->nsib; k++)
		r = record_sibling(im, k, &m);
	return r;
}

/* Import every member of @log again, in order. */
static int replay(struct imp *im, const struct tree_archive_log *log)
{
	/* An empty log has no buffer: NULL + 0 is undefined behaviour. */
	const uint8_t *p = log->buf, *end = log->buf ? log->buf + log->len : NULL;
	int r;

	if (log->abs_name) {
		diag_warn(im->d, "%s: removing leading '/' from member names (first: \"%s\")",
			  im->o->name, log->abs_name);
		im->warned_abs = true;
	}
	while (p < end) {
		struct rec rc;
		memcpy(&rc, p, sizeof(rc));
		p += sizeof(rc);
		struct member m = {
			.type = rc.type,
			.mode = rc.mode,
			.rdev_major = rc.rdev_major,
			.rdev_minor = rc.rdev_minor,
			.uid = rc.uid,
			.gid = rc.gid,
			.mtime = rc.mtime,
			.size = rc.size,
			.mtime_set = rc.flags & REC_MTIME,
			.size_set = rc.flags & REC_SIZE,
			.has_data = rc.flags & REC_DATA,
			.data_off = rc.data_off,
			.nxattrs = rc.nxattrs,
		};
		m.name = (const char *)p;
		p += rc.name_len + 1;
		if (rc.flags & REC_HL) {
			m.hl = (const char *)p;
			p += rc.hl_len + 1;
		}
		if (rc.flags & REC_LINK) {
			m.link = (const char *)p;
			p += rc.link_len + 1;
		}
		m.xattrs = p;
		for (uint32_t i = 0; i < rc.nxattrs; i++) {
			uint32_t nl, vl;
			memcpy(&nl, p, 4);
			memcpy(&vl, p + 4, 4);
			p += 8 + nl + 1 + (vl <= XATTR_MAX ? vl : 0);
		}
		if (++im->count > TREE_ARCHIVE_MAX_ENTRIES ||
		    im->t->nnodes >= TREE_ARCHIVE_MAX_ENTRIES)
			return diag_fail(im->d, -E2BIG, "%s: more than %u entries in the tree",
					 im->o->name, TREE_ARCHIVE_MAX_ENTRIES);
		if ((r = import_member(im, &m)))
			return r;
	}
	return 0;
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
	       const struct stat *st, struct diag *d)
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
	if (o->log && !(im->rec = calloc(1, sizeof(*im->rec)))) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	if (im->rec && st) {
		im->rec->have_stat = true;
		im->rec->st = *st;
	}
	if (im->rec && o->nsiblings) {
		if (!(im->sib = calloc(o->nsiblings, sizeof(*im->sib)))) {
			r = diag_fail(d, -ENOMEM, "out of memory");
			goto out;
		}
		for (; im->nsib < o->nsiblings; im->nsib++) {
			struct tree_archive_log *l = calloc(1, sizeof(*l));
			if (!l) {
				r = diag_fail(d, -ENOMEM, "out of memory");
				goto out;
			}
			if (st) {
				l->have_stat = true;
				l->st = *st;
			}
			im->sib[im->nsib] = l;
		}
	}
	spill_begin(o->spill, o->region, &im->w);
	if (opened != ARCHIVE_OK)
		r = arch_fail(im, a, NULL, -EINVAL);
	else if (o->kind == TREE_ARCHIVE_DEB)
		r = import_deb(im, a);
	else
		r = import_all(im, a);
	if (!r)
		r = spill_end(&im->w, d);
	if (!r && im->rec) {
		tree_archive_log_free(*o->log);
		*o->log = im->rec;
		im->rec = NULL;
		for (unsigned k = 0; k < im->nsib; k++) {
			tree_archive_log_free(*o->siblings[k].log);
			*o->siblings[k].log = im->sib[k];
			im->sib[k] = NULL;
		}
		if (im->nsib)
			diag_note(d, "%s: recorded for %u other layer(s) in the same read", o->name,
				  im->nsib);
	}
out:
	drop_siblings(im);
	free(im->sib);
	tree_archive_log_free(im->rec);
	archive_read_free(a);
	free(im);
	return r;
}

static int run_replay(struct tree *t, const struct tree_archive_opts *o, struct diag *d)
{
	const struct tree_archive_log *log = *o->log;
	struct imp *im = calloc(1, sizeof(*im));
	int r;

	if (!im)
		return diag_fail(d, -ENOMEM, "out of memory");
	diag_note(d, "%s: replaying archive (%" PRIu64 " kept members, no decompression)",
		  o->name ? o->name : "(memory)", log->nmembers);
	im->t = t;
	im->o = o;
	im->d = d;
	r = replay(im, log);
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

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
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
	if (o->log && *o->log) {
		/* Its data in the spill file is that of the first read. */
		if ((*o->log)->have_stat && !same_file(&(*o->log)->st, &st))
			return diag_fail(d, -ESTALE, "%s: changed during the build (read earlier "
					 "for another image)", path);
		return run_replay(t, o, d);
	}
	diag_note(d, "%s: reading archive", o->name);
	a = new_reader(o->kind);
	if (!a)
		return diag_fail(d, -ENOMEM, "out of memory");
	return run(t, a, archive_read_open_filename(a, path, 65536), o, &st, d);
}

int tree_add_archive_mem(struct tree *t, const void *buf, size_t len,
			 const struct tree_archive_opts *o, struct diag *d)
{
	struct archive *a;

	if (o->log && *o->log)
		return run_replay(t, o, d);
	diag_note(d, "%s: reading archive", o->name ? o->name : "(memory)");
	if (!(a = new_reader(o->kind)))
		return diag_fail(d, -ENOMEM, "out of memory");
	return run(t, a, archive_read_open_memory(a, buf, len), o, NULL, d);
}
