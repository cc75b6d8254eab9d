/* SPDX-License-Identifier: MIT */
/*
 * `squashfs`: genimage's type, written through libsquashfs (fs/squashfs)
 * from the image's content tree. genimage runs
 * `mksquashfs DIR OUT -b BLOCK-SIZE -noappend -comp COMPRESSION EXTRAARGS`;
 * kiln honours the mksquashfs options of extraargs that shape the image
 * and rejects the rest by name. The image is built once in setup into a
 * scratch file (its size is its compressed content) and copied out by
 * generate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/size.h"
#include "config/cfgutil.h"
#include "fs/squashfs/squashfs.h"
#include "fs/tree.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/scratch.h"

#define SQUASHFS_MAX_JOBS 8

struct squashfs_priv {
	struct scratch_tree st; /* first: scratch_tree_generate() finds it */
	struct squashfs_opts o;
};

static cfg_opt_t squashfs_opts[] = {
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_STR("compression", "gzip", CFGF_NONE),
	CFG_STR("block-size", "4096", CFGF_NONE),
	CFG_END()
};

static int parse_block_size(const char *v, uint32_t *ret)
{
	struct size_spec sp;

	if (size_parse(v, 0, &sp, NULL) || sp.bytes < 4096 || sp.bytes > 1024 * 1024 ||
	    (sp.bytes & (sp.bytes - 1)))
		return -EINVAL;
	*ret = (uint32_t)sp.bytes;
	return 0;
}

static int parse_u32(const char *v, uint32_t *ret)
{
	char *end;
	unsigned long long x;

	if (!v || !*v || *v == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)x;
	return 0;
}

/* mksquashfs options that change nothing in what kiln writes. */
static bool harmless_arg(const char *a)
{
	static const char *const ok[] = { "-noappend", "-quiet", "-no-progress", "-progress",
					  "-reproducible", "-no-recovery", "-info", "-xattrs",
					  NULL };
	for (unsigned i = 0; ok[i]; i++)
		if (!strcmp(a, ok[i]))
			return true;
	return false;
}

/* Options followed by a value that kiln reads or ignores. */
static bool takes_value(const char *a)
{
	static const char *const v[] = { "-comp", "-b", "-Xcompression-level", "-force-uid",
					 "-force-gid", "-all-time", "-mkfs-time", "-processors",
					 "-mem", NULL };
	for (unsigned i = 0; v[i]; i++)
		if (!strcmp(a, v[i]))
			return true;
	return false;
}

static int extraargs(struct squashfs_priv *p, cfg_t *sec, const char *extra, struct diag *d)
{
	char buf[1024], *save = NULL, *tok, *val;
	struct squashfs_opts *o = &p->o;

	if (strlen(extra) >= sizeof(buf))
		return cfg_fail(sec, "extraargs", extra, -EINVAL, d, "too long");
	snprintf(buf, sizeof(buf), "%s", extra);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (harmless_arg(tok))
			continue;
		val = NULL;
		if (takes_value(tok)) {
			val = strtok_r(NULL, " \t", &save);
			if (!val)
				return cfg_fail(sec, "extraargs", extra, -EINVAL, d,
						"%s needs a value", tok);
		}
		if (!strcmp(tok, "-comp")) {
			if (squashfs_comp_parse(val, &o->comp) || o->comp == SQUASHFS_COMP_NONE)
				goto bad_value;
		} else if (!strcmp(tok, "-b")) {
			if (parse_block_size(val, &o->block_size))
				goto bad_value;
		} else if (!strcmp(tok, "-Xcompression-level")) {
			if (parse_u32(val, &o->level) || !o->level)
				goto bad_value;
		} else if (!strcmp(tok, "-Xhc")) {
			o->lz4_hc = true;
		} else if (!strcmp(tok, "-no-xattrs")) {
			o->no_xattrs = true;
		} else if (!strcmp(tok, "-no-fragments")) {
			o->no_fragments = true;
		} else if (!strcmp(tok, "-no-duplicates")) {
			o->no_duplicates = true;
		} else if (!strcmp(tok, "-no-exports")) {
			o->exportable = false;
		} else if (!strcmp(tok, "-exports")) {
			o->exportable = true;
		} else if (!strcmp(tok, "-all-root") || !strcmp(tok, "-root-owned")) {
			o->force_uid_set = o->force_gid_set = true;
			o->force_uid = o->force_gid = 0;
		} else if (!strcmp(tok, "-force-uid")) {
			if (parse_u32(val, &o->force_uid))
				goto bad_value;
			o->force_uid_set = true;
		} else if (!strcmp(tok, "-force-gid")) {
			if (parse_u32(val, &o->force_gid))
				goto bad_value;
			o->force_gid_set = true;
		} else if (!strcmp(tok, "-all-time")) {
			if (parse_u32(val, &o->all_time))
				goto bad_value;
			o->all_time_set = true;
		} else if (!strcmp(tok, "-mkfs-time")) {
			if (parse_u32(val, &o->mkfs_time))
				goto bad_value;
		} else if (!strcmp(tok, "-processors") || !strcmp(tok, "-mem")) {
			/* resources, not content */
		} else {
			return cfg_fail(sec, "extraargs", extra, -EINVAL, d,
					"\"%s\" is a mksquashfs option kiln cannot honour (kiln writes the filesystem itself; see docs/config/squashfs.md)",
					tok);
		}
		continue;
bad_value:
		return cfg_fail(sec, "extraargs", extra, -EINVAL, d, "%s %s: invalid value", tok,
				val);
	}
	return 0;
}

static int squashfs_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct squashfs_priv *p = calloc(1, sizeof(*p));
	const char *comp = cfg_getstr(sec, "compression"), *bs = cfg_getstr(sec, "block-size");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int r;

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	scratch_tree_init(&p->st);
	p->o.exportable = true; /* as mksquashfs */
	p->o.mkfs_time = b->epoch < 0 ? 0 : b->epoch > UINT32_MAX ? UINT32_MAX : (uint32_t)b->epoch;
	/* Threads only speed up compression: the bytes do not depend on them. */
	p->o.jobs = cpus < 1 ? 1 : cpus > SQUASHFS_MAX_JOBS ? SQUASHFS_MAX_JOBS : (unsigned)cpus;
	if (squashfs_comp_parse(comp, &p->o.comp))
		return cfg_fail(sec, "compression", comp, -EINVAL, d,
				"unknown compression (gzip, xz, zstd, lz4, lzma, lzo or none)");
	if (parse_block_size(bs, &p->o.block_size))
		return cfg_fail(sec, "block-size", bs, -EINVAL, d,
				"must be a power of two from 4k to 1M");
	r = extraargs(p, sec, cfg_getstr(sec, "extraargs"), d);
	if (r)
		return r;
	r = squashfs_comp_check(&p->o, d);
	if (r)
		diag_prefix(d, "%s:%d: compression = \"%s\"", sec->filename ? sec->filename : "?",
			    sec->line, comp);
	return r;
}

static int squashfs_setup(struct build *b, struct image *img, struct diag *d)
{
	struct squashfs_priv *p = img->priv;
	int r;

	if ((r = scratch_tree_begin(b, img, &p->st, d)) ||
	    (r = squashfs_write(p->st.tree, &p->o, p->st.scratch.sink, &p->st.bytes, d)))
		return r;
	return scratch_tree_end(img, &p->st, "squashfs", d);
}

static void squashfs_describe(const struct image *img, void (*line)(void *, const char *),
			      void *ud)
{
	const struct squashfs_priv *p = img->priv;
	char s[160];

	snprintf(s, sizeof(s), "squashfs %s, block %u: %llu entries, %llu bytes",
		 squashfs_comp_name(p->o.comp), p->o.block_size,
		 p->st.tree ? (unsigned long long)p->st.tree->nnodes : 0ULL,
		 (unsigned long long)p->st.bytes);
	line(ud, s);
}

static void squashfs_release(struct image *img)
{
	struct squashfs_priv *p = img->priv;

	if (!p)
		return;
	scratch_tree_release(&p->st);
	free(p);
	img->priv = NULL;
}

const struct image_handler squashfs_handler = {
	.type = "squashfs",
	.opts = squashfs_opts,
	.parse = squashfs_parse,
	.setup = squashfs_setup,
	.generate = scratch_tree_generate,
	.describe = squashfs_describe,
	.release = squashfs_release,
	.content = image_content_tree,
};
