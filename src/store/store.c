/* SPDX-License-Identifier: MIT */
/* The content-addressed store: opening, blobs (cas/) and action records
 * (ac/). Maintenance (stats, verify, gc, clear) is in store-gc.c. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/diag.h"
#include "store/store-int.h"

/* An action record on disk: magic, payload length (LE64), SHA-256 of the
 * payload, payload. The name is the key, not the content's hash, so the
 * record carries its own checksum to catch corruption and truncation. */
static const char ac_magic[8] = "KILNAC1";
#define AC_HDR (8 + 8 + SHA256_LEN)
#define AC_MAX_PAYLOAD (64u << 20)

void store_rel_path(const char *ns, const uint8_t hash[SHA256_LEN], char out[STORE_REL_MAX])
{
	char hex[2 * SHA256_LEN + 1];

	hex_encode(hash, SHA256_LEN, hex);
	snprintf(out, STORE_REL_MAX, "%s/%.2s/%s", ns, hex, hex);
}

void store_used_path(const char *rel, char out[STORE_USED_MAX])
{
	snprintf(out, STORE_USED_MAX, "used/%s", rel);
}

/*
 * The LRU clock is an empty marker per entry, used/NS/XX/<hex>, whose
 * mtime is the entry's last use: the entry itself is never modified
 * after it is written, so its stat data identify its bytes for as long
 * as it exists (a replay compares them). Created at the first use, with
 * its directories when missing.
 */
void store_touch(struct store *s, const char *rel)
{
	const struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_NOW } };
	char used[STORE_USED_MAX];
	int fd;

	store_used_path(rel, used);
	if (!utimensat(s->rootfd, used, ts, 0) || errno != ENOENT)
		return;
	for (char *c = strchr(used, '/'); c; c = strchr(c + 1, '/')) {
		*c = 0;
		(void)mkdirat(s->rootfd, used, 0755);
		*c = '/';
	}
	fd = openat(s->rootfd, used, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

static int mkdir_p(const char *path, struct diag *d)
{
	char *p = strdup(path);
	int ret = 0;

	if (!p)
		return -ENOMEM;
	for (char *c = p + 1;; c++) {
		if (*c != '/' && *c)
			continue;
		char save = *c;
		*c = 0;
		if (mkdir(p, 0755) && errno != EEXIST) {
			ret = diag_fail(d, -errno, "store %s: cannot create %s: %s", path, p,
					strerror(errno));
			break;
		}
		*c = save;
		if (!save)
			break;
	}
	free(p);
	return ret;
}

int store_open(struct store **ret, const char *root, uint64_t max_bytes, struct diag *d)
{
	static const char *const dirs[] = { "cas", "img", "ac", "tmp" };
	struct store *s;
	int ret_err;

	if (!root || !*root)
		return diag_fail(d, -EINVAL, "store: empty root path");
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->rootfd = s->lockfd = -1;
	store_index_init(&s->index);
	s->max_bytes = max_bytes;
	ret_err = mkdir_p(root, d);
	if (ret_err)
		goto fail;
	/* Absolute: blob paths are handed to readers (tree nodes) that may
	 * run after a change of directory. */
	s->root = realpath(root, NULL);
	if (!s->root) {
		ret_err = diag_fail(d, -errno, "store %s: %s", root, strerror(errno));
		goto fail;
	}
	s->rootfd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0) {
		ret_err = diag_fail(d, -errno, "store %s: %s", root, strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (mkdirat(s->rootfd, dirs[i], 0755) && errno != EEXIST) {
			ret_err = diag_fail(d, -errno, "store %s: cannot create %s/: %s", root,
					    dirs[i], strerror(errno));
			goto fail;
		}
	}
	s->lockfd = openat(s->rootfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->lockfd < 0) {
		ret_err = diag_fail(d, -errno, "store %s/lock: %s", root, strerror(errno));
		goto fail;
	}
	/* Alone with the store (no wait): remove what killed processes left
	 * in tmp/ and keep the limit. Then shared for as long as it is open:
	 * gc and clear take it exclusively, so they never remove an entry
	 * from under a build. */
	if (!flock(s->lockfd, LOCK_EX | LOCK_NB))
		store_maintain(s);
	while (flock(s->lockfd, LOCK_SH)) {
		if (errno == EINTR)
			continue;
		ret_err = diag_fail(d, -errno, "store %s/lock: %s", root, strerror(errno));
		goto fail;
	}
	/* Busy: count now, so that closing it can still keep the limit. */
	if (max_bytes && !s->counted &&
	    !store_count(s, &s->approx_bytes, NULL, NULL, NULL, NULL, NULL))
		s->counted = true;
	*ret = s;
	return 0;
fail:
	store_free(s);
	return ret_err;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	/* Under the shared lock still: clear cannot run meanwhile. */
	if (s->lockfd >= 0)
		store_index_flush(s);
	if (s->max_bytes && s->counted && s->approx_bytes > s->max_bytes)
		store_gc_try(s, s->max_bytes);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->rootfd >= 0)
		close(s->rootfd);
	store_index_release(&s->index);
	free(s->root);
	free(s);
}

const char *store_root(const struct store *s)
{
	return s->root;
}

/* ---- blobs ---- */

bool store_has(struct store *s, const uint8_t hash[SHA256_LEN])
{
	char rel[STORE_REL_MAX];

	store_rel_path("cas", hash, rel);
	return faccessat(s->rootfd, rel, F_OK, 0) == 0;
}

/* Zeros to hash for holes: reading a hole makes the kernel clear pages
 * only to copy them out (a finished disk image is mostly holes). */
static const uint8_t zeros[1 << 18];

/* Feed @len bytes of @fd at @off to @c (-EIO if the file ends first). */
static int hash_range(int fd, struct sha256_ctx *c, uint8_t *buf, uint64_t off, uint64_t len)
{
	while (len) {
		size_t want = len < HASH_BUF ? (size_t)len : HASH_BUF;
		ssize_t n = pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		int ret = sha256_update(c, buf, (size_t)n);
		if (ret)
			return ret;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* Hash the whole of @fd: data ranges are read, holes hashed as the
 * zeros they read as (SEEK_DATA/SEEK_HOLE; without them all is data). */
static int hash_fd(int fd, uint8_t out[SHA256_LEN], uint64_t *ret_len)
{
	struct sha256_ctx c;
	struct stat st;
	uint64_t pos = 0, size;
	uint8_t *buf;
	int ret;

	if (fstat(fd, &st))
		return -errno;
	size = (uint64_t)st.st_size;
	buf = malloc(HASH_BUF);
	if (!buf)
		return -ENOMEM;
	ret = sha256_init(&c);
	if (ret)
		goto out_buf;
	while (!ret && pos < size) {
		off_t data = lseek(fd, (off_t)pos, SEEK_DATA), hole;
		if (data < 0)
			data = errno == ENXIO ? (off_t)size : (off_t)pos;
		while (!ret && pos < (uint64_t)data) {
			uint64_t n = (uint64_t)data - pos;
			if (n > sizeof(zeros))
				n = sizeof(zeros);
			ret = sha256_update(&c, zeros, (size_t)n);
			pos += n;
		}
		if (ret || pos >= size)
			break;
		hole = lseek(fd, (off_t)pos, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > size)
			hole = (off_t)size;
		ret = hash_range(fd, &c, buf, pos, (uint64_t)hole - pos);
		pos = (uint64_t)hole;
	}
	if (!ret)
		ret = sha256_final(&c, out);
	if (!ret && ret_len)
		*ret_len = size;
	sha256_release(&c);
out_buf:
	free(buf);
	return ret;
}

/* Open blob @hash of cas/ (@jobs 0) or img/ (@jobs: threads to verify it
 * with). */
static int open_blob(struct store *s, const uint8_t hash[SHA256_LEN], unsigned jobs, bool verify,
		     int *ret_fd, struct diag *d)
{
	char rel[STORE_REL_MAX];
	uint8_t got[SHA256_LEN];
	int fd, ret;

	store_rel_path(jobs ? "img" : "cas", hash, rel);
	fd = openat(s->rootfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		return diag_fail(d, -errno, "store %s/%s: %s", s->root, rel, strerror(errno));
	}
	if (verify) {
		/*
		 * A cas/ blob whose stat data (size, mtime, ctime to the ns,
		 * same inode) are those the stat index recorded when it was
		 * last hashed here is not read again, as git's index: any
		 * write, truncation or hole punched through the filesystem
		 * changes its ctime and makes it a re-hash. This is what keeps
		 * a no-op rebuild from hashing a 295 MB decoded layer every
		 * time. `kiln cache verify` reads everything (s->rehash).
		 */
		if (jobs)
			ret = store_image_hash(fd, jobs, got, NULL);
		else if (s->rehash)
			ret = hash_fd(fd, got, NULL);
		else {
			struct diag q = { 0 };
			char full[PATH_MAX];

			snprintf(full, sizeof(full), "%s/%s", s->root, rel);
			ret = store_file_hash(s, fd, full, got, NULL, &q);
			if (ret == -ESTALE) { /* changed while read: not what was stored */
				memset(got, 0, sizeof(got));
				ret = 0;
			}
		}
		if (ret) {
			close(fd);
			return diag_fail(d, ret, "store %s/%s: %s", s->root, rel, strerror(-ret));
		}
		if (memcmp(got, hash, SHA256_LEN)) {
			/* Never trusted: a bit flip or a truncation (full disk,
			 * crash) must cost a rebuild, not a wrong image. */
			diag_warn(d, "store %s/%s: content does not match its hash (corrupt or "
				  "truncated); removed", s->root, rel);
			close(fd);
			(void)unlinkat(s->rootfd, rel, 0);
			return -ENOENT;
		}
		if (lseek(fd, 0, SEEK_SET) < 0) {
			ret = -errno;
			close(fd);
			return diag_fail(d, ret, "store %s/%s: %s", s->root, rel, strerror(-ret));
		}
	}
	store_touch(s, rel);
	*ret_fd = fd;
	return 0;
}

int store_open_blob(struct store *s, const uint8_t hash[SHA256_LEN], bool verify, int *ret_fd,
		    struct diag *d)
{
	return open_blob(s, hash, 0, verify, ret_fd, d);
}

int store_open_image(struct store *s, const uint8_t hash[SHA256_LEN], unsigned jobs, bool verify,
		     int *ret_fd, struct diag *d)
{
	return open_blob(s, hash, jobs < 1 ? 1 : jobs, verify, ret_fd, d);
}

char *store_blob_path(const struct store *s, const uint8_t hash[SHA256_LEN])
{
	char rel[STORE_REL_MAX];
	size_t n;
	char *p;

	store_rel_path("cas", hash, rel);
	n = strlen(s->root) + strlen(rel) + 2;
	p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", s->root, rel);
	return p;
}

struct store_writer {
	struct store *s;
	int fd;
	char tmp[STORE_REL_MAX];
	struct sha256_ctx ctx;
	bool ctx_ok;       /* ctx holds every byte written (fd not handed out) */
	unsigned img_jobs; /* an image blob (img/), hashed on this many threads */
	uint64_t len;
	int err;           /* first write error: commit returns it */
};

/* A unique temporary in tmp/ (relative to the root). */
static int open_tmp(struct store *s, char rel[STORE_REL_MAX], struct diag *d)
{
	for (int tries = 0; tries < 100; tries++) {
		snprintf(rel, STORE_REL_MAX, "tmp/%ld.%u", (long)getpid(), s->tmp_seq++);
		int fd = openat(s->rootfd, rel, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return diag_fail(d, -errno, "store %s/%s: %s", s->root, rel,
					 strerror(errno));
	}
	return diag_fail(d, -EEXIST, "store %s/tmp: no free temporary name", s->root);
}

int store_writer_new(struct store *s, struct store_writer **ret, struct diag *d)
{
	struct store_writer *w = calloc(1, sizeof(*w));
	int ret_err;

	if (!w)
		return -ENOMEM;
	w->s = s;
	w->fd = open_tmp(s, w->tmp, d);
	if (w->fd < 0) {
		ret_err = w->fd;
		free(w);
		return ret_err;
	}
	ret_err = sha256_init(&w->ctx);
	if (ret_err) {
		(void)unlinkat(s->rootfd, w->tmp, 0);
		close(w->fd);
		free(w);
		return ret_err;
	}
	w->ctx_ok = true;
	*ret = w;
	return 0;
}

int store_image_writer_new(struct store *s, unsigned jobs, struct store_writer **ret,
			   struct diag *d)
{
	int r = store_writer_new(s, ret, d);

	if (!r)
		(*ret)->img_jobs = jobs < 1 ? 1 : jobs;
	return r;
}

int store_writer_write(struct store_writer *w, const void *buf, size_t len, struct diag *d)
{
	const uint8_t *p = buf;
	int ret;

	if (w->err)
		return w->err;
	if (w->ctx_ok) {
		ret = sha256_update(&w->ctx, buf, len);
		if (ret)
			return w->err = ret;
	}
	while (len) {
		ssize_t n = write(w->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			w->err = -errno;
			return diag_fail(d, w->err, "store %s/%s: %s", w->s->root, w->tmp,
					 strerror(errno));
		}
		p += n;
		len -= (size_t)n;
		w->len += (uint64_t)n;
	}
	return 0;
}

int store_writer_fd(struct store_writer *w)
{
	/* The caller may write anywhere: hash the file itself at commit. */
	w->ctx_ok = false;
	return w->fd;
}

void store_writer_free(struct store_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp[0])
		(void)unlinkat(w->s->rootfd, w->tmp, 0);
	sha256_release(&w->ctx);
	free(w);
}

/* Rename the complete temporary @tmp to @rel (creating its XX/ directory). */
static int publish(struct store *s, const char *tmp, const char *rel, struct diag *d)
{
	char dir[STORE_REL_MAX];
	const char *slash = strrchr(rel, '/');

	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
	if (mkdirat(s->rootfd, dir, 0755) && errno != EEXIST)
		return diag_fail(d, -errno, "store %s/%s: %s", s->root, dir, strerror(errno));
	/* Replacing an existing entry is fine: a blob's bytes are fixed by
	 * its name, and a record is replaced whole. */
	if (renameat(s->rootfd, tmp, s->rootfd, rel))
		return diag_fail(d, -errno, "store %s/%s: %s", s->root, rel, strerror(errno));
	return 0;
}

static int publish_blob(struct store_writer *w, const uint8_t hash[SHA256_LEN], uint64_t len,
			struct diag *d);

/* The limit is enforced when the store is opened and closed, never in
 * between: paths handed out (store_blob_path) must stay valid. */
static void account(struct store *s, uint64_t len)
{
	if (s->counted)
		s->approx_bytes += len;
}

int store_writer_commit(struct store_writer *w, const uint8_t *expect,
			uint8_t ret_hash[SHA256_LEN], struct diag *d)
{
	char want[2 * SHA256_LEN + 1], got[2 * SHA256_LEN + 1];
	uint8_t hash[SHA256_LEN];
	uint64_t len = w->len;
	int ret;

	if (w->err)
		return w->err;
	if (w->img_jobs)
		ret = store_image_hash(w->fd, w->img_jobs, hash, &len);
	else if (w->ctx_ok)
		ret = sha256_final(&w->ctx, hash);
	else
		ret = hash_fd(w->fd, hash, &len);
	if (ret)
		return diag_fail(d, ret, "store %s/%s: cannot hash: %s", w->s->root, w->tmp,
				 strerror(-ret));
	if (expect && memcmp(expect, hash, SHA256_LEN)) {
		hex_encode(expect, SHA256_LEN, want);
		hex_encode(hash, SHA256_LEN, got);
		return diag_fail(d, -EBADMSG, "sha256 mismatch: expected %s, got %s", want, got);
	}
	ret = publish_blob(w, hash, len, d);
	if (!ret)
		memcpy(ret_hash, hash, SHA256_LEN);
	return ret;
}

/*
 * Set a new blob's mtime 10 s back. The stat index trusts a record only
 * when the file's mtime is older than its hashing by more than the
 * timestamp granularity (git's racy-index rule: a write in the same tick
 * could leave the stat data unchanged), so a blob recorded as it is
 * written would be read again by every build in the next 3 s. Any later
 * write sets the mtime to the clock, never to this value: the record is
 * safe at once. (For gc, an entry never used then looks written 10 s
 * earlier than it was.)
 */
static int smudge(int fd)
{
	struct timespec ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[1]);
	ts[1].tv_sec -= 10;
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	return futimens(fd, ts);
}

/* Name the complete temporary of @w @hash (@len bytes) in cas/ or img/. */
static int publish_blob(struct store_writer *w, const uint8_t hash[SHA256_LEN], uint64_t len,
			struct diag *d)
{
	char rel[STORE_REL_MAX];
	int ret;

	/* Data first, then the name: a crash never leaves a named entry
	 * with missing bytes. Image blobs are the exception: they are
	 * re-hashed on every use, so a torn one is a miss, and their fsync
	 * was a second synchronous write of every image a build keeps.
	 * Read-only, as a reminder that it is immutable. */
	if ((!w->img_jobs && (fsync(w->fd) || smudge(w->fd))) || fchmod(w->fd, 0444))
		return diag_fail(d, -errno, "store %s/%s: %s", w->s->root, w->tmp,
				 strerror(errno));
	store_rel_path(w->img_jobs ? "img" : "cas", hash, rel);
	ret = publish(w->s, w->tmp, rel, d);
	if (ret)
		return ret;
	w->tmp[0] = 0;
	/* Its hash is known: the next use need not read it (image blobs
	 * are re-hashed on every use whatever the index says). */
	if (!w->img_jobs)
		store_index_remember(w->s, w->fd, hash, d);
	account(w->s, len);
	return 0;
}

int store_image_fill(struct store_writer *w, int fd, uint64_t off, uint64_t len,
		     uint8_t ret_hash[SHA256_LEN], struct diag *d)
{
	int dst, ret;

	/* A whole file shares its extents where the filesystem can: then
	 * only the hash is left to do. */
	dst = !off && !ioctl(w->fd, FICLONE, fd) ? -1 : w->fd;
	if (ftruncate(w->fd, (off_t)len))
		return diag_fail(d, -errno, "store %s/%s: %s", w->s->root, w->tmp, strerror(errno));
	ret = store_image_hash_range(fd, off, len, dst, w->img_jobs, ret_hash);
	if (ret)
		return diag_fail(d, ret, "store %s/%s: %s", w->s->root, w->tmp, strerror(-ret));
	w->len = len;
	return 0;
}

int store_image_publish(struct store_writer *w, const uint8_t hash[SHA256_LEN], struct diag *d)
{
	return publish_blob(w, hash, w->len, d);
}

int store_image_put(struct store *s, int fd, uint64_t off, uint64_t len, unsigned jobs,
		    uint8_t ret_hash[SHA256_LEN], struct diag *d)
{
	struct store_writer *w;
	uint8_t hash[SHA256_LEN];
	int ret = store_image_writer_new(s, jobs, &w, d);

	if (ret)
		return ret;
	ret = store_image_fill(w, fd, off, len, hash, d);
	if (!ret)
		ret = store_image_publish(w, hash, d);
	store_writer_free(w);
	if (!ret)
		memcpy(ret_hash, hash, SHA256_LEN);
	return ret;
}

int store_put_fd(struct store *s, int fd, const uint8_t *expect, uint8_t ret_hash[SHA256_LEN],
		 struct diag *d)
{
	struct store_writer *w;
	uint8_t buf[1 << 16];
	off_t off = 0;
	int ret = store_writer_new(s, &w, d);

	if (ret)
		return ret;
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = diag_fail(d, -errno, "store: reading input: %s", strerror(errno));
			goto out;
		}
		if (!n)
			break;
		off += n;
		ret = store_writer_write(w, buf, (size_t)n, d);
		if (ret)
			goto out;
	}
	ret = store_writer_commit(w, expect, ret_hash, d);
out:
	store_writer_free(w);
	return ret;
}

/* ---- action records ---- */

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ENODATA;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int store_ac_get(struct store *s, const uint8_t key[SHA256_LEN], void **ret_buf, size_t *ret_len,
		 struct diag *d)
{
	char rel[STORE_REL_MAX];
	uint8_t hdr[AC_HDR], sum[SHA256_LEN];
	struct stat st;
	uint8_t *buf = NULL;
	uint64_t len;
	int fd, ret;

	store_rel_path("ac", key, rel);
	fd = openat(s->rootfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		return diag_fail(d, -errno, "store %s/%s: %s", s->root, rel, strerror(errno));
	}
	if (fstat(fd, &st)) {
		ret = diag_fail(d, -errno, "store %s/%s: %s", s->root, rel, strerror(errno));
		goto out;
	}
	ret = read_all(fd, hdr, sizeof(hdr));
	len = ret ? 0 : get_le64(hdr + 8);
	if (ret || memcmp(hdr, ac_magic, 8) || len > AC_MAX_PAYLOAD ||
	    (uint64_t)st.st_size != AC_HDR + len)
		goto bad;
	buf = malloc(len ? len : 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	if (read_all(fd, buf, len) || sha256_buf(buf, len, sum) ||
	    memcmp(sum, hdr + 16, SHA256_LEN))
		goto bad;
	store_touch(s, rel);
	*ret_buf = buf;
	*ret_len = len;
	close(fd);
	return 0;
bad:
	diag_warn(d, "store %s/%s: record is corrupt or truncated; removed", s->root, rel);
	(void)unlinkat(s->rootfd, rel, 0);
	ret = -ENOENT;
out:
	free(buf);
	close(fd);
	return ret;
}

static int ac_put(struct store *s, const uint8_t key[SHA256_LEN], const void *buf, size_t len,
		  bool durable, struct diag *d)
{
	struct store_writer *w;
	char rel[STORE_REL_MAX];
	uint8_t hdr[AC_HDR];
	int ret;

	if (len > AC_MAX_PAYLOAD)
		return diag_fail(d, -EFBIG, "store: record of %zu bytes is too large", len);
	memcpy(hdr, ac_magic, 8);
	put_le64(hdr + 8, len);
	ret = sha256_buf(buf, len, hdr + 16);
	if (ret)
		return ret;
	ret = store_writer_new(s, &w, d);
	if (ret)
		return ret;
	ret = store_writer_write(w, hdr, sizeof(hdr), d);
	if (!ret)
		ret = store_writer_write(w, buf, len, d);
	if (!ret && durable && fsync(w->fd))
		ret = diag_fail(d, -errno, "store %s/%s: %s", s->root, w->tmp, strerror(errno));
	if (ret)
		goto out;
	store_rel_path("ac", key, rel);
	ret = publish(s, w->tmp, rel, d);
	if (!ret) {
		w->tmp[0] = 0;
		account(s, AC_HDR + len);
	}
out:
	store_writer_free(w);
	return ret;
}

int store_ac_put(struct store *s, const uint8_t key[SHA256_LEN], const void *buf, size_t len,
		 struct diag *d)
{
	return ac_put(s, key, buf, len, true, d);
}

int store_ac_put_cheap(struct store *s, const uint8_t key[SHA256_LEN], const void *buf, size_t len,
		       struct diag *d)
{
	return ac_put(s, key, buf, len, false, d);
}
