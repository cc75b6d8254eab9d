/* SPDX-License-Identifier: MIT */
/* The text files of a subset of a kernel's modules (kmod-dep.h):
 * modules.dep, modules.softdep, modules.alias. */
#include "fs/kmod-dep.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "fs/kmod-int.h"

static void puts_(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* Hand out @b's text, or free it when @r (or @b itself) failed. */
static int buf_done(struct buf *b, int r, char **ret, size_t *ret_len)
{
	if (!r && !b->err && !b->p)
		buf_put(b, "", 0);
	if (r || b->err) {
		free(b->p);
		return r ? r : b->err;
	}
	*ret = b->p;
	*ret_len = b->len;
	return 0;
}

/* Post-order walk of @i's hard dependencies: @out gets each module
 * after everything it needs (a load order). A cycle is cut where it
 * closes. */
static int load_order(struct kmod_db *db, unsigned i, unsigned mark, struct kmod_stack *out)
{
	struct kmod_mod *m = &db->mods[i];
	int r;

	m->mark = mark;
	for (unsigned k = 0; k < m->ndeps; k++) {
		struct kmod_mod *dep = kmod_db_find(db, m->deps[k]);
		if (dep && dep->mark != mark && (r = load_order(db, (unsigned)(dep - db->mods), mark, out)))
			return r;
	}
	return kmod_stack_push(out, i);
}

static int by_path(const void *a, const void *b)
{
	const struct kmod_mod *const *x = a, *const *y = b;
	return strcmp((*x)->path, (*y)->path);
}

/* The picked modules in path order (malloc'd, *ret_n entries). */
static int picked_by_path(struct kmod_db *db, struct kmod_mod ***ret, unsigned *ret_n)
{
	unsigned n = 0;
	struct kmod_mod **v;

	kmod_db_sort(db);
	v = calloc(db->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (unsigned i = 0; i < db->n; i++)
		if (db->mods[i].picked)
			v[n++] = &db->mods[i];
	qsort(v, n, sizeof(*v), by_path);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The picked modules in path order, every mark cleared for a walk. */
static int picked_reset(struct kmod_db *db, struct kmod_mod ***ret, unsigned *ret_n)
{
	int r = picked_by_path(db, ret, ret_n);

	for (unsigned i = 0; !r && i < db->n; i++)
		db->mods[i].mark = 0;
	return r;
}

/* "PATH: DEP ..." of @m into @b (the line modules.dep and its index hold). */
static int dep_line_of(struct kmod_db *db, struct kmod_mod *m, unsigned mark, struct buf *b)
{
	struct kmod_stack order = { 0 };
	int r;

	puts_(b, m->path);
	buf_put(b, ":", 1);
	r = load_order(db, (unsigned)(m - db->mods), mark, &order);
	/* The last is @m itself; the rest, last loaded first. */
	for (unsigned k = order.n; !r && k-- > 1;) {
		buf_put(b, " ", 1);
		puts_(b, db->mods[order.v[k - 1]].path);
	}
	free(order.v);
	return r;
}

/* Text of the picked modules, in path order: @head, then @line's text
 * for each module. */
static int write_text(struct kmod_db *db, const char *head,
		      int (*line)(struct kmod_db *, struct kmod_mod *, unsigned *, struct buf *),
		      char **ret, size_t *ret_len)
{
	struct kmod_mod **v;
	struct buf b = { 0 };
	unsigned n, mark = 0;
	int r;

	if ((r = picked_reset(db, &v, &n)))
		return r;
	if (head)
		puts_(&b, head);
	for (unsigned i = 0; i < n && !r; i++)
		r = line(db, v[i], &mark, &b);
	free(v);
	return buf_done(&b, r, ret, ret_len);
}

static int dep_text(struct kmod_db *db, struct kmod_mod *m, unsigned *mark, struct buf *b)
{
	int r = dep_line_of(db, m, ++*mark, b);
	buf_put(b, "\n", 1);
	return r;
}

int kmod_write_dep(struct kmod_db *db, char **ret, size_t *ret_len)
{
	return write_text(db, NULL, dep_text, ret, ret_len);
}

/* Append " NAME" for each picked module the names @v resolve to;
 * the count of names appended. */
static unsigned put_resolved(struct kmod_db *db, char **v, unsigned n, unsigned *mark,
			     struct buf *b)
{
	unsigned cnt = 0;

	for (unsigned k = 0; k < n; k++) {
		if (!kmod_db_resolve(db, v[k], ++*mark))
			continue;
		for (unsigned i = 0; i < db->n; i++)
			if (db->mods[i].mark == *mark && db->mods[i].picked) {
				if (b) {
					buf_put(b, " ", 1);
					puts_(b, db->mods[i].name);
				}
				cnt++;
			}
	}
	return cnt;
}

/* Soft dependencies are written as the modules they resolved to in this
 * subset: the subset's own aliases may not cover what the kernel's did. */
static int softdep_text(struct kmod_db *db, struct kmod_mod *m, unsigned *mark, struct buf *b)
{
	unsigned npre = put_resolved(db, m->pre, m->npre, mark, NULL);
	unsigned npost = put_resolved(db, m->post, m->npost, mark, NULL);

	if (!npre && !npost)
		return 0;
	puts_(b, "softdep ");
	puts_(b, m->name);
	if (npre) {
		puts_(b, " pre:");
		put_resolved(db, m->pre, m->npre, mark, b);
	}
	if (npost) {
		puts_(b, " post:");
		put_resolved(db, m->post, m->npost, mark, b);
	}
	buf_put(b, "\n", 1);
	return 0;
}

int kmod_write_softdep(struct kmod_db *db, char **ret, size_t *ret_len)
{
	return write_text(db, "# Soft dependencies of the modules kiln selected.\n", softdep_text,
			  ret, ret_len);
}

static int alias_text(struct kmod_db *db, struct kmod_mod *m, unsigned *mark, struct buf *b)
{
	for (unsigned k = 0; k < m->naliases; k++) {
		puts_(b, "alias ");
		puts_(b, m->aliases[k]);
		buf_put(b, " ", 1);
		puts_(b, m->name);
		buf_put(b, "\n", 1);
	}
	return 0;
}

int kmod_write_alias(struct kmod_db *db, char **ret, size_t *ret_len)
{
	return write_text(db, "# Aliases of the modules kiln selected.\n", alias_text, ret,
			  ret_len);
}

/* For kmod-index.c: the dependency line of @m (malloc'd). */
int kmod_dep_line(struct kmod_db *db, struct kmod_mod *m, unsigned mark, char **ret)
{
	struct buf b = { 0 };
	size_t len;

	return buf_done(&b, dep_line_of(db, m, mark, &b), ret, &len);
}

int kmod_picked(struct kmod_db *db, struct kmod_mod ***ret, unsigned *ret_n)
{
	return picked_reset(db, ret, ret_n);
}
