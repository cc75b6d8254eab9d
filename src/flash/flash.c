/* SPDX-License-Identifier: MIT */
#include "flash/flash.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/checked.h"
#include "base/diag.h"
#include "base/hash.h"
#include "flash/bmap-io.h"
#include "flash/bmap.h"
#include "flash/gpt-move.h"
#include "flash/source.h"
#include "flash/target.h"
#include "io/sink.h"
#include "io/undo.h"

#define CHUNK (4u << 20)
/* Start writeback every PACE bytes and wait for the previous window: the
 * page cache never holds more than ~2 windows of dirty data, so the
 * final fsync is short even on a slow card and progress is honest. Once
 * a window is on the medium it is read back (pages dropped first) while
 * the next one is being written, by a second thread: verification
 * overlaps the writes and costs little extra time. */
#ifndef PACE
#define PACE (32u << 20)
#endif

/* A written range and what it must read back as. While being written
 * (!complete) len grows; cs is set when complete. */
struct wrange {
	uint64_t off, len;
	bool complete;
	uint8_t cs[SHA256_LEN];
};

struct ctx {
	const struct flash_opts *o;
	struct flash_result *res;
	struct diag *d;
	struct flash_source src;
	struct flash_target tgt;
	struct sink *sink;
	struct bmap map;
	bool have_map;      /* ranges known up front (bmap file, scan, or whole) */
	bool whole;         /* every byte is written (a stream's zero blocks too) */
	uint64_t image_size; /* 0 until known (stream without bmap) */
	uint64_t total;      /* bytes to write, 0 if unknown */
	uint8_t *buf, *vbuf; /* vbuf: page aligned, CHUNK + 4 KiB */
	int vfd;             /* O_DIRECT reader of the target, -1: buffered */
	struct wrange *w;
	size_t nw, capw;
	uint64_t win_start, win_end, prev_start, prev_end;
	/* Verifier thread. Shared under lock: w/nw (the writer appends and
	 * reallocs), durable (written bytes below it are on the medium),
	 * finished, verified, verr/vdiag, vdone. */
	pthread_t vthread;
	bool vstarted;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t durable;
	bool finished, vdone, stop;
	int verr;
	struct diag vdiag;
	/* verifier-private cursor */
	size_t vr;
	uint64_t voff;
	bool vopen;
	struct sha256_ctx vh;
};

/* "bytes A-B (blocks C-D)", blocks in the bmap's block size. */
static void range_name(const struct ctx *c, uint64_t off, uint64_t len, char *out, size_t size)
{
	uint64_t bs = c->have_map && c->map.block_size ? c->map.block_size : BMAP_BLOCK_SIZE;

	snprintf(out, size, "bytes %" PRIu64 "-%" PRIu64 " (blocks %" PRIu64 "-%" PRIu64 ")", off,
		 off + len - 1, off / bs, (off + len - 1) / bs);
}

static void progress(struct ctx *c)
{
	uint64_t v;

	if (!c->o->progress)
		return;
	pthread_mutex_lock(&c->lock);
	v = c->res->verified;
	pthread_mutex_unlock(&c->lock);
	c->o->progress(c->o->ud, c->res->written, v, c->total);
}

/* Wait for the verifier to finish everything (showing progress). */
static int verify_finish(struct ctx *c)
{
	int r;

	pthread_mutex_lock(&c->lock);
	c->durable = UINT64_MAX;
	c->finished = true;
	pthread_cond_broadcast(&c->cond);
	while (!c->vdone) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&c->cond, &c->lock, &ts);
		pthread_mutex_unlock(&c->lock);
		progress(c);
		pthread_mutex_lock(&c->lock);
	}
	r = c->verr;
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->vthread, NULL);
	c->vstarted = false;
	if (r)
		return diag_fail(c->d, r, "%s", c->vdiag.msg);
	return 0;
}

static int range_begin(struct ctx *c, uint64_t off)
{
	int r = 0;

	pthread_mutex_lock(&c->lock);
	if (c->nw == c->capw) {
		size_t n = c->capw ? c->capw * 2 : 64;
		struct wrange *v = realloc(c->w, n * sizeof(*v));
		if (!v) {
			r = diag_fail(c->d, -ENOMEM, "out of memory");
			goto out;
		}
		c->w = v;
		c->capw = n;
	}
	memset(&c->w[c->nw], 0, sizeof(c->w[0]));
	c->w[c->nw].off = off;
	c->nw++;
out:
	pthread_mutex_unlock(&c->lock);
	return r;
}

static void range_end(struct ctx *c, const uint8_t cs[SHA256_LEN])
{
	pthread_mutex_lock(&c->lock);
	struct wrange *w = &c->w[c->nw - 1];
	memcpy(w->cs, cs, SHA256_LEN);
	w->complete = true;
	pthread_mutex_unlock(&c->lock);
}

/* Read @n bytes of the target at @off into vbuf, from the medium:
 * O_DIRECT where the filesystem and alignment allow it (no cache to
 * fill or drop), else buffered after POSIX_FADV_DONTNEED. */
static int read_back(struct ctx *c, size_t n, uint64_t off)
{
	if (c->vfd >= 0 && off % 4096 == 0) {
		size_t want = (n + 4095) & ~(size_t)4095, got = 0;
		while (got < n) {
			ssize_t k = pread(c->vfd, c->vbuf + got, want - got, (off_t)(off + got));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 && errno == EINVAL && !got)
				break; /* alignment refused: fall back for good */
			if (k < 0)
				return -errno;
			if (!k)
				return -EIO; /* the target is shorter than what was written */
			got += (size_t)k;
			if (got % 512)
				break; /* EOF inside a sector */
		}
		if (got >= n)
			return 0;
		if (got)
			return -EIO;
		close(c->vfd);
		c->vfd = -1;
		(void)posix_fadvise(c->tgt.fd, (off_t)off, 0, POSIX_FADV_DONTNEED);
	}
	return sink_pread(c->sink, c->vbuf, n, off);
}

/* The verifier thread: read back written bytes below c->durable and
 * compare each completed range's SHA-256. Pages are dropped before
 * reading, so the medium is read, not the cache. Errors go to vdiag. */
static int verify_step(struct ctx *c, struct wrange w, uint64_t durable)
{
	char rn[128], hex[2 * SHA256_LEN + 1], want[2 * SHA256_LEN + 1];
	uint64_t end = w.off + w.len < durable ? w.off + w.len : durable;
	int r;

	if (!c->vopen) {
		if ((r = sha256_init(&c->vh)))
			return diag_fail(&c->vdiag, r, "out of memory");
		c->vopen = true;
		c->voff = w.off;
	}
	if (c->voff < end && c->vfd < 0)
		(void)posix_fadvise(c->tgt.fd, (off_t)c->voff, (off_t)(end - c->voff),
				    POSIX_FADV_DONTNEED);
	while (c->voff < end) {
		size_t n = end - c->voff > CHUNK ? CHUNK : (size_t)(end - c->voff);
		r = read_back(c, n, c->voff);
		if (r) {
			range_name(c, w.off, w.len, rn, sizeof(rn));
			return diag_fail(&c->vdiag, r, "%s: verification: reading back %s failed: %s",
					 c->tgt.path, rn, strerror(-r));
		}
		if ((r = sha256_update(&c->vh, c->vbuf, n)))
			return diag_fail(&c->vdiag, r, "sha256 failed");
		c->voff += n;
		pthread_mutex_lock(&c->lock);
		c->res->verified += n;
		pthread_mutex_unlock(&c->lock);
	}
	if (!w.complete || c->voff < w.off + w.len)
		return 0;
	uint8_t cs[SHA256_LEN];
	r = sha256_final(&c->vh, cs);
	c->vopen = false;
	if (r)
		return diag_fail(&c->vdiag, r, "sha256 failed");
	if (memcmp(cs, w.cs, SHA256_LEN)) {
		range_name(c, w.off, w.len, rn, sizeof(rn));
		hex_encode(cs, SHA256_LEN, hex);
		hex_encode(w.cs, SHA256_LEN, want);
		return diag_fail(&c->vdiag, -EIO,
				 "%s: verification FAILED: %s read back with SHA-256 %s, expected %s "
				 "(bad or fake-capacity medium?)",
				 c->tgt.path, rn, hex, want);
	}
	c->vr++;
	return 1; /* a range done */
}

static void *verifier(void *arg)
{
	struct ctx *c = arg;
	int r = 0;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		if (c->stop)
			break;
		if (c->vr < c->nw) {
			struct wrange w = c->w[c->vr];
			uint64_t durable = c->durable;
			bool work = (c->vopen ? c->voff : w.off) < (w.off + w.len < durable ?
								    w.off + w.len : durable) ||
				    (w.complete && durable >= w.off + w.len);
			if (work) {
				pthread_mutex_unlock(&c->lock);
				r = verify_step(c, w, durable);
				pthread_mutex_lock(&c->lock);
				if (r < 0)
					break;
				pthread_cond_broadcast(&c->cond);
				continue;
			}
		} else if (c->finished) {
			break;
		}
		pthread_cond_wait(&c->cond, &c->lock);
	}
	c->verr = r < 0 ? r : 0;
	c->vdone = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Tell the verifier that written bytes below @upto are on the medium;
 * report an error it found. */
static int set_durable(struct ctx *c, uint64_t upto)
{
	int r;

	pthread_mutex_lock(&c->lock);
	if (upto > c->durable)
		c->durable = upto;
	pthread_cond_broadcast(&c->cond);
	r = c->verr;
	pthread_mutex_unlock(&c->lock);
	if (r)
		return diag_fail(c->d, r, "%s", c->vdiag.msg);
	return 0;
}

/* Pace writeback (see PACE). */
static int pace(struct ctx *c, uint64_t off, uint64_t len)
{
	int fd = c->tgt.fd;

	if (c->win_end == c->win_start)
		c->win_start = off;
	c->win_end = off + len;
	if (c->win_end - c->win_start < PACE)
		return 0;
	if (sync_file_range(fd, (off_t)c->win_start, (off_t)(c->win_end - c->win_start),
			    SYNC_FILE_RANGE_WRITE) && errno == EIO)
		goto eio;
	if (c->prev_end > c->prev_start) {
		if (sync_file_range(fd, (off_t)c->prev_start, (off_t)(c->prev_end - c->prev_start),
				    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					    SYNC_FILE_RANGE_WAIT_AFTER) && errno == EIO)
			goto eio;
		int r = set_durable(c, c->prev_end);
		if (r)
			return r;
	}
	c->prev_start = c->win_start;
	c->prev_end = c->win_end;
	c->win_start = c->win_end;
	return 0;
eio:
	return diag_fail(c->d, -EIO, "%s: I/O error while writing near byte %" PRIu64, c->tgt.path,
			 c->win_start);
}

/* Test hook: damage one byte after it was written (before it is read
 * back), so tests can see verification catch it. Never set outside tests. */
static int corrupt(struct ctx *c, uint64_t at)
{
	uint8_t b = 0;

	if (pread(c->tgt.fd, &b, 1, (off_t)at) != 1)
		return -EIO;
	b ^= 0xff;
	if (pwrite(c->tgt.fd, &b, 1, (off_t)at) != 1)
		return -EIO;
	return 0;
}

static int write_out(struct ctx *c, const void *buf, size_t len, uint64_t off)
{
	char rn[128];
	int r = sink_pwrite(c->sink, buf, len, off);

	if (r) {
		range_name(c, off, len, rn, sizeof(rn));
		if (r == -ENOSPC && c->tgt.blockdev)
			return diag_fail(c->d, r, "%s: writing %s: the image is larger than the "
					 "device (%" PRIu64 " bytes)", c->tgt.path, rn, c->tgt.size);
		return diag_fail(c->d, r, "%s: writing %s failed: %s", c->tgt.path, rn, strerror(-r));
	}
	pthread_mutex_lock(&c->lock);
	c->w[c->nw - 1].len += len; /* writes always extend the open range */
	pthread_mutex_unlock(&c->lock);
	c->res->written += len;
	if (c->o->corrupt_at >= 0 && (uint64_t)c->o->corrupt_at >= off &&
	    (uint64_t)c->o->corrupt_at < off + len && (r = corrupt(c, (uint64_t)c->o->corrupt_at)))
		return diag_fail(c->d, r, "test hook: cannot corrupt byte %" PRId64, c->o->corrupt_at);
	return pace(c, off, len);
}

/* Ranges known up front: read each, hash, write, compare with the bmap. */
static int write_map(struct ctx *c)
{
	struct sha256_ctx h;
	char rn[128], hex[2 * SHA256_LEN + 1], want[2 * SHA256_LEN + 1];
	int r;

	for (size_t i = 0; i < c->map.nranges; i++) {
		const struct bmap_range *br = &c->map.ranges[i];
		uint64_t off, len, pos;
		uint8_t cs[SHA256_LEN];

		bmap_range_bytes(&c->map, br, &off, &len);
		if (!len)
			continue;
		if ((r = range_begin(c, off)))
			return r;
		if ((r = sha256_init(&h)))
			return diag_fail(c->d, r, "out of memory");
		for (pos = off; pos < off + len;) {
			uint64_t left = off + len - pos;
			size_t n = left > CHUNK ? CHUNK : (size_t)left, got;
			r = source_read(&c->src, c->buf, n, pos, &got, c->d);
			if (!r && got < n) {
				range_name(c, off, len, rn, sizeof(rn));
				r = diag_fail(c->d, -EIO,
					      "image %s ends at byte %" PRIu64 ", but %s is mapped "
					      "(bmap for another image?)", c->o->image, pos + got, rn);
			}
			if (!r)
				r = sha256_update(&h, c->buf, got);
			if (!r)
				r = write_out(c, c->buf, got, pos);
			if (r) {
				sha256_release(&h);
				return r;
			}
			pos += got;
			progress(c);
		}
		r = sha256_final(&h, cs);
		sha256_release(&h);
		if (r)
			return diag_fail(c->d, r, "sha256 failed");
		if (br->has_cs && memcmp(cs, br->cs, SHA256_LEN)) {
			range_name(c, off, len, rn, sizeof(rn));
			hex_encode(cs, SHA256_LEN, hex);
			hex_encode(br->cs, SHA256_LEN, want);
			return diag_fail(c->d, -EBADMSG,
					 "image %s does not match bmap %s: %s hash to %s, the bmap says %s",
					 c->o->image, c->res->bmap_used, rn, hex, want);
		}
		range_end(c, cs);
	}
	return 0;
}

/* A stream without a bmap: all-zero blocks are holes (unless whole);
 * runs of data blocks are written and become the ranges to verify. */
static int write_stream(struct ctx *c)
{
	const size_t bs = BMAP_BLOCK_SIZE;
	struct sha256_ctx h = { 0 };
	bool run_open = false;
	uint64_t pos = 0;
	uint8_t cs[SHA256_LEN];
	int r = 0;

	for (;;) {
		size_t got, b;
		long seg = -1; /* start in buf of data not yet written */
		r = source_read(&c->src, c->buf, CHUNK, pos, &got, c->d);
		if (r)
			goto out;
		for (b = 0; b < got; b += bs) {
			size_t n = got - b < bs ? got - b : bs;
			bool data = c->whole || !buf_is_zero(c->buf + b, n);
			if (data) {
				if (!run_open) {
					if ((r = sha256_init(&h)) || (r = range_begin(c, pos + b)))
						goto out;
					run_open = true;
				}
				if (seg < 0)
					seg = (long)b;
				if ((r = sha256_update(&h, c->buf + b, n)))
					goto out;
				continue;
			}
			if (seg >= 0 &&
			    (r = write_out(c, c->buf + seg, b - (size_t)seg, pos + (uint64_t)seg)))
				goto out;
			seg = -1;
			if (run_open) {
				run_open = false;
				r = sha256_final(&h, cs);
				sha256_release(&h);
				if (r)
					goto out;
				range_end(c, cs);
			}
		}
		if (seg >= 0 && (r = write_out(c, c->buf + seg, got - (size_t)seg, pos + (uint64_t)seg)))
			goto out;
		pos += got;
		progress(c);
		if (got < CHUNK)
			break;
	}
	if (run_open) {
		run_open = false;
		r = sha256_final(&h, cs);
		sha256_release(&h);
		if (r)
			goto out;
		range_end(c, cs);
	}
	if (!pos)
		return diag_fail(c->d, -EINVAL, "image %s: the %s stream is empty", c->o->image,
				 c->src.codec);
	c->image_size = pos;
out:
	if (run_open)
		sha256_release(&h);
	return r;
}

static bool exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

/* IMAGE.bmap, else the name without a compression suffix + .bmap. */
static int find_bmap(struct ctx *c)
{
	static const char *const sfx[] = { ".gz", ".xz", ".zst", ".zstd", ".bz2" };
	const char *img = c->o->image;
	size_t n = strlen(img);
	char *p = malloc(n + 8);

	if (!p)
		return diag_fail(c->d, -ENOMEM, "out of memory");
	sprintf(p, "%s.bmap", img);
	if (!exists(p)) {
		p[0] = 0;
		for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
			size_t l = strlen(sfx[i]);
			if (n > l && !strcmp(img + n - l, sfx[i])) {
				sprintf(p, "%.*s.bmap", (int)(n - l), img);
				if (!exists(p))
					p[0] = 0;
				break;
			}
		}
	}
	if (p[0])
		snprintf(c->res->bmap_used, sizeof(c->res->bmap_used), "%s", p);
	free(p);
	return 0;
}

/* One range: every block of the image. */
static int map_whole(struct ctx *c, uint64_t size)
{
	bmap_release(&c->map);
	bmap_init(&c->map);
	c->map.block_size = BMAP_BLOCK_SIZE;
	c->map.image_size = size;
	c->map.blocks_count = u64_div_roundup(size, BMAP_BLOCK_SIZE);
	if (bmap_add_range(&c->map, 0, c->map.blocks_count - 1, NULL))
		return diag_fail(c->d, -ENOMEM, "out of memory");
	return 0;
}

static void count_map(struct ctx *c)
{
	c->total = 0;
	for (size_t i = 0; i < c->map.nranges; i++) {
		uint64_t off, len;
		bmap_range_bytes(&c->map, &c->map.ranges[i], &off, &len);
		c->total += len;
	}
	c->res->ranges = c->map.nranges;
}

static int prepare_map(struct ctx *c)
{
	const struct flash_opts *o = c->o;
	int r;

	if (o->bmap)
		snprintf(c->res->bmap_used, sizeof(c->res->bmap_used), "%s", o->bmap);
	else if (!o->no_bmap && (r = find_bmap(c)))
		return r;
	if (c->res->bmap_used[0]) {
		if ((r = bmap_load(c->res->bmap_used, &c->map, c->d)))
			return r;
		if (!c->src.stream && (uint64_t)c->src.st.st_size != c->map.image_size)
			return diag_fail(c->d, -EINVAL,
					 "bmap %s describes a %" PRIu64 "-byte image, but %s is %" PRIu64
					 " bytes (bmap for another image?)",
					 c->res->bmap_used, c->map.image_size, o->image,
					 (uint64_t)c->src.st.st_size);
		c->have_map = true;
		c->image_size = c->map.image_size;
	} else if (!c->src.stream) {
		uint64_t size = (uint64_t)c->src.st.st_size;
		if (!size)
			return diag_fail(c->d, -EINVAL, "image %s is empty", o->image);
		if (o->no_bmap) {
			if ((r = map_whole(c, size)))
				return r;
		} else if ((r = bmap_scan(c->src.fd, size, false, o->image, &c->map, c->d))) {
			return r;
		}
		c->have_map = true;
		c->image_size = size;
	}
	c->whole = o->no_bmap;
	if (c->have_map)
		count_map(c);
	return 0;
}

/*
 * Without a bmap file a block device gets every byte: holes found in the
 * image (or zero blocks of a stream) say nothing about which zeros a
 * reader of the card interprets, and the device still holds old bytes
 * there. A regular-file target is truncated first, so its holes already
 * read as the image's zeros.
 */
static int whole_for_device(struct ctx *c)
{
	int r;

	if (c->whole || c->res->bmap_used[0] || !c->tgt.blockdev)
		return 0;
	c->whole = true;
	c->res->whole = true;
	if (c->src.stream)
		return 0;
	if ((r = map_whole(c, c->image_size)))
		return r;
	count_map(c);
	return 0;
}

int flash_run(const struct flash_opts *o, struct flash_result *res, struct diag *d)
{
	struct ctx c = { .o = o, .res = res, .d = d };
	int r, undo_id = -1;

	memset(res, 0, sizeof(*res));
	bmap_init(&c.map);
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.cond, NULL);
	c.tgt.fd = -1;
	c.vfd = -1;
	undo_activity("reading %s", o->image);
	if ((r = source_open(&c.src, o->image, d)))
		return r;
	res->stream = c.src.stream;
	if ((r = prepare_map(&c)))
		goto out;
	if ((r = target_open(&c.tgt, o->target, &c.src.st, c.image_size, o->force, d)))
		goto out;
	/* An interruption removes a target file this run created; anything
	 * else keeps what was written so far, and the message says so. */
	if (c.tgt.created && (undo_id = undo_unlink(o->target)) < 0) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	undo_activity("writing %s to %s", o->image, o->target);
	if (!c.tgt.created)
		undo_residue("%s holds a partial image", o->target);
	if ((r = whole_for_device(&c)))
		goto out;
	if (c.tgt.blockdev && o->confirm && !o->confirm(o->ud, &c.tgt, c.image_size)) {
		res->aborted = true;
		r = diag_fail(d, -ECANCELED, "not confirmed: nothing written to %s", o->target);
		goto out;
	}
	if (!c.tgt.blockdev && ftruncate(c.tgt.fd, 0)) {
		r = diag_fail(d, -errno, "%s: cannot truncate: %s", o->target, strerror(errno));
		goto out;
	}
	if ((r = sink_file_open_existing(&c.sink, c.tgt.fd,
					 c.tgt.blockdev ? c.tgt.size : UINT64_MAX))) {
		r = diag_fail(d, r, "out of memory");
		goto out;
	}
	c.buf = malloc(CHUNK);
	if (posix_memalign((void **)&c.vbuf, 4096, CHUNK + 4096))
		c.vbuf = NULL;
	if (!c.buf || !c.vbuf) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	if (!o->no_verify) {
		c.vfd = open(o->target, O_RDONLY | O_DIRECT | O_CLOEXEC);
		r = -pthread_create(&c.vthread, NULL, verifier, &c);
		if (r) {
			r = diag_fail(d, r, "cannot start the verification thread: %s", strerror(-r));
			goto out;
		}
		c.vstarted = true;
	}
	r = c.have_map ? write_map(&c) : write_stream(&c);
	if (r)
		goto out;
	res->image_size = c.image_size;
	if (!c.tgt.blockdev && ftruncate(c.tgt.fd, (off_t)c.image_size)) {
		r = diag_fail(d, -errno, "%s: cannot set size to %" PRIu64 ": %s", o->target,
			      c.image_size, strerror(errno));
		goto out;
	}
	if (fsync(c.tgt.fd)) {
		r = diag_fail(d, -errno, "%s: fsync failed: %s (data may not be on the medium)",
			      o->target, strerror(errno));
		goto out;
	}
	if (c.vstarted && (r = verify_finish(&c)))
		goto out;
	if (c.tgt.blockdev && c.tgt.size > c.image_size) {
		r = gpt_move_backup(c.tgt.fd, c.image_size, c.tgt.size, c.tgt.sector_size,
				    &res->gpt_moved, d);
		if (r)
			goto out;
	}
	target_reread_partitions(&c.tgt);
	r = 0;
out:
	if (c.vstarted) {
		pthread_mutex_lock(&c.lock);
		c.stop = true;
		pthread_cond_broadcast(&c.cond);
		pthread_mutex_unlock(&c.lock);
		pthread_join(c.vthread, NULL);
	}
	if (c.vfd >= 0)
		close(c.vfd);
	pthread_mutex_destroy(&c.lock);
	pthread_cond_destroy(&c.cond);
	sink_release(c.sink);
	if (c.vopen)
		sha256_release(&c.vh);
	free(c.buf);
	free(c.vbuf);
	free(c.w);
	bmap_release(&c.map);
	source_close(&c.src);
	target_close(&c.tgt, r != 0);
	undo_forget(undo_id);
	undo_residue("%s", "");
	return r;
}
