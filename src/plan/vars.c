/* SPDX-License-Identifier: MIT */
#include "plan/vars.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/img-verity.h"
#include "plan/trees-def.h"

#define REF_VERITY "verity:"
#define REF_ROOTHASH ":roothash"

/*
 * ${verity:IMAGE:roothash}: the name of IMAGE in a reference of @nl
 * bytes at @name, or NULL when the reference is not one (a plain NAME).
 */
static const char *verity_ref(const char *name, size_t nl, size_t *ret_len)
{
	const size_t pl = strlen(REF_VERITY), sl = strlen(REF_ROOTHASH);

	if (nl <= pl + sl || strncmp(name, REF_VERITY, pl) ||
	    memcmp(name + nl - sl, REF_ROOTHASH, sl))
		return NULL;
	*ret_len = nl - pl - sl;
	return name + pl;
}

/* The value of ${verity:IMAGE:roothash} into @hex (65 bytes). */
static int verity_value(const struct build *b, const char *iname, size_t il, bool pending_ok,
			unsigned *npending, char hex[65])
{
	const struct image *img = NULL;

	for (unsigned k = 0; k < b->nimages && !img; k++)
		if (!b->images[k]->implicit && strlen(b->images[k]->name) == il &&
		    !strncmp(b->images[k]->name, iname, il))
			img = b->images[k];
	if (!img)
		return -ESRCH;
	if (img->handler != &verity_handler)
		return -ENXIO;
	if (!verity_image_root_hash(img, hex))
		return 0;
	if (!pending_ok)
		return -EAGAIN;
	/* Known once the data image is written: a stand-in of its length. */
	memset(hex, '0', 64);
	hex[64] = 0;
	(*npending)++;
	return 0;
}

static int expand(const struct build *b, const char *in, size_t inlen, bool pending_ok,
		  unsigned *npending, char **ret, size_t *ret_len, char *bad, size_t badsz)
{
	const struct trees_state *st = b->trees;
	size_t cap = inlen + 64, o = 0;
	char *out = malloc(cap), hex[65];

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < inlen;) {
		const char *val = NULL, *iname;
		size_t vlen = 0, adv = 1, il;
		if (in[i] == '$' && i + 2 < inlen && in[i + 1] == '$' && in[i + 2] == '{') {
			val = "${";
			vlen = 2;
			adv = 3;
		} else if (in[i] == '$' && i + 1 < inlen && in[i + 1] == '{') {
			const char *end = memchr(in + i + 2, '}', inlen - i - 2);
			size_t nl = end ? (size_t)(end - (in + i + 2)) : 0;
			if (!end || !nl || nl > 128 || memchr(in + i + 2, '\n', nl)) {
				snprintf(bad, badsz, "%.*s", (int)(inlen - i > 40 ? 40 : inlen - i), in + i);
				free(out);
				return -EINVAL;
			}
			const char *name = in + i + 2;
			if ((iname = verity_ref(name, nl, &il))) {
				int r = verity_value(b, iname, il, pending_ok, npending, hex);
				if (r) {
					snprintf(bad, badsz, "%.*s", (int)il, iname);
					free(out);
					return r;
				}
				val = hex;
			}
			for (unsigned k = 0; st && k < st->nvars && !val; k++)
				if (!strncmp(st->vars[k], name, nl) && st->vars[k][nl] == '=')
					val = st->vars[k] + nl + 1;
			for (char **e = b->envp; e && *e && !val; e++)
				if (!strncmp(*e, name, nl) && (*e)[nl] == '=')
					val = *e + nl + 1;
			if (!val) {
				snprintf(bad, badsz, "%.*s", (int)nl, name);
				free(out);
				return -ENOENT;
			}
			vlen = strlen(val);
			adv = nl + 3;
		} else {
			val = in + i;
			vlen = 1;
		}
		if (o + vlen + 1 > cap) {
			cap = (o + vlen + 1) * 2;
			if (cap > 2 * (size_t)VARS_EXPAND_MAX) {
				free(out);
				return -E2BIG;
			}
			char *n = realloc(out, cap);
			if (!n) {
				free(out);
				return -ENOMEM;
			}
			out = n;
		}
		memcpy(out + o, val, vlen);
		o += vlen;
		i += adv;
	}
	out[o] = 0;
	*ret = out;
	*ret_len = o;
	return 0;
}

int vars_expand(const struct build *b, const char *in, size_t inlen, char **ret,
		size_t *ret_len, char *bad, size_t badsz)
{
	return expand(b, in, inlen, false, NULL, ret, ret_len, bad, badsz);
}

int vars_expand_pending(const struct build *b, const char *in, size_t inlen,
			unsigned *ret_pending, char **ret, size_t *ret_len, char *bad, size_t badsz)
{
	*ret_pending = 0;
	return expand(b, in, inlen, true, ret_pending, ret, ret_len, bad, badsz);
}

int vars_depend(struct image *img, const char *in, size_t inlen)
{
	for (size_t i = 0; i + 1 < inlen; i++) {
		const char *end, *iname;
		size_t il;

		if (in[i] == '$' && in[i + 1] == '$') {
			i++; /* "$${" is literal text */
			continue;
		}
		if (in[i] != '$' || in[i + 1] != '{' ||
		    !(end = memchr(in + i + 2, '}', inlen - i - 2)))
			continue;
		iname = verity_ref(in + i + 2, (size_t)(end - (in + i + 2)), &il);
		if (iname && il) {
			char *n = strndup(iname, il);
			int r = n ? image_depend(img, n) : -ENOMEM;

			free(n);
			if (r)
				return r;
		}
		i = (size_t)(end - in);
	}
	return 0;
}

int vars_ref_fail(int r, const char *what, const char *bad, struct diag *d)
{
	switch (r) {
	case -ESRCH:
		return diag_fail(d, r, "%s: ${verity:%s:roothash}: no image '%s'", what, bad, bad);
	case -ENXIO:
		return diag_fail(d, r, "%s: ${verity:%s:roothash}: image '%s' is not a verity image",
				 what, bad, bad);
	case -EAGAIN:
		return diag_fail(d, r, "%s: ${verity:%s:roothash}: the root hash is known only once \"%s\" is written (U-Boot environment files can use it; trees are made before any image)",
				 what, bad, bad);
	default:
		return 0;
	}
}
