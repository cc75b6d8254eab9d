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
static int layer_key(bool deb, const char *const *include, unsigned ninclude,
		     const char *subdir, const uint8_t hash[SHA256_LEN], uint8_t key[SHA256_LEN])
{
	static const char tag[] = "kiln decoded archive layer";
	const uint32_t order = 0x01020304, fmt = tree_archive_layer_format();
	const int32_t la = archive_version_number();
	const uint8_t kind = deb, has_sub = subdir != NULL;
	const uint32_t ninc = ninclude;
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
	if (subdir)
		r = upd(&c, subdir, strlen(subdir) + 1, r);
	r = upd(&c, &ninc, 4, r);
	for (unsigned i = 0; i < ninclude; i++)
		r = upd(&c, include[i], strlen(include[i]) + 1, r);
	if (!r)
		r = sha256_final(&c, key);
	sha256_release(&c);
	return r;
}

static int archive_layer_key(const struct tree_layer *l, const uint8_t hash[SHA256_LEN],
			     uint8_t key[SHA256_LEN])
{
	return layer_key(l->src == LAYER_DEB, (const char *const *)l->include, l->ninclude,
			 l->subdir, hash, key);
}

/*
 * The decoded layer stored under @key, loaded as a replay log whose
 * data stays in its blob (*ret_path, malloc'd); *ret NULL on a miss or
 * a bad entry (warned, removed: decoded again). @what names the input.
 */
static void get_log(struct build *b, const uint8_t key[SHA256_LEN], const struct stat *archive_st,
		    const char *what, struct tree_archive_log **ret, char **ret_path,
		    struct diag *d)
{
	struct diag q;
	char *blob = NULL;
	void *val = NULL;
	size_t len = 0;
	int bfd = -1;

	*ret = NULL;
	quiet_init(&q, d);
	if (store_ac_get(b->store, key, &val, &len, &q) || len != SHA256_LEN)
		goto out;
	if (store_open_blob(b->store, val, true, &bfd, &q))
		goto out; /* absent, or corrupt (warned, removed): read it again */
	blob = store_blob_path(b->store, val);
	if (!blob || tree_archive_log_load(bfd, blob, archive_st, ret, &q)) {
		if (blob)
			diag_warn(d, "%s; reading %s again", q.msg, what);
		*ret = NULL;
		goto out;
	}
	diag_note(d, "%s: decoded layer from the cache (%s)", what, blob);
	if (ret_path) {
		*ret_path = blob;
		blob = NULL;
	}
out:
	if (bfd >= 0)
		close(bfd);
	free(blob);
	free(val);
}

int trees_cache_load(struct build *b, struct tree_layer *l, const char *host, struct diag *d)
{
	struct layer_cache *lc = l->cache;
	uint8_t key[SHA256_LEN];
	struct diag q;
	int fd, r;

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
	if (archive_layer_key(l, lc->hash, key))
		return 0;
	get_log(b, key, &lc->st, host, &l->log, NULL, d);
	lc->stored = l->log != NULL;
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

/* Keep @log (recorded from the archive @what into the spill file)
 * under @key, unless the store has it; failures only warn. */
static void put_log(struct build *b, int spill_fd, const uint8_t key[SHA256_LEN],
		    const struct tree_archive_log *log, const char *what, struct diag *d)
{
	uint8_t blob[SHA256_LEN];
	struct put_ctx p = { .d = NULL };
	struct diag q;
	void *val;
	size_t len;
	int r;

	quiet_init(&q, d);
	p.d = &q;
	if (!store_ac_get(b->store, key, &val, &len, &q)) {
		/* Kept already, unless its blob was found bad and removed. */
		bool have = len == SHA256_LEN && store_has(b->store, val);
		free(val);
		if (have)
			return;
	}
	r = store_writer_new(b->store, &p.w, &q);
	if (!r)
		r = tree_archive_log_export(log, spill_fd, put_write, &p, &q);
	if (!r)
		r = store_writer_commit(p.w, NULL, blob, &q);
	store_writer_free(p.w);
	if (!r)
		r = store_ac_put(b->store, key, blob, SHA256_LEN, &q);
	if (r)
		diag_warn(d, "%s: not kept in the build cache: %s", what,
			  q.msg[0] ? q.msg : strerror(-r));
	else
		diag_note(d, "%s: decoded layer kept in the build cache", what);
}

/* Store layer @l's decoded form; failures only warn. */
static void save_one(struct build *b, struct trees_state *st, struct tree_layer *l,
		     const uint8_t hash[SHA256_LEN], const char *host, struct diag *d)
{
	uint8_t key[SHA256_LEN];

	l->cache->stored = true; /* one attempt per build */
	if (!archive_layer_key(l, hash, key))
		put_log(b, st->spill.fd, key, l->log, host, d);
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

int trees_cache_layer_key(const struct tree_layer *l, uint8_t key[SHA256_LEN])
{
	if (!l->cache || !l->cache->hashed)
		return -ENOENT;
	return archive_layer_key(l, l->cache->hash, key);
}

const struct stat *trees_cache_stat(const struct tree_layer *l)
{
	static const struct stat none;

	return l->cache && l->cache->hashed ? &l->cache->st : &none;
}

void trees_cache_put(struct build *b, struct tree_layer *l, const struct tree_archive_log *log,
		     int spill_fd, const char *host, struct diag *d)
{
	uint8_t key[SHA256_LEN];

	if (b->store && l->cache && l->cache->hashed && !archive_layer_key(l, l->cache->hash, key))
		put_log(b, spill_fd, key, log, host, d);
}

/* A package's decoded layer: the .deb's SHA-256 from kiln.lock is its
 * content hash already, and its filters are the package layer's. */
void trees_cache_pkg_load(struct build *b, const struct tree_layer *l,
			  const uint8_t deb[SHA256_LEN], const char *what,
			  struct tree_archive_log **ret, char **ret_path, struct diag *d)
{
	uint8_t key[SHA256_LEN];

	*ret = NULL;
	if (b->store && !layer_key(true, (const char *const *)l->include, l->ninclude, NULL, deb,
				   key))
		get_log(b, key, NULL, what, ret, ret_path, d);
}

void trees_cache_pkg_save(struct build *b, int spill_fd, const struct tree_layer *l,
			  const uint8_t deb[SHA256_LEN], const struct tree_archive_log *log,
			  const char *what, struct diag *d)
{
	uint8_t key[SHA256_LEN];

	if (b->store && !layer_key(true, (const char *const *)l->include, l->ninclude, NULL, deb,
				   key))
		put_log(b, spill_fd, key, log, what, d);
}
