/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_EXT4_WCACHE_H
#define KILN_FS_EXT4_WCACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct ext4_plan;
struct sink;

/*
 * Write combining with a writer thread: consecutive blocks (small files,
 * directories, extent blocks laid out one after another, big files in
 * chunks) are gathered in one large buffer, read straight into it from
 * the source; a full buffer goes to a second thread that writes it while
 * the next one is filled, so reading and writing overlap on two cores.
 */
#define WC_SIZE (8u << 20)
#define WR_MAX (256u << 10) /* one pwrite: page-cache friendly size */

struct wcache {
	uint8_t *bufs[2];
	int cur;
	uint8_t *buf;     /* bufs[cur], being filled */
	uint64_t off;     /* sink offset of buf[0] */
	size_t len;

	struct sink *out;
	pthread_t th;
	bool inited, started, stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *pend;    /* handed to the writer, NULL when idle */
	uint64_t pend_off;
	size_t pend_len;
	int err;
	uint64_t err_off;
};

/* Start the writer thread's buffers for @out. */
int ext4_wc_init(struct wcache *wc, struct sink *out);
/* Hand the filled buffer to the writer thread (waits for the previous). */
int ext4_wc_flush(struct sink *out, struct wcache *wc, struct diag *d);
/* Flush and wait until everything handed over is written. */
int ext4_wc_drain(struct wcache *wc, struct diag *d);
void ext4_wc_release(struct wcache *wc);
/* Room for @n bytes at sink offset @off, flushing first if they do not
 * continue the buffer; NULL (and *ret_err 0) if @n exceeds WC_SIZE. */
uint8_t *ext4_wc_reserve(struct sink *out, struct wcache *wc, uint64_t off, size_t n,
			 struct diag *d, int *ret_err);
/* @n blocks of @buf at block @blk, through the cache when there is one. */
int ext4_put_blocks(struct ext4_plan *p, struct sink *out, uint64_t blk, const void *buf,
		    uint64_t n, struct diag *d);
/* @n zero blocks from @blk, written as data (the journal log). */
int ext4_put_zero_blocks(struct ext4_plan *p, struct sink *out, uint64_t blk, uint64_t n,
			 struct diag *d);

#endif
