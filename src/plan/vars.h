/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_VARS_H
#define KILN_PLAN_VARS_H

/*
 * ${NAME} expansion, one engine for every text kiln expands (tree files,
 * U-Boot environments): NAME is looked up in the config's top-level
 * `vars` list, then in the environment (b->envp); `$${` is a literal
 * "${"; anything else is copied.
 *
 * ${verity:IMAGE:roothash} is the hex root hash of `verity` image IMAGE
 * (64 digits). It is known after setup when IMAGE's data is an input
 * file, else only once IMAGE is written: a handler that expands it must
 * declare the dependency (vars_depend) so IMAGE is generated first, plan
 * with vars_expand_pending and expand again in its generate.
 */

#include <stddef.h>

struct build;
struct diag;
struct image;

#define VARS_EXPAND_MAX (16u << 20) /* expanded text is at most twice this */

/*
 * vars_expand - expand @in (@inlen bytes) into a new NUL-terminated
 * string *ret (*ret_len bytes, without the NUL).
 * Returns 0; -ENOENT (undefined name, copied into @bad), -EINVAL
 * (malformed reference, its start copied into @bad), -E2BIG (result too
 * large), -ENOMEM; for ${verity:IMAGE:roothash} (IMAGE copied into @bad)
 * -ESRCH (no such image), -ENXIO (not a verity image), -EAGAIN (root
 * hash not known yet).
 */
int vars_expand(const struct build *b, const char *in, size_t inlen, char **ret,
		size_t *ret_len, char *bad, size_t badsz);

/*
 * vars_expand_pending - vars_expand for planning: a root hash not known
 * yet expands to 64 '0' (the length it will have) instead of -EAGAIN;
 * *ret_pending counts them.
 */
int vars_expand_pending(const struct build *b, const char *in, size_t inlen,
			unsigned *ret_pending, char **ret, size_t *ret_len, char *bad, size_t badsz);

/*
 * vars_depend - image_depend(@img, IMAGE) for every ${verity:IMAGE:...}
 * in @in (@inlen bytes), so the planner orders IMAGE first.
 * Returns 0 or -ENOMEM.
 */
int vars_depend(struct image *img, const char *in, size_t inlen);

/*
 * vars_ref_fail - the diag "@what: ${verity:IMAGE:roothash}: why" for
 * vars_expand's -ESRCH, -ENXIO and -EAGAIN (IMAGE in @bad) and their
 * return value; 0 (no diag) for any other @r.
 */
int vars_ref_fail(int r, const char *what, const char *bad, struct diag *d);

#endif
