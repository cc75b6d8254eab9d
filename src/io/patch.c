/* SPDX-License-Identifier: MIT */
#include "io/patch.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int patch_open(struct patch_file *p, const char *path, const char *tool, struct diag *d)
{
	struct stat st;
	int r;

	*p = (struct patch_file){ .fd = -1, .path = path, .tool = tool, .d = d };
	p->fd = open(path, O_RDWR | O_CLOEXEC);
	if (p->fd < 0)
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (fstat(p->fd, &st)) {
		r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
		close(p->fd);
		p->fd = -1;
		return r;
	}
	p->size = (uint64_t)st.st_size;
	return 0;
}

int patch_bad(struct patch_file *p, const char *what, uint64_t at)
{
	return diag_fail(p->d, -EINVAL, "%s: %s at byte %llu (not an image %s writes?)", p->path,
			 what, (unsigned long long)at, p->tool);
}

int patch_read(struct patch_file *p, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(p->fd, buf, len, (off_t)off);

	if (n < 0)
		return diag_fail(p->d, -errno, "%s: %s", p->path, strerror(errno));
	return (size_t)n == len ? 0 : patch_bad(p, "short read", off);
}

int patch_write(struct patch_file *p, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(p->fd, buf, len, (off_t)off);

	if (n < 0)
		return diag_fail(p->d, -errno, "%s: %s", p->path, strerror(errno));
	return (size_t)n == len ? 0 : diag_fail(p->d, -EIO, "%s: short write", p->path);
}
int patch_close(struct patch_file *p, int r)
{
	if (p->fd >= 0 && close(p->fd) && !r)
		r = diag_fail(p->d, -errno, "%s: %s", p->path, strerror(errno));
	p->fd = -1;
	return r;
}
