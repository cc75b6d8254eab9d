/* SPDX-License-Identifier: MIT */
/* kiln bmap IMAGE [-o OUT]: bmaptool-compatible block map of any image. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "cli/commands.h"
#include "cli/log.h"
#include "flash/bmap-io.h"

static void help(void)
{
	printf("usage: kiln bmap [-o OUT] IMAGE\n\n"
	       "Write the block map of IMAGE (bmaptool's format 2.0, sha256 per range):\n"
	       "the blocks SEEK_DATA/SEEK_HOLE report as data.\n\n"
	       "  -o, --output OUT   where to write it (default IMAGE.bmap; '-' = stdout)\n");
}

int cmd_bmap(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	struct diag d = { 0 };
	int c, r;

	log_attach(&d);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			help();
			return EXIT_OK;
		default:
			if (optopt == 'o')
				log_error("option '%s' needs a value", argv[optind - 1]);
			else
				log_error("unknown option '%s'", argv[optind - 1]);
			fprintf(stderr, "Try 'kiln bmap --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		log_error(optind >= argc ? "missing IMAGE" : "unexpected argument '%s'",
			  optind < argc ? argv[optind + 1] : "");
		fprintf(stderr, "Try 'kiln bmap --help'.\n");
		return EXIT_USAGE;
	}
	if (out && !strcmp(out, "-")) {
		char *text;
		size_t len;
		r = bmap_make(argv[optind], &text, &len, &d);
		if (!r) {
			if (fwrite(text, 1, len, stdout) != len || fflush(stdout)) {
				log_error("stdout: write failed");
				free(text);
				return EXIT_FAIL;
			}
			free(text);
		}
	} else {
		r = bmap_write_file(argv[optind], out, &d);
	}
	if (r) {
		log_diag(&d, r);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
