/* SPDX-License-Identifier: MIT */
/*
 * A growing byte buffer with a sticky error, for writers that lay out a
 * text or record in memory (a lock file, a bmap, modules.dep, a store
 * record): append freely, check @err once at the end. After any append
 * that succeeded the bytes are NUL-terminated (not counted in @len), so
 * a text can be handed out as a string.
 */
#ifndef KILN_BASE_BUF_H
#define KILN_BASE_BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap;
	int err; /* -ENOMEM (or -EINVAL from a format): the first failure */
};

/* buf_put - append @n bytes of @s. */
void buf_put(struct buf *b, const void *s, size_t n);

/* buf_printf - append printf(@fmt, ...). */
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
