/* SPDX-License-Identifier: MIT */
#ifndef KILN_CONFIG_SCAN_H
#define KILN_CONFIG_SCAN_H

/*
 * A second look at a config file's raw text, alongside libconfuse's own
 * lexer, for what libconfuse gets wrong or does silently:
 *
 * - Line numbers. libconfuse 3.3's lexer counts a `#`/`//` comment line
 *   three times (qput() and qend() each add one, then the newline rule)
 *   and a `/ * * /` comment one line too many (qend()). The scanner
 *   follows the same tokens and records, for every real line, the line
 *   number libconfuse will believe it is on, so scan_true_line() can
 *   translate back exactly (a token's libconfuse line is never the start
 *   of a later real line).
 * - Truncation. libconfuse accepts end of file inside open sections or
 *   inside a comment; the scanner reports the first such problem.
 * - `${NAME}` substitutions (double-quoted strings and bare `${NAME}`),
 *   which libconfuse expands from the environment, empty when unset.
 */

#include <stddef.h>

struct diag;

struct scan_env_ref {
	char *name;      /* NAME of ${NAME} */
	unsigned line;   /* real line */
	int has_default; /* ${NAME:-default} */
};

/* A quoted string written over several lines. */
struct scan_span {
	unsigned start, end; /* real lines */
};

struct scan {
	char *file;               /* as named in messages */
	struct scan_span *spans;
	size_t nspans;
	unsigned *raw;            /* raw[t] = libconfuse's line at real line t (1-based) */
	unsigned nlines;
	struct scan_env_ref *refs;
	size_t nrefs;
};

/*
 * scan_text - scan @len bytes of @text, the contents of @file.
 * Returns 0, -ENOMEM, or -EINVAL with "FILE:LINE: why" in @d when the text
 * ends inside a section, list, string or comment, or closes a brace it
 * did not open. On error @s still holds the line map (for messages).
 */
int scan_text(struct scan *s, const char *file, const char *text, size_t len, struct diag *d);

/* scan_true_line - the real line of libconfuse's line @raw in @s. */
unsigned scan_true_line(const struct scan *s, int raw);

/* scan_value_line - the line a value read at real line @line starts on
 * (differs for a quoted string written over several lines). */
unsigned scan_value_line(const struct scan *s, unsigned line);

void scan_release(struct scan *s);

#endif
