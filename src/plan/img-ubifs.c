/* SPDX-License-Identifier: MIT */
/*
 * `ubifs`: genimage's type, made by mkfs.ubifs (mtd-utils) from the
 * image's tree materialised under tmppath (plan/tooltype.h), with the
 * geometry of its `flashtype`. Owners, modes and device nodes, which a
 * rootless copy cannot hold, go through mkfs.ubifs's device table. The
 * tool runs in setup, so the plan knows the size; its random UUID and
 * build-time stamps are then rewritten (fs/ubi/ubifs-fix.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/ids.h"
#include "base/size.h"
#include "config/cfgutil.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/tooltype.h"
#include "fs/ubi/ubifs-fix.h"

struct ubifs_priv {
	struct tooljob j; /* first: tooljob_generate() finds it at img->priv */
	char *extraargs;
	uint64_t max_size;
	bool space_fixup;
};

static cfg_opt_t ubifs_opts[] = {
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_STR("max-size", NULL, CFGF_NONE),
	CFG_BOOL("space-fixup", cfg_false, CFGF_NONE),
	CFG_END()
};

static int ubifs_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct ubifs_priv *p = calloc(1, sizeof(*p));
	const char *x = cfg_getstr(sec, "extraargs"), *m = cfg_getstr(sec, "max-size");
	struct size_spec sp;

	(void)b;
	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	p->j.fd = -1;
	p->space_fixup = cfg_getbool(sec, "space-fixup");
	if (m && (size_parse(m, 0, &sp, NULL) || sp.percent_set))
		return cfg_fail(sec, "max-size", m, -EINVAL, d, "not a size");
	p->max_size = m ? sp.bytes : 0;
	p->extraargs = strdup(x ? x : "");
	if (!p->extraargs)
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

/* mkfs.ubifs draws the UUID and stamps the clock: both from the seed and the tree's times. */
static int fix_ids(struct build *b, struct image *img, const char *out, struct diag *d)
{
	struct uuid u;

	(void)b;
	uuid_derive(&img->seed, "ubifs-uuid", 0, &u);
	return ubifs_fix_ids(out, &u, d);
}

static int ubifs_setup(struct build *b, struct image *img, struct diag *d)
{
	struct ubifs_priv *p = img->priv;
	struct tool_flash f;
	char **argv = NULL, e[24], m[24], c[24];
	uint64_t cnt;
	unsigned n = 0;
	int r;

	tooljob_done(&p->j);
	if ((r = tool_flash(b, img, &f, d)))
		return r;
	if (!f.lebsize)
		return diag_fail(d, -EINVAL, "invalid lebsize (0) in flash '%s'", img->flashtype);
	cnt = (p->max_size ? p->max_size : img->size_set ? img->size : 0) / f.lebsize;
	if (!cnt || cnt > INT32_MAX)
		return diag_fail(d, -EINVAL,
				 "size or max-size must hold between 1 and 2^31-1 LEBs of %llu bytes",
				 (unsigned long long)f.lebsize);
	snprintf(e, sizeof(e), "%llu", (unsigned long long)f.lebsize);
	snprintf(m, sizeof(m), "%llu", (unsigned long long)f.min_io);
	snprintf(c, sizeof(c), "%llu", (unsigned long long)cnt);
	r = tooljob_start(b, img, &p->j, !img->empty, TOOL_DT_ALL, d);
	if (r)
		goto out;
	r = tool_push(&argv, &n, tool_path(b, "mkfsubifs", "mkfs.ubifs"));
	if (!r)
		r = tool_push_tree(&argv, &n, &p->j, img->empty);
	if (!r && p->space_fixup)
		r = tool_push(&argv, &n, "-F");
	if (!r)
		r = tool_push2(&argv, &n, "-e", e);
	if (!r)
		r = tool_push2(&argv, &n, "-m", m);
	if (!r)
		r = tool_push2(&argv, &n, "-c", c);
	if (!r)
		r = tool_push2(&argv, &n, "-o", p->j.out);
	if (!(r = tool_push_tail(&argv, &n, r, p->extraargs, NULL, d)))
		r = tooljob_run_file(b, img, &p->j, argv, fix_ids, d);
out:
	tool_argv_free(argv, n);
	if (r)
		tooljob_done(&p->j);
	return r;
}

static void ubifs_release(struct image *img)
{
	struct ubifs_priv *p = tooljob_release(img);

	if (p)
		free(p->extraargs);
	free(p);
}

const struct image_handler ubifs_handler = {
	.type = "ubifs",
	.opts = ubifs_opts,
	.parse = ubifs_parse,
	.setup = ubifs_setup,
	.generate = tooljob_generate,
	.release = ubifs_release,
	.content = image_content_tree,
};
