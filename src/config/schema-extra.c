/* SPDX-License-Identifier: MIT */
/*
 * kiln's top-level config extensions. Each extension adds its sections
 * to schema_extra_top_opts and reads them in schema_load_extra.
 */
#include "config/schema.h"

#include "plan/build.h"

cfg_opt_t schema_extra_top_opts[] = {
	CFG_END()
};

int schema_load_extra(struct build *b, cfg_t *cfg, struct diag *d)
{
	(void)b;
	(void)cfg;
	(void)d;
	return 0;
}
