/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_KMOD_INT_H
#define KILN_FS_KMOD_INT_H

/* Internal to src/fs/kmod-*.c. */

#include "fs/kmod-dep.h"

/* A work list of module indexes. */
struct kmod_stack {
	unsigned *v, n, cap;
};

/* Push @i; 0 or -ENOMEM. */
int kmod_stack_push(struct kmod_stack *s, unsigned i);

/* Sort the modules by name (once after additions); of two of one name
 * the first added stays. */
void kmod_db_sort(struct kmod_db *db);

#endif
