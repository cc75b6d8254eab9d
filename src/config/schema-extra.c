/* SPDX-License-Identifier: MIT */
/*
 * kiln's top-level config extensions. Each extension adds its sections
 * to schema_extra_top_opts; the planner reads them (plan/trees-config.c).
 *
 * Trees (docs/config/trees.md):
 *
 *   vars = { "KERNEL=Image" }
 *   tree NAME {
 *       conflicts = error | keep-first | replace
 *       layer { dir = "..." | archive = "..." | deb = "..." | packages = { ... } ... }
 *       mkdir/file/symlink/hardlink/node PATH { ... }   remove = { GLOB }
 *       device-table = { "..." }  fs-config = { "..." }
 *       attr GLOB { mode uid gid capabilities }
 *       group NAME { gid members }  user NAME { ... }
 *   }
 *
 *   repository NAME { url suite components architectures keyring allow-expired }
 *   (docs/config/packages.md)
 *
 * libconfuse keeps order only among sections of one kind, so ordering
 * is explicit: `layer` sections apply in order; inside a layer its
 * source comes first, then removals, then inline items by kind.
 */
#include "config/schema.h"


#define OWNER_OPTS                                                                           \
	CFG_STR("mode", NULL, CFGF_NONE), CFG_INT("uid", -1, CFGF_NONE),                     \
		CFG_INT("gid", -1, CFGF_NONE)

static cfg_opt_t mkdir_opts[] = { OWNER_OPTS, CFG_END() };

static cfg_opt_t file_opts[] = {
	OWNER_OPTS,
	CFG_STR("content", NULL, CFGF_NONE),
	CFG_STR("source", NULL, CFGF_NONE),
	CFG_BOOL("expand", cfg_false, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t symlink_opts[] = {
	CFG_STR("target", NULL, CFGF_NONE),
	CFG_INT("uid", -1, CFGF_NONE),
	CFG_INT("gid", -1, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t hardlink_opts[] = { CFG_STR("target", NULL, CFGF_NONE), CFG_END() };

static cfg_opt_t node_opts[] = {
	OWNER_OPTS,
	CFG_STR("type", NULL, CFGF_NONE),
	CFG_INT("major", 0, CFGF_NONE),
	CFG_INT("minor", 0, CFGF_NONE),
	CFG_END()
};

#define ITEM_SECS                                                                            \
	CFG_SEC("mkdir", mkdir_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),         \
		CFG_SEC("file", file_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),   \
		CFG_SEC("symlink", symlink_opts,                                             \
			CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),                      \
		CFG_SEC("hardlink", hardlink_opts,                                           \
			CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),                      \
		CFG_SEC("node", node_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),   \
		CFG_STR_LIST("remove", NULL, CFGF_NONE)

static cfg_opt_t layer_opts[] = {
	CFG_STR("dir", NULL, CFGF_NONE),
	CFG_STR("archive", NULL, CFGF_NONE),
	CFG_STR("deb", NULL, CFGF_NONE),
	CFG_STR("subdir", NULL, CFGF_NONE),
	CFG_STR_LIST("include", NULL, CFGF_NONE),
	CFG_STR("dest", NULL, CFGF_NONE),
	CFG_BOOL("keep-owner", cfg_false, CFGF_NONE),
	CFG_BOOL("follow-symlinks", cfg_false, CFGF_NONE),
	CFG_STR_LIST("xattrs", NULL, CFGF_NONE),
	CFG_STR("conflicts", NULL, CFGF_NONE),
	/* A package layer (docs/config/packages.md). */
	CFG_STR_LIST("packages", NULL, CFGF_NONE),
	CFG_STR("repository", NULL, CFGF_NONE),
	CFG_STR_LIST("exclude", NULL, CFGF_NONE),
	CFG_BOOL("recommends", cfg_false, CFGF_NONE),
	CFG_STR_LIST("modules", NULL, CFGF_NONE),
	ITEM_SECS,
	CFG_END()
};

static cfg_opt_t repository_opts[] = {
	CFG_STR("url", NULL, CFGF_NONE),
	CFG_STR("suite", NULL, CFGF_NONE),
	CFG_STR_LIST("components", NULL, CFGF_NONE),
	CFG_STR_LIST("architectures", NULL, CFGF_NONE),
	CFG_STR("keyring", NULL, CFGF_NONE),
	CFG_BOOL("allow-expired", cfg_false, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t attr_opts[] = {
	OWNER_OPTS,
	CFG_STR("capabilities", NULL, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t user_opts[] = {
	CFG_INT("uid", -1, CFGF_NONE),
	CFG_INT("gid", -1, CFGF_NONE),
	CFG_STR("home", NULL, CFGF_NONE),
	CFG_STR("shell", NULL, CFGF_NONE),
	CFG_STR("gecos", NULL, CFGF_NONE),
	CFG_STR("password", NULL, CFGF_NONE),
	CFG_STR("password-hash", NULL, CFGF_NONE),
	CFG_BOOL("empty-password", cfg_false, CFGF_NONE),
	CFG_BOOL("locked", cfg_false, CFGF_NONE),
	CFG_INT("rounds", 0, CFGF_NONE),
	CFG_STR_LIST("groups", NULL, CFGF_NONE),
	CFG_BOOL("create-home", cfg_true, CFGF_NONE),
	CFG_STR("home-mode", "0755", CFGF_NONE),
	CFG_END()
};

static cfg_opt_t group_opts[] = {
	CFG_INT("gid", -1, CFGF_NONE),
	CFG_STR_LIST("members", NULL, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t tree_opts[] = {
	CFG_STR("conflicts", "error", CFGF_NONE),
	CFG_BOOL("merged-usr", cfg_false, CFGF_NONE),
	CFG_SEC("layer", layer_opts, CFGF_MULTI),
	ITEM_SECS,
	CFG_STR_LIST("device-table", NULL, CFGF_NONE),
	CFG_STR_LIST("fs-config", NULL, CFGF_NONE),
	CFG_SEC("attr", attr_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_SEC("user", user_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("group", group_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END()
};

cfg_opt_t schema_extra_top_opts[] = {
	CFG_SEC("tree", tree_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_STR_LIST("vars", NULL, CFGF_NONE),
	CFG_SEC("repository", repository_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END()
};
