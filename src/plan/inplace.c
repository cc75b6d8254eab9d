/* SPDX-License-Identifier: MIT */
/*
 * Partitions written in place (plan/inplace.h): which images qualify,
 * and writing one into its disk's window.
 */
#include "plan/inplace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image-cache.h"
#include "plan/image-key.h"
#include "plan/image.h"

/* The hdimage holding @c in a partition, and how many partitions (of
 * any disk) and images refer to it. */
static struct image *holder(struct build *b, const struct image *c, unsigned *nparts,
			    unsigned *nusers, const struct partition **ret_p)
{
	struct image *disk = NULL;

	*nparts = *nusers = 0;
	for (unsigned i = 0; i < b->nimages; i++) {
		struct image *u = b->images[i];

		for (unsigned j = 0; j < u->ndeps; j++)
			if (u->deps[j].img == c)
				(*nusers)++;
		if (strcmp(u->handler->type, "hdimage"))
			continue;
		for (unsigned j = 0; j < u->nparts; j++) {
			if (u->parts[j].child != c)
				continue;
			(*nparts)++;
			disk = u;
			*ret_p = &u->parts[j];
		}
	}
	return disk;
}

/* Why temporary image @c, in partition @p of @disk, must be a file; NULL
 * when it can be written in place. */
static const char *why_not(struct build *b, const struct image *c, const struct image *disk,
			   const struct partition *p, unsigned nparts, unsigned nusers)
{
	if (nusers > 1)
		return "other images read it too";
	if (nparts > 1)
		return "it fills more than one partition";
	if (c->exec_pre)
		return "it has an exec-pre hook";
	if (c->exec_post)
		return "it has an exec-post hook (which runs on its file)";
	if (disk->exec_pre || disk->exec_post)
		return "its disk has a hook that may read its file";
	if (c->handler->presize)
		return "its size is fixed only when it is generated";
	if (p->imageoffset)
		return "its partition takes it from an image-offset";
	if (!p->sparse)
		return "its partition has sparse = false";
	if (p->nholes || c->nholes)
		return "it has holes other partitions may fill";
	if ((c->file_size ? c->file_size : c->size) > p->size)
		return "it is larger than its partition";
	if (b->store && !c->handler->key)
		return "its type is not kept in the build cache, so its disk's key needs its bytes";
	return NULL;
}

void inplace_plan(struct build *b)
{
	for (unsigned i = 0; i < b->nimages; i++) {
		struct image *c = b->images[i];
		const struct partition *p = NULL;
		unsigned nparts, nusers;
		struct image *disk;

		c->inplace_in = NULL;
		c->not_inplace = NULL;
		if (!c->temporary || c->implicit || c->input_only || !c->handler->generate)
			continue;
		disk = holder(b, c, &nparts, &nusers, &p);
		if (!disk)
			continue;
		c->not_inplace = why_not(b, c, disk, p, nparts, nusers);
		if (!c->not_inplace)
			c->inplace_in = disk;
	}
}

int inplace_defer(struct build *b, struct image *img, struct diag *d)
{
	struct diag q = { .warn = d ? d->warn : NULL, .userdata = d ? d->userdata : NULL };
	struct image_key *k;

	if (!b->store)
		return 0;
	k = calloc(1, sizeof(*k));
	if (!k)
		return diag_fail(d, -ENOMEM, "out of memory");
	if (image_key_compute(b, img, k, img->key, &q)) {
		image_key_release(k);
		free(k);
		img->inplace_in = NULL;
		img->not_inplace = "it has no key, so its disk's key needs its bytes";
		return 1;
	}
	img->keyed = true;
	img->inplace_key = k;
	return 0;
}

int inplace_write(struct build *b, struct image *disk, const struct partition *p, struct sink *out,
		  struct diag *d)
{
	struct image *c = p->child;
	uint64_t len = c->file_size ? c->file_size : c->size, base;
	char why[1024] = "no build cache", text[1280];
	struct sink win;
	int r, fd;

	if ((r = sink_sub(&win, out, p->offset, len)))
		return diag_fail(d, r, "partition '%s': image '%s' does not fit in the disk",
				 p->name, c->name);
	if (c->keyed) {
		r = image_cache_fetch_into(b, c, c->key, c->inplace_key, &win, why, sizeof(why), d);
		if (r < 0)
			return r;
		if (r == 1) {
			c->from_store = true;
			goto done;
		}
	}
	r = c->handler->generate(b, c, &win, d);
	if (r) {
		if (d && !d->err)
			diag_fail(d, r, "%s", strerror(-r));
		image_diag_prefix(c, d);
		return r;
	}
	/* Kept on its own too: a disk whose other partition changed then
	 * copies this one from the store instead of building it again. */
	fd = sink_file_fd(sink_root(&win, &base));
	if (c->keyed && fd >= 0)
		image_cache_put_from(b, c, c->key, c->inplace_key, fd, base, d);
done:
	c->inplace_done = true;
	if (b->explain) {
		snprintf(text, sizeof(text), "written in place into '%s': %s", disk->name, why);
		b->explain(b->explain_ud, c, c->from_store, text);
	}
	return 0;
}

void inplace_finish(struct build *b, struct image *img)
{
	for (unsigned i = 0; i < img->nparts; i++) {
		struct image *c = img->parts[i].child;

		if (!c || c->inplace_in != img || c->inplace_done)
			continue;
		c->inplace_done = true;
		c->from_store = img->from_store;
		if (b->explain)
			b->explain(b->explain_ud, c, true, "its disk came from the build cache");
	}
}

void inplace_explain(const struct image *img, char *why, size_t size)
{
	size_t l = strlen(why);

	if (img->not_inplace)
		snprintf(why + l, size - l, "; not written in place: %s", img->not_inplace);
}

bool inplace_writes_into(const struct image *disk)
{
	for (unsigned i = 0; i < disk->ndeps; i++)
		if (disk->deps[i].img && disk->deps[i].img->inplace_in == disk)
			return true;
	return false;
}
