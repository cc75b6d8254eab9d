/* SPDX-License-Identifier: MIT */
#ifndef KILN_FLASH_SOURCE_H
#define KILN_FLASH_SOURCE_H

/* The image being flashed: a plain file (random access, holes visible)
 * or a compressed stream (.gz .xz .zst .bz2, recognised by their magic
 * bytes) decompressed on the fly with libarchive, read front to back. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct diag;

struct flash_source {
	const char *path;
	int fd;
	struct stat st;
	bool stream;      /* compressed: sequential reads only */
	const char *codec;/* "gzip", "xz", ... for messages */
	void *archive;    /* struct archive * */
	uint64_t pos;     /* stream: bytes of image delivered so far */
	bool eof;
	uint8_t *scratch; /* stream: for skipping */
};

/* source_open - open @path and detect compression. */
int source_open(struct flash_source *s, const char *path, struct diag *d);
void source_close(struct flash_source *s);

/*
 * source_read - read up to @len bytes of the image at @off into @buf;
 * *ret_n < @len only at the end of the image. A stream cannot go back:
 * @off must be >= every earlier offset + length (skipped bytes are
 * decompressed and dropped). 0, -EIO (with the diag), -EINVAL.
 */
int source_read(struct flash_source *s, void *buf, size_t len, uint64_t off, size_t *ret_n,
		struct diag *d);

/* Compressed bytes consumed so far (stream progress), else 0. */
uint64_t source_compressed_pos(const struct flash_source *s);

#endif
