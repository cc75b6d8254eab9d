/* SPDX-License-Identifier: MIT */
/*
 * `btrfs`: genimage's type, made by mkfs.btrfs --rootdir from the
 * image's tree materialised under tmppath (plan/tooltype.h). The tool
 * runs in setup, as squashfs is written there: the size is then exact
 * for the plan. kiln adds a UUID derived from the seed (-U) so that
 * the filesystem id is reproducible.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/ids.h"
#include "plan/btrfs-fix.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/tooltype.h"

struct btrfs_priv {
	struct tooljob j; /* first: tooljob_generate() finds it at img->priv */
	char *label, *extraargs;
};

static cfg_opt_t btrfs_opts[] = {
	CFG_STR("label", NULL, CFGF_NONE),
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_END()
};

static int btrfs_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct btrfs_priv *p = calloc(1, sizeof(*p));
	const char *l = cfg_getstr(sec, "label"), *x = cfg_getstr(sec, "extraargs");

	(void)b;
	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	p->j.fd = -1;
	p->label = l ? strdup(l) : NULL;
	p->extraargs = strdup(x ? x : "");
	if ((l && !p->label) || !p->extraargs)
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

/* What mkfs.btrfs draws at random or takes from the clock, from the seed and the epoch. */
static int fix_ids(struct build *b, struct image *img, const char *out, struct diag *d)
{
	struct uuid chunk, dev, subvol;
	struct btrfs_ids ids = { &chunk, &dev, &subvol, b->epoch };
	int r;

	uuid_derive(&img->seed, "btrfs-chunk-tree-uuid", 0, &chunk);
	uuid_derive(&img->seed, "btrfs-device-uuid", 0, &dev);
	uuid_derive(&img->seed, "btrfs-subvol-uuid", 0, &subvol);
	r = btrfs_fix_ids(out, &ids, d);
	if (r == 1) {
		diag_warn(d, "image '%s': a checksum other than crc32c: kiln leaves mkfs.btrfs's random UUIDs (not reproducible)",
			  img->name);
		r = 0;
	}
	return r;
}

static int btrfs_setup(struct build *b, struct image *img, struct diag *d)
{
	struct btrfs_priv *p = img->priv;
	char **argv = NULL, uuid[40];
	unsigned n = 0;
	struct uuid u;
	int r;

	tooljob_done(&p->j);
	r = tooljob_start(b, img, &p->j, !img->empty, TOOL_DT_NONE, d);
	if (!r)
		r = tooljob_prepare(img, &p->j, d);
	if (r)
		goto out;
	uuid_derive(&img->seed, "btrfs-uuid", 0, &u);
	uuid_format(&u, uuid);
	r = tool_push(&argv, &n, tool_path(b, NULL, "mkfs.btrfs"));
	if (!r && p->label)
		r = tool_push2(&argv, &n, "-L", p->label);
	if (!r && !img->empty)
		r = tool_push2(&argv, &n, "-r", p->j.root);
	if (!r)
		r = tool_push2(&argv, &n, "-U", uuid);
	if (!r && tool_split(p->extraargs, &argv, &n) == -EINVAL) {
		r = diag_fail(d, -EINVAL, "image '%s': extraargs: unterminated quote", img->name);
		goto out;
	}
	if (!r)
		r = tool_push(&argv, &n, p->j.out);
	if (r) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	r = tool_run(img, argv, NULL, d);
	if (!r)
		r = fix_ids(b, img, p->j.out, d);
	if (!r)
		r = tooljob_finish(img, &p->j, d);
out:
	tool_argv_free(argv, n);
	if (r) {
		tooljob_done(&p->j);
	}
	return r;
}

static void btrfs_release(struct image *img)
{
	struct btrfs_priv *p = img->priv;

	if (!p)
		return;
	tooljob_done(&p->j);
	free(p->label);
	free(p->extraargs);
	free(p);
	img->priv = NULL;
}

const struct image_handler btrfs_handler = {
	.type = "btrfs",
	.opts = btrfs_opts,
	.parse = btrfs_parse,
	.setup = btrfs_setup,
	.generate = tooljob_generate,
	.release = btrfs_release,
	.content = image_content_tree,
};
