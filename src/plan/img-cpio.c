/* SPDX-License-Identifier: MIT */
/*
 * `cpio`: genimage's cpio type (an initramfs), written natively from the
 * image's content tree: newc only, optionally gzip'd (deterministic).
 * The size is planned by running the writer into a counter (for gzip
 * that compresses once in setup, unless the store knows the size for the
 * same tree and zlib; generate checks it got the same size).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/diag.h"
#include "boot/bout.h"
#include "boot/cpio.h"
#include "boot/gzip.h"
#include "config/cfgutil.h"
#include "fs/tree.h"
#include "plan/image-key.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"
#include "store/store.h"

struct cpio_priv {
	struct tree *tree;
	bool gzip;
	uint64_t bytes;  /* archive bytes (before padding to img->size) */
};

static cfg_opt_t cpio_opts[] = {
	CFG_STR("format", "newc", CFGF_NONE),
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_STR("compress", "", CFGF_NONE),
	CFG_END()
};

/* GNU cpio options that change nothing in what kiln writes anyway. */
static bool harmless_arg(const char *a)
{
	static const char *const ok[] = { "--reproducible", "--quiet", "-v", "--verbose",
					  "--null", "-0", "-R", "0:0", "root:root",
					  "--owner=0:0", "--owner=root:root", "--owner", NULL };
	for (unsigned i = 0; ok[i]; i++)
		if (!strcmp(a, ok[i]))
			return true;
	return false;
}

static int cpio_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct cpio_priv *p = calloc(1, sizeof(*p));
	const char *fmt = cfg_getstr(sec, "format"), *comp = cfg_getstr(sec, "compress");
	const char *extra = cfg_getstr(sec, "extraargs");
	char buf[512], *save = NULL, *tok;

	(void)b;
	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	if (strcmp(fmt, "newc"))
		return cfg_fail(sec, "format", fmt, -EINVAL, d,
				"kiln writes only \"newc\" (what the Linux kernel unpacks)");
	if (!strcmp(comp, "gzip"))
		p->gzip = true;
	else if (*comp)
		return cfg_fail(sec, "compress", comp, -EINVAL, d,
				"kiln supports \"gzip\" (deterministic, no timestamp) or none");
	if (strlen(extra) >= sizeof(buf))
		return cfg_fail(sec, "extraargs", extra, -EINVAL, d, "too long");
	snprintf(buf, sizeof(buf), "%s", extra);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		if (!harmless_arg(tok))
			return cfg_fail(sec, "extraargs", extra, -EINVAL, d,
					"\"%s\" is a GNU cpio option kiln cannot honour (kiln writes the archive itself: owners, times and order come from the tree)",
					tok);
	return 0;
}

static int write_archive(struct cpio_priv *p, struct bout *o, bool measure, unsigned jobs,
			 struct diag *d)
{
	struct gzip_out g;
	int r;

	if (!p->gzip)
		return cpio_write_tree(p->tree, o, measure, d);
	r = gzip_begin(&g, o, jobs);
	if (r)
		return diag_fail(d, r, "gzip: %s", strerror(-r));
	r = cpio_write_tree(p->tree, &g.in, false, d);
	if (!r)
		r = gzip_end(&g);
	gzip_release(&g);
	return r;
}

/* The store record of the gzip'd archive's size: keyed by the tree's
 * key components, zlib's version, the level and the block size (boot/gzip.h),
 * all that decides it. */
static int size_key(struct build *b, struct cpio_priv *p, uint8_t key[SHA256_LEN], struct diag *d)
{
	static const char tag[] = "kiln cpio gzip size 2";
	const char *zv = zlibVersion();
	const uint32_t level = GZIP_LEVEL, block = GZIP_BLOCK;
	struct image_key k = { 0 };
	struct sha256_ctx c;
	int r = image_key_tree(b, &k, p->tree, d);

	if (r || (r = sha256_init(&c))) {
		image_key_release(&k);
		return r;
	}
	r = sha256_update(&c, tag, sizeof(tag));
	if (!r)
		r = sha256_update(&c, &level, sizeof(level));
	if (!r)
		r = sha256_update(&c, &block, sizeof(block));
	if (!r)
		r = sha256_update(&c, zv, strlen(zv) + 1);
	for (size_t i = 0; !r && i < k.n; i++) {
		r = sha256_update(&c, k.c[i].name, strlen(k.c[i].name) + 1);
		if (!r)
			r = sha256_update(&c, k.c[i].hash, SHA256_LEN);
	}
	if (!r)
		r = sha256_final(&c, key);
	sha256_release(&c);
	image_key_release(&k);
	return r;
}

/* Compressing only to learn the size is most of a warm build's CPU:
 * take it from the store when it has it (generate checks it anyway). */
static int measure(struct build *b, struct cpio_priv *p, struct diag *d)
{
	struct diag q = { .warn = d ? d->warn : NULL, .userdata = d ? d->userdata : NULL };
	uint8_t key[SHA256_LEN];
	bool keyed = false;
	struct bout cnt;
	void *val = NULL;
	size_t len = 0;
	int r;

	if (p->gzip && b->store && !size_key(b, p, key, &q)) {
		keyed = true;
		if (!store_ac_get(b->store, key, &val, &len, &q) && len == sizeof(p->bytes)) {
			memcpy(&p->bytes, val, sizeof(p->bytes));
			free(val);
			return 0;
		}
		free(val);
	}
	bout_count(&cnt);
	r = write_archive(p, &cnt, true, b->jobs, d);
	if (r)
		return r;
	p->bytes = cnt.off;
	if (keyed)
		(void)store_ac_put_cheap(b->store, key, &p->bytes, sizeof(p->bytes), &q);
	return 0;
}

static int cpio_setup(struct build *b, struct image *img, struct diag *d)
{
	struct cpio_priv *p = img->priv;
	int r;

	r = image_content_tree(b, img, &p->tree, d);
	if (r)
		return r;
	r = measure(b, p, d);
	if (r)
		return r;
	/* genimage's cpio ignores `size`: the file is the archive, no
	 * padding, whatever the config says (kiln pads and checks it). */
	if (b->genimage_mode) {
		img->size = p->bytes;
		return 0;
	}
	if (img->size_set && img->size < p->bytes)
		return diag_fail(d, -ENOSPC, "cpio archive needs %llu bytes, size is %llu",
				 (unsigned long long)p->bytes, (unsigned long long)img->size);
	if (!img->size_set)
		img->size = p->bytes;
	return 0;
}

static int cpio_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct cpio_priv *p = img->priv;
	struct bout o;
	int r;

	(void)b;
	bout_sink(&o, out);
	r = write_archive(p, &o, false, b->jobs, d);
	if (r)
		return r;
	if (o.off != p->bytes)
		return diag_fail(d, -EIO, "archive came out %llu bytes, planned %llu (inputs changed?)",
				 (unsigned long long)o.off, (unsigned long long)p->bytes);
	return 0;
}

static void cpio_describe(const struct image *img, void (*line)(void *, const char *), void *ud)
{
	const struct cpio_priv *p = img->priv;
	char s[128];

	snprintf(s, sizeof(s), "cpio newc%s: %llu entries, %llu bytes", p->gzip ? " + gzip" : "",
		 p->tree ? (unsigned long long)p->tree->nnodes : 0ULL,
		 (unsigned long long)p->bytes);
	line(ud, s);
}

static void cpio_release(struct image *img)
{
	struct cpio_priv *p = img->priv;

	if (!p)
		return;
	tree_free(p->tree);
	free(p);
	img->priv = NULL;
}

static int cpio_key(struct build *b, struct image *img, struct image_key *k, struct diag *d)
{
	/* A gzip'd archive also depends on zlib's output for its version. */
	int r = image_key_add(k, "zlib", zlibVersion(), strlen(zlibVersion()));

	return r ? r : image_key_tree(b, k, ((struct cpio_priv *)img->priv)->tree, d);
}

const struct image_handler cpio_handler = {
	.type = "cpio",
	.opts = cpio_opts,
	.parse = cpio_parse,
	.setup = cpio_setup,
	.generate = cpio_generate,
	.describe = cpio_describe,
	.release = cpio_release,
	.content = image_content_tree,
	.key = cpio_key,
};
