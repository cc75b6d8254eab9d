/* SPDX-License-Identifier: MIT */
/*
 * Package layers and `repository` sections (docs/config/packages.md):
 * reading them from the config, the request `kiln lock` resolves, and
 * composing a package layer at build time from kiln.lock and the store
 * — the same as one deb layer per locked package, in the lock's order.
 * The build never touches the network. Files named by --package-file
 * (Nix's fixed-output fetches, docs/nix.md) stand in for store blobs:
 * a file is the package whose SHA-256 it has.
 */
#include "plan/trees.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "config/cfgutil.h"
#include "fs/tree-archive.h"
#include "pkg/aptsources.h"
#include "plan/build.h"
#include "plan/trees-def.h"
#include "store/store.h"

static void strv_free(char **v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void trees_pkg_layer_release(struct tree_layer *l)
{
	strv_free(l->packages, l->npackages);
	strv_free(l->exclude, l->nexclude);
	free(l->repo_name);
	free(l->pkg_regions);
	for (unsigned i = 0; l->pkg_dec && i < l->npkg_regions; i++) {
		tree_archive_log_free(l->pkg_dec[i].log);
		free(l->pkg_dec[i].path);
	}
	free(l->pkg_dec);
}

void trees_pkg_release(struct trees_state *st)
{
	for (unsigned i = 0; i < st->nrepos; i++) {
		free(st->repos[i].url);
		free(st->repos[i].url_err);
		free(st->repos[i].keyring);
		free(st->repos[i].components);
		free(st->repos[i].archs);
	}
	free(st->repos);
	if (st->lock)
		pkg_lock_release(st->lock);
	free(st->lock);
	free(st->pkg_files);
}

static const char *sec_file(struct build *b, cfg_t *sec)
{
	return sec->filename ? sec->filename : b->paths.config;
}

/* A path in a repository section: relative to the config's directory. */
static char *config_relative(struct build *b, const char *p)
{
	const char *slash = strrchr(b->paths.config, '/');
	char *s;

	if (p[0] == '/' || !slash)
		return strdup(p);
	if (asprintf(&s, "%.*s/%s", (int)(slash - b->paths.config), b->paths.config, p) < 0)
		return NULL;
	return s;
}

int trees_pkg_urls(struct build *b, struct diag *d)
{
	struct trees_state *st = b->trees;

	for (unsigned i = 0; st && i < st->nrepos; i++)
		if (st->repos[i].url_err)
			return diag_fail(d, -ENOENT, "%s", st->repos[i].url_err);
	return 0;
}

char *trees_pkg_lock_path(struct build *b)
{
	return config_relative(b, "kiln.lock");
}

static bool bad_token(const char *s)
{
	return !s || !*s || strpbrk(s, " \t\n\"'") || strlen(s) > 1024;
}

static int borrow_list(cfg_t *sec, const char *key, const char ***ret, unsigned *ret_n,
		       struct diag *d)
{
	unsigned n = cfg_size(sec, key);
	const char **v = calloc(n + 1, sizeof(*v));

	if (!v)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		const char *s = cfg_getnstr(sec, key, i);
		if (bad_token(s)) {
			free(v);
			return cfg_fail(sec, key, s ? s : "", -EINVAL, d,
					"expected a name without spaces or quotes");
		}
		v[i] = s;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int load_repo(struct build *b, cfg_t *sec, struct tree_repo *tr, struct diag *d)
{
	struct pkg_repo *r = &tr->r;
	const char *url = cfg_getstr(sec, "url"), *kr = cfg_getstr(sec, "keyring");
	int e;

	r->name = cfg_title(sec);
	r->cfgfile = sec_file(b, sec);
	r->line = (unsigned)sec->line;
	if (bad_token(r->name) || strpbrk(r->name, "/:"))
		return diag_fail(d, -EINVAL, "%s:%u: repository \"%s\": not a valid name",
				 r->cfgfile, r->line, r->name);
	if (!url || !strcmp(url, PKG_APT_SOURCES)) {
		struct diag ad = { 0 };
		/* Read now, fail only in lock/fetch: a build needs no url. */
		r->url_spec = PKG_APT_SOURCES;
		if (pkg_apt_sources_url("", &tr->url, &ad) == -ENOMEM)
			return diag_fail(d, -ENOMEM, "out of memory");
		if (!tr->url && asprintf(&tr->url_err, "%s:%u: repository %s: url = \"%s\": %s",
					 r->cfgfile, r->line, r->name, PKG_APT_SOURCES, ad.msg) < 0)
			return diag_fail(d, -ENOMEM, "out of memory");
	} else if (bad_token(url)) {
		return cfg_fail(sec, "url", url, -EINVAL, d,
				"expected the repository's URL (http://, https://, file://), a "
				"directory or \"" PKG_APT_SOURCES "\"");
	}
	if (!kr || !*kr)
		return diag_fail(d, -EINVAL, "%s:%u: repository %s: keyring is required (the "
				 "keys its Release must be signed with)", r->cfgfile, r->line,
				 r->name);
	r->suite = cfg_getstr(sec, "suite");
	if (r->suite && (bad_token(r->suite) || strstr(r->suite, "..")))
		return cfg_fail(sec, "suite", r->suite, -EINVAL, d, "not a valid suite name");
	if ((e = borrow_list(sec, "components", &tr->components, &r->ncomponents, d)) ||
	    (e = borrow_list(sec, "architectures", &tr->archs, &r->narchs, d)))
		return e;
	r->components = tr->components;
	r->archs = tr->archs;
	if (!r->narchs)
		return diag_fail(d, -EINVAL, "%s:%u: repository %s: architectures is required "
				 "(the first is the native one)", r->cfgfile, r->line, r->name);
	if (r->suite && !r->ncomponents)
		return diag_fail(d, -EINVAL, "%s:%u: repository %s: components is required with a "
				 "suite (such as { main })", r->cfgfile, r->line, r->name);
	if (!r->suite && r->ncomponents)
		return cfg_fail(sec, "components", r->components[0], -EINVAL, d,
				"a flat repository (no suite) has no components");
	/* Local repositories and keyrings are relative to the config. */
	if (r->url_spec) {
		r->url = tr->url ? tr->url : PKG_APT_SOURCES;
	} else {
		bool remote = strstr(url, "://") && strncmp(url, "file://", 7);
		tr->url = remote || !strncmp(url, "file://", 7) ? strdup(url)
								: config_relative(b, url);
		r->url = tr->url;
	}
	tr->keyring = config_relative(b, kr);
	if ((!r->url_spec && !tr->url) || !tr->keyring)
		return diag_fail(d, -ENOMEM, "out of memory");
	r->keyring = tr->keyring;
	r->allow_expired = cfg_getbool(sec, "allow-expired");
	return 0;
}

int trees_pkg_load_repos(struct build *b, struct trees_state *st, cfg_t *cfg, struct diag *d)
{
	unsigned n = cfg_size(cfg, "repository");
	int r;

	if (n > PKG_MAX_REPOS)
		return diag_fail(d, -E2BIG, "%s: more than %d repositories", b->paths.config,
				 PKG_MAX_REPOS);
	st->repos = calloc(n + 1, sizeof(*st->repos));
	if (!st->repos)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		st->nrepos = i + 1;
		if ((r = load_repo(b, cfg_getnsec(cfg, "repository", i), &st->repos[i], d)))
			return r;
	}
	return 0;
}

static int dup_list(cfg_t *sec, const char *key, char ***ret, unsigned *ret_n, struct diag *d)
{
	unsigned n = cfg_size(sec, key);
	char **v = calloc(n + 1, sizeof(*v));

	if (!v)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		const char *s = cfg_getnstr(sec, key, i);
		if (bad_token(s)) {
			strv_free(v, i);
			return cfg_fail(sec, key, s ? s : "", -EINVAL, d, "not a package name");
		}
		if (!(v[i] = strdup(s))) {
			strv_free(v, i);
			return diag_fail(d, -ENOMEM, "out of memory");
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int trees_pkg_load_layer(struct build *b, struct trees_state *st, struct tree_def *def,
			 cfg_t *sec, struct tree_layer *l, struct diag *d)
{
	const char *repo = cfg_getstr(sec, "repository");
	int r;

	if (!cfg_size(sec, "packages")) {
		if (repo || cfg_size(sec, "exclude") || cfg_getbool(sec, "recommends"))
			return diag_fail(d, -EINVAL, "%s:%u: tree '%s': repository, exclude and "
					 "recommends belong to a package layer (packages = { ... })",
					 l->cfgfile, l->line, def->name);
		return 0;
	}
	if (l->src)
		return diag_fail(d, -EINVAL, "%s:%u: tree '%s': a layer has one source (dir, "
				 "archive, deb or packages); use one layer each", l->cfgfile,
				 l->line, def->name);
	/* The tree's name is written to kiln.lock, one line per layer. */
	if (strpbrk(def->name, "\n\r") || !*def->name)
		return diag_fail(d, -EINVAL, "%s:%u: a tree with package layers needs a name "
				 "without line breaks", l->cfgfile, l->line);
	if (cfg_getstr(sec, "subdir"))
		return cfg_fail(sec, "subdir", cfg_getstr(sec, "subdir"), -EINVAL, d,
				"not for package layers");
	l->src = LAYER_PKG;
	if ((r = dup_list(sec, "packages", &l->packages, &l->npackages, d)) ||
	    (r = dup_list(sec, "exclude", &l->exclude, &l->nexclude, d)))
		return r;
	l->recommends = cfg_getbool(sec, "recommends");
	if (!st->nrepos)
		return diag_fail(d, -EINVAL, "%s:%u: tree '%s': a package layer needs a "
				 "`repository NAME { }` section", l->cfgfile, l->line, def->name);
	if (!repo && st->nrepos != 1)
		return diag_fail(d, -EINVAL, "%s:%u: tree '%s': package layer: name its "
				 "repository (%u are defined)", l->cfgfile, l->line, def->name,
				 st->nrepos);
	l->repo = st->nrepos;
	for (unsigned i = 0; i < st->nrepos; i++)
		if (!repo || !strcmp(repo, st->repos[i].r.name))
			l->repo = i;
	if (l->repo == st->nrepos)
		return cfg_fail(sec, "repository", repo, -EINVAL, d,
				"no `repository %s { }` section", repo);
	if (!(l->repo_name = strdup(st->repos[l->repo].r.name)))
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

int trees_pkg_request(struct build *b, struct pkg_request *ret, struct diag *d)
{
	struct trees_state *st = b->trees;
	struct pkg_repo *repos;
	struct pkg_layer_req *layers;
	unsigned n = 0;

	memset(ret, 0, sizeof(*ret));
	if (!st)
		return 0;
	for (unsigned i = 0; i < st->ndefs; i++)
		for (unsigned k = 0; k < st->defs[i].nlayers; k++)
			n += st->defs[i].layers[k].src == LAYER_PKG;
	repos = calloc(st->nrepos + 1, sizeof(*repos));
	layers = calloc(n + 1, sizeof(*layers));
	if (!repos || !layers) {
		free(repos);
		free(layers);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	for (unsigned i = 0; i < st->nrepos; i++)
		repos[i] = st->repos[i].r;
	n = 0;
	for (unsigned i = 0; i < st->ndefs; i++) {
		const struct tree_def *def = &st->defs[i];
		for (unsigned k = 0; k < def->nlayers; k++) {
			const struct tree_layer *l = &def->layers[k];
			if (l->src != LAYER_PKG)
				continue;
			layers[n++] = (struct pkg_layer_req){
				.tree = def->name, .index = l->index, .repo = l->repo,
				.packages = (const char *const *)l->packages,
				.npackages = l->npackages,
				.exclude = (const char *const *)l->exclude, .nexclude = l->nexclude,
				.recommends = l->recommends, .cfgfile = l->cfgfile, .line = l->line,
			};
		}
	}
	ret->repos = repos;
	ret->nrepos = st->nrepos;
	ret->layers = layers;
	ret->nlayers = n;
	return 0;
}

void trees_pkg_request_free(struct pkg_request *req)
{
	free((void *)req->repos);
	free((void *)req->layers);
	memset(req, 0, sizeof(*req));
}

/* kiln.lock, once per build, checked against the config's request. */
static int load_lock(struct build *b, struct trees_state *st, struct diag *d)
{
	struct pkg_request req;
	uint8_t h[SHA256_LEN];
	char *path;
	int r;

	if (st->lock)
		return 0;
	if (!(path = trees_pkg_lock_path(b)) || !(st->lock = calloc(1, sizeof(*st->lock)))) {
		free(path);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	r = pkg_lock_load(path, st->lock, d);
	if (r == -ENOENT) {
		diag_clear(d);
		r = diag_fail(d, r, "%s: not found: the config has package layers; run `kiln lock` "
			      "(then `kiln fetch`)", path);
	}
	if (!r && !(r = trees_pkg_request(b, &req, d))) {
		r = pkg_request_hash(&req, h);
		trees_pkg_request_free(&req);
		if (r)
			r = diag_fail(d, r, "sha256 failed");
		else if (memcmp(h, st->lock->request, SHA256_LEN))
			r = diag_fail(d, -ESTALE, "%s is stale: the config's repositories or package "
				      "layers changed since it was written; run `kiln lock` (then "
				      "`kiln fetch`)", path);
	}
	free(path);
	if (r) {
		pkg_lock_release(st->lock);
		free(st->lock);
		st->lock = NULL;
	}
	return r;
}

/* A --package-file, hashed once; read again only if still that file. */
struct pkg_file {
	const char *path;
	struct stat st;
	uint8_t sha256[SHA256_LEN];
};

static int cmp_pkg_file(const void *a, const void *b)
{
	return memcmp(((const struct pkg_file *)a)->sha256, ((const struct pkg_file *)b)->sha256,
		      SHA256_LEN);
}

static const struct pkg_file *find_pkg_file(const struct trees_state *st,
					    const uint8_t sha256[SHA256_LEN])
{
	struct pkg_file key;

	if (!st->npkg_files)
		return NULL;
	memcpy(key.sha256, sha256, SHA256_LEN);
	return bsearch(&key, st->pkg_files, st->npkg_files, sizeof(key), cmp_pkg_file);
}

/* Is @path named after pool file @filename ("pool/.../x.deb" for ".../x.deb",
 * or a Nix store path ".../HASH-x.deb")? */
static bool named_after(const char *path, const char *filename)
{
	const char *base = strrchr(filename, '/');
	size_t plen = strlen(path), blen;

	base = base ? base + 1 : filename;
	blen = strlen(base);
	return plen > blen && !strcmp(path + plen - blen, base) &&
	       strchr("/-", path[plen - blen - 1]);
}

/* The locked package with @sha256, or else (@sha256 NULL) the one @path is
 * named after, to name it when the hash is wrong. */
static const struct pkg_locked *lock_match(const struct pkg_lock *lk, const uint8_t *sha256,
					   const char *path)
{
	for (unsigned i = 0; i < lk->nlayers; i++)
		for (unsigned k = 0; k < lk->layers[i].npkgs; k++) {
			const struct pkg_locked *p = &lk->layers[i].pkgs[k];
			if (sha256 ? !memcmp(p->sha256, sha256, SHA256_LEN)
				   : named_after(path, p->filename))
				return p;
		}
	return NULL;
}

static int hash_pkg_file(struct build *b, struct pkg_file *f, struct diag *d)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return diag_fail(d, -errno, "--package-file %s: %s", f->path, strerror(errno));
	if (fstat(fd, &f->st))
		r = diag_fail(d, -errno, "--package-file %s: %s", f->path, strerror(errno));
	else if (!S_ISREG(f->st.st_mode))
		r = diag_fail(d, -EINVAL, "--package-file %s: not a regular file", f->path);
	else
		r = store_file_hash(b->store, fd, f->path, f->sha256, &f->st, d);
	close(fd);
	return r;
}

/* Hash every --package-file once; each must be a package of the lock. */
static int load_pkg_files(struct build *b, struct trees_state *st, struct diag *d)
{
	char got[2 * SHA256_LEN + 1], want[2 * SHA256_LEN + 1], *lock;
	int r = 0;

	if (st->pkg_files || !b->npackage_files)
		return 0;
	if (b->npackage_files > PKG_MAX_PACKAGES)
		return diag_fail(d, -E2BIG, "more than %d --package-file", PKG_MAX_PACKAGES);
	lock = trees_pkg_lock_path(b);
	if (!lock || !(st->pkg_files = calloc(b->npackage_files, sizeof(*st->pkg_files)))) {
		free(lock);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	for (unsigned i = 0; i < b->npackage_files && !r; i++) {
		struct pkg_file *f = &st->pkg_files[i];
		const struct pkg_locked *p;
		f->path = b->package_files[i];
		if ((r = hash_pkg_file(b, f, d)))
			break;
		if ((p = lock_match(st->lock, f->sha256, NULL))) {
			if ((uint64_t)f->st.st_size != p->size)
				r = diag_fail(d, -EINVAL, "--package-file %s: %" PRIu64 " bytes, but "
					      "%s has %" PRIu64 " for package %s %s (%s)", f->path,
					      (uint64_t)f->st.st_size, lock, p->size, p->name,
					      p->version, p->arch);
			continue;
		}
		hex_encode(f->sha256, SHA256_LEN, got);
		if ((p = lock_match(st->lock, NULL, f->path))) {
			hex_encode(p->sha256, SHA256_LEN, want);
			r = diag_fail(d, -EINVAL, "--package-file %s: sha256 %s, but %s has %s for "
				      "package %s %s (%s)", f->path, got, lock, want, p->name,
				      p->version, p->arch);
		} else {
			r = diag_fail(d, -EINVAL, "--package-file %s: sha256 %s is no package of %s",
				      f->path, got, lock);
		}
	}
	free(lock);
	if (r) {
		free(st->pkg_files);
		st->pkg_files = NULL;
		return r;
	}
	st->npkg_files = b->npackage_files;
	qsort(st->pkg_files, st->npkg_files, sizeof(*st->pkg_files), cmp_pkg_file);
	return 0;
}

/* Open the locked package @p: a --package-file, else the store's blob. */
static int open_pkg(struct build *b, struct trees_state *st, struct tree_def *def,
		    struct tree_layer *l, const struct pkg_locked *p, int *ret_fd,
		    const char **ret_path, struct diag *d)
{
	const struct pkg_file *f = find_pkg_file(st, p->sha256);
	char hex[2 * SHA256_LEN + 1];
	struct stat now;
	int fd, r;

	*ret_path = NULL;
	if (f) {
		fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return diag_fail(d, -errno, "--package-file %s: %s", f->path,
					 strerror(errno));
		/* What was hashed is what is read. */
		if (fstat(fd, &now) || !store_same_file(&f->st, &now)) {
			close(fd);
			return diag_fail(d, -ESTALE, "--package-file %s: changed while kiln ran",
					 f->path);
		}
		*ret_fd = fd;
		*ret_path = f->path;
		return 0;
	}
	if (!b->store && b->npackage_files) {
		hex_encode(p->sha256, SHA256_LEN, hex);
		return diag_fail(d, -ENOENT, "%s:%u: tree '%s': package %s %s (%s): no "
				 "--package-file has its sha256 %s (%s); the store is off "
				 "(--no-cache / KILN_CACHE=off)", l->cfgfile, l->line, def->name,
				 p->name, p->version, p->arch, hex, p->filename);
	}
	if (!b->store)
		return diag_fail(d, -ENOENT, "%s:%u: tree '%s': package %s %s (%s): package "
				 "layers read the store (`kiln fetch` fills it) or --package-file "
				 "files; the store is off (--no-cache / KILN_CACHE=off)", l->cfgfile,
				 l->line, def->name, p->name, p->version, p->arch);
	r = store_open_blob(b->store, p->sha256, !l->pkg_verified, ret_fd, d);
	if (r == -ENOENT) {
		diag_clear(d);
		return diag_fail(d, r, "%s:%u: tree '%s': package %s %s (%s) is not in the "
				 "store%s; run `kiln fetch`", l->cfgfile, l->line, def->name,
				 p->name, p->version, p->arch,
				 b->npackage_files ? " nor a --package-file" : "");
	}
	return r;
}

/* Package layer @l's section of the lock, and its per-package state. */
static int pkg_layer_init(struct trees_state *st, const struct tree_def *def,
			  struct tree_layer *l, const struct pkg_lock_layer **ret, struct diag *d)
{
	/* A lock whose request hash matches has every package layer. */
	const struct pkg_lock_layer *y = pkg_lock_find_layer(st->lock, def->name, l->index);

	if (!y)
		return diag_fail(d, -ESTALE, "%s:%u: tree '%s': kiln.lock has no entry for this "
				 "package layer; run `kiln lock`", l->cfgfile, l->line, def->name);
	if (!l->pkg_regions) {
		l->pkg_regions = calloc(y->npkgs + 1, sizeof(*l->pkg_regions));
		l->pkg_dec = calloc(y->npkgs + 1, sizeof(*l->pkg_dec));
		if (!l->pkg_regions || !l->pkg_dec)
			return diag_fail(d, -ENOMEM, "out of memory");
		l->npkg_regions = y->npkgs;
	}
	*ret = y;
	return 0;
}

/*
 * The other package layers of used trees that lock package @p and have
 * no decoded form of it yet (in this build or the store): they are
 * recorded in the same read, so a package two layers take (the kernel's,
 * for its image and for its modules) is decompressed once. Their
 * decoded layers go to ret_dec[] (to store after the read).
 */
static unsigned pkg_siblings(struct build *b, struct trees_state *st, const struct tree_layer *l,
			     const struct pkg_locked *p, const char *label,
			     struct tree_archive_sibling **ret, struct tree_layer ***ret_layers,
			     struct pkg_decoded ***ret_dec, struct diag *d)
{
	struct tree_archive_sibling *v = NULL;
	struct tree_layer **ls = NULL;
	struct pkg_decoded **dv = NULL;
	unsigned n = 0;

	struct tree_def *od = NULL;
	unsigned k;
	for (struct tree_layer *o; (o = trees_next_used_layer(b, st, &od, &k));) {
		const struct pkg_lock_layer *y;
		if (o == l || o->src != LAYER_PKG || pkg_layer_init(st, od, o, &y, NULL))
			continue;
		for (unsigned j = 0; j < y->npkgs; j++) {
			struct pkg_decoded *dec = &o->pkg_dec[j];
			if (memcmp(y->pkgs[j].sha256, p->sha256, SHA256_LEN) || dec->log)
				continue;
			trees_cache_pkg_load(b, o, p->sha256, label, &dec->log, &dec->path, d);
			if (dec->log)
				continue;
			/* Only an optimisation: on failure, read it later. */
			struct tree_archive_sibling *nv = realloc(v, (n + 1) * sizeof(*v));
			if (nv)
				v = nv;
			struct tree_layer **nl = realloc(ls, (n + 1) * sizeof(*nl));
			if (nl)
				ls = nl;
			struct pkg_decoded **nd = realloc(dv, (n + 1) * sizeof(*nd));
			if (nd)
				dv = nd;
			if (!nv || !nl || !nd)
				goto out;
			v[n] = (struct tree_archive_sibling){
				.include = (const char *const *)o->include,
				.ninclude = o->ninclude, .log = &dec->log,
			};
			ls[n] = o;
			dv[n++] = dec;
		}
	}
out:
	*ret = v;
	*ret_layers = ls;
	*ret_dec = dv;
	return n;
}

/* After a read of package @p (its blob, or @path): the replay path and
 * the stored decoded layer of every sibling recorded in it. */
static int pkg_siblings_done(struct build *b, struct trees_state *st, const struct pkg_locked *p,
			     const char *label, const char *path, struct tree_layer **ls,
			     struct pkg_decoded **dv, unsigned n, struct diag *d)
{
	for (unsigned i = 0; i < n; i++) {
		if (!dv[i]->log)
			continue;
		dv[i]->path = path ? strdup(path) : store_blob_path(b->store, p->sha256);
		if (!dv[i]->path)
			return diag_fail(d, -ENOMEM, "out of memory");
		trees_cache_pkg_save(b, st->spill.fd, ls[i], p->sha256, dv[i]->log, label, d);
	}
	return 0;
}

const struct pkg_lock_layer *trees_pkg_prefetch_layer(struct build *b, struct trees_state *st,
						      struct tree_def *def, struct tree_layer *l)
{
	const struct pkg_lock_layer *y;
	struct diag q = { 0 };

	if (load_lock(b, st, &q) || load_pkg_files(b, st, &q) || pkg_layer_init(st, def, l, &y, &q))
		return NULL;
	return y;
}

bool trees_pkg_is_file(const struct trees_state *st, const uint8_t sha256[SHA256_LEN])
{
	return find_pkg_file(st, sha256) != NULL;
}

void trees_pkg_label(const struct trees_state *st, const struct pkg_locked *p, char *buf,
		     size_t size)
{
	snprintf(buf, size, "%s %s %s (%s)", p->name, p->version, p->arch,
		 st->lock->repos[p->repo].name);
}

int trees_pkg_compose(struct build *b, struct trees_state *st, struct tree_def *def,
		      struct tree_layer *l, struct tree *t, enum tree_conflict pol,
		      struct diag *d)
{
	const struct pkg_lock_layer *y;
	char label[600], pv[600], fdpath[64];
	int fd, r;

	if ((r = load_lock(b, st, d)) || (r = load_pkg_files(b, st, d)) ||
	    (r = pkg_layer_init(st, def, l, &y, d)))
		return r;
	for (unsigned i = 0; i < y->npkgs && !r; i++) {
		const struct pkg_locked *p = &y->pkgs[i];
		struct pkg_decoded *dec = &l->pkg_dec[i];
		trees_pkg_label(st, p, label, sizeof(label));
		int li = tree_add_layer(t, label);
		if (li < 0)
			return diag_fail(d, -ENOMEM, "out of memory");
		/* kiln ls --packages names the package of each file. */
		snprintf(pv, sizeof(pv), "%s=%s", p->name, p->version);
		if (tree_set_layer_package(t, (uint32_t)li, pv))
			return diag_fail(d, -ENOMEM, "out of memory");
		struct tree_archive_opts o = {
			.kind = TREE_ARCHIVE_DEB, .dest = l->dest ? l->dest : "", .policy = pol,
			.layer = (uint32_t)li, .spill = &st->spill, .region = &l->pkg_regions[i],
			.name = label, .follow_symlinks = l->follow_symlinks,
			.include = (const char *const *)l->include, .ninclude = l->ninclude,
			.log = b->archive_nocache ? NULL : &dec->log,
			.threads = b->jobs,
		};
		/* Decoded before (this build, or any build with the store):
		 * replayed, the .deb is not read. */
		if (o.log && !dec->log)
			trees_cache_pkg_load(b, l, p->sha256, label, &dec->log, &dec->path, d);
		if (o.log && dec->log) {
			r = tree_add_archive(t, dec->path, &o, d);
			continue;
		}
		const char *path;
		if ((r = open_pkg(b, st, def, l, p, &fd, &path, d)))
			return r;
		/* The blob is read through its descriptor: what was verified
		 * is what is read, whatever happens to the store meanwhile.
		 * Without /proc (a chroot, a Nix sandbox) through its name:
		 * blobs are immutable while the store is open, and a
		 * --package-file was just seen to be unchanged. */
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		char *blob = NULL;
		if (access(fdpath, R_OK))
			blob = path ? strdup(path) : store_blob_path(b->store, p->sha256);
		struct tree_archive_sibling *sib = NULL;
		struct tree_layer **sl = NULL;
		struct pkg_decoded **sd = NULL;
		if (o.log)
			o.nsiblings = pkg_siblings(b, st, l, p, label, &sib, &sl, &sd, d);
		o.siblings = sib;
		r = tree_add_archive(t, blob ? blob : fdpath, &o, d);
		free(blob);
		close(fd);
		if (!r && o.log && dec->log) {
			/* A replay re-checks that this is the file read. */
			dec->path = path ? strdup(path) : store_blob_path(b->store, p->sha256);
			if (!dec->path)
				r = diag_fail(d, -ENOMEM, "out of memory");
			else
				trees_cache_pkg_save(b, st->spill.fd, l, p->sha256, dec->log, label, d);
		}
		if (!r)
			r = pkg_siblings_done(b, st, p, label, path, sl, sd, o.nsiblings, d);
		free(sib);
		free(sl);
		free(sd);
	}
	if (!r)
		l->pkg_verified = true;
	return r;
}
