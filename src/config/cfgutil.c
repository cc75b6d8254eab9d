/* SPDX-License-Identifier: MIT */
#include "config/cfgutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "plan/image.h"

#define MAX_HOLES 64

int cfg_fail(cfg_t *sec, const char *key, const char *value, int err, struct diag *d,
	     const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (value)
		return diag_fail(d, err, "%s:%d: %s = \"%s\": %s", sec->filename ? sec->filename : "?",
				 sec->line, key, value, why);
	return diag_fail(d, err, "%s:%d: %s: %s", sec->filename ? sec->filename : "?", sec->line,
			 key, why);
}

int cfg_get_size(cfg_t *sec, const char *key, unsigned flags, struct size_spec *ret,
		 bool *ret_set, struct diag *d)
{
	const char *v = cfg_getstr(sec, key);
	struct diag tmp = { 0 };
	int r;

	*ret_set = false;
	if (!v)
		return 0;
	r = size_parse(v, flags, ret, &tmp);
	if (r)
		return cfg_fail(sec, key, NULL, r, d, "%s", tmp.msg);
	if (ret->sloppy_b)
		diag_warn(d, "%s:%d: %s = \"%s\": trailing 'B' ignored as genimage does (means %s)",
			  sec->filename ? sec->filename : "?", sec->line, key, v,
			  "binary units");
	*ret_set = true;
	return 0;
}

int cfg_get_bytes(cfg_t *sec, const char *key, unsigned flags, uint64_t *ret, bool *ret_set,
		  struct diag *d)
{
	struct size_spec s;
	int r = cfg_get_size(sec, key, flags & ~SIZE_ALLOW_PERCENT, &s, ret_set, d);

	if (r)
		return r;
	*ret = *ret_set ? s.bytes : 0;
	return 0;
}

int cfg_dup_str(cfg_t *sec, const char *key, char **ret)
{
	const char *v = cfg_getstr(sec, key);

	*ret = NULL;
	if (!v)
		return 0;
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

int cfg_get_holes(cfg_t *sec, const char *key, struct hole **ret, unsigned *ret_n,
		  struct diag *d)
{
	unsigned n = cfg_size(sec, key);
	struct hole *v;

	*ret = NULL;
	*ret_n = 0;
	if (n > MAX_HOLES)
		return cfg_fail(sec, key, NULL, -E2BIG, d, "more than %d holes", MAX_HOLES);
	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		const char *h = cfg_getnstr(sec, key, i);
		char a[64], b[64];
		struct size_spec s1, s2;
		struct diag tmp = { 0 };
		int r = -EINVAL;

		/* genimage's format: "(START;END)" */
		if (sscanf(h, " ( %63[^; ] ; %63[^) ] ) ", a, b) != 2)
			r = cfg_fail(sec, key, h, -EINVAL, d, "expected \"(START;END)\"");
		else if (size_parse(a, 0, &s1, &tmp) || size_parse(b, 0, &s2, &tmp))
			r = cfg_fail(sec, key, h, -EINVAL, d, "%s", tmp.msg);
		else if (s2.bytes <= s1.bytes)
			r = cfg_fail(sec, key, h, -EINVAL, d, "end is not after start");
		else
			r = 0;
		if (r) {
			free(v);
			return r;
		}
		v[i].start = s1.bytes;
		v[i].end = s2.bytes;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
