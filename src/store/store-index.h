/* SPDX-License-Identifier: MIT */
#ifndef KILN_STORE_STORE_INDEX_H
#define KILN_STORE_STORE_INDEX_H

/*
 * The stat index in memory (store-index.c) and on disk
 * (store-index-file.c); not for callers outside src/store.
 *
 * STORE/index, all integers little-endian:
 *   magic "KILNIX1\0" | count (u64) | count records sorted by (dev, ino) |
 *   SHA-256 of everything before it
 * a record (INDEX_REC bytes): dev, ino, size (u64), mtime, ctime,
 *   hashed_at (i64 ns) | sha256 of the content (32 bytes).
 * A file of the wrong size, magic or checksum is an empty index.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/hash.h"

struct diag;
struct store;

#define INDEX_HDR 16
#define INDEX_REC (6 * 8 + SHA256_LEN)
/* Bounds: at most this many records (the most recently hashed are kept;
 * 2^18 records is a 20 MiB file) and none hashed longer ago than
 * INDEX_MAX_AGE_S: an unchanged file then costs one re-hash. */
#define INDEX_MAX_ENTRIES (1u << 18)
#define INDEX_MAX_AGE_S (90 * 24 * 3600LL)
/* Read size for hashing inputs: large enough that the syscalls cost
 * nothing beside SHA-256 at GB/s, small enough that the 4 readers per
 * job (store_file_hash_many) hold 2 MiB, not 8, on 2 CPUs. */
#define HASH_BUF (1u << 18)

struct index_ent {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns, hashed_at_ns;
	uint8_t hash[SHA256_LEN];
};

struct store_index {
	pthread_mutex_t lock;  /* store_file_hash may run in writer threads */
	bool loaded;           /* STORE/index was read (or found absent/bad) */
	bool dirty;            /* records were hashed since: write back */
	struct index_ent *v;
	size_t n, cap;
	uint32_t *slot;        /* open addressing: 1 + index into v, 0 = empty */
	size_t nslot;          /* power of two, > 2 n */
};

void store_index_init(struct store_index *ix);
void store_index_release(struct store_index *ix);
/* The record of (@dev, @ino), NULL when none. */
struct index_ent *store_index_find(struct store_index *ix, uint64_t dev, uint64_t ino);
/* Add @r, or replace the record of its file if @r was hashed later.
 * -ENOMEM. */
int store_index_put(struct store_index *ix, const struct index_ent *r);
/* Rebuild the slot table after v was reordered or shrunk. -ENOMEM. */
int store_index_rehash(struct store_index *ix);
int64_t store_ts_ns(const struct timespec *t);

/* Record @hash for the file open as @fd, hashed now: a blob the store
 * itself just wrote and named (publish_blob), so the next use trusts it
 * without reading it. (@d: the index's warnings, if this loads it.) */
void store_index_remember(struct store *s, int fd, const uint8_t hash[SHA256_LEN],
			  struct diag *d);
/* Read STORE/index into s->index once; a missing file is an empty index,
 * a corrupt one too (with a warning through @d). Caller holds the lock. */
void store_index_load(struct store *s, struct diag *d);
/* Write the records hashed by this process into STORE/index, merged with
 * what other processes wrote meanwhile, under STORE/index.lock (best
 * effort: a failure costs re-hashes, never an error). */
void store_index_flush(struct store *s);
/* Record count of STORE/index as on disk; a corrupt file is 0 with
 * *ret_bad set (and, with @remove, removed). */
int store_index_stat(struct store *s, bool remove, uint64_t *ret_entries, bool *ret_bad,
		     struct diag *d);

#endif
