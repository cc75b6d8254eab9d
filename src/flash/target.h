/* SPDX-License-Identifier: MIT */
#ifndef KILN_FLASH_TARGET_H
#define KILN_FLASH_TARGET_H

/* Where `kiln flash` writes: a block device (after safety checks) or a
 * regular file. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct diag;
struct stat;

struct flash_target {
	int fd;
	char *path;
	bool blockdev;
	bool created;         /* regular file kiln created: removed on failure */
	dev_t rdev;           /* block devices */
	uint64_t size;        /* device size; regular files: 0 */
	uint32_t sector_size; /* logical sector size (512 for files) */
	char name[64];        /* kernel name, e.g. "sdb" */
	char model[128];      /* sysfs device/model, "" if none */
	bool removable;
};

/*
 * target_open - check and open @path for writing an image of
 * @image_size bytes (0: not known yet) that lives in the file @image_st
 * describes.
 *
 * A block device is refused when it or one of its partitions is mounted,
 * is active swap, holds "/" or the image, is held by another device
 * (device-mapper, RAID), is read-only, is smaller than the image, or
 * (without @force) is not removable; it is opened O_EXCL. A regular file
 * is created if missing (its directory must exist), refused if it is the
 * image itself or has no write permission bits. A missing path under
 * /dev/ is an error, not a new file.
 * Nothing is written. Errors say which check failed and what permission
 * is missing. 0 or a negative errno.
 */
int target_open(struct flash_target *t, const char *path, const struct stat *image_st,
		uint64_t image_size, bool force, struct diag *d);

/* target_close - close; with @failed, remove a regular file we created. */
void target_close(struct flash_target *t, bool failed);

/* Ask the kernel to re-read a block device's partition table (best
 * effort: the new partitions appear without replugging). */
void target_reread_partitions(struct flash_target *t);

#endif
