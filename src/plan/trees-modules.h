/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_TREES_MODULES_H
#define KILN_PLAN_TREES_MODULES_H

/*
 * A module selection (trees-modules.c) and its record in the store
 * (trees-modules-cache.c): what select_modules() decides is a pure
 * function of the layer's scratch tree and the names asked for, so a
 * warm build takes it from an ac/ record and reads no module.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"
#include "fs/tree.h"

struct build;
struct diag;
struct tree_layer;

enum { GEN_DEP, GEN_DEP_BIN, GEN_SOFTDEP, GEN_ALIAS, GEN_ALIAS_BIN, GEN_MAX };

/* The first composition's result, replayed by later ones. */
struct trees_kmod {
	struct tree *scratch;   /* the layer's source as read */
	char *vdir;             /* "lib/modules/VERSION" in the scratch tree */
	char **keep;            /* paths (in the scratch tree) that enter the image */
	unsigned nkeep;
	char *gen[GEN_MAX];
	size_t genlen[GEN_MAX];
};

/*
 * kmod_cache_key - the key of @l's selection from scratch tree @s
 * (composed under policy @pol): its every node (path, type, size, link)
 * and their data, named by an archive layer's store key or else by
 * store blob and offset; the names asked for and the record's format.
 * -ENOENT when some file's data is in no store blob (a dir layer): not
 * kept, resolved as without a store.
 */
int kmod_cache_key(struct build *b, struct tree *s, const struct tree_layer *l,
		   enum tree_conflict pol, uint8_t key[SHA256_LEN]);
/* kmod_cache_get - fill @k's keep and gen (its scratch and vdir set) from
 * the record for @key;
 * -ENOENT on a miss (a bad record is warned about through @d). */
int kmod_cache_get(struct build *b, const uint8_t key[SHA256_LEN], struct trees_kmod *k,
		   struct diag *d);
/* kmod_cache_put - record @k's selection under @key; failures only warn. */
void kmod_cache_put(struct build *b, const uint8_t key[SHA256_LEN], const struct trees_kmod *k,
		    struct diag *d);

#endif
