/* SPDX-License-Identifier: MIT */
/*
 * The stat index: input identity without re-reading (git's index). One
 * file, STORE/index, holds a record per input file, keyed by (device,
 * inode): the stat data its content hash was computed from and when that
 * hashing started. It is read once, at the first lookup, into a hash
 * table; records hashed by this process are written back once, when the
 * store closes (store-index-file.c). One file per input made the
 * filesystem's file creation most of a cold build (issue 12).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/diag.h"
#include "store/store-index.h"
#include "store/store-int.h"

/*
 * A file modified after its hashing started has an mtime no older than
 * that start minus the filesystem's timestamp granularity (FAT: 2 s;
 * most others round to a clock tick). Only an mtime older than this
 * margin proves the recorded hash still describes the bytes.
 */
#define RACY_MARGIN_NS (3 * 1000000000LL)

int64_t store_ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

bool store_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       store_ts_ns(&a->st_mtim) == store_ts_ns(&b->st_mtim) &&
	       store_ts_ns(&a->st_ctim) == store_ts_ns(&b->st_ctim);
}

static uint64_t mix(uint64_t dev, uint64_t ino)
{
	/* splitmix64's finaliser: inode numbers are dense. */
	uint64_t x = ino ^ (dev * 0x9e3779b97f4a7c15ull);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void store_index_init(struct store_index *ix)
{
	memset(ix, 0, sizeof(*ix));
	pthread_mutex_init(&ix->lock, NULL);
}

void store_index_release(struct store_index *ix)
{
	free(ix->v);
	free(ix->slot);
	pthread_mutex_destroy(&ix->lock);
}

struct index_ent *store_index_find(struct store_index *ix, uint64_t dev, uint64_t ino)
{
	if (!ix->nslot)
		return NULL;
	for (size_t i = mix(dev, ino) & (ix->nslot - 1);; i = (i + 1) & (ix->nslot - 1)) {
		uint32_t e = ix->slot[i];
		if (!e)
			return NULL;
		if (ix->v[e - 1].dev == dev && ix->v[e - 1].ino == ino)
			return &ix->v[e - 1];
	}
}

static void place(struct store_index *ix, size_t e)
{
	size_t i = mix(ix->v[e].dev, ix->v[e].ino) & (ix->nslot - 1);

	while (ix->slot[i])
		i = (i + 1) & (ix->nslot - 1);
	ix->slot[i] = (uint32_t)(e + 1);
}

int store_index_rehash(struct store_index *ix)
{
	size_t nslot = 64;

	while (nslot < 2 * ix->n + 2)
		nslot *= 2;
	uint32_t *slot = calloc(nslot, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	free(ix->slot);
	ix->slot = slot;
	ix->nslot = nslot;
	for (size_t e = 0; e < ix->n; e++)
		place(ix, e);
	return 0;
}

int store_index_put(struct store_index *ix, const struct index_ent *r)
{
	struct index_ent *old = store_index_find(ix, r->dev, r->ino);

	if (old) {
		/* The later hashing describes the file as it is now. */
		if (r->hashed_at_ns >= old->hashed_at_ns)
			*old = *r;
		return 0;
	}
	if (ix->n >= UINT32_MAX - 1)
		return -ENOSPC;
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? 2 * ix->cap : 256;
		struct index_ent *v = realloc(ix->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ix->v = v;
		ix->cap = cap;
	}
	ix->v[ix->n++] = *r;
	if (2 * ix->n + 2 > ix->nslot)
		return store_index_rehash(ix);
	place(ix, ix->n - 1);
	return 0;
}

static bool rec_matches(const struct index_ent *r, const struct stat *st)
{
	return r->size == (uint64_t)st->st_size && r->mtime_ns == store_ts_ns(&st->st_mtim) &&
	       r->ctime_ns == store_ts_ns(&st->st_ctim) &&
	       r->mtime_ns < r->hashed_at_ns - RACY_MARGIN_NS;
}

/* Read @fd whole, hashing it; -ESTALE if it changed meanwhile. */
static int hash_checked(int fd, const char *path, const struct stat *before,
			uint8_t out[SHA256_LEN], struct diag *d)
{
	struct sha256_ctx c;
	struct stat after;
	uint8_t *buf;
	off_t off = 0;
	int ret;

	/* Large reads: SHA-256 runs at GB/s with SHA-NI or ARMv8 crypto,
	 * so for big inputs the syscalls would otherwise dominate. */
	buf = malloc(HASH_BUF);
	if (!buf)
		return -ENOMEM;
	ret = sha256_init(&c);
	if (ret) {
		free(buf);
		return ret;
	}
	for (;;) {
		ssize_t n = pread(fd, buf, HASH_BUF, off);
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
	free(buf);
	return ret;
}

/* Record @rec->hash for the file of @st, hashed at @now. The index is an
 * optimisation: a record it cannot take (out of memory) only costs a
 * re-hash next time. */
static void remember(struct store *s, const struct stat *st, const struct timespec *now,
		     struct index_ent *rec)
{
	rec->dev = (uint64_t)st->st_dev;
	rec->ino = (uint64_t)st->st_ino;
	rec->size = (uint64_t)st->st_size;
	rec->mtime_ns = store_ts_ns(&st->st_mtim);
	rec->ctime_ns = store_ts_ns(&st->st_ctim);
	rec->hashed_at_ns = store_ts_ns(now);
	pthread_mutex_lock(&s->index.lock);
	if (!store_index_put(&s->index, rec))
		s->index.dirty = true;
	pthread_mutex_unlock(&s->index.lock);
}

void store_index_remember(struct store *s, int fd, const uint8_t hash[SHA256_LEN],
			  struct diag *d)
{
	struct index_ent rec = { 0 };
	struct timespec now;
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	memcpy(rec.hash, hash, SHA256_LEN);
	pthread_mutex_lock(&s->index.lock);
	store_index_load(s, d);
	pthread_mutex_unlock(&s->index.lock);
	remember(s, &st, &now, &rec);
}

int store_file_hash(struct store *s, int fd, const char *path, uint8_t ret_hash[SHA256_LEN],
		    struct stat *ret_st, struct diag *d)
{
	struct index_ent rec = { 0 };
	struct timespec now;
	struct stat st;
	int ret;

	if (fstat(fd, &st))
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return diag_fail(d, -EINVAL, "%s: not a regular file", path);
	if (s) {
		struct index_ent *r;
		bool hit;

		pthread_mutex_lock(&s->index.lock);
		store_index_load(s, d);
		r = store_index_find(&s->index, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
		hit = r && rec_matches(r, &st);
		if (hit)
			memcpy(ret_hash, r->hash, SHA256_LEN);
		pthread_mutex_unlock(&s->index.lock);
		if (hit) {
			if (ret_st)
				*ret_st = st;
			return 0;
		}
	}
	clock_gettime(CLOCK_REALTIME, &now);
	ret = hash_checked(fd, path, &st, rec.hash, d);
	if (ret)
		return ret;
	if (s)
		remember(s, &st, &now, &rec);
	memcpy(ret_hash, rec.hash, SHA256_LEN);
	if (ret_st)
		*ret_st = st;
	return 0;
}

struct many {
	struct store *s;
	const char *const *paths;
	size_t n, next; /* next: guarded by lock */
	pthread_mutex_t lock;
};

static void *hash_some(void *arg)
{
	struct many *m = arg;
	uint8_t h[SHA256_LEN];

	for (;;) {
		pthread_mutex_lock(&m->lock);
		size_t i = m->next < m->n ? m->next++ : m->n;
		pthread_mutex_unlock(&m->lock);
		if (i == m->n)
			return NULL;
		/* Errors are the caller's own call's to report, in order. */
		struct diag q = { 0 };
		int fd = open(m->paths[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		(void)store_file_hash(m->s, fd, m->paths[i], h, NULL, &q);
		close(fd);
	}
}

void store_file_hash_many(struct store *s, const char *const *paths, size_t n, unsigned jobs,
			  struct diag *d)
{
	struct many m = { .s = s, .paths = paths, .n = n };
	pthread_t tid[STORE_HASH_MAX_JOBS];
	unsigned started = 0;

	if (!s || n < 2 || jobs < 2)
		return;
	/* Reading files cold is mostly waiting for the device, which
	 * serves several reads at once: more readers than CPUs keep it
	 * busy (the bench disk's 248 MB of inputs, cold, on 2 CPUs: 0.54 s
	 * with 2 readers, 0.36 s with 8). Warm, the extra threads cost
	 * nothing but their stacks. */
	jobs *= 4;
	if (jobs > STORE_HASH_MAX_JOBS)
		jobs = STORE_HASH_MAX_JOBS;
	/* Loaded here, so its warnings reach @d rather than a thread's. */
	pthread_mutex_lock(&s->index.lock);
	store_index_load(s, d);
	pthread_mutex_unlock(&s->index.lock);
	pthread_mutex_init(&m.lock, NULL);
	while (started + 1 < jobs && !pthread_create(&tid[started], NULL, hash_some, &m))
		started++;
	hash_some(&m);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&m.lock);
}
