/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "io/copy.h"
#include "io/sink.h"
#include "io/tmpfile.h"

struct file_sink {
	struct sink s;
	int fd;
	bool own_fd;
	bool pending;     /* a temporary not committed yet */
	struct tmpfile tmp;
	char *dir, *prefix, *final_path;
	bool punch_ok;
};

static int file_pwrite(struct sink *s, const void *buf, size_t len, uint64_t off)
{
	struct file_sink *f = s->priv;
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(f->fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int file_pread(struct sink *s, void *buf, size_t len, uint64_t off)
{
	struct file_sink *f = s->priv;
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(f->fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			/* Past EOF of a sparse file reads as zeros. */
			memset(p, 0, len);
			return 0;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* A fresh output file is all hole, so zeroing is punching a hole; on a
 * filesystem that cannot punch, write real zeros. */
static int file_zero(struct sink *s, uint64_t off, uint64_t len)
{
	struct file_sink *f = s->priv;
	static const uint8_t zeros[65536];

	if (f->punch_ok) {
		if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
			      (off_t)len) == 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != ENOSYS)
			return -errno;
		f->punch_ok = false;
	}
	while (len) {
		size_t n = len > sizeof(zeros) ? sizeof(zeros) : (size_t)len;
		int r = file_pwrite(s, zeros, n, off);
		if (r)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

/* copy_file_range shares extents on filesystems that can (btrfs, XFS)
 * and copies in the kernel elsewhere: no byte crosses into userspace. */
static int file_copy_fd(struct sink *s, int fd, uint64_t src_off, uint64_t len, uint64_t dst_off)
{
	struct file_sink *f = s->priv;

	/* -EOPNOTSUPP: the sink copies through its own buffer. */
	return io_copy_range(f->fd, dst_off, fd, src_off, len, false);
}

static int file_sync(struct sink *s)
{
	struct file_sink *f = s->priv;

	return fsync(f->fd) ? -errno : 0;
}

static void file_release(struct sink *s)
{
	struct file_sink *f = s->priv;

	if (f->pending)
		tmpfile_release(&f->tmp);
	else if (f->own_fd && f->fd >= 0)
		close(f->fd);
	free(f->dir);
	free(f->prefix);
	free(f->final_path);
	free(f);
}

static const struct sink_ops file_ops = {
	.pwrite = file_pwrite,
	.pread = file_pread,
	.zero = file_zero,
	.sync = file_sync,
	.release = file_release,
	.copy_fd = file_copy_fd,
};

int sink_file_new(struct sink **ret, const char *final_path, uint64_t size, struct diag *d)
{
	struct file_sink *f = calloc(1, sizeof(*f));
	const char *slash = strrchr(final_path, '/');
	size_t dlen = slash ? (size_t)(slash - final_path) : 0;
	const char *base = slash ? slash + 1 : final_path;
	int r;

	if (!f)
		return diag_fail(d, -ENOMEM, "out of memory");
	f->fd = -1;
	f->s.ops = &file_ops;
	f->s.priv = f;
	f->final_path = strdup(final_path);
	f->dir = strndup(final_path, slash == final_path ? 1 : dlen);
	f->prefix = malloc(strlen(base) + 8);
	if (!f->final_path || !f->dir || !f->prefix) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto fail;
	}
	sprintf(f->prefix, ".%s.kiln-", base);
	r = tmpfile_create(&f->tmp, f->dir, f->prefix);
	if (r) {
		diag_fail(d, r, "%s: cannot create output: %s", final_path, strerror(-r));
		goto fail;
	}
	f->pending = true;
	f->fd = f->tmp.fd;
	if (size != UINT64_MAX && ftruncate(f->fd, (off_t)size)) {
		r = diag_fail(d, -errno, "%s: cannot size output to %llu bytes: %s", final_path,
			      (unsigned long long)size, strerror(errno));
		goto fail;
	}
	f->own_fd = true;
	f->punch_ok = true;
	f->s.size = size;
	*ret = &f->s;
	return 0;
fail:
	file_release(&f->s);
	return r;
}

int sink_file_commit(struct sink *s, struct diag *d)
{
	struct file_sink *f = s->priv;
	int r;

	r = tmpfile_commit(&f->tmp, f->dir, f->prefix, f->final_path, d);
	if (r)
		return r;
	f->pending = false;
	return 0;
}

int sink_file_fd(struct sink *s)
{
	if (s->ops != &file_ops)
		return -1;
	return ((struct file_sink *)s->priv)->fd;
}

int sink_file_open_existing(struct sink **ret, int fd, uint64_t size)
{
	struct file_sink *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->fd = fd;
	f->own_fd = false;
	f->punch_ok = false; /* never punch a device or someone's file */
	f->s.ops = &file_ops;
	f->s.priv = f;
	f->s.size = size;
	*ret = &f->s;
	return 0;
}
