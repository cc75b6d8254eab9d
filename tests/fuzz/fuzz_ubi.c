/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the ubi image's section and volume options (extraargs,
 * partitions, the flash section's geometry) through config parsing and
 * planning; a planned ubi image of at most 4 MiB is then written into
 * memory. The input is a config; a few volume images exist in a scratch
 * input directory made once per process.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WRITE (4u << 20)

static char scratch[] = "/tmp/kiln-fuzz-ubi-XXXXXX";
static char names[3][96];

static void scratch_remove(void)
{
	for (unsigned i = 0; i < 3; i++)
		unlink(names[i]);
	rmdir(scratch);
}

static int scratch_init(void)
{
	static int state; /* 0 untried, 1 ready, -1 failed */
	static const char *const files[] = { "v.img", "big.img", "empty.img" };
	static const size_t lens[] = { 1000, 70000, 0 };

	if (state)
		return state;
	state = -1;
	if (!mkdtemp(scratch))
		return state;
	atexit(scratch_remove);
	for (unsigned i = 0; i < 3; i++) {
		FILE *f;

		snprintf(names[i], sizeof(names[i]), "%s/%s", scratch, files[i]);
		f = fopen(names[i], "wb");
		if (!f)
			return state;
		for (size_t j = 0; j < lens[i]; j++)
			fputc((int)(j * 7 % 251), f);
		fclose(f);
	}
	state = 1;
	return state;
}

/* Write every planned ubi image into memory: the writer's reads of the
 * volume files and its header layout, under ASan. */
static void write_ubi(struct build *b)
{
	for (unsigned i = 0; i < b->nimages; i++) {
		struct image *img = b->images[i];
		struct sink *s;
		struct diag d = { 0 };

		if (strcmp(img->handler->type, "ubi") || !img->size || img->size > MAX_WRITE)
			continue;
		if (sink_mem_new(&s, img->size))
			return;
		(void)img->handler->generate(b, img, s, &d);
		sink_release(s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/kiln-fuzz-ubicfg-XXXXXX";
	struct build b;
	struct build_paths none = { 0 };
	struct build_paths cmd = { .rootpath = scratch, .inputpath = scratch,
				   .outputpath = "/nonexistent-out", .tmppath = "/nonexistent-tmp",
				   .includepath = scratch };
	struct diag d = { 0 };
	int fd;

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
		if (!build_load(&b, path, &cmd, &none, &d) && !build_plan(&b, &d))
			write_ubi(&b);
		build_release(&b);
	}
	unlink(path);
	return 0;
}
