/* SPDX-License-Identifier: MIT */
/* A recursive-descent parser for the .its subset of DTS (see its.h). */
#include "boot/its.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/diag.h"
#include "base/endian.h"
#include "boot/dtree.h"

enum tok { T_EOF, T_WORD, T_STRING, T_PUNCT, T_DIRECTIVE };

struct parser {
	const char *s, *end, *fname;
	unsigned line;
	its_resolve_fn resolve;
	void *ud;
	struct diag *d;
	struct dt_node *root;
	unsigned nnodes;
	/* current token */
	enum tok t;
	char punct;
	char *text;        /* word, string (decoded) or directive */
	size_t tlen;
	unsigned tline;
};

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr(",._+*#?@-", c)); /* strchr finds the NUL too */
}

static int perr(struct parser *p, const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
	return diag_fail(p->d, -EINVAL, "%s:%u: %s", p->fname, p->tline ? p->tline : p->line, msg);
}

static int skip_space(struct parser *p)
{
	while (p->s < p->end) {
		char c = *p->s;
		if (c == '\n') {
			p->line++;
			p->s++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			p->s++;
		} else if (c == '/' && p->s + 1 < p->end && p->s[1] == '/') {
			while (p->s < p->end && *p->s != '\n')
				p->s++;
		} else if (c == '/' && p->s + 1 < p->end && p->s[1] == '*') {
			unsigned start = p->line;
			p->s += 2;
			while (p->s + 1 < p->end && !(p->s[0] == '*' && p->s[1] == '/')) {
				if (*p->s == '\n')
					p->line++;
				p->s++;
			}
			if (p->s + 1 >= p->end) {
				p->tline = start;
				return perr(p, "unterminated /* comment", NULL);
			}
			p->s += 2;
		} else {
			break;
		}
	}
	return 0;
}

static int lex_string(struct parser *p)
{
	const char *q = p->s + 1;
	char *out;
	size_t n = 0;

	out = malloc((size_t)(p->end - p->s) + 1);
	if (!out)
		return diag_fail(p->d, -ENOMEM, "out of memory");
	while (q < p->end && *q != '"') {
		char c = *q++;
		if (c == '\n') {
			free(out);
			return perr(p, "newline in string (missing closing '\"'?)", NULL);
		}
		if (c == '\\' && q < p->end) {
			char e = *q++;
			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'a': c = '\a'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'v': c = '\v'; break;
			case 'x': {
				int v = 0, k = 0;
				while (k < 2 && q < p->end && hex_digit((unsigned char)*q) >= 0)
					v = v * 16 + hex_digit((unsigned char)*q++), k++;
				if (!k) {
					free(out);
					return perr(p, "bad \\x escape in string", NULL);
				}
				c = (char)v;
				break;
			}
			default:
				if (e >= '0' && e <= '7') {
					int v = e - '0', k = 1;
					while (k < 3 && q < p->end && *q >= '0' && *q <= '7')
						v = v * 8 + (*q++ - '0'), k++;
					c = (char)v;
				} else {
					c = e; /* \" \\ and the rest: the character itself */
				}
			}
		}
		out[n++] = c;
	}
	if (q >= p->end) {
		free(out);
		return perr(p, "unterminated string", NULL);
	}
	out[n] = 0;
	p->s = q + 1;
	p->text = out;
	p->tlen = n;
	p->t = T_STRING;
	return 0;
}

static int next(struct parser *p)
{
	int r;

	free(p->text);
	p->text = NULL;
	p->tlen = 0;
	if ((r = skip_space(p)))
		return r;
	p->tline = p->line;
	if (p->s >= p->end) {
		p->t = T_EOF;
		return 0;
	}
	char c = *p->s;
	if (c == '"')
		return lex_string(p);
	if (c == '/' && p->s + 1 < p->end && (p->s[1] >= 'a' && p->s[1] <= 'z')) {
		const char *q = p->s + 1;
		while (q < p->end && ((*q >= 'a' && *q <= 'z') || *q == '-' || (*q >= '0' && *q <= '9')))
			q++;
		if (q < p->end && *q == '/') {
			size_t n = (size_t)(q + 1 - p->s);
			p->text = strndup(p->s, n);
			if (!p->text)
				return diag_fail(p->d, -ENOMEM, "out of memory");
			p->tlen = n;
			p->s = q + 1;
			p->t = T_DIRECTIVE;
			return 0;
		}
	}
	/* A name never starts with ',': there it separates value pieces. */
	if (word_char(c) && c != ',') {
		const char *q = p->s;
		while (q < p->end && word_char(*q))
			q++;
		p->tlen = (size_t)(q - p->s);
		if (p->tlen > DT_MAX_NAME)
			return perr(p, "name or number longer than 256 characters", NULL);
		p->text = strndup(p->s, p->tlen);
		if (!p->text)
			return diag_fail(p->d, -ENOMEM, "out of memory");
		p->s = q;
		p->t = T_WORD;
		return 0;
	}
	if (c && strchr("{};=,<>[]:&/()", c)) {
		p->punct = c;
		p->s++;
		p->t = T_PUNCT;
		return 0;
	}
	char bad[8];
	snprintf(bad, sizeof(bad), "%c", c >= 32 && c < 127 ? c : '?');
	return perr(p, "unexpected character '%s'", bad);
}

static bool is_punct(struct parser *p, char c)
{
	return p->t == T_PUNCT && p->punct == c;
}

static int expect(struct parser *p, char c)
{
	char want[2] = { c, 0 };

	if (!is_punct(p, c))
		return perr(p, "expected '%s'", want);
	return next(p);
}

/* Growable value buffer. */
struct vbuf {
	uint8_t *b;
	size_t len, cap;
};

static int vb_put(struct parser *p, struct vbuf *v, const void *data, size_t n)
{
	if (v->len + n > DT_MAX_VALUE)
		return perr(p, "property value larger than 1 MiB (use /incbin/ for data)", NULL);
	if (v->len + n > v->cap) {
		size_t nc = v->cap ? v->cap : 64;
		while (nc < v->len + n)
			nc *= 2;
		uint8_t *nb = realloc(v->b, nc);
		if (!nb)
			return diag_fail(p->d, -ENOMEM, "out of memory");
		v->b = nb;
		v->cap = nc;
	}
	memcpy(v->b + v->len, data, n);
	v->len += n;
	return 0;
}

static int parse_cells(struct parser *p, struct vbuf *v)
{
	int r;

	if ((r = next(p)))
		return r;
	while (!is_punct(p, '>')) {
		char *e;
		unsigned long long x;
		uint8_t b[4];
		if (p->t == T_PUNCT && (p->punct == '(' || p->punct == '&'))
			return perr(p, "expressions and references in cells are not supported", NULL);
		if (p->t != T_WORD)
			return perr(p, "expected a number or '>' in a cell list", NULL);
		if (strchr("+-*", p->text[0]))
			return perr(p, "expressions and references in cells are not supported", NULL);
		errno = 0;
		x = strtoull(p->text, &e, 0);
		if (*e || errno || p->text[0] == '-' || p->text[0] == '+')
			return perr(p, "\"%s\" is not a number", p->text);
		if (x > UINT32_MAX)
			return perr(p, "%s does not fit a 32-bit cell (write two cells)", p->text);
		put_be32(b, (uint32_t)x);
		if ((r = vb_put(p, v, b, 4)) || (r = next(p)))
			return r;
	}
	return next(p);
}

static int parse_bytes(struct parser *p, struct vbuf *v)
{
	int r;

	if ((r = next(p)))
		return r;
	while (!is_punct(p, ']')) {
		if (p->t != T_WORD || p->tlen % 2)
			return perr(p, "expected pairs of hex digits or ']' in a byte string", NULL);
		for (size_t i = 0; i < p->tlen; i += 2) {
			int hi = hex_digit((unsigned char)p->text[i]), lo = hex_digit((unsigned char)p->text[i + 1]);
			uint8_t b;
			if (hi < 0 || lo < 0)
				return perr(p, "\"%s\" is not hex bytes", p->text);
			b = (uint8_t)(hi << 4 | lo);
			if ((r = vb_put(p, v, &b, 1)))
				return r;
		}
		if ((r = next(p)))
			return r;
	}
	return next(p);
}

/* NAME [= value, ...] ; with NAME already consumed. */
static int parse_prop(struct parser *p, struct dt_node *n, const char *name, unsigned line)
{
	struct vbuf v = { 0 };
	char *file = NULL;
	uint64_t flen = 0;
	int r = 0;
	bool pieces = false;

	if (is_punct(p, '=')) {
		if ((r = next(p)))
			goto out;
		for (;;) {
			if (p->t == T_STRING) {
				r = vb_put(p, &v, p->text, p->tlen + 1);
				if (!r)
					r = next(p);
			} else if (is_punct(p, '<')) {
				r = parse_cells(p, &v);
			} else if (is_punct(p, '[')) {
				r = parse_bytes(p, &v);
			} else if (p->t == T_DIRECTIVE && !strcmp(p->text, "/incbin/")) {
				if (pieces || file) {
					r = perr(p, "/incbin/ must be a property's whole value", NULL);
					goto out;
				}
				if ((r = next(p)) || (r = expect(p, '(')))
					goto out;
				if (p->t != T_STRING) {
					r = perr(p, "/incbin/ expects (\"file\")", NULL);
					goto out;
				}
				if (!p->resolve) {
					r = perr(p, "/incbin/(\"%s\"): no files here", p->text);
					goto out;
				}
				r = p->resolve(p->ud, p->text, &file, &flen, p->d);
				if (r) {
					diag_prefix(p->d, "%s:%u: /incbin/(\"%s\")", p->fname, p->tline,
						    p->text);
					goto out;
				}
				if ((r = next(p)))
					goto out;
				if (is_punct(p, ',')) {
					r = perr(p, "/incbin/ with offset and length is not supported", NULL);
					goto out;
				}
				r = expect(p, ')');
			} else if (p->t == T_DIRECTIVE && !strcmp(p->text, "/bits/")) {
				r = perr(p, "/bits/ is not supported (cells are 32 bits)", NULL);
			} else if (is_punct(p, '&')) {
				r = perr(p, "references (&label) as values are not supported", NULL);
			} else {
				r = perr(p, "expected a value (\"string\", <cells>, [bytes] or /incbin/)", NULL);
			}
			if (r)
				goto out;
			if (file && v.len) {
				r = perr(p, "/incbin/ must be a property's whole value", NULL);
				goto out;
			}
			pieces = true;
			if (!is_punct(p, ','))
				break;
			if ((r = next(p)))
				goto out;
		}
	}
	if (!is_punct(p, ';')) {
		r = perr(p, "expected ';' after property %s", name);
		goto out;
	}
	if ((r = next(p)))
		goto out;
	r = file ? dt_set_file(n, name, file, flen) : dt_set(n, name, v.b, v.len);
	if (r)
		r = diag_fail(p->d, r, "out of memory");
	else
		dt_prop_find(n, name)->line = line;
out:
	free(file);
	free(v.b);
	return r;
}

static struct dt_node *find_label(struct dt_node *n, const char *label)
{
	if (n->label && !strcmp(n->label, label))
		return n;
	for (unsigned i = 0; i < n->nkids; i++) {
		struct dt_node *f = find_label(n->kids[i], label);
		if (f)
			return f;
	}
	return NULL;
}

static int parse_body(struct parser *p, struct dt_node *n, unsigned depth);

static bool valid_name(const char *s, bool node)
{
	for (; *s; s++)
		if (!word_char(*s) || (node && (*s == '#' || *s == '?' || *s == '*')))
			return false;
	return true;
}

/* After '{': contents, '}' and ';'. */
static int parse_block(struct parser *p, struct dt_node *n, unsigned depth)
{
	int r;

	if (depth > DT_MAX_DEPTH)
		return perr(p, "nodes nested deeper than 32", NULL);
	if ((r = parse_body(p, n, depth)))
		return r;
	if ((r = expect(p, '}')))
		return r;
	return expect(p, ';');
}

static int parse_body(struct parser *p, struct dt_node *n, unsigned depth)
{
	int r;

	while (p->t == T_WORD) {
		char *name = p->text, *label = NULL;
		unsigned line = p->tline;

		p->text = NULL;
		if ((r = next(p)))
			goto fail;
		while (is_punct(p, ':')) { /* label: [label:] name */
			free(label);
			label = name;
			name = NULL;
			if ((r = next(p)))
				goto fail;
			if (p->t != T_WORD) {
				r = perr(p, "expected a name after label %s:", label);
				goto fail;
			}
			name = p->text;
			line = p->tline;
			p->text = NULL;
			if ((r = next(p)))
				goto fail;
		}
		if (is_punct(p, '{')) {
			struct dt_node *k;
			if (!valid_name(name, true)) {
				r = perr(p, "\"%s\" is not a valid node name", name);
				goto fail;
			}
			k = dt_child(n, name, false);
			if (!k) {
				if (++p->nnodes > DT_MAX_NODES) {
					r = perr(p, "more than 4096 nodes", NULL);
					goto fail;
				}
				k = dt_child(n, name, true);
				if (!k) {
					r = diag_fail(p->d, -ENOMEM, "out of memory");
					goto fail;
				}
				k->line = line;
			}
			if (label) {
				free(k->label);
				k->label = label;
				label = NULL;
			}
			free(name);
			name = NULL;
			if ((r = next(p)) || (r = parse_block(p, k, depth + 1)))
				goto fail;
		} else {
			if (!valid_name(name, false)) {
				r = perr(p, "\"%s\" is not a valid property name", name);
				goto fail;
			}
			r = parse_prop(p, n, name, line);
			free(name);
			free(label);
			name = label = NULL;
			if (r)
				return r;
		}
		continue;
fail:
		free(name);
		free(label);
		return r;
	}
	if (p->t == T_DIRECTIVE)
		return perr(p, "%s is not supported inside a node", p->text);
	return 0;
}

int its_parse(const char *text, size_t len, const char *fname, its_resolve_fn resolve,
	      void *ud, struct dt_node **ret, struct diag *d)
{
	struct parser p = { .s = text, .end = text + len, .fname = fname, .line = 1,
			    .resolve = resolve, .ud = ud, .d = d };
	bool seen_version = false, seen_root = false;
	int r;

	p.root = dt_node_new("", 1);
	if (!p.root)
		return diag_fail(d, -ENOMEM, "out of memory");
	if ((r = next(&p)))
		goto out;
	while (p.t != T_EOF) {
		if (p.t == T_DIRECTIVE && !strcmp(p.text, "/dts-v1/")) {
			seen_version = true;
			if ((r = next(&p)) || (r = expect(&p, ';')))
				goto out;
		} else if (p.t == T_DIRECTIVE) {
			r = perr(&p, "%s is not supported in an .its", p.text);
			goto out;
		} else if (is_punct(&p, '/')) {
			seen_root = true;
			if ((r = next(&p)) || (r = expect(&p, '{')) || (r = parse_block(&p, p.root, 1)))
				goto out;
		} else if (is_punct(&p, '&')) {
			struct dt_node *n;
			if ((r = next(&p)))
				goto out;
			if (p.t != T_WORD) {
				r = perr(&p, "expected a label after '&'", NULL);
				goto out;
			}
			n = find_label(p.root, p.text);
			if (!n) {
				r = perr(&p, "label %s is not defined (before this use)", p.text);
				goto out;
			}
			if ((r = next(&p)) || (r = expect(&p, '{')) || (r = parse_block(&p, n, 1)))
				goto out;
		} else {
			r = perr(&p, "expected /dts-v1/; or a root node '/ {'", NULL);
			goto out;
		}
	}
	if (!seen_version) {
		p.tline = 1;
		r = perr(&p, "missing /dts-v1/; (an .its starts with it)", NULL);
		goto out;
	}
	if (!seen_root) {
		r = perr(&p, "no root node '/ { ... };'", NULL);
		goto out;
	}
	*ret = p.root;
	p.root = NULL;
out:
	free(p.text);
	dt_node_free(p.root);
	return r;
}
