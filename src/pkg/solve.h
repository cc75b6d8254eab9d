/* SPDX-License-Identifier: MIT */
#ifndef KILN_PKG_SOLVE_H
#define KILN_PKG_SOLVE_H

/* Internal to src/pkg: one repository's packages in a libsolv pool, and
 * resolving a layer's request against it (solve.c). */

#include <stddef.h>

#include "pkg/pkg.h"

struct diag;
struct pkg_pool;

/* A pool for @archs (the first is native). */
int pkg_pool_new(const char *const *archs, unsigned narchs, struct pkg_pool **ret,
		 struct diag *d);
void pkg_pool_free(struct pkg_pool *p);

/* Add one Packages index (text; @name for messages). */
int pkg_pool_add(struct pkg_pool *p, const char *text, size_t len, const char *name,
		 struct diag *d);

/*
 * pkg_pool_solve - resolve @lr into @out (packages sorted by name).
 * -ENOENT when a package is missing or the request cannot be satisfied:
 * the message names the layer and the broken dependency.
 */
int pkg_pool_solve(struct pkg_pool *p, const struct pkg_layer_req *lr, unsigned repo_index,
		   const char *repo_name, struct pkg_lock_layer *out, struct diag *d);

#endif
