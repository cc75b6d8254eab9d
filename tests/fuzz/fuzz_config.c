/* SPDX-License-Identifier: MIT */
/* Fuzz target: config parsing and planning (no output is written). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/diag.h"
#include "plan/build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/kiln-fuzz-cfg-XXXXXX";
	int fd = mkstemp(path);
	struct build b;
	struct build_paths none = { 0 };
	struct build_paths cmd = { .rootpath = "/nonexistent-root", .inputpath = "/nonexistent-in",
				   .outputpath = "/nonexistent-out", .tmppath = "/nonexistent-tmp" };
	struct diag d = { 0 };

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
