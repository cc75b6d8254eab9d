/* SPDX-License-Identifier: MIT */
/* Kernel module dependencies: the model, the kernel's text files read,
 * and the closure of a set of names (kmod-dep.h). The files written for
 * a subset are kmod-text.c and kmod-index.c. */
#include "fs/kmod-dep.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/kmod-int.h"

void kmod_db_init(struct kmod_db *db)
{
	memset(db, 0, sizeof(*db));
}

static void strv_free(char **v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void mod_release(struct kmod_mod *m);

void kmod_db_release(struct kmod_db *db)
{
	for (unsigned i = 0; i < db->n; i++)
		mod_release(&db->mods[i]);
	free(db->mods);
	strv_free(db->builtin, db->nbuiltin);
	kmod_db_init(db);
}

static const char *const ko_suffixes[] = { ".ko", ".ko.xz", ".ko.gz", ".ko.zst" };

bool kmod_is_module_path(const char *path)
{
	size_t l = strlen(path);
	for (unsigned i = 0; i < sizeof(ko_suffixes) / sizeof(ko_suffixes[0]); i++) {
		size_t s = strlen(ko_suffixes[i]);
		if (l > s && !strcmp(path + l - s, ko_suffixes[i]))
			return path[l - s - 1] != '/';
	}
	return false;
}

int kmod_name(const char *p, char *out, size_t outsz)
{
	const char *base = strrchr(p, '/');
	size_t l;

	base = base ? base + 1 : p;
	l = strlen(base);
	for (unsigned i = 0; i < sizeof(ko_suffixes) / sizeof(ko_suffixes[0]); i++) {
		size_t s = strlen(ko_suffixes[i]);
		if (l >= s && !strcmp(base + l - s, ko_suffixes[i])) {
			l -= s;
			break;
		}
	}
	if (!l)
		return -EINVAL;
	if (l >= outsz)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < l; i++)
		out[i] = base[i] == '-' ? '_' : base[i];
	out[l] = 0;
	return 0;
}

int kmod_alias_norm(const char *alias, char *out, size_t outsz)
{
	size_t i = 0;

	for (; alias[i]; i++) {
		if (i + 1 >= outsz)
			return -ENAMETOOLONG;
		if (alias[i] == ']')
			return -EINVAL;
		if (alias[i] != '[') {
			out[i] = alias[i] == '-' ? '_' : alias[i];
			continue;
		}
		/* A bracket expression is kept as written. */
		for (; alias[i] && alias[i] != ']'; i++) {
			if (i + 1 >= outsz)
				return -ENAMETOOLONG;
			out[i] = alias[i];
		}
		if (!alias[i] || i + 1 >= outsz)
			return alias[i] ? -ENAMETOOLONG : -EINVAL;
		out[i] = ']';
	}
	out[i] = 0;
	return 0;
}

/* Append a copy of @s (@len bytes) to @v, at most KMOD_MAX_LIST. */
static int push(char ***v, unsigned *n, const char *s, size_t len)
{
	char **nv, *c;

	if (*n >= KMOD_MAX_LIST)
		return -E2BIG;
	if (!(c = strndup(s, len)))
		return -ENOMEM;
	if (!(nv = realloc(*v, (*n + 1) * sizeof(*nv)))) {
		free(c);
		return -ENOMEM;
	}
	nv[(*n)++] = c;
	*v = nv;
	return 0;
}

/* Push a module name (normalised) taken from @s (@len bytes). */
static int push_name(char ***v, unsigned *n, const char *s, size_t len)
{
	char buf[KMOD_MAX_NAME], name[KMOD_MAX_NAME];
	int r;

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, s, len);
	buf[len] = 0;
	if ((r = kmod_name(buf, name, sizeof(name))))
		return r;
	return push(v, n, name, strlen(name));
}

static int name_cmp(const void *a, const void *b)
{
	const struct kmod_mod *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b)
{
	const struct kmod_mod *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	/* Equal names: the first added first (mark holds the order). */
	return c ? c : x->mark < y->mark ? -1 : x->mark > y->mark;
}

static void mod_release(struct kmod_mod *m)
{
	free(m->name);
	free(m->path);
	strv_free(m->deps, m->ndeps);
	strv_free(m->pre, m->npre);
	strv_free(m->post, m->npost);
	strv_free(m->aliases, m->naliases);
}

/* Sort by name once all modules are added; of two files with one name
 * the first added stays (depmod keeps one too). */
void kmod_db_sort(struct kmod_db *db)
{
	unsigned k = 0;

	if (db->sorted)
		return;
	db->sorted = true;
	if (!db->n)
		return;
	for (unsigned i = 0; i < db->n; i++)
		db->mods[i].mark = i;
	qsort(db->mods, db->n, sizeof(*db->mods), by_name);
	for (unsigned i = 0; i < db->n; i++) {
		if (k && !strcmp(db->mods[k - 1].name, db->mods[i].name))
			mod_release(&db->mods[i]);
		else
			db->mods[k++] = db->mods[i];
	}
	db->n = k;
}

struct kmod_mod *kmod_db_find(struct kmod_db *db, const char *name)
{
	char key[KMOD_MAX_NAME];
	struct kmod_mod k = { .name = key };

	if (kmod_name(name, key, sizeof(key)))
		return NULL;
	kmod_db_sort(db);
	return db->n ? bsearch(&k, db->mods, db->n, sizeof(*db->mods), name_cmp) : NULL;
}

int kmod_db_add(struct kmod_db *db, const char *path, struct kmod_mod **ret)
{
	char name[KMOD_MAX_NAME];
	struct kmod_mod *m;
	int r;

	if (ret)
		*ret = NULL;
	if (!kmod_is_module_path(path))
		return -EINVAL;
	if ((r = kmod_name(path, name, sizeof(name))))
		return r;
	if (db->n >= KMOD_MAX_MODULES)
		return -E2BIG;
	if (db->n == db->cap) {
		unsigned cap = db->cap ? db->cap * 2 : 64;
		struct kmod_mod *nm = realloc(db->mods, cap * sizeof(*nm));
		if (!nm)
			return -ENOMEM;
		db->mods = nm;
		db->cap = cap;
	}
	m = &db->mods[db->n];
	memset(m, 0, sizeof(*m));
	if (!(m->name = strdup(name)) || !(m->path = strdup(path))) {
		free(m->name);
		free(m->path);
		return -ENOMEM;
	}
	db->n++;
	db->sorted = false;
	if (ret)
		*ret = m;
	return 0;
}

bool kmod_db_is_builtin(const struct kmod_db *db, const char *name)
{
	char key[KMOD_MAX_NAME];

	if (kmod_name(name, key, sizeof(key)))
		return false;
	for (unsigned i = 0; i < db->nbuiltin; i++)
		if (!strcmp(db->builtin[i], key))
			return true;
	return false;
}

/* Split @s (@len bytes) on any of @seps, calling @fn for each non-empty word. */
static int words(const char *s, size_t len, const char *seps,
		 int (*fn)(void *ud, const char *w, size_t wl), void *ud)
{
	size_t i = 0;
	int r;

	while (i < len) {
		while (i < len && strchr(seps, s[i]) && s[i])
			i++;
		size_t st = i;
		while (i < len && !strchr(seps, s[i]) && s[i])
			i++;
		if (i > st && (r = fn(ud, s + st, i - st)))
			return r;
		if (i < len && !s[i])
			break;
	}
	return 0;
}

struct soft_ctx {
	struct kmod_mod *m;
	int which; /* 0: none yet, 1: pre, 2: post */
};

static int soft_word(void *ud, const char *w, size_t wl)
{
	struct soft_ctx *c = ud;

	if (wl == 4 && !memcmp(w, "pre:", 4))
		c->which = 1;
	else if (wl == 5 && !memcmp(w, "post:", 5))
		c->which = 2;
	else if (c->which == 1)
		return push(&c->m->pre, &c->m->npre, w, wl);
	else if (c->which == 2)
		return push(&c->m->post, &c->m->npost, w, wl);
	else
		return -EINVAL;
	return 0;
}

static int dep_word(void *ud, const char *w, size_t wl)
{
	struct kmod_mod *m = ud;
	return push_name(&m->deps, &m->ndeps, w, wl);
}

int kmod_modinfo_apply(struct kmod_mod *m, const char *info, size_t len)
{
	size_t i = 0;
	int r = 0;

	m->deps_known = true;
	while (i < len && !r) {
		const char *s = info + i;
		size_t l = strnlen(s, len - i);
		if (l > 8 && !memcmp(s, "depends=", 8)) {
			r = words(s + 8, l - 8, ",", dep_word, m);
		} else if (l > 8 && !memcmp(s, "softdep=", 8)) {
			/* A bad softdep is the module's problem, not the build's:
			 * modprobe ignores what it cannot parse, so do we. */
			struct soft_ctx c = { m, 0 };
			r = words(s + 8, l - 8, " \t", soft_word, &c);
			if (r == -EINVAL)
				r = 0;
		} else if (l > 6 && !memcmp(s, "alias=", 6)) {
			r = push(&m->aliases, &m->naliases, s + 6, l - 6);
		}
		i += l + 1;
	}
	return r;
}

/* Iterate over the lines of @text: @fn gets each (without '\n'). */
static int lines(const char *text, size_t len, unsigned *ret_line,
		 int (*fn)(struct kmod_db *db, const char *l, size_t ll), struct kmod_db *db)
{
	unsigned no = 0;
	size_t i = 0;
	int r;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - (text + i)) : len - i;
		no++;
		if (memchr(text + i, 0, ll))
			r = -EINVAL;
		else
			r = fn(db, text + i, ll);
		if (r) {
			if (ret_line)
				*ret_line = no;
			return r;
		}
		i += ll + 1;
	}
	return 0;
}

static bool blank_or_comment(const char *l, size_t ll)
{
	size_t i = 0;
	while (i < ll && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r'))
		i++;
	return i == ll || l[i] == '#';
}

static int dep_line(struct kmod_db *db, const char *l, size_t ll)
{
	char path[KMOD_MAX_NAME];
	const char *colon;
	struct kmod_mod *m;
	int r;

	if (blank_or_comment(l, ll))
		return 0;
	colon = memchr(l, ':', ll);
	if (!colon || colon == l || (size_t)(colon - l) >= sizeof(path))
		return -EINVAL;
	memcpy(path, l, (size_t)(colon - l));
	path[colon - l] = 0;
	if ((r = kmod_db_add(db, path, &m)))
		return r;
	m->deps_known = true;
	r = words(colon + 1, ll - (size_t)(colon + 1 - l), " \t\r", dep_word, m);
	/* The line is last-loaded first: keep them in load order, so that
	 * writing the line again gives it back as it was. */
	for (unsigned i = 0; !r && i < m->ndeps / 2; i++) {
		char *t = m->deps[i];
		m->deps[i] = m->deps[m->ndeps - 1 - i];
		m->deps[m->ndeps - 1 - i] = t;
	}
	return r;
}

/* "KEYWORD NAME rest": the module of NAME (NULL if unknown) and the rest. */
static int keyword_line(struct kmod_db *db, const char *l, size_t ll, const char *kw,
			struct kmod_mod **ret_m, const char **ret_rest, size_t *ret_rl,
			char *name, size_t namesz)
{
	size_t kl = strlen(kw), i, st;

	*ret_m = NULL;
	if (ll < kl + 1 || memcmp(l, kw, kl) || (l[kl] != ' ' && l[kl] != '\t'))
		return -EINVAL;
	for (i = kl; i < ll && (l[i] == ' ' || l[i] == '\t'); i++)
		;
	for (st = i; i < ll && l[i] != ' ' && l[i] != '\t' && l[i] != '\r'; i++)
		;
	if (i == st || i - st >= namesz)
		return -EINVAL;
	memcpy(name, l + st, i - st);
	name[i - st] = 0;
	*ret_rest = l + i;
	*ret_rl = ll - i;
	return 0;
}

static int softdep_line(struct kmod_db *db, const char *l, size_t ll)
{
	char name[KMOD_MAX_NAME];
	const char *rest;
	size_t rl;
	struct kmod_mod *m;
	int r;

	if (blank_or_comment(l, ll))
		return 0;
	if ((r = keyword_line(db, l, ll, "softdep", &m, &rest, &rl, name, sizeof(name))))
		return r;
	if (!(m = kmod_db_find(db, name)))
		return 0;
	struct soft_ctx c = { m, 0 };
	return words(rest, rl, " \t\r", soft_word, &c);
}

static int alias_line(struct kmod_db *db, const char *l, size_t ll)
{
	char pat[KMOD_MAX_NAME], name[KMOD_MAX_NAME];
	const char *rest;
	size_t rl, i = 0;
	struct kmod_mod *m;
	int r;

	if (blank_or_comment(l, ll))
		return 0;
	if ((r = keyword_line(db, l, ll, "alias", &m, &rest, &rl, pat, sizeof(pat))))
		return r;
	while (i < rl && (rest[i] == ' ' || rest[i] == '\t'))
		i++;
	size_t st = i;
	while (i < rl && rest[i] != ' ' && rest[i] != '\t' && rest[i] != '\r')
		i++;
	if (i == st || i - st >= sizeof(name))
		return -EINVAL;
	memcpy(name, rest + st, i - st);
	name[i - st] = 0;
	if (!(m = kmod_db_find(db, name)))
		return 0;
	return push(&m->aliases, &m->naliases, pat, strlen(pat));
}

static int builtin_line(struct kmod_db *db, const char *l, size_t ll)
{
	if (blank_or_comment(l, ll))
		return 0;
	return push_name(&db->builtin, &db->nbuiltin, l, ll);
}

int kmod_parse_dep(struct kmod_db *db, const char *text, size_t len, unsigned *ret_line)
{
	return lines(text, len, ret_line, dep_line, db);
}

int kmod_parse_softdep(struct kmod_db *db, const char *text, size_t len, unsigned *ret_line)
{
	return lines(text, len, ret_line, softdep_line, db);
}

int kmod_parse_alias(struct kmod_db *db, const char *text, size_t len, unsigned *ret_line)
{
	return lines(text, len, ret_line, alias_line, db);
}

int kmod_parse_builtin(struct kmod_db *db, const char *text, size_t len, unsigned *ret_line)
{
	return lines(text, len, ret_line, builtin_line, db);
}

unsigned kmod_db_resolve(struct kmod_db *db, const char *name, unsigned mark)
{
	struct kmod_mod *m = kmod_db_find(db, name);
	char norm[KMOD_MAX_NAME], pat[KMOD_MAX_NAME];
	unsigned n = 0;

	if (m) {
		m->mark = mark;
		return 1;
	}
	/* modprobe's order: a module's name, then the aliases (patterns
	 * matched against the name, both with '-' read as '_'). */
	if (kmod_alias_norm(name, norm, sizeof(norm)))
		return 0;
	for (unsigned i = 0; i < db->n; i++) {
		struct kmod_mod *o = &db->mods[i];
		for (unsigned k = 0; k < o->naliases; k++)
			if (!kmod_alias_norm(o->aliases[k], pat, sizeof(pat)) &&
			    !fnmatch(pat, norm, 0)) {
				o->mark = mark;
				n++;
				break;
			}
	}
	return n;
}

int kmod_stack_push(struct kmod_stack *s, unsigned i)
{
	if (s->n == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 64;
		unsigned *nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = i;
	return 0;
}

/* Pick the modules marked @mark that are not yet picked. */
static int pick_marked(struct kmod_db *db, unsigned mark, struct kmod_stack *work)
{
	int r;
	for (unsigned i = 0; i < db->n; i++)
		if (db->mods[i].mark == mark && !db->mods[i].picked) {
			db->mods[i].picked = true;
			if ((r = kmod_stack_push(work, i)))
				return r;
		}
	return 0;
}

int kmod_db_closure(struct kmod_db *db, const char *const *names, unsigned nnames,
		    unsigned *ret_missing, const char **ret_dep)
{
	struct kmod_stack work = { 0 };
	unsigned mark = 0;
	int r = 0;

	kmod_db_sort(db);
	for (unsigned i = 0; i < db->n; i++)
		db->mods[i].mark = 0;
	for (unsigned i = 0; i < nnames && !r; i++) {
		if (!kmod_db_resolve(db, names[i], ++mark)) {
			if (kmod_db_is_builtin(db, names[i]))
				continue;
			*ret_missing = i;
			r = -ENOENT;
			break;
		}
		r = pick_marked(db, mark, &work);
	}
	while (!r && work.n) {
		struct kmod_mod *m = &db->mods[work.v[--work.n]];
		for (unsigned k = 0; k < m->ndeps && !r; k++) {
			struct kmod_mod *dep = kmod_db_find(db, m->deps[k]);
			if (!dep) {
				if (kmod_db_is_builtin(db, m->deps[k]))
					continue;
				*ret_missing = nnames;
				*ret_dep = m->deps[k];
				r = -ENOENT;
				break;
			}
			dep->mark = ++mark;
			r = pick_marked(db, mark, &work);
		}
		for (unsigned k = 0; k < m->npre + m->npost && !r; k++) {
			const char *s = k < m->npre ? m->pre[k] : m->post[k - m->npre];
			if (kmod_db_resolve(db, s, ++mark))
				r = pick_marked(db, mark, &work);
		}
	}
	free(work.v);
	return r;
}
