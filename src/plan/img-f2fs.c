/* SPDX-License-Identifier: MIT */
/*
 * `f2fs`: genimage's type: mkfs.f2fs formats a file of the image's size,
 * then sload.f2fs copies in the image's tree, materialised under tmppath
 * (plan/tooltype.h). The tools run in setup, as for f2fs. kiln adds
 * what makes the result reproducible: a UUID derived from the seed (-U),
 * SOURCE_DATE_EPOCH as the timestamps (-T) and a fixed seed (-r).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/ids.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/tooltype.h"

static cfg_opt_t f2fs_opts[] = {
	CFG_STR("label", NULL, CFGF_NONE),
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_END()
};

static int f2fs_setup(struct build *b, struct image *img, struct diag *d)
{
	struct tool_priv *p = img->priv;
	char **argv = NULL, uuid[40], epoch[24], owner[24];
	unsigned n = 0;
	struct uuid u;
	int r;

	tooljob_done(&p->j);
	/* mkfs.f2fs needs the device's size: genimage fails without one too. */
	if (!img->size_set)
		return diag_fail(d, -EINVAL, "f2fs needs a size");
	snprintf(epoch, sizeof(epoch), "%lld", (long long)b->epoch);
	r = tooljob_start(b, img, &p->j, !img->empty, TOOL_DT_NONE, d);
	if (!r)
		r = tooljob_prepare(img, &p->j, d);
	if (r)
		goto out;
	uuid_derive(&img->seed, "f2fs-uuid", 0, &u);
	uuid_format(&u, uuid);
	r = tool_push(&argv, &n, tool_path(b, NULL, "mkfs.f2fs"));
	if (!r && p->label)
		r = tool_push2(&argv, &n, "-l", p->label);
	if (!r)
		r = tool_push2(&argv, &n, "-U", uuid);
	if (!r)
		r = tool_push2(&argv, &n, "-T", epoch);
	if (!r)
		r = tool_push(&argv, &n, "-r");
	/* mkfs.f2fs gives the root directory the build user, not 0:0 as it says. */
	snprintf(owner, sizeof(owner), "%u:%u", p->j.uid, p->j.gid);
	if (!r)
		r = tool_push2(&argv, &n, "-R", owner);
	if ((r = tool_push_tail(&argv, &n, r, p->extraargs, p->j.out, d)))
		goto out;
	r = tool_run(img, argv, NULL, d);
	if (r || img->empty)
		goto done;
	tool_argv_free(argv, n);
	argv = NULL;
	n = 0;
	r = tool_push(&argv, &n, tool_path(b, NULL, "sload.f2fs"));
	if (!r)
		r = tool_push2(&argv, &n, "-f", p->j.root);
	if (!r)
		r = tool_push2(&argv, &n, "-T", epoch);
	if (!r)
		r = tool_push(&argv, &n, p->j.out);
	if (r) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	r = tool_run(img, argv, NULL, d);
done:
	if (!r)
		r = tooljob_finish(img, &p->j, d);
out:
	tool_argv_free(argv, n);
	if (r) {
		tooljob_done(&p->j);
	}
	return r;
}

const struct image_handler f2fs_handler = {
	.type = "f2fs",
	.opts = f2fs_opts,
	.parse = tool_priv_parse,
	.setup = f2fs_setup,
	.generate = tooljob_generate,
	.release = tool_priv_release,
	.content = image_content_tree,
};
