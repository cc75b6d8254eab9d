/* SPDX-License-Identifier: MIT */
#ifndef KILN_BASE_DIAG_H
#define KILN_BASE_DIAG_H

/*
 * One error convention for all of kiln: functions return 0 or a negative
 * errno; the human detail (file, line, key, path, value) goes into an
 * optional struct diag. Library code never prints: warnings go through
 * the diag's callback, which only the CLI installs.
 */

#include <stdarg.h>
#include <stddef.h>

struct diag {
	char msg[2048];     /* first error recorded; "" if none */
	int err;            /* its negative errno */
	/* Optional sink for warnings and progress notes; NULL drops them. */
	void (*warn)(void *userdata, const char *msg);
	void *userdata;
	/* Optional sink for verbose notes (the CLI prints them at loglevel
	 * 2 and above); NULL drops them. Uses the same userdata. */
	void (*note)(void *userdata, const char *msg);
};

/*
 * diag_fail - record an error (if none recorded yet) and return err.
 * @d may be NULL. @err must be negative. Always returns @err, so callers
 * write: return diag_fail(d, -EINVAL, "size \"%s\": unknown suffix", s);
 */
int diag_fail(struct diag *d, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* diag_prefix - prepend "<prefix>: " to the recorded message (context). */
void diag_prefix(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * diag_context - add context ("image 'x'", "tree 't'") to the recorded
 * message, after its leading "FILE:LINE: " if it has one, so that every
 * message reads "FILE:LINE: CONTEXT: ...". Returns 1 if the message had
 * a FILE:LINE, 0 if the context went first.
 */
int diag_context(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* diag_warn - pass a warning to the diag's callback, if any. */
void diag_warn(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* diag_note - pass a verbose note to the diag's note callback, if any. */
void diag_note(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* diag_clear - forget a recorded error (keeps the callback). */
void diag_clear(struct diag *d);

#endif
