/* SPDX-License-Identifier: MIT */
/*
 * An image file another tool wrote, opened to be rewritten in place: the
 * fix-ups that replace what mkfs.btrfs, mkfs.ubifs and genisoimage draw
 * at random or read off the clock (fs/btrfs/btrfs-fix, fs/ubi/ubifs-fix,
 * plan/iso-dates) read and write it through this, and report a layout
 * they do not expect in one form, naming the file, the byte and the tool.
 */
#ifndef KILN_IO_PATCH_H
#define KILN_IO_PATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"

struct patch_file {
	int fd;
	const char *path;
	const char *tool; /* what wrote it, for "not an image TOOL writes?" */
	uint64_t size;    /* at open */
	struct diag *d;
};

/* patch_open - open @path read-write and take its size; errors name it. */
int patch_open(struct patch_file *p, const char *path, const char *tool, struct diag *d);

/* patch_bad - -EINVAL: "@path: @what at byte @at (not an image TOOL writes?)". */
int patch_bad(struct patch_file *p, const char *what, uint64_t at);

/* patch_read, patch_write - exactly @len bytes at @off; a short read is
 * patch_bad(), a short write -EIO. */
int patch_read(struct patch_file *p, void *buf, size_t len, uint64_t off);
int patch_write(struct patch_file *p, const void *buf, size_t len, uint64_t off);

/* patch_close - close it; returns @r, or a close error when @r is 0. */
int patch_close(struct patch_file *p, int r);

#endif
