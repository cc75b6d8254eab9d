/* SPDX-License-Identifier: MIT */
/*
 * genimage's config schema: its sections and keys, with the image types
 * handed in as data (schema.h) and kiln's extensions (schema-extra.c).
 */
#include "config/schema.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static cfg_opt_t partition_opts[] = {
	CFG_STR("offset", NULL, CFGF_NONE),
	CFG_STR("size", NULL, CFGF_NONE),
	CFG_STR("align", NULL, CFGF_NONE),
	CFG_INT("partition-type", 0, CFGF_NODEFAULT),
	CFG_STR("partition-type-uuid", NULL, CFGF_NONE),
	CFG_STR("partition-uuid", NULL, CFGF_NONE),
	CFG_BOOL("bootable", cfg_false, CFGF_NONE),
	CFG_BOOL("read-only", cfg_false, CFGF_NONE),
	CFG_BOOL("hidden", cfg_false, CFGF_NONE),
	CFG_BOOL("no-automount", cfg_false, CFGF_NONE),
	CFG_BOOL("fill", cfg_false, CFGF_NONE),
	CFG_STR("image", NULL, CFGF_NONE),
	CFG_STR("imageoffset", NULL, CFGF_NONE),
	CFG_STR_LIST("holes", NULL, CFGF_NONE),
	CFG_BOOL("autoresize", cfg_false, CFGF_NONE),
	CFG_BOOL("in-partition-table", cfg_true, CFGF_NONE),
	CFG_BOOL("sparse", cfg_true, CFGF_NONE),
	CFG_BOOL("forced-primary", cfg_false, CFGF_NONE),
	CFG_STR("erase-size", NULL, CFGF_NONE),
	CFG_END()
};

/* genimage's tool paths: accepted so existing configs parse; kiln runs
 * none of these tools. */
#define TOOL_OPT(n) CFG_STR(n, NULL, CFGF_NONE)
static cfg_opt_t config_opts[] = {
	CFG_STR("rootpath", NULL, CFGF_NONE),
	CFG_STR("tmppath", NULL, CFGF_NONE),
	CFG_STR("inputpath", NULL, CFGF_NONE),
	CFG_STR("outputpath", NULL, CFGF_NONE),
	CFG_STR("includepath", NULL, CFGF_NONE),
	CFG_STR("configdump", NULL, CFGF_NONE),
	CFG_INT("loglevel", 1, CFGF_NONE),
	CFG_STR("cache-size", NULL, CFGF_NONE), /* kiln: the store's limit */
	CFG_STR("randomseed", NULL, CFGF_NONE), /* genimage >= 19 */
	/* genimage >= 19: gpt-shortcuts { name = "UUID" ... }, free-form keys. */
	CFG_SEC("gpt-shortcuts", NULL, CFGF_KEYSTRVAL),
	TOOL_OPT("cpio"), TOOL_OPT("dd"), TOOL_OPT("debugfs"), TOOL_OPT("e2fsck"),
	TOOL_OPT("fiptool"), TOOL_OPT("genext2fs"), TOOL_OPT("mcopy"), TOOL_OPT("mmd"),
	TOOL_OPT("mkcramfs"), TOOL_OPT("mkdosfs"), TOOL_OPT("mke2fs"), TOOL_OPT("mkfsjffs2"),
	TOOL_OPT("mkfsubifs"), TOOL_OPT("mkimage"), TOOL_OPT("mksquashfs"), TOOL_OPT("qemu-img"),
	TOOL_OPT("rauc"), TOOL_OPT("tar"), TOOL_OPT("tune2fs"), TOOL_OPT("ubinize"),
	CFG_END()
};

static cfg_opt_t flash_opts[] = {
	CFG_STR("pebsize", "", CFGF_NONE),
	CFG_STR("lebsize", "", CFGF_NONE),
	CFG_STR("numpebs", "", CFGF_NONE),
	CFG_STR("minimum-io-unit-size", "", CFGF_NONE),
	CFG_STR("vid-header-offset", "", CFGF_NONE),
	CFG_STR("sub-page-size", "", CFGF_NONE),
	CFG_END()
};

/* Image-level keys shared by every type. */
static const cfg_opt_t image_common_opts[] = {
	CFG_STR("name", NULL, CFGF_NONE),
	CFG_STR("size", NULL, CFGF_NONE),
	CFG_STR("mountpoint", NULL, CFGF_NONE),
	CFG_STR("srcpath", NULL, CFGF_NONE),
	CFG_BOOL("empty", cfg_false, CFGF_NONE),
	CFG_BOOL("temporary", cfg_false, CFGF_NONE),
	CFG_STR("exec-pre", NULL, CFGF_NONE),
	CFG_STR("exec-post", NULL, CFGF_NONE),
	CFG_STR("flashtype", NULL, CFGF_NONE),
	CFG_STR_LIST("tree", NULL, CFGF_NONE), /* kiln */
	/* As in genimage: include() in an image section too (config_parse hooks it). */
	CFG_FUNC("include", NULL),
	CFG_SEC("partition", partition_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
};

int schema_build(struct schema_set *ret, const struct config_type *types, size_t nt)
{
	size_t nc = sizeof(image_common_opts) / sizeof(image_common_opts[0]);
	size_t i = 0, k, next = 0;
	cfg_opt_t *img, *top;

	img = calloc(nc + nt + 1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	memcpy(img, image_common_opts, sizeof(image_common_opts));
	for (k = 0; k < nt; k++) {
		/* MULTI, so cfg_size() says whether the section was given at all. */
		cfg_opt_t sec = CFG_SEC(types[k].name, types[k].opts, CFGF_MULTI);
		img[nc + k] = sec;
	}
	img[nc + nt] = (cfg_opt_t)CFG_END();

	while (schema_extra_top_opts[next].name)
		next++;
	top = calloc(6 + next, sizeof(*top));
	if (!top) {
		free(img);
		return -ENOMEM;
	}
	top[i++] = (cfg_opt_t)CFG_SEC("image", img, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES);
	top[i++] = (cfg_opt_t)CFG_SEC("flash", flash_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES);
	top[i++] = (cfg_opt_t)CFG_SEC("config", config_opts, CFGF_NONE);
	/* The function itself is set by config_parse (it needs the includepath). */
	top[i++] = (cfg_opt_t)CFG_FUNC("include", NULL);
	top[i++] = (cfg_opt_t)CFG_STR("seed", NULL, CFGF_NONE);
	for (k = 0; k < next; k++)
		top[i++] = schema_extra_top_opts[k];
	top[i] = (cfg_opt_t)CFG_END();
	ret->top_opts = top;
	return 0;
}

void schema_release(struct schema_set *s)
{
	if (s->top_opts)
		free(s->top_opts[0].subopts); /* the image section's, built above */
	free(s->top_opts);
	s->top_opts = NULL;
}
