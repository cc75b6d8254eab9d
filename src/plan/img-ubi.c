/* SPDX-License-Identifier: MIT */
/*
 * `ubi`: genimage's type, written natively (fs/ubi) as ubinize makes it.
 * genimage writes an ubinize.ini with one volume per `partition` (id =
 * its index, size = `size` or its image's, static when `read-only`,
 * autoresize) and runs `ubinize -s SUBPAGE -O VIDOFFS -p PEB -m MINIO`
 * with the `flashtype`'s values and `extraargs`. ubinize takes a random
 * image_seq unless -Q; kiln derives it from the seed, so the same config
 * gives the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/ids.h"
#include "base/endian.h"
#include "base/size.h"
#include "config/cfgutil.h"
#include "fs/ubi/ubi.h"
#include "plan/build.h"
#include "plan/image-key.h"
#include "plan/image.h"
#include "plan/tooltype.h"

struct ubi_priv {
	uint32_t image_seq;
	uint64_t ec;
	bool image_seq_set;
	struct ubi_geom g;
	struct ubi_volume *vols;
	unsigned nvols;
};

static cfg_opt_t ubi_opts[] = {
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_END()
};

/* One ubinize option of extraargs: -Q/--image-seq, -e/--erase-counter,
 * -x/--ubi-ver (1 only), -v/--verbose. @v is its value. */
static int ubi_arg(struct ubi_priv *p, cfg_t *sec, const char *args, char opt, const char *v,
		   struct diag *d)
{
	uint64_t n;

	switch (opt) {
	case 'Q':
		if (num_parse(v, UINT32_MAX, &n))
			return cfg_fail(sec, "extraargs", args, -EINVAL, d,
					"-Q %s: not a 32-bit image sequence number", v);
		p->image_seq = (uint32_t)n;
		p->image_seq_set = true;
		return 0;
	case 'e':
		if (num_parse(v, INT64_MAX, &n))
			return cfg_fail(sec, "extraargs", args, -EINVAL, d,
					"-e %s: not an erase counter", v);
		p->ec = n;
		return 0;
	case 'x':
		if (strcmp(v, "1"))
			return cfg_fail(sec, "extraargs", args, -EINVAL, d,
					"-x %s: kiln writes UBI version 1", v);
		return 0;
	}
	return cfg_fail(sec, "extraargs", args, -EINVAL, d,
			"-%c: not an ubinize option kiln takes here (-Q, -e, -x, -v; the geometry comes from the flashtype)",
			opt);
}

static const struct {
	const char *name;
	char opt;
} ubi_long[] = {
	{ "--image-seq", 'Q' }, { "--erase-counter", 'e' }, { "--ubi-ver", 'x' },
};

/* The ubinize option @a names (-Q, --image-seq, --image-seq=N ...): its
 * letter, and in *@ret_v a value written in the same word. 0: none. */
static char ubi_opt(const char *a, const char **ret_v)
{
	*ret_v = NULL;
	for (unsigned i = 0; i < sizeof(ubi_long) / sizeof(ubi_long[0]); i++) {
		size_t l = strlen(ubi_long[i].name);

		if (!strncmp(a, ubi_long[i].name, l) && (!a[l] || a[l] == '=')) {
			*ret_v = a[l] ? a + l + 1 : NULL;
			return ubi_long[i].opt;
		}
	}
	if (a[0] != '-' || !a[1] || a[1] == '-')
		return 0;
	*ret_v = a[2] ? a + 2 : NULL;
	return a[1];
}

static int ubi_extraargs(struct ubi_priv *p, cfg_t *sec, const char *args, struct diag *d)
{
	char **argv;
	unsigned n;
	int r = tool_split_cfg(sec, "extraargs", &argv, &n, d);

	for (unsigned i = 0; i < n && !r; i++) {
		const char *v;
		char opt = ubi_opt(argv[i], &v);

		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			continue;
		if (!opt)
			r = cfg_fail(sec, "extraargs", args, -EINVAL, d,
				     "\"%s\": not an ubinize option kiln takes", argv[i]);
		else if (strchr("Qex", opt) && !v && !(v = i + 1 < n ? argv[++i] : NULL))
			r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-%c needs a value", opt);
		else
			r = ubi_arg(p, sec, args, opt, v, d);
	}
	tool_argv_free(argv, n);
	return r;
}

static int ubi_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct ubi_priv *p = calloc(1, sizeof(*p));

	(void)b;
	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	return ubi_extraargs(p, sec, cfg_getstr(sec, "extraargs"), d);
}

/* "FILE:LINE: partition 'NAME': " before the message in @d. */
static int part_fail(const struct image *img, const struct partition *pt, struct diag *d)
{
	diag_prefix(d, "%s:%u: partition '%s'", pt->file ? pt->file : img->cfgfile, pt->line,
		    pt->name);
	return d ? d->err : -EINVAL;
}

/* Volume @i from partition @pt, as genimage writes its ini section. */
static int ubi_volume_from(const struct image *img, const struct partition *pt, unsigned i,
			   struct ubi_volume *v, struct diag *d)
{
	const struct image *c = pt->child;

	v->name = pt->name;
	v->id = i;
	v->type = pt->read_only ? UBI_VOL_STATIC : UBI_VOL_DYNAMIC;
	v->flags = pt->autoresize ? UBI_VOL_FLAG_AUTORESIZE : 0;
	if (pt->size_set && pt->size_spec.percent_set) {
		diag_fail(d, -EINVAL, "size = %u%%: a volume's size is bytes",
			  (unsigned)pt->size_spec.percent);
		return part_fail(img, pt, d);
	}
	if (c) {
		v->path = c->outfile;
		v->data_len = c->file_size ? c->file_size : c->size;
	}
	v->bytes = pt->size_set ? pt->size : v->data_len;
	if (!c && !pt->size_set) {
		diag_fail(d, -EINVAL, "neither `image` nor `size` given");
		return part_fail(img, pt, d);
	}
	return 0;
}

static int ubi_setup(struct build *b, struct image *img, struct diag *d)
{
	struct ubi_priv *p = img->priv;
	struct tool_flash f;
	uint64_t bytes;
	uint8_t seq[4];
	unsigned bad;
	int r;

	if ((r = tool_flash(b, img, &f, d)))
		return r;
	r = ubi_geom_init(&p->g, (uint32_t)f.pebsize, (uint32_t)f.min_io, (uint32_t)f.subpage,
			  (uint32_t)f.vid_hdr_offs, d);
	if (r) {
		diag_prefix(d, "flash '%s'", img->flashtype);
		return r;
	}
	if (!p->image_seq_set) {
		id_derive(&img->seed, "ubi-image-seq", 0, seq, sizeof(seq));
		p->image_seq = get_be32(seq);
	}
	p->g.image_seq = p->image_seq;
	p->g.ec = p->ec;
	if (!img->nparts)
		return diag_fail(d, -EINVAL, "no volumes (partition sections) given");
	free(p->vols);
	p->nvols = 0;
	p->vols = calloc(img->nparts, sizeof(*p->vols));
	if (!p->vols)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < img->nparts; i++)
		if ((r = ubi_volume_from(img, &img->parts[i], i, &p->vols[i], d)))
			return r;
	p->nvols = img->nparts;
	if ((r = ubi_volumes_check(&p->g, p->vols, p->nvols, &bad, d)))
		return part_fail(img, &img->parts[bad], d);
	bytes = ubi_image_bytes(&p->g, p->vols, p->nvols);
	if (img->size_set && img->size < bytes)
		return diag_fail(d, -ENOSPC, "the UBI image needs %llu bytes, size is %llu",
				 (unsigned long long)bytes, (unsigned long long)img->size);
	/* As genimage: the file is what ubinize writes, even under a size. */
	if (img->size_set)
		img->file_size = bytes < img->size ? bytes : 0;
	else
		img->size = bytes;
	return 0;
}

static int ubi_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct ubi_priv *p = img->priv;

	(void)b;
	return ubi_write(&p->g, p->vols, p->nvols, out, d);
}

static void ubi_describe(const struct image *img, void (*line)(void *, const char *), void *ud)
{
	const struct ubi_priv *p = img->priv;
	char s[256];

	if (!p || !p->vols)
		return;
	snprintf(s, sizeof(s), "ubi: PEB %u, LEB %u, min. I/O %u, VID header at %u, image_seq %u",
		 p->g.peb_size, p->g.leb_size, p->g.min_io, p->g.vid_hdr_offs, p->g.image_seq);
	line(ud, s);
	for (unsigned i = 0; i < p->nvols; i++) {
		const struct ubi_volume *v = &p->vols[i];

		snprintf(s, sizeof(s), "  volume %u '%s': %s, %llu bytes%s, %llu PEBs of data",
			 v->id, v->name, v->type == UBI_VOL_STATIC ? "static" : "dynamic",
			 (unsigned long long)v->bytes,
			 v->flags & UBI_VOL_FLAG_AUTORESIZE ? ", autoresize" : "",
			 (unsigned long long)ubi_volume_pebs(&p->g, v));
		line(ud, s);
	}
}

/* The flash section decides the bytes but is not the image's section. */
static int ubi_key(struct build *b, struct image *img, struct image_key *k, struct diag *d)
{
	const struct ubi_priv *p = img->priv;
	uint64_t g[6] = { p->g.peb_size, p->g.min_io, p->g.vid_hdr_offs, p->g.data_offs,
			  p->g.image_seq, p->g.ec };

	(void)b;
	(void)d;
	return image_key_add(k, "ubi geometry", g, sizeof(g));
}

static void ubi_release(struct image *img)
{
	struct ubi_priv *p = img->priv;

	if (!p)
		return;
	free(p->vols);
	free(p);
	img->priv = NULL;
}

const struct image_handler ubi_handler = {
	.type = "ubi",
	.opts = ubi_opts,
	.parse = ubi_parse,
	.setup = ubi_setup,
	.generate = ubi_generate,
	.describe = ubi_describe,
	.release = ubi_release,
	.key = ubi_key,
};
