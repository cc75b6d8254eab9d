/* SPDX-License-Identifier: MIT */
/*
 * `iso`: genimage's type: genisoimage (or mkisofs, through
 * `config { genisoimage = ... }`) makes an ISO 9660 image with Rock Ridge
 * from the image's tree materialised under tmppath (plan/tooltype.h).
 * The argv is genimage's: -input-charset, -R -hide-rr-moved, the boot
 * image and its bootargs, -V, extraargs, -o, the tree. The tool runs in
 * setup, so the size is exact for the plan.
 *
 * Rock Ridge records each file's owner as the tool sees it; rootless,
 * the materialised files belong to the build user, so kiln passes the
 * tree's one owner with -uid/-gid (genimage gets it from fakeroot) and
 * refuses a tree whose files have several owners.
 *
 * genisoimage stamps the image with the time it ran; iso_fix_dates()
 * puts the epoch there instead, so two builds are identical.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "config/cfgutil.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/iso-dates.h"
#include "plan/tooltype.h"

struct iso_priv {
	struct tooljob j; /* first: tooljob_generate() finds it at img->priv */
	char *boot_image, *bootargs, *extraargs, *charset, *volume_id;
};

static cfg_opt_t iso_opts[] = {
	CFG_STR("boot-image", NULL, CFGF_NONE),
	CFG_STR("bootargs", "-no-emul-boot -boot-load-size 4 -boot-info-table -c boot.cat -hide boot.cat",
		CFGF_NONE),
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_STR("input-charset", "default", CFGF_NONE),
	CFG_STR("volume-id", "", CFGF_NONE),
	CFG_END()
};

static int iso_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct iso_priv *p = calloc(1, sizeof(*p));
	const char *x;

	(void)b;
	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	p->j.fd = -1;
	if (cfg_dup_str(sec, "boot-image", &p->boot_image) || cfg_dup_str(sec, "bootargs", &p->bootargs) ||
	    cfg_dup_str(sec, "extraargs", &p->extraargs) || cfg_dup_str(sec, "input-charset", &p->charset) ||
	    cfg_dup_str(sec, "volume-id", &p->volume_id))
		return diag_fail(d, -ENOMEM, "out of memory");
	/* ISO 9660 volume identifiers are at most 32 characters: a longer
	 * one would be cut by the tool without a word. */
	x = p->volume_id ? p->volume_id : "";
	if (strlen(x) > 32)
		return cfg_fail(sec, "volume-id", x, -EINVAL, d,
				"volume-id \"%s\": longer than 32 characters", x);
	return 0;
}

/* Each option word of @s, or an error naming @key. */
static int push_split(struct image *img, const char *key, const char *s, char ***argv,
		      unsigned *n, struct diag *d)
{
	int r = tool_split(s, argv, n);

	if (r == -EINVAL)
		return diag_fail(d, r, "image '%s': %s: unterminated quote", img->name, key);
	return r ? diag_fail(d, r, "out of memory") : 0;
}

static int iso_setup(struct build *b, struct image *img, struct diag *d)
{
	struct iso_priv *p = img->priv;
	char **argv = NULL, id[16];
	unsigned n = 0;
	int r;

	tooljob_done(&p->j);
	r = tooljob_start(b, img, &p->j, true, TOOL_DT_NONE, d);
	if (r)
		goto out;
	if (p->j.mixed_owner) {
		r = diag_fail(d, -EINVAL,
			      "iso: the tree's files have several owners; genisoimage takes them from the files, which kiln creates as the build user (give all files one owner)");
		goto out;
	}
	r = tool_push(&argv, &n, tool_path(b, "genisoimage", "genisoimage"));
	if (!r)
		r = tool_push2(&argv, &n, "-input-charset", p->charset);
	if (!r)
		r = tool_push2(&argv, &n, "-R", "-hide-rr-moved");
	if (!r && p->boot_image) {
		r = tool_push2(&argv, &n, "-b", p->boot_image);
		if (!r)
			r = push_split(img, "bootargs", p->bootargs, &argv, &n, d);
	}
	if (!r)
		r = tool_push2(&argv, &n, "-V", p->volume_id);
	snprintf(id, sizeof(id), "%u", p->j.uid);
	if (!r)
		r = tool_push2(&argv, &n, "-uid", id);
	snprintf(id, sizeof(id), "%u", p->j.gid);
	if (!r)
		r = tool_push2(&argv, &n, "-gid", id);
	if (!r)
		r = push_split(img, "extraargs", p->extraargs, &argv, &n, d);
	if (!r)
		r = tool_push2(&argv, &n, "-o", p->j.out);
	if (!r)
		r = tool_push(&argv, &n, p->j.root);
	if (r) {
		if (r == -ENOMEM)
			r = diag_fail(d, r, "out of memory");
		goto out;
	}
	r = tool_run(img, argv, NULL, d);
	if (!r)
		r = iso_fix_dates(p->j.out, b->epoch, d);
	if (!r)
		r = tooljob_finish(img, &p->j, d);
out:
	tool_argv_free(argv, n);
	if (r)
		tooljob_done(&p->j);
	return r;
}

static void iso_release(struct image *img)
{
	struct iso_priv *p = tooljob_release(img);

	if (!p)
		return;
	free(p->boot_image);
	free(p->bootargs);
	free(p->extraargs);
	free(p->charset);
	free(p->volume_id);
	free(p);
}

const struct image_handler iso_handler = {
	.type = "iso",
	.opts = iso_opts,
	.parse = iso_parse,
	.setup = iso_setup,
	.generate = tooljob_generate,
	.release = iso_release,
	.content = image_content_tree,
};
