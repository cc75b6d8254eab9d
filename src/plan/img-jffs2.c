/* SPDX-License-Identifier: MIT */
/*
 * `jffs2`: genimage's type, made by mkfs.jffs2 (mtd-utils) from the
 * image's tree materialised under tmppath (plan/tooltype.h), with the
 * erase block of its `flashtype`. Owners, modes and device nodes go
 * through mkfs.jffs2's device table. The tool runs in setup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/tooltype.h"

struct jffs2_priv {
	struct tooljob j; /* first: tooljob_generate() finds it at img->priv */
	char *extraargs;
};

static cfg_opt_t jffs2_opts[] = {
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_END()
};

static int jffs2_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct jffs2_priv *p = calloc(1, sizeof(*p));
	const char *x = cfg_getstr(sec, "extraargs");

	(void)b;
	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	p->j.fd = -1;
	p->extraargs = strdup(x ? x : "");
	if (!p->extraargs)
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

static int jffs2_setup(struct build *b, struct image *img, struct diag *d)
{
	struct jffs2_priv *p = img->priv;
	struct tool_flash f;
	char **argv = NULL, e[40];
	unsigned n = 0;
	int r;

	tooljob_done(&p->j);
	if ((r = tool_flash(b, img, &f, d)))
		return r;
	if (!f.pebsize)
		return diag_fail(d, -EINVAL, "invalid pebsize (0) in flash '%s'", img->flashtype);
	snprintf(e, sizeof(e), "--eraseblock=%llu", (unsigned long long)f.pebsize);
	r = tooljob_start(b, img, &p->j, !img->empty, TOOL_DT_NO_ROOT, d);
	if (r)
		goto out;
	r = tool_push(&argv, &n, tool_path(b, "mkfsjffs2", "mkfs.jffs2"));
	if (!r)
		r = tool_push(&argv, &n, e);
	if (!r)
		r = tool_push_tree(&argv, &n, &p->j, img->empty);
	if (!r)
		r = tool_push2(&argv, &n, "-o", p->j.out);
	if (!(r = tool_push_tail(&argv, &n, r, p->extraargs, NULL, d)))
		r = tooljob_run_file(b, img, &p->j, argv, NULL, d);
out:
	tool_argv_free(argv, n);
	if (r)
		tooljob_done(&p->j);
	return r;
}

static void jffs2_release(struct image *img)
{
	struct jffs2_priv *p = tooljob_release(img);

	if (p)
		free(p->extraargs);
	free(p);
}

const struct image_handler jffs2_handler = {
	.type = "jffs2",
	.opts = jffs2_opts,
	.parse = jffs2_parse,
	.setup = jffs2_setup,
	.generate = tooljob_generate,
	.release = jffs2_release,
	.content = image_content_tree,
};
