/* SPDX-License-Identifier: MIT */
/*
 * STORE/index on disk (format in store-index.h): read once per store
 * open, written once per close by write-new + rename. Writers serialise
 * on STORE/index.lock, not on the store's lock: every open store holds
 * that one shared for its whole life, so an exclusive lock there would
 * wait for the longest build running. Under index.lock a writer re-reads
 * the file and merges, so records another process wrote meanwhile stay.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "store/store-index.h"
#include "store/store-int.h"

static const char index_magic[8] = "KILNIX1";

static void rec_decode(const uint8_t *p, struct index_ent *r)
{
	r->dev = get_le64(p);
	r->ino = get_le64(p + 8);
	r->size = get_le64(p + 16);
	r->mtime_ns = (int64_t)get_le64(p + 24);
	r->ctime_ns = (int64_t)get_le64(p + 32);
	r->hashed_at_ns = (int64_t)get_le64(p + 40);
	memcpy(r->hash, p + 48, SHA256_LEN);
}

static void rec_encode(const struct index_ent *r, uint8_t *p)
{
	put_le64(p, r->dev);
	put_le64(p + 8, r->ino);
	put_le64(p + 16, r->size);
	put_le64(p + 24, (uint64_t)r->mtime_ns);
	put_le64(p + 32, (uint64_t)r->ctime_ns);
	put_le64(p + 40, (uint64_t)r->hashed_at_ns);
	memcpy(p + 48, r->hash, SHA256_LEN);
}

/*
 * Merge STORE/index into @ix. 0 when read or absent; *ret_bad when the
 * file is there but torn or corrupt (then nothing is merged); -errno
 * (other than ENOENT) reading it; -ENOMEM.
 */
static int read_index(struct store *s, struct store_index *ix, bool *ret_bad)
{
	uint8_t sum[SHA256_LEN];
	struct stat st;
	uint8_t *buf = NULL;
	uint64_t n, len;
	size_t got = 0;
	int fd, ret = 0;

	*ret_bad = false;
	fd = openat(s->rootfd, "index", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	len = (uint64_t)st.st_size;
	n = len < INDEX_HDR + SHA256_LEN ? 0 : (len - INDEX_HDR - SHA256_LEN) / INDEX_REC;
	if (len != INDEX_HDR + n * INDEX_REC + SHA256_LEN || n > INDEX_MAX_ENTRIES)
		goto bad;
	buf = malloc(len);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out;
		}
		if (!r)
			goto bad; /* shrank: replaced under us by a torn write */
		got += (size_t)r;
	}
	ret = sha256_buf(buf, len - SHA256_LEN, sum);
	if (ret)
		goto out;
	if (memcmp(buf, index_magic, 8) || get_le64(buf + 8) != n ||
	    memcmp(sum, buf + len - SHA256_LEN, SHA256_LEN))
		goto bad;
	for (uint64_t i = 0; i < n && !ret; i++) {
		struct index_ent r;
		rec_decode(buf + INDEX_HDR + i * INDEX_REC, &r);
		ret = store_index_put(ix, &r);
	}
	goto out;
bad:
	*ret_bad = true;
out:
	free(buf);
	close(fd);
	return ret;
}

void store_index_load(struct store *s, struct diag *d)
{
	bool bad;

	if (s->index.loaded)
		return;
	s->index.loaded = true;
	/* An unreadable index is an empty one: every input is hashed. */
	if (!read_index(s, &s->index, &bad) && bad)
		diag_warn(d, "store %s/index: stat index is corrupt or truncated; ignored",
			  s->root);
}

static int by_recency(const void *a, const void *b)
{
	const struct index_ent *x = a, *y = b;

	return (x->hashed_at_ns < y->hashed_at_ns) - (x->hashed_at_ns > y->hashed_at_ns);
}

static int by_file(const void *a, const void *b)
{
	const struct index_ent *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return (x->ino > y->ino) - (x->ino < y->ino);
}

/* Keep the bounds, then sort by file so the bytes depend on the set only. */
static int prune(struct store_index *ix)
{
	struct timespec now;
	size_t k = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	int64_t oldest = store_ts_ns(&now) - INDEX_MAX_AGE_S * 1000000000LL;
	for (size_t i = 0; i < ix->n; i++)
		if (ix->v[i].hashed_at_ns >= oldest)
			ix->v[k++] = ix->v[i];
	ix->n = k;
	if (ix->n > INDEX_MAX_ENTRIES) {
		qsort(ix->v, ix->n, sizeof(*ix->v), by_recency);
		ix->n = INDEX_MAX_ENTRIES;
	}
	qsort(ix->v, ix->n, sizeof(*ix->v), by_file);
	return store_index_rehash(ix);
}

static int write_index(struct store *s, const struct store_index *ix)
{
	size_t len = INDEX_HDR + ix->n * INDEX_REC + SHA256_LEN, done = 0;
	char tmp[64];
	uint8_t *buf;
	int fd, ret;

	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, index_magic, 8);
	put_le64(buf + 8, ix->n);
	for (size_t i = 0; i < ix->n; i++)
		rec_encode(&ix->v[i], buf + INDEX_HDR + i * INDEX_REC);
	ret = sha256_buf(buf, len - SHA256_LEN, buf + len - SHA256_LEN);
	if (ret)
		goto out;
	/* No fsync: the file only saves re-hashing, and a torn one fails
	 * its checksum and reads as empty. */
	snprintf(tmp, sizeof(tmp), "tmp/index.%ld", (long)getpid());
	fd = openat(s->rootfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		done += (size_t)n;
	}
	close(fd);
	if (!ret && renameat(s->rootfd, tmp, s->rootfd, "index"))
		ret = -errno;
	if (ret)
		(void)unlinkat(s->rootfd, tmp, 0);
out:
	free(buf);
	return ret;
}

void store_index_flush(struct store *s)
{
	struct store_index *ix = &s->index;
	bool bad;
	int fd;

	if (!ix->dirty)
		return;
	fd = openat(s->rootfd, "index.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	while (flock(fd, LOCK_EX)) {
		if (errno != EINTR)
			goto out;
	}
	/* What others wrote since we read it; per file, the later hashing
	 * wins. A corrupt file contributes nothing and is replaced. */
	if (read_index(s, ix, &bad) || prune(ix))
		goto out;
	if (!write_index(s, ix))
		ix->dirty = false;
out:
	close(fd); /* releases the lock */
}

int store_index_stat(struct store *s, bool remove, uint64_t *ret_entries, bool *ret_bad,
		     struct diag *d)
{
	struct store_index ix;
	int ret;

	store_index_init(&ix);
	ret = read_index(s, &ix, ret_bad);
	if (ret) {
		store_index_release(&ix);
		return diag_fail(d, ret, "store %s/index: %s", s->root, strerror(-ret));
	}
	if (*ret_bad && remove) {
		diag_warn(d, "store %s/index: stat index is corrupt or truncated; removed",
			  s->root);
		(void)unlinkat(s->rootfd, "index", 0);
	}
	*ret_entries = ix.n;
	store_index_release(&ix);
	return 0;
}
