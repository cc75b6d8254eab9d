/* SPDX-License-Identifier: MIT */
#ifndef KILN_STORE_STORE_INT_H
#define KILN_STORE_STORE_INT_H

/* What store.c, store-gc.c and store-index.c share; not for callers. */

#include <stdbool.h>
#include <stdint.h>

#include "store/store-index.h"
#include "store/store.h"

struct store {
	char *root;
	int rootfd;
	int lockfd;
	uint64_t max_bytes;
	/* Bytes in cas/ + ac/ as last counted plus what this process added
	 * since: past max_bytes, store_free runs an opportunistic gc. */
	uint64_t approx_bytes;
	bool counted;
	unsigned tmp_seq;
	struct store_index index; /* the stat index, loaded at first use */
	/* `kiln cache verify`: read every blob, whatever the stat index says. */
	bool rehash;
};

/* "cas/ab/ab01..." (or "ac/...") for @hash into @out. */
#define STORE_REL_MAX 80
void store_rel_path(const char *ns, const uint8_t hash[SHA256_LEN], char out[STORE_REL_MAX]);

/* Mark entry @rel ("cas/XX/...") used now: the mtime of its marker
 * used/@rel is the LRU clock (not the entry's own times, which never
 * change; not atime: filesystems may be mounted noatime). Failures are
 * harmless and ignored. */
void store_touch(struct store *s, const char *rel);
/* "used/" @rel: the marker of entry @rel. */
#define STORE_USED_MAX (STORE_REL_MAX + 8)
void store_used_path(const char *rel, char out[STORE_USED_MAX]);

/* Count the bytes held in cas/ and ac/ (st_blocks-independent: sizes). */
int store_count(struct store *s, uint64_t *ret_bytes, uint64_t *ret_blobs,
		uint64_t *ret_blob_bytes, uint64_t *ret_records, uint64_t *ret_record_bytes,
		struct diag *d);

/* The chunk hash (store.h) of @size bytes at @off of @fd, on up to @jobs
 * threads; with @dst >= 0, its data ranges are copied to the same offsets
 * less @off of @dst as they are hashed (holes stay holes). */
int store_image_hash_range(int fd, uint64_t off, uint64_t size, int dst, unsigned jobs,
			   uint8_t ret_hash[SHA256_LEN]);

/* Under the exclusive lock, at open: empty tmp/ and, with a limit, count
 * the store (approx_bytes) and evict down to it. */
void store_maintain(struct store *s);

/* Evict LRU entries down to @target if an exclusive lock can be taken
 * without waiting (another process using the store postpones it). */
void store_gc_try(struct store *s, uint64_t target);

/* Take the exclusive lock (@wait: block), run @fn, go back to shared. */
int store_locked_ex(struct store *s, bool wait, int (*fn)(struct store *, void *), void *arg,
		    struct diag *d);

#endif
