/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "cli/commands.h"

const struct command commands[] = {
	{ "build", "build every image in the config", cmd_build },
	{ "plan", "print what would be built, write nothing", cmd_plan },
	{ "ls", "list the files an image would hold (composed tree)", cmd_ls },
	{ "bmap", "write the block map (.bmap) of an image", cmd_bmap },
	{ "flash", "write an image to a card or file, verified", cmd_flash },
	{ "inspect", "check a FIT, U-Boot env, legacy image or cpio archive", cmd_inspect },
	{ "lock", "resolve the config's packages into kiln.lock (network)", cmd_lock },
	{ "fetch", "download what kiln.lock names into the store (network)", cmd_fetch },
	{ "cache", "look after the build cache: info, verify, gc, clear", cmd_cache },
	{ NULL, NULL, NULL },
};
