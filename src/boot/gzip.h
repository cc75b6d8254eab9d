/* SPDX-License-Identifier: MIT */
#ifndef KILN_BOOT_GZIP_H
#define KILN_BOOT_GZIP_H

/*
 * Deterministic gzip (RFC 1952) through zlib: no file name, mtime 0,
 * OS byte 3 (Unix) whatever the host, so equal input gives equal bytes
 * (what `gzip -n` gives). Level 9, as initramfs builders use.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/bout.h"

#define GZIP_LEVEL 6

struct gzip_out {
	struct bout in;     /* write uncompressed bytes here */
	struct bout *next;  /* compressed bytes go here */
	void *z;            /* z_stream */
	int err;
};

/* Start a stream into @next. 0, -ENOMEM or -EIO. */
int gzip_begin(struct gzip_out *g, struct bout *next);
/* Flush the trailer into next. 0 or -errno. */
int gzip_end(struct gzip_out *g);
/* Free the state (after gzip_end, or to abandon). */
void gzip_release(struct gzip_out *g);

/* Compress a buffer into a malloc'd one. 0, -ENOMEM, -EIO. */
int gzip_buf(const void *in, size_t len, uint8_t **ret, size_t *ret_len);

/*
 * gunzip_buf - decompress a whole gzip member (for kiln inspect), at
 * most @max output bytes. 0; -EINVAL if not gzip or corrupt; -EFBIG.
 */
int gunzip_buf(const void *in, size_t len, uint64_t max, uint8_t **ret, size_t *ret_len);

/* True if @buf starts like a gzip member. */
bool gzip_magic(const void *buf, size_t len);

#endif
