/* SPDX-License-Identifier: MIT */
/* Archive layers through libarchive: see tree-archive.h for the rules. */
#include "fs/tree-archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/spill.h"
#include "fs/tree-archive-int.h"
#include "fs/xz-read.h"

static int arch_fail(struct imp *im, struct archive *a, const char *member, int err)
{
	const char *why = archive_error_string(a);

	if (member)
		return diag_fail(im->d, err, "%s: member \"%s\": %s", im->o->name, member,
				 why ? why : "read error");
	return diag_fail(im->d, err, "%s: %s", im->o->name, why ? why : "cannot read archive");
}

/* Where the data of the members being imported is: the spill file, or
 * the decoded-layer file a replayed log was loaded from. */
static const char *data_path(const struct imp *im)
{
	return im->data_path ? im->data_path : spill_path(im->o->spill);
}

/* Copy one member's data into the spill file. */
int ta_read_data(struct imp *im, struct archive *a, const char *member, uint64_t size,
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
		r = ta_read_data(im, m->a, m->name, size, ret_off);
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
int ta_import_member(struct imp *im, const struct member *m)
{
	const char *name = m->name;
	struct tree_node *n = NULL;
	int r;

	im->kept = false;
	im->has_data = false;
	if (!name)
		return diag_fail(im->d, -EINVAL, "%s: member without a name", im->o->name);
	bool skip = false;
	r = ta_member_path(im, name, im->path, sizeof(im->path), "member", &skip);
	if (r || skip)
		return r;
	im->kept = true;
	struct tree_attr at = {
		.mode = m->mode & 0177777,
		.uid = (uint32_t)m->uid,
		.gid = (uint32_t)m->gid,
		.mtime = m->mtime_set ? m->mtime : im->t->epoch,
		.mtime_ns = m->mtime_set ? m->mtime_ns : 0,
	};
	if (m->uid < 0 || m->uid > UINT32_MAX - 1 || m->gid < 0 || m->gid > UINT32_MAX - 1)
		return diag_fail(im->d, -EINVAL, "%s: member \"%s\": uid/gid out of range",
				 im->o->name, name);
	if (!im->path[0]) {
		/* The archive's "./": attributes of the destination root. */
		if (m->type != AE_IFDIR)
			return diag_fail(im->d, -EINVAL, "%s: member \"%s\": names the root but is "
					 "not a directory", im->o->name, name);
		tree_set_root(im->t, &at, im->o->policy, im->o->layer);
		return 0;
	}
	r = ta_check_parents(im, im->path, name);
	if (r)
		return r;
	if (m->hl) {
		const char *hl = m->hl;
		r = ta_member_path(im, hl, im->target, sizeof(im->target), "hard link target",
				   NULL);
		if (!r && im->o->follow_symlinks && im->target[0])
			r = ta_resolve_parents(im, im->target, sizeof(im->target), hl);
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
			if (tgt && tree_is_reg(tgt) && *data_path(im)) {
				if (tree_node_set_src(im->t, tgt, data_path(im), off))
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
			if (*data_path(im))
				at.src_path = data_path(im);
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
		.mtime_ns = archive_entry_mtime_is_set(e) ? (uint32_t)archive_entry_mtime_nsec(e) : 0,
		.size_set = archive_entry_size_is_set(e),
		.size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0,
		.a = a,
		.e = e,
	};
	if (type == AE_IFCHR || type == AE_IFBLK) {
		m.rdev_major = (uint32_t)archive_entry_rdevmajor(e);
		m.rdev_minor = (uint32_t)archive_entry_rdevminor(e);
	}
	int r = ta_import_member(im, &m);
	if (!r && im->kept && im->rec)
		r = ta_log_member(im, im->rec, &m, im->has_data, im->data_off);
	for (unsigned k = 0; !r && k < im->nsib; k++)
		r = ta_record_sibling(im, k, &m);
	return r;
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
		archive_read_support_format_tar(in);
		/* dpkg picks the decompressor by the member's name too. The
		 * kernel's data.tar.xz is most of a cold build: decoded on
		 * several threads. */
		if (!strcmp(name, "data.tar.xz")) {
			k = xz_archive_open(in, im->o->threads, im->o->xz_memlimit, deb_read, di);
		} else {
			setup_filters(in);
			k = archive_read_open(in, di, NULL, deb_read, NULL);
		}
		if (k != ARCHIVE_OK)
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
	ta_drop_siblings(im);
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
	im->data_path = log->data_path;
	r = ta_replay(im, log);
	free(im);
	return r;
}

/* @xz: the bytes are decoded by xz-read.c, not by a libarchive filter. */
static struct archive *new_reader(enum tree_archive_kind kind, bool xz)
{
	struct archive *a = archive_read_new();

	if (!a)
		return NULL;
	if (kind == TREE_ARCHIVE_DEB) {
		archive_read_support_format_ar(a);
	} else {
		if (!xz)
			setup_filters(a);
		archive_read_support_format_tar(a);
		archive_read_support_format_cpio(a);
	}
	return a;
}

/* An xz-compressed tar or cpio at @path: opened on @a through xz-read.c.
 * Returns false (nothing opened) for any other file, which libarchive
 * then opens and detects as before. */
static bool open_xz_file(struct archive **a, const char *path, const struct tree_archive_opts *o,
			 int *ret_opened)
{
	uint8_t head[6];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	    !xz_is_xz(head, sizeof(head)) || !(*a = new_reader(TREE_ARCHIVE_AUTO, true))) {
		close(fd);
		return false;
	}
	*ret_opened = xz_archive_open_fd(*a, o->threads, o->xz_memlimit, fd);
	return true;
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
	int opened;
	if (o->kind == TREE_ARCHIVE_AUTO && open_xz_file(&a, path, o, &opened))
		return run(t, a, opened, o, &st, d);
	a = new_reader(o->kind, false);
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
	bool xz = o->kind == TREE_ARCHIVE_AUTO && xz_is_xz(buf, len);
	if (!(a = new_reader(o->kind, xz)))
		return diag_fail(d, -ENOMEM, "out of memory");
	return run(t, a, xz ? xz_archive_open_memory(a, o->threads, o->xz_memlimit, buf, len)
			    : archive_read_open_memory(a, buf, len), o, NULL, d);
}
