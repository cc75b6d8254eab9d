/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_TREES_H
#define KILN_PLAN_TREES_H

/* `tree NAME { }` sections (kiln extension): composing image contents
 * from layers. */

struct build;
struct diag;
struct image;
struct tree;

/* Apply the trees named by @img->trees, in order, into @t. */
int trees_compose(struct build *b, struct image *img, struct tree *t, struct diag *d);

/* Free the build's tree definitions. */
void trees_release(struct build *b);

#endif
