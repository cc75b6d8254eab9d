/* SPDX-License-Identifier: MIT */
/*
 * `android-sparse`: genimage's type, an image converted to Android's
 * sparse format (flash/sparse.h) for fastboot. Its size depends on the
 * input's bytes and holes, which exist only once the input is written:
 * setup plans an upper bound, presize converts the written input into a
 * scratch file (fixing the size) and generate copies that out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/size.h"
#include "config/cfgutil.h"
#include "flash/sparse.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/scratch.h"

struct sparse_priv {
	char *input;
	struct sparse_opts o;
	struct scratch scratch;
	struct sparse_stats st;
	bool written;
};

static cfg_opt_t sparse_cfg_opts[] = {
	CFG_STR("image", NULL, CFGF_NONE),
	CFG_STR("block-size", "4k", CFGF_NONE),
	CFG_BOOL("fill-holes", cfg_false, CFGF_NONE),
	CFG_BOOL("add-crc", cfg_false, CFGF_NONE),
	CFG_END()
};

static int sparse_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct sparse_priv *p = calloc(1, sizeof(*p));
	const char *in = cfg_getstr(sec, "image"), *bs = cfg_getstr(sec, "block-size");
	struct size_spec sp;

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	p->scratch.fd = -1;
	if (!in || !*in)
		return cfg_fail(sec, "image", NULL, -EINVAL, d,
				"missing: the image to convert");
	if (size_parse(bs, 0, &sp, NULL) || !sp.bytes || sp.bytes % 512 ||
	    sp.bytes > SPARSE_MAX_BLOCK_SIZE)
		return cfg_fail(sec, "block-size", bs, -EINVAL, d,
				"must be a multiple of 512 up to 64M");
	p->o.block_size = (uint32_t)sp.bytes;
	p->o.fill_holes = cfg_getbool(sec, "fill-holes");
	p->o.add_crc = cfg_getbool(sec, "add-crc");
	p->input = strdup(in);
	if (!p->input || image_depend(img, in))
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

static int sparse_presize(struct build *b, struct image *img, struct diag *d);

static int sparse_setup(struct build *b, struct image *img, struct diag *d)
{
	struct sparse_priv *p = img->priv;
	struct image *in = image_dep(img, p->input);
	uint64_t bs = p->o.block_size, blocks, bound;

	if (!in)
		return diag_fail(d, -ENOENT, "input image '%s' unknown", p->input);
	/* Planned from the input's planned size; presize uses the file's. */
	blocks = in->size / bs + (in->size % bs != 0);
	if (blocks > UINT32_MAX)
		return diag_fail(d, -EFBIG, "input '%s' (%llu bytes) has more than 2^32-1 blocks of %u",
				 p->input, (unsigned long long)in->size, p->o.block_size);
	/* At worst every block opens a RAW chunk. */
	bound = SPARSE_HEADER_SIZE + blocks * (SPARSE_CHUNK_HEADER_SIZE + bs) +
		SPARSE_CHUNK_HEADER_SIZE + 4;
	if (img->size_set && img->size < bound)
		diag_note(d, "image '%s': size %llu may be too small (checked once '%s' is written)",
			  img->name, (unsigned long long)img->size, p->input);
	if (!img->size_set)
		img->size = bound;
	/* An input file is there already: convert it now, for an exact plan. */
	return in->input_only ? sparse_presize(b, img, d) : 0;
}

static int sparse_presize(struct build *b, struct image *img, struct diag *d)
{
	struct sparse_priv *p = img->priv;
	struct image *in = image_dep(img, p->input);
	const char *path = in->outfile;
	struct stat st;
	int fd, r;

	if (p->written)
		return 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st)) {
		r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	scratch_close(&p->scratch);
	r = scratch_open(&p->scratch, b->paths.tmppath, d);
	if (!r)
		r = sparse_write(fd, (uint64_t)st.st_size, path, &p->o, p->scratch.sink, &p->st, d);
	if (r)
		goto out;
	if (img->size_set && img->size < p->st.bytes) {
		r = diag_fail(d, -ENOSPC, "sparse image needs %llu bytes, size is %llu",
			      (unsigned long long)p->st.bytes, (unsigned long long)img->size);
		goto out;
	}
	/* As genimage: the image is what the conversion wrote. */
	img->size = p->st.bytes;
	p->written = true;
out:
	if (fd >= 0)
		close(fd);
	if (r)
		image_diag_prefix(img, d);
	return r;
}

static int sparse_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct sparse_priv *p = img->priv;

	if (!p->written)
		return diag_fail(d, -EINVAL, "internal: sparse image generated before presize");
	return scratch_copy(&p->scratch, out, p->st.bytes, d);
}

static void sparse_describe(const struct image *img, void (*line)(void *, const char *), void *ud)
{
	const struct sparse_priv *p = img->priv;
	char s[256];

	snprintf(s, sizeof(s), "android-sparse of '%s', block %u%s%s: at most %llu bytes (exact once '%s' is written)",
		 p->input, p->o.block_size, p->o.fill_holes ? ", fill-holes" : "",
		 p->o.add_crc ? ", crc32" : "", (unsigned long long)img->size, p->input);
	if (p->written)
		snprintf(s, sizeof(s), "android-sparse of '%s', block %u: %u chunks, %u blocks, %llu bytes",
			 p->input, p->o.block_size, p->st.chunks, p->st.blocks,
			 (unsigned long long)p->st.bytes);
	line(ud, s);
}

static void sparse_release(struct image *img)
{
	struct sparse_priv *p = img->priv;

	if (!p)
		return;
	scratch_close(&p->scratch);
	free(p->input);
	free(p);
	img->priv = NULL;
}

const struct image_handler android_sparse_handler = {
	.type = "android-sparse",
	.opts = sparse_cfg_opts,
	.parse = sparse_parse,
	.setup = sparse_setup,
	.presize = sparse_presize,
	.generate = sparse_generate,
	.describe = sparse_describe,
	.release = sparse_release,
};
