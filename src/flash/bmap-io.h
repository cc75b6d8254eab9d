/* SPDX-License-Identifier: MIT */
#ifndef KILN_FLASH_BMAP_IO_H
#define KILN_FLASH_BMAP_IO_H

/* Making bmaps from image files and reading bmap files (the I/O around
 * the codec in bmap.h). */

#include <stdbool.h>
#include <stdint.h>

#include "flash/bmap.h"

struct diag;

/*
 * bmap_scan - the map of the first @size bytes of @fd: blocks of
 * BMAP_BLOCK_SIZE that SEEK_DATA/SEEK_HOLE report as holding data (a
 * block partly data is mapped). Where the filesystem cannot report holes,
 * everything is mapped. With @hash, each range gets its SHA-256 (this
 * reads the data). @name names the file in messages. @ret is initialised
 * here. 0, -EIO (read error or file shrank), -ENOMEM, -E2BIG.
 */
int bmap_scan(int fd, uint64_t size, bool hash, const char *name, struct bmap *ret,
	      struct diag *d);

/*
 * bmap_make - the bmap 2.0 text for image file @image (malloc'd, NUL
 * terminated). Fails on an empty or unreadable image.
 */
int bmap_make(const char *image, char **ret_text, size_t *ret_len, struct diag *d);

/*
 * bmap_write_file - write @image's bmap to @out (NULL: "@image.bmap")
 * through a temporary file renamed on success.
 */
int bmap_write_file(const char *image, const char *out, struct diag *d);

/*
 * bmap_load - read and parse bmap file @path (see bmap_parse for the
 * checks, including BmapFileChecksum). -ENOENT if it does not exist.
 */
int bmap_load(const char *path, struct bmap *ret, struct diag *d);

#endif
