/* SPDX-License-Identifier: MIT */
/* Copying between files in the kernel (io/copy.h). */
#include "io/copy.h"

#include <errno.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <unistd.h>

/* The kernel cannot copy between these two files (not an I/O error). */
static bool unsupported(int err)
{
	return err == EXDEV || err == ENOSYS || err == EINVAL || err == EOPNOTSUPP;
}

static int copy_buffered(int dst, loff_t out, int src, loff_t in, uint64_t len)
{
	char buf[1 << 16];

	while (len) {
		size_t want = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t got = pread(src, buf, want, in);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		for (ssize_t done = 0; done < got;) {
			ssize_t w = pwrite(dst, buf + done, (size_t)(got - done), out + done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return w < 0 ? -errno : -EIO;
			done += w;
		}
		in += got;
		out += got;
		len -= (uint64_t)got;
	}
	return 0;
}

int io_copy_range(int dst, uint64_t dst_off, int src, uint64_t src_off, uint64_t len,
		  bool fallback)
{
	loff_t in = (loff_t)src_off, out = (loff_t)dst_off;
	bool moved = false;

	while (len) {
		ssize_t n = copy_file_range(src, &in, dst, &out, (size_t)len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && unsupported(errno)) {
			if (fallback)
				return copy_buffered(dst, out, src, in, len);
			if (!moved)
				return -EOPNOTSUPP;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the source got shorter */
		moved = true;
		len -= (uint64_t)n;
	}
	return 0;
}

int io_copy_data(int dst, uint64_t dst_off, int src, uint64_t src_off, uint64_t len)
{
	const uint64_t end = src_off + len;
	uint64_t pos = src_off;

	while (pos < end) {
		off_t ds = lseek(src, (off_t)pos, SEEK_DATA);
		if (ds < 0 && errno == ENXIO)
			break; /* only a hole is left */
		if (ds < 0)
			ds = (off_t)pos; /* no SEEK_DATA: everything is data */
		if ((uint64_t)ds >= end)
			break;
		off_t he = lseek(src, ds, SEEK_HOLE);
		if (he < 0 || (uint64_t)he > end)
			he = (off_t)end;
		int r = io_copy_range(dst, dst_off + ((uint64_t)ds - src_off), src, (uint64_t)ds,
				      (uint64_t)(he - ds), true);
		if (r)
			return r;
		pos = (uint64_t)he;
	}
	return 0;
}

int io_clone(int dst, int src)
{
	return ioctl(dst, FICLONE, src) ? -errno : 0;
}
