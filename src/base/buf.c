/* SPDX-License-Identifier: MIT */
/* A growing byte buffer (base/buf.h). */
#include "base/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for @n more bytes and a NUL: 0, or the sticky error. */
static int reserve(struct buf *b, size_t n)
{
	size_t cap;
	char *np;

	if (b->err)
		return b->err;
	if (n < b->cap - b->len && b->p)
		return 0;
	if (n > (size_t)-1 / 2 - b->len - 1)
		return b->err = -ENOMEM;
	for (cap = b->cap ? b->cap : 4096; cap < b->len + n + 1;)
		cap *= 2;
	if (!(np = realloc(b->p, cap)))
		return b->err = -ENOMEM;
	b->p = np;
	b->cap = cap;
	return 0;
}

void buf_put(struct buf *b, const void *s, size_t n)
{
	if (reserve(b, n))
		return;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	if (reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}
