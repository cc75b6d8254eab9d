/* SPDX-License-Identifier: MIT */
/*
 * `kiln lock` and `kiln fetch` (pkg.h): the chain of trust is apt's —
 * the keyring checks (In)Release, Release's SHA256 list checks each
 * Packages index, each index's SHA256 checks each .deb.
 */
#include "pkg/pkg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "pkg/net.h"
#include "pkg/release.h"
#include "pkg/solve.h"
#include "store/store.h"

#define MAX_RELEASE (64u << 20)
#define MAX_INDEX (1u << 30)
/* apt's default tolerance for a Date ahead of the local clock is none;
 * allow a little skew between the mirror's clock and ours. */
#define DATE_SKEW 600

/* The signed Release text of @repo (InRelease, or Release + Release.gpg). */
static int get_release(const struct pkg_repo *repo, const char *base,
		       const struct pkg_net_opts *o, char **ret_text, size_t *ret_len,
		       uint8_t sha[SHA256_LEN], struct diag *d)
{
	char *url = pkg_url_join(base, "InRelease"), *buf = NULL, *sig = NULL;
	char *surl = NULL, *what = NULL;
	size_t len = 0, slen = 0;
	int r;

	if (!url)
		return diag_fail(d, -ENOMEM, "out of memory");
	r = pkg_get(url, MAX_RELEASE, o, &buf, &len, d);
	if (r == -ENOENT) {
		/* No InRelease: the older Release + detached Release.gpg. */
		diag_clear(d);
		free(url);
		url = pkg_url_join(base, "Release");
		surl = pkg_url_join(base, "Release.gpg");
		if (!url || !surl) {
			r = diag_fail(d, -ENOMEM, "out of memory");
			goto out;
		}
		r = pkg_get(url, MAX_RELEASE, o, &buf, &len, d);
		if (!r)
			r = pkg_get(surl, 1 << 20, o, &sig, &slen, d);
	}
	if (r) {
		diag_prefix(d, "repository %s (%s:%u)", repo->name, repo->cfgfile, repo->line);
		goto out;
	}
	if ((r = sha256_buf(buf, len, sha))) {
		r = diag_fail(d, r, "sha256 failed");
		goto out;
	}
	if (asprintf(&what, "repository %s: %s", repo->name, url) < 0) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	r = pkg_gpgv(o->gpgv, repo->keyring, what, buf, len, sig, slen, ret_text, ret_len, d);
out:
	free(what);
	free(url);
	free(surl);
	free(buf);
	free(sig);
	return r;
}

/* Fetch one Packages index named in @rel (the best compression listed)
 * and add it to @pool. */
static int add_index(const struct pkg_repo *repo, const char *base, const struct release *rel,
		     const char *dir, struct pkg_pool *pool, const struct pkg_net_opts *o,
		     struct diag *d)
{
	static const char *const sfx[] = { ".xz", ".gz", "" };
	const struct release_file *f = NULL;
	char path[512], *url = NULL, *buf = NULL, *text = NULL;
	size_t len = 0, tlen = 0;
	uint8_t h[SHA256_LEN];
	int r;

	for (unsigned i = 0; i < 3 && !f; i++) {
		snprintf(path, sizeof(path), "%sPackages%s", dir, sfx[i]);
		f = release_find(rel, path);
	}
	if (!f)
		return diag_fail(d, -ENOENT, "repository %s: its Release lists no %sPackages index "
				 "(check components and architectures)", repo->name, dir);
	if (!(url = pkg_url_join(base, f->path)))
		return diag_fail(d, -ENOMEM, "out of memory");
	if ((r = pkg_get(url, MAX_INDEX, o, &buf, &len, d)))
		goto out;
	if ((r = sha256_buf(buf, len, h))) {
		r = diag_fail(d, r, "sha256 failed");
		goto out;
	}
	if (len != f->size || memcmp(h, f->sha256, SHA256_LEN)) {
		r = diag_fail(d, -EBADMSG, "%s: %s differs from the signed Release (modified or "
			      "out of sync mirror)", url, len != f->size ? "size" : "SHA-256");
		goto out;
	}
	if ((r = pkg_decompress(url, buf, len, MAX_INDEX, &text, &tlen, d)))
		goto out;
	r = pkg_pool_add(pool, text, tlen, url, d);
out:
	free(text);
	free(buf);
	free(url);
	return r;
}

static int check_dates(const struct pkg_repo *repo, const struct release *rel,
		       const struct pkg_net_opts *o, struct diag *d)
{
	if (rel->date_t > o->now + DATE_SKEW)
		return diag_fail(d, -EPERM, "repository %s: Release is not valid yet (Date: %s is "
				 "in the future)", repo->name, rel->date);
	if (rel->valid_until >= 0 && rel->valid_until < o->now && !repo->allow_expired)
		return diag_fail(d, -EPERM, "repository %s (%s:%u): Release expired (Valid-Until "
				 "passed); for a dated snapshot set allow-expired = true",
				 repo->name, repo->cfgfile, repo->line);
	return 0;
}

/* Packages in an earlier layer of the same tree are already there. */
static void drop_earlier(struct pkg_lock *l)
{
	for (unsigned i = 0; i < l->nlayers; i++) {
		struct pkg_lock_layer *y = &l->layers[i];
		unsigned w = 0;
		for (unsigned k = 0; k < y->npkgs; k++) {
			bool dup = false;
			for (unsigned j = 0; j < i && !dup; j++) {
				const struct pkg_lock_layer *e = &l->layers[j];
				if (strcmp(e->tree, y->tree))
					continue;
				for (unsigned m = 0; m < e->npkgs && !dup; m++)
					dup = !memcmp(e->pkgs[m].sha256, y->pkgs[k].sha256, SHA256_LEN);
			}
			if (dup) {
				free(y->pkgs[k].name);
				free(y->pkgs[k].version);
				free(y->pkgs[k].arch);
				free(y->pkgs[k].filename);
			} else {
				y->pkgs[w++] = y->pkgs[k];
			}
		}
		y->npkgs = w;
	}
}

static int lock_repo(const struct pkg_request *req, unsigned ri, const struct pkg_net_opts *o,
		     struct pkg_lock *l, struct diag *d)
{
	const struct pkg_repo *repo = &req->repos[ri];
	struct pkg_lock_repo *lr = &l->repos[l->nrepos];
	struct release rel = { 0 };
	struct pkg_pool *pool = NULL;
	char *base, *text = NULL, *what = NULL;
	size_t tlen = 0;
	int r;

	if (repo->suite) {
		char *dists = pkg_url_join(repo->url, "dists");
		base = dists ? pkg_url_join(dists, repo->suite) : NULL;
		free(dists);
	} else {
		base = strdup(repo->url);
	}
	/* url = "apt-sources" stays that word in the lock: the mirror is
	 * this machine's, and kiln fetch uses the fetching machine's. */
	if (!base || !(lr->name = strdup(repo->name)) ||
	    !(lr->url = strdup(repo->url_spec ? repo->url_spec : repo->url))) {
		free(base);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	l->nrepos++;
	if ((r = get_release(repo, base, o, &text, &tlen, lr->release_sha256, d)))
		goto out;
	if (asprintf(&what, "repository %s: Release", repo->name) < 0) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = release_parse(text, tlen, what, &rel, d)) || (r = check_dates(repo, &rel, o, d)))
		goto out;
	if (!(lr->date = strdup(rel.date))) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = pkg_pool_new(repo->archs, repo->narchs, &pool, d)))
		goto out;
	if (!repo->suite) {
		r = add_index(repo, base, &rel, "", pool, o, d);
	} else {
		for (unsigned c = 0; c < repo->ncomponents && !r; c++) {
			for (unsigned a = 0; a < repo->narchs && !r; a++) {
				char dir[256];
				snprintf(dir, sizeof(dir), "%s/binary-%s/", repo->components[c],
					 repo->archs[a]);
				r = add_index(repo, base, &rel, dir, pool, o, d);
			}
		}
	}
	for (unsigned i = 0; i < req->nlayers && !r; i++) {
		const struct pkg_layer_req *y = &req->layers[i];
		if (y->repo != ri)
			continue;
		struct pkg_lock_layer *out = &l->layers[i];
		if (!(out->tree = strdup(y->tree))) {
			r = diag_fail(d, -ENOMEM, "out of memory");
			break;
		}
		out->index = y->index;
		r = pkg_pool_solve(pool, y, l->nrepos - 1, repo->name, out, d);
	}
out:
	pkg_pool_free(pool);
	release_release(&rel);
	free(what);
	free(text);
	free(base);
	return r;
}

int pkg_lock_resolve(const struct pkg_request *req, const struct pkg_net_opts *o,
		     struct pkg_lock *ret, struct diag *d)
{
	struct pkg_lock l = { 0 };
	int r;

	if (req->nrepos > PKG_MAX_REPOS || req->nlayers > PKG_MAX_LAYERS)
		return diag_fail(d, -E2BIG, "too many repositories or package layers");
	if ((r = pkg_request_hash(req, l.request)))
		return diag_fail(d, r, "sha256 failed");
	l.repos = calloc(req->nrepos + 1, sizeof(*l.repos));
	l.layers = calloc(req->nlayers + 1, sizeof(*l.layers));
	if (!l.repos || !l.layers) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto fail;
	}
	l.nlayers = req->nlayers;
	for (unsigned i = 0; i < req->nrepos && !r; i++) {
		bool used = false;
		for (unsigned k = 0; k < req->nlayers; k++)
			used |= req->layers[k].repo == i;
		if (used)
			r = lock_repo(req, i, o, &l, d);
	}
	if (r)
		goto fail;
	drop_earlier(&l);
	*ret = l;
	return 0;
fail:
	pkg_lock_release(&l);
	return r;
}

int pkg_fetch(const struct pkg_lock *l, struct store *s, const struct pkg_net_opts *o,
	      unsigned *ret_fetched, struct diag *d)
{
	struct pkg_dl *v;
	char **urls;
	unsigned n = 0, total = 0;
	int r = 0;

	for (unsigned i = 0; i < l->nlayers; i++)
		total += l->layers[i].npkgs;
	v = calloc(total + 1, sizeof(*v));
	urls = calloc(total + 1, sizeof(*urls));
	if (!v || !urls) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < l->nlayers && !r; i++) {
		for (unsigned k = 0; k < l->layers[i].npkgs && !r; k++) {
			const struct pkg_locked *p = &l->layers[i].pkgs[k];
			bool dup = store_has(s, p->sha256);
			for (unsigned j = 0; j < n && !dup; j++)
				dup = !memcmp(v[j].sha256, p->sha256, SHA256_LEN);
			if (dup)
				continue;
			if (!(urls[n] = pkg_url_join(l->repos[p->repo].url, p->filename))) {
				r = diag_fail(d, -ENOMEM, "out of memory");
				break;
			}
			v[n] = (struct pkg_dl){ .url = urls[n], .size = p->size, .sha256 = p->sha256 };
			n++;
		}
	}
	if (!r)
		r = pkg_download(v, n, s, o, d);
	if (!r)
		*ret_fetched = n;
out:
	for (unsigned i = 0; urls && i < n; i++)
		free(urls[i]);
	free(urls);
	free(v);
	return r;
}
