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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "io/copy.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image-key.h"
#include "plan/inplace.h"
#include "store/store.h"

#define RECORD_MAGIC "kiln-image"

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

/*
 * A disk's partitions written in place are blobs of their own already
 * (inplace.c keeps each), so the disk is not stored twice: its record
 * ("kiln-disk") lists each such partition as a piece (offset, length,
 * blob) and its blob holds only the bytes between the pieces, one after
 * the other (partition tables, gaps). Readers of the plain "kiln-image"
 * form reject this one, so an older kiln rebuilds rather than misread.
 */
#define DISK_MAGIC "kiln-disk"
#define PIECES_MAX 64

struct piece {
	uint64_t off, len;
	uint8_t blob[SHA256_LEN];
};

struct record {
	uint8_t blob[SHA256_LEN], explain[SHA256_LEN];
	uint64_t len;
	unsigned npieces; /* sorted by offset, disjoint */
	struct piece pieces[PIECES_MAX];
};

/* Bytes of the record's own blob: the image less its pieces. */
static uint64_t blob_len(const struct record *rec)
{
	uint64_t n = rec->len;

	for (unsigned i = 0; i < rec->npieces; i++)
		n -= rec->pieces[i].len;
	return n;
}

static int parse_hex(const char *s, uint8_t out[SHA256_LEN])
{
	return hex_decode(s, 2 * SHA256_LEN, out, SHA256_LEN) ? -EBADMSG : 0;
}

/* Parse the pieces of a "kiln-disk" record (after its header line). */
static int parse_pieces(const char *p, struct record *rec)
{
	uint64_t end = 0;
	char bh[65];
	int n;

	for (unsigned i = 0; i < rec->npieces; i++) {
		struct piece *pc = &rec->pieces[i];
		if (sscanf(p, "%" SCNu64 " %" SCNu64 " %64s%n", &pc->off, &pc->len, bh, &n) != 3 ||
		    parse_hex(bh, pc->blob) || pc->off < end || pc->len > rec->len ||
		    pc->off > rec->len - pc->len)
			return -EBADMSG;
		end = pc->off + pc->len;
		p += n;
	}
	return 0;
}

static int get_record(struct build *b, const uint8_t key[SHA256_LEN], struct record *rec,
		      struct diag *d)
{
	void *buf = NULL;
	size_t len = 0;
	char text[PIECES_MAX * 128 + 256], bh[65], eh[65];
	unsigned fmt;
	int n = 0, r = store_ac_get(b->store, key, &buf, &len, d);

	if (r)
		return r;
	snprintf(text, sizeof(text), "%.*s", (int)(len < sizeof(text) ? len : sizeof(text) - 1),
		 (char *)buf);
	free(buf);
	rec->npieces = 0;
	if (sscanf(text, RECORD_MAGIC " %u %64s %" SCNu64 " %64s", &fmt, bh, &rec->len, eh) != 4 &&
	    (sscanf(text, DISK_MAGIC " %u %64s %" SCNu64 " %64s %u%n", &fmt, bh, &rec->len, eh,
		    &rec->npieces, &n) != 5 ||
	     rec->npieces > PIECES_MAX || parse_pieces(text + n, rec)))
		return -EBADMSG;
	if (fmt != KILN_IMAGE_FORMAT || parse_hex(bh, rec->blob) || parse_hex(eh, rec->explain))
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
		    const struct image_key *k, uint64_t len, struct record *rec, int *ret_fd,
		    char *why, size_t whysize, struct diag *q)
{
	struct stat st;
	int fd = -1, r;

	r = get_record(b, key, rec, q);
	if (r) {
		if (r == -ENOENT)
			explain_miss(b, img, key, k, why, whysize);
		else
			snprintf(why, whysize, "its cache record was unusable");
		return 0;
	}
	/* Re-hashed before use: a corrupt blob warns, is removed, and is
	 * built again (and stored afresh). So is each piece. */
	r = rec->len == len ? 0 : -EBADMSG;
	for (unsigned i = 0; !r && i < rec->npieces; i++) {
		r = store_open_image(b->store, rec->pieces[i].blob, b->jobs, true, &fd, q);
		if (!r && (fstat(fd, &st) || (uint64_t)st.st_size != rec->pieces[i].len))
			r = -EBADMSG;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (!r)
		r = store_open_image(b->store, rec->blob, b->jobs, true, &fd, q);
	if (!r && (fstat(fd, &st) || (uint64_t)st.st_size != blob_len(rec)))
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

/* Lay out a "kiln-disk" image onto @out: the bytes between the pieces
 * from @fd (its own blob), each piece from its blob. */
static int copy_pieces(struct build *b, const struct record *rec, int fd, struct sink *out,
		       const char *what, struct diag *d)
{
	uint64_t pos = 0, boff = 0;
	int r = 0;

	for (unsigned i = 0; !r && i <= rec->npieces; i++) {
		uint64_t end = i < rec->npieces ? rec->pieces[i].off : rec->len;
		r = sink_copy_fd(out, pos, fd, boff, end - pos, what, d);
		boff += end - pos;
		if (r || i == rec->npieces)
			break;
		int pfd = -1;
		r = store_open_image(b->store, rec->pieces[i].blob, b->jobs, false, &pfd, d);
		if (!r)
			r = sink_copy_fd(out, end, pfd, 0, rec->pieces[i].len, what, d);
		if (pfd >= 0)
			close(pfd);
		pos = end + rec->pieces[i].len;
	}
	return r;
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
	r = open_hit(b, img, key, k, len, &rec, &fd, why, whysize, &q);
	if (r <= 0)
		return r;
	r = sink_file_new(&out, img->outfile, len, d);
	if (r)
		goto out;
	if (rec.npieces) {
		r = copy_pieces(b, &rec, fd, out, img->outfile, d);
		if (r)
			goto out;
	} else {
		r = io_clone(sink_file_fd(out), fd) ? io_copy_data(sink_file_fd(out), 0, fd, 0, len) : 0;
		if (r) {
			diag_fail(d, r, "%s: copying from the build cache: %s", img->outfile,
				  strerror(-r));
			goto out;
		}
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
	struct record rec;
	int fd = -1, r;

	r = open_hit(b, img, key, k, len, &rec, &fd, why, whysize, &q);
	if (r <= 0)
		return r;
	if (rec.npieces)
		r = copy_pieces(b, &rec, fd, out, img->name, d);
	else
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

/*
 * The partitions of disk @img written in place and kept in the store
 * with their own records, as pieces of @rec (none for other images, or
 * with @off: a disk inside another image).
 */
static void find_pieces(struct build *b, struct image *img, uint64_t off, uint64_t len,
			struct record *rec)
{
	struct diag q = { 0 };

	rec->npieces = 0;
	if (off || !img->handler->is_disk)
		return;
	for (unsigned i = 0; i < img->nparts && rec->npieces < PIECES_MAX; i++) {
		const struct partition *p = &img->parts[i];
		struct image *c = p->child;
		struct record cr;

		if (!c || c->inplace_in != img || !c->keyed || get_record(b, c->key, &cr, &q) ||
		    cr.npieces || cr.len != (c->file_size ? c->file_size : c->size) ||
		    p->offset > len || cr.len > len - p->offset ||
		    (rec->npieces && p->offset < rec->pieces[rec->npieces - 1].off +
							 rec->pieces[rec->npieces - 1].len))
			continue;
		rec->pieces[rec->npieces].off = p->offset;
		rec->pieces[rec->npieces].len = cr.len;
		memcpy(rec->pieces[rec->npieces].blob, cr.blob, SHA256_LEN);
		rec->npieces++;
	}
}

/* The record's text: the plain form, or the disk form with its pieces. */
static void format_record(const struct record *rec, char *out, size_t size)
{
	char bh[65], eh[65], ph[65];
	size_t n;

	hex_encode(rec->blob, SHA256_LEN, bh);
	hex_encode(rec->explain, SHA256_LEN, eh);
	if (!rec->npieces) {
		snprintf(out, size, RECORD_MAGIC " %d %s %" PRIu64 " %s\n", KILN_IMAGE_FORMAT, bh,
			 rec->len, eh);
		return;
	}
	snprintf(out, size, DISK_MAGIC " %d %s %" PRIu64 " %s %u\n", KILN_IMAGE_FORMAT, bh,
		 rec->len, eh, rec->npieces);
	for (unsigned i = 0; i < rec->npieces; i++) {
		n = strlen(out);
		hex_encode(rec->pieces[i].blob, SHA256_LEN, ph);
		snprintf(out + n, size - n, "%" PRIu64 " %" PRIu64 " %s\n", rec->pieces[i].off,
			 rec->pieces[i].len, ph);
	}
}

/* Copy what @rec's own blob holds of @fd (from @off): all of it, or the
 * bytes between its pieces, one after the other. */
static int copy_between(int dst, int fd, uint64_t off, const struct record *rec)
{
	uint64_t pos = 0, boff = 0;
	int r = 0;

	for (unsigned i = 0; !r && i <= rec->npieces; i++) {
		uint64_t end = i < rec->npieces ? rec->pieces[i].off : rec->len;
		if (end > pos)
			r = io_copy_data(dst, boff, fd, off + pos, end - pos);
		boff += end - pos;
		if (i < rec->npieces)
			pos = end + rec->pieces[i].len;
	}
	return r;
}

/* The records of an image whose blob is @rec->blob: its key's
 * components, the action record, the last build of its output path. */
static int put_records(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
		       const struct image_key *k, struct record *rec, struct diag *q)
{
	char text_rec[PIECES_MAX * 128 + 256];
	struct store_writer *w = NULL;
	int r = store_writer_new(b->store, &w, q);

	if (!r)
		r = image_key_write(k, w, q);
	if (!r)
		r = store_writer_commit(w, NULL, rec->explain, q);
	store_writer_free(w);
	if (r)
		return r;
	format_record(rec, text_rec, sizeof(text_rec));
	r = store_ac_put(b->store, key, text_rec, strlen(text_rec), q);
	if (!r)
		r = set_last(b, img, key, q);
	return r;
}

static void put_said(struct image *img, int r, const struct diag *q, struct diag *d)
{
	if (r)
		diag_warn(d, "%s: not kept in the build cache: %s", img->outfile,
			  q->msg[0] ? q->msg : strerror(-r));
	else
		diag_note(d, "%s: image kept in the build cache", img->outfile);
}

/*
 * Keeping an image copies and hashes every byte of it (on a filesystem
 * that shares no extents, ext4, the bench disk's 296 MB), and nothing
 * later in the build needs the blob but its disk's record. So the copy
 * runs on a thread of its own while the build goes on (the next
 * partition, the output's fsync); the main thread, which alone touches
 * the store's state, made the temporary and, when it settles the put,
 * names the blob and writes the records.
 */
struct image_put {
	struct image *img;
	uint8_t key[SHA256_LEN];
	const struct image_key *k;
	struct image_key owned; /* the caller's key components, moved here */
	int fd;                 /* a descriptor of its own: the sink's may close */
	uint64_t off, len;
	struct store_writer *w;
	uint8_t hash[SHA256_LEN];
	struct diag q;          /* no callbacks: written by the thread */
	int r;
	pthread_t tid;
	bool threaded;
	struct image_put *next; /* started later */
};

static void *put_fill(void *arg)
{
	struct image_put *p = arg;

	p->r = store_image_fill(p->w, p->fd, p->off, p->len, p->hash, &p->q);
	return NULL;
}

static void put_free(struct image_put *p)
{
	store_writer_free(p->w);
	if (p->fd >= 0)
		close(p->fd);
	image_key_release(&p->owned);
	free(p);
}

/* Wait for the oldest image being kept, name its blob, write its records. */
static void settle_one(struct build *b, struct diag *d)
{
	struct image_put *p = b->puts;
	struct record rec = { .len = p->len };

	b->puts = p->next;
	if (p->threaded)
		pthread_join(p->tid, NULL);
	if (!p->r)
		p->r = store_image_publish(p->w, p->hash, &p->q);
	if (!p->r) {
		memcpy(rec.blob, p->hash, SHA256_LEN);
		p->r = put_records(b, p->img, p->key, p->k, &rec, &p->q);
	}
	put_said(p->img, p->r, &p->q, d);
	put_free(p);
}

void image_cache_settle(struct build *b, struct diag *d)
{
	while (b->puts)
		settle_one(b, d);
}

/* Start keeping the @len bytes at @off of @fd on a thread; false when it
 * could not start (then the caller keeps it itself). */
static bool put_start(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
		      const struct image_key *k, struct image_key *owned, int fd, uint64_t off,
		      uint64_t len, struct diag *d)
{
	struct image_put *p, **tail = &b->puts;
	unsigned n = 0;

	/* At most -j of them at a time (each hashes on up to -j threads):
	 * a config of many small images does not start a thread per image. */
	for (; *tail; tail = &(*tail)->next)
		n++;
	if (n >= b->jobs) {
		settle_one(b, d);
		for (tail = &b->puts; *tail; tail = &(*tail)->next)
			;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return false;
	p->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (p->fd < 0 || store_image_writer_new(b->store, b->jobs, &p->w, &p->q)) {
		put_free(p);
		return false;
	}
	p->img = img;
	memcpy(p->key, key, SHA256_LEN);
	p->off = off;
	p->len = len;
	if (owned) {
		p->owned = *owned;
		memset(owned, 0, sizeof(*owned));
		k = &p->owned;
	}
	p->k = k;
	if (pthread_create(&p->tid, NULL, put_fill, p)) {
		/* Not started: hand the key components back untouched. */
		if (owned) {
			*owned = p->owned;
			memset(&p->owned, 0, sizeof(p->owned));
		}
		put_free(p);
		return false;
	}
	p->threaded = true;
	*tail = p;
	return true;
}

static void put_now(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
		    const struct image_key *k, int fd, uint64_t off, struct diag *d)
{
	struct diag q = { 0 };
	struct store_writer *w = NULL;
	struct record rec = { .len = img->file_size ? img->file_size : img->size };
	int r;

	/* A disk's pieces are the records of its partitions: those being
	 * kept on threads are settled first. */
	image_cache_settle(b, d);
	find_pieces(b, img, off, rec.len, &rec);
	if (rec.npieces) {
		r = store_image_writer_new(b->store, b->jobs, &w, &q);
		if (!r && ftruncate(store_writer_fd(w), (off_t)blob_len(&rec)))
			r = diag_fail(&q, -errno, "%s", strerror(errno));
		if (!r && (r = copy_between(store_writer_fd(w), fd, off, &rec)))
			diag_fail(&q, r, "%s", strerror(-r));
		if (!r)
			r = store_writer_commit(w, NULL, rec.blob, &q);
		store_writer_free(w);
	} else {
		r = store_image_put(b->store, fd, off, rec.len, b->jobs, rec.blob, &q);
	}
	if (!r)
		r = put_records(b, img, key, k, &rec, &q);
	put_said(img, r, &q, d);
}

/* Whether @img can be kept on a thread: a disk with partitions written in
 * place needs their records first (its pieces), an exec-post hook changes
 * the file as soon as gen_finish returns, and -j 1 asks for one thread. */
static bool put_async(const struct build *b, const struct image *img)
{
	return b->jobs > 1 && !img->exec_post && !inplace_writes_into(img);
}

void image_cache_put(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
		     struct image_key *k, struct diag *d)
{
	int fd = open(img->outfile, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		diag_warn(d, "%s: not kept in the build cache: %s", img->outfile, strerror(errno));
		return;
	}
	if (!put_async(b, img) ||
	    !put_start(b, img, key, NULL, k, fd, 0, img->file_size ? img->file_size : img->size, d))
		put_now(b, img, key, k, fd, 0, d);
	close(fd);
}

void image_cache_put_from(struct build *b, struct image *img, const uint8_t key[SHA256_LEN],
			  const struct image_key *k, int fd, uint64_t off, struct diag *d)
{
	if (!put_async(b, img) ||
	    !put_start(b, img, key, k, NULL, fd, off, img->file_size ? img->file_size : img->size, d))
		put_now(b, img, key, k, fd, off, d);
}
