/* SPDX-License-Identifier: MIT */
/*
 * Config loading: genimage's syntax (libconfuse), genimage's sections and
 * keys, plus kiln's extensions. The schema of `image { }` is assembled
 * from the handler table, so a new image type needs no change here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "config/cfgutil.h"
#include "config/schema.h"
#include "plan/build.h"
#include "plan/image.h"

#define MAX_IMAGES 1024
#define MAX_PARTITIONS 256

static cfg_opt_t partition_opts[] = {
	CFG_STR("offset", NULL, CFGF_NONE),
	CFG_STR("size", NULL, CFGF_NONE),
	CFG_STR("align", NULL, CFGF_NONE),
	CFG_INT("partition-type", 0, CFGF_NODEFAULT),
	CFG_STR("partition-type-uuid", NULL, CFGF_NONE),
	CFG_STR("partition-uuid", NULL, CFGF_NONE),
	CFG_BOOL("bootable", cfg_false, CFGF_NONE),
	CFG_BOOL("read-only", cfg_false, CFGF_NONE),
	CFG_BOOL("hidden", cfg_false, CFGF_NONE),
	CFG_BOOL("no-automount", cfg_false, CFGF_NONE),
	CFG_BOOL("fill", cfg_false, CFGF_NONE),
	CFG_STR("image", NULL, CFGF_NONE),
	CFG_STR("imageoffset", NULL, CFGF_NONE),
	CFG_STR_LIST("holes", NULL, CFGF_NONE),
	CFG_BOOL("autoresize", cfg_false, CFGF_NONE),
	CFG_BOOL("in-partition-table", cfg_true, CFGF_NONE),
	CFG_BOOL("sparse", cfg_true, CFGF_NONE),
	CFG_BOOL("forced-primary", cfg_false, CFGF_NONE),
	CFG_STR("erase-size", NULL, CFGF_NONE),
	CFG_END()
};

/* genimage's tool paths: accepted so existing configs parse; kiln runs
 * none of these tools. */
#define TOOL_OPT(n) CFG_STR(n, NULL, CFGF_NONE)
static cfg_opt_t config_opts[] = {
	CFG_STR("rootpath", NULL, CFGF_NONE),
	CFG_STR("tmppath", NULL, CFGF_NONE),
	CFG_STR("inputpath", NULL, CFGF_NONE),
	CFG_STR("outputpath", NULL, CFGF_NONE),
	CFG_STR("includepath", NULL, CFGF_NONE),
	CFG_STR("configdump", NULL, CFGF_NONE),
	CFG_INT("loglevel", 1, CFGF_NONE),
	CFG_STR("cache-size", NULL, CFGF_NONE), /* kiln: the store's limit */
	TOOL_OPT("cpio"), TOOL_OPT("dd"), TOOL_OPT("debugfs"), TOOL_OPT("e2fsck"),
	TOOL_OPT("fiptool"), TOOL_OPT("genext2fs"), TOOL_OPT("mcopy"), TOOL_OPT("mmd"),
	TOOL_OPT("mkcramfs"), TOOL_OPT("mkdosfs"), TOOL_OPT("mke2fs"), TOOL_OPT("mkfsjffs2"),
	TOOL_OPT("mkfsubifs"), TOOL_OPT("mkimage"), TOOL_OPT("mksquashfs"), TOOL_OPT("qemu-img"),
	TOOL_OPT("rauc"), TOOL_OPT("tar"), TOOL_OPT("tune2fs"), TOOL_OPT("ubinize"),
	CFG_END()
};

static cfg_opt_t flash_opts[] = {
	CFG_STR("pebsize", "", CFGF_NONE),
	CFG_STR("lebsize", "", CFGF_NONE),
	CFG_STR("numpebs", "", CFGF_NONE),
	CFG_STR("minimum-io-unit-size", "", CFGF_NONE),
	CFG_STR("vid-header-offset", "", CFGF_NONE),
	CFG_STR("sub-page-size", "", CFGF_NONE),
	CFG_END()
};

/* Image-level keys shared by every type. */
static const cfg_opt_t image_common_opts[] = {
	CFG_STR("name", NULL, CFGF_NONE),
	CFG_STR("size", NULL, CFGF_NONE),
	CFG_STR("mountpoint", NULL, CFGF_NONE),
	CFG_STR("srcpath", NULL, CFGF_NONE),
	CFG_BOOL("empty", cfg_false, CFGF_NONE),
	CFG_BOOL("temporary", cfg_false, CFGF_NONE),
	CFG_STR("exec-pre", NULL, CFGF_NONE),
	CFG_STR("exec-post", NULL, CFGF_NONE),
	CFG_STR("flashtype", NULL, CFGF_NONE),
	CFG_STR_LIST("tree", NULL, CFGF_NONE), /* kiln */
	CFG_SEC("partition", partition_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
};

struct schema {
	cfg_opt_t *image_opts;
	cfg_opt_t *top_opts;
};

static int include_func(cfg_t *cfg, cfg_opt_t *opt, int argc, const char **argv);

int schema_build(struct schema_set *ret)
{
	size_t nh = 0, nc = sizeof(image_common_opts) / sizeof(image_common_opts[0]);
	cfg_opt_t *img, *top;
	size_t i = 0, k;

	while (image_handlers[nh])
		nh++;
	img = calloc(nc + nh + 1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	memcpy(img, image_common_opts, sizeof(image_common_opts));
	for (k = 0; k < nh; k++) {
		/* MULTI, so cfg_size() says whether the section was given at all. */
		cfg_opt_t sec = CFG_SEC(image_handlers[k]->type, image_handlers[k]->opts, CFGF_MULTI);
		img[nc + k] = sec;
	}
	img[nc + nh] = (cfg_opt_t)CFG_END();

	size_t next = 0;
	while (schema_extra_top_opts[next].name)
		next++;
	top = calloc(6 + next, sizeof(*top));
	if (!top) {
		free(img);
		return -ENOMEM;
	}
	top[i++] = (cfg_opt_t)CFG_SEC("image", img, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES);
	top[i++] = (cfg_opt_t)CFG_SEC("flash", flash_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES);
	top[i++] = (cfg_opt_t)CFG_SEC("config", config_opts, CFGF_NONE);
	top[i++] = (cfg_opt_t)CFG_FUNC("include", include_func);
	top[i++] = (cfg_opt_t)CFG_STR("seed", NULL, CFGF_NONE);
	for (k = 0; k < next; k++)
		top[i++] = schema_extra_top_opts[k];
	top[i] = (cfg_opt_t)CFG_END();
	ret->image_opts = img;
	ret->top_opts = top;
	return 0;
}

void schema_release(struct schema_set *s)
{
	free(s->image_opts);
	free(s->top_opts);
	s->image_opts = s->top_opts = NULL;
}

/* ---- parse-time error capture ---- */

static struct diag *cur_diag; /* libconfuse's callbacks carry no user pointer */
static const char *cur_includepath;

static void errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (cfg && cfg->filename)
		diag_fail(cur_diag, -EINVAL, "%s:%d: %s", cfg->filename, cfg->line, buf);
	else
		diag_fail(cur_diag, -EINVAL, "%s", buf);
}

/* include("file"): relative to the includepath (genimage), else as given. */
static int include_func(cfg_t *cfg, cfg_opt_t *opt, int argc, const char **argv)
{
	char path[4096];

	if (argc != 1) {
		cfg_error(cfg, "include: expects one file name");
		return 1;
	}
	if (cur_includepath && argv[0][0] != '/') {
		const char *p = cur_includepath;
		while (*p) {
			const char *e = strchr(p, ':');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			snprintf(path, sizeof(path), "%.*s/%s", (int)l, p, argv[0]);
			if (!access(path, R_OK)) {
				const char *a[1] = { path };
				return cfg_include(cfg, opt, 1, a);
			}
			p += l;
			if (*p)
				p++;
		}
	}
	if (access(argv[0], R_OK)) {
		cfg_error(cfg, "include(\"%s\"): file not found%s%s", argv[0],
			  cur_includepath ? " in includepath " : "",
			  cur_includepath ? cur_includepath : "");
		return 1;
	}
	return cfg_include(cfg, opt, argc, argv);
}

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

static char *join_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s/%s", dir, name);
	return s;
}

static int parse_image(struct build *b, cfg_t *is, struct diag *d)
{
	struct image *img = calloc(1, sizeof(*img));
	const struct image_handler *h = NULL;
	cfg_t *hsec = NULL;
	unsigned sflags = b->genimage_mode ? SIZE_ALLOW_SLOPPY_B : 0;
	int r;

	if (!img)
		return diag_fail(d, -ENOMEM, "out of memory");
	b->images[b->nimages++] = img;
	img->name = strdup(cfg_title(is));
	img->cfgfile = is->filename;
	img->line = (unsigned)is->line;
	if (!img->name)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned k = 0; image_handlers[k]; k++) {
		unsigned cnt = cfg_size(is, image_handlers[k]->type);
		if (!cnt)
			continue;
		if (h || cnt > 1)
			return diag_fail(d, -EINVAL, "%s:%d: image '%s': both '%s' and '%s' given; an image has exactly one type",
					 is->filename, is->line, img->name,
					 h ? h->type : image_handlers[k]->type, image_handlers[k]->type);
		h = image_handlers[k];
		hsec = cfg_getsec(is, h->type);
	}
	if (!h)
		return diag_fail(d, -EINVAL, "%s:%d: image '%s': no image type section (e.g. hdimage { }, vfat { }, file { })",
				 is->filename, is->line, img->name);
	img->handler = h;
	if ((r = cfg_get_size(is, "size", sflags | SIZE_ALLOW_PERCENT, &img->size_spec,
			      &img->size_set, d)))
		return r;
	if (img->size_set && img->size_spec.percent_set)
		return cfg_fail(is, "size", cfg_getstr(is, "size"), -EINVAL, d,
				"an image size cannot be a percentage");
	if (img->size_set)
		img->size = img->size_spec.bytes;
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
		return diag_fail(d, -E2BIG, "%s:%d: image '%s': more than %d partitions",
				 is->filename, is->line, img->name, MAX_PARTITIONS);
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
	r = h->parse ? h->parse(b, img, hsec, d) : 0;
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

	r = schema_build(sch);
	if (r)
		return diag_fail(d, r, "out of memory");
	cfg = cfg_init(sch->top_opts, CFGF_NONE);
	if (!cfg)
		return diag_fail(d, -ENOMEM, "out of memory");
	b->cfg = cfg;
	cur_diag = d;
	cur_includepath = cmdline->includepath ? cmdline->includepath : env->includepath;
	cfg_set_error_function(cfg, errfunc);
	r = cfg_parse(cfg, path);
	cur_diag = NULL;
	if (r == CFG_FILE_ERROR)
		return diag_fail(d, -ENOENT, "%s: cannot read config: %s", path, strerror(errno));
	if (r != CFG_SUCCESS)
		return diag_fail(d, -EINVAL, "%s: config parse error", path);

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

	if (!b->seed_set && cfg_getstr(cfg, "seed")) {
		b->seed_str = strdup(cfg_getstr(cfg, "seed"));
		if (!b->seed_str)
			return diag_fail(d, -ENOMEM, "out of memory");
		seed_from_string(&b->seed, b->seed_str);
		b->seed_set = true;
	}

	r = schema_load_extra(b, cfg, d);
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
		r = parse_image(b, cfg_getnsec(cfg, "image", i), d);
		if (r)
			return r;
	}
	return 0;
}
