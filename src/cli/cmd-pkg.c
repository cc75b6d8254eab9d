/* SPDX-License-Identifier: MIT */
/* kiln lock / kiln fetch: the only commands that use the network
 * (docs/config/packages.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/diag.h"
#include "cli/commands.h"
#include "cli/log.h"
#include "cli/settings.h"
#include "cli/store-opts.h"
#include "config/config.h"
#include "pkg/pkg.h"
#include "plan/build.h"
#include "plan/trees.h"
#include "store/store.h"

#if KILN_NETWORK

enum { OPT_CONFIG = 256, OPT_CACHE, OPT_CACHE_SIZE, OPT_PARALLEL, OPT_RETRIES, OPT_GPGV, OPT_HELP };

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "cache-size", required_argument, NULL, OPT_CACHE_SIZE },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "gpgv", required_argument, NULL, OPT_GPGV },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void help(bool fetch)
{
	if (fetch)
		printf("usage: kiln fetch [options] [CONFIG]\n\n"
		       "Download the packages kiln.lock (beside CONFIG) names into the store,\n"
		       "verifying size and SHA-256.\n\n"
		       "  --cache DIR         the store (default $KILN_CACHE, else\n"
		       "                      $XDG_CACHE_HOME/kiln, else ~/.cache/kiln)\n"
		       "  --cache-size SIZE   its limit (default 10G)\n"
		       "  --parallel N        downloads at once (default 4)\n"
		       "  --retries N         extra attempts per file, resuming (default 3);\n"
		       "                      a transfer under 1 KiB/s for 30 s is retried\n");
	else
		printf("usage: kiln lock [options] [CONFIG]\n\n"
		       "Resolve the config's package layers against its repositories (signed\n"
		       "Release, verified indexes) and write kiln.lock beside CONFIG.\n\n"
		       "  --gpgv PROGRAM      the signature verifier (default gpgv)\n"
		       "  --retries N         extra attempts per file (default 3)\n");
}

static int parse_count(const char *opt, const char *v, unsigned max, unsigned *ret)
{
	char *e;
	long n = strtol(v, &e, 10);

	if (!*v || *e || n < 0 || n > (long)max) {
		log_error("%s \"%s\": expected 0..%u", opt, v, max);
		return -EINVAL;
	}
	*ret = (unsigned)n;
	return 0;
}

static int run(int argc, char **argv, bool fetch)
{
	struct build_paths cmd = { 0 }, env = { 0 };
	struct pkg_net_opts no = { .retries = 3 };
	struct store_opts so = { 0 };
	struct pkg_request req = { 0 };
	struct pkg_lock lock = { 0 };
	struct store *store = NULL;
	struct diag d = { 0 };
	struct build b;
	char *lockpath = NULL, *root = NULL;
	const char *config = NULL;
	int c, r = 0, ret = EXIT_USAGE;

	build_init(&b);
	log_attach(&d);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG: config = optarg; break;
		case OPT_CACHE: so.dir = optarg; break;
		case OPT_CACHE_SIZE: so.size = optarg; break;
		case OPT_GPGV: no.gpgv = optarg; break;
		case OPT_PARALLEL:
			if (parse_count("--parallel", optarg, 64, &no.parallel) || !no.parallel) {
				if (!no.parallel)
					log_error("--parallel: expected 1..64");
				goto out;
			}
			break;
		case OPT_RETRIES:
			if (parse_count("--retries", optarg, 20, &no.retries))
				goto out;
			break;
		case OPT_HELP:
		case 'h':
			help(fetch);
			ret = EXIT_OK;
			goto out;
		default:
			log_error("unknown option or missing value '%s'", argv[optind - 1]);
			fprintf(stderr, "Try '--help'.\n");
			goto out;
		}
	}
	if (optind < argc) {
		if (config || optind + 1 < argc) {
			log_error("unexpected argument '%s'", argv[optind + !config]);
			goto out;
		}
		config = argv[optind];
	}
	if (!config)
		config = getenv("GENIMAGE_CONFIG") ? getenv("GENIMAGE_CONFIG") : "kiln.cfg";
	/* Test-only (docs/testing.md): a stall limit the tests can wait out. */
	const char *stall = getenv("KILN_NET_STALL_SECONDS");
	if (stall && *stall) {
		unsigned sec = 0;
		if (parse_count("KILN_NET_STALL_SECONDS", stall, 3600, &sec))
			goto out;
		no.stall_time = (long)sec; /* 0: the default */
	}
	ret = EXIT_FAIL;
	if (cli_settings_apply(&b, &env, NULL))
		goto out;
	if ((r = build_load(&b, config, &cmd, &env, &d)) || (r = trees_pkg_request(&b, &req, &d)) ||
	    (r = trees_pkg_urls(&b, &d)))
		goto fail;
	if (!req.nlayers) {
		log_error("%s: no package layers (layer { packages = { ... } }): nothing to %s",
			  config, fetch ? "fetch" : "lock");
		goto out;
	}
	if (!(lockpath = trees_pkg_lock_path(&b))) {
		log_error("out of memory");
		goto out;
	}
	no.now = (int64_t)time(NULL);
	if (!fetch) {
		if ((r = pkg_lock_resolve(&req, &no, &lock, &d)) ||
		    (r = pkg_lock_write(&lock, lockpath, &d)))
			goto fail;
		unsigned n = 0;
		for (unsigned i = 0; i < lock.nlayers; i++)
			n += lock.layers[i].npkgs;
		log_info("wrote %s (%u packages in %u layers)", lockpath, n, lock.nlayers);
		ret = EXIT_OK;
		goto out;
	}
	if ((r = pkg_lock_load(lockpath, &lock, &d))) {
		if (r != -ENOENT)
			goto fail;
		log_error("%s: not found; run `kiln lock` first", lockpath);
		goto out;
	}
	uint8_t h[SHA256_LEN];
	if ((r = pkg_request_hash(&req, h)))
		goto fail;
	if (memcmp(h, lock.request, SHA256_LEN)) {
		log_error("%s is stale: the config's repositories or package layers changed since "
			  "it was written; run `kiln lock`", lockpath);
		goto out;
	}
	/* url = "apt-sources": download from this machine's mirror, not from
	 * the one the lock was made with (the files are the same, verified). */
	for (unsigned i = 0; i < lock.nrepos; i++)
		for (unsigned k = 0; k < req.nrepos; k++) {
			char *u;
			if (!req.repos[k].url_spec || strcmp(req.repos[k].name, lock.repos[i].name))
				continue;
			if (!(u = strdup(req.repos[k].url))) {
				log_error("out of memory");
				goto out;
			}
			free(lock.repos[i].url);
			lock.repos[i].url = u;
		}
	uint64_t limit;
	store_opts_from_config(&so, b.cfg, config);
	if (store_opts_limit(&so, &limit))
		goto out;
	if (store_opts_root(&so, &root) || !root) {
		log_error("kiln fetch needs the store: give --cache DIR or set KILN_CACHE");
		goto out;
	}
	if ((r = store_open(&store, root, limit, &d)))
		goto fail;
	unsigned fetched = 0;
	if ((r = pkg_fetch(&lock, store, &no, &fetched, &d)))
		goto fail;
	log_info("%u packages downloaded into %s", fetched, root);
	ret = EXIT_OK;
	goto out;
fail:
	log_diag(&d, r);
out:
	store_free(store);
	pkg_lock_release(&lock);
	trees_pkg_request_free(&req);
	build_release(&b);
	free(lockpath);
	free(root);
	free(env.rootpath);
	free(env.tmppath);
	free(env.inputpath);
	free(env.outputpath);
	free(env.includepath);
	free(env.config);
	return ret;
}

#else
/* A build without the network code (the static kiln: Debian 12 ships no
 * static libsolv or fully static libcurl). Building from a lock needs
 * neither; Nix fetches what the lock names itself (docs/nix.md). */
static int run(int argc, char **argv, bool fetch)
{
	log_error("kiln %s: this kiln was built without the network commands (KILN_NETWORK=OFF, "
		  "e.g. the static build); run it with a full build of kiln", fetch ? "fetch" : "lock");
	return EXIT_USAGE;
}
#endif

int cmd_lock(int argc, char **argv)
{
	return run(argc, argv, false);
}

int cmd_fetch(int argc, char **argv)
{
	return run(argc, argv, true);
}
