/* SPDX-License-Identifier: MIT */
/* For fuzz targets that take a config: a scratch directory of inputs
 * made once per process, and loading and planning the config. */
#ifndef KILN_FUZZ_PLAN_H
#define KILN_FUZZ_PLAN_H

#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "plan/build.h"

static char fuzz_dir[] = "/tmp/kiln-fuzz-in-XXXXXX";

static inline int fuzz_remove_one(const char *p, const struct stat *st, int flag,
				  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

static inline void fuzz_dir_remove(void)
{
	nftw(fuzz_dir, fuzz_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * fuzz_once - make fuzz_dir (removed with all it holds at exit) and fill
 * it with @populate (0 or -1), once per process. 1: ready, -1: failed
 * (now and on every later call).
 */
static inline int fuzz_once(int (*populate)(const char *dir))
{
	static int state; /* 0 untried, 1 ready, -1 failed */

	if (state)
		return state;
	state = -1;
	if (!mkdtemp(fuzz_dir))
		return state;
	atexit(fuzz_dir_remove);
	if (!populate(fuzz_dir))
		state = 1;
	return state;
}

/* fuzz_put_file - @dir/@name with @len bytes: text for .txt and .cmd
 * names (ending in "=1\n"), else a byte pattern. */
static inline void fuzz_put_file(const char *dir, const char *name, size_t len)
{
	char p[256];
	bool text = strstr(name, ".txt") || strstr(name, ".cmd");
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "wb");
	if (!f)
		return;
	for (size_t i = 0; i < len; i++)
		fputc(text ? 'a' + (int)(i % 26) : (int)(i & 0xff), f);
	if (text)
		fputs("=1\n", f);
	fclose(f);
}

/*
 * fuzz_plan - write config text @data to a temporary file, load and plan
 * it in kiln mode and in genimage mode with rootpath @root and input
 * and include path @in (nothing is written: output and tmppath do not
 * exist); @planned (may be NULL) is called with each build whose plan
 * succeeded.
 */
static inline void fuzz_plan(const uint8_t *data, size_t size, char *root, char *in,
			     void (*planned)(struct build *b))
{
	char path[] = "/tmp/kiln-fuzz-cfg-XXXXXX";
	struct build b;
	struct build_paths none = { 0 };
	struct build_paths cmd = { .rootpath = root, .inputpath = in,
				   .outputpath = "/nonexistent-out", .tmppath = "/nonexistent-tmp",
				   .includepath = in };
	struct diag d = { 0 };
	int fd = mkstemp(path);

	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return;
	}
	close(fd);
	for (int mode = 0; mode < 2; mode++) {
		build_init(&b);
		b.genimage_mode = mode;
		diag_clear(&d);
		if (!build_load(&b, path, &cmd, &none, &d) && !build_plan(&b, &d) && planned)
			planned(&b);
		build_release(&b);
	}
	unlink(path);
}

#endif
