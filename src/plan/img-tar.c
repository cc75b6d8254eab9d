/* SPDX-License-Identifier: MIT */
/*
 * `tar`: genimage's type, the image's content tree as a tar archive
 * (fs/tar.h). genimage runs `tar c{z,j,a} -f NAME -C DIR .`, so the
 * compression follows the image's name: ".tar.gz"/"tgz" gzip,
 * ".tar.bz2" bzip2, and what GNU tar's -a picks from the suffix. Built
 * once in setup into a scratch file (a compressed size is known only
 * by compressing) and copied out by generate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "fs/tar.h"
#include "fs/tree.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/scratch.h"

struct tar_priv {
	struct scratch_tree st; /* first: scratch_tree_generate() finds it */
	enum tar_comp comp;
};

static cfg_opt_t tar_opts[] = {
	CFG_END()
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* genimage's test first (a substring anywhere), then GNU tar -a's suffixes. */
static int comp_from_name(const char *name, enum tar_comp *ret, const char **ret_unsupported)
{
	static const struct {
		const char *suffix;
		enum tar_comp comp;
	} auto_comp[] = {
		{ ".tar.gz", TAR_COMP_GZIP }, { ".tgz", TAR_COMP_GZIP }, { ".taz", TAR_COMP_GZIP },
		{ ".tar.bz2", TAR_COMP_BZIP2 }, { ".tbz", TAR_COMP_BZIP2 }, { ".tbz2", TAR_COMP_BZIP2 },
		{ ".tz2", TAR_COMP_BZIP2 }, { ".tar.xz", TAR_COMP_XZ }, { ".txz", TAR_COMP_XZ },
		{ ".tar.lzma", TAR_COMP_LZMA }, { ".tlz", TAR_COMP_LZMA },
		{ ".tar.zst", TAR_COMP_ZSTD }, { ".tzst", TAR_COMP_ZSTD },
	};
	static const char *const unsupported[] = { ".tar.lz", ".tar.lzo", ".tzo", ".tar.Z",
						   ".taZ", ".tar.lz4", NULL };

	*ret = TAR_COMP_NONE;
	if (strstr(name, ".tar.gz") || strstr(name, "tgz")) {
		*ret = TAR_COMP_GZIP;
		return 0;
	}
	if (strstr(name, ".tar.bz2")) {
		*ret = TAR_COMP_BZIP2;
		return 0;
	}
	for (size_t i = 0; i < sizeof(auto_comp) / sizeof(auto_comp[0]); i++)
		if (ends_with(name, auto_comp[i].suffix)) {
			*ret = auto_comp[i].comp;
			return 0;
		}
	for (unsigned i = 0; unsupported[i]; i++)
		if (ends_with(name, unsupported[i])) {
			*ret_unsupported = unsupported[i];
			return -EOPNOTSUPP;
		}
	return 0;
}

static int tar_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct tar_priv *p = calloc(1, sizeof(*p));
	const char *bad = NULL;

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	scratch_tree_init(&p->st);
	if (comp_from_name(img->name, &p->comp, &bad))
		return diag_fail(d, -EOPNOTSUPP,
				 "%s:%d: \"%s\" compression (from the image name) is not one kiln writes (gzip, bzip2, xz, lzma, zstd or none)",
				 sec->filename ? sec->filename : "?", sec->line, bad);
	return 0;
}

static int tar_setup(struct build *b, struct image *img, struct diag *d)
{
	struct tar_priv *p = img->priv;
	int r;

	if ((r = scratch_tree_begin(b, img, &p->st, d)) ||
	    (r = tar_write(p->st.tree, p->comp, p->st.scratch.sink, &p->st.bytes, d)))
		return r;
	return scratch_tree_end(img, &p->st, "tar archive", d);
}

static void tar_describe(const struct image *img, void (*line)(void *, const char *), void *ud)
{
	const struct tar_priv *p = img->priv;
	char s[160];

	snprintf(s, sizeof(s), "tar (pax/ustar)%s%s: %llu entries, %llu bytes",
		 p->comp ? " + " : "", p->comp ? tar_comp_name(p->comp) : "",
		 p->st.tree ? (unsigned long long)p->st.tree->nnodes : 0ULL,
		 (unsigned long long)p->st.bytes);
	line(ud, s);
}

static void tar_release(struct image *img)
{
	struct tar_priv *p = img->priv;

	if (!p)
		return;
	scratch_tree_release(&p->st);
	free(p);
	img->priv = NULL;
}

const struct image_handler tar_handler = {
	.type = "tar",
	.opts = tar_opts,
	.parse = tar_parse,
	.setup = tar_setup,
	.generate = scratch_tree_generate,
	.describe = tar_describe,
	.release = tar_release,
	.content = image_content_tree,
};
