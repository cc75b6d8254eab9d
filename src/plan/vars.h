/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_VARS_H
#define KILN_PLAN_VARS_H

/*
 * ${NAME} expansion, one engine for every text kiln expands (tree files,
 * U-Boot environments): NAME is looked up in the config's top-level
 * `vars` list, then in the environment (b->envp); `$${` is a literal
 * "${"; anything else is copied.
 */

#include <stddef.h>

struct build;

#define VARS_EXPAND_MAX (16u << 20) /* expanded text is at most twice this */

/*
 * vars_expand - expand @in (@inlen bytes) into a new NUL-terminated
 * string *ret (*ret_len bytes, without the NUL).
 * Returns 0; -ENOENT (undefined name, copied into @bad), -EINVAL
 * (malformed reference, its start copied into @bad), -E2BIG (result too
 * large), -ENOMEM.
 */
int vars_expand(const struct build *b, const char *in, size_t inlen, char **ret,
		size_t *ret_len, char *bad, size_t badsz);

#endif
