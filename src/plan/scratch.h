/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_SCRATCH_H
#define KILN_PLAN_SCRATCH_H

/*
 * A scratch file for images whose size is their compressed content
 * (squashfs, compressed tar): setup writes the image once into an
 * anonymous file in tmppath, which fixes the size for the plan, and
 * generate copies it onto the output sink. The file has no name (it is
 * unlinked at once), so nothing is left behind whatever happens.
 */

#include <stdint.h>

struct build;
struct diag;
struct image;
struct sink;
struct tree;

struct scratch {
	int fd;             /* -1: none */
	struct sink *sink;  /* writes into fd, unbounded */
};

/* scratch_open - create the file in @dir (made if missing). 0 or -errno. */
int scratch_open(struct scratch *s, const char *dir, struct diag *d);

/* scratch_copy - copy [0, len) onto @out at 0, keeping holes. */
int scratch_copy(struct scratch *s, struct sink *out, uint64_t len, struct diag *d);

/* scratch_close - release the file; safe on a zeroed or closed scratch. */
void scratch_close(struct scratch *s);

/*
 * An image written from its content tree into a scratch file (squashfs,
 * tar, cramfs). The handler's priv begins with it, so that
 * scratch_tree_generate() finds it at img->priv.
 */
struct scratch_tree {
	struct scratch scratch;
	struct tree *tree;
	uint64_t bytes;     /* what the writer wrote */
};

/* scratch_tree_init - no tree, no file (call in parse). */
void scratch_tree_init(struct scratch_tree *st);

/* scratch_tree_begin - drop what an earlier setup made (kiln ls plans
 * dependencies first), then build @img's content tree and open the
 * scratch file in tmppath. 0 or -errno. */
int scratch_tree_begin(struct build *b, struct image *img, struct scratch_tree *st,
		       struct diag *d);

/* scratch_tree_end - the image is st->bytes long, as the tool writes it
 * (genimage: `size` is a limit): -ENOSPC naming @what when `size` is
 * smaller, else img->size is set. */
int scratch_tree_end(struct image *img, struct scratch_tree *st, const char *what,
		     struct diag *d);

/* A handler's generate: copy the scratch file onto @out. */
int scratch_tree_generate(struct build *b, struct image *img, struct sink *out, struct diag *d);

/* scratch_tree_release - free the tree, close the file. */
void scratch_tree_release(struct scratch_tree *st);

#endif
