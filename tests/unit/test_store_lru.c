/* SPDX-License-Identifier: MIT */
/* Unit tests: the store's LRU eviction (src/store/store-gc.c). gc evicts
 * the least recently used first, by use markers that leave the entries'
 * own stat data alone; a limit is enforced when the store is opened and
 * closed; clear leaves nothing. */
#include <fcntl.h>
#include <time.h>

#include "store-t.h"

static void set_used(const uint8_t h[SHA256_LEN], time_t t)
{
	char p[512];
	struct timespec ts[2] = { { .tv_sec = t }, { .tv_sec = t } };

	blob_path(h, p);
	CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
}

static void test_stats_gc_clear(void)
{
	struct store *s = fresh(0);
	uint8_t h[3][SHA256_LEN], key[SHA256_LEN];
	static uint8_t data[3][1000];
	struct store_stats st;
	struct diag d = dg();
	int fd;

	for (int i = 0; i < 3; i++) {
		memset(data[i], 'a' + i, sizeof(data[i]));
		CHECK(put(s, data[i], sizeof(data[i]), NULL, h[i]) == 0);
		set_used(h[i], 1000000 + i);
	}
	sha256_buf("k", 1, key);
	CHECK(store_ac_put(s, key, "v", 1, &d) == 0);
	CHECK(store_stats(s, &st, &d) == 0);
	CHECK_EQ_U64(st.blobs, 3);
	CHECK_EQ_U64(st.blob_bytes, 3000);
	CHECK_EQ_U64(st.records, 1);
	CHECK(st.record_bytes > 1);

	/* Reading blob 0 makes it the most recently used: gc to two
	 * blobs' worth (plus the record) evicts blob 1, then 2 — not 0. */
	CHECK(store_open_blob(s, h[0], false, &fd, &d) == 0);
	close(fd);
	CHECK(store_gc(s, 2000 + st.record_bytes, &d) == 0);
	CHECK(store_has(s, h[0]));
	CHECK(!store_has(s, h[1]));
	CHECK(store_has(s, h[2]));
	CHECK(store_gc(s, 1000 + st.record_bytes, &d) == 0);
	CHECK(store_has(s, h[0]));
	CHECK(!store_has(s, h[2]));
	CHECK(store_stats(s, &st, &d) == 0);
	CHECK_EQ_U64(st.blobs, 1);

	CHECK(store_clear(s, &d) == 0);
	CHECK(store_stats(s, &st, &d) == 0);
	CHECK_EQ_U64(st.blobs + st.records, 0);
	CHECK(count_dir("cas") == 0 && count_dir("ac") == 0);
	CHECK(put(s, data[0], sizeof(data[0]), NULL, h[0]) == 0);
	CHECK(store_has(s, h[0]));
	store_free(s);

	/* A limit is enforced when the store is closed (and opened): not
	 * in between, so what a build reads stays there until it ends. */
	s = fresh(2500);
	for (int i = 0; i < 3; i++) {
		CHECK(put(s, data[i], sizeof(data[i]), NULL, h[i]) == 0);
		set_used(h[i], 1000000 + i); /* the clock may not tick between */
	}
	CHECK(store_stats(s, &st, &d) == 0);
	CHECK_EQ_U64(st.blob_bytes, 3000);
	CHECK_EQ_U64(st.limit, 2500);
	store_free(s);
	CHECK(store_open(&s, root, 0, &d) == 0);
	CHECK(store_stats(s, &st, &d) == 0);
	CHECK(st.blob_bytes + st.record_bytes <= 2500);
	CHECK(store_has(s, h[2]));
	/* Opening with a lower limit evicts at once. */
	store_free(s);
	CHECK(store_open(&s, root, 1500, &d) == 0);
	CHECK(store_stats(s, &st, &d) == 0);
	CHECK(st.blob_bytes + st.record_bytes <= 1500);
	CHECK(store_has(s, h[2]));
	store_free(s);
	CHECK(d.err == 0);
}

/* Wait until the kernel's file clock (coarse) has passed @t, so that a
 * change made now would show in a file's times. */
static void tick_past(const struct timespec *t)
{
	struct timespec now;

	do
		clock_gettime(CLOCK_REALTIME_COARSE, &now);
	while (now.tv_sec < t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec <= t->tv_nsec));
}

static bool has_marker(const uint8_t h[SHA256_LEN])
{
	char p[512], hex[65];

	hex_encode(h, SHA256_LEN, hex);
	snprintf(p, sizeof(p), "%s/used/cas/%.2s/%s", root, hex, hex);
	return access(p, F_OK) == 0;
}

/* Using an entry leaves its stat data as written (a replay compares
 * them); the LRU clock is its marker's, which gc follows and removes. */
static void test_use_keeps_entry(void)
{
	struct store *s = fresh(0);
	uint8_t h[3][SHA256_LEN];
	static uint8_t data[3][1000];
	struct stat before[3], after;
	struct timespec last = { 0 };
	struct diag d = dg();
	char p[512];
	int fd;

	for (int i = 0; i < 3; i++) {
		memset(data[i], 'x' + i, sizeof(data[i]));
		CHECK(put(s, data[i], sizeof(data[i]), NULL, h[i]) == 0);
		set_used(h[i], 1000000 + i);
		blob_path(h[i], p);
		CHECK(stat(p, &before[i]) == 0);
		last = before[i].st_ctim;
	}
	/* Used 2 then 0, each on a later clock tick: 1 is the least recent. */
	for (int k = 2; k >= 0; k -= 2) {
		tick_past(&last);
		CHECK(store_open_blob(s, h[k], true, &fd, &d) == 0);
		close(fd);
		CHECK(clock_gettime(CLOCK_REALTIME_COARSE, &last) == 0);
		blob_path(h[k], p);
		CHECK(stat(p, &after) == 0);
		CHECK(after.st_mtim.tv_sec == before[k].st_mtim.tv_sec &&
		      after.st_mtim.tv_nsec == before[k].st_mtim.tv_nsec);
		CHECK(after.st_ctim.tv_sec == before[k].st_ctim.tv_sec &&
		      after.st_ctim.tv_nsec == before[k].st_ctim.tv_nsec);
		CHECK(has_marker(h[k]));
	}
	CHECK(store_gc(s, 2000, &d) == 0);
	CHECK(store_has(s, h[0]) && !store_has(s, h[1]) && store_has(s, h[2]));
	CHECK(store_gc(s, 1000, &d) == 0);
	CHECK(store_has(s, h[0]) && !store_has(s, h[2]));
	/* Evicted entries' markers go with them, the rest with clear. */
	CHECK(has_marker(h[0]) && !has_marker(h[2]));
	CHECK(store_clear(s, &d) == 0);
	CHECK(count_dir("used") == -1);
	store_free(s);
	CHECK(d.err == 0);
}

int main(void)
{
	char parent[256];

	store_t_init("store-lru", parent);
	T_RUN(test_stats_gc_clear);
	T_RUN(test_use_keeps_entry);
	rm_rf(parent);
	return T_DONE();
}
