/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_BUILD_H
#define KILN_PLAN_BUILD_H

/* A whole build: settings, the parsed config and its images. */

#include <confuse.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/genimage-random.h"
#include "base/ids.h"
#include "config/schema.h"
#include "plan/image.h"

struct diag;
struct sink;
struct store;

/* Settings with genimage's precedence: default < GENIMAGE_* env <
 * config {} < command line. The CLI fills them; NULL = not given. */
struct build_paths {
	char *rootpath, *tmppath, *inputpath, *outputpath, *includepath, *config;
};

struct build {
	bool genimage_mode;       /* invoked as `genimage`: exact genimage layout */
	struct build_paths paths; /* resolved */
	char *seed_str;           /* --seed / `seed` */
	bool seed_set;
	struct seed seed;
	/* genimage's `randomseed` (--randomseed, GENIMAGE_RANDOMSEED; the
	 * caller's string, not freed here) and, in genimage mode, the generator
	 * it seeds: hdimage UUIDs then match genimage's (base/genimage-random.h). */
	const char *randomseed;
	bool gi_random_on;
	struct gi_random gi_random;
	int64_t epoch;            /* SOURCE_DATE_EPOCH */
	bool epoch_set;           /* SOURCE_DATE_EPOCH was given (else the default) */
	bool bmap;                /* write .bmap next to disk images */
	unsigned loglevel;
	/* Threads for generating images and compressing (-j; 0 and 1:
	 * serial, in plan order). Never changes an output byte. */
	unsigned jobs;
	bool archive_nocache;     /* re-read archive layers at every composition (tests) */
	/* The content-addressed store (docs/store.md), opened and freed by
	 * the CLI; NULL: no cache. Decoded archive layers are kept there. */
	struct store *store;
	/* Images being copied into the store on threads of their own
	 * (plan/image-cache.c): settled by image_cache_settle(). */
	struct image_put *puts;
	/* Files that may satisfy kiln.lock's packages instead of the store
	 * (--package-file; the caller's strings, not freed here): each is
	 * matched to a locked package by its SHA-256 (plan/trees-pkg.c). */
	const char *const *package_files;
	unsigned npackage_files;

	struct schema_set schema;
	cfg_t *cfg;
	struct image **images;    /* all images; after planning, children first */
	unsigned nimages;
	unsigned images_cap;       /* allocated slots (implicit images too) */
	void *trees;              /* tree definitions (plan/trees-config.c) */
	char **envp;              /* environment for ${NAME} in trees (set by the CLI; NULL: none) */

	/* Why each image was taken from the store or built (--explain;
	 * optional, set by the CLI): one call per generated image. */
	void (*explain)(void *ud, const struct image *img, bool from_store, const char *why);
	void *explain_ud;

	/* Progress of generate (optional, set by the CLI). */
	void (*progress)(void *ud, const struct image *img, uint64_t done, uint64_t total);
	void *progress_ud;
};

/* Built-in default epoch when SOURCE_DATE_EPOCH is unset: 2020-01-01. */
#define KILN_DEFAULT_EPOCH 1577836800

void build_init(struct build *b);
void build_release(struct build *b);

/*
 * build_load - parse @path (genimage syntax + kiln extensions) into @b.
 * Applies the config's `config {}` section to paths still unset, then the
 * built-in defaults. Errors name file:line, key and value.
 */
int build_load(struct build *b, const char *path, const struct build_paths *cmdline,
	       const struct build_paths *env, struct diag *d);

/* build_plan - resolve dependencies, order, and set up every image. */
int build_plan(struct build *b, struct diag *d);

/*
 * build_plan_deps - resolve @img's dependencies and set up those it needs
 * (children first), not @img itself: what `kiln ls` needs to know the
 * sizes of the images a FAT holds without planning the whole config.
 * Errors as build_plan (unknown handler setups, -ELOOP on a cycle).
 */
int build_plan_deps(struct build *b, struct image *img, struct diag *d);

/* build_generate - write every image (children first), each through a
 * temporary file renamed on success; run exec-pre/exec-post. On failure
 * every output written by this call is removed and every output it
 * replaced restored (one undo transaction, io/undo.h). */
int build_generate(struct build *b, struct diag *d);

/* Look up an image by name (NULL if none). */
struct image *build_find_image(struct build *b, const char *name);

#endif
