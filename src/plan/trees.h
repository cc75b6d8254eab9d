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

/*
 * trees_prefetch - with b->store and b->jobs > 1, decode the archive and
 * .deb layers of used trees that the store does not hold, up to b->jobs
 * at a time, into the store (trees-prefetch.c); composing then finds
 * them there. Returns 0, or -ESTALE / -ENOMEM as trees_cache_load; a
 * layer that fails to read is left for the composition to report.
 */
int trees_prefetch(struct build *b, struct diag *d);

struct pkg_request;

/*
 * trees_pkg_request - the config's repositories and package layers as
 * a request for src/pkg (strings borrowed from @b; free with
 * trees_pkg_request_free). Returns 0 or -ENOMEM.
 */
int trees_pkg_request(struct build *b, struct pkg_request *ret, struct diag *d);
void trees_pkg_request_free(struct pkg_request *req);

/*
 * trees_pkg_urls - 0 when every repository has a url; else the error of the
 * first whose "apt-sources" url could not be read (kiln lock and kiln fetch
 * need it, kiln build does not).
 */
int trees_pkg_urls(struct build *b, struct diag *d);

/* trees_pkg_lock_path - kiln.lock beside the config (malloc'd). */
char *trees_pkg_lock_path(struct build *b);

/* Free the build's tree definitions. */
void trees_release(struct build *b);

#endif
