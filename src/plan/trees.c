/* SPDX-License-Identifier: MIT */
#include "plan/trees.h"

#include <errno.h>

#include "base/diag.h"
#include "plan/build.h"

int trees_compose(struct build *b, struct image *img, struct tree *t, struct diag *d)
{
	(void)t;
	/* No tree sections are defined in this config schema yet, so every
	 * reference names an unknown tree. */
	return diag_fail(d, -ENOENT, "%s:%u: image '%s': tree \"%s\" is not defined",
			 img->cfgfile ? img->cfgfile : b->paths.config, img->line, img->name,
			 img->ntrees ? img->trees[0] : "");
}

void trees_release(struct build *b)
{
	b->trees = NULL;
}
