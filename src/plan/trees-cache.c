/* SPDX-License-Identifier: MIT */
/*
 * Decoded archive layers in the store (docs/store.md): the replay log of
 * an archive layer and its members' data, kept under the archive's
 * content hash, so a given archive is decompressed once across builds
 * and configs. The store is an optimisation: nothing here fails a build
 * but an input that changes while kiln reads it.
 */
#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/tree-archive.h"
#include "plan/build.h"
#include "plan/trees-def.h"
#include "store/store.h"

struct layer_cache {
	bool hashed;               /* hash and st are the archive's */
	uint8_t hash[SHA256_LEN];
	struct stat st;
	bool stored;               /* in the store already (found or saved) */
};

void trees_cache_free(struct layer_cache *lc)
{
	free(lc);
}

/* A diag for store calls: their warnings reach the user, their errors
 * do not become the build's. */
static void quiet_init(struct diag *q, const struct diag *d)
{
	memset(q, 0, sizeof(*q));
	if (d) {
		q->warn = d->warn;
		q->note = d->note;
		q->userdata = d->userdata;
	}
}

static int upd(struct sha256_ctx *c, const void *p, size_t n, int r)
{
	return r ? r : sha256_update(c, p, n);
}

/*
 * Everything that decides a layer's log and data: the archive's bytes,
 * how it is read (kind, libarchive's version), its filters, and the
 * decoded-layer format (which includes the host byte order, as the file
 * does). Not dest, policy or follow-symlinks: those apply at replay.
 */
static int layer_key(const struct tree_layer *l, const uint8_t hash[SHA256_LEN],
		     uint8_t key[SHA256_LEN])
{
	static const char tag[] = "kiln decoded archive layer";
	const uint32_t order = 0x01020304, fmt = tree_archive_layer_format();
	const int32_t la = archive_version_number();
	const uint8_t kind = l->src == LAYER_DEB, has_sub = l->subdir != NULL;
	const uint32_t ninc = l->ninclude;
	struct sha256_ctx c;
	int r = sha256_init(&c);

	if (r)
		return r;
	r = upd(&c, tag, sizeof(tag), r);
	r = upd(&c, &order, 4, r);
	r = upd(&c, &fmt, 4, r);
	r = upd(&c, &la, 4, r);
	r = upd(&c, hash, SHA256_LEN, r);
	r = upd(&c, &kind, 1, r);
	r = upd(&c, &has_sub, 1, r);
	if (l->subdir)
		r = upd(&c, l->subdir, strlen(l->subdir) + 1, r);
	r = upd(&c, &ninc, 4, r);
	for (unsigned i = 0; i < l->ninclude; i++)
		r = upd(&c, l->include[i], strlen(l->include[i]) + 1, r);
	if (!r)
		r = sha256_final(&c, key);
	sha256_release(&c);
	return r;
}

int trees_cache_load(struct build *b, struct tree_layer *l, const char *host, struct diag *d)
{
	struct layer_cache *lc = l->cache;
	uint8_t key[SHA256_LEN];
	struct diag q;
	char *blob = NULL;
	void *val = NULL;
	size_t len = 0;
	int fd, bfd = -1, r;

	if (!b->store || l->log)
		return 0;
	if (!lc && !(lc = l->cache = calloc(1, sizeof(*lc))))
		return diag_fail(d, -ENOMEM, "out of memory");
	fd = open(host, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* the import names the problem as without a store */
	quiet_init(&q, d);
	r = store_file_hash(b->store, fd, host, lc->hash, &lc->st, &q);
	close(fd);
	if (r == -EINVAL)
		return 0; /* not a regular file: the import says so */
	if (r)
		return diag_fail(d, r, "%s", q.msg);
	lc->hashed = true;
	if (layer_key(l, lc->hash, key) || store_ac_get(b->store, key, &val, &len, &q) ||
	    len != SHA256_LEN)
		goto out;
	if (store_open_blob(b->store, val, true, &bfd, &q))
		goto out; /* absent, or corrupt (warned, removed): read it again */
	blob = store_blob_path(b->store, val);
	if (!blob || tree_archive_log_load(bfd, blob, &lc->st, &l->log, &q)) {
		if (blob)
			diag_warn(d, "%s; reading %s again", q.msg, host);
		goto out;
	}
	lc->stored = true;
	diag_note(d, "%s: decoded layer from the cache (%s)", host, blob);
out:
	if (bfd >= 0)
		close(bfd);
	free(blob);
	free(val);
	return 0;
}

struct put_ctx {
	struct store_writer *w;
	struct diag *d;
};

static int put_write(void *ud, const void *buf, size_t len)
{
	struct put_ctx *p = ud;

	return store_writer_write(p->w, buf, len, p->d);
}

/* Store layer @l's decoded form; failures only warn. */
static void save_one(struct build *b, struct trees_state *st, struct tree_layer *l,
		     const uint8_t hash[SHA256_LEN], const char *host, struct diag *d)
{
	uint8_t key[SHA256_LEN], blob[SHA256_LEN];
	struct put_ctx p = { .d = NULL };
	struct diag q;
	void *val;
	size_t len;
	int r;

	quiet_init(&q, d);
	p.d = &q;
	l->cache->stored = true; /* one attempt per build */
	if (layer_key(l, hash, key))
		return;
	if (!store_ac_get(b->store, key, &val, &len, &q)) {
		/* Kept already, unless its blob was found bad and removed. */
		bool have = len == SHA256_LEN && store_has(b->store, val);
		free(val);
		if (have)
			return;
	}
	r = store_writer_new(b->store, &p.w, &q);
	if (!r)
		r = tree_archive_log_export(l->log, st->spill.fd, put_write, &p, &q);
	if (!r)
		r = store_writer_commit(p.w, NULL, blob, &q);
	store_writer_free(p.w);
	if (!r)
		r = store_ac_put(b->store, key, blob, SHA256_LEN, &q);
	if (r)
		diag_warn(d, "%s: not kept in the build cache: %s", host,
			  q.msg[0] ? q.msg : strerror(-r));
	else
		diag_note(d, "%s: decoded layer kept in the build cache", host);
}

int trees_cache_save(struct build *b, struct trees_state *st, struct tree_layer *l,
		     const char *host, struct diag *d)
{
	struct layer_cache *lc = l->cache;
	struct stat now, so;

	if (!b->store || !lc || !lc->hashed || !l->log || tree_archive_log_is_loaded(l->log))
		return 0;
	/* What was decompressed must be what was hashed, or the cache would
	 * file one content under another's name. */
	if (stat(host, &now) || !store_same_file(&now, &lc->st))
		return diag_fail(d, -ESTALE, "%s: changed while kiln was reading it", host);
	/* This layer, and the other layers on the same file recorded in the
	 * same read (plan/trees.c: collect_siblings). */
	for (unsigned i = 0; i < st->ndefs; i++) {
		struct tree_def *def = &st->defs[i];
		for (unsigned k = 0; k < def->nlayers; k++) {
			struct tree_layer *o = &def->layers[k];
			if (o->src != l->src || !o->log || tree_archive_log_is_loaded(o->log) ||
			    (o->cache && o->cache->stored))
				continue;
			if (o != l) {
				char *oh = trees_resolve(b, o->src_path, NULL);
				bool same = oh && !stat(oh, &so) && so.st_dev == now.st_dev &&
					    so.st_ino == now.st_ino;
				free(oh);
				if (!same)
					continue;
				if (!o->cache && !(o->cache = calloc(1, sizeof(*o->cache))))
					continue;
			}
			save_one(b, st, o, lc->hash, host, d);
		}
	}
	return 0;
}
