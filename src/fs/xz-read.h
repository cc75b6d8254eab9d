/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_XZ_READ_H
#define KILN_FS_XZ_READ_H

/*
 * xz streams decoded by liblzma's multithreaded decoder, handed to
 * libarchive as the archive's raw bytes (format only, no filter).
 * libarchive's own xz filter decodes on one thread; a stream written in
 * several blocks with their sizes in the block headers (xz -T, dpkg-deb)
 * decodes here on up to @threads threads. A single-block stream, or one
 * without sizes, decodes on the calling thread: same bytes either way.
 *
 * Memory: the decoder threads together use at most @memlimit (0:
 * XZ_READ_MEMLIMIT_THREADS; beyond it liblzma uses fewer threads, down
 * to decoding on one: callers decoding several streams at once share
 * that budget between them, plan/trees-prefetch.c); a
 * stream whose dictionary needs more than XZ_READ_MEMLIMIT_STOP is
 * refused. Every valid LZMA2 dictionary (<= 1.5 GiB) fits below it.
 *
 * Errors are set on the archive (archive_error_string), prefixed "xz:";
 * the caller names the file.
 */

#include <archive.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XZ_READ_MEMLIMIT_THREADS (512ull << 20)
#define XZ_READ_MEMLIMIT_STOP (2048ull << 20)

/* xz_is_xz - true when @buf (@len bytes) starts with the xz magic. */
bool xz_is_xz(const void *buf, size_t len);

/*
 * xz_archive_open - archive_read_open() @a on the decoded form of the xz
 * stream that @src (a libarchive read callback, called with @a and
 * @src_ud) returns. The decoder is freed by the archive's close.
 * Returns archive_read_open()'s result (ARCHIVE_OK on success), or
 * ARCHIVE_FATAL with the error set on @a (out of memory).
 */
int xz_archive_open(struct archive *a, unsigned threads, uint64_t memlimit,
		    archive_read_callback *src, void *src_ud);

/* Same, reading the compressed stream from @fd (closed by the archive's
 * close, also on failure). */
int xz_archive_open_fd(struct archive *a, unsigned threads, uint64_t memlimit, int fd);

/* Same, from @len bytes at @buf (must outlive the archive). */
int xz_archive_open_memory(struct archive *a, unsigned threads, uint64_t memlimit,
			   const void *buf, size_t len);

#endif
