/* SPDX-License-Identifier: MIT */
/*
 * FAT writer: tree -> plan (names, sizes, clusters) -> sink.
 *
 * Layout decisions (docs/formats/fat.md): directories are numbered
 * breadth-first in sorted order and get their clusters first (the FAT32
 * root at cluster 2), then every file's data follows in the same order,
 * each file contiguous. So the FAT is a set of ascending runs, readers
 * find all metadata near the start, and file data is written in one
 * forward sweep through a large write-combining buffer.
 *
 * This file streams the file data and drives the writing; the plan is
 * made in fat-scan.c and fat-plan.c, the metadata written by
 * fat-write-meta.c.
 */
#include "fs/fat/fat-writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/fat/fat-writer-int.h"
#include "fs/tree.h"
#include "io/sink.h"

#define WBUF_SIZE (4u << 20)      /* write-combining buffers for file data */

/*
 * File data goes through large buffers: consecutive files are contiguous
 * on disk, so many small files become few large writes. A writer thread
 * takes filled buffers in order and writes them (fsyncing every
 * SYNC_EVERY bytes, so the device writes while we read instead of all at
 * the final flush) while the caller reads the next files.
 */
#define NBUF 3
#define SYNC_EVERY (32ull << 20)

struct wbuf {
	uint8_t *b;     /* the buffer being filled */
	uint64_t off;   /* sink offset of b[0] */
	size_t len;
	/* pipeline */
	struct sink *out;
	pthread_t thr;
	bool started, done;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *buf[NBUF];
	uint64_t boff[NBUF];
	size_t blen[NBUF];
	bool full[NBUF];
	unsigned fill, take;
	int err;
};

static void *wb_thread(void *arg)
{
	struct wbuf *w = arg;
	uint64_t since_sync = 0;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->full[w->take] && !w->done)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->full[w->take])
			break;
		unsigned k = w->take;
		int err = w->err;
		pthread_mutex_unlock(&w->mu);
		int r = 0;
		if (!err) {
			r = sink_pwrite(w->out, w->buf[k], w->blen[k], w->boff[k]);
			since_sync += w->blen[k];
			if (!r && since_sync >= SYNC_EVERY) {
				r = sink_sync(w->out);
				since_sync = 0;
			}
		}
		pthread_mutex_lock(&w->mu);
		if (r && !w->err)
			w->err = r;
		w->full[k] = false;
		w->take = (k + 1) % NBUF;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int wb_start(struct wbuf *w, struct sink *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	for (unsigned i = 0; i < NBUF; i++)
		if (!(w->buf[i] = malloc(WBUF_SIZE)))
			return -ENOMEM;
	w->b = w->buf[0];
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thr, NULL, wb_thread, w)) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		return -EAGAIN;
	}
	w->started = true;
	return 0;
}

/* Hand the filled buffer to the writer and take the next free one. */
static int wb_flush(struct wbuf *w, struct sink *out)
{
	int r;

	(void)out;
	pthread_mutex_lock(&w->mu);
	if (w->len) {
		w->boff[w->fill] = w->off;
		w->blen[w->fill] = w->len;
		w->full[w->fill] = true;
		pthread_cond_broadcast(&w->cv);
		w->fill = (w->fill + 1) % NBUF;
		while (w->full[w->fill])
			pthread_cond_wait(&w->cv, &w->mu);
		w->b = w->buf[w->fill];
	}
	w->len = 0;
	r = w->err;
	pthread_mutex_unlock(&w->mu);
	return r;
}

/* Flush, wait for the writer to finish everything, free. */
static int wb_finish(struct wbuf *w, bool flush)
{
	int r = 0;

	if (w->started) {
		if (flush)
			r = wb_flush(w, w->out);
		pthread_mutex_lock(&w->mu);
		w->done = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thr, NULL);
		if (!r)
			r = w->err;
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
	}
	for (unsigned i = 0; i < NBUF; i++)
		free(w->buf[i]);
	return r;
}

/* Read-ahead: ask the kernel for the next files' data while we copy the
 * current one, so many small files are read with a deep queue. */
#define PF_MAX 64
#define PF_BYTES (16ull << 20)

struct prefetch {
	int fd[PF_MAX];
	uint32_t obj[PF_MAX];
	unsigned head, count;
	uint32_t next;
	uint64_t bytes;
};

static void pf_fill(const struct fat_plan *p, struct prefetch *pf)
{
	while (pf->count < PF_MAX && pf->bytes < PF_BYTES && pf->next < p->nobjs) {
		const struct fat_obj *o = &p->objs[pf->next];
		uint32_t i = pf->next++;
		if (o->is_dir || !o->size)
			continue;
		char pb[TREE_SRC_PATH_MAX];
		const char *sp = tree_node_src_path(o->data, pb, sizeof(pb));
		int fd = sp ? open(sp, O_RDONLY | O_CLOEXEC) : -1;
		if (fd >= 0)
			posix_fadvise(fd, (off_t)o->data->src_off, (off_t)o->size, POSIX_FADV_WILLNEED);
		unsigned slot = (pf->head + pf->count++) % PF_MAX;
		pf->fd[slot] = fd;
		pf->obj[slot] = i;
		pf->bytes += o->size;
	}
}

/* The prefetched fd of object @i (or -1: open it yourself). */
static int pf_take(const struct fat_plan *p, struct prefetch *pf, uint32_t i)
{
	while (pf->count && pf->obj[pf->head] <= i) {
		unsigned slot = pf->head;
		pf->head = (pf->head + 1) % PF_MAX;
		pf->count--;
		pf->bytes -= p->objs[pf->obj[slot]].size;
		if (pf->obj[slot] == i)
			return pf->fd[slot];
		if (pf->fd[slot] >= 0)
			close(pf->fd[slot]);
	}
	return -1;
}

static void pf_release(struct prefetch *pf)
{
	while (pf->count) {
		if (pf->fd[pf->head] >= 0)
			close(pf->fd[pf->head]);
		pf->head = (pf->head + 1) % PF_MAX;
		pf->count--;
	}
}

static int read_full(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	while (n) {
		ssize_t got = pread(fd, buf, n, (off_t)off);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!got)
			return -ENODATA;
		buf += got;
		n -= (size_t)got;
		off += (uint64_t)got;
	}
	return 0;
}

static int write_file(const struct fat_plan *p, const struct fat_obj *o, int fd, struct wbuf *w,
		      struct sink *out, struct diag *d)
{
	const struct fat_geom *g = &p->g;
	char pb[TREE_SRC_PATH_MAX];
	const char *src = tree_node_src_path(o->data, pb, sizeof(pb));
	uint64_t off = fat_cluster_offset(g, o->first), left = o->size, pos = o->data->src_off;
	struct stat st;
	int r;

	if (fd < 0)
		fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fat_fail_path(d, -errno, o->node, "cannot read %s: %s", src, strerror(errno));
	/* A source that changed since planning is an error, not a silent
	 * truncation (spill files hold several sources: only check the end). */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    ((uint64_t)st.st_size < pos + left || (!pos && (uint64_t)st.st_size != left))) {
		close(fd);
		return fat_fail_path(d, -EIO, o->node, "%s is %llu bytes, planned with %llu (changed while building?)",
				     src, (unsigned long long)st.st_size, (unsigned long long)(pos + left));
	}
	if (w->len && w->off + w->len != off && (r = wb_flush(w, out)))
		goto out;
	while (left) {
		if (w->len == WBUF_SIZE && (r = wb_flush(w, out)))
			goto out;
		if (!w->len)
			w->off = off + (o->size - left);
		size_t n = WBUF_SIZE - w->len;
		if (n > left)
			n = (size_t)left;
		r = read_full(fd, w->b + w->len, n, pos);
		if (r) {
			r = r == -ENODATA ? fat_fail_path(d, -EIO, o->node, "%s: file is shorter than planned (changed while building?)", src)
					  : fat_fail_path(d, r, o->node, "cannot read %s: %s", src, strerror(-r));
			goto out;
		}
		w->len += n;
		left -= n;
		pos += n;
	}
	/* Pad to the end of the last cluster so the next file stays in the
	 * same buffer (slack must read as zeros). */
	size_t slack = (size_t)((uint64_t)o->nclus * g->cluster_bytes - o->size);
	if (w->len + slack <= WBUF_SIZE) {
		memset(w->b + w->len, 0, slack);
		w->len += slack;
	} else if ((r = wb_flush(w, out))) { /* slack stays a hole */
		goto out;
	}
	r = 0;
out:
	close(fd);
	return r;
}

int fat_plan_write(const struct fat_plan *p, struct sink *out, struct diag *d)
{
	struct wbuf w;
	struct prefetch pf = { 0 };
	int r;

	if (out->size != UINT64_MAX && out->size < p->size)
		return diag_fail(d, -ENOSPC, "output is %llu bytes, the FAT needs %llu",
				 (unsigned long long)out->size, (unsigned long long)p->size);
	if ((r = fat_write_tables(p, out, d)) || (r = fat_write_dirs(p, out, d)))
		return r;
	r = wb_start(&w, out);
	if (r) {
		wb_finish(&w, false);
		return diag_fail(d, r, "cannot start the writer: %s", strerror(-r));
	}
	for (uint32_t i = 0; i < p->nobjs && !r; i++) {
		if (p->objs[i].is_dir || !p->objs[i].size)
			continue;
		pf_fill(p, &pf);
		r = write_file(p, &p->objs[i], pf_take(p, &pf, i), &w, out, d);
	}
	pf_release(&pf);
	int r2 = wb_finish(&w, !r);
	if (!r && r2)
		r = diag_fail(d, r2, "writing the image: %s", strerror(-r2));
	return r;
}
