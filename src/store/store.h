/* SPDX-License-Identifier: MIT */
#ifndef KILN_STORE_STORE_H
#define KILN_STORE_STORE_H

/*
 * The content-addressed store: one directory that remembers work done
 * before, shared by every build and config of one user (issue 12), and
 * where locked packages are downloaded to (src/pkg, issue 13).
 *
 * Layout under the root (after Bazel's remote cache, so a fleet could
 * later share one store through an HTTP server holding the same two
 * namespaces):
 *
 *   cas/XX/<sha256 hex>   immutable blobs, named by the SHA-256 of their
 *                         bytes (XX = first two hex digits)
 *   ac/XX/<sha256 hex>    action records: the key is the SHA-256 of
 *                         everything that determines a result; the value
 *                         is a small blob (typically blob hashes + metadata)
 *   used/NS/XX/<hex>      empty marker of entry NS/XX/<hex>: its mtime is
 *                         the entry's last use (the LRU clock; entries
 *                         are never modified once written)
 *   tmp/                  temporaries on the same filesystem, renamed into
 *                         place only when complete and verified
 *   index                 the stat index: one file of input files' stat
 *                         data and content hashes (store-index.h)
 *   index.lock            flock(2): exclusive while the index is written
 *   lock                  flock(2): shared by readers/writers, exclusive
 *                         for gc/clear
 *
 * Rules (tested): an entry appears whole or not at all (temp + fsync +
 * rename); concurrent writers of one entry are harmless because the name
 * is the hash; a blob whose bytes do not hash to its name is reported
 * (diag_warn), removed and treated as absent, never returned; ENOSPC or
 * any other write failure in the store never fails the caller's build
 * when the store is an optimisation (callers decide), and leaves no
 * partial entry. Access times are kept for LRU eviction down to the
 * configured limit.
 *
 * The store never reads the environment: the CLI chooses the root
 * ($KILN_CACHE, --cache, $XDG_CACHE_HOME/kiln, ~/.cache/kiln).
 * All functions return 0 or a negative errno; detail goes into @d.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"

struct diag;
struct store;

/* store_open - open (creating if missing) the store at @root, evicting
 * least-recently-used entries when it grows past @max_bytes (0: no
 * limit). */
int store_open(struct store **ret, const char *root, uint64_t max_bytes, struct diag *d);
/* store_free - close; NULL is a no-op. */
void store_free(struct store *s);
/* store_root - the store's directory, made absolute at open. */
const char *store_root(const struct store *s);

/* ---- blobs (cas/) ---- */

/* store_has - true if a blob with @hash is present (not verified). */
bool store_has(struct store *s, const uint8_t hash[SHA256_LEN]);

/*
 * store_open_blob - open the blob named @hash for reading; *ret_fd is an
 * O_RDONLY descriptor the caller closes. With @verify, its bytes are
 * re-hashed first; a mismatch warns, removes the entry and returns
 * -ENOENT. -ENOENT when absent.
 */
int store_open_blob(struct store *s, const uint8_t hash[SHA256_LEN], bool verify, int *ret_fd,
		    struct diag *d);

/*
 * A blob writer streams bytes into tmp/ while hashing them (downloads,
 * decoded archives, compressed payloads). Commit fsyncs and renames it
 * to cas/; with @expect non-NULL, a hash mismatch is -EBADMSG and
 * nothing enters the store. Abort (or free without commit) removes the
 * temporary. *ret_hash gets the content hash.
 */
struct store_writer;
int store_writer_new(struct store *s, struct store_writer **ret, struct diag *d);
int store_writer_write(struct store_writer *w, const void *buf, size_t len, struct diag *d);
/* The temporary's fd, for writers that need pwrite/holes/copy_file_range;
 * bytes written through it are hashed at commit. */
int store_writer_fd(struct store_writer *w);
int store_writer_commit(struct store_writer *w, const uint8_t *expect /* SHA256_LEN or NULL */,
			uint8_t ret_hash[SHA256_LEN], struct diag *d);
void store_writer_free(struct store_writer *w);

/* store_blob_path - "<root>/cas/XX/<hex>" of blob @hash, malloc'd (NULL
 * when out of memory): for readers that hand the path on (tree nodes
 * point into decoded layers). The path stays valid while the store is
 * open: gc and clear wait for every open store to close. */
char *store_blob_path(const struct store *s, const uint8_t hash[SHA256_LEN]);

/* store_put_fd - copy the whole of @fd (from offset 0) into the store. */
int store_put_fd(struct store *s, int fd, const uint8_t *expect, uint8_t ret_hash[SHA256_LEN],
		 struct diag *d);

/* ---- image blobs (img/) ---- */

/*
 * Finished images (plan/image-cache.c) are large and mostly holes. They
 * are kept in img/ rather than cas/, named by their *chunk hash*:
 *
 *   SHA-256("kiln image blob\0" || le64(size) || le64(STORE_IMG_CHUNK)
 *           || D(0) || D(1) || ...)
 *
 * where D(i) is the SHA-256 of the i-th STORE_IMG_CHUNK bytes (the last
 * chunk may be shorter). The name depends on the bytes alone, not on
 * where the holes are; but a whole chunk in a hole reads as zeros, so
 * its digest is known without reading or hashing it, and the other
 * chunks are hashed on up to @jobs threads. An image blob is not
 * fsynced: every use re-hashes it, so one torn by a crash is a miss.
 */
#define STORE_IMG_CHUNK (1u << 20)
#define STORE_IMG_MAX_JOBS 8

/* store_image_hash - the chunk hash of the whole of @fd; *ret_len (may be
 * NULL) gets its size. 0, -ENOMEM, -EIO (shorter than its size) or
 * -errno of fstat/pread. */
int store_image_hash(int fd, unsigned jobs, uint8_t ret_hash[SHA256_LEN], uint64_t *ret_len);

/* store_image_writer_new - a blob writer (as store_writer_new) whose
 * commit names the blob by its chunk hash, hashed on up to @jobs
 * threads, and puts it in img/ without fsync. Write it through
 * store_writer_fd. */
int store_image_writer_new(struct store *s, unsigned jobs, struct store_writer **ret,
			   struct diag *d);

/* store_image_put - keep the @len bytes at @off of @fd as an image blob
 * named *ret_hash: its data ranges are copied (FICLONE or copy_file_range:
 * extents shared where the filesystem can; holes stay holes) as the same
 * chunks of @fd are hashed, on up to @jobs threads, so the copy is never
 * read back. @fd must not change meanwhile. */
int store_image_put(struct store *s, int fd, uint64_t off, uint64_t len, unsigned jobs,
		    uint8_t ret_hash[SHA256_LEN], struct diag *d);

/*
 * store_image_put in two halves, so the copy and hash can run on another
 * thread while the caller goes on (plan/image-cache.c): the writer comes
 * from store_image_writer_new on the store's thread; store_image_fill
 * copies and hashes into it and touches nothing but @w and the
 * descriptors (any thread; @fd's range must not change meanwhile);
 * store_image_publish names the blob *hash in img/ (the store's thread
 * again). Free the writer either way.
 */
int store_image_fill(struct store_writer *w, int fd, uint64_t off, uint64_t len,
		     uint8_t ret_hash[SHA256_LEN], struct diag *d);
int store_image_publish(struct store_writer *w, const uint8_t hash[SHA256_LEN], struct diag *d);
/* store_open_image - store_open_blob for an image blob: with @verify its
 * chunk hash is checked (on up to @jobs threads); a mismatch warns,
 * removes it and returns -ENOENT. */
int store_open_image(struct store *s, const uint8_t hash[SHA256_LEN], unsigned jobs, bool verify,
		     int *ret_fd, struct diag *d);

/* ---- action records (ac/) ---- */

/* store_ac_get - the record for @key in a malloc'd buffer; -ENOENT when
 * absent. */
int store_ac_get(struct store *s, const uint8_t key[SHA256_LEN], void **ret_buf, size_t *ret_len,
		 struct diag *d);
/* store_ac_put - record @buf for @key (atomic replace). */
int store_ac_put(struct store *s, const uint8_t key[SHA256_LEN], const void *buf, size_t len,
		 struct diag *d);
/*
 * store_ac_put_cheap - the same without fsync, for records that only
 * save work (planned sizes of compressed images). One lost in a crash
 * fails its checksum and is a miss.
 */
int store_ac_put_cheap(struct store *s, const uint8_t key[SHA256_LEN], const void *buf, size_t len,
		       struct diag *d);

/* ---- input identity (the stat index, store-index.c) ---- */

/*
 * store_file_hash - the SHA-256 of the regular file open as @fd (@path
 * names it in messages), remembered by (device, inode, size, mtime,
 * ctime) as git's index does: when the stat data match a record and the
 * file's mtime is older than the moment it was hashed by more than the
 * coarsest timestamp granularity (racy-git rule), the recorded hash is
 * returned without reading the file. Otherwise the file is read and the
 * record refreshed in memory; the store writes the index back once,
 * when it is closed (best effort: a failure costs a re-hash next time,
 * never an error). @s may be NULL: always read. Thread-safe.
 *
 * Returns 0; -ESTALE when the file's stat data change while it is read
 * (the message names @path); -errno from fstat/read.
 * *ret_st (may be NULL) gets the stat data the hash belongs to, so a
 * caller reading the file again can check it is still that file.
 */
struct stat;
int store_file_hash(struct store *s, int fd, const char *path, uint8_t ret_hash[SHA256_LEN],
		    struct stat *ret_st, struct diag *d);

/*
 * store_file_hash_many - hash the files at @paths into the stat index on
 * up to @jobs threads (the caller's included), so that store_file_hash
 * calls made after it, one file at a time in the caller's order, find
 * their hash there instead of reading the file. Best effort: a file that
 * cannot be opened or read is skipped (the caller's own call reports
 * it); a file modified in the last seconds is racy and read again. @d
 * gets the index's warnings.
 */
#define STORE_HASH_MAX_JOBS 16
void store_file_hash_many(struct store *s, const char *const *paths, size_t n, unsigned jobs,
			  struct diag *d);

/* store_same_file - true if @a and @b describe the same unchanged file
 * (device, inode, size, mtime and ctime to the nanosecond). */
bool store_same_file(const struct stat *a, const struct stat *b);

/* ---- maintenance (kiln cache info|verify|gc|clear) ---- */

struct store_stats {
	uint64_t blobs, blob_bytes, records, record_bytes, limit;
	uint64_t index_entries; /* the stat index's records (0 if corrupt) */
};
int store_stats(struct store *s, struct store_stats *ret, struct diag *d);
/* store_verify - re-hash every blob and check every record and the stat
 * index; bad ones are removed and counted. */
int store_verify(struct store *s, uint64_t *ret_bad, struct diag *d);
/* store_gc - evict least-recently-used entries until the store holds at
 * most @target_bytes. */
int store_gc(struct store *s, uint64_t target_bytes, struct diag *d);
int store_clear(struct store *s, struct diag *d);

#endif
