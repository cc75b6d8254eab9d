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
 * image_cache_fetch_into - the same, but the cached image is copied into
 * @out (a partition's window of its disk: written in place, plan/inplace.h)
 * instead of an output file. Same returns.
 */
int image_cache_fetch_into(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
			   const struct image_key *k, struct sink *out, char *why, size_t whysize,
			   struct diag *d);

/*
 * image_cache_put - keep img->outfile (just written) under @key with its
 * key's components, and remember @key as the last build of that output
 * path. Never fails the build: problems are warnings. With -j > 1 the
 * copy into the store runs on a thread (its components are then moved
 * out of @k, which is left empty) and is finished by
 * image_cache_settle(); an image with an exec-post hook, or a disk with
 * partitions written in place, is kept before this returns.
 */
void image_cache_put(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
		     struct image_key *k, struct diag *d);
/* image_cache_put_from - the same, with the image's bytes at @off of @fd
 * (its window in the disk it was written into; @fd is duplicated, and
 * that range must not be written again). @k must live until settled. */
void image_cache_put_from(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
			  const struct image_key *k, int fd, uint64_t off, struct diag *d);
/*
 * image_cache_settle - wait for the images being kept on threads, name
 * their blobs and write their records (warnings and notes into @d, in
 * the order they were started). Called before a disk's own record,
 * before any hook or custom command (which may write earlier outputs)
 * and at the end of generation, failed or not: an image written whole is worth
 * keeping even when a later one fails (the outputs are rolled back, the
 * store is not an output).
 */
void image_cache_settle(struct build *b, struct diag *d);
#endif
