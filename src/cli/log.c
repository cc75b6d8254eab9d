/* SPDX-License-Identifier: MIT */
#include "cli/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/diag.h"

const char *log_prog = "kiln";
unsigned log_level = 1;

void log_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", log_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < 1)
		return;
	fprintf(stderr, "%s: ", log_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_warn(void *ud, const char *msg)
{
	(void)ud;
	fprintf(stderr, "%s: warning: %s\n", log_prog, msg);
}

static void on_note(void *ud, const char *msg)
{
	(void)ud;
	if (log_level >= 2)
		fprintf(stderr, "%s: %s\n", log_prog, msg);
}

void log_attach(struct diag *d)
{
	d->warn = on_warn;
	d->note = on_note;
	d->userdata = NULL;
}

void log_diag(const struct diag *d, int err)
{
	if (d->err && d->msg[0])
		log_error("%s", d->msg);
	else
		log_error("%s", strerror(err < 0 ? -err : err));
}
