/* SPDX-License-Identifier: MIT */
/* Fuzz target: config parsing and planning (no output is written).
 * Inputs live in a small scratch tree made once per process, so handler
 * setup gets past "file not found" and plans with real sizes. */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "plan/build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[] = "/tmp/kiln-fuzz-in-XXXXXX";
static char inpath[64], rootpath[64];

/* Names the seeds and the dictionary (tests/fuzz/config.dict) use. */
static const char *const input_files[] = { "Image", "blob.bin", "u-boot.bin", "vmlinuz",
					   "virt.dtb", "env.txt", "boot.cmd", "base.tar" };
static const char *const root_files[] = { "etc/hostname", "boot/config.txt", "bin/busybox",
					  "data/a.txt" };

static void put_file(const char *dir, const char *name, size_t len)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "wb");
	if (!f)
		return;
	for (size_t i = 0; i < len; i++)
		fputc(strstr(name, ".txt") || strstr(name, ".cmd") ? 'a' + (int)(i % 26) : (int)i,
		      f);
	if (strstr(name, ".txt") || strstr(name, ".cmd"))
		fputs("=1\n", f);
	fclose(f);
}

static void put_text(const char *dir, const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

static void scratch_remove(void)
{
	nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int scratch_init(void)
{
	static int state; /* 0 untried, 1 ready, -1 failed */
	char p[128];

	if (state)
		return state;
	state = -1;
	if (!mkdtemp(scratch))
		return state;
	atexit(scratch_remove);
	snprintf(inpath, sizeof(inpath), "%s/in", scratch);
	snprintf(rootpath, sizeof(rootpath), "%s/root", scratch);
	mkdir(inpath, 0755);
	mkdir(rootpath, 0755);
	for (unsigned i = 0; i < sizeof(input_files) / sizeof(input_files[0]); i++)
		put_file(inpath, input_files[i], 1000 + 517 * i);
	for (const char *s = "etc\0boot\0bin\0data\0"; *s; s += strlen(s) + 1) {
		snprintf(p, sizeof(p), "%s/%s", rootpath, s);
		mkdir(p, 0755);
	}
	for (unsigned i = 0; i < sizeof(root_files) / sizeof(root_files[0]); i++)
		put_file(rootpath, root_files[i], 10 + 300 * i);
	/* Included configs (found through the includepath): nested includes
	 * that end in an error, one that includes itself, one cut short. */
	put_text(inpath, "nest.cfg", "# c\ninclude(\"nest2.cfg\")\n");
	put_text(inpath, "nest2.cfg", "/* c\n*/\ninclude(\"nest3.cfg\")\n");
	put_text(inpath, "nest3.cfg", "image n { file { name = \"Image\" }\n bogus = 1 }\n");
	put_text(inpath, "self.cfg", "include(\"self.cfg\")\n");
	put_text(inpath, "cut.cfg", "image c {\n file { name = \"${HOME\n");
	put_text(inpath, "ok.cfg", "// c\nimage ok { file { name = \"blob.bin\" } }\n");
	snprintf(p, sizeof(p), "%s/bin/sh", rootpath);
	if (symlink("busybox", p))
		return state;
	state = 1;
	return state;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/kiln-fuzz-cfg-XXXXXX";
	int fd;
	struct build b;
	struct build_paths none = { 0 };
	struct build_paths cmd = { .rootpath = rootpath, .inputpath = inpath,
				   .outputpath = "/nonexistent-out", .tmppath = "/nonexistent-tmp",
				   .includepath = inpath };
	struct diag d = { 0 };

	if (scratch_init() < 0)
		return 0;
	fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	for (int mode = 0; mode < 2; mode++) {
		build_init(&b);
		b.genimage_mode = mode;
		diag_clear(&d);
		if (!build_load(&b, path, &cmd, &none, &d))
			build_plan(&b, &d);
		build_release(&b);
	}
	unlink(path);
	return 0;
}
