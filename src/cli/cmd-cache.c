/* SPDX-License-Identifier: MIT */
/* kiln cache info|verify|gc|clear: look after the store (docs/store.md). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/size.h"
#include "cli/commands.h"
#include "cli/log.h"
#include "cli/store-opts.h"
#include "store/store.h"

enum { OPT_CACHE = 256, OPT_CACHE_SIZE, OPT_TARGET, OPT_HELP };

static const struct option long_opts[] = {
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "cache-size", required_argument, NULL, OPT_CACHE_SIZE },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void help(void)
{
	printf("usage: kiln cache [options] info|verify|gc|clear\n\n"
	       "  info                where the store is, what it holds, its limit\n"
	       "  verify              re-hash every entry; remove the bad ones (exit 1 if any)\n"
	       "  gc                  evict least recently used entries down to the limit\n"
	       "  clear               remove every entry\n\n"
	       "  --cache DIR         the store (default $KILN_CACHE, $XDG_CACHE_HOME/kiln,\n"
	       "                      ~/.cache/kiln)\n"
	       "  --cache-size SIZE   its limit (default 10G)\n"
	       "  --target SIZE       gc: evict down to SIZE instead of the limit\n");
}

/* "525088395 bytes, 500.80 MiB": the magnitude beside the exact count
 * (size_format() is exact, which for a byte count is the count again). */
static void print_size(const char *what, uint64_t n, uint64_t bytes)
{
	char sz[64];

	size_human(bytes, sz, sizeof(sz));
	printf("%-8s %" PRIu64 " (%" PRIu64 " bytes, %s)\n", what, n, bytes, sz);
}

int cmd_cache(int argc, char **argv)
{
	struct store_opts so = { 0 };
	struct diag d = { 0 };
	struct store *s = NULL;
	const char *target_s = NULL, *verb;
	uint64_t limit, target;
	char *root = NULL;
	int c, r, ret = EXIT_USAGE;

	log_attach(&d);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CACHE: so.dir = optarg; break;
		case OPT_CACHE_SIZE: so.size = optarg; break;
		case OPT_TARGET: target_s = optarg; break;
		case OPT_HELP:
		case 'h':
			help();
			return EXIT_OK;
		default:
			if (optopt >= 256)
				log_error("option '%s' needs a value", argv[optind - 1]);
			else
				log_error("unknown option '%s'", argv[optind - 1]);
			fprintf(stderr, "Try 'kiln cache --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		log_error(optind == argc ? "kiln cache: which action? (info, verify, gc, clear)"
					 : "kiln cache: one action, not several");
		return EXIT_USAGE;
	}
	verb = argv[optind];
	if (strcmp(verb, "info") && strcmp(verb, "verify") && strcmp(verb, "gc") &&
	    strcmp(verb, "clear")) {
		log_error("kiln cache: unknown action '%s' (info, verify, gc, clear)", verb);
		return EXIT_USAGE;
	}
	if (store_opts_limit(&so, &limit))
		return EXIT_USAGE;
	target = limit;
	if (target_s) {
		struct size_spec sp;
		if (size_parse(target_s, 0, &sp, &d)) {
			log_error("--target: %s", d.msg);
			return EXIT_USAGE;
		}
		target = sp.bytes;
	}
	if (store_opts_root(&so, &root)) {
		log_error("out of memory");
		return EXIT_FAIL;
	}
	if (!root) {
		log_error("no cache: KILN_CACHE=off, or neither $XDG_CACHE_HOME nor $HOME is set "
			  "(use --cache DIR)");
		return EXIT_FAIL;
	}
	ret = EXIT_FAIL;
	/* Limit 0: only `gc` evicts, and only down to what it was asked. */
	r = store_open(&s, root, 0, &d);
	if (r)
		goto fail;
	if (!strcmp(verb, "info")) {
		struct store_stats st;
		char lim[64];
		r = store_stats(s, &st, &d);
		if (r)
			goto fail;
		size_format(limit, lim, sizeof(lim));
		printf("store    %s\n", store_root(s));
		print_size("blobs", st.blobs, st.blob_bytes);
		print_size("records", st.records, st.record_bytes);
		printf("index    %" PRIu64 " files\n", st.index_entries);
		printf("limit    %" PRIu64 " bytes (%s)\n", limit, lim);
	} else if (!strcmp(verb, "verify")) {
		uint64_t bad = 0;
		r = store_verify(s, &bad, &d);
		if (r)
			goto fail;
		printf("%" PRIu64 " bad entr%s removed\n", bad, bad == 1 ? "y" : "ies");
		if (bad) {
			log_error("store %s: %" PRIu64 " bad entr%s found and removed",
				  store_root(s), bad, bad == 1 ? "y" : "ies");
			ret = EXIT_FAIL;
			goto out;
		}
	} else if (!strcmp(verb, "gc")) {
		r = store_gc(s, target, &d);
		if (r)
			goto fail;
	} else {
		r = store_clear(s, &d);
		if (r)
			goto fail;
	}
	ret = EXIT_OK;
	goto out;
fail:
	log_diag(&d, r);
out:
	store_free(s);
	free(root);
	return ret;
}
