/* SPDX-License-Identifier: MIT */
/* The tree's arena: nodes and strings (see tree-int.h). */
#include <stdlib.h>
#include <string.h>

#include "fs/tree-int.h"

/*
 * The arena: nodes and strings are bumped out of chunks that only
 * tree_free() releases, so a node costs its 128 bytes and a name its
 * bytes plus a NUL, instead of a malloc each with its header and
 * rounding. Freed nodes go on a list for reuse; strings of removed nodes
 * stay until tree_free() (removal is rare: overrides).
 *
 * Source paths given to tree_add() are interned through a small cache
 * of recent ones: every spill-file member shares one copy. Files that
 * tree_add_dir() imports store no path of their own (SRC_DIR_MARK).
 */
#define MEM_CHUNK_MIN (16u << 10)
#define MEM_CHUNK_MAX (1u << 20)

void *tree_mem_alloc(struct tree_mem *m, size_t len, size_t align)
{
	struct mem_chunk *c = m->nchunks ? &m->chunks[m->nchunks - 1] : NULL;

	if (c) {
		size_t at = (c->used + align - 1) & ~(align - 1);
		if (at <= c->size && len <= c->size - at) {
			c->used = at + len;
			return c->base + at;
		}
	}
	/* Chunks double up to MEM_CHUNK_MAX: small trees stay small, big
	 * ones have few chunks (tree_mem_owns() scans them). */
	size_t size = c ? (c->size < MEM_CHUNK_MAX ? c->size * 2 : c->size) : MEM_CHUNK_MIN;
	if (size < len)
		size = len;
	if (m->nchunks == m->capchunks) {
		size_t nc = m->capchunks ? m->capchunks * 2 : 8;
		struct mem_chunk *nv = realloc(m->chunks, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		m->chunks = nv;
		m->capchunks = nc;
	}
	char *base = malloc(size);
	if (!base)
		return NULL;
	m->chunks[m->nchunks++] = (struct mem_chunk){ base, len, size };
	return base;
}

/* Is @p inside the arena (rather than a heap string someone put there)? */
bool tree_mem_owns(const struct tree_mem *m, const void *p)
{
	const char *q = p;

	for (size_t i = m->nchunks; i-- > 0;)
		if (q >= m->chunks[i].base && q < m->chunks[i].base + m->chunks[i].size)
			return true;
	return false;
}

char *tree_mem_strndup(struct tree_mem *m, const char *s, size_t len)
{
	char *r = tree_mem_alloc(m, len + 1, 1);

	if (!r)
		return NULL;
	memcpy(r, s, len);
	r[len] = 0;
	return r;
}

char *tree_mem_intern(struct tree_mem *m, const char *s)
{
	unsigned i;

	for (i = 0; i < MEM_RECENT && m->recent[i]; i++)
		if (!strcmp(m->recent[i], s))
			break;
	const char *r = i < MEM_RECENT ? m->recent[i] : NULL;
	if (!r) {
		r = tree_mem_strndup(m, s, strlen(s));
		if (!r)
			return NULL;
		i = MEM_RECENT - 1;
	}
	memmove(m->recent + 1, m->recent, i * sizeof(*m->recent));
	m->recent[0] = r;
	return (char *)r;
}

/* Release a string field unless the arena holds it. */
void tree_mem_drop(const struct tree_mem *m, char **p)
{
	if (*p && !tree_mem_owns(m, *p))
		free(*p);
	*p = NULL;
}

void tree_mem_release(struct tree_mem *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nchunks; i++)
		free(m->chunks[i].base);
	free(m->chunks);
	free(m);
}
