/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_DERIVED_CACHE_H
#define KILN_PLAN_DERIVED_CACHE_H

/* Derived blobs in the build cache (docs/store.md): results of pure
 * functions of their input bytes, such as gzip'd FIT payloads. */

#include <stddef.h>
#include <stdint.h>

struct build;
struct diag;

/*
 * derived_gzip - gzip_buf(@in) through the store: keyed by the SHA-256
 * of @in, the compression level, the block size (boot/gzip.h) and zlib's version (a different zlib may
 * compress differently, and a hit must equal a cold build). Without
 * b->store, or when the store fails (a warning), it just compresses
 * (with b->jobs threads; the bytes do not depend on them).
 * Returns 0 (*ret malloc'd) or gzip_buf's -ENOMEM / -EIO.
 */
int derived_gzip(struct build *b, const void *in, size_t len, uint8_t **ret, size_t *ret_len,
		 struct diag *d);

/*
 * derived_gzip_file - derived_gzip of the input file @path (at most @max
 * bytes, else -EFBIG as boot_read_file). The content hash in the key
 * comes from the store's stat index, so a hit does not read the file.
 * Returns 0 (*ret malloc'd) or -errno with @path in the message.
 */
int derived_gzip_file(struct build *b, const char *path, uint64_t max, uint8_t **ret,
		      size_t *ret_len, struct diag *d);

#endif
