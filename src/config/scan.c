/* SPDX-License-Identifier: MIT */
/*
 * The raw-text scanner (scan.h). It mirrors the token rules of
 * libconfuse 3.3's lexer (src/lexer.l) closely enough to know, at every
 * newline, whether libconfuse counts it and how many extra lines it adds
 * for comments; it does not build values.
 */
#include "config/scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"

struct scanner {
	struct scan *s;
	const char *p, *end;
	unsigned raw;    /* libconfuse's line counter */
	unsigned line;   /* the real line */
	unsigned cap;    /* of s->raw */
	unsigned *open;  /* lines of unclosed '{' */
	size_t nopen, capopen;
	unsigned paren, paren_line; /* open '(' of include(...) */
	size_t caprefs, capspans;
};

static int newline(struct scanner *k, int counted)
{
	if (counted)
		k->raw++;
	k->line++;
	if (k->line >= k->cap) {
		unsigned n = k->cap * 2;
		unsigned *v = realloc(k->s->raw, n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		k->s->raw = v;
		k->cap = n;
	}
	k->s->raw[k->line] = k->raw;
	k->s->nlines = k->line;
	return 0;
}

/* `${...}` at k->p (libconfuse's rule `$\{[^}]*\}`: it may span lines,
 * which libconfuse then does not count). Returns 1 if it matched. */
static int env_ref(struct scanner *k, int *err)
{
	const char *q = k->p + 2, *c;
	struct scan_env_ref *r;
	unsigned line = k->line;

	while (q < k->end && *q != '}')
		q++;
	if (q >= k->end)
		return 0;
	if (k->s->nrefs == k->caprefs) {
		size_t n = k->caprefs ? k->caprefs * 2 : 8;
		r = realloc(k->s->refs, n * sizeof(*r));
		if (!r)
			goto nomem;
		k->s->refs = r;
		k->caprefs = n;
	}
	r = &k->s->refs[k->s->nrefs];
	c = memchr(k->p + 2, ':', (size_t)(q - k->p - 2));
	r->has_default = c && c + 1 < q && c[1] == '-';
	if (!r->has_default)
		c = q;
	r->name = strndup(k->p + 2, (size_t)(c - k->p - 2));
	if (!r->name)
		goto nomem;
	r->line = line;
	k->s->nrefs++;
	for (const char *x = k->p; x < q; x++)
		if (*x == '\n' && newline(k, 0))
			goto nomem;
	k->p = q + 1;
	return 1;
nomem:
	*err = -ENOMEM;
	return 1;
}

static int add_span(struct scanner *k, unsigned start)
{
	struct scan *s = k->s;

	if (s->nspans == k->capspans) {
		size_t n = k->capspans ? k->capspans * 2 : 8;
		struct scan_span *v = realloc(s->spans, n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->spans = v;
		k->capspans = n;
	}
	s->spans[s->nspans].start = start;
	s->spans[s->nspans++].end = k->line;
	return 0;
}

static int quoted(struct scanner *k, char quote, struct diag *d)
{
	unsigned start = k->line;
	int r = 0;

	k->p++;
	while (k->p < k->end) {
		char c = *k->p;

		if (c == quote) {
			k->p++;
			return start == k->line ? 0 : add_span(k, start);
		}
		if (c == '\\' && k->p + 1 < k->end) {
			/* Escaped newline: a continuation, counted. */
			if (k->p[1] == '\n' && newline(k, 1))
				return -ENOMEM;
			k->p += 2;
			continue;
		}
		if (c == '\n') {
			if (newline(k, 1))
				return -ENOMEM;
		} else if (quote == '"' && c == '$' && k->p + 1 < k->end && k->p[1] == '{' &&
			   env_ref(k, &r)) {
			if (r)
				return r;
			continue;
		}
		k->p++;
	}
	return diag_fail(d, -EINVAL, "%s:%u: %s string is never closed (the file ends inside it)",
			 k->s->file, start, quote == '"' ? "double-quoted" : "single-quoted");
}

static int block_comment(struct scanner *k, struct diag *d)
{
	unsigned start = k->line;

	k->p += 2;
	while (k->p < k->end) {
		if (k->p[0] == '*' && k->p + 1 < k->end && k->p[1] == '/') {
			k->p += 2;
			k->raw++; /* qend() */
			return 0;
		}
		if (*k->p == '\n' && newline(k, 1))
			return -ENOMEM;
		k->p++;
	}
	return diag_fail(d, -EINVAL, "%s:%u: comment '/*' is never closed (the file ends inside it)",
			 k->s->file, start);
}

static int brace(struct scanner *k, char c, struct diag *d)
{
	if (c == '}') {
		if (!k->nopen)
			return diag_fail(d, -EINVAL, "%s:%u: '}' closes nothing opened in this file",
					 k->s->file, k->line);
		k->nopen--;
		return 0;
	}
	if (k->nopen == k->capopen) {
		size_t n = k->capopen ? k->capopen * 2 : 16;
		unsigned *v = realloc(k->open, n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		k->open = v;
		k->capopen = n;
	}
	k->open[k->nopen++] = k->line;
	return 0;
}

/* Characters that end an unquoted word (libconfuse's bare-string rule). */
static int word_char(char c)
{
	return !strchr(" #\"'\t\n\r={}()+,*", c) && c;
}

static int scan_loop(struct scanner *k, struct diag *d)
{
	int r = 0;

	while (k->p < k->end && !r) {
		char c = *k->p, n = k->p + 1 < k->end ? k->p[1] : 0;

		if (c == '\n') {
			r = newline(k, 1);
			k->p++;
		} else if (c == '#' || (c == '/' && n == '/')) {
			/* One-line comment: qput() and qend() count it again. */
			k->raw += 2;
			while (k->p < k->end && *k->p != '\n')
				k->p++;
		} else if (c == '/' && n == '*') {
			r = block_comment(k, d);
		} else if (c == '"' || c == '\'') {
			r = quoted(k, c, d);
		} else if (c == '$' && n == '{' && env_ref(k, &r)) {
			continue;
		} else if (c == '{' || c == '}') {
			r = brace(k, c, d);
			k->p++;
		} else if (c == '(' || c == ')') {
			/* Mismatches are libconfuse's to report; an open one at the
			 * end is ours (libconfuse leaks on it). */
			if (c == '(' && !k->paren++)
				k->paren_line = k->line;
			else if (c == ')' && k->paren)
				k->paren--;
			k->p++;
		} else if (word_char(c)) {
			while (k->p < k->end && word_char(*k->p))
				k->p++;
		} else {
			k->p++;
		}
	}
	if (r)
		return r;
	if (k->paren)
		return diag_fail(d, -EINVAL, "%s:%u: '(' is never closed (the file ends inside it)",
				 k->s->file, k->paren_line);
	if (k->nopen)
		return diag_fail(d, -EINVAL, "%s:%u: '{' is never closed (the file ends inside it)",
				 k->s->file, k->open[k->nopen - 1]);
	return 0;
}

int scan_text(struct scan *s, const char *file, const char *text, size_t len, struct diag *d)
{
	struct scanner k = { .s = s, .p = text, .end = text + len, .raw = 1, .line = 1, .cap = 64 };
	int r;

	memset(s, 0, sizeof(*s));
	s->file = strdup(file);
	s->raw = malloc(k.cap * sizeof(*s->raw));
	if (!s->file || !s->raw)
		return diag_fail(d, -ENOMEM, "out of memory");
	s->raw[0] = s->raw[1] = 1;
	s->nlines = 1;
	/* libconfuse's lexer stops a string (or the file) at a NUL without a
	 * word; a text config never holds one, so refuse it where it is. */
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		unsigned line = 1;
		for (const char *q = text; q < nul; q++)
			line += *q == '\n';
		return diag_fail(d, -EINVAL, "%s:%u: a NUL byte (offset %zu): not a text file",
				 file, line, (size_t)(nul - text));
	}
	r = scan_loop(&k, d);
	free(k.open);
	if (r == -ENOMEM)
		return diag_fail(d, r, "out of memory");
	return r;
}

unsigned scan_true_line(const struct scan *s, int raw)
{
	unsigned lo = 1, hi = s->nlines;

	if (raw <= 1 || !s->nlines)
		return raw < 1 ? 0 : 1;
	/* The last real line whose start libconfuse counts as <= raw. */
	while (lo < hi) {
		unsigned mid = lo + (hi - lo + 1) / 2;
		if (s->raw[mid] <= (unsigned)raw)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

unsigned scan_value_line(const struct scan *s, unsigned line)
{
	for (size_t i = 0; i < s->nspans; i++)
		if (s->spans[i].end == line)
			return s->spans[i].start;
	return line;
}

void scan_release(struct scan *s)
{
	free(s->spans);
	for (size_t i = 0; i < s->nrefs; i++)
		free(s->refs[i].name);
	free(s->refs);
	free(s->raw);
	free(s->file);
	memset(s, 0, sizeof(*s));
}
