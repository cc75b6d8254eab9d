/* SPDX-License-Identifier: MIT */
/* Replays every file of a corpus directory through a fuzz target, so the
 * corpus runs in the normal test suite under ASan+UBSan (systemd's
 * fuzz-main.c does the same). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int count = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *de;
		if (!d) {
			if (run_file(argv[i])) {
				fprintf(stderr, "cannot read %s\n", argv[i]);
				return 1;
			}
			count++;
			continue;
		}
		while ((de = readdir(d))) {
			char p[4096];
			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
			if (run_file(p)) {
				fprintf(stderr, "cannot read %s\n", p);
				closedir(d);
				return 1;
			}
			count++;
		}
		closedir(d);
	}
	fprintf(stderr, "replayed %d inputs\n", count);
	return count ? 0 : 1;
}
