/* SPDX-License-Identifier: MIT */
/* Store maintenance: counting, verifying, LRU eviction and clearing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "store/store-int.h"

/* Blobs (cas/, img/) before records (ac/). */
static const char *const namespaces[] = { "cas", "img", "ac" };
#define NS_IMG 1
#define NS_AC 2
#define NS_N 3

/* Call @fn for every regular file in NS/XX/ of every namespace. */
typedef int (*walk_fn)(struct store *s, unsigned ns, const char *rel, const struct stat *st,
		       void *arg);

static int walk_dir(struct store *s, const char *dir, unsigned ns, int depth, walk_fn fn,
		    void *arg)
{
	struct dirent *e;
	DIR *dp;
	int fd, ret = 0;

	fd = openat(s->rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	dp = fdopendir(fd);
	if (!dp) {
		ret = -errno;
		close(fd);
		return ret;
	}
	while (!ret && (e = readdir(dp))) {
		char rel[STORE_REL_MAX + 16];
		struct stat st;

		size_t nl = strlen(e->d_name);

		if (e->d_name[0] == '.' || nl > 2 * SHA256_LEN)
			continue;
		snprintf(rel, sizeof(rel), "%s/%.*s", dir, (int)nl, e->d_name);
		if (fstatat(s->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW))
			continue; /* removed meanwhile */
		if (depth == 0 && S_ISDIR(st.st_mode))
			ret = walk_dir(s, rel, ns, 1, fn, arg);
		else if (depth == 1 && S_ISREG(st.st_mode))
			ret = fn(s, ns, rel, &st, arg);
	}
	closedir(dp);
	return ret;
}

static int walk(struct store *s, walk_fn fn, void *arg)
{
	for (unsigned ns = 0; ns < NS_N; ns++) {
		int ret = walk_dir(s, namespaces[ns], ns, 0, fn, arg);
		if (ret)
			return ret;
	}
	return 0;
}

static int count_one(struct store *s, unsigned ns, const char *rel, const struct stat *st,
		     void *arg)
{
	struct store_stats *c = arg;

	if (ns != NS_AC) {
		c->blobs++;
		c->blob_bytes += (uint64_t)st->st_size;
	} else {
		c->records++;
		c->record_bytes += (uint64_t)st->st_size;
	}
	return 0;
}

int store_count(struct store *s, uint64_t *ret_bytes, uint64_t *ret_blobs,
		uint64_t *ret_blob_bytes, uint64_t *ret_records, uint64_t *ret_record_bytes,
		struct diag *d)
{
	struct store_stats c = { 0 };
	int ret = walk(s, count_one, &c);

	if (ret)
		return diag_fail(d, ret, "store %s: %s", s->root, strerror(-ret));
	if (ret_bytes)
		*ret_bytes = c.blob_bytes + c.record_bytes;
	if (ret_blobs)
		*ret_blobs = c.blobs;
	if (ret_blob_bytes)
		*ret_blob_bytes = c.blob_bytes;
	if (ret_records)
		*ret_records = c.records;
	if (ret_record_bytes)
		*ret_record_bytes = c.record_bytes;
	return 0;
}

int store_stats(struct store *s, struct store_stats *ret, struct diag *d)
{
	struct store_stats st = { .limit = s->max_bytes };
	int r = store_count(s, NULL, &st.blobs, &st.blob_bytes, &st.records, &st.record_bytes, d);
	bool bad;

	if (!r)
		r = store_index_stat(s, false, &st.index_entries, &bad, d);
	if (r)
		return r;
	*ret = st;
	return 0;
}

int store_locked_ex(struct store *s, bool wait, int (*fn)(struct store *, void *), void *arg,
		    struct diag *d)
{
	int ret;

	while ((ret = flock(s->lockfd, LOCK_EX | (wait ? 0 : LOCK_NB))) && errno == EINTR)
		;
	if (ret)
		ret = errno == EWOULDBLOCK ? -EWOULDBLOCK
					   : diag_fail(d, -errno, "store %s/lock: %s", s->root,
						       strerror(errno));
	else
		ret = fn(s, arg);
	/* A conversion drops the old lock first, even when it fails: take
	 * the shared lock again in every case. */
	while (flock(s->lockfd, LOCK_SH) && errno == EINTR)
		;
	return ret;
}

/* ---- verify ---- */

static int parse_name(const char *rel, uint8_t out[SHA256_LEN])
{
	const char *name = strrchr(rel, '/') + 1;

	return hex_decode(name, strlen(name), out, SHA256_LEN);
}

struct verify_ctx {
	unsigned jobs;
	uint64_t bad;
	struct diag *d;
};

static int verify_one(struct store *s, unsigned ns, const char *rel, const struct stat *st,
		      void *arg)
{
	struct verify_ctx *v = arg;
	uint8_t h[SHA256_LEN];
	void *buf;
	size_t len;
	int fd, ret;

	if (parse_name(rel, h)) {
		diag_warn(v->d, "store %s/%s: not a store entry; removed", s->root, rel);
		(void)unlinkat(s->rootfd, rel, 0);
		v->bad++;
		return 0;
	}
	/* Both readers warn and remove what does not check out. */
	if (ns != NS_AC) {
		ret = ns == NS_IMG ? store_open_image(s, h, v->jobs, true, &fd, v->d)
				   : store_open_blob(s, h, true, &fd, v->d);
		if (!ret)
			close(fd);
	} else {
		ret = store_ac_get(s, h, &buf, &len, v->d);
		if (!ret)
			free(buf);
	}
	if (ret == -ENOENT)
		v->bad++;
	else if (ret)
		return ret;
	return 0;
}

int store_verify(struct store *s, uint64_t *ret_bad, struct diag *d)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct verify_ctx v = { .d = d, .jobs = cpus > 1 ? (unsigned)cpus : 1 };
	int ret;

	s->rehash = true;
	ret = walk(s, verify_one, &v);
	s->rehash = false;
	uint64_t n;
	bool bad;

	if (ret)
		return diag_fail(d, ret, "store %s: %s", s->root, strerror(-ret));
	ret = store_index_stat(s, true, &n, &bad, d);
	if (ret)
		return ret;
	*ret_bad = v.bad + bad;
	return 0;
}

/* ---- gc ---- */

struct gc_ent {
	struct timespec used;
	uint64_t size;
	char rel[STORE_REL_MAX];
};

struct gc_list {
	struct gc_ent *v;
	size_t n, cap;
	uint64_t total;
};

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec != b->tv_sec ? a->tv_sec < b->tv_sec : a->tv_nsec < b->tv_nsec;
}

/* When entry @rel was last used: its marker's mtime (store_touch()), or
 * when it was written if that is later or it was never used. */
static struct timespec last_use(struct store *s, const char *rel, const struct stat *st)
{
	char used[STORE_USED_MAX];
	struct stat m;

	store_used_path(rel, used);
	if (!fstatat(s->rootfd, used, &m, AT_SYMLINK_NOFOLLOW) && ts_before(&st->st_mtim, &m.st_mtim))
		return m.st_mtim;
	return st->st_mtim;
}

/* Remove entry @rel and its marker. 0 or -errno (ENOENT is success). */
static int evict(struct store *s, const char *rel)
{
	char used[STORE_USED_MAX];

	if (unlinkat(s->rootfd, rel, 0) && errno != ENOENT)
		return -errno;
	store_used_path(rel, used);
	(void)unlinkat(s->rootfd, used, 0);
	return 0;
}

/* A marker whose entry is gone (evicted, or removed as corrupt): removed. */
static int sweep_marker(struct store *s, unsigned ns, const char *rel, const struct stat *st,
			void *arg)
{
	struct stat e;

	if (fstatat(s->rootfd, rel + strlen("used/"), &e, AT_SYMLINK_NOFOLLOW) && errno == ENOENT)
		(void)unlinkat(s->rootfd, rel, 0);
	return 0;
}

static void sweep_markers(struct store *s)
{
	char dir[16];

	for (unsigned ns = 0; ns < NS_N; ns++) {
		snprintf(dir, sizeof(dir), "used/%s", namespaces[ns]);
		(void)walk_dir(s, dir, ns, 0, sweep_marker, NULL);
	}
}

static int gc_collect(struct store *s, unsigned ns, const char *rel, const struct stat *st,
		      void *arg)
{
	struct gc_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1024;
		struct gc_ent *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].used = last_use(s, rel, st);
	l->v[l->n].size = (uint64_t)st->st_size;
	snprintf(l->v[l->n].rel, STORE_REL_MAX, "%s", rel);
	l->n++;
	l->total += (uint64_t)st->st_size;
	return 0;
}

static int gc_cmp(const void *a, const void *b)
{
	const struct gc_ent *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	if (x->used.tv_nsec != y->used.tv_nsec)
		return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
	return strcmp(x->rel, y->rel);
}

/* Remove every file in tmp/: under the exclusive lock no writer is
 * running, so whatever is there was left by a killed process. */
static void clean_tmp(struct store *s)
{
	struct dirent *e;
	DIR *dp;
	int fd = openat(s->rootfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	dp = fdopendir(fd);
	if (!dp) {
		close(fd);
		return;
	}
	while ((e = readdir(dp)))
		if (e->d_name[0] != '.')
			(void)unlinkat(fd, e->d_name, 0);
	closedir(dp);
}

static int gc_locked(struct store *s, void *arg)
{
	uint64_t target = *(const uint64_t *)arg;
	struct gc_list l = { 0 };
	int ret;

	clean_tmp(s);
	ret = walk(s, gc_collect, &l);
	if (ret)
		goto out;
	qsort(l.v, l.n, sizeof(*l.v), gc_cmp);
	for (size_t i = 0; i < l.n && l.total > target; i++)
		if (!evict(s, l.v[i].rel))
			l.total -= l.v[i].size;
	sweep_markers(s);
	s->approx_bytes = l.total;
	s->counted = true;
out:
	free(l.v);
	return ret;
}

void store_maintain(struct store *s)
{
	uint64_t t;

	if (!s->max_bytes) {
		clean_tmp(s);
		return;
	}
	/* gc_locked empties tmp/ and counts what stays. */
	t = s->max_bytes - s->max_bytes / 10;
	if (store_count(s, &s->approx_bytes, NULL, NULL, NULL, NULL, NULL)) {
		clean_tmp(s);
		return;
	}
	s->counted = true;
	if (s->approx_bytes > s->max_bytes)
		(void)gc_locked(s, &t);
	else
		clean_tmp(s);
}

int store_gc(struct store *s, uint64_t target_bytes, struct diag *d)
{
	int ret = store_locked_ex(s, true, gc_locked, &target_bytes, d);

	if (ret)
		return diag_fail(d, ret, "store %s: gc: %s", s->root, strerror(-ret));
	return 0;
}

void store_gc_try(struct store *s, uint64_t target)
{
	/* Evict a little below the limit so every commit does not rescan. */
	uint64_t t = target - target / 10;

	(void)store_locked_ex(s, false, gc_locked, &t, NULL);
}

/* ---- clear ---- */

static int clear_one(struct store *s, unsigned ns, const char *rel, const struct stat *st,
		     void *arg)
{
	return evict(s, rel);
}

static int clear_locked(struct store *s, void *arg)
{
	int ret;

	clean_tmp(s);
	ret = walk(s, clear_one, NULL);
	if (ret)
		return ret;
	sweep_markers(s); /* those of entries already gone */
	/* The fan-out directories too, so a cleared store is as new. */
	for (unsigned ns = 0; ns < NS_N; ns++) {
		char rel[24];
		for (unsigned i = 0; i < 256; i++) {
			snprintf(rel, sizeof(rel), "%s/%02x", namespaces[ns], i);
			(void)unlinkat(s->rootfd, rel, AT_REMOVEDIR);
			snprintf(rel, sizeof(rel), "used/%s/%02x", namespaces[ns], i);
			(void)unlinkat(s->rootfd, rel, AT_REMOVEDIR);
		}
		snprintf(rel, sizeof(rel), "used/%s", namespaces[ns]);
		(void)unlinkat(s->rootfd, rel, AT_REMOVEDIR);
	}
	(void)unlinkat(s->rootfd, "used", AT_REMOVEDIR);
	(void)unlinkat(s->rootfd, "index", 0);
	s->index.n = 0;
	s->index.dirty = false;
	s->approx_bytes = 0;
	s->counted = true;
	return store_index_rehash(&s->index);
}

int store_clear(struct store *s, struct diag *d)
{
	int ret = store_locked_ex(s, true, clear_locked, NULL, d);

	if (ret)
		return diag_fail(d, ret, "store %s: clear: %s", s->root, strerror(-ret));
	return 0;
}
