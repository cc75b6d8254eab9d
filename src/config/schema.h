/* SPDX-License-Identifier: MIT */
#ifndef KILN_CONFIG_SCHEMA_H
#define KILN_CONFIG_SCHEMA_H

/*
 * The config schema: genimage's sections and keys plus kiln's top-level
 * extensions (schema-extra.c: `tree`, `vars`). The image types are not
 * known here: the planner hands them over as data (its handler table),
 * so config stays below plan.
 */

#include <confuse.h>
#include <stddef.h>

/* One image type: the section `NAME { }` inside `image { }`. */
struct config_type {
	const char *name;
	cfg_opt_t *opts; /* CFG_END-terminated */
};

/* The assembled schema. Every section's options are private copies that
 * carry the line-recording hooks of parse.c. */
struct schema_set {
	cfg_opt_t *top_opts;
};

/* schema_build - assemble the schema for image types @types[0..n).
 * Returns 0 or -ENOMEM. */
int schema_build(struct schema_set *ret, const struct config_type *types, size_t n);
void schema_release(struct schema_set *s);

/* Top-level sections added by kiln, CFG_END-terminated (schema-extra.c). */
extern cfg_opt_t schema_extra_top_opts[];

/* Name of the hidden option each section carries so that parse.c learns
 * the line a section opens on (no user can spell it: '|' is libconfuse's
 * path separator). Skip it when listing a section's options. */
#define SCHEMA_MARK "|opened"

#endif
