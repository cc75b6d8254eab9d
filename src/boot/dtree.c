/* SPDX-License-Identifier: MIT */
#include "boot/dtree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/endian.h"

struct dt_node *dt_node_new(const char *name, unsigned line)
{
	struct dt_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strdup(name);
	n->line = line;
	if (!n->name) {
		free(n);
		return NULL;
	}
	return n;
}

void dt_node_free(struct dt_node *n)
{
	if (!n)
		return;
	for (unsigned i = 0; i < n->nprops; i++) {
		free(n->props[i].name);
		free(n->props[i].val);
		free(n->props[i].file);
	}
	free(n->props);
	for (unsigned i = 0; i < n->nkids; i++)
		dt_node_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n->label);
	free(n);
}

struct dt_node *dt_child(struct dt_node *n, const char *name, bool create)
{
	struct dt_node *k;

	for (unsigned i = 0; i < n->nkids; i++)
		if (!strcmp(n->kids[i]->name, name))
			return n->kids[i];
	if (!create)
		return NULL;
	if (n->nkids == n->capkids) {
		unsigned nc = n->capkids ? n->capkids * 2 : 4;
		struct dt_node **nk = realloc(n->kids, nc * sizeof(*nk));
		if (!nk)
			return NULL;
		n->kids = nk;
		n->capkids = nc;
	}
	k = dt_node_new(name, 0);
	if (!k)
		return NULL;
	k->parent = n;
	n->kids[n->nkids++] = k;
	return k;
}

struct dt_prop *dt_prop_find(const struct dt_node *n, const char *name)
{
	for (unsigned i = 0; i < n->nprops; i++)
		if (!strcmp(n->props[i].name, name))
			return &n->props[i];
	return NULL;
}

static struct dt_prop *prop_slot(struct dt_node *n, const char *name)
{
	struct dt_prop *p = dt_prop_find(n, name);

	if (p) {
		free(p->val);
		free(p->file);
		p->val = NULL;
		p->file = NULL;
		p->len = 0;
		return p;
	}
	if (n->nprops == n->capprops) {
		unsigned nc = n->capprops ? n->capprops * 2 : 8;
		struct dt_prop *np = realloc(n->props, nc * sizeof(*np));
		if (!np)
			return NULL;
		n->props = np;
		n->capprops = nc;
	}
	p = &n->props[n->nprops];
	memset(p, 0, sizeof(*p));
	p->name = strdup(name);
	if (!p->name)
		return NULL;
	n->nprops++;
	return p;
}

int dt_set(struct dt_node *n, const char *name, const void *val, size_t len)
{
	struct dt_prop *p = prop_slot(n, name);

	if (!p)
		return -ENOMEM;
	if (len) {
		p->val = malloc(len);
		if (!p->val)
			return -ENOMEM;
		memcpy(p->val, val, len);
	}
	p->len = len;
	return 0;
}

int dt_set_str(struct dt_node *n, const char *name, const char *s)
{
	return dt_set(n, name, s, strlen(s) + 1);
}

int dt_set_u32(struct dt_node *n, const char *name, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	return dt_set(n, name, b, 4);
}

int dt_set_file(struct dt_node *n, const char *name, const char *path, uint64_t len)
{
	struct dt_prop *p = prop_slot(n, name);

	if (!p)
		return -ENOMEM;
	p->file = strdup(path);
	p->len = len;
	return p->file ? 0 : -ENOMEM;
}

void dt_del(struct dt_node *n, const char *name)
{
	struct dt_prop *p = dt_prop_find(n, name);
	unsigned i;

	if (!p)
		return;
	i = (unsigned)(p - n->props);
	free(p->name);
	free(p->val);
	free(p->file);
	memmove(p, p + 1, (n->nprops - i - 1) * sizeof(*p));
	n->nprops--;
}

const char *dt_str(const struct dt_node *n, const char *name)
{
	const struct dt_prop *p = dt_prop_find(n, name);

	if (!p || p->file || !p->len || p->val[p->len - 1] || memchr(p->val, 0, p->len - 1))
		return NULL;
	return (const char *)p->val;
}

unsigned dt_count(const struct dt_node *n)
{
	unsigned c = 1;

	for (unsigned i = 0; i < n->nkids; i++)
		c += dt_count(n->kids[i]);
	return c;
}
