/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_EXEC_H
#define KILN_PLAN_EXEC_H

struct build;
struct diag;
struct image;

/*
 * run_exec_hook - run an exec-pre/exec-post command with /bin/sh -c
 * through posix_spawn, with genimage's variables in its environment
 * (IMAGE, IMAGEOUTFILE, IMAGENAME, IMAGESIZE, IMAGEMOUNTPOINT,
 * IMAGEMOUNTPATH, INPUTPATH, OUTPUTPATH, ROOTPATH, TMPPATH).
 * @cmd NULL: nothing to do. Non-zero exit is -ECHILD with the status.
 */
int run_exec_hook(struct build *b, struct image *img, const char *cmd, const char *what,
		  struct diag *d);

/* mkdir -p @path (mode 0777 less umask). */
int mkdir_p(const char *path, struct diag *d);

#endif
