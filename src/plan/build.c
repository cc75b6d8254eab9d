/* SPDX-License-Identifier: MIT */
/*
 * The planner: resolve image references, order images children first
 * (rejecting cycles), let each handler fix its layout, then generate.
 */
#include "config/config.h"
#include "config/suggest.h"
#include "plan/build.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/diag.h"
#include "flash/bmap-io.h"
#include "fs/tree.h"
#include "io/sink.h"
#include "io/undo.h"
#include "plan/exec.h"
#include "plan/generate.h"
#include "plan/image-cache.h"
#include "plan/image-key.h"
#include "plan/inplace.h"
#include "plan/trees.h"

void build_init(struct build *b)
{
	memset(b, 0, sizeof(*b));
	b->epoch = KILN_DEFAULT_EPOCH;
	b->bmap = true;
	b->loglevel = 1;
}

static void partition_release(struct partition *p)
{
	free(p->name);
	free(p->type_uuid_str);
	free(p->image);
	free(p->holes);
}

static void image_free(struct image *img)
{
	if (!img)
		return;
	if (img->handler && img->handler->release)
		img->handler->release(img);
	for (unsigned i = 0; i < img->nparts; i++)
		partition_release(&img->parts[i]);
	free(img->parts);
	free(img->holes);
	for (unsigned i = 0; i < img->ndeps; i++)
		free(img->deps[i].name);
	free(img->deps);
	if (img->inplace_key)
		image_key_release(img->inplace_key);
	free(img->inplace_key);
	for (unsigned i = 0; i < img->ntrees; i++)
		free(img->trees[i]);
	free(img->trees);
	free(img->name);
	free(img->mountpoint);
	free(img->srcpath);
	free(img->exec_pre);
	free(img->exec_post);
	free(img->name_opt);
	free(img->flashtype);
	free(img->outfile);
	free(img);
}

void build_release(struct build *b)
{
	for (unsigned i = 0; i < b->nimages; i++)
		image_free(b->images[i]);
	free(b->images);
	trees_release(b);
	config_free(b->cfg);
	schema_release(&b->schema);
	free(b->paths.rootpath);
	free(b->paths.tmppath);
	free(b->paths.inputpath);
	free(b->paths.outputpath);
	free(b->paths.includepath);
	free(b->paths.config);
	free(b->seed_str);
	memset(b, 0, sizeof(*b));
}

int image_depend(struct image *img, const char *name)
{
	for (unsigned i = 0; i < img->ndeps; i++)
		if (!strcmp(img->deps[i].name, name))
			return 0;
	struct image_dep *nd = realloc(img->deps, (img->ndeps + 1) * sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	img->deps = nd;
	nd[img->ndeps].name = strdup(name);
	nd[img->ndeps].img = NULL;
	if (!nd[img->ndeps].name)
		return -ENOMEM;
	img->ndeps++;
	return 0;
}

struct image *image_dep(const struct image *img, const char *name)
{
	for (unsigned i = 0; i < img->ndeps; i++)
		if (!strcmp(img->deps[i].name, name))
			return img->deps[i].img;
	return NULL;
}

void image_diag_prefix(const struct image *img, struct diag *d)
{
	/* One order everywhere: "FILE:LINE: image 'NAME': ...". */
	if (diag_context(d, "image '%s'", img->name) || !img->cfgfile || !d->err)
		return;
	diag_prefix(d, "%s:%u", img->cfgfile, img->line);
}

struct image *build_find_image(struct build *b, const char *name)
{
	for (unsigned i = 0; i < b->nimages; i++)
		if (!b->images[i]->implicit && !strcmp(b->images[i]->name, name))
			return b->images[i];
	return NULL;
}

static struct image *find_any(struct build *b, const char *name)
{
	for (unsigned i = 0; i < b->nimages; i++)
		if (!strcmp(b->images[i]->name, name))
			return b->images[i];
	return NULL;
}

/* An input that names no image section: genimage's implicit file image. */
static int implicit_file(struct build *b, const char *name, struct image **ret, struct diag *d)
{
	const struct image_handler *fh = image_handler_find("file");
	struct image *img;

	if (b->nimages >= b->images_cap || !fh)
		return diag_fail(d, -E2BIG, "too many images");
	img = calloc(1, sizeof(*img));
	if (!img)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->name = strdup(name);
	img->implicit = true;
	img->input_only = true;
	img->handler = fh;
	if (name[0] == '/') {
		img->outfile = strdup(name);
	} else {
		size_t n = strlen(b->paths.inputpath) + strlen(name) + 2;
		img->outfile = malloc(n);
		if (img->outfile)
			snprintf(img->outfile, n, "%s/%s", b->paths.inputpath, name);
	}
	if (!img->name || !img->outfile) {
		image_free(img);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	seed_from_image_name(&img->seed, name);
	b->images[b->nimages++] = img;
	*ret = img;
	return 0;
}

static int visit(struct build *b, struct image *img, struct image **order, unsigned *n,
		 struct diag *d)
{
	int r;

	if (img->mark == 2)
		return 0;
	if (img->mark == 1)
		return diag_fail(d, -ELOOP, "image '%s' depends on itself (cyclic image references)",
				 img->name);
	img->mark = 1;
	for (unsigned i = 0; i < img->ndeps; i++) {
		struct image *c = img->deps[i].img;
		if (!c) {
			c = find_any(b, img->deps[i].name);
			if (!c && (r = implicit_file(b, img->deps[i].name, &c, d)))
				return r;
			img->deps[i].img = c;
		}
		r = visit(b, c, order, n, d);
		if (r) {
			if (d && d->err == -ELOOP && !strstr(d->msg, "via"))
				diag_prefix(d, "via '%s'", img->name);
			return r;
		}
	}
	for (unsigned i = 0; i < img->nparts; i++)
		if (img->parts[i].image)
			img->parts[i].child = image_dep(img, img->parts[i].image);
	img->mark = 2;
	order[(*n)++] = img;
	return 0;
}

/* A missing input may be a misspelt image name: say who referred to it,
 * and which image it probably meant. */
static void implicit_diag(struct build *b, const struct image *img, struct diag *d)
{
	const struct image *user = NULL;
	struct suggest sg;

	for (unsigned i = 0; i < b->nimages && !user; i++)
		if (!b->images[i]->implicit && image_dep(b->images[i], img->name) == img)
			user = b->images[i];
	if (d->err == -ENOENT) {
		suggest_init(&sg, img->name);
		for (unsigned i = 0; i < b->nimages; i++)
			if (!b->images[i]->implicit)
				suggest_try(&sg, b->images[i]->name);
		if (suggest_best(&sg)) {
			size_t l = strlen(d->msg);
			snprintf(d->msg + l, sizeof(d->msg) - l,
				 " (no image '%s' either; did you mean image '%s'?)", img->name,
				 suggest_best(&sg));
		}
	}
	image_diag_prefix(user ? user : img, d);
}

int build_plan(struct build *b, struct diag *d)
{
	unsigned n0 = b->nimages, n = 0;
	struct image **order;
	int r;

	if (!n0)
		return diag_fail(d, -EINVAL, "%s: no images defined", b->paths.config);
	order = calloc(b->images_cap, sizeof(*order));
	if (!order)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n0; i++) {
		r = visit(b, b->images[i], order, &n, d);
		if (r)
			goto out;
	}
	memcpy(b->images, order, n * sizeof(*order));
	b->nimages = n;
	/* Independent archives decoded at the same time (-j, the store). */
	if ((r = trees_prefetch(b, d)))
		goto out;
	for (unsigned i = 0; i < n; i++) {
		struct image *img = b->images[i];
		if (!img->handler->setup)
			continue;
		r = img->handler->setup(b, img, d);
		if (r) {
			if (img->implicit)
				implicit_diag(b, img, d);
			else
				image_diag_prefix(img, d);
			goto out;
		}
	}
	r = 0;
out:
	free(order);
	return r;
}

int build_plan_deps(struct build *b, struct image *img, struct diag *d)
{
	unsigned n = 0;
	struct image **order;
	int r = 0;

	/* visit() may add implicit file images: room for the cap. */
	order = calloc(b->images_cap, sizeof(*order));
	if (!order)
		return diag_fail(d, -ENOMEM, "out of memory");
	r = visit(b, img, order, &n, d);
	/* The last one visited is @img itself. */
	for (unsigned i = 0; !r && i + 1 < n; i++) {
		if (!order[i]->handler->setup)
			continue;
		r = order[i]->handler->setup(b, order[i], d);
		if (r)
			image_diag_prefix(order[i], d);
	}
	free(order);
	return r;
}

/* Progress may come from several writer threads; the CLI's callback
 * is not reentrant. */
static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;

static void on_progress(void *ud, uint64_t bytes)
{
	struct gen_job *j = ud;
	struct build *b = j->b;

	j->done += bytes;
	if (!b->progress)
		return;
	pthread_mutex_lock(&progress_lock);
	b->progress(b->progress_ud, j->img, j->done, j->img->size);
	pthread_mutex_unlock(&progress_lock);
}

/* Key @img and try the store: 1 when the image was copied out of it, 0
 * when it must be built (@k then holds its key's components, *keyed
 * says whether it has one), -errno when the output cannot be written. */
static int from_store(struct build *b, struct image *img, struct image_key *k, bool *keyed,
		      char *why, size_t whysize, struct sink **ret_out, struct diag *d)
{
	struct diag q = { .warn = d ? d->warn : NULL, .note = d ? d->note : NULL,
			  .userdata = d ? d->userdata : NULL };
	int r;

	*keyed = false;
	if (!b->store) {
		snprintf(why, whysize, "no build cache");
		return 0;
	}
	if (!img->handler->key) {
		snprintf(why, whysize, "images of type '%s' are not kept in the build cache",
			 img->handler->type);
		return 0;
	}
	if (img->exec_pre) {
		/* The hook may prepare inputs the key cannot see. */
		snprintf(why, whysize, "it has an exec-pre hook");
		return 0;
	}
	r = image_key_compute(b, img, k, img->key, &q);
	if (r) {
		snprintf(why, whysize, "no key: %.900s", q.msg);
		return 0;
	}
	*keyed = true;
	return image_cache_fetch(b, img, img->key, k, why, whysize, ret_out, d);
}

int gen_prepare(struct gen_job *j, struct diag *d)
{
	struct build *b = j->b;
	struct image *img = j->img;
	const char *dir = img->temporary ? b->paths.tmppath : b->paths.outputpath;
	int r;

	if ((r = mkdir_p(dir, d)))
		return r;
	if (!j->quiet || img->exec_pre)
		undo_activity("running exec-pre of image '%s'", img->name);
	r = run_exec_hook(b, img, img->exec_pre, "exec-pre", d);
	if (r)
		return r;
	if (img->handler->presize && (r = img->handler->presize(b, img, d)))
		return r;
	if (!j->quiet)
		undo_activity("writing %s", img->outfile);
	r = from_store(b, img, &j->k, &j->keyed, j->why, sizeof(j->why), &j->out, d);
	if (r < 0)
		return r;
	img->from_store = r == 1;
	if (img->from_store)
		return 0;
	r = sink_file_new(&j->out, img->outfile, img->file_size ? img->file_size : img->size, d);
	if (r)
		return r;
	j->out->progress = on_progress;
	j->out->progress_userdata = j;
	j->write = true;
	return 0;
}

int gen_write(struct gen_job *j, struct diag *d)
{
	struct image *img = j->img;
	int r;

	if (!j->write)
		return 0;
	r = img->handler->generate(j->b, img, j->out, d);
	if (r) {
		if (d && !d->err)
			diag_fail(d, r, "%s", strerror(-r));
		image_diag_prefix(img, d);
	}
	return r;
}

int gen_finish(struct gen_job *j, struct diag *d)
{
	struct build *b = j->b;
	struct image *img = j->img;
	int r = 0;

	if (j->out) {
		if (!j->quiet)
			undo_activity("writing %s", img->outfile);
		r = sink_file_commit(j->out, d);
		if (r)
			return r;
		if (img->from_store)
			image_cache_fetched(b, img, img->key);
		/* Before exec-post: the store keeps what kiln wrote, the hook
		 * runs again after every copy-out. */
		else if (j->keyed)
			image_cache_put(b, img, img->key, &j->k, d);
	}
	img->keyed = j->keyed;
	inplace_explain(img, j->why, sizeof(j->why));
	if (b->explain)
		b->explain(b->explain_ud, img, img->from_store, j->why);
	if (!j->quiet || img->exec_post)
		undo_activity("running exec-post of image '%s'", img->name);
	r = run_exec_hook(b, img, img->exec_post, "exec-post", d);
	/* After exec-post, so the map describes the final bytes (flash/bmap-io.h). */
	if (!r && b->bmap && img->handler->is_disk) {
		if (!j->quiet)
			undo_activity("writing %s.bmap", img->outfile);
		r = bmap_write_file(img->outfile, NULL, d);
	}
	if (!r)
		inplace_finish(b, img);
	return r;
}

int gen_defer(struct gen_job *j, struct diag *d)
{
	struct build *b = j->b;
	struct image *img = j->img;
	const char *dir = img->temporary ? b->paths.tmppath : b->paths.outputpath;
	int r;

	if (!img->inplace_in)
		return 1;
	/* Its disk's generate writes it (plan/inplace.h); the directory is
	 * made all the same, as for any image of the build. */
	if ((r = mkdir_p(dir, d)))
		return r;
	return inplace_defer(b, img, d);
}

void gen_job_release(struct gen_job *j)
{
	image_key_release(&j->k);
	sink_release(j->out);
	j->out = NULL;
	for (unsigned i = 0; i < j->nmsgs; i++)
		free(j->msgs[i].text);
	free(j->msgs);
	j->msgs = NULL;
	j->nmsgs = 0;
}

/*
 * Outputs are committed one by one, children first, because exec-post
 * hooks and parent images read them at their final paths (genimage's
 * order). The whole generation is one undo transaction: if any image or
 * hook fails, every output this run wrote is removed again and every
 * output it replaced is put back (io/undo.h), so a failed build leaves
 * the output directory as it found it. With b->jobs > 1 the scheduler
 * writes independent images at the same time (schedule.c), still
 * committing them in this order.
 */
int build_generate(struct build *b, struct diag *d)
{
	int mark = undo_begin();
	int r = 0;

	inplace_plan(b);
	if (b->jobs > 1) {
		r = build_schedule(b, d);
	} else {
		for (unsigned i = 0; i < b->nimages && !r; i++) {
			struct gen_job j = { .b = b, .img = b->images[i] };
			if (!j.img->handler->generate || j.img->input_only)
				continue; /* an input, not an output */
			r = gen_defer(&j, d);
			if (r <= 0)
				continue; /* written by its disk, or failed */
			r = gen_prepare(&j, d);
			if (!r)
				r = gen_write(&j, d);
			if (!r)
				r = gen_finish(&j, d);
			gen_job_release(&j);
		}
	}
	/* Images still being copied into the store (kept even when a later
	 * image failed: their bytes are whole). */
	image_cache_settle(b, d);
	if (r)
		undo_rollback(mark);
	else
		undo_commit(mark);
	return r;
}

/* ---- image contents ---- */

static int collect_mountpoints(struct build *b, struct image *self, const char *base,
			       const char ***ret)
{
	size_t n = 0, bl = strlen(base);
	const char **v = calloc(b->nimages + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (unsigned i = 0; i < b->nimages; i++) {
		struct image *o = b->images[i];
		const char *m = o->mountpoint;
		if (o == self || !m)
			continue;
		while (*m == '/')
			m++;
		if (!*m)
			continue;
		if (bl && (strncmp(m, base, bl) || m[bl] != '/'))
			continue;
		v[n++] = bl ? m + bl + 1 : m;
	}
	*ret = v;
	return 0;
}

int image_content_tree(struct build *b, struct image *img, struct tree **ret, struct diag *d)
{
	struct tree *t = NULL;
	const char **excl = NULL;
	int r;

	r = tree_new(&t, b->epoch);
	if (r)
		return diag_fail(d, r, "out of memory");
	if (img->ntrees) {
		r = trees_compose(b, img, t, d);
	} else if (img->empty) {
		r = 0;
	} else if (img->srcpath) {
		int l = tree_add_layer(t, img->srcpath);
		r = l < 0 ? l : tree_add_dir(t, img->srcpath, "", img->keep_owner, NULL, TREE_CONFLICT_ERROR,
					     (uint32_t)l, d);
	} else {
		const char *mp = img->mountpoint ? img->mountpoint : "";
		while (*mp == '/')
			mp++;
		size_t n = strlen(b->paths.rootpath) + strlen(mp) + 2;
		char *src = malloc(n);
		char base[4096];
		snprintf(base, sizeof(base), "%s", mp);
		size_t bl = strlen(base);
		while (bl && base[bl - 1] == '/')
			base[--bl] = 0;
		r = src ? collect_mountpoints(b, img, base, &excl) : -ENOMEM;
		if (!r) {
			snprintf(src, n, "%s%s%s", b->paths.rootpath, *mp ? "/" : "", mp);
			int l = tree_add_layer(t, src);
			r = l < 0 ? l : tree_add_dir(t, src, "", img->keep_owner, excl, TREE_CONFLICT_ERROR,
						     (uint32_t)l, d);
		}
		free(src);
		free(excl);
	}
	if (r) {
		if (d && !d->err)
			diag_fail(d, r, "%s", strerror(-r));
		tree_free(t);
		return r;
	}
	tree_finish(t);
	*ret = t;
	return 0;
}
