/* SPDX-License-Identifier: MIT */
/* tar writer through libarchive (see tar.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "base/diag.h"
#include "fs/tar.h"
#include "fs/tree.h"
#include "io/sink.h"

#define TAR_READ_BUF (64u * 1024)

struct tw {
	struct archive *a;   /* the tar stream */
	struct archive *z;   /* compressed: raw format + filter, fed by a's records */
	struct archive_entry *e;
	struct sink *out;
	struct diag *d;
	uint64_t off;        /* bytes written to the sink */
	int sink_err;
	uint64_t sockets;
	const char *socket_name;
	uint8_t *buf;
	char **first;        /* per hard-link group: the name that carries the data */
};

static const char *const comp_names[TAR_COMP_MAX] = {
	[TAR_COMP_NONE] = "none", [TAR_COMP_GZIP] = "gzip", [TAR_COMP_BZIP2] = "bzip2",
	[TAR_COMP_XZ] = "xz", [TAR_COMP_LZMA] = "lzma", [TAR_COMP_ZSTD] = "zstd",
};

const char *tar_comp_name(enum tar_comp c)
{
	return c < TAR_COMP_MAX ? comp_names[c] : "?";
}

static la_ssize_t tw_write(struct archive *a, void *ud, const void *buf, size_t len)
{
	struct tw *w = ud;
	int r = sink_pwrite(w->out, buf, len, w->off);

	if (r) {
		w->sink_err = r;
		archive_set_error(a, -r, "%s", strerror(-r));
		return -1;
	}
	w->off += len;
	return (la_ssize_t)len;
}

/* Compressed output: the tar stream's records, padded as uncompressed,
 * become the data of the compressor's single raw entry. */
static la_ssize_t tw_feed(struct archive *a, void *ud, const void *buf, size_t len)
{
	struct tw *w = ud;

	if (archive_write_data(w->z, buf, len) != (la_ssize_t)len) {
		archive_set_error(a, EIO, "%s", w->sink_err ? strerror(-w->sink_err) :
			archive_error_string(w->z));
		return -1;
	}
	return (la_ssize_t)len;
}

static int tw_fail(struct tw *w, const char *what)
{
	if (w->sink_err)
		return diag_fail(w->d, w->sink_err, "tar: %s: %s", what, strerror(-w->sink_err));
	return diag_fail(w->d, -EIO, "tar: %s: %s", what, archive_error_string(w->a));
}

static int add_filter(struct tw *w, enum tar_comp c)
{
	struct archive *a = w->z;
	int r;

	switch (c) {
	case TAR_COMP_NONE:
		return 0;
	case TAR_COMP_GZIP:
		r = archive_write_add_filter_gzip(a);
		/* No mtime in the gzip header (libarchive puts the time of day). */
		if (r == ARCHIVE_OK)
			r = archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
		break;
	case TAR_COMP_BZIP2:
		r = archive_write_add_filter_bzip2(a);
		break;
	case TAR_COMP_XZ:
		r = archive_write_add_filter_xz(a);
		break;
	case TAR_COMP_LZMA:
		r = archive_write_add_filter_lzma(a);
		break;
	case TAR_COMP_ZSTD:
		r = archive_write_add_filter_zstd(a);
		break;
	default:
		return diag_fail(w->d, -EINVAL, "tar: bad compression");
	}
	/* ARCHIVE_WARN: libarchive would run an external program; kiln never does. */
	if (r != ARCHIVE_OK)
		return diag_fail(w->d, -EOPNOTSUPP, "tar: %s compression not available in libarchive: %s",
				 comp_names[c], archive_error_string(a));
	return 0;
}

static int open_compressor(struct tw *w, enum tar_comp c)
{
	struct archive_entry *e;
	int r;

	w->z = archive_write_new();
	e = archive_entry_new();
	if (!w->z || !e) {
		archive_entry_free(e);
		return diag_fail(w->d, -ENOMEM, "out of memory");
	}
	r = add_filter(w, c);
	if (r)
		goto out;
	if (archive_write_set_format_raw(w->z) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->z, 1) != ARCHIVE_OK ||
	    archive_write_open(w->z, w, NULL, tw_write, NULL) != ARCHIVE_OK) {
		r = diag_fail(w->d, w->sink_err ? w->sink_err : -EIO, "tar: %s: %s", comp_names[c],
			      w->sink_err ? strerror(-w->sink_err) : archive_error_string(w->z));
		goto out;
	}
	/* The raw format takes one regular-file entry; its name is not
	 * written (gzip: no name in the header). */
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_pathname(e, "tar");
	if (archive_write_header(w->z, e) != ARCHIVE_OK)
		r = diag_fail(w->d, -EIO, "tar: %s: %s", comp_names[c], archive_error_string(w->z));
out:
	archive_entry_free(e);
	return r;
}

static int copy_data(struct tw *w, const struct tree_node *n, const char *name)
{
	char pbuf[TREE_SRC_PATH_MAX];
	const char *path = tree_node_src_path(n, pbuf, sizeof(pbuf));
	uint64_t done = 0;
	int fd, r = 0;

	if (!path)
		return diag_fail(w->d, -EINVAL, "tar: %s: no data source", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(w->d, -errno, "%s: %s", path, strerror(errno));
	while (done < n->size) {
		size_t want = n->size - done < TAR_READ_BUF ? (size_t)(n->size - done) : TAR_READ_BUF;
		ssize_t got = pread(fd, w->buf, want, (off_t)(n->src_off + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = diag_fail(w->d, -errno, "%s: %s", path, strerror(errno));
			break;
		}
		if (got == 0) {
			r = diag_fail(w->d, -EIO, "%s: changed while reading (shorter than %llu bytes)",
				      path, (unsigned long long)n->size);
			break;
		}
		if (archive_write_data(w->a, w->buf, (size_t)got) != got) {
			r = tw_fail(w, name);
			break;
		}
		done += (uint64_t)got;
	}
	close(fd);
	return r;
}

static char *entry_name(const struct tree_node *n)
{
	char *p = tree_path(n), *s;
	size_t len;

	if (!p)
		return NULL;
	len = strlen(p) + 4;
	s = malloc(len);
	if (s)
		snprintf(s, len, "./%s%s", p, tree_is_dir(n) && *p ? "/" : "");
	free(p);
	return s;
}

static int add_node(struct tree_node *n, void *ud)
{
	struct tw *w = ud;
	const struct tree_node *t = n->hardlink ? n->hardlink : n;
	uint32_t type = t->mode & 0170000;
	char *name;
	int r = 0;

	if (type == 0140000) {
		if (!w->sockets++)
			w->socket_name = n->name;
		return 0;
	}
	name = entry_name(n);
	if (!name)
		return diag_fail(w->d, -ENOMEM, "out of memory");
	archive_entry_clear(w->e);
	archive_entry_set_pathname(w->e, name);
	archive_entry_set_mode(w->e, t->mode);
	archive_entry_set_uid(w->e, t->uid);
	archive_entry_set_gid(w->e, t->gid);
	archive_entry_set_mtime(w->e, t->mtime, 0);
	if (type == 0020000 || type == 0060000) {
		archive_entry_set_rdevmajor(w->e, t->rdev_major);
		archive_entry_set_rdevminor(w->e, t->rdev_minor);
	}
	if (type == 0120000)
		archive_entry_set_symlink(w->e, t->link);
	for (uint16_t i = 0; i < t->nxattrs; i++)
		archive_entry_xattr_add_entry(w->e, t->xattrs[i].name, t->xattrs[i].value,
					      t->xattrs[i].len);
	/* The first name of a hard-link group (in archive order) carries the
	 * data; t->priv + 1 indexes w->first, set when that name is met. */
	if (!tree_is_dir(t) && t->nlink > 1) {
		char **first = &w->first[t->priv];
		if (*first) {
			archive_entry_set_hardlink(w->e, *first);
			archive_entry_set_size(w->e, 0);
			type = 0; /* no data */
		} else {
			*first = strdup(name);
			if (!*first) {
				free(name);
				return diag_fail(w->d, -ENOMEM, "out of memory");
			}
		}
	}
	if (type == 0100000)
		archive_entry_set_size(w->e, (la_int64_t)t->size);
	if (archive_write_header(w->a, w->e) != ARCHIVE_OK)
		r = tw_fail(w, name);
	else if (type == 0100000 && t->size)
		r = copy_data(w, t, name);
	free(name);
	return r;
}

/* Number the hard-link groups: node->priv is the group's slot. */
struct groups {
	uint64_t n;
};

static int group_cb(struct tree_node *n, void *ud)
{
	struct groups *g = ud;

	if (!n->hardlink && !tree_is_dir(n) && n->nlink > 1)
		n->priv = g->n++;
	return 0;
}

int tar_write(struct tree *t, enum tar_comp comp, struct sink *out, uint64_t *ret_size,
	      struct diag *d)
{
	struct tw w = { .out = out, .d = d };
	struct groups g = { 0 };
	int r;

	tree_walk(t, group_cb, &g);
	w.first = calloc(g.n ? g.n : 1, sizeof(*w.first));
	w.buf = malloc(TAR_READ_BUF);
	w.a = archive_write_new();
	w.e = archive_entry_new();
	if (!w.first || !w.buf || !w.a || !w.e) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	if (archive_write_set_format_pax_restricted(w.a) != ARCHIVE_OK) {
		r = tw_fail(&w, "pax format");
		goto out;
	}
	/* SCHILY.xattr.* only: GNU tar reads those and warns about others. */
	if (archive_write_set_format_option(w.a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK) {
		r = tw_fail(&w, "pax xattrheader");
		goto out;
	}
	/* The tar stream is in 10240-byte records, last one padded, as GNU
	 * tar writes it; compressed, that padded stream is what `tar czf`
	 * compresses, so it goes through a second archive (one raw entry,
	 * the filter, no padding after the compressor's end). */
	if (comp != TAR_COMP_NONE) {
		r = open_compressor(&w, comp);
		if (r)
			goto out;
	}
	if (archive_write_open(w.a, &w, NULL, w.z ? tw_feed : tw_write, NULL) != ARCHIVE_OK) {
		r = tw_fail(&w, "open");
		goto out;
	}
	r = tree_walk(t, add_node, &w);
	if (r)
		goto out;
	if (archive_write_close(w.a) != ARCHIVE_OK) {
		r = tw_fail(&w, "close");
		goto out;
	}
	if (w.z && archive_write_close(w.z) != ARCHIVE_OK) {
		r = diag_fail(d, w.sink_err ? w.sink_err : -EIO, "tar: close: %s",
			      w.sink_err ? strerror(-w.sink_err) : archive_error_string(w.z));
		goto out;
	}
	if (w.sockets)
		diag_warn(d, "tar: %llu socket(s) left out (e.g. %s): tar cannot store sockets",
			  (unsigned long long)w.sockets, w.socket_name);
	*ret_size = w.off;
out:
	if (w.a)
		archive_write_free(w.a);
	if (w.z)
		archive_write_free(w.z);
	archive_entry_free(w.e);
	for (uint64_t i = 0; w.first && i < g.n; i++)
		free(w.first[i]);
	free(w.first);
	free(w.buf);
	return r;
}
