/* SPDX-License-Identifier: MIT */
/* Target checks: everything that must be true before kiln writes a byte
 * to a disk (mounts, swap, root, holders, read-only, size, removable). */
#include "flash/target.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/diag.h"

#define MAX_FAMILY 256

/* The device and, for a whole disk, its partitions. */
struct family {
	dev_t dev[MAX_FAMILY];
	char name[MAX_FAMILY][64];
	unsigned n;
	char dir[PATH_MAX];   /* sysfs directory of the target */
	char whole[PATH_MAX]; /* sysfs directory of the whole disk */
	bool is_partition;
};

/* Bounded copy that truncates silently (names and models are labels). */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static int read_small(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

static bool parse_devnum(const char *s, dev_t *ret)
{
	unsigned ma, mi;

	if (sscanf(s, "%u:%u", &ma, &mi) != 2)
		return false;
	*ret = makedev(ma, mi);
	return true;
}

static int family_add(struct family *f, dev_t dev, const char *name)
{
	if (f->n == MAX_FAMILY)
		return -E2BIG;
	f->dev[f->n] = dev;
	copy_str(f->name[f->n], sizeof(f->name[0]), name);
	f->n++;
	return 0;
}

static int family_load(struct family *f, dev_t rdev, struct flash_target *t, struct diag *d)
{
	char link[64], p[PATH_MAX + 300], buf[64];
	DIR *dir;
	struct dirent *e;

	memset(f, 0, sizeof(*f));
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(rdev), minor(rdev));
	if (!realpath(link, f->dir))
		return diag_fail(d, -ENODEV, "%s: block device %u:%u not found in sysfs (%s)",
				 t->path, major(rdev), minor(rdev), link);
	snprintf(p, sizeof(p), "%s/partition", f->dir);
	f->is_partition = access(p, F_OK) == 0;
	copy_str(f->whole, sizeof(f->whole), f->dir);
	if (f->is_partition) {
		char *slash = strrchr(f->whole, '/');
		if (slash)
			*slash = 0;
	}
	const char *base = strrchr(f->dir, '/');
	copy_str(t->name, sizeof(t->name), base ? base + 1 : f->dir);
	family_add(f, rdev, t->name);
	if (f->is_partition)
		return 0;
	dir = opendir(f->dir);
	if (!dir)
		return 0;
	while ((e = readdir(dir))) {
		dev_t pd;
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/partition", f->dir, e->d_name);
		if (access(p, F_OK))
			continue;
		snprintf(p, sizeof(p), "%s/%s/dev", f->dir, e->d_name);
		if (read_small(p, buf, sizeof(buf)) || !parse_devnum(buf, &pd))
			continue;
		if (family_add(f, pd, e->d_name)) {
			closedir(dir);
			return diag_fail(d, -E2BIG, "%s: more than %u partitions", t->path,
					 MAX_FAMILY);
		}
	}
	closedir(dir);
	return 0;
}

static int family_find(const struct family *f, dev_t dev)
{
	for (unsigned i = 0; i < f->n; i++)
		if (f->dev[i] == dev)
			return (int)i;
	return -1;
}

/* Undo mountinfo's octal escapes (\040 = space) for messages. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

static int check_mounts(const struct family *f, const struct flash_target *t, struct diag *d)
{
	FILE *mi = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	if (!mi)
		return diag_fail(d, -errno, "%s: cannot read /proc/self/mountinfo to check mounts: %s",
				 t->path, strerror(errno));
	while (getline(&line, &cap, mi) > 0) {
		char devs[32], mnt[4096], src[4096] = "";
		dev_t dev;
		int hit = -1;
		if (sscanf(line, "%*s %*s %31s %*s %4095s", devs, mnt) != 2)
			continue;
		const char *sep = strstr(line, " - ");
		if (sep)
			sscanf(sep + 3, "%*s %4095s", src);
		if (parse_devnum(devs, &dev))
			hit = family_find(f, dev);
		if (hit < 0 && !strncmp(src, "/dev/", 5)) {
			struct stat st;
			unescape(src);
			if (!stat(src, &st) && S_ISBLK(st.st_mode))
				hit = family_find(f, st.st_rdev);
		}
		if (hit >= 0) {
			unescape(mnt);
			r = diag_fail(d, -EBUSY,
				      "%s: refusing to write: %s%s is mounted on %s (unmount it first)",
				      t->path, hit ? "its partition " : "", f->name[hit], mnt);
			break;
		}
	}
	free(line);
	fclose(mi);
	return r;
}

static int check_swaps(const struct family *f, const struct flash_target *t, struct diag *d)
{
	FILE *sw = fopen("/proc/swaps", "re");
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	if (!sw)
		return 0; /* no swap support in this kernel */
	while (getline(&line, &cap, sw) > 0) {
		char path[4096];
		struct stat st;
		int hit;
		if (sscanf(line, "%4095s", path) != 1 || path[0] != '/')
			continue;
		unescape(path);
		if (stat(path, &st) || !S_ISBLK(st.st_mode))
			continue;
		hit = family_find(f, st.st_rdev);
		if (hit >= 0) {
			r = diag_fail(d, -EBUSY, "%s: refusing to write: %s%s is active swap (swapoff %s)",
				      t->path, hit ? "its partition " : "", f->name[hit], path);
			break;
		}
	}
	free(line);
	fclose(sw);
	return r;
}

/* A device with holders (device-mapper, md RAID, bcache) is in use. */
static int check_holders(const struct family *f, const struct flash_target *t, struct diag *d)
{
	char p[PATH_MAX + 600];

	for (unsigned i = 0; i < f->n; i++) {
		DIR *dir;
		struct dirent *e;
		if (i == 0)
			snprintf(p, sizeof(p), "%s/holders", f->dir);
		else
			snprintf(p, sizeof(p), "%s/%s/holders", f->dir, f->name[i]);
		dir = opendir(p);
		if (!dir)
			continue;
		while ((e = readdir(dir))) {
			if (e->d_name[0] == '.')
				continue;
			char holder[256];
			copy_str(holder, sizeof(holder), e->d_name);
			closedir(dir);
			return diag_fail(d, -EBUSY,
					 "%s: refusing to write: %s is in use by %s (device-mapper, "
					 "LVM or RAID; deactivate it first)",
					 t->path, f->name[i], holder);
		}
		closedir(dir);
	}
	return 0;
}

static int open_blockdev(struct flash_target *t, const struct stat *st, const struct stat *image_st,
			 uint64_t image_size, bool force, struct diag *d)
{
	struct family *f = calloc(1, sizeof(*f));
	struct stat root;
	char p[PATH_MAX + 64], buf[256];
	int r, ro = 0, hit;
	uint64_t size = 0;
	int ssz = 512;

	if (!f)
		return diag_fail(d, -ENOMEM, "out of memory");
	t->blockdev = true;
	t->rdev = st->st_rdev;
	if ((r = family_load(f, st->st_rdev, t, d)))
		goto out;
	if ((r = check_mounts(f, t, d)) || (r = check_swaps(f, t, d)) ||
	    (r = check_holders(f, t, d)))
		goto out;
	if (!stat("/", &root) && (hit = family_find(f, root.st_dev)) >= 0) {
		r = diag_fail(d, -EBUSY, "%s: refusing to write: %s holds the running system's root",
			      t->path, f->name[hit]);
		goto out;
	}
	if (image_st && (hit = family_find(f, image_st->st_dev)) >= 0) {
		r = diag_fail(d, -EBUSY, "%s: refusing to write: the image itself is stored on %s",
			      t->path, f->name[hit]);
		goto out;
	}

	snprintf(p, sizeof(p), "%s/device/model", f->whole);
	if (read_small(p, buf, sizeof(buf)) == 0)
		copy_str(t->model, sizeof(t->model), buf);
	snprintf(p, sizeof(p), "%s/loop/backing_file", f->whole);
	if (!t->model[0] && read_small(p, buf, sizeof(buf)) == 0)
		snprintf(t->model, sizeof(t->model), "loop device on %.100s", buf);
	snprintf(p, sizeof(p), "%s/removable", f->whole);
	t->removable = read_small(p, buf, sizeof(buf)) == 0 && !strcmp(buf, "1");

	t->fd = open(t->path, O_RDWR | O_EXCL | O_CLOEXEC);
	if (t->fd < 0) {
		int e = errno;
		if (e == EACCES || e == EPERM)
			r = diag_fail(d, -e,
				      "%s: permission denied: writing a block device needs root or "
				      "membership in its group (usually 'disk'); kiln never calls sudo "
				      "itself, run it with the rights you choose",
				      t->path);
		else if (e == EBUSY)
			r = diag_fail(d, -e,
				      "%s: device is busy (another program holds it open exclusively: "
				      "a mount, swap, LVM/RAID, or a partitioning tool)",
				      t->path);
		else if (e == EROFS)
			r = diag_fail(d, -e, "%s: device is read-only", t->path);
		else
			r = diag_fail(d, -e, "%s: cannot open for writing: %s", t->path, strerror(e));
		goto out;
	}
	if (ioctl(t->fd, BLKROGET, &ro) == 0 && ro) {
		r = diag_fail(d, -EROFS, "%s: device is read-only (write-protect switch, or 'blockdev "
			      "--setrw')", t->path);
		goto out;
	}
	if (ioctl(t->fd, BLKGETSIZE64, &size)) {
		r = diag_fail(d, -errno, "%s: cannot get device size: %s", t->path, strerror(errno));
		goto out;
	}
	if (ioctl(t->fd, BLKSSZGET, &ssz) || ssz < 512)
		ssz = 512;
	t->size = size;
	t->sector_size = (uint32_t)ssz;
	if (image_size && size < image_size) {
		r = diag_fail(d, -ENOSPC,
			      "%s: device is %" PRIu64 " bytes, smaller than the image (%" PRIu64
			      " bytes): nothing written", t->path, size, image_size);
		goto out;
	}
	if (!t->removable && !force) {
		r = diag_fail(d, -EPERM,
			      "%s (%s, %" PRIu64 " bytes) is not a removable device: refusing to "
			      "write without --force (is it your system disk?)",
			      t->path, t->model[0] ? t->model : t->name, size);
		goto out;
	}
	r = 0;
out:
	free(f);
	return r;
}

int target_open(struct flash_target *t, const char *path, const struct stat *image_st,
		uint64_t image_size, bool force, struct diag *d)
{
	struct stat st;
	int r;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->sector_size = 512;
	t->path = strdup(path);
	if (!t->path)
		return diag_fail(d, -ENOMEM, "out of memory");
	if (stat(path, &st)) {
		int e = errno;
		if (e != ENOENT)
			return diag_fail(d, -e, "%s: %s", path, strerror(e));
		if (!strncmp(path, "/dev/", 5))
			return diag_fail(d, -ENODEV, "%s: no such device", path);
		t->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (t->fd < 0)
			return diag_fail(d, -errno, "%s: cannot create target file: %s", path,
					 strerror(errno));
		t->created = true;
		return 0;
	}
	if (S_ISBLK(st.st_mode)) {
		r = open_blockdev(t, &st, image_st, image_size, force, d);
		return r;
	}
	if (!S_ISREG(st.st_mode))
		return diag_fail(d, -EINVAL, "%s: not a block device or regular file", path);
	if (image_st && st.st_dev == image_st->st_dev && st.st_ino == image_st->st_ino)
		return diag_fail(d, -EINVAL, "%s: the target is the image itself", path);
	if (!(st.st_mode & 0222))
		return diag_fail(d, -EROFS, "%s: read-only file (mode %04o): refusing to overwrite it",
				 path, (unsigned)(st.st_mode & 07777));
	t->fd = open(path, O_RDWR | O_CLOEXEC);
	if (t->fd < 0) {
		int e = errno;
		return diag_fail(d, -e, "%s: cannot open for writing: %s%s", path, strerror(e),
				 e == EACCES ? " (no write permission on the file)" : "");
	}
	return 0;
}

void target_close(struct flash_target *t, bool failed)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (failed && t->created && t->path)
		unlink(t->path);
	free(t->path);
	t->path = NULL;
}

void target_reread_partitions(struct flash_target *t)
{
	if (t->blockdev && t->fd >= 0)
		(void)ioctl(t->fd, BLKRRPART);
}
