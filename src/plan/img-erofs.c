/* SPDX-License-Identifier: MIT */
/*
 * `erofs`: genimage's type, written natively (fs/erofs), uncompressed or
 * lz4/lz4hc-compressed.
 * genimage runs mkfs.erofs with `label` (-L), `fs-timestamp` (-T) and
 * `extraargs`; kiln honours the mkfs.erofs options that shape an
 * uncompressed image and rejects the rest by name.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/ids.h"
#include "base/size.h"
#include "config/cfgutil.h"
#include "fs/erofs/erofs.h"
#include "fs/tree.h"
#include "plan/build.h"
#include "plan/image.h"

#define EROFS_MAX_ARGS 512

struct erofs_priv {
	struct erofs_opts o;
	bool uuid_set;
	struct tree *tree;
	struct erofs_plan *plan;
};

static cfg_opt_t erofs_opts[] = {
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_STR("label", NULL, CFGF_NONE),
	CFG_STR("fs-timestamp", NULL, CFGF_NONE),
	/* kiln extension */
	CFG_STR("uuid", NULL, CFGF_NONE),
	CFG_END()
};

static int set_label(struct erofs_priv *p, cfg_t *sec, const char *key, const char *v,
		     struct diag *d)
{
	/* genimage refuses more than 15 bytes; the field holds 16. */
	if (strlen(v) > 15)
		return cfg_fail(sec, key, v, -EINVAL, d, "label longer than 15 bytes");
	snprintf(p->o.label, sizeof(p->o.label), "%s", v);
	return 0;
}

static int set_ext_opts(struct erofs_priv *p, cfg_t *sec, const char *args, const char *list,
			struct diag *d)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(list) >= sizeof(buf))
		return cfg_fail(sec, "extraargs", args, -EINVAL, d, "-E list too long");
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "noinline_data"))
			p->o.no_inline = true;
		else if (!strcmp(tok, "force-inode-compact"))
			p->o.inodes = EROFS_INODE_COMPACT;
		else if (!strcmp(tok, "force-inode-extended"))
			p->o.inodes = EROFS_INODE_EXTENDED;
		else if (!strcmp(tok, "nosbcrc"))
			p->o.no_sbcrc = true;
		else if (!strcmp(tok, "legacy-compress"))
			; /* what kiln writes anyway */
		else
			return cfg_fail(sec, "extraargs", args, -EINVAL, d,
					"-E %s: kiln knows noinline_data, force-inode-compact, force-inode-extended, nosbcrc, legacy-compress",
					tok);
	}
	return 0;
}

/* -z lz4 | lz4hc[,LEVEL] (mkfs.erofs' syntax). */
static int set_compressor(struct erofs_priv *p, cfg_t *sec, const char *args, const char *v,
			  struct diag *d)
{
	uint64_t n;

	if (!strcmp(v, "lz4")) {
		p->o.compress = EROFS_COMPRESS_LZ4;
		return 0;
	}
	if (!strncmp(v, "lz4hc", 5) && (!v[5] || v[5] == ',')) {
		p->o.compress = EROFS_COMPRESS_LZ4HC;
		p->o.level = 9; /* LZ4HC_CLEVEL_DEFAULT, as mkfs.erofs */
		if (!v[5])
			return 0;
		if (num_parse(v + 6, 12, &n) || !n)
			return cfg_fail(sec, "extraargs", args, -EINVAL, d,
					"-z %s: the lz4hc level is 1..12", v);
		p->o.level = (int)n;
		return 0;
	}
	return cfg_fail(sec, "extraargs", args, -EOPNOTSUPP, d,
			"-z %s: kiln compresses with lz4 or lz4hc[,LEVEL]", v);
}

/* One option (@a, with its value @v when it takes one). */
static int erofs_arg(struct erofs_priv *p, cfg_t *sec, const char *args, char opt, const char *v,
		     struct diag *d)
{
	uint64_t n;
	struct uuid u;

	switch (opt) {
	case 'T':
		if (num_parse(v, INT64_MAX, &n))
			return cfg_fail(sec, "extraargs", args, -EINVAL, d,
					"-T %s: not a UNIX timestamp", v);
		p->o.build_time = (int64_t)n;
		p->o.fixed_time = true;
		return 0;
	case 'U':
		if (uuid_parse(v, &u))
			return cfg_fail(sec, "extraargs", args, -EINVAL, d, "-U %s: not a UUID", v);
		memcpy(p->o.uuid, u.b, 16);
		p->uuid_set = true;
		return 0;
	case 'L':
		return set_label(p, sec, "extraargs", v, d);
	case 'E':
		return set_ext_opts(p, sec, args, v, d);
	case 'x':
		if (v[0] == '-' && v[1])
			p->o.no_xattrs = true;
		else if (num_parse(v, 100, &n))
			return cfg_fail(sec, "extraargs", args, -EINVAL, d, "-x %s: not a number", v);
		return 0;
	case 'd':
		return 0;
	case 'z':
		return set_compressor(p, sec, args, v, d);
	case 'b':
		/* Later mkfs.erofs (genimage's erofs.new.config passes -b 4096). */
		if (strcmp(v, "4096"))
			return cfg_fail(sec, "extraargs", args, -EOPNOTSUPP, d,
					"-b %s: kiln writes 4096-byte blocks only", v);
		return 0;
	case 'C':
		if (strcmp(v, "4096"))
			return cfg_fail(sec, "extraargs", args, -EOPNOTSUPP, d,
					"-C %s: kiln writes 4096-byte physical clusters only", v);
		return 0;
	}
	return cfg_fail(sec, "extraargs", args, -EINVAL, d, "-%c: not an option kiln understands",
			opt);
}

static int erofs_long_arg(struct erofs_priv *p, cfg_t *sec, const char *args, const char *a,
			  struct diag *d)
{
	uint64_t n;

	if (!strcmp(a, "--all-root"))
		p->o.all_root = true;
	else if (!strcmp(a, "--ignore-mtime"))
		p->o.fixed_time = true;
	else if (!strcmp(a, "--preserve-mtime") || !strcmp(a, "--quiet"))
		;
	else if (!strncmp(a, "--force-uid=", 12) && !num_parse(a + 12, UINT32_MAX, &n))
		p->o.force_uid = true, p->o.uid = (uint32_t)n;
	else if (!strncmp(a, "--force-gid=", 12) && !num_parse(a + 12, UINT32_MAX, &n))
		p->o.force_gid = true, p->o.gid = (uint32_t)n;
	else
		return cfg_fail(sec, "extraargs", args, -EINVAL, d,
				"\"%s\": not an option kiln understands (kiln writes the image itself)",
				a);
	return 0;
}

static int erofs_extraargs(struct erofs_priv *p, cfg_t *sec, const char *args, struct diag *d)
{
	char *buf = strdup(args), *save = NULL, *tok;
	int r = 0;

	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (tok = strtok_r(buf, " \t", &save); tok && !r; tok = strtok_r(NULL, " \t", &save)) {
		const char *v;

		if (tok[0] == '-' && tok[1] == '-') {
			r = erofs_long_arg(p, sec, args, tok, d);
			continue;
		}
		if (tok[0] != '-' || !tok[1] || !strchr("TULExdzCb", tok[1])) {
			r = cfg_fail(sec, "extraargs", args, -EINVAL, d,
				     "\"%s\": not an option kiln understands", tok);
			continue;
		}
		v = tok[2] ? tok + 2 : strtok_r(NULL, " \t", &save);
		if (!v) {
			r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-%c needs a value", tok[1]);
			continue;
		}
		r = erofs_arg(p, sec, args, tok[1], v, d);
	}
	free(buf);
	return r;
}

static int erofs_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct erofs_priv *p = calloc(1, sizeof(*p));
	const char *s;
	uint64_t n;
	struct uuid u;
	int r;

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	p->o.build_time = b->epoch;
	if ((s = cfg_getstr(sec, "label")) && *s && (r = set_label(p, sec, "label", s, d)))
		return r;
	if ((s = cfg_getstr(sec, "fs-timestamp"))) {
		/* genimage hands it to mkfs.erofs -T: seconds since 1970. */
		if (num_parse(s[0] == '@' ? s + 1 : s, INT64_MAX, &n))
			return cfg_fail(sec, "fs-timestamp", s, -EINVAL, d,
					"not a UNIX timestamp (seconds, as mkfs.erofs -T takes)");
		p->o.build_time = (int64_t)n;
		p->o.fixed_time = true;
	}
	if ((s = cfg_getstr(sec, "uuid"))) {
		if (uuid_parse(s, &u))
			return cfg_fail(sec, "uuid", s, -EINVAL, d, "not a UUID");
		memcpy(p->o.uuid, u.b, 16);
		p->uuid_set = true;
	}
	return erofs_extraargs(p, sec, cfg_getstr(sec, "extraargs"), d);
}

static int erofs_setup(struct build *b, struct image *img, struct diag *d)
{
	struct erofs_priv *p = img->priv;
	struct erofs_opts o = p->o;
	uint64_t bytes;
	int r;

	if (!p->uuid_set) {
		struct uuid u;

		uuid_derive(&img->seed, "erofs-uuid", 0, &u);
		memcpy(o.uuid, u.b, 16);
	}
	/*
	 * mkfs.erofs 1.5 reads SOURCE_DATE_EPOCH after its options: it becomes
	 * the build time and every mtime is clamped to it, whatever -T or
	 * --ignore-mtime said. genimage runs it with the caller's environment.
	 */
	if (b->genimage_mode && b->epoch_set) {
		o.build_time = b->epoch;
		o.fixed_time = false;
		/* ... and it then writes every inode extended. */
		o.inodes = EROFS_INODE_EXTENDED;
	}
	/* genimage mode: mkfs.erofs 1.5's own placement, byte for byte. */
	o.twin_mkfs15 = b->genimage_mode;
	r = image_content_tree(b, img, &p->tree, d);
	if (r)
		return r;
	r = erofs_plan_new(&p->plan, p->tree, &o, d);
	if (r)
		return r;
	bytes = erofs_plan_bytes(p->plan);
	if (!img->size_set) {
		img->size = bytes;
		return 0;
	}
	if (bytes > img->size)
		return diag_fail(d, -ENOSPC, "%s:%u: size = %llu: erofs needs %llu bytes",
				 img->size_file ? img->size_file : "?", img->size_line,
				 (unsigned long long)img->size, (unsigned long long)bytes);
	/*
	 * genimage never extends what mkfs.erofs wrote: `size` is only what a
	 * partition reserves for it. Native mode pads the file to `size`.
	 */
	if (b->genimage_mode && bytes < img->size)
		img->file_size = bytes;
	return 0;
}

static int erofs_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct erofs_priv *p = img->priv;

	(void)b;
	return erofs_write(p->plan, out, d);
}

static void erofs_describe(const struct image *img, void (*line)(void *ud, const char *text),
			   void *ud)
{
	const struct erofs_priv *p = img->priv;
	char buf[256];

	if (!p || !p->plan)
		return;
	erofs_plan_summary(p->plan, buf, sizeof(buf));
	line(ud, buf);
}

static void erofs_release(struct image *img)
{
	struct erofs_priv *p = img->priv;

	if (!p)
		return;
	erofs_plan_free(p->plan);
	tree_free(p->tree);
	free(p);
	img->priv = NULL;
}

const struct image_handler erofs_handler = {
	.type = "erofs",
	.opts = erofs_opts,
	.parse = erofs_parse,
	.setup = erofs_setup,
	.generate = erofs_generate,
	.describe = erofs_describe,
	.release = erofs_release,
	.content = image_content_tree,
};
