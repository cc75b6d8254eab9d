/* SPDX-License-Identifier: MIT */
/* The ext4 writer's write cache: see ext4-wcache.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "fs/ext4/ext4-int.h"
#include "fs/ext4/ext4-wcache.h"
#include "io/sink.h"

/* Write @len bytes at @off as data (zeros included), WR_MAX at a time. */
static int write_data(struct sink *out, const uint8_t *buf, size_t len, uint64_t off,
		      uint64_t *ret_bad)
{
	for (size_t i = 0; i < len;) {
		size_t n = len - i < WR_MAX ? len - i : WR_MAX;
		int r = sink_pwrite(out, buf + i, n, off + i);
		if (r) {
			*ret_bad = off + i;
			return r;
		}
		i += n;
	}
	return 0;
}

static void *wc_writer(void *arg)
{
	struct wcache *wc = arg;

	pthread_mutex_lock(&wc->mu);
	for (;;) {
		while (!wc->pend && !wc->stop)
			pthread_cond_wait(&wc->cv, &wc->mu);
		if (!wc->pend)
			break;
		uint8_t *b = wc->pend;
		uint64_t off = wc->pend_off, bad = 0;
		size_t len = wc->pend_len;
		pthread_mutex_unlock(&wc->mu);
		int r = write_data(wc->out, b, len, off, &bad);
		pthread_mutex_lock(&wc->mu);
		if (r && !wc->err) {
			wc->err = r;
			wc->err_off = bad;
		}
		wc->pend = NULL;
		pthread_cond_broadcast(&wc->cv);
	}
	pthread_mutex_unlock(&wc->mu);
	return NULL;
}

int ext4_wc_init(struct wcache *wc, struct sink *out)
{
	memset(wc, 0, sizeof(*wc));
	if (pthread_mutex_init(&wc->mu, NULL))
		return -ENOMEM;
	if (pthread_cond_init(&wc->cv, NULL)) {
		pthread_mutex_destroy(&wc->mu);
		return -ENOMEM;
	}
	wc->inited = true;
	wc->bufs[0] = malloc(WC_SIZE);
	wc->bufs[1] = malloc(WC_SIZE);
	if (!wc->bufs[0] || !wc->bufs[1])
		return -ENOMEM;
	wc->buf = wc->bufs[0];
	wc->out = out;
	/* Without a thread the cache still works, synchronously. */
	wc->started = !pthread_create(&wc->th, NULL, wc_writer, wc);
	return 0;
}

static int wc_error(struct wcache *wc, struct diag *d)
{
	return diag_fail(d, wc->err, "writing at byte %llu: %s", (unsigned long long)wc->err_off,
			 strerror(-wc->err));
}

/* Hand the current buffer to the writer (or write it here without one). */
int ext4_wc_flush(struct sink *out, struct wcache *wc, struct diag *d)
{
	(void)out;
	if (!wc->len)
		return 0;
	if (!wc->started) {
		uint64_t bad = 0;
		int r = write_data(wc->out, wc->buf, wc->len, wc->off, &bad);
		wc->len = 0;
		if (r) {
			wc->err = r;
			wc->err_off = bad;
			return wc_error(wc, d);
		}
		return 0;
	}
	pthread_mutex_lock(&wc->mu);
	while (wc->pend)
		pthread_cond_wait(&wc->cv, &wc->mu);
	if (wc->err) {
		pthread_mutex_unlock(&wc->mu);
		wc->len = 0;
		return wc_error(wc, d);
	}
	wc->pend = wc->buf;
	wc->pend_off = wc->off;
	wc->pend_len = wc->len;
	pthread_cond_broadcast(&wc->cv);
	pthread_mutex_unlock(&wc->mu);
	wc->cur ^= 1;
	wc->buf = wc->bufs[wc->cur];
	wc->len = 0;
	return 0;
}

/* Flush and wait until everything handed over is written. */
int ext4_wc_drain(struct wcache *wc, struct diag *d)
{
	int r = ext4_wc_flush(wc->out, wc, d);

	if (r || !wc->started)
		return r;
	pthread_mutex_lock(&wc->mu);
	while (wc->pend)
		pthread_cond_wait(&wc->cv, &wc->mu);
	r = wc->err;
	pthread_mutex_unlock(&wc->mu);
	return r ? wc_error(wc, d) : 0;
}

void ext4_wc_release(struct wcache *wc)
{
	if (wc->started) {
		pthread_mutex_lock(&wc->mu);
		wc->stop = true;
		pthread_cond_broadcast(&wc->cv);
		pthread_mutex_unlock(&wc->mu);
		pthread_join(wc->th, NULL);
		wc->started = false;
	}
	if (wc->inited) {
		pthread_cond_destroy(&wc->cv);
		pthread_mutex_destroy(&wc->mu);
		wc->inited = false;
	}
	free(wc->bufs[0]);
	free(wc->bufs[1]);
	wc->bufs[0] = wc->bufs[1] = NULL;
}

/* Room for @n bytes at sink offset @off in the cache, flushing first if
 * they do not continue it. NULL if @n is larger than the cache. */
uint8_t *ext4_wc_reserve(struct sink *out, struct wcache *wc, uint64_t off, size_t n,
			   struct diag *d, int *ret_err)
{
	*ret_err = 0;
	if (n > WC_SIZE)
		return NULL;
	if (wc->len && (wc->off + wc->len != off || wc->len + n > WC_SIZE)) {
		*ret_err = ext4_wc_flush(out, wc, d);
		if (*ret_err)
			return NULL;
	}
	if (!wc->len)
		wc->off = off;
	uint8_t *p = wc->buf + wc->len;
	wc->len += n;
	return p;
}

int ext4_put_blocks(struct ext4_plan *p, struct sink *out, uint64_t blk, const void *buf,
		      uint64_t n, struct diag *d)
{
	size_t len = (size_t)(n * p->bs);
	int r;

	if (p->wc) {
		uint8_t *dst = ext4_wc_reserve(out, p->wc, blk * p->bs, len, d, &r);
		if (r)
			return r;
		if (dst) {
			memcpy(dst, buf, len);
			return 0;
		}
		if ((r = ext4_wc_drain(p->wc, d)))
			return r;
	}
	r = sink_pwrite(out, buf, len, blk * p->bs);
	if (r)
		return diag_fail(d, r, "writing block %llu: %s", (unsigned long long)blk,
				 strerror(-r));
	return 0;
}

/* @n zero blocks from @blk, written as data (journal log). */
int ext4_put_zero_blocks(struct ext4_plan *p, struct sink *out, uint64_t blk, uint64_t n,
			   struct diag *d)
{
	uint64_t per = WC_SIZE / p->bs;
	int r;

	while (n) {
		uint64_t k = n < per ? n : per;
		uint8_t *dst = ext4_wc_reserve(out, p->wc, blk * p->bs, (size_t)(k * p->bs), d, &r);
		if (!dst)
			return r;
		memset(dst, 0, (size_t)(k * p->bs));
		blk += k;
		n -= k;
	}
	return 0;
}

