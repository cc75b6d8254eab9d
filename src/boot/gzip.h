/* SPDX-License-Identifier: MIT */
#ifndef KILN_BOOT_GZIP_H
#define KILN_BOOT_GZIP_H

/*
 * Deterministic gzip (RFC 1952) through zlib: no file name, mtime 0,
 * OS byte 3 (Unix) whatever the host, so equal input gives equal bytes.
 *
 * The deflate stream is cut into GZIP_BLOCK-byte blocks of input (from
 * the start of the stream), each compressed on its own with the previous
 * 32 KiB of input as its dictionary and ended with a sync flush (the
 * last with a final block), as pigz does: blocks can be compressed by
 * several threads, and the output depends on the block size but never
 * on the number of threads. Changing GZIP_BLOCK or GZIP_LEVEL changes
 * the output, so both belong in any key a gzip'd result is stored under.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/bout.h"

#define GZIP_LEVEL 6
#define GZIP_BLOCK (256u << 10)

/* Most threads one stream uses (more gain nothing on a FIT payload). */
#define GZIP_MAX_JOBS 64

struct gzip_out {
	struct bout in;     /* write uncompressed bytes here */
	struct bout *next;  /* compressed bytes go here */
	void *priv;         /* buffered input, CRC, counts */
	int err;
};

/*
 * gzip_begin - start a stream into @next, compressing with up to @jobs
 * threads (0 or 1: in the caller's thread). Memory: about
 * 2 * jobs * 4 * GZIP_BLOCK. 0 or -ENOMEM.
 */
int gzip_begin(struct gzip_out *g, struct bout *next, unsigned jobs);
/* Flush the last block and the trailer into next. 0 or -errno. */
int gzip_end(struct gzip_out *g);
/* Free the state (after gzip_end, or to abandon). */
void gzip_release(struct gzip_out *g);

/* Compress a buffer into a malloc'd one with up to @jobs threads; the
 * bytes are gzip_begin's. 0, -ENOMEM, -EIO, or pthread_create's -errno. */
int gzip_buf(const void *in, size_t len, unsigned jobs, uint8_t **ret, size_t *ret_len);

/*
 * gunzip_buf - decompress a whole gzip member (for kiln inspect), at
 * most @max output bytes. 0; -EINVAL if not gzip or corrupt; -EFBIG.
 */
int gunzip_buf(const void *in, size_t len, uint64_t max, uint8_t **ret, size_t *ret_len);

/* True if @buf starts like a gzip member. */
bool gzip_magic(const void *buf, size_t len);

#endif
