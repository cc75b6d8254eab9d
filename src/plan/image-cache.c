/* SPDX-License-Identifier: MIT */
/*
 * Finished images in the store: an `ac/` record per image key holds the
 * image's blob and the blob of its key's components; a second record per
 * output path points at the key last built there, so a miss can be
 * compared with it (--explain).
 */
#include "plan/image-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image-key.h"
#include "store/store.h"

#define RECORD_MAGIC "kiln-image"

/* Copy @len bytes at @src_off of @src to the start of @dst (sized
 * already): share the extents when the filesystem can, else move only
 * the data ranges, in the kernel where it can. */
static int clone_range(int dst, int src, uint64_t src_off, uint64_t len)
{
	char buf[1 << 16];
	uint64_t pos = 0;

	if (!src_off && !ioctl(dst, FICLONE, src))
		return 0;
	while (pos < len) {
		off_t ds = lseek(src, (off_t)(src_off + pos), SEEK_DATA);
		if (ds < 0 && errno == ENXIO)
			break;
		if (ds < 0)
			ds = (off_t)(src_off + pos); /* no SEEK_DATA: everything is data */
		if ((uint64_t)ds >= src_off + len)
			break;
		off_t he = lseek(src, ds, SEEK_HOLE);
		if (he < 0 || (uint64_t)he > src_off + len)
			he = (off_t)(src_off + len);
		loff_t in = ds, out = ds - (off_t)src_off;
		while (in < he) {
			ssize_t n = copy_file_range(src, &in, dst, &out, (size_t)(he - in), 0);
			if (n > 0)
				continue;
			if (n == 0)
				return -EIO;
			if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
			    errno != EOPNOTSUPP)
				return -errno;
			/* Another filesystem or an old kernel: read and write. */
			size_t want = (size_t)(he - in) < sizeof(buf) ? (size_t)(he - in) : sizeof(buf);
			ssize_t got = pread(src, buf, want, in);
			if (got <= 0)
				return got < 0 ? -errno : -EIO;
			if (pwrite(dst, buf, (size_t)got, out) != got)
				return -EIO;
			in += got;
			out += got;
		}
		pos = (uint64_t)he - src_off;
	}
	return 0;
}

/* The key of the record pointing at the last build of @img's output:
 * SHA-256 of its absolute path (the directory exists by now). */
static int last_key(const struct image *img, uint8_t ret[SHA256_LEN])
{
	char dir[PATH_MAX], abs[PATH_MAX + 256 + 32];
	const char *slash = strrchr(img->outfile, '/');
	char *d = slash ? strndup(img->outfile, (size_t)(slash - img->outfile)) : strdup(".");

	if (!d)
		return -ENOMEM;
	if (!realpath(*d ? d : "/", dir))
		snprintf(dir, sizeof(dir), "%s", d);
	free(d);
	int n = snprintf(abs, sizeof(abs), "kiln last build of%c%s/%s", 0, dir,
			 slash ? slash + 1 : img->outfile);
	return sha256_buf(abs, n > 0 && (size_t)n < sizeof(abs) ? (size_t)n : sizeof(abs), ret);
}

/*
 * Remember @key as the last build of @img's output path, with the output
 * file's stat data as kiln left it (best effort: without the record a
 * later miss only cannot say what changed, and a no-op rebuild copies).
 */
static int set_last(struct build *b, const struct image *img, const uint8_t key[SHA256_LEN],
		    struct diag *d)
{
	uint8_t lk[SHA256_LEN];
	char kh[2 * SHA256_LEN + 1], rec[256];
	struct stat st;
	int r = last_key(img, lk);

	if (r)
		return r;
	hex_encode(key, SHA256_LEN, kh);
	if (stat(img->outfile, &st))
		memset(&st, 0, sizeof(st));
	snprintf(rec, sizeof(rec), "%s %ju %ju %jd %jd %ld %jd %ld\n", kh, (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino, (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec, (intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	return store_ac_put(b->store, lk, rec, strlen(rec), d);
}

/*
 * True when img->outfile still is the file kiln wrote there for @key:
 * same key, and the same device, inode, size, mtime and ctime to the
 * nanosecond (a write changes ctime, a rename the inode). Then a hit
 * moves no byte at all.
 */
static bool output_unchanged(struct build *b, const struct image *img,
			     const uint8_t key[SHA256_LEN])
{
	uint8_t lk[SHA256_LEN];
	char kh[2 * SHA256_LEN + 1], want[256], text[256];
	struct diag q = { 0 };
	struct stat st;
	void *buf = NULL;
	size_t len = 0;

	if (last_key(img, lk) || stat(img->outfile, &st) || !S_ISREG(st.st_mode) ||
	    store_ac_get(b->store, lk, &buf, &len, &q))
		return false;
	snprintf(text, sizeof(text), "%.*s", (int)(len < sizeof(text) ? len : sizeof(text) - 1),
		 (char *)buf);
	free(buf);
	hex_encode(key, SHA256_LEN, kh);
	snprintf(want, sizeof(want), "%s %ju %ju %jd %jd %ld %jd %ld\n", kh, (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino, (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec, (intmax_t)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	return !strcmp(text, want);
}

struct record {
	uint8_t blob[SHA256_LEN], explain[SHA256_LEN];
	uint64_t len;
};

static int parse_hex(const char *s, uint8_t out[SHA256_LEN])
{
	for (unsigned i = 0; i < SHA256_LEN; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EBADMSG;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int get_record(struct build *b, const uint8_t key[SHA256_LEN], struct record *rec,
		      struct diag *d)
{
	void *buf = NULL;
	size_t len = 0;
	char text[256], bh[65], eh[65];
	unsigned fmt;
	int r = store_ac_get(b->store, key, &buf, &len, d);

	if (r)
		return r;
	snprintf(text, sizeof(text), "%.*s", (int)(len < sizeof(text) ? len : sizeof(text) - 1),
		 (char *)buf);
	free(buf);
	if (sscanf(text, RECORD_MAGIC " %u %64s %" SCNu64 " %64s", &fmt, bh, &rec->len, eh) != 4 ||
	    fmt != KILN_IMAGE_FORMAT || parse_hex(bh, rec->blob) || parse_hex(eh, rec->explain))
		return -EBADMSG;
	return 0;
}

/* Why @k missed: compared with the components of the last build of the
 * same output path, when the store still has them. */
static void explain_miss(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
			 const struct image_key *k, char *why, size_t whysize)
{
	struct diag q = { 0 };
	uint8_t lk[SHA256_LEN], prev[SHA256_LEN];
	struct record rec;
	void *buf = NULL;
	size_t len = 0;
	int fd = -1;

	snprintf(why, whysize, "not built before");
	if (last_key(img, lk) || store_ac_get(b->store, lk, &buf, &len, &q))
		return;
	if (len < 2 * SHA256_LEN || parse_hex(buf, prev)) {
		free(buf);
		return;
	}
	free(buf);
	buf = NULL;
	if (!memcmp(prev, key, SHA256_LEN)) {
		snprintf(why, whysize, "its cached copy is gone");
		return;
	}
	snprintf(why, whysize, "changed since the last build (details no longer in the store)");
	if (get_record(b, prev, &rec, &q) || store_open_blob(b->store, rec.explain, true, &fd, &q))
		return;
	struct stat st;
	if (!fstat(fd, &st) && st.st_size > 0 && st.st_size < (64 << 20) &&
	    (buf = malloc((size_t)st.st_size)) &&
	    pread(fd, buf, (size_t)st.st_size, 0) == st.st_size) {
		image_key_diff(k, buf, (size_t)st.st_size, why, whysize);
		if (!why[0])
			snprintf(why, whysize, "changed since the last build");
	}
	free(buf);
	close(fd);
}

/* The verified blob of @key, @len bytes long, open in *ret_fd: 1, or 0
 * on a miss (@why says why). */
static int open_hit(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
		    const struct image_key *k, uint64_t len, int *ret_fd, char *why,
		    size_t whysize, struct diag *q)
{
	struct record rec;
	struct stat st;
	int fd = -1, r;

	r = get_record(b, key, &rec, q);
	if (r) {
		if (r == -ENOENT)
			explain_miss(b, img, key, k, why, whysize);
		else
			snprintf(why, whysize, "its cache record was unusable");
		return 0;
	}
	/* Re-hashed before use: a corrupt blob warns, is removed, and is
	 * built again (and stored afresh). */
	r = store_open_blob(b->store, rec.blob, true, &fd, q);
	if (!r && (fstat(fd, &st) || (uint64_t)st.st_size != len || rec.len != len))
		r = -EBADMSG;
	if (r) {
		snprintf(why, whysize, "its cached copy was %s",
			 r == -ENOENT ? "missing or corrupt" : "unusable");
		if (fd >= 0)
			close(fd);
		return 0;
	}
	*ret_fd = fd;
	return 1;
}

int image_cache_fetch(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
		      const struct image_key *k, char *why, size_t whysize, struct sink **ret_out,
		      struct diag *d)
{
	struct diag q = { .warn = d ? d->warn : NULL, .userdata = d ? d->userdata : NULL };
	uint64_t len = img->file_size ? img->file_size : img->size;
	struct sink *out = NULL;
	struct record rec;
	int fd = -1, r;

	if (!get_record(b, key, &rec, &q) && rec.len == len && output_unchanged(b, img, key))
		return 1;
	r = open_hit(b, img, key, k, len, &fd, why, whysize, &q);
	if (r <= 0)
		return r;
	r = sink_file_new(&out, img->outfile, len, d);
	if (r)
		goto out;
	r = clone_range(sink_file_fd(out), fd, 0, len);
	if (r) {
		diag_fail(d, r, "%s: copying from the build cache: %s", img->outfile, strerror(-r));
		goto out;
	}
	if (ret_out) {
		/* The caller commits it, in its own order. */
		*ret_out = out;
		out = NULL;
		r = 1;
		goto out;
	}
	r = sink_file_commit(out, d);
	if (!r) {
		set_last(b, img, key, &q);
		r = 1;
	}
out:
	sink_release(out);
	close(fd);
	return r;
}

int image_cache_fetch_into(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
			   const struct image_key *k, struct sink *out, char *why, size_t whysize,
			   struct diag *d)
{
	struct diag q = { .warn = d ? d->warn : NULL, .userdata = d ? d->userdata : NULL };
	uint64_t len = img->file_size ? img->file_size : img->size;
	int fd = -1, r;

	r = open_hit(b, img, key, k, len, &fd, why, whysize, &q);
	if (r <= 0)
		return r;
	r = sink_copy_fd(out, 0, fd, 0, len, img->name, d);
	close(fd);
	if (r)
		return r;
	set_last(b, img, key, &q);
	return 1;
}

void image_cache_fetched(struct build *b, struct image *img, const uint8_t key[SHA256_LEN])
{
	struct diag q = { 0 };

	set_last(b, img, key, &q);
}

void image_cache_put(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
		     const struct image_key *k, struct diag *d)
{
	int fd = open(img->outfile, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		diag_warn(d, "%s: not kept in the build cache: %s", img->outfile, strerror(errno));
		return;
	}
	image_cache_put_from(b, img, key, k, fd, 0, d);
	close(fd);
}

void image_cache_put_from(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
			  const struct image_key *k, int fd, uint64_t off, struct diag *d)
{
	struct diag q = { 0 };
	uint64_t len = img->file_size ? img->file_size : img->size;
	struct store_writer *w = NULL;
	uint8_t blob[SHA256_LEN], ex[SHA256_LEN];
	char bh[65], eh[65], rec[256];
	char *text = NULL;
	size_t tlen = 0;
	int r;

	r = store_writer_new(b->store, &w, &q);
	if (!r && ftruncate(store_writer_fd(w), (off_t)len))
		r = diag_fail(&q, -errno, "%s", strerror(errno));
	if (!r && (r = clone_range(store_writer_fd(w), fd, off, len)))
		diag_fail(&q, r, "%s", strerror(-r));
	if (!r)
		r = store_writer_commit(w, NULL, blob, &q);
	store_writer_free(w);
	w = NULL;
	if (r)
		goto out;
	text = image_key_serialise(k, &tlen);
	if (!text) {
		r = diag_fail(&q, -ENOMEM, "out of memory");
		goto out;
	}
	r = store_writer_new(b->store, &w, &q);
	if (!r)
		r = store_writer_write(w, text, tlen, &q);
	if (!r)
		r = store_writer_commit(w, NULL, ex, &q);
	if (r)
		goto out;
	hex_encode(blob, SHA256_LEN, bh);
	hex_encode(ex, SHA256_LEN, eh);
	snprintf(rec, sizeof(rec), RECORD_MAGIC " %d %s %" PRIu64 " %s\n", KILN_IMAGE_FORMAT, bh,
		 len, eh);
	r = store_ac_put(b->store, key, rec, strlen(rec), &q);
	if (!r)
		r = set_last(b, img, key, &q);
out:
	store_writer_free(w);
	free(text);
	if (r)
		diag_warn(d, "%s: not kept in the build cache: %s", img->outfile,
			  q.msg[0] ? q.msg : strerror(-r));
	else
		diag_note(d, "%s: image kept in the build cache", img->outfile);
}
