/* SPDX-License-Identifier: MIT */
#include "boot/cpio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "boot/bout.h"
#include "fs/tree.h"
#include "io/sink.h"

static const char hexd[] = "0123456789ABCDEF";

static void put_hex8(uint8_t *p, uint32_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)hexd[v & 15];
		v >>= 4;
	}
}

void cpio_encode_header(const struct cpio_entry *e, uint8_t out[CPIO_HDR_LEN])
{
	const uint32_t f[13] = { e->ino, e->mode, e->uid, e->gid, e->nlink, e->mtime,
				 e->filesize, e->devmajor, e->devminor, e->rdevmajor,
				 e->rdevminor, e->namesize, 0 };

	memcpy(out, "070701", 6);
	for (int i = 0; i < 13; i++)
		put_hex8(out + 6 + 8 * i, f[i]);
}

static size_t pad4(uint64_t n)
{
	return (size_t)((4 - (n & 3)) & 3);
}

struct wctx {
	struct bout *o;
	bool measure;
	struct diag *d;
	uint32_t next_ino;
	uint8_t *buf; /* 64 KiB copy buffer */
};

static int put_entry(struct wctx *w, const struct cpio_entry *e, const char *name)
{
	uint8_t hdr[CPIO_HDR_LEN];
	static const uint8_t zeros[4];
	int r;

	cpio_encode_header(e, hdr);
	if ((r = bout_emit(w->o, hdr, sizeof(hdr))) ||
	    (r = bout_emit(w->o, name, e->namesize)) ||
	    (r = bout_emit(w->o, zeros, pad4(CPIO_HDR_LEN + e->namesize))))
		return r;
	return 0;
}

static int copy_data(struct wctx *w, const struct tree_node *src, uint64_t len)
{
	static const uint8_t zeros[4];
	uint64_t done = 0;
	int fd, r = 0;

	if (w->measure || !len)
		return (r = bout_emit(w->o, NULL, len)) ? r : bout_emit(w->o, zeros, pad4(len));
	if (src->link) /* symlink: the target is the data */
		return (r = bout_emit(w->o, src->link, len)) ? r : bout_emit(w->o, zeros, pad4(len));
	char pb[TREE_SRC_PATH_MAX];
	const char *sp = tree_node_src_path(src, pb, sizeof(pb));
	if (!sp)
		return diag_fail(w->d, -EINVAL, "%s: a file of %llu bytes without a data source",
				 src->name, (unsigned long long)len);
	fd = open(sp, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(w->d, -errno, "%s: %s", sp, strerror(errno));
	while (done < len) {
		size_t want = len - done > 65536 ? 65536 : (size_t)(len - done);
		ssize_t n = pread(fd, w->buf, want, (off_t)(src->src_off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? diag_fail(w->d, -errno, "%s: %s", sp, strerror(errno))
				  : diag_fail(w->d, -EIO, "%s: shorter than planned (changed while reading?)",
					      sp);
			break;
		}
		if ((r = bout_emit(w->o, w->buf, (size_t)n)))
			break;
		done += (uint64_t)n;
	}
	close(fd);
	return r ? r : bout_emit(w->o, zeros, pad4(len));
}

/* Pass 1: inode numbers in walk order; a hard-link group takes its
 * number when its first name is met. priv = ino << 32 | names seen. */
static int assign_ino(struct tree_node *n, void *ud)
{
	struct wctx *w = ud;
	struct tree_node *t = n->hardlink ? n->hardlink : n;

	if (!(t->priv >> 32))
		t->priv = (uint64_t)(w->next_ino++) << 32;
	if (n != t)
		n->priv = 0;
	return 0;
}

static int write_node(struct tree_node *n, void *ud)
{
	struct wctx *w = ud;
	struct tree_node *t = n->hardlink ? n->hardlink : n;
	struct cpio_entry e = { 0 };
	char *path = tree_path(n);
	uint64_t size = 0;
	int r;

	if (!path)
		return diag_fail(w->d, -ENOMEM, "out of memory");
	if (!n->parent) {
		free(path);
		path = strdup(".");
		if (!path)
			return diag_fail(w->d, -ENOMEM, "out of memory");
	}
	if (strlen(path) + 1 > CPIO_MAX_NAME) {
		r = diag_fail(w->d, -E2BIG, "%.80s...: path longer than %d bytes", path,
			      CPIO_MAX_NAME);
		goto out;
	}
	e.ino = (uint32_t)(t->priv >> 32);
	e.mode = t->mode;
	e.uid = t->uid;
	e.gid = t->gid;
	e.nlink = t->nlink;
	e.mtime = t->mtime < 0 ? 0 : t->mtime > UINT32_MAX ? UINT32_MAX : (uint32_t)t->mtime;
	e.rdevmajor = t->rdev_major;
	e.rdevminor = t->rdev_minor;
	e.namesize = (uint32_t)strlen(path) + 1;
	if (tree_is_symlink(t)) {
		size = t->link ? strlen(t->link) : 0;
	} else if (tree_is_reg(t)) {
		t->priv++;
		/* newc: the data travels with the last name of a group. */
		if ((uint32_t)t->priv >= t->nlink)
			size = t->size;
	}
	if (size > UINT32_MAX) {
		r = diag_fail(w->d, -EFBIG, "%s: %llu bytes; newc cpio holds files below 4 GiB",
			      path, (unsigned long long)size);
		goto out;
	}
	e.filesize = (uint32_t)size;
	r = put_entry(w, &e, path);
	if (!r)
		r = copy_data(w, t, size);
out:
	free(path);
	return r;
}

static int clear_priv(struct tree_node *n, void *ud)
{
	(void)ud;
	n->priv = 0;
	return 0;
}

int cpio_write_tree(struct tree *t, struct bout *o, bool measure, struct diag *d)
{
	struct wctx w = { .o = o, .measure = measure, .d = d, .next_ino = 1 };
	struct cpio_entry tr = { .nlink = 1, .namesize = 11 };
	int r;

	w.buf = malloc(65536);
	if (!w.buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	tree_finish(t);
	tree_walk(t, clear_priv, NULL);
	r = tree_walk(t, assign_ino, &w);
	if (!r)
		r = tree_walk(t, write_node, &w);
	if (!r)
		r = put_entry(&w, &tr, "TRAILER!!!");
	if (!r && (o->off & 511))
		r = bout_emit(o, NULL, 512 - (o->off & 511));
	/* Leave priv cleared: other writers may walk the same tree. */
	tree_walk(t, clear_priv, NULL);
	free(w.buf);
	return r;
}

bool cpio_magic(const void *buf, size_t len)
{
	return len >= 6 && (!memcmp(buf, "070701", 6) || !memcmp(buf, "070702", 6));
}

static int get_hex8(const uint8_t *p, uint32_t *ret)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i];
		unsigned x;
		if (c >= '0' && c <= '9')
			x = c - '0';
		else if (c >= 'a' && c <= 'f')
			x = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			x = c - 'A' + 10;
		else
			return -EINVAL;
		v = v << 4 | x;
	}
	*ret = v;
	return 0;
}

int cpio_decode(const uint8_t *buf, size_t len, int (*cb)(void *ud, const struct cpio_entry *e),
		void *ud, size_t *ret_off)
{
	size_t off = 0;

	for (;;) {
		struct cpio_entry e = { 0 };
		uint32_t f[13];
		size_t need;
		int r;

		if (ret_off)
			*ret_off = off;
		if (len - off < CPIO_HDR_LEN)
			return off == len || buf_is_zero(buf + off, len - off) ? -ENODATA : -EINVAL;
		if (!cpio_magic(buf + off, 6))
			return -EINVAL;
		for (int i = 0; i < 13; i++)
			if (get_hex8(buf + off + 6 + 8 * i, &f[i]))
				return -EINVAL;
		e.ino = f[0]; e.mode = f[1]; e.uid = f[2]; e.gid = f[3]; e.nlink = f[4];
		e.mtime = f[5]; e.filesize = f[6]; e.devmajor = f[7]; e.devminor = f[8];
		e.rdevmajor = f[9]; e.rdevminor = f[10]; e.namesize = f[11];
		if (!e.namesize || e.namesize > CPIO_MAX_NAME)
			return -EINVAL;
		need = CPIO_HDR_LEN + e.namesize;
		need += pad4(need);
		if (len - off < need)
			return -EINVAL;
		e.name = (const char *)buf + off + CPIO_HDR_LEN;
		if (e.name[e.namesize - 1])
			return -EINVAL;
		off += need;
		if (e.namesize == 11 && !memcmp(e.name, "TRAILER!!!", 11))
			return 0;
		if (len - off < (uint64_t)e.filesize + pad4(e.filesize))
			return -EINVAL;
		e.data = buf + off;
		off += e.filesize + pad4(e.filesize);
		if ((r = cb(ud, &e)))
			return r;
	}
}
