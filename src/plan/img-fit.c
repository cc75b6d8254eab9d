/* SPDX-License-Identifier: MIT */
/*
 * `fit`: a U-Boot FIT image, written natively (no mkimage, no dtc).
 *
 * Two ways to describe it:
 *  - genimage's: `its = "NAME"` (an image or input file holding an .its
 *    source) plus `partition X { image = "Y" }` entries that set
 *    /images/X/data to image Y's bytes (genimage appends /incbin/s);
 *  - kiln's structured form: `image NAME { ... }` and
 *    `configuration NAME { ... }` subsections.
 * Both become one device tree (boot/dtree.h) that is validated, laid
 * out in setup and written in generate.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/diag.h"
#include "boot/dtree.h"
#include "boot/fit.h"
#include "boot/gzip.h"
#include "boot/its.h"
#include "config/cfgutil.h"
#include "io/sink.h"
#include "plan/bootutil.h"
#include "plan/build.h"
#include "plan/derived-cache.h"
#include "plan/image-key.h"
#include "plan/image.h"

#define ITS_MAX (4u << 20)
#define GZIP_INPUT_MAX (512ull << 20)

struct fit_priv {
	cfg_t *sec;             /* the fit { } section (owned by the config) */
	char *its;              /* genimage: image/file name of the .its */
	bool external, gzip_kernel;
	char *what;             /* message prefix */
	struct dt_node *root;
	struct fit_layout layout;
};

static cfg_opt_t fit_image_opts[] = {
	CFG_STR("data", NULL, CFGF_NONE),
	CFG_STR("image", NULL, CFGF_NONE),
	CFG_STR("type", NULL, CFGF_NONE),
	CFG_STR("arch", NULL, CFGF_NONE),
	CFG_STR("os", NULL, CFGF_NONE),
	CFG_STR("compression", NULL, CFGF_NONE),
	CFG_STR("load", NULL, CFGF_NONE),
	CFG_STR("entry", NULL, CFGF_NONE),
	CFG_STR("description", NULL, CFGF_NONE),
	CFG_STR_LIST("hash", "{crc32}", CFGF_NONE),
	CFG_BOOL("gzip", cfg_false, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t fit_conf_opts[] = {
	CFG_STR("kernel", NULL, CFGF_NONE),
	CFG_STR_LIST("fdt", NULL, CFGF_NONE),
	CFG_STR("ramdisk", NULL, CFGF_NONE),
	CFG_STR_LIST("loadables", NULL, CFGF_NONE),
	CFG_STR("firmware", NULL, CFGF_NONE),
	CFG_STR("description", NULL, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t fit_opts[] = {
	CFG_STR("its", NULL, CFGF_NONE),
	CFG_STR("keydir", "", CFGF_NONE),
	CFG_STR("description", NULL, CFGF_NONE),
	CFG_STR("default", NULL, CFGF_NONE),
	CFG_BOOL("external-data", cfg_false, CFGF_NONE),
	CFG_BOOL("gzip-kernel", cfg_false, CFGF_NONE),
	CFG_INT("address-cells", 1, CFGF_NONE),
	CFG_SEC("image", fit_image_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("configuration", fit_conf_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END()
};

static int fit_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct fit_priv *p = calloc(1, sizeof(*p));
	const char *its = cfg_getstr(sec, "its"), *keydir = cfg_getstr(sec, "keydir");
	unsigned nimg = cfg_size(sec, "image"), nconf = cfg_size(sec, "configuration");
	long cells = cfg_getint(sec, "address-cells");
	char what[512];

	(void)b;
	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	p->sec = sec;
	p->external = cfg_getbool(sec, "external-data");
	p->gzip_kernel = cfg_getbool(sec, "gzip-kernel");
	if (*keydir)
		return cfg_fail(sec, "keydir", keydir, -EINVAL, d,
				"signed FIT images are not supported by kiln");
	if (cells != 1 && cells != 2)
		return cfg_fail(sec, "address-cells", NULL, -EINVAL, d, "%ld: must be 1 or 2", cells);
	if (its && *its) {
		if (nimg || nconf)
			return cfg_fail(sec, "its", its, -EINVAL, d,
					"give either an .its or image/configuration sections, not both");
		if (cfg_getstr(sec, "description") || cfg_getstr(sec, "default"))
			return cfg_fail(sec, "its", its, -EINVAL, d,
					"description and default come from the .its itself");
		p->its = strdup(its);
		if (!p->its || image_depend(img, its))
			return diag_fail(d, -ENOMEM, "out of memory");
	} else {
		if (!nimg)
			return diag_fail(d, -EINVAL,
					 "%s:%d: fit: needs its = \"file.its\" or at least one image NAME { } section",
					 sec->filename, sec->line);
		if (img->nparts)
			return diag_fail(d, -EINVAL,
					 "%s:%d: fit: partition entries only go with its = (genimage style); use image NAME { image = ... }",
					 sec->filename, sec->line);
		for (unsigned i = 0; i < nimg; i++) {
			cfg_t *is = cfg_getnsec(sec, "image", i);
			const char *data = cfg_getstr(is, "data"), *other = cfg_getstr(is, "image");
			if (!!data == !!other)
				return diag_fail(d, -EINVAL,
						 "%s:%d: fit: image %s: give exactly one of data = \"FILE\" and image = \"IMAGE\"",
						 is->filename, is->line, cfg_title(is));
			if (other && image_depend(img, other))
				return diag_fail(d, -ENOMEM, "out of memory");
		}
	}
	snprintf(what, sizeof(what), "%s:%d: fit", sec->filename ? sec->filename : "?", sec->line);
	p->what = strdup(what);
	return p->what ? 0 : diag_fail(d, -ENOMEM, "out of memory");
}

/* Number "0x..."/decimal into one or two big-endian cells. */
static int set_addr(struct dt_node *n, cfg_t *is, const char *key, long cells, struct diag *d)
{
	const char *v = cfg_getstr(is, key);
	unsigned long long x;
	uint8_t b[8];
	char *e;

	if (!v)
		return 0;
	errno = 0;
	x = strtoull(v, &e, 0);
	if (!*v || *e || errno || v[0] == '-')
		return cfg_fail(is, key, v, -EINVAL, d, "not a number");
	if (cells == 1 && x > UINT32_MAX)
		return cfg_fail(is, key, v, -EINVAL, d,
				"above 4 GiB: set address-cells = 2 in the fit section");
	if (cells == 1) {
		b[0] = (uint8_t)(x >> 24); b[1] = (uint8_t)(x >> 16);
		b[2] = (uint8_t)(x >> 8); b[3] = (uint8_t)x;
		return dt_set(n, key, b, 4) ? -ENOMEM : 0;
	}
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(x >> (56 - 8 * i));
	return dt_set(n, key, b, 8) ? -ENOMEM : 0;
}

static int set_opt_str(struct dt_node *n, cfg_t *s, const char *key)
{
	const char *v = cfg_getstr(s, key);

	return v && dt_set_str(n, key, v) ? -ENOMEM : 0;
}

static int set_strlist(struct dt_node *n, cfg_t *s, const char *key)
{
	unsigned cnt = cfg_size(s, key);
	size_t len = 0, off = 0;
	char *buf;
	int r;

	if (!cnt)
		return 0;
	for (unsigned i = 0; i < cnt; i++)
		len += strlen(cfg_getnstr(s, key, i)) + 1;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	for (unsigned i = 0; i < cnt; i++) {
		const char *v = cfg_getnstr(s, key, i);
		memcpy(buf + off, v, strlen(v) + 1);
		off += strlen(v) + 1;
	}
	r = dt_set(n, key, buf, len);
	free(buf);
	return r;
}

static int data_from(struct build *b, struct image *img, struct dt_node *n, const char *path,
		     struct diag *d)
{
	struct stat st;

	(void)b;
	(void)img;
	if (stat(path, &st))
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return diag_fail(d, -EINVAL, "%s: not a regular file", path);
	return dt_set_file(n, "data", path, (uint64_t)st.st_size) ? -ENOMEM : 0;
}

static int build_structured(struct build *b, struct image *img, struct fit_priv *p,
			    struct diag *d)
{
	cfg_t *sec = p->sec;
	long cells = cfg_getint(sec, "address-cells");
	const char *desc = cfg_getstr(sec, "description"), *def = cfg_getstr(sec, "default");
	struct dt_node *root = dt_node_new("", 0), *images, *confs = NULL;
	unsigned nimg = cfg_size(sec, "image"), nconf = cfg_size(sec, "configuration");
	int r = -ENOMEM;

	p->root = root;
	if (!root || dt_set_str(root, "description", desc ? desc : img->name) ||
	    dt_set_u32(root, "#address-cells", (uint32_t)cells) ||
	    !(images = dt_child(root, "images", true)))
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < nimg; i++) {
		cfg_t *is = cfg_getnsec(sec, "image", i);
		const char *name = cfg_title(is), *data = cfg_getstr(is, "data");
		const char *other = cfg_getstr(is, "image");
		struct dt_node *n = dt_child(images, name, true);
		if (!n)
			return diag_fail(d, -ENOMEM, "out of memory");
		n->line = (unsigned)is->line;
		if (set_opt_str(n, is, "description"))
			return diag_fail(d, -ENOMEM, "out of memory");
		if (data) {
			char *path = boot_input_path(b, data);
			if (!path)
				return diag_fail(d, -ENOMEM, "out of memory");
			r = data_from(b, img, n, path, d);
			free(path);
		} else {
			struct image *c = image_dep(img, other);
			r = dt_set_file(n, "data", c->outfile, c->size) ? -ENOMEM : 0;
		}
		if (r)
			return r;
		if (set_opt_str(n, is, "type") || set_opt_str(n, is, "arch") ||
		    set_opt_str(n, is, "os"))
			return diag_fail(d, -ENOMEM, "out of memory");
		if (dt_set_str(n, "compression",
			       cfg_getstr(is, "compression") ? cfg_getstr(is, "compression")
			       : cfg_getbool(is, "gzip") ? "gzip" : "none"))
			return diag_fail(d, -ENOMEM, "out of memory");
		if (cfg_getbool(is, "gzip") && (r = dt_set_str(n, "kiln-gzip", "1")))
			return diag_fail(d, r, "out of memory");
		if ((r = set_addr(n, is, "load", cells, d)) || (r = set_addr(n, is, "entry", cells, d)))
			return r;
		for (unsigned k = 0; k < cfg_size(is, "hash"); k++) {
			char hn[32];
			struct dt_node *h;
			snprintf(hn, sizeof(hn), "hash-%u", k + 1);
			h = dt_child(n, hn, true);
			if (!h || dt_set_str(h, "algo", cfg_getnstr(is, "hash", k)))
				return diag_fail(d, -ENOMEM, "out of memory");
		}
	}
	if (nconf && !(confs = dt_child(root, "configurations", true)))
		return diag_fail(d, -ENOMEM, "out of memory");
	if (confs && dt_set_str(confs, "default", def ? def : cfg_title(cfg_getnsec(sec, "configuration", 0))))
		return diag_fail(d, -ENOMEM, "out of memory");
	if (!confs && def)
		return cfg_fail(sec, "default", def, -EINVAL, d, "no configuration sections");
	for (unsigned i = 0; i < nconf; i++) {
		cfg_t *cs = cfg_getnsec(sec, "configuration", i);
		struct dt_node *n = dt_child(confs, cfg_title(cs), true);
		if (!n || set_opt_str(n, cs, "description") || set_opt_str(n, cs, "kernel") ||
		    set_strlist(n, cs, "fdt") || set_opt_str(n, cs, "ramdisk") ||
		    set_strlist(n, cs, "loadables") || set_opt_str(n, cs, "firmware"))
			return diag_fail(d, -ENOMEM, "out of memory");
	}
	return 0;
}

struct resolve_ctx {
	struct build *b;
	char *itsdir;
};

/* /incbin/ names: relative to the .its directory, then the inputpath
 * (dtc looks next to the source first). */
static int resolve_incbin(void *ud, const char *name, char **ret_path, uint64_t *ret_len,
			  struct diag *d)
{
	struct resolve_ctx *rc = ud;
	char *cand[2] = { NULL, NULL };
	struct stat st;
	int r = -ENOENT;

	if (name[0] == '/') {
		cand[0] = strdup(name);
	} else {
		size_t n = strlen(rc->itsdir) + strlen(name) + 2;
		cand[0] = malloc(n);
		if (cand[0])
			snprintf(cand[0], n, "%s/%s", rc->itsdir, name);
		cand[1] = boot_input_path(rc->b, name);
	}
	for (int i = 0; i < 2; i++) {
		if (!cand[i] || stat(cand[i], &st) || !S_ISREG(st.st_mode))
			continue;
		*ret_path = cand[i];
		cand[i] = NULL;
		*ret_len = (uint64_t)st.st_size;
		r = 0;
		break;
	}
	if (r)
		diag_fail(d, r, "file not found next to the .its or in the inputpath %s",
			  rc->b->paths.inputpath);
	free(cand[0]);
	free(cand[1]);
	return r;
}

static int build_from_its(struct build *b, struct image *img, struct fit_priv *p, struct diag *d)
{
	struct image *src = image_dep(img, p->its);
	struct resolve_ctx rc = { .b = b };
	uint8_t *text = NULL;
	size_t len;
	char *tmp;
	int r;

	if (!src->input_only)
		return diag_fail(d, -EINVAL,
				 "its = \"%s\": the .its must be an input file, not an image built here",
				 p->its);
	r = boot_read_file(src->outfile, ITS_MAX, &text, &len, d);
	if (r)
		return r;
	tmp = strdup(src->outfile);
	rc.itsdir = tmp ? strdup(dirname(tmp)) : NULL;
	free(tmp);
	if (!rc.itsdir) {
		free(text);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	r = its_parse((const char *)text, len, src->outfile, resolve_incbin, &rc, &p->root, d);
	free(text);
	free(rc.itsdir);
	if (r)
		return r;
	free(p->what);
	p->what = strdup(src->outfile);
	if (!p->what)
		return diag_fail(d, -ENOMEM, "out of memory");
	/* genimage: each partition X { image = Y } sets /images/X/data. */
	for (unsigned i = 0; i < img->nparts; i++) {
		struct partition *pt = &img->parts[i];
		struct dt_node *images = dt_child(p->root, "images", true), *n;
		if (!pt->image)
			return diag_fail(d, -EINVAL, "partition %s: no image given", pt->name);
		n = images ? dt_child(images, pt->name, true) : NULL;
		if (!n || dt_set_file(n, "data", pt->child->outfile, pt->child->size))
			return diag_fail(d, -ENOMEM, "out of memory");
	}
	return 0;
}

/* Compress the data of images marked for it (gzip-kernel, or gzip in
 * the structured form): the compressed size is part of the plan, so the
 * bytes are needed now (images of this run are generated into memory). */
static int gzip_images(struct build *b, struct image *img, struct fit_priv *p, struct diag *d)
{
	struct dt_node *images = dt_child(p->root, "images", false);

	for (unsigned i = 0; images && i < images->nkids; i++) {
		struct dt_node *n = images->kids[i];
		struct dt_prop *dp = dt_prop_find(n, "data");
		const char *type = dt_str(n, "type"), *comp = dt_str(n, "compression");
		bool want = dt_prop_find(n, "kiln-gzip") ||
			    (p->gzip_kernel && type && !strcmp(type, "kernel"));
		uint8_t *raw = NULL, *gz = NULL;
		size_t rl = 0, gl = 0;
		int r;

		dt_del(n, "kiln-gzip");
		if (!want || !dp)
			continue;
		if (comp && strcmp(comp, "none") && strcmp(comp, "gzip"))
			return diag_fail(d, -EINVAL, "%s: image %s: compression = \"%s\" but kiln is asked to gzip it",
					 p->what, n->name, comp);
		if (dp->file) {
			struct image *c = NULL;
			for (unsigned k = 0; k < img->ndeps && !c; k++)
				if (img->deps[k].img && img->deps[k].img->outfile &&
				    !strcmp(img->deps[k].img->outfile, dp->file))
					c = img->deps[k].img;
			/* An image built in this run: run its generator into
			 * memory now, the size of the FIT depends on it. An
			 * input file is looked up by its stat data first. */
			if (c) {
				r = boot_image_bytes(b, c, GZIP_INPUT_MAX, &raw, d);
				rl = (size_t)c->size;
			} else {
				r = derived_gzip_file(b, dp->file, GZIP_INPUT_MAX, &gz, &gl, d);
			}
			if (r)
				return r;
		} else {
			raw = malloc(dp->len ? dp->len : 1);
			if (!raw)
				return diag_fail(d, -ENOMEM, "out of memory");
			memcpy(raw, dp->val, dp->len);
			rl = dp->len;
		}
		r = gz ? 0 : derived_gzip(b, raw, rl, &gz, &gl, d);
		free(raw);
		if (r)
			return diag_fail(d, r, "gzip of image %s failed", n->name);
		r = dt_set(n, "data", gz, gl);
		free(gz);
		if (r || dt_set_str(n, "compression", "gzip"))
			return diag_fail(d, -ENOMEM, "out of memory");
	}
	return 0;
}

static int fit_setup(struct build *b, struct image *img, struct diag *d)
{
	struct fit_priv *p = img->priv;
	int r;

	r = p->its ? build_from_its(b, img, p, d) : build_structured(b, img, p, d);
	if (r)
		return r;
	if ((r = gzip_images(b, img, p, d)) || (r = fit_check_opts(p->root, p->what, !b->genimage_mode, d)))
		return r;
	if (fit_finalize(p->root, b->epoch))
		return diag_fail(d, -ENOMEM, "out of memory");
	r = fit_plan(p->root, p->external, &p->layout, d);
	if (r)
		return r;
	if (img->size_set && img->size < p->layout.total)
		return diag_fail(d, -ENOSPC, "FIT needs %" PRIu64 " bytes, size is %" PRIu64,
				 p->layout.total, img->size);
	if (!img->size_set)
		img->size = p->layout.total;
	return 0;
}

static int fit_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct fit_priv *p = img->priv;

	(void)b;
	return fit_write(p->root, &p->layout, out, d);
}

/* The tree's shape and inline values in @c, one key component per
 * file-backed value (its bytes' identity; @path is the node's path). */
static int key_node(struct build *b, struct image_key *k, struct sha256_ctx *c,
		    const struct dt_node *n, char *path, size_t plen, struct diag *d)
{
	size_t l = plen + (size_t)snprintf(path + plen, 4096 - plen, "%s/", n->name);
	char name[4200];
	int r = 0;

	if (l >= 4096)
		return diag_fail(d, -ENAMETOOLONG, "FIT node path too long");
	r = sha256_update(c, path, l + 1);
	for (unsigned i = 0; !r && i < n->nprops; i++) {
		const struct dt_prop *dp = &n->props[i];
		uint64_t len = dp->len;

		r = sha256_update(c, dp->name, strlen(dp->name) + 1);
		if (!r)
			r = sha256_update(c, &len, sizeof(len));
		if (!r && dp->val)
			r = sha256_update(c, dp->val, dp->len);
		if (!r && dp->file) {
			snprintf(name, sizeof(name), "fit data %s%s", path, dp->name);
			r = image_key_file(b, k, name, dp->file, 0, dp->len, d);
		}
	}
	for (unsigned i = 0; !r && i < n->nkids; i++)
		r = key_node(b, k, c, n->kids[i], path, l, d);
	path[plen] = 0;
	return r;
}

/* Setup resolved everything into the tree (the .its and its /incbin/s,
 * gzip'd payloads, timestamps): the tree and the bytes of its files are
 * the key. */
static int fit_key(struct build *b, struct image *img, struct image_key *k, struct diag *d)
{
	struct fit_priv *p = img->priv;
	struct sha256_ctx c;
	uint8_t h[SHA256_LEN];
	char path[4096] = "";
	int r = sha256_init(&c);

	if (!r)
		r = key_node(b, k, &c, p->root, path, 0, d);
	if (!r)
		r = sha256_final(&c, h);
	sha256_release(&c);
	return r ? r : image_key_add_hash(k, "fit tree", h);
}

static void fit_describe(const struct image *img, void (*line)(void *, const char *), void *ud)
{
	const struct fit_priv *p = img->priv;
	const struct dt_node *images = p->root ? dt_child(p->root, "images", false) : NULL;
	char s[512];

	snprintf(s, sizeof(s), "FIT: %" PRIu64 " bytes FDT%s", p->layout.fdt_size,
		 p->layout.external ? ", external data" : "");
	line(ud, s);
	for (unsigned i = 0; images && i < images->nkids; i++) {
		const struct dt_node *n = images->kids[i];
		const struct dt_prop *dp = dt_prop_find(n, "data");
		const char *t = dt_str(n, "type"), *c = dt_str(n, "compression");
		snprintf(s, sizeof(s), "image %s: %s, %s, %" PRIu64 " bytes%s%s", n->name,
			 t ? t : "?", c ? c : "no compression", dp ? dp->len : 0,
			 dp && dp->file ? " from " : "", dp && dp->file ? dp->file : "");
		line(ud, s);
	}
}

static void fit_release(struct image *img)
{
	struct fit_priv *p = img->priv;

	if (!p)
		return;
	dt_node_free(p->root);
	free(p->its);
	free(p->what);
	free(p);
	img->priv = NULL;
}

const struct image_handler fit_handler = {
	.type = "fit",
	.opts = fit_opts,
	.parse = fit_parse,
	.setup = fit_setup,
	.generate = fit_generate,
	.describe = fit_describe,
	.release = fit_release,
	.key = fit_key,
};
