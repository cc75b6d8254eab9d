/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_TREE_INT_H
#define KILN_FS_TREE_INT_H

/* Internal to src/fs/tree*.c: the arena (tree-mem.c) and source paths. */

#include <stdbool.h>
#include <stddef.h>

#include "fs/tree.h"

#define MEM_RECENT 8

struct tree_mem {
	struct mem_chunk {
		char *base;
		size_t used, size;
	} *chunks;
	size_t nchunks, capchunks;
	struct tree_node *free_nodes; /* linked through ->parent */
	const char *recent[MEM_RECENT]; /* interned source paths, newest first */
};

/* @len bytes aligned to @align, freed only by tree_mem_release(); NULL
 * when out of memory. */
void *tree_mem_alloc(struct tree_mem *m, size_t len, size_t align);
/* Is @p inside the arena (rather than a heap string someone put there)? */
bool tree_mem_owns(const struct tree_mem *m, const void *p);
/* Copy of @s[0..@len) with a NUL, in the arena. */
char *tree_mem_strndup(struct tree_mem *m, const char *s, size_t len);
/* Arena copy of @s, shared with recent equal strings. */
char *tree_mem_intern(struct tree_mem *m, const char *s);
/* Release a string field unless the arena holds it; *@p becomes NULL. */
void tree_mem_drop(const struct tree_mem *m, char **p);
/* Free every chunk and @m itself (NULL: nothing). */
void tree_mem_release(struct tree_mem *m);

/*
 * A src_path starting with this byte is a host directory, shared by the
 * files imported from it: their path is it, '/', and their name. A real
 * path starting with it gets "./" in front (tree_node_set_src()).
 */
#define SRC_DIR_MARK '\x01'

static inline bool src_is_dir(const char *p)
{
	return p && p[0] == SRC_DIR_MARK;
}

#endif
