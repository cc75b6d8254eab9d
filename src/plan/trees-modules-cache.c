/* SPDX-License-Identifier: MIT */
/*
 * Module selections in the store (docs/store.md, "Kernel modules"): the
 * closure of `modules = { ... }` and the modules.dep/alias/... kiln
 * writes for it depend on the layer's files alone, and without a
 * modules.dep finding them means reading every module's .modinfo (the
 * whole 300 MB of a Debian kernel's modules). Keyed by the scratch
 * tree's metadata, whose data are ranges of content-addressed blobs, a
 * warm build reads no module to find them again.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/endian.h"
#include "fs/tree.h"
#include "plan/build.h"
#include "plan/trees-def.h"
#include "plan/trees-modules.h"
#include "store/store.h"

/* Bump when the record, the selection or fs/kmod-*'s output changes. */
static const char tag[] = "kiln module selection 1";

struct key_walk {
	struct sha256_ctx c;
	bool archive;       /* files named by the archive's key, not by blob */
	const char *root;
	size_t rlen;
	int err;
};

static void upd(struct key_walk *w, const void *p, size_t n)
{
	if (!w->err)
		w->err = sha256_update(&w->c, p, n);
}

static void upd_str(struct key_walk *w, const char *s)
{
	upd(w, s ? s : "", s ? strlen(s) + 1 : 1);
}

static void upd_u64(struct key_walk *w, uint64_t v)
{
	uint8_t b[8];

	put_le64(b, v);
	upd(w, b, 8);
}

static int key_node(struct tree_node *n, void *ud)
{
	struct key_walk *w = ud;
	char buf[TREE_SRC_PATH_MAX];
	char *path = tree_path(n);

	if (!path)
		return w->err = -ENOMEM;
	upd_str(w, path);
	free(path);
	upd_u64(w, n->mode);
	upd_u64(w, n->size);
	upd_str(w, n->link);
	if (n->hardlink) {
		char *hp = tree_path(n->hardlink);
		if (!hp)
			return w->err = -ENOMEM;
		upd_str(w, hp);
		free(hp);
	} else if (tree_is_reg(n) && n->size && !w->archive) {
		/* Only a store blob names its bytes; anything else would have
		 * to be read to be known. */
		const char *sp = tree_node_src_path(n, buf, sizeof(buf));
		size_t sl = sp ? strlen(sp) : 0;
		if (!sp || strncmp(sp, w->root, w->rlen) || strncmp(sp + w->rlen, "/cas/", 5) ||
		    sl < w->rlen + 5 + 64 || strchr(sp + sl - 64, '/'))
			return w->err = -ENOENT;
		upd_str(w, sp + sl - 64);
		upd_u64(w, n->src_off);
	}
	return w->err;
}

int kmod_cache_key(struct build *b, struct tree *s, const struct tree_layer *l,
		   enum tree_conflict pol, uint8_t key[SHA256_LEN])
{
	struct key_walk w = { .root = b->store ? store_root(b->store) : NULL };
	uint8_t layer[SHA256_LEN];
	int r;

	if (!w.root)
		return -ENOENT;
	w.rlen = strlen(w.root);
	/* An archive's members are known by its content hash and filters
	 * (the decoded layer's key) whether this build decoded it into the
	 * spill file or took it from the store: the cold build's record
	 * serves the next one. Which member wins a clash is the policy's. */
	w.archive = (l->src == LAYER_ARCHIVE || l->src == LAYER_DEB) &&
		    !trees_cache_layer_key(l, layer);
	if ((r = sha256_init(&w.c)))
		return r;
	upd(&w, tag, sizeof(tag));
	upd_u64(&w, w.archive);
	if (w.archive) {
		upd(&w, layer, SHA256_LEN);
		upd_u64(&w, (uint64_t)pol);
	}
	upd_u64(&w, l->nmodules);
	for (unsigned i = 0; i < l->nmodules; i++)
		upd_str(&w, l->modules[i]);
	r = tree_walk(s, key_node, &w);
	if (!r)
		r = w.err;
	if (!r)
		r = sha256_final(&w.c, key);
	sha256_release(&w.c);
	return r;
}

/*
 * The record: le64 count then each string as le64 length + bytes: vdir,
 * the number of kept paths, the paths, then the GEN_MAX generated files.
 */
static void put_bytes(struct buf *r, const void *p, size_t n)
{
	char le[8];

	put_le64(le, n);
	buf_put(r, le, sizeof(le));
	buf_put(r, p, n);
}

void kmod_cache_put(struct build *b, const uint8_t key[SHA256_LEN], const struct trees_kmod *k,
		    struct diag *d)
{
	struct diag q = { .warn = d ? d->warn : NULL, .userdata = d ? d->userdata : NULL };
	struct buf r = { 0 };
	char nk[24];

	put_bytes(&r, k->vdir, strlen(k->vdir));
	snprintf(nk, sizeof(nk), "%u", k->nkeep);
	put_bytes(&r, nk, strlen(nk));
	for (unsigned i = 0; i < k->nkeep; i++)
		put_bytes(&r, k->keep[i], strlen(k->keep[i]));
	for (unsigned i = 0; i < GEN_MAX; i++)
		put_bytes(&r, k->gen[i], k->genlen[i]);
	int e = r.err ? r.err : store_ac_put(b->store, key, r.p, r.len, &q);
	if (e)
		diag_warn(d, "%s: module selection not kept in the build cache: %s", k->vdir,
			  q.msg[0] ? q.msg : strerror(-e));
	free(r.p);
}

/* The next string of @buf at *@off, malloc'd and NUL-terminated. */
static char *get_bytes(const char *buf, size_t len, size_t *off, size_t *ret_len)
{
	uint64_t n;
	char *s;

	if (len - *off < 8)
		return NULL;
	n = get_le64(buf + *off);
	*off += 8;
	if (n > len - *off || !(s = malloc((size_t)n + 1)))
		return NULL;
	memcpy(s, buf + *off, (size_t)n);
	s[n] = 0;
	*off += (size_t)n;
	if (ret_len)
		*ret_len = (size_t)n;
	return s;
}

int kmod_cache_get(struct build *b, const uint8_t key[SHA256_LEN], struct trees_kmod *k,
		   struct diag *d)
{
	struct diag q = { .warn = d ? d->warn : NULL, .userdata = d ? d->userdata : NULL };
	void *val = NULL;
	size_t len = 0, off = 0;
	char *vdir = NULL, *nk = NULL, *end;
	unsigned long n;
	int r;

	if ((r = store_ac_get(b->store, key, &val, &len, &q)))
		return -ENOENT; /* absent, or corrupt (warned, removed) */
	r = -EINVAL;
	if (!(vdir = get_bytes(val, len, &off, NULL)) || strcmp(vdir, k->vdir) ||
	    !(nk = get_bytes(val, len, &off, NULL)))
		goto out;
	errno = 0;
	n = strtoul(nk, &end, 10);
	/* Every kept path takes 8 bytes at least: a bound before calloc. */
	if (errno || *end || end == nk || n > len / 8 ||
	    !(k->keep = calloc(n ? n : 1, sizeof(*k->keep))))
		goto out;
	for (; k->nkeep < n; k->nkeep++) {
		struct tree_node *node;
		if (!(k->keep[k->nkeep] = get_bytes(val, len, &off, NULL)))
			goto out;
		/* The key covers the tree; a path it lacks is a bad record. */
		node = tree_lookup(k->scratch, k->keep[k->nkeep]);
		if (!node || tree_is_dir(node)) {
			k->nkeep++;
			goto out;
		}
	}
	for (unsigned i = 0; i < GEN_MAX; i++)
		if (!(k->gen[i] = get_bytes(val, len, &off, &k->genlen[i])))
			goto out;
	r = off == len ? 0 : -EINVAL;
out:
	if (r) {
		diag_warn(d, "module selection record in the build cache is malformed; "
			     "resolving %s again", k->vdir);
		for (unsigned i = 0; i < k->nkeep; i++)
			free(k->keep[i]);
		free(k->keep);
		k->keep = NULL;
		k->nkeep = 0;
		for (unsigned i = 0; i < GEN_MAX; i++) {
			free(k->gen[i]);
			k->gen[i] = NULL;
			k->genlen[i] = 0;
		}
		r = -ENOENT;
	}
	free(vdir);
	free(nk);
	free(val);
	return r;
}
