/* SPDX-License-Identifier: MIT */
#ifndef KILN_CONFIG_CFGUTIL_H
#define KILN_CONFIG_CFGUTIL_H

/* Helpers for handlers reading their libconfuse section: each reports
 * errors as "FILE:LINE: KEY = VALUE: why". */

#include <confuse.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/size.h"

struct diag;

/* Read size option @key of @sec. Unset: *ret_set = false, 0 returned.
 * @flags: SIZE_ALLOW_PERCENT / SIZE_ALLOW_SLOPPY_B. */
int cfg_get_size(cfg_t *sec, const char *key, unsigned flags, struct size_spec *ret,
		 bool *ret_set, struct diag *d);

/* Same, for a plain byte count (no percent). */
int cfg_get_bytes(cfg_t *sec, const char *key, unsigned flags, uint64_t *ret, bool *ret_set,
		  struct diag *d);

/* Fail with "FILE:LINE: KEY = \"VALUE\": MSG", LINE being where the value
 * (for a list: the element @value points into) was written. */
int cfg_fail(cfg_t *sec, const char *key, const char *value, int err, struct diag *d,
	     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Duplicate a string option (NULL when unset). -ENOMEM on failure. */
int cfg_dup_str(cfg_t *sec, const char *key, char **ret);

#endif
