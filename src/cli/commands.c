/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "cli/commands.h"

const struct command commands[] = {
	{ "build", "build every image in the config", cmd_build },
	{ "plan", "print what would be built, write nothing", cmd_plan },
	{ NULL, NULL, NULL },
};
