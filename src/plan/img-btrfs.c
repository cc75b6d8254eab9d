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
#include "fs/btrfs/btrfs-fix.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/tooltype.h"

static cfg_opt_t btrfs_opts[] = {
	CFG_STR("label", NULL, CFGF_NONE),
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_END()
};

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
	struct tool_priv *p = img->priv;
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
	if ((r = tool_push_tail(&argv, &n, r, p->extraargs, p->j.out, d)))
		goto out;
	r = tooljob_run(b, img, &p->j, argv, fix_ids, d);
out:
	tool_argv_free(argv, n);
	if (r) {
		tooljob_done(&p->j);
	}
	return r;
}

const struct image_handler btrfs_handler = {
	.type = "btrfs",
	.opts = btrfs_opts,
	.parse = tool_priv_parse,
	.setup = btrfs_setup,
	.generate = tooljob_generate,
	.release = tool_priv_release,
	.content = image_content_tree,
};
