/* SPDX-License-Identifier: MIT */
#ifndef KILN_BOOT_BOUT_H
#define KILN_BOOT_BOUT_H

/*
 * A byte stream for the boot writers: cpio and gzip produce bytes in
 * order, and a stream either puts them onto a sink at increasing
 * offsets, counts them (planning a size), or compresses them into
 * another stream (gzip.h).
 */

#include <stddef.h>
#include <stdint.h>

struct sink;

struct bout {
	/* Consume @len bytes; @buf NULL means @len zero bytes. 0 or -errno. */
	int (*emit)(struct bout *o, const void *buf, size_t len);
	struct sink *sink; /* bout_sink */
	uint64_t off;      /* bytes consumed so far */
	void *priv;
};

/* A stream writing to @s from offset 0. */
void bout_sink(struct bout *o, struct sink *s);
/* A stream that only counts (o->off is the total). */
void bout_count(struct bout *o);

static inline int bout_emit(struct bout *o, const void *buf, size_t len)
{
	return len ? o->emit(o, buf, len) : 0;
}

#endif
