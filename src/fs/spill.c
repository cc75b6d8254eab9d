/* SPDX-License-Identifier: MIT */
#include "fs/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "io/tmpfile.h"

#define SPILL_MAX (UINT64_C(1) << 62)
#define SPILL_FIRST 4096
#define SPILL_BUF (256u << 10)

int spill_init(struct spill *s, const char *dir)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	/* Offset 0 is never handed out: writers may take src_off == 0 to
	 * mean "the whole host file" (and check its size against the node). */
	s->end = SPILL_FIRST;
	if (dir && !(s->dir = strdup(dir)))
		return -ENOMEM;
	return 0;
}

void spill_release(struct spill *s)
{
	free(s->buf);
	if (s->fd >= 0)
		tmpfile_release(&s->tmp);
	free(s->path);
	free(s->dir);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static int spill_create(struct spill *s, struct diag *d)
{
	int r;

	/* tmppath may not exist yet (genimage creates it too). */
	if (mkdir(s->dir, 0755) && errno != EEXIST) {
		int e = -errno;
		return diag_fail(d, e, "%s: cannot create tmppath: %s", s->dir, strerror(-e));
	}
	/* Unnamed where possible, so even a SIGKILLed build leaves no spill
	 * file; readers reach it through /proc/self/fd either way. */
	r = tmpfile_create(&s->tmp, s->dir, "kiln-spill.");
	if (r)
		return diag_fail(d, r, "%s: cannot create spill file: %s", s->dir, strerror(-r));
	s->fd = s->tmp.fd;
	s->path = strdup(s->tmp.path ? s->tmp.path : s->tmp.proc);
	if (!s->path)
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

int spill_open(struct spill *s, struct diag *d)
{
	return s->fd >= 0 || !s->dir ? 0 : spill_create(s, d);
}

void spill_begin(struct spill *s, struct spill_region *reg, struct spill_writer *ret)
{
	ret->s = s;
	ret->reg = reg;
	ret->writing = !reg->done;
	if (!reg->done)
		reg->base = s->end;
	ret->pos = reg->base;
}

int spill_reserve(struct spill_writer *w, uint64_t len, uint64_t *ret_off, struct diag *d)
{
	if (len > SPILL_MAX || w->pos > SPILL_MAX - len)
		return diag_fail(d, -EOVERFLOW, "spill file: more than 2^62 bytes");
	if (len && w->s->dir && w->s->fd < 0) {
		int r = spill_create(w->s, d);
		if (r)
			return r;
	}
	*ret_off = w->pos;
	w->pos += len;
	if (w->writing && w->pos > w->s->end)
		w->s->end = w->pos;
	return 0;
}

static int raw_write(struct spill *s, uint64_t off, const uint8_t *p, uint64_t len,
		     struct diag *d)
{
	while (len) {
		ssize_t k = pwrite(s->fd, p, len > (1u << 30) ? (1u << 30) : (size_t)len, (off_t)off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return diag_fail(d, -errno, "%s: write: %s", s->path, strerror(errno));
		}
		p += k;
		off += (uint64_t)k;
		len -= (uint64_t)k;
	}
	return 0;
}

static int flush(struct spill *s, struct diag *d)
{
	int r = s->buf_len ? raw_write(s, s->buf_off, s->buf, s->buf_len, d) : 0;

	s->buf_len = 0;
	return r;
}

int spill_write(struct spill_writer *w, uint64_t off, const void *buf, uint64_t len,
		struct diag *d)
{
	struct spill *s = w->s;
	int r;

	if (!w->writing || !s->dir || !len)
		return 0;
	if (s->fd < 0) {
		r = spill_create(s, d);
		if (r)
			return r;
	}
	if (!s->buf && !(s->buf = malloc(SPILL_BUF)))
		return diag_fail(d, -ENOMEM, "out of memory");
	if (s->buf_len && (off != s->buf_off + s->buf_len || s->buf_len + len > SPILL_BUF)) {
		if ((r = flush(s, d)))
			return r;
	}
	if (len >= SPILL_BUF)
		return raw_write(s, off, buf, len, d);
	if (!s->buf_len)
		s->buf_off = off;
	memcpy(s->buf + s->buf_len, buf, (size_t)len);
	s->buf_len += (size_t)len;
	return 0;
}

int spill_end(struct spill_writer *w, struct diag *d)
{
	struct spill *s = w->s;

	if (!w->writing)
		return 0;
	if (s->fd >= 0) {
		int r = flush(s, d);
		if (r)
			return r;
	}
	/* Trailing sparse members: make the file as long as handed out. */
	if (s->dir && s->end > SPILL_FIRST) {
		if (s->fd < 0) {
			int r = spill_create(s, d);
			if (r)
				return r;
		}
		if (ftruncate(s->fd, (off_t)s->end))
			return diag_fail(d, -errno, "%s: %s", s->path, strerror(errno));
	}
	w->reg->len = w->pos - w->reg->base;
	w->reg->done = true;
	return 0;
}

const char *spill_path(const struct spill *s)
{
	return s->path ? s->path : "";
}
