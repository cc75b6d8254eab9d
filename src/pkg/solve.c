/* SPDX-License-Identifier: MIT */
/*
 * Dependency resolution with libsolv, steered to what `apt-get install`
 * picks on an empty system (docs/config/packages.md):
 *   - only the named packages and their closure: Essential packages
 *     are not added (apt assumes them installed; a kiln layer installs
 *     exactly what it is asked for);
 *   - Recommends ignored unless the layer says recommends = true;
 *   - for "a | b", the first alternative that can be installed: each
 *     first alternative is favoured (SOLVER_FAVOR), so libsolv's own
 *     order (by name) decides only when apt's rule cannot;
 *   - exclude: the package is locked out (SOLVER_LOCK on a name that is
 *     not installed), so a dependency on it is a problem, as with apt's
 *     "name-".
 */
#include "pkg/solve.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_deb.h>
#include <solv/selection.h>
#include <solv/solvable.h>
#include <solv/solver.h>
#include <solv/transaction.h>

#include "base/diag.h"

/* libsolv's Debian reader does not keep Size: kiln reads it itself. */
struct pkg_size {
	char *key;                  /* "name version arch" */
	uint64_t size;
};

struct pkg_pool {
	Pool *pool;
	Repo *repo;
	struct pkg_size *sizes;
	size_t nsizes, capsizes;
	bool sorted;
	bool ready;                 /* internalized, whatprovides made, favor set */
	Queue favor;                /* SOLVER_FAVOR jobs, the same for every layer */
};

int pkg_pool_new(const char *const *archs, unsigned narchs, struct pkg_pool **ret,
		 struct diag *d)
{
	struct pkg_pool *p = calloc(1, sizeof(*p));
	char policy[512] = "";

	if (!p || !(p->pool = pool_create())) {
		free(p);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	pool_setdisttype(p->pool, DISTTYPE_DEB);
	/* The first architecture is the native one; the others are
	 * dpkg's foreign architectures (Multi-Arch). */
	for (unsigned i = 0; i < narchs; i++) {
		size_t l = strlen(policy);
		snprintf(policy + l, sizeof(policy) - l, "%s%s", i ? ":" : "", archs[i]);
	}
	pool_setarchpolicy(p->pool, policy);
	p->repo = repo_create(p->pool, "repo");
	queue_init(&p->favor);
	*ret = p;
	return 0;
}

void pkg_pool_free(struct pkg_pool *p)
{
	if (!p)
		return;
	pool_free(p->pool);
	queue_free(&p->favor);
	for (size_t i = 0; i < p->nsizes; i++)
		free(p->sizes[i].key);
	free(p->sizes);
	free(p);
}

/* The value of field @f in the stanza line at @line (NULL if another). */
static const char *field(const char *line, const char *end, const char *f, size_t *ret_len)
{
	size_t fl = strlen(f);
	const char *v;

	if ((size_t)(end - line) <= fl || strncmp(line, f, fl) || line[fl] != ':')
		return NULL;
	v = line + fl + 1;
	while (v < end && *v == ' ')
		v++;
	*ret_len = (size_t)(end - v);
	return v;
}

struct stanza {
	const char *nm, *ver, *arch;
	size_t nl, vl, al;
	uint64_t size;
	bool have;
};

static int flush_stanza(struct pkg_pool *p, struct stanza *st)
{
	char *k;

	if (st->nm && st->ver && st->arch && st->have) {
		if (p->nsizes == p->capsizes) {
			size_t cap = p->capsizes ? p->capsizes * 2 : 256;
			void *nv = realloc(p->sizes, cap * sizeof(*p->sizes));
			if (!nv)
				return -ENOMEM;
			p->sizes = nv;
			p->capsizes = cap;
		}
		if (asprintf(&k, "%.*s %.*s %.*s", (int)st->nl, st->nm, (int)st->vl, st->ver,
			     (int)st->al, st->arch) < 0)
			return -ENOMEM;
		p->sizes[p->nsizes++] = (struct pkg_size){ k, st->size };
		p->sorted = false;
	}
	memset(st, 0, sizeof(*st));
	return 0;
}

static int add_sizes(struct pkg_pool *p, const char *text, size_t len)
{
	const char *q = text, *end = text + len;
	struct stanza st = { 0 };
	int r;

	while (q < end) {
		const char *e = memchr(q, '\n', (size_t)(end - q));
		const char *le = e ? e : end, *v;
		size_t n;
		if (le == q) {
			if ((r = flush_stanza(p, &st)))
				return r;
		} else if ((v = field(q, le, "Package", &n))) {
			st.nm = v, st.nl = n;
		} else if ((v = field(q, le, "Version", &n))) {
			st.ver = v, st.vl = n;
		} else if ((v = field(q, le, "Architecture", &n))) {
			st.arch = v, st.al = n;
		} else if ((v = field(q, le, "Size", &n))) {
			char *x;
			st.size = strtoull(v, &x, 10);
			st.have = n && x == v + n;
		}
		q = e ? e + 1 : end;
	}
	return flush_stanza(p, &st);
}

static int cmp_size(const void *a, const void *b)
{
	return strcmp(((const struct pkg_size *)a)->key, ((const struct pkg_size *)b)->key);
}

int pkg_pool_add(struct pkg_pool *p, const char *text, size_t len, const char *name,
		 struct diag *d)
{
	FILE *f = fmemopen((void *)text, len ? len : 1, "r");

	if (!f)
		return diag_fail(d, -ENOMEM, "out of memory");
	/* Another index: the pool is made ready again at the next solve. */
	p->ready = false;
	queue_empty(&p->favor);
	int r = len ? repo_add_debpackages(p->repo, f, REPO_NO_INTERNALIZE) : 0;
	fclose(f);
	if (r)
		return diag_fail(d, -EINVAL, "%s: %s", name, pool_errstr(p->pool));
	if (add_sizes(p, text, len))
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

/* The name of the first alternative of @dep, when @dep is "a | ...". */
static Id first_alternative(Pool *pool, Id dep)
{
	if (!ISRELDEP(dep) || GETRELDEP(pool, dep)->flags != REL_OR)
		return 0;
	while (ISRELDEP(dep)) {
		Reldep *rd = GETRELDEP(pool, dep);
		if (rd->flags != REL_OR && rd->flags > 7)
			return 0; /* not a plain versioned name */
		dep = rd->name;
	}
	return dep;
}

/*
 * One SOLVER_FAVOR job per name that is the first alternative of some
 * "a | b" dependency, each name once, in the order first seen. Made once
 * per pool (the same for every layer), reading each package's Depends and
 * Recommends straight from its id arrays: a solvable_lookup_deparray()
 * per package and layer, a job per occurrence, made `kiln lock` of the
 * example spend minutes of CPU here (Debian's main has 60,000 packages).
 */
static void favor_first_alternatives(Pool *pool, Repo *repo, Queue *job)
{
	Map seen;
	Solvable *s;
	Id p;

	map_init(&seen, pool->ss.nstrings);
	FOR_REPO_SOLVABLES(repo, p, s) {
		const Offset offs[] = { s->requires, s->recommends };
		for (unsigned k = 0; k < 2; k++) {
			for (Id *dp = offs[k] ? repo->idarraydata + offs[k] : NULL; dp && *dp; dp++) {
				Id n = first_alternative(pool, *dp);
				if (!n || n >= pool->ss.nstrings || MAPTST(&seen, n))
					continue;
				MAPSET(&seen, n);
				queue_push2(job, SOLVER_FAVOR | SOLVER_SOLVABLE_NAME, n);
			}
		}
	}
	map_free(&seen);
}

static int cmp_locked(const void *a, const void *b)
{
	const struct pkg_locked *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->arch, y->arch);
}

static int add_result(struct pkg_pool *pp, Id p, unsigned repo_index, const char *repo_name,
		      struct pkg_lock_layer *out, struct diag *d)
{
	Pool *pool = pp->pool;
	Solvable *s = pool_id2solvable(pool, p);
	Id type = 0;
	const char *sum = solvable_lookup_checksum(s, SOLVABLE_CHECKSUM, &type);
	const char *loc = solvable_get_location(s, NULL);
	const char *name = pool_id2str(pool, s->name);
	struct pkg_locked *l = &out->pkgs[out->npkgs];

	if (!sum || type != REPOKEY_TYPE_SHA256 || strlen(sum) != 64)
		return diag_fail(d, -EINVAL, "repository %s: package %s has no SHA256 in its index",
				 repo_name, name);
	const char *fields[] = { name, pool_id2str(pool, s->evr), pool_id2str(pool, s->arch) };
	for (unsigned i = 0; i < 3; i++)
		if (!*fields[i] || strpbrk(fields[i], " \t\n\r"))
			return diag_fail(d, -EINVAL, "repository %s: package \"%s\": malformed "
					 "name, version or architecture", repo_name, name);
	if (!loc || !*loc || strpbrk(loc, " \t\n\r") || strstr(loc, ".."))
		return diag_fail(d, -EINVAL, "repository %s: package %s: bad Filename", repo_name,
				 name);
	memset(l, 0, sizeof(*l));
	for (unsigned i = 0; i < SHA256_LEN; i++)
		l->sha256[i] = (uint8_t)(hex_digit(sum[2 * i]) << 4 | hex_digit(sum[2 * i + 1]));
	struct pkg_size key = { .key = NULL }, *found;
	if (asprintf(&key.key, "%s %s %s", name, pool_id2str(pool, s->evr),
		     pool_id2str(pool, s->arch)) < 0)
		return diag_fail(d, -ENOMEM, "out of memory");
	if (!pp->sorted && pp->nsizes) {
		qsort(pp->sizes, pp->nsizes, sizeof(*pp->sizes), cmp_size);
		pp->sorted = true;
	}
	found = pp->nsizes ? bsearch(&key, pp->sizes, pp->nsizes, sizeof(*pp->sizes), cmp_size)
			   : NULL;
	free(key.key);
	if (!found)
		return diag_fail(d, -EINVAL, "repository %s: package %s has no Size in its index",
				 repo_name, name);
	l->size = found->size;
	l->repo = repo_index;
	if (!(l->name = strdup(name)) || !(l->version = strdup(pool_id2str(pool, s->evr))) ||
	    !(l->arch = strdup(pool_id2str(pool, s->arch))) || !(l->filename = strdup(loc))) {
		free(l->name);
		free(l->version);
		free(l->arch);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	out->npkgs++;
	return 0;
}

/* The job for one asked-for name: the package of that name, or the only
 * provider of a virtual one (apt refuses a choice among several). */
static int name_job(Pool *pool, const char *want, Queue *job, const char *where,
		    struct diag *d)
{
	Id id = pool_str2id(pool, want, 0), p, pp;
	unsigned named = 0, provs = 0;
	char others[256] = "";

	if (id) {
		FOR_PROVIDES(p, pp, id) {
			Solvable *s = pool_id2solvable(pool, p);
			if (s->name == id) {
				named++;
			} else {
				size_t l = strlen(others);
				if (l < sizeof(others) - 64)
					snprintf(others + l, sizeof(others) - l, "%s%s", provs ? ", " : "",
						 pool_id2str(pool, s->name));
				provs++;
			}
		}
	}
	if (named || provs == 1) {
		queue_push2(job, SOLVER_INSTALL | (named ? SOLVER_SOLVABLE_NAME :
				 SOLVER_SOLVABLE_PROVIDES), id);
		return 0;
	}
	if (provs)
		return diag_fail(d, -EINVAL, "%s: package \"%s\" is virtual, provided by %s: name "
				 "one of them", where, want, others);
	return diag_fail(d, -ENOENT, "%s: package \"%s\" is not in the repository", where, want);
}

int pkg_pool_solve(struct pkg_pool *pp, const struct pkg_layer_req *lr, unsigned repo_index,
		   const char *repo_name, struct pkg_lock_layer *out, struct diag *d)
{
	Pool *pool = pp->pool;
	Solver *solv = NULL;
	Transaction *trans = NULL;
	Queue job;
	char where[512];
	int r = 0;

	snprintf(where, sizeof(where), "%s:%u: tree '%s'", lr->cfgfile, lr->line, lr->tree);
	if (!pp->ready) {
		repo_internalize(pp->repo);
		pool_addfileprovides(pool);
		pool_createwhatprovides(pool);
		favor_first_alternatives(pool, pp->repo, &pp->favor);
		pp->ready = true;
	}
	queue_init(&job);
	for (unsigned i = 0; i < lr->npackages && !r; i++)
		r = name_job(pool, lr->packages[i], &job, where, d);
	for (unsigned i = 0; i < lr->nexclude && !r; i++) {
		Id id = pool_str2id(pool, lr->exclude[i], 0);
		if (id)
			queue_push2(&job, SOLVER_LOCK | SOLVER_SOLVABLE_NAME, id);
	}
	if (r)
		goto out;
	for (int i = 0; i < pp->favor.count; i++)
		queue_push(&job, pp->favor.elements[i]);
	solv = solver_create(pool);
	solver_set_flag(solv, SOLVER_FLAG_IGNORE_RECOMMENDED, !lr->recommends);
	if (solver_solve(solv, &job)) {
		/* One line: the first problem names the broken dependency. */
		r = diag_fail(d, -ENOENT, "%s: cannot resolve the packages: %s", where,
			      solver_problem2str(solv, 1));
		goto out;
	}
	trans = solver_create_transaction(solv);
	Queue inst;
	queue_init(&inst);
	transaction_installedresult(trans, &inst);
	if (inst.count > PKG_MAX_PACKAGES ||
	    !(out->pkgs = calloc((size_t)inst.count + 1, sizeof(*out->pkgs)))) {
		queue_free(&inst);
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < inst.count && !r; i++)
		r = add_result(pp, inst.elements[i], repo_index, repo_name, out, d);
	queue_free(&inst);
	if (!r)
		qsort(out->pkgs, out->npkgs, sizeof(*out->pkgs), cmp_locked);
out:
	if (trans)
		transaction_free(trans);
	if (solv)
		solver_free(solv);
	queue_free(&job);
	return r;
}
