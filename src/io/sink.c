/* SPDX-License-Identifier: MIT */
#include "io/sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"

static int check_range(const struct sink *s, uint64_t off, uint64_t len)
{
	if (off > s->size || len > s->size - off)
		return -ENOSPC;
	return 0;
}

int sink_pwrite(struct sink *s, const void *buf, size_t len, uint64_t off)
{
	int r = check_range(s, off, len);

	if (r)
		return r;
	if (!len)
		return 0;
	if (s->parent) {
		r = sink_pwrite(s->parent, buf, len, s->base + off);
	} else {
		r = s->ops->pwrite(s, buf, len, off);
		if (!r && s->progress)
			s->progress(s->progress_userdata, len);
	}
	if (!r)
		s->written += len;
	return r;
}

int sink_pread(struct sink *s, void *buf, size_t len, uint64_t off)
{
	int r = check_range(s, off, len);

	if (r)
		return r;
	if (s->parent)
		return sink_pread(s->parent, buf, len, s->base + off);
	if (!s->ops->pread)
		return -EOPNOTSUPP;
	return s->ops->pread(s, buf, len, off);
}

int sink_zero(struct sink *s, uint64_t off, uint64_t len)
{
	int r = check_range(s, off, len);

	if (r)
		return r;
	if (!len)
		return 0;
	if (s->parent)
		return sink_zero(s->parent, s->base + off, len);
	return s->ops->zero(s, off, len);
}

int sink_sync(struct sink *s)
{
	if (s->parent)
		return sink_sync(s->parent);
	return s->ops->sync ? s->ops->sync(s) : 0;
}

void sink_release(struct sink *s)
{
	if (!s || s->parent)
		return;
	if (s->ops->release)
		s->ops->release(s);
}

int sink_fill(struct sink *s, uint64_t off, uint64_t len, uint8_t byte)
{
	uint8_t buf[65536];

	memset(buf, byte, sizeof(buf));
	while (len) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		int r = sink_pwrite(s, buf, n, off);
		if (r)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

int sink_sub(struct sink *ret, struct sink *parent, uint64_t base, uint64_t size)
{
	if (check_range(parent, base, size))
		return -ENOSPC;
	memset(ret, 0, sizeof(*ret));
	ret->parent = parent;
	ret->base = base;
	ret->size = size;
	return 0;
}

struct sink *sink_root(struct sink *s, uint64_t *ret_base)
{
	uint64_t base = 0;

	for (; s->parent; s = s->parent)
		base += s->base;
	*ret_base = base;
	return s;
}

/* Data range [src_off, src_off+len) of @fd to @dst_off of @s: in the
 * kernel when the root sink can, else -EOPNOTSUPP. */
static int copy_in_kernel(struct sink *s, uint64_t dst_off, int fd, uint64_t src_off,
			  uint64_t len)
{
	uint64_t base;
	struct sink *root = sink_root(s, &base);
	int r;

	if (!root->ops->copy_fd)
		return -EOPNOTSUPP;
	r = root->ops->copy_fd(root, fd, src_off, len, base + dst_off);
	if (r)
		return r;
	for (struct sink *p = s; p; p = p->parent)
		p->written += len;
	if (root->progress)
		root->progress(root->progress_userdata, len);
	return 0;
}

bool buf_is_zero(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	/* Check the first 16 bytes, then compare the buffer with itself
	 * shifted: memcmp is far faster than a byte loop. */
	if (len < 16) {
		for (size_t i = 0; i < len; i++)
			if (p[i])
				return false;
		return true;
	}
	for (size_t i = 0; i < 16; i++)
		if (p[i])
			return false;
	return memcmp(p, p + 16, len - 16) == 0;
}

#define COPY_CHUNK (1u << 20)

int sink_copy_fd(struct sink *s, uint64_t dst_off, int fd, uint64_t src_off, uint64_t len,
		 const char *what, struct diag *d)
{
	uint8_t *buf;
	uint64_t pos = 0;
	int r = 0;

	if (check_range(s, dst_off, len))
		return diag_fail(d, -ENOSPC, "%s: %llu bytes do not fit at offset %llu", what,
				 (unsigned long long)len, (unsigned long long)dst_off);
	{
		struct stat st;
		if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size < src_off + len)
			return diag_fail(d, -EIO, "%s: file is shorter than expected (%llu < %llu bytes; changed while reading?)",
					 what, (unsigned long long)st.st_size,
					 (unsigned long long)(src_off + len));
	}
	buf = malloc(COPY_CHUNK);
	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	while (pos < len) {
		off_t dpos = lseek(fd, (off_t)(src_off + pos), SEEK_DATA);
		if (dpos < 0 && errno == ENXIO) {
			/* Only a hole remains. */
			r = sink_zero(s, dst_off + pos, len - pos);
			if (r)
				goto fail_sink;
			break;
		}
		if (dpos >= 0 && (uint64_t)dpos > src_off + pos) {
			uint64_t hole = (uint64_t)dpos - (src_off + pos);
			if (hole > len - pos)
				hole = len - pos;
			r = sink_zero(s, dst_off + pos, hole);
			if (r)
				goto fail_sink;
			pos += hole;
			continue;
		}
		/* Data here (or SEEK_DATA unsupported): read up to the next hole. */
		uint64_t end = len;
		off_t h = lseek(fd, (off_t)(src_off + pos), SEEK_HOLE);
		if (h >= 0 && (uint64_t)h > src_off + pos && (uint64_t)h - src_off < end)
			end = (uint64_t)h - src_off;
		r = copy_in_kernel(s, dst_off + pos, fd, src_off + pos, end - pos);
		if (!r) {
			pos = end;
			continue;
		}
		if (r != -EOPNOTSUPP)
			goto fail_sink;
		while (pos < end) {
			size_t want = end - pos > COPY_CHUNK ? COPY_CHUNK : (size_t)(end - pos);
			ssize_t got = pread(fd, buf, want, (off_t)(src_off + pos));
			if (got < 0) {
				if (errno == EINTR)
					continue;
				r = diag_fail(d, -errno, "%s: read failed: %s", what, strerror(errno));
				goto out;
			}
			if (got == 0) {
				r = diag_fail(d, -EIO, "%s: file is shorter than expected (changed while reading?)", what);
				goto out;
			}
			r = sink_pwrite(s, buf, (size_t)got, dst_off + pos);
			if (r)
				goto fail_sink;
			pos += (uint64_t)got;
		}
	}
	goto out;
fail_sink:
	r = diag_fail(d, r, "%s: writing output failed: %s", what, strerror(-r));
out:
	free(buf);
	return r;
}
