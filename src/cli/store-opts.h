/* SPDX-License-Identifier: MIT */
#ifndef KILN_CLI_STORE_OPTS_H
#define KILN_CLI_STORE_OPTS_H

/*
 * Where the store lives and how large it may grow: the options shared by
 * `kiln build`, `kiln plan`, genimage mode and `kiln cache`.
 * Root: --cache DIR > $KILN_CACHE > $XDG_CACHE_HOME/kiln > ~/.cache/kiln;
 * --no-cache (or KILN_CACHE=off) disables it. Limit: --cache-size >
 * `cache-size` in the config's config {} section > 10 GiB.
 */

#include <stdbool.h>
#include <stdint.h>

#include <confuse.h>

struct store;

struct store_opts {
	const char *dir;    /* --cache */
	bool off;           /* --no-cache */
	const char *size;   /* --cache-size */
	const char *cfg_size;  /* config { cache-size } */
	const char *cfg_file;  /* ... and where it is, for messages */
	int cfg_line;
};

#define STORE_DEFAULT_LIMIT (UINT64_C(10) << 30)

/* store_opts_from_config - take `cache-size` from the config {} section of
 * @cfg, the config file @config, with the file and line it was written at. */
void store_opts_from_config(struct store_opts *o, cfg_t *cfg, const char *config);

/*
 * store_opts_root - the store's directory in a malloc'd string, or NULL
 * in *ret when the store is off (or no home directory is known).
 * Returns 0 or -ENOMEM.
 */
int store_opts_root(const struct store_opts *o, char **ret);

/* store_opts_limit - the size limit in bytes; prints and returns -EINVAL
 * for a malformed size. */
int store_opts_limit(const struct store_opts *o, uint64_t *ret);

/*
 * store_opts_open - open the store for a build: *ret is NULL when it is
 * off, or when it cannot be opened (a warning says why: the store is an
 * optimisation and never fails a build). Returns 0, or -EINVAL for a
 * malformed size (printed).
 */
int store_opts_open(const struct store_opts *o, struct store **ret);

#endif
