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

#include "fuzz-plan.h"
#include "io/sink.h"
#include "plan/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WRITE (4u << 20)

static int populate(const char *dir)
{
	fuzz_put_file(dir, "v.img", 1000);
	fuzz_put_file(dir, "big.img", 70000);
	fuzz_put_file(dir, "empty.img", 0);
	return 0;
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
	if (fuzz_once(populate) > 0)
		fuzz_plan(data, size, fuzz_dir, fuzz_dir, write_ubi);
	return 0;
}
