/* SPDX-License-Identifier: MIT */
#include "plan/vars.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/build.h"
#include "plan/trees-def.h"

int vars_expand(const struct build *b, const char *in, size_t inlen, char **ret,
		size_t *ret_len, char *bad, size_t badsz)
{
	const struct trees_state *st = b->trees;
	size_t cap = inlen + 64, o = 0;
	char *out = malloc(cap);

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < inlen;) {
		const char *val = NULL;
		size_t vlen = 0, adv = 1;
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
