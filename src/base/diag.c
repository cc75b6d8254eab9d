/* SPDX-License-Identifier: MIT */
#include "base/diag.h"

#include <stdio.h>
#include <string.h>

int diag_fail(struct diag *d, int err, const char *fmt, ...)
{
	va_list ap;

	if (!d || d->err)
		return err;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	d->err = err;
	return err;
}

void diag_prefix(struct diag *d, const char *fmt, ...)
{
	char pre[512], old[sizeof(d->msg)];
	va_list ap;

	if (!d || !d->err)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, d->msg, sizeof(old));
	/* Truncation is acceptable: keep as much context as fits. */
	size_t pl = strlen(pre);
	if (pl > sizeof(d->msg) - 3)
		pl = sizeof(d->msg) - 3;
	memcpy(d->msg, pre, pl);
	memcpy(d->msg + pl, ": ", 2);
	size_t rest = sizeof(d->msg) - pl - 3;
	size_t ol = strlen(old);
	if (ol > rest)
		ol = rest;
	memcpy(d->msg + pl + 2, old, ol);
	d->msg[pl + 2 + ol] = 0;
}

/* Length of a leading "FILE:LINE: " of @m (FILE without spaces), or 0. */
static size_t where_len(const char *m)
{
	const char *c = m;

	while (*c && *c != ':' && *c != ' ')
		c++;
	if (c == m || c[0] != ':' || c[1] < '0' || c[1] > '9')
		return 0;
	c++;
	while (*c >= '0' && *c <= '9')
		c++;
	return c[0] == ':' && c[1] == ' ' ? (size_t)(c + 2 - m) : 0;
}

int diag_context(struct diag *d, const char *fmt, ...)
{
	char ctx[512], head[sizeof(d->msg)];
	va_list ap;
	size_t hl;

	if (!d || !d->err)
		return 0;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	hl = where_len(d->msg);
	if (!hl) {
		diag_prefix(d, "%s", ctx);
		return 0;
	}
	memcpy(head, d->msg, hl - 2);
	head[hl - 2] = 0;
	memmove(d->msg, d->msg + hl, strlen(d->msg + hl) + 1);
	diag_prefix(d, "%s", ctx);
	diag_prefix(d, "%s", head);
	return 1;
}

void diag_warn(struct diag *d, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!d || !d->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	d->warn(d->userdata, buf);
}

void diag_note(struct diag *d, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!d || !d->note)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	d->note(d->userdata, buf);
}

void diag_clear(struct diag *d)
{
	if (!d)
		return;
	d->msg[0] = 0;
	d->err = 0;
}
