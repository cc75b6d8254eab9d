/* SPDX-License-Identifier: MIT */
/*
 * Loading a config into images: config/ parses (genimage's syntax through
 * libconfuse) against a schema whose image types come from the handler
 * table, so a new image type needs no change there; each `image` section
 * then becomes a struct image read by its handler.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "config/cfgutil.h"
#include "config/config.h"
#include "config/schema.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/trees-def.h"

#define MAX_IMAGES 1024
#define MAX_PARTITIONS 256

/* ---- config -> images ---- */

static int parse_partition(struct build *b, struct image *img, cfg_t *ps, struct partition *p,
			   struct diag *d)
{
	unsigned sflags = b->genimage_mode ? SIZE_ALLOW_SLOPPY_B : 0;
	bool set;
	int r;

	p->name = strdup(cfg_title(ps));
	if (!p->name)
		return diag_fail(d, -ENOMEM, "out of memory");
	p->line = (unsigned)ps->line;
	p->file = ps->filename;
	if ((r = cfg_get_bytes(ps, "offset", sflags, &p->offset, &p->offset_set, d)))
		return r;
	if ((r = cfg_get_size(ps, "size", sflags | SIZE_ALLOW_PERCENT, &p->size_spec, &p->size_set, d)))
		return r;
	if (p->size_set && !p->size_spec.percent_set)
		p->size = p->size_spec.bytes;
	if ((r = cfg_get_bytes(ps, "align", sflags, &p->align, &set, d)))
		return r;
	if ((r = cfg_get_bytes(ps, "imageoffset", sflags, &p->imageoffset, &set, d)))
		return r;
	if (cfg_size(ps, "partition-type")) {
		long t = cfg_getint(ps, "partition-type");
		if (t < 0 || t > 255)
			return cfg_fail(ps, "partition-type", NULL, -EINVAL, d,
					"%ld is not a byte (0..0xff)", t);
		p->mbr_type = (uint8_t)t;
		p->mbr_type_set = true;
	}
	if ((r = cfg_dup_str(ps, "partition-type-uuid", &p->type_uuid_str)))
		return diag_fail(d, r, "out of memory");
	const char *u = cfg_getstr(ps, "partition-uuid");
	if (u) {
		if (uuid_parse(u, &p->uuid))
			return cfg_fail(ps, "partition-uuid", u, -EINVAL, d, "not a UUID");
		p->uuid_set = true;
	}
	p->bootable = cfg_getbool(ps, "bootable");
	p->read_only = cfg_getbool(ps, "read-only");
	p->hidden = cfg_getbool(ps, "hidden");
	p->no_automount = cfg_getbool(ps, "no-automount");
	p->fill = cfg_getbool(ps, "fill");
	p->autoresize = cfg_getbool(ps, "autoresize");
	p->in_partition_table = cfg_getbool(ps, "in-partition-table");
	p->sparse = cfg_getbool(ps, "sparse");
	p->forced_primary = cfg_getbool(ps, "forced-primary");
	if ((r = cfg_get_holes(ps, "holes", &p->holes, &p->nholes, d)))
		return r;
	const char *im = cfg_getstr(ps, "image");
	if (im) {
		p->image = strdup(im);
		if (!p->image || image_depend(img, im))
			return diag_fail(d, -ENOMEM, "out of memory");
	}
	return 0;
}

#define MAX_HOLES 64

int cfg_get_holes(cfg_t *sec, const char *key, struct hole **ret, unsigned *ret_n,
		  struct diag *d)
{
	unsigned n = cfg_size(sec, key);
	struct hole *v;

	*ret = NULL;
	*ret_n = 0;
	if (n > MAX_HOLES)
		return cfg_fail(sec, key, NULL, -E2BIG, d, "more than %d holes", MAX_HOLES);
	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		const char *h = cfg_getnstr(sec, key, i);
		char a[64], b[64];
		struct size_spec s1, s2;
		struct diag tmp = { 0 };
		int r = -EINVAL;

		/* genimage's format: "(START;END)" */
		if (sscanf(h, " ( %63[^; ] ; %63[^) ] ) ", a, b) != 2)
			r = cfg_fail(sec, key, h, -EINVAL, d, "expected \"(START;END)\"");
		else if (size_parse(a, 0, &s1, &tmp) || size_parse(b, 0, &s2, &tmp))
			r = cfg_fail(sec, key, h, -EINVAL, d, "%s", tmp.msg);
		else if (s2.bytes <= s1.bytes)
			r = cfg_fail(sec, key, h, -EINVAL, d, "end is not after start");
		else
			r = 0;
		if (r) {
			free(v);
			return r;
		}
		v[i].start = s1.bytes;
		v[i].end = s2.bytes;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static char *join_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s/%s", dir, name);
	return s;
}

/* Errors of parse_image() get their context in load_image(). */
static int parse_image(struct build *b, struct image *img, cfg_t *is, struct diag *d)
{
	const struct image_handler *h = NULL;
	cfg_t *hsec = NULL;
	unsigned sflags = b->genimage_mode ? SIZE_ALLOW_SLOPPY_B : 0;
	int r;

	for (unsigned k = 0; image_handlers[k]; k++) {
		unsigned cnt = cfg_size(is, image_handlers[k]->type);
		if (!cnt)
			continue;
		if (h || cnt > 1)
			return diag_fail(d, -EINVAL, "both '%s' and '%s' given; an image has exactly one type",
					 h ? h->type : image_handlers[k]->type, image_handlers[k]->type);
		h = image_handlers[k];
		hsec = cfg_getsec(is, h->type);
	}
	if (!h)
		return diag_fail(d, -EINVAL, "no image type section (e.g. hdimage { }, vfat { }, file { })");
	img->handler = h;
	/* genimage: an ext2/3/4 image's "N%" is N% of its content's size
	 * (plan/img-ext.c); no other type takes one. */
	bool is_ext = !strncmp(h->type, "ext", 3);
	if ((r = cfg_get_size(is, "size",
			      sflags | SIZE_ALLOW_PERCENT | (is_ext ? SIZE_PERCENT_ANY : 0),
			      &img->size_spec, &img->size_set, d)))
		return r;
	if (img->size_set && img->size_spec.percent_set && !is_ext)
		return cfg_fail(is, "size", cfg_getstr(is, "size"), -EINVAL, d,
				"a percentage is an image size only for ext2/3/4 (of its content)");
	if (img->size_set) {
		img->size = img->size_spec.percent_set ? 0 : img->size_spec.bytes;
		config_where(is, "size", 0, &img->size_file, &img->size_line);
	}
	if (cfg_dup_str(is, "mountpoint", &img->mountpoint) ||
	    cfg_dup_str(is, "srcpath", &img->srcpath) ||
	    cfg_dup_str(is, "exec-pre", &img->exec_pre) ||
	    cfg_dup_str(is, "exec-post", &img->exec_post) ||
	    cfg_dup_str(is, "name", &img->name_opt) ||
	    cfg_dup_str(is, "flashtype", &img->flashtype))
		return diag_fail(d, -ENOMEM, "out of memory");
	img->empty = cfg_getbool(is, "empty");
	img->temporary = cfg_getbool(is, "temporary");
	img->ntrees = cfg_size(is, "tree");
	if (img->ntrees) {
		img->trees = calloc(img->ntrees, sizeof(*img->trees));
		if (!img->trees)
			return diag_fail(d, -ENOMEM, "out of memory");
		for (unsigned i = 0; i < img->ntrees; i++)
			if (!(img->trees[i] = strdup(cfg_getnstr(is, "tree", i))))
				return diag_fail(d, -ENOMEM, "out of memory");
	}
	if (b->seed_set) {
		/* Per-image key from the global seed, so two images never
		 * share ids: HMAC(seed, "image" || 0 || name). */
		id_derive(&b->seed, img->name, 0, img->seed.b, SEED_LEN);
	} else {
		seed_from_image_name(&img->seed, img->name);
	}
	img->nparts = cfg_size(is, "partition");
	if (img->nparts > MAX_PARTITIONS)
		return diag_fail(d, -E2BIG, "more than %d partitions", MAX_PARTITIONS);
	if (img->nparts) {
		img->parts = calloc(img->nparts, sizeof(*img->parts));
		if (!img->parts)
			return diag_fail(d, -ENOMEM, "out of memory");
	}
	for (unsigned i = 0; i < img->nparts; i++) {
		r = parse_partition(b, img, cfg_getnsec(is, "partition", i), &img->parts[i], d);
		if (r)
			return r;
	}
	img->outfile = join_path(img->temporary ? b->paths.tmppath : b->paths.outputpath,
				 img->name);
	if (!img->outfile)
		return diag_fail(d, -ENOMEM, "out of memory");
	return h->parse ? h->parse(b, img, hsec, d) : 0;
}

static int load_image(struct build *b, cfg_t *is, struct diag *d)
{
	struct image *img = calloc(1, sizeof(*img));
	int r;

	if (!img)
		return diag_fail(d, -ENOMEM, "out of memory");
	b->images[b->nimages++] = img;
	img->name = strdup(cfg_title(is));
	img->cfgfile = is->filename;
	img->line = (unsigned)is->line;
	if (!img->name)
		return diag_fail(d, -ENOMEM, "out of memory");
	/* The title is the output file's name: refuse what no filesystem
	 * can create here rather than fail at the first write. */
	if (strlen(img->name) > NAME_MAX)
		return diag_fail(d, -ENAMETOOLONG,
				 "%s:%u: image '%.40s...': name too long (%zu bytes; a file name holds at most %d)",
				 img->cfgfile, img->line, img->name, strlen(img->name), NAME_MAX);
	r = parse_image(b, img, is, d);
	if (r)
		image_diag_prefix(img, d);
	return r;
}

static int set_path(char **dst, const char *v)
{
	if (*dst || !v)
		return 0;
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

int build_load(struct build *b, const char *path, const struct build_paths *cmdline,
	       const struct build_paths *env, struct diag *d)
{
	struct schema_set *sch = &b->schema;
	cfg_t *cfg;
	int r;

	struct config_type types[64];
	size_t nt = 0;

	/* The handler table, handed to config/ as data. */
	for (; image_handlers[nt]; nt++) {
		if (nt == sizeof(types) / sizeof(types[0]))
			return diag_fail(d, -E2BIG, "more than %zu image types", nt);
		types[nt].name = image_handlers[nt]->type;
		types[nt].opts = image_handlers[nt]->opts;
	}
	r = schema_build(sch, types, nt);
	if (r)
		return diag_fail(d, r, "out of memory");
	r = config_parse(sch, path, cmdline->includepath ? cmdline->includepath : env->includepath,
			 b->envp, &cfg, d);
	if (r)
		return r;
	b->cfg = cfg;

	/* Precedence: command line > config {} > GENIMAGE_* env > default. */
	cfg_t *cs = cfg_getsec(cfg, "config");
	struct build_paths *p = &b->paths;
	const char *gm[5] = { "root", "tmp", "input", "images", "" };
	const char *km[5] = { "root", "tmp", "input", "images", "" };
	const char **def = b->genimage_mode ? gm : km;
	if (set_path(&p->rootpath, cmdline->rootpath) || set_path(&p->tmppath, cmdline->tmppath) ||
	    set_path(&p->inputpath, cmdline->inputpath) ||
	    set_path(&p->outputpath, cmdline->outputpath) ||
	    set_path(&p->includepath, cmdline->includepath) ||
	    (cs && (set_path(&p->rootpath, cfg_getstr(cs, "rootpath")) ||
		    set_path(&p->tmppath, cfg_getstr(cs, "tmppath")) ||
		    set_path(&p->inputpath, cfg_getstr(cs, "inputpath")) ||
		    set_path(&p->outputpath, cfg_getstr(cs, "outputpath")) ||
		    set_path(&p->includepath, cfg_getstr(cs, "includepath")))) ||
	    set_path(&p->rootpath, env->rootpath) || set_path(&p->tmppath, env->tmppath) ||
	    set_path(&p->inputpath, env->inputpath) || set_path(&p->outputpath, env->outputpath) ||
	    set_path(&p->includepath, env->includepath) || set_path(&p->rootpath, def[0]) ||
	    set_path(&p->tmppath, def[1]) || set_path(&p->inputpath, def[2]) ||
	    set_path(&p->outputpath, def[3]))
		return diag_fail(d, -ENOMEM, "out of memory");
	if (set_path(&p->config, path))
		return diag_fail(d, -ENOMEM, "out of memory");

	/* randomseed: genimage's generator in genimage mode; kiln's own ids
	 * keyed by it otherwise, unless a `seed` says which key to use. */
	const char *rs = b->randomseed ? b->randomseed : cs ? cfg_getstr(cs, "randomseed") : NULL;
	if (rs && *rs && b->genimage_mode) {
		gi_random_seed(&b->gi_random, rs);
		b->gi_random_on = true;
	} else if (rs && *rs && !b->seed_set && !cfg_getstr(cfg, "seed")) {
		b->seed_str = strdup(rs);
		if (!b->seed_str)
			return diag_fail(d, -ENOMEM, "out of memory");
		seed_from_string(&b->seed, b->seed_str);
		b->seed_set = true;
	}
	if (!b->seed_set && cfg_getstr(cfg, "seed")) {
		b->seed_str = strdup(cfg_getstr(cfg, "seed"));
		if (!b->seed_str)
			return diag_fail(d, -ENOMEM, "out of memory");
		seed_from_string(&b->seed, b->seed_str);
		b->seed_set = true;
	}

	r = trees_load(b, cfg, d);
	if (r)
		return r;

	unsigned n = cfg_size(cfg, "image");
	if (n > MAX_IMAGES)
		return diag_fail(d, -E2BIG, "%s: more than %d images", path, MAX_IMAGES);
	b->images_cap = n + MAX_IMAGES; /* room for implicit ones */
	b->images = calloc(b->images_cap, sizeof(*b->images));
	if (!b->images)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		r = load_image(b, cfg_getnsec(cfg, "image", i), d);
		if (r)
			return r;
	}
	return 0;
}
