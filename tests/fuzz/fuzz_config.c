/* SPDX-License-Identifier: MIT */
/* Fuzz target: config parsing and planning (no output is written).
 * Inputs live in a small scratch tree made once per process, so handler
 * setup gets past "file not found" and plans with real sizes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz-plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char inpath[64], rootpath[64];

/* Names the seeds and the dictionary (tests/fuzz/config.dict) use. */
static const char *const input_files[] = { "Image", "blob.bin", "u-boot.bin", "vmlinuz",
					   "virt.dtb", "env.txt", "boot.cmd", "base.tar" };
static const char *const root_files[] = { "etc/hostname", "boot/config.txt", "bin/busybox",
					  "data/a.txt" };

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

static int populate(const char *dir)
{
	char p[128];

	snprintf(inpath, sizeof(inpath), "%s/in", dir);
	snprintf(rootpath, sizeof(rootpath), "%s/root", dir);
	mkdir(inpath, 0755);
	mkdir(rootpath, 0755);
	for (unsigned i = 0; i < sizeof(input_files) / sizeof(input_files[0]); i++)
		fuzz_put_file(inpath, input_files[i], 1000 + 517 * i);
	for (const char *s = "etc\0boot\0bin\0data\0"; *s; s += strlen(s) + 1) {
		snprintf(p, sizeof(p), "%s/%s", rootpath, s);
		mkdir(p, 0755);
	}
	for (unsigned i = 0; i < sizeof(root_files) / sizeof(root_files[0]); i++)
		fuzz_put_file(rootpath, root_files[i], 10 + 300 * i);
	/* Included configs (found through the includepath): nested includes
	 * that end in an error, one that includes itself, one cut short. */
	put_text(inpath, "nest.cfg", "# c\ninclude(\"nest2.cfg\")\n");
	put_text(inpath, "nest2.cfg", "/* c\n*/\ninclude(\"nest3.cfg\")\n");
	put_text(inpath, "nest3.cfg", "image n { file { name = \"Image\" }\n bogus = 1 }\n");
	put_text(inpath, "self.cfg", "include(\"self.cfg\")\n");
	put_text(inpath, "cut.cfg", "image c {\n file { name = \"${HOME\n");
	put_text(inpath, "ok.cfg", "// c\nimage ok { file { name = \"blob.bin\" } }\n");
	snprintf(p, sizeof(p), "%s/bin/sh", rootpath);
	return symlink("busybox", p) ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_once(populate) > 0)
		fuzz_plan(data, size, rootpath, inpath, NULL);
	return 0;
}
