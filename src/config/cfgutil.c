/* SPDX-License-Identifier: MIT */
#include "config/cfgutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "config/config.h"

int cfg_fail(cfg_t *sec, const char *key, const char *value, int err, struct diag *d,
	     const char *fmt, ...)
{
	cfg_opt_t *o = value ? cfg_getopt(sec, key) : NULL;
	unsigned line, idx = 0;
	const char *file;
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* A list's element (@value points into it): the line of that element. */
	for (unsigned i = 0; o && o->type == CFGT_STR && i < o->nvalues; i++)
		if (cfg_opt_getnstr(o, i) == value) {
			idx = i;
			break;
		}
	config_where(sec, key, idx, &file, &line);
	if (value)
		return diag_fail(d, err, "%s:%u: %s = \"%s\": %s", file, line, key, value, why);
	return diag_fail(d, err, "%s:%u: %s: %s", file, line, key, why);
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
	if (ret->sloppy_b) {
		const char *file;
		unsigned line;

		config_where(sec, key, 0, &file, &line);
		diag_warn(d, "%s:%u: %s = \"%s\": trailing 'B' ignored as genimage does (means %s)",
			  file, line, key, v, "binary units");
	}
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

