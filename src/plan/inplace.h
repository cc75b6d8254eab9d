/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_INPLACE_H
#define KILN_PLAN_INPLACE_H

/*
 * Partitions written in place. A `temporary` image that nothing but one
 * partition of one hdimage reads is no output of its own: its handler
 * writes it straight into the disk's sink, through a window at the
 * partition's offset fixed by setup, so its bytes are written once and
 * no file of it is ever created. Images that a hook, another image or
 * a second partition may read are written as files, as before
 * (docs/architecture.md, "Generate").
 */

#include <stdbool.h>
#include <stddef.h>

struct build;
struct diag;
struct image;
struct partition;
struct sink;

/*
 * inplace_plan - after setup, before generate: set img->inplace_in for
 * the images written in place, and img->not_inplace (why not) for the
 * temporary partition images that cannot be.
 */
void inplace_plan(struct build *b);

/*
 * inplace_defer - @img's turn in the generate loop: with a store, key
 * it (its disk's key is made of its children's keys) and write nothing.
 * Returns 0, or 1 when it must be generated as a file after all (no
 * key: its disk's key then needs its bytes; img->not_inplace says so).
 */
int inplace_defer(struct build *b, struct image *img, struct diag *d);

/*
 * inplace_write - write @p's image into its window of disk @disk's
 * sink @out: copied from the store on a hit, else generated there and
 * kept in the store. 0 or -errno with detail in @d.
 */
int inplace_write(struct build *b, struct image *disk, const struct partition *p, struct sink *out,
		  struct diag *d);

/*
 * inplace_finish - after disk @img is generated: report (--explain) its
 * in-place partition images that came with it from the store.
 */
void inplace_finish(struct build *b, struct image *img);

/* inplace_writes_into - true when @disk has partitions written in place
 * (its generate then writes them, and uses the store). */
bool inplace_writes_into(const struct image *disk);

/* inplace_explain - append "; not written in place: WHY" to @why when
 * @img is a temporary partition image written as a file. */
void inplace_explain(const struct image *img, char *why, size_t size);

#endif
