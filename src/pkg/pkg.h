/* SPDX-License-Identifier: MIT */
#ifndef KILN_PKG_PKG_H
#define KILN_PKG_PKG_H

/*
 * Named Debian packages, resolved once and locked (docs/config/packages.md).
 *
 *   pkg_lock   repositories + package lists -> kiln.lock (network: Release,
 *              signature, Packages indexes; libsolv resolves)
 *   pkg_fetch  kiln.lock -> the store (network: the .debs, verified)
 *   build      kiln.lock + the store -> deb layers (no network)
 *
 * The request (what the config asks for) is plain data filled by
 * plan/; strings are borrowed from the caller.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"

struct diag;
struct store;

#define PKG_MAX_REPOS 64
#define PKG_MAX_LAYERS 4096
#define PKG_MAX_PACKAGES 100000 /* in one lock */

struct pkg_repo {
	const char *name, *url;
	/* The url as the config wrote it, when the request hash must not
	 * depend on the machine: "apt-sources" (url read from the machine's
	 * apt sources, so one lock serves every mirror). NULL: url itself. */
	const char *url_spec;
	const char *suite;          /* NULL: a flat repository (files at url's root) */
	const char *const *components;
	unsigned ncomponents;
	const char *const *archs;   /* the first is the native one */
	unsigned narchs;
	const char *keyring;        /* host path of the keyring gpgv uses */
	bool allow_expired;         /* accept a Release past its Valid-Until */
	const char *cfgfile;
	unsigned line;
};

struct pkg_layer_req {
	const char *tree;           /* tree name */
	unsigned index;             /* 1-based among the tree's layer sections */
	unsigned repo;              /* index into pkg_request.repos */
	const char *const *packages;
	unsigned npackages;
	const char *const *exclude;
	unsigned nexclude;
	bool recommends;
	const char *cfgfile;
	unsigned line;
};

struct pkg_request {
	const struct pkg_repo *repos;
	unsigned nrepos;
	const struct pkg_layer_req *layers;
	unsigned nlayers;
};

/* pkg_request_hash - SHA-256 of everything in @req that decides the
 * lock (not file names or line numbers). */
int pkg_request_hash(const struct pkg_request *req, uint8_t out[SHA256_LEN]);

/* ---- the lock (lockfile.c) ---- */

struct pkg_locked {
	char *name, *version, *arch;
	unsigned repo;              /* index into pkg_lock.repos */
	uint64_t size;
	uint8_t sha256[SHA256_LEN];
	char *filename;             /* relative to the repository url */
};

struct pkg_lock_repo {
	char *name, *url;
	uint8_t release_sha256[SHA256_LEN];
	char *date;                 /* Release's Date field, as written */
};

struct pkg_lock_layer {
	char *tree;
	unsigned index;
	struct pkg_locked *pkgs;    /* sorted by name, then arch */
	unsigned npkgs;
};

struct pkg_lock {
	uint8_t request[SHA256_LEN];
	struct pkg_lock_repo *repos;
	unsigned nrepos;
	struct pkg_lock_layer *layers;
	unsigned nlayers;
};

void pkg_lock_release(struct pkg_lock *l);

/*
 * pkg_lock_format - the lock as deterministic text (malloc'd, NUL
 * terminated). Returns 0 or -ENOMEM.
 */
int pkg_lock_format(const struct pkg_lock *l, char **ret, size_t *ret_len);

/*
 * pkg_lock_parse - read lock text (@name for messages). Returns 0,
 * -EINVAL (malformed: the message names name:line), -E2BIG, -ENOMEM.
 */
int pkg_lock_parse(const char *buf, size_t len, const char *name, struct pkg_lock *ret,
		   struct diag *d);

/* pkg_lock_load - read and parse the file @path; -ENOENT when absent. */
int pkg_lock_load(const char *path, struct pkg_lock *ret, struct diag *d);

/* pkg_lock_find_layer - the layer of tree @tree, section @index, or NULL. */
const struct pkg_lock_layer *pkg_lock_find_layer(const struct pkg_lock *l, const char *tree,
						 unsigned index);

/* ---- network commands ---- */

struct pkg_net_opts {
	unsigned parallel;          /* downloads at once (fetch); 0: 4 */
	unsigned retries;           /* extra attempts per file; 0: none */
	long connect_timeout;       /* seconds; 0: 30 */
	long stall_time;            /* seconds under 1 KiB/s: stalled, retried; 0: 30 */
	const char *gpgv;           /* gpgv program; NULL: "gpgv" on PATH */
	int64_t now;                /* for Valid-Until / Date checks (the CLI's clock) */
};

/*
 * pkg_lock_resolve - fetch and verify each repository's Release and
 * Packages indexes, resolve each layer's request and fill @ret (caller
 * releases). Errors name the URL, the repository or the broken
 * dependency. Nothing is written.
 */
int pkg_lock_resolve(const struct pkg_request *req, const struct pkg_net_opts *o,
		     struct pkg_lock *ret, struct diag *d);

/*
 * pkg_lock_write - write @l to @path through a temporary file renamed
 * into place (never half-written).
 */
int pkg_lock_write(const struct pkg_lock *l, const char *path, struct diag *d);

/*
 * pkg_fetch - download every package @l names that @s lacks, verifying
 * size and SHA-256; only complete, verified files enter the store.
 * *ret_fetched counts the downloads.
 */
int pkg_fetch(const struct pkg_lock *l, struct store *s, const struct pkg_net_opts *o,
	      unsigned *ret_fetched, struct diag *d);

#endif
