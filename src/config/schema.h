/* SPDX-License-Identifier: MIT */
#ifndef KILN_CONFIG_SCHEMA_H
#define KILN_CONFIG_SCHEMA_H

/* The config schema: genimage's, assembled from the handler table, plus
 * kiln's top-level extensions (schema-extra.c: `tree`, `vars`, ...). */

#include <confuse.h>

struct build;
struct diag;

struct schema_set {
	cfg_opt_t *image_opts;
	cfg_opt_t *top_opts;
};

int schema_build(struct schema_set *ret);
void schema_release(struct schema_set *s);

/* Top-level sections added by kiln, CFG_END-terminated (schema-extra.c). */
extern cfg_opt_t schema_extra_top_opts[];

/* Read the extension sections into @b after parsing (schema-extra.c). */
int schema_load_extra(struct build *b, cfg_t *cfg, struct diag *d);

#endif
