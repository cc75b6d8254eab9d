/* SPDX-License-Identifier: MIT */
/*
 * `verity-sig`: genimage's signature partition for a `verity` image
 * (the Discoverable Partitions Specification's JSON), signed natively
 * (fs/verity/verity-sig) instead of running `openssl cms`. `cert` and
 * `key` are files (in inputpath, as genimage resolves them) or images;
 * PKCS#11 URIs are not supported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "config/cfgutil.h"
#include "fs/verity/verity-sig.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/img-verity.h"

#define SIG_ALIGN 4096 /* DPS: NUL padding to the next 4 KiB */
/* ECDSA signatures vary by a few bytes from one signing to the next. */
#define SIG_SLACK 16

struct sig_priv {
	char *verity, *cert, *key;
	struct verity_signer *signer;
	uint64_t json_max;
};

static cfg_opt_t sig_opts[] = {
	CFG_STR("image", NULL, CFGF_NONE),
	CFG_STR("cert", NULL, CFGF_NONE),
	CFG_STR("key", NULL, CFGF_NONE),
	CFG_END()
};

static int need(cfg_t *sec, const char *key, char **ret, struct diag *d)
{
	const char *v = cfg_getstr(sec, key);

	if (!v || !*v)
		return cfg_fail(sec, key, "", -EINVAL, d, "mandatory option is missing");
	if (!strncmp(v, "pkcs11:", 7))
		return cfg_fail(sec, key, v, -EOPNOTSUPP, d,
				"PKCS#11 URIs are not supported by kiln: give a PEM or DER file");
	*ret = strdup(v);
	return *ret ? 0 : diag_fail(d, -ENOMEM, "out of memory");
}

static int sig_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct sig_priv *x = calloc(1, sizeof(*x));
	int r;

	(void)b;
	if (!x)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = x;
	if ((r = need(sec, "image", &x->verity, d)) || (r = need(sec, "cert", &x->cert, d)) ||
	    (r = need(sec, "key", &x->key, d)))
		return r;
	if (image_depend(img, x->verity) || image_depend(img, x->cert) ||
	    image_depend(img, x->key))
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

static int sig_setup(struct build *b, struct image *img, struct diag *d)
{
	struct sig_priv *x = img->priv;
	struct image *v = image_dep(img, x->verity), *c = image_dep(img, x->cert),
		     *k = image_dep(img, x->key);
	char *json = NULL;
	size_t len;
	int r;

	(void)b;
	if (!v || !c || !k)
		return diag_fail(d, -ENOENT, "unresolved dependency");
	if (v->handler != &verity_handler)
		return diag_fail(d, -EINVAL, "image = \"%s\" is a %s image, not verity", x->verity,
				 v->handler->type);
	r = verity_signer_load(&x->signer, c->outfile, k->outfile, d);
	if (r)
		return r;
	/* Size: a signature of a root hash of the same length. */
	r = verity_sig_json(x->signer,
			    "0000000000000000000000000000000000000000000000000000000000000000",
			    &json, &len, d);
	if (r)
		return r;
	free(json);
	x->json_max = len + SIG_SLACK;
	len = (x->json_max + SIG_ALIGN - 1) / SIG_ALIGN * SIG_ALIGN;
	if (img->size_set && img->size < x->json_max)
		return diag_fail(d, -ENOSPC, "the signature needs %llu bytes, size is %llu",
				 (unsigned long long)x->json_max, (unsigned long long)img->size);
	if (!img->size_set)
		img->size = len;
	return 0;
}

static int sig_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct sig_priv *x = img->priv;
	char root[65], *json = NULL;
	size_t len;
	int r;

	(void)b;
	if (verity_image_root_hash(image_dep(img, x->verity), root))
		return diag_fail(d, -EAGAIN, "the root hash of \"%s\" is not known", x->verity);
	r = verity_sig_json(x->signer, root, &json, &len, d);
	if (r)
		return r;
	if (len > img->size)
		r = diag_fail(d, -ENOSPC, "the signature came out %zu bytes, planned at most %llu",
			      len, (unsigned long long)img->size);
	else
		r = sink_pwrite(out, json, len, 0); /* the rest stays NUL */
	free(json);
	return r;
}

static void sig_describe(const struct image *img, void (*line)(void *ud, const char *text),
			 void *ud)
{
	const struct sig_priv *x = img->priv;
	char buf[512];

	if (!x)
		return;
	snprintf(buf, sizeof(buf),
		 "DPS verity signature of \"%s\": CMS (PKCS#7) by %s, JSON of at most %llu bytes",
		 x->verity, x->cert, (unsigned long long)x->json_max);
	line(ud, buf);
}

static void sig_release(struct image *img)
{
	struct sig_priv *x = img->priv;

	if (!x)
		return;
	verity_signer_free(x->signer);
	free(x->verity);
	free(x->cert);
	free(x->key);
	free(x);
	img->priv = NULL;
}

const struct image_handler verity_sig_handler = {
	.type = "verity-sig",
	.opts = sig_opts,
	.parse = sig_parse,
	.setup = sig_setup,
	.generate = sig_generate,
	.describe = sig_describe,
	.release = sig_release,
};
