/* SPDX-License-Identifier: MIT */
#ifndef KILN_CLI_COMMANDS_H
#define KILN_CLI_COMMANDS_H

/* Subcommands. Only cli/ prints, reads the environment and exits. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes. */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand */
};

/* NULL-terminated table (commands.c). */
extern const struct command commands[];

int cmd_build(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
/* inspect-ro.c: erofs and dm-verity images (returns an exit code). */
bool inspect_readonly_magic(const uint8_t *buf, size_t len);
int inspect_readonly(const char *path, const uint8_t *buf, size_t len);
int cmd_ls(int argc, char **argv);
int cmd_bmap(int argc, char **argv);  /* cmd-bmap.c */
int cmd_flash(int argc, char **argv); /* cmd-flash.c */
int cmd_cache(int argc, char **argv); /* cmd-cache.c */
int cmd_lock(int argc, char **argv);  /* cmd-pkg.c */
int cmd_fetch(int argc, char **argv); /* cmd-pkg.c */
/* genimage drop-in mode: same options as build, no subcommand. */
int cmd_genimage(int argc, char **argv);

#endif
