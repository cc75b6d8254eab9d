/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "cli/log.h"
#include "config/suggest.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: kiln COMMAND [options] [ARGS]\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n'kiln COMMAND --help' for a command's options. Invoked as 'genimage',\n"
		   "kiln is a drop-in for genimage (see docs/config.md).\n");
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	base = base ? base + 1 : argv[0];
	interrupt_install();
	if (!strcmp(base, "genimage")) {
		log_prog = "genimage";
		return cmd_genimage(argc, argv);
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("kiln %s\n", KILN_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->run(argc - 1, argv + 1);
	struct suggest sg;

	suggest_init(&sg, argv[1]);
	for (const struct command *c = commands; c->name; c++)
		suggest_try(&sg, c->name);
	if (suggest_best(&sg)) {
		log_error("unknown command '%s'; did you mean '%s'?", argv[1], suggest_best(&sg));
		return EXIT_USAGE;
	}
	/* One line naming the commands, not the whole usage: the mistake
	 * stays the first thing the user reads. */
	char names[256] = "";
	size_t n = 0;
	for (const struct command *c = commands; c->name && n < sizeof(names); c++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "", c->name);
	log_error("unknown command '%s' (commands: %s; see 'kiln --help')", argv[1], names);
	return EXIT_USAGE;
}
