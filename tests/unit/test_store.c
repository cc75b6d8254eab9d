/* SPDX-License-Identifier: MIT */
/* Unit tests: the content-addressed store (src/store). Blobs and records
 * round-trip; a wrong expected hash, an abort or a failing write leaves
 * nothing; corrupt and truncated entries are detected, reported and
 * removed; two processes writing at once both succeed; the stat index
 * trusts only non-racy entries. gc and LRU eviction: test_store_lru.c. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/diag.h"
#include "store-t.h"
#include "store/store.h"
#include "t.h"

static void test_put_get(void)
{
	struct store *s = fresh(0);
	uint8_t h[SHA256_LEN], want[SHA256_LEN];
	struct diag d = dg();
	char buf[16] = { 0 };
	int fd = -1;

	sha256_buf("hello", 5, want);
	CHECK(!store_has(s, want));
	CHECK(put(s, "hello", 5, NULL, h) == 0);
	CHECK(!memcmp(h, want, SHA256_LEN));
	CHECK(store_has(s, want));
	CHECK(store_open_blob(s, want, true, &fd, &d) == 0);
	CHECK(read(fd, buf, sizeof(buf)) == 5);
	CHECK_STR(buf, "hello");
	close(fd);
	/* Again, with the right expectation: harmless. */
	CHECK(put(s, "hello", 5, want, h) == 0);
	/* Through the fd (pwrite with a hole), hashed at commit. */
	struct store_writer *w;
	CHECK(store_writer_new(s, &w, &d) == 0);
	CHECK(pwrite(store_writer_fd(w), "x", 1, 4095) == 1);
	CHECK(store_writer_commit(w, NULL, h, &d) == 0);
	store_writer_free(w);
	uint8_t page[4096] = { 0 };
	page[4095] = 'x';
	sha256_buf(page, sizeof(page), want);
	CHECK(!memcmp(h, want, SHA256_LEN));
	/* store_put_fd copies a whole file. */
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s/../store-input", root);
	int f = open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(write(f, page, sizeof(page)) == (ssize_t)sizeof(page));
	memset(h, 0, SHA256_LEN);
	CHECK(store_put_fd(s, f, want, h, &d) == 0);
	CHECK(!memcmp(h, want, SHA256_LEN));
	close(f);
	unlink(tmp);
	CHECK(store_open_blob(s, (const uint8_t *)"no such blob, none at all.......", false,
			      &fd, &d) == -ENOENT);
	CHECK(count_dir("tmp") == 0);
	CHECK(d.err == 0);
	store_free(s);
}

static void test_wrong_hash_and_abort(void)
{
	struct store *s = fresh(0);
	uint8_t h[SHA256_LEN], bogus[SHA256_LEN], real[SHA256_LEN];
	struct diag d = dg();
	struct store_writer *w;

	memset(bogus, 0xab, sizeof(bogus));
	sha256_buf("payload", 7, real);
	CHECK(store_writer_new(s, &w, &d) == 0);
	CHECK(store_writer_write(w, "payload", 7, &d) == 0);
	CHECK(store_writer_commit(w, bogus, h, &d) == -EBADMSG);
	CHECK(strstr(d.msg, "sha256 mismatch") != NULL);
	store_writer_free(w);
	CHECK(!store_has(s, real));
	CHECK(!store_has(s, bogus));
	CHECK(count_dir("tmp") == 0);

	/* Abort: free without commit. */
	CHECK(store_writer_new(s, &w, &d) == 0);
	CHECK(store_writer_write(w, "payload", 7, &d) == 0);
	CHECK(count_dir("tmp") == 1);
	store_writer_free(w);
	CHECK(count_dir("tmp") == 0);
	CHECK(!store_has(s, real));

	/* A temporary left by a killed writer: kept while the store is in
	 * use (it could be a live writer's), removed by the next open of
	 * an idle store. */
	char p[512];
	struct store *s2 = NULL;
	snprintf(p, sizeof(p), "%s/tmp/99999.0", root);
	int fd = open(p, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	close(fd);
	CHECK(store_open(&s2, root, 0, &d) == 0);
	CHECK(count_dir("tmp") == 1);
	store_free(s2);
	store_free(s);
	CHECK(store_open(&s, root, 0, &d) == 0);
	CHECK(count_dir("tmp") == 0);
	store_free(s);
}

static void damage(const uint8_t h[SHA256_LEN], bool truncate_it)
{
	char p[512];

	blob_path(h, p);
	CHECK(chmod(p, 0644) == 0);
	if (truncate_it) {
		CHECK(truncate(p, 3) == 0);
	} else {
		int fd = open(p, O_WRONLY);
		CHECK(pwrite(fd, "J", 1, 0) == 1);
		close(fd);
	}
}

static void test_corrupt(void)
{
	struct store *s = fresh(0);
	uint8_t a[SHA256_LEN], b[SHA256_LEN];
	struct diag d = dg();
	uint64_t bad = 99;
	int fd = -1;

	CHECK(put(s, "hello world", 11, NULL, a) == 0);
	CHECK(put(s, "another blob", 12, NULL, b) == 0);
	damage(a, false);
	damage(b, true);
	warnings = 0;
	CHECK(store_open_blob(s, a, true, &fd, &d) == -ENOENT);
	CHECK(warnings == 1);
	CHECK(!store_has(s, a));
	CHECK(store_open_blob(s, b, true, &fd, &d) == -ENOENT);
	CHECK(warnings == 2);
	CHECK(!store_has(s, b));
	CHECK(d.err == 0);
	/* Rebuilt by the next put. */
	CHECK(put(s, "hello world", 11, a, a) == 0);
	CHECK(store_open_blob(s, a, true, &fd, &d) == 0);
	close(fd);

	/* verify finds it too, counts it and leaves the good one. */
	CHECK(put(s, "another blob", 12, NULL, b) == 0);
	damage(b, true);
	CHECK(store_verify(s, &bad, &d) == 0);
	CHECK_EQ_U64(bad, 1);
	CHECK(store_has(s, a));
	CHECK(!store_has(s, b));
	CHECK(store_verify(s, &bad, &d) == 0);
	CHECK_EQ_U64(bad, 0);
	store_free(s);
}

static void test_ac(void)
{
	struct store *s = fresh(0);
	uint8_t key[SHA256_LEN];
	struct diag d = dg();
	void *buf = NULL;
	size_t len = 0;
	char p[512], hex[65];

	sha256_buf("some action", 11, key);
	CHECK(store_ac_get(s, key, &buf, &len, &d) == -ENOENT);
	CHECK(store_ac_put(s, key, "first", 5, &d) == 0);
	CHECK(store_ac_get(s, key, &buf, &len, &d) == 0);
	CHECK(len == 5 && !memcmp(buf, "first", 5));
	free(buf);
	CHECK(store_ac_put(s, key, "second value", 12, &d) == 0);
	CHECK(store_ac_get(s, key, &buf, &len, &d) == 0);
	CHECK(len == 12 && !memcmp(buf, "second value", 12));
	free(buf);
	CHECK(store_ac_put(s, key, "", 0, &d) == 0);
	CHECK(store_ac_get(s, key, &buf, &len, &d) == 0);
	CHECK(len == 0);
	free(buf);
	CHECK(count_dir("tmp") == 0);

	/* A flipped payload byte and a truncation are both caught. */
	CHECK(store_ac_put(s, key, "third", 5, &d) == 0);
	hex_encode(key, SHA256_LEN, hex);
	snprintf(p, sizeof(p), "%s/ac/%.2s/%s", root, hex, hex);
	int fd = open(p, O_WRONLY);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	CHECK(pwrite(fd, "T", 1, st.st_size - 5) == 1);
	close(fd);
	warnings = 0;
	CHECK(store_ac_get(s, key, &buf, &len, &d) == -ENOENT);
	CHECK(warnings == 1);
	CHECK(access(p, F_OK) != 0);
	CHECK(store_ac_put(s, key, "third", 5, &d) == 0);
	CHECK(truncate(p, 20) == 0);
	CHECK(store_ac_get(s, key, &buf, &len, &d) == -ENOENT);
	CHECK(warnings == 2);
	CHECK(d.err == 0);
	store_free(s);
}

/* Each child puts 64 shared blobs and 64 of its own, in opposite orders. */
static int child_writer(int id)
{
	struct diag d = { 0 };
	struct store *s;
	uint8_t h[SHA256_LEN];
	char buf[20000];

	if (store_open(&s, root, 0, &d))
		return 2;
	for (int i = 0; i < 128; i++) {
		int n = id ? 127 - i : i;
		memset(buf, n % 64, sizeof(buf));
		snprintf(buf, 32, "%s %d", n < 64 ? "shared" : "own", n < 64 ? n : n * 10 + id);
		if (put(s, buf, sizeof(buf), NULL, h))
			return 3;
	}
	store_free(s);
	return 0;
}

static void test_concurrent(void)
{
	struct store *s = fresh(0);
	struct store_stats st;
	struct diag d = dg();
	pid_t pid[2];
	uint64_t bad = 1;

	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(child_writer(i));
	}
	for (int i = 0; i < 2; i++) {
		int status = -1;
		CHECK(waitpid(pid[i], &status, 0) == pid[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK(store_stats(s, &st, &d) == 0);
	CHECK_EQ_U64(st.blobs, 64 + 2 * 64);
	CHECK(store_verify(s, &bad, &d) == 0);
	CHECK_EQ_U64(bad, 0);
	CHECK(count_dir("tmp") == 0);
	store_free(s);
}

/* A write that fails for real (the file size limit stands in for a full
 * disk) fails the writer and leaves nothing behind. */
static void test_write_failure(void)
{
	struct store *s = fresh(0);
	pid_t pid = fork();

	if (pid == 0) {
		static char big[1 << 16];
		struct rlimit rl = { 8192, 8192 };
		struct diag d = { 0 };
		struct store_writer *w;
		uint8_t h[SHA256_LEN], key[SHA256_LEN] = { 1 };
		int ret, code = 0;

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		if (store_writer_new(s, &w, &d))
			_exit(10);
		ret = store_writer_write(w, big, sizeof(big), &d);
		if (ret != -EFBIG)
			code = 11;
		if (store_writer_commit(w, NULL, h, &d) != -EFBIG)
			code = 12;
		store_writer_free(w);
		if (store_ac_put(s, key, big, sizeof(big), &d) != -EFBIG)
			code = 13;
		if (put(s, big, sizeof(big), NULL, h) != -EFBIG)
			code = 14;
		store_free(s);
		_exit(code);
	}
	int status = -1;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (WIFEXITED(status) && WEXITSTATUS(status))
		fprintf(stderr, "  child exit %d\n", WEXITSTATUS(status));
	CHECK(count_dir("tmp") == 0);
	CHECK(count_dir("cas") == 0);
	CHECK(count_dir("ac") == 0);
	store_free(s);
}

/* STORE/index as store-index.h lays it out (the test pins the format):
 * 16-byte header, 80-byte records (dev, ino, size, mtime, ctime,
 * hashed_at, sha256), SHA-256 of the rest. Returns its bytes, NULL when
 * absent. */
#define IX_HDR 16
#define IX_REC 80
static uint8_t *index_read(size_t *ret_len)
{
	char p[512];
	struct stat st;
	uint8_t *buf;

	snprintf(p, sizeof(p), "%s/index", root);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return NULL;
	CHECK(fstat(fd, &st) == 0);
	buf = malloc((size_t)st.st_size + 1);
	CHECK(read(fd, buf, (size_t)st.st_size) == st.st_size);
	close(fd);
	*ret_len = (size_t)st.st_size;
	return buf;
}

static void index_write(const uint8_t *buf, size_t len)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/index", root);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, buf, len) == (ssize_t)len);
	close(fd);
}

/* The record of @st's file in the index's bytes, NULL when none. */
static uint8_t *index_rec(uint8_t *buf, size_t len, const struct stat *st)
{
	uint64_t n, dev = st->st_dev, ino = st->st_ino;

	CHECK(len >= IX_HDR + 32 && !memcmp(buf, "KILNIX1", 8));
	memcpy(&n, buf + 8, 8);
	CHECK(len == IX_HDR + n * IX_REC + 32);
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *r = buf + IX_HDR + i * IX_REC;
		if (!memcmp(r, &dev, 8) && !memcmp(r + 8, &ino, 8))
			return r;
	}
	return NULL;
}

/* Overwrite the hash in the index record of @st (and the checksum): only
 * a lookup that trusts the record without reading the file returns it.
 * The store must be closed (it writes the index back at close). */
static void forge_index(const struct stat *st)
{
	size_t len = 0;
	uint8_t *buf = index_read(&len), *r;

	CHECK(buf != NULL);
	if (!buf)
		return;
	r = index_rec(buf, len, st);
	CHECK(r != NULL);
	if (r) {
		memset(r + 48, 0xee, SHA256_LEN);
		sha256_buf(buf, len - 32, buf + len - 32);
		index_write(buf, len);
	}
	free(buf);
}

static struct store *reopen(struct store *s)
{
	struct diag d = dg();

	store_free(s);
	s = NULL;
	CHECK(store_open(&s, root, 0, &d) == 0);
	return s;
}

static void test_stat_index(void)
{
	struct store *s = fresh(0);
	uint8_t h[SHA256_LEN], want[SHA256_LEN], forged[SHA256_LEN];
	struct diag d = dg();
	struct stat st;
	char p[512];

	memset(forged, 0xee, sizeof(forged));
	snprintf(p, sizeof(p), "%s/../store-index-input", root);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(write(fd, "content", 7) == 7);
	sha256_buf("content", 7, want);

	/* Modified just now: racy, so the record is never trusted. */
	CHECK(store_file_hash(s, fd, p, h, &st, &d) == 0);
	CHECK(!memcmp(h, want, SHA256_LEN));
	store_free(s);
	forge_index(&st);
	s = reopen(NULL);
	CHECK(store_file_hash(s, fd, p, h, NULL, &d) == 0);
	CHECK(!memcmp(h, want, SHA256_LEN));

	/* An old mtime: the second lookup comes from the index. */
	struct timespec old[2] = { { .tv_sec = 1600000000 }, { .tv_sec = 1600000000 } };
	CHECK(futimens(fd, old) == 0);
	CHECK(store_file_hash(s, fd, p, h, &st, &d) == 0);
	CHECK(!memcmp(h, want, SHA256_LEN));
	/* Found again by another open of the store: it was written back at
	 * close, and the forged hash shows the file was not read. */
	store_free(s);
	forge_index(&st);
	s = reopen(NULL);
	CHECK(store_file_hash(s, fd, p, h, NULL, &d) == 0);
	CHECK(!memcmp(h, forged, SHA256_LEN));

	/* Same size, same (restored) mtime, new content: ctime differs. */
	CHECK(pwrite(fd, "CONTENT", 7, 0) == 7);
	CHECK(futimens(fd, old) == 0);
	sha256_buf("CONTENT", 7, want);
	CHECK(store_file_hash(s, fd, p, h, NULL, &d) == 0);
	CHECK(!memcmp(h, want, SHA256_LEN));
	/* Without a store: always read. */
	CHECK(store_file_hash(NULL, fd, p, h, NULL, &d) == 0);
	CHECK(!memcmp(h, want, SHA256_LEN));
	close(fd);
	unlink(p);
	CHECK(d.err == 0);
	store_free(s);
}

/* An input file with an mtime old enough for the index to be trusted. */
static int old_input(const char *name, const char *content, struct stat *st, char p[512])
{
	struct timespec old[2] = { { .tv_sec = 1600000000 }, { .tv_sec = 1600000000 } };

	snprintf(p, 512, "%s/../%s", root, name);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
	CHECK(futimens(fd, old) == 0);
	CHECK(fstat(fd, st) == 0);
	return fd;
}

/* Two processes hash different files with the store open at the same
 * time: the index holds both afterwards (the second writer merges). */
static void test_index_merge(void)
{
	struct store *s = fresh(0);
	int go[2], ready[2];
	struct stat st[2];
	char p[2][512];
	pid_t pid[2];

	store_free(s);
	CHECK(pipe(go) == 0 && pipe(ready) == 0);
	for (int i = 0; i < 2; i++) {
		int fd = old_input(i ? "merge-b" : "merge-a", i ? "bbb" : "aaa", &st[i], p[i]);
		pid[i] = fork();
		if (pid[i] == 0) {
			struct diag d = dg();
			uint8_t h[SHA256_LEN];
			char c;
			int code = store_open(&s, root, 0, &d) ||
				   store_file_hash(s, fd, p[i], h, NULL, &d);
			/* Both hashed before either closes. */
			if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
				code = 3;
			store_free(s);
			_exit(code);
		}
		close(fd);
	}
	char c;
	CHECK(read(ready[0], &c, 1) == 1 && read(ready[0], &c, 1) == 1);
	CHECK(write(go[1], "gg", 2) == 2);
	for (int i = 0; i < 2; i++) {
		int status = -1;
		CHECK(waitpid(pid[i], &status, 0) == pid[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	size_t len = 0;
	uint8_t *buf = index_read(&len);
	CHECK(buf != NULL);
	if (buf) {
		CHECK(index_rec(buf, len, &st[0]) != NULL);
		CHECK(index_rec(buf, len, &st[1]) != NULL);
	}
	free(buf);
	/* The index is one file, not a record per input. */
	CHECK(count_dir("ac") == 0);
	s = reopen(NULL);
	struct store_stats ss;
	struct diag d = dg();
	CHECK(store_stats(s, &ss, &d) == 0 && ss.index_entries == 2);
	store_free(s);
	for (int i = 0; i < 4; i++)
		close(i < 2 ? go[i] : ready[i - 2]);
	unlink(p[0]);
	unlink(p[1]);
}

/* A torn or corrupt index is an empty one: a warning, the file is read,
 * no error; closing writes a good index again; verify removes a bad one. */
static void test_index_corrupt(void)
{
	struct store *s = fresh(0);
	uint8_t h[SHA256_LEN], want[SHA256_LEN];
	struct stat st;
	char p[512];
	int fd = old_input("corrupt-in", "payload", &st, p);

	sha256_buf("payload", 7, want);
	for (int how = 0; how < 3; how++) {
		struct diag d = dg();
		size_t len = 0;
		uint8_t *buf;

		CHECK(store_file_hash(s, fd, p, h, NULL, &d) == 0);
		store_free(s);
		forge_index(&st);
		buf = index_read(&len);
		CHECK(buf != NULL);
		if (!buf)
			break;
		if (how == 0)
			buf[IX_HDR + 3] ^= 1;         /* a flipped bit in a record */
		else if (how == 1)
			len = IX_HDR + IX_REC / 2;    /* torn */
		else
			memcpy(buf, "garbage!", 8); /* not an index */
		index_write(buf, len);
		free(buf);
		warnings = 0;
		s = reopen(NULL);
		CHECK(store_file_hash(s, fd, p, h, NULL, &d) == 0);
		CHECK(!memcmp(h, want, SHA256_LEN)); /* not the forged one */
		CHECK(warnings == 1);
		CHECK(d.err == 0);
	}
	s = reopen(s);
	size_t len = 0;
	uint8_t *buf = index_read(&len);
	CHECK(buf && index_rec(buf, len, &st) != NULL);
	free(buf);
	/* verify: a good index is not bad; a bad one is removed. */
	struct diag d = dg();
	uint64_t bad = 9;
	CHECK(store_verify(s, &bad, &d) == 0 && bad == 0);
	index_write((const uint8_t *)"short", 5);
	CHECK(store_verify(s, &bad, &d) == 0 && bad == 1);
	CHECK(index_read(&(size_t){ 0 }) == NULL);
	close(fd);
	unlink(p);
	store_free(s);
}

/* A sparse file (leading hole, data, a hole longer than the zero
 * buffer, data, trailing hole) is named by the SHA-256 of the bytes it
 * reads as: holes are hashed as zeros without being read. */
static void test_sparse_blob(void)
{
	struct store *s = fresh(0);
	const size_t len = (3u << 20) + 12345;
	uint8_t *all = calloc(1, len), h[SHA256_LEN], want[SHA256_LEN];
	struct diag d = dg();
	int fd;

	struct store_writer *w = NULL;
	CHECK(all != NULL && store_writer_new(s, &w, &d) == 0);
	if (!all || !w)
		return;
	fd = store_writer_fd(w);
	CHECK(ftruncate(fd, (off_t)len) == 0);
	memset(all + 70000, 'a', 5000);
	memset(all + (2u << 20) + 4096, 'b', 9000);
	CHECK(pwrite(fd, all + 70000, 5000, 70000) == 5000);
	CHECK(pwrite(fd, all + (2u << 20) + 4096, 9000, (2u << 20) + 4096) == 9000);
	sha256_buf(all, len, want);
	CHECK(store_writer_commit(w, want, h, &d) == 0);
	store_writer_free(w);
	CHECK(!memcmp(h, want, SHA256_LEN));
	/* Read back verified (hashed the same way). */
	int bfd = -1;
	CHECK(store_open_blob(s, want, true, &bfd, &d) == 0);
	if (bfd >= 0)
		close(bfd);
	CHECK(d.err == 0);
	free(all);
	store_free(s);
}

/* The chunk hash of image blobs, computed here from its definition
 * (store.h) over the bytes in memory. */
static void chunk_hash_ref(const uint8_t *all, uint64_t len, uint8_t out[SHA256_LEN])
{
	uint64_t n = (len + STORE_IMG_CHUNK - 1) / STORE_IMG_CHUNK;
	uint8_t *msg = calloc(1, 32 + n * SHA256_LEN);

	CHECK(msg != NULL);
	if (!msg)
		return;
	memcpy(msg, "kiln image blob", 16);
	for (int i = 0; i < 8; i++) {
		msg[16 + i] = (uint8_t)(len >> (8 * i));
		msg[24 + i] = (uint8_t)((uint64_t)STORE_IMG_CHUNK >> (8 * i));
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t off = i * STORE_IMG_CHUNK;
		uint64_t l = len - off < STORE_IMG_CHUNK ? len - off : STORE_IMG_CHUNK;
		sha256_buf(all + off, (size_t)l, msg + 32 + i * SHA256_LEN);
	}
	sha256_buf(msg, 32 + n * SHA256_LEN, out);
	free(msg);
}

/* Image blobs (img/) are named by the chunk hash of the bytes they read
 * as, whatever the hole map and the number of threads: a sparse file
 * (hole chunks, a chunk of zeros written as data, data across a chunk
 * boundary, a short last chunk) and the same bytes written densely get
 * the reference name; a truncated copy does not. The blob is kept in
 * img/, verified on open, and a byte changed in it is caught. */
static void test_image_blob(void)
{
	struct store *s = fresh(0);
	const uint64_t len = (23ull << 20) + 777;
	uint8_t *all = calloc(1, len), h[SHA256_LEN], want[SHA256_LEN], got[SHA256_LEN];
	char p[512], hex[65];
	struct diag d = dg();
	int fd;

	CHECK(all != NULL);
	if (!all)
		return;
	for (uint64_t i = 0; i < 3000; i++)
		all[(2u << 20) + i * 7] = (uint8_t)(i | 1);
	memset(all + (5u << 20) - 100, 'x', 200);
	memset(all + len - 500, 'z', 300);
	chunk_hash_ref(all, len, want);
	/* Sparse: only the non-zero runs, plus a zero chunk written as data. */
	snprintf(p, sizeof(p), "%s.img", root);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && ftruncate(fd, (off_t)len) == 0);
	CHECK(pwrite(fd, all + (2u << 20), 21000, 2u << 20) == 21000);
	CHECK(pwrite(fd, all + (5u << 20) - 100, 200, (5u << 20) - 100) == 200);
	CHECK(pwrite(fd, all + (9u << 20), 1u << 20, 9u << 20) == 1u << 20);
	CHECK(pwrite(fd, all + len - 500, 500, (off_t)len - 500) == 500);
	for (unsigned jobs = 1; jobs <= 3; jobs++) {
		uint64_t l = 0;
		CHECK(store_image_hash(fd, jobs, got, &l) == 0 && !memcmp(got, want, SHA256_LEN));
		CHECK_EQ_U64(l, len);
	}
	/* Dense: the same name. */
	int dfd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	for (uint64_t off = 0; off < len; off += 1u << 20) {
		size_t n = len - off < (1u << 20) ? (size_t)(len - off) : 1u << 20;
		CHECK(pwrite(dfd, all + off, n, (off_t)off) == (ssize_t)n);
	}
	CHECK(store_image_hash(dfd, 2, got, NULL) == 0 && !memcmp(got, want, SHA256_LEN));
	CHECK(ftruncate(dfd, (off_t)len - 1) == 0);
	CHECK(store_image_hash(dfd, 2, got, NULL) == 0 && memcmp(got, want, SHA256_LEN));
	close(dfd);
	/* Into the store through an image writer: named so, in img/. */
	struct store_writer *w = NULL;
	CHECK(store_image_writer_new(s, 2, &w, &d) == 0);
	if (w) {
		int wfd = store_writer_fd(w);
		CHECK(ftruncate(wfd, (off_t)len) == 0);
		CHECK(pwrite(wfd, all + (2u << 20), 21000, 2u << 20) == 21000);
		CHECK(pwrite(wfd, all + (5u << 20) - 100, 200, (5u << 20) - 100) == 200);
		CHECK(pwrite(wfd, all + len - 500, 500, (off_t)len - 500) == 500);
		CHECK(store_writer_commit(w, NULL, h, &d) == 0 && !memcmp(h, want, SHA256_LEN));
		store_writer_free(w);
	}
	hex_encode(want, SHA256_LEN, hex);
	snprintf(p, sizeof(p), "%s/img/%.2s/%s", root, hex, hex);
	CHECK(access(p, F_OK) == 0);
	int bfd = -1;
	CHECK(store_open_image(s, want, 2, true, &bfd, &d) == 0 && d.err == 0);
	if (bfd >= 0)
		close(bfd);
	/* A flipped byte in a data chunk: warned, removed, absent. */
	CHECK(chmod(p, 0644) == 0);
	bfd = open(p, O_WRONLY);
	CHECK(bfd >= 0 && pwrite(bfd, "Q", 1, (5u << 20) + 50) == 1);
	if (bfd >= 0)
		close(bfd);
	int before = warnings;
	bfd = -1;
	CHECK(store_open_image(s, want, 2, true, &bfd, &d) == -ENOENT && bfd < 0);
	CHECK(warnings == before + 1 && access(p, F_OK) != 0);
	/* Put from a window of a larger file (a partition in its disk):
	 * copied and hashed in one pass, the same name, the same bytes,
	 * holes kept. */
	const uint64_t at = 3u << 20;
	int dk = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(dk >= 0 && ftruncate(dk, (off_t)(at + len + 4096)) == 0);
	CHECK(pwrite(dk, "junk", 4, 100) == 4 && pwrite(dk, "junk", 4, (off_t)(at + len)) == 4);
	CHECK(pwrite(dk, all + (2u << 20), 21000, (off_t)(at + (2u << 20))) == 21000);
	CHECK(pwrite(dk, all + (5u << 20) - 100, 200, (off_t)(at + (5u << 20) - 100)) == 200);
	CHECK(pwrite(dk, all + len - 500, 500, (off_t)(at + len - 500)) == 500);
	CHECK(store_image_put(s, dk, at, len, 2, h, &d) == 0 && !memcmp(h, want, SHA256_LEN));
	close(dk);
	snprintf(p, sizeof(p), "%s/img/%.2s/%s", root, hex, hex);
	bfd = open(p, O_RDONLY);
	CHECK(bfd >= 0);
	if (bfd >= 0) {
		uint8_t *back = malloc(len);
		struct stat st;
		CHECK(back && fstat(bfd, &st) == 0 && (uint64_t)st.st_size == len);
		CHECK(back && pread(bfd, back, len, 0) == (ssize_t)len && !memcmp(back, all, len));
		/* Sparse: nothing stored before the first data chunk. */
		CHECK(lseek(bfd, 0, SEEK_DATA) >= (off_t)(2u << 20) - 4096);
		free(back);
		close(bfd);
	}
	snprintf(p, sizeof(p), "%s.img", root);
	unlink(p);
	close(fd);
	free(all);
	store_free(s);
}

int main(void)
{
	char parent[256];

	store_t_init("store", parent);
	T_RUN(test_put_get);
	T_RUN(test_wrong_hash_and_abort);
	T_RUN(test_corrupt);
	T_RUN(test_ac);
	T_RUN(test_concurrent);
	T_RUN(test_write_failure);
	T_RUN(test_stat_index);
	T_RUN(test_index_merge);
	T_RUN(test_index_corrupt);
	T_RUN(test_sparse_blob);
	T_RUN(test_image_blob);
	rm_rf(parent);
	return T_DONE();
}
