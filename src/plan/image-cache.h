/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_IMAGE_CACHE_H
#define KILN_PLAN_IMAGE_CACHE_H

/* Finished images in the store (docs/store.md, "Finished images"). */

#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"

struct build;
struct diag;
struct image;
struct image_key;
struct sink;

/*
 * image_cache_fetch - write the cached image of @key to img->outfile
 * (through a file sink committed in the build's undo transaction),
 * sharing extents (FICLONE) or copying only data ranges
 * (copy_file_range), holes kept. The blob is re-hashed first: a corrupt
 * one warns, is removed and is a miss. Returns 1 on a hit, 0 on a miss
 * (with @why saying why, from the last build of the same output path
 * when there was one), or -errno when the output cannot be written.
 * With @ret_out, a copy is not committed but handed back there (NULL
 * when the output was unchanged and nothing moved): the caller commits
 * it (a parallel build commits in plan order) and then calls
 * image_cache_fetched().
 */
int image_cache_fetch(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
		      const struct image_key *k, char *why, size_t whysize, struct sink **ret_out,
		      struct diag *d);
/* image_cache_fetched - remember @key as the last build of img->outfile,
 * once the copy image_cache_fetch() handed back is committed. */
void image_cache_fetched(struct build *b, struct image *img, const uint8_t key[SHA256_LEN]);

/*
 * image_cache_put - keep img->outfile (just written) under @key with its
 * key's components, and remember @key as the last build of that output
 * path. Never fails the build: problems are warnings.
 */
void image_cache_put(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
		     const struct image_key *k, struct diag *d);

#endif
