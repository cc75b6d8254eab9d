/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_IMAGE_KEY_H
#define KILN_PLAN_IMAGE_KEY_H

/*
 * Finished images in the build cache (docs/store.md, "Finished images").
 * An image's key is the SHA-256 of a list of named components, each
 * hashed on its own: kiln's image format number, the handler type, the
 * mode (genimage or native), the image's seed and the epoch, every value
 * of its config section, its planned layout, every dependency (a child
 * image's own key, or the content hash of an input file or of an output
 * written by a hook) and what the handler's `key` callback adds (its file
 * tree, one component per path). The list is kept beside the cached
 * image so that a later miss can name what changed (--explain).
 */

#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"

struct build;
struct diag;
struct image;
struct store_writer;
struct tree;

/*
 * Bump whenever any writer's output changes for the same inputs (a fix
 * in a layout, a new default): keys of older kilns then never match.
 */
#define KILN_IMAGE_FORMAT 2 /* 2: gzip in GZIP_BLOCK blocks (boot/gzip.h) */

struct key_component {
	char *name;               /* "option ext4.label", "file /etc/motd", "child 'boot.vfat'" */
	uint8_t hash[SHA256_LEN];
};

/* Component names are carved from chunks of the key (one per ~64 KiB,
 * not a malloc each): a tree's key has a name per path. */
struct key_names;

struct image_key {
	struct key_component *c;
	size_t n, cap;
	struct key_names *names;  /* newest chunk first */
};

void image_key_release(struct image_key *k);

/* image_key_add - component @name = SHA-256 of @data. 0 or -ENOMEM. */
int image_key_add(struct image_key *k, const char *name, const void *data, size_t len);
int image_key_add_hash(struct image_key *k, const char *name, const uint8_t hash[SHA256_LEN]);

/*
 * image_key_tree - one component per node of finished tree @t: its path,
 * type, mode, owner, times, device numbers, link target, xattrs, hard
 * link target and content identity (a store blob's name and range, an
 * input file's hash through the stat index, else the hash of its bytes).
 * Returns 0 or -errno (an unreadable or changing source names its path).
 */
int image_key_tree(struct build *b, struct image_key *k, const struct tree *t, struct diag *d);

/*
 * image_key_file - component @name = the identity of @len bytes at @off
 * of file @path (as image_key_tree() identifies a file's bytes).
 */
int image_key_file(struct build *b, struct image_key *k, const char *name, const char *path,
		   uint64_t off, uint64_t len, struct diag *d);

/* For handlers whose bytes depend on nothing but the common components. */
int image_key_none(struct build *b, struct image *img, struct image_key *k, struct diag *d);

/*
 * image_key_compute - fill @k (initially zeroed) with every component of
 * @img and set *ret_key to its key. Children must be generated (their
 * keys set, or their output files present). -EOPNOTSUPP when the
 * handler has no key callback; other -errno with detail in @d.
 */
int image_key_compute(struct build *b, struct image *img, struct image_key *k,
		      uint8_t ret_key[SHA256_LEN], struct diag *d);

/*
 * image_key_diff - describe how @now differs from @before (serialised
 * components, "HEX NAME\n" lines) in @buf: at most a few differences,
 * "changed: NAME; new: NAME; gone: NAME (and N more)".
 */
void image_key_diff(const struct image_key *now, const char *before, size_t before_len, char *buf,
		    size_t bufsize);

/* image_key_serialise - @k as "HEX NAME\n" lines, malloc'd. */
char *image_key_serialise(const struct image_key *k, size_t *ret_len);
/* image_key_write - the same lines written to store writer @w.
 * 0 or the writer's -errno (detail in @d). */
int image_key_write(const struct image_key *k, struct store_writer *w, struct diag *d);

#endif
