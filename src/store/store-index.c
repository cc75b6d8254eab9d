/* SPDX-License-Identifier: MIT */
/*
 * The stat index: input identity without re-reading (git's index). One
 * action record per file, keyed by (device, inode), holding the stat data
 * the content hash was computed from and when that hashing started.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/diag.h"
#include "store/store-int.h"

/*
 * A file modified after its hashing started has an mtime no older than
 * that start minus the filesystem's timestamp granularity (FAT: 2 s;
 * most others round to a clock tick). Only an mtime older than this
 * margin proves the recorded hash still describes the bytes.
 */
#define RACY_MARGIN_NS (3 * 1000000000LL)

static const char stat_magic[8] = "KSTAT1";

struct stat_rec {
	uint8_t magic[8];
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	int64_t hashed_at_ns;
	uint8_t hash[SHA256_LEN];
};

_Static_assert(sizeof(struct stat_rec) == 88, "stat_rec has no padding");

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

bool store_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       ts_ns(&a->st_mtim) == ts_ns(&b->st_mtim) && ts_ns(&a->st_ctim) == ts_ns(&b->st_ctim);
}

static int index_key(const struct stat *st, uint8_t key[SHA256_LEN])
{
	uint8_t msg[32 + 16] = "kiln stat index 1";
	uint64_t dev = st->st_dev, ino = st->st_ino;

	memcpy(msg + 32, &dev, 8);
	memcpy(msg + 40, &ino, 8);
	return sha256_buf(msg, sizeof(msg), key);
}

static bool rec_matches(const struct stat_rec *r, const struct stat *st)
{
	return !memcmp(r->magic, stat_magic, 8) && r->dev == (uint64_t)st->st_dev &&
	       r->ino == (uint64_t)st->st_ino && r->size == (uint64_t)st->st_size &&
	       r->mtime_ns == ts_ns(&st->st_mtim) && r->ctime_ns == ts_ns(&st->st_ctim) &&
	       r->mtime_ns < r->hashed_at_ns - RACY_MARGIN_NS;
}

/* Read @fd whole, hashing it; -ESTALE if it changed meanwhile. */
static int hash_checked(int fd, const char *path, const struct stat *before,
			uint8_t out[SHA256_LEN], struct diag *d)
{
	struct sha256_ctx c;
	uint8_t buf[1 << 16];
	struct stat after;
	off_t off = 0;
	int ret = sha256_init(&c);

	if (ret)
		return ret;
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (!n)
			break;
		off += n;
		ret = sha256_update(&c, buf, (size_t)n);
		if (ret)
			goto out;
	}
	if (fstat(fd, &after)) {
		ret = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!store_same_file(before, &after) || off != before->st_size) {
		ret = diag_fail(d, -ESTALE, "%s: changed while kiln was reading it", path);
		goto out;
	}
	ret = sha256_final(&c, out);
out:
	sha256_release(&c);
	return ret;
}

int store_file_hash(struct store *s, int fd, const char *path, uint8_t ret_hash[SHA256_LEN],
		    struct stat *ret_st, struct diag *d)
{
	struct stat_rec rec;
	struct timespec now;
	uint8_t key[SHA256_LEN];
	struct diag quiet = { 0 };
	struct stat st;
	void *buf;
	size_t len;
	int ret;

	if (fstat(fd, &st))
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return diag_fail(d, -EINVAL, "%s: not a regular file", path);
	ret = index_key(&st, key);
	if (ret)
		return ret;
	/* Warnings (a corrupt record) reach the caller; errors reading the
	 * index only mean a miss, and must not stand as the build's error. */
	if (d) {
		quiet.warn = d->warn;
		quiet.userdata = d->userdata;
	}
	if (s && !store_ac_get(s, key, &buf, &len, &quiet)) {
		bool hit = len == sizeof(rec);
		if (hit) {
			memcpy(&rec, buf, sizeof(rec));
			hit = rec_matches(&rec, &st);
		}
		free(buf);
		if (hit) {
			memcpy(ret_hash, rec.hash, SHA256_LEN);
			if (ret_st)
				*ret_st = st;
			return 0;
		}
	}
	clock_gettime(CLOCK_REALTIME, &now);
	ret = hash_checked(fd, path, &st, rec.hash, d);
	if (ret)
		return ret;
	if (s) {
		memset(&rec, 0, sizeof(rec) - SHA256_LEN);
		memcpy(rec.magic, stat_magic, 8);
		rec.dev = st.st_dev;
		rec.ino = st.st_ino;
		rec.size = (uint64_t)st.st_size;
		rec.mtime_ns = ts_ns(&st.st_mtim);
		rec.ctime_ns = ts_ns(&st.st_ctim);
		rec.hashed_at_ns = ts_ns(&now);
		/* The index is an optimisation: a store that cannot take
		 * the record (full, read-only) only costs a re-hash. */
		(void)store_ac_put_cheap(s, key, &rec, sizeof(rec), NULL);
	}
	memcpy(ret_hash, rec.hash, SHA256_LEN);
	if (ret_st)
		*ret_st = st;
	return 0;
}
