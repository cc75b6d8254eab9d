/* SPDX-License-Identifier: MIT */
/*
 * `cramfs`: genimage's type, written natively (fs/cramfs) from the
 * image's content tree. genimage runs `mkcramfs [-n NAME] EXTRAARGS DIR
 * OUT` with the image's `name`; kiln honours the mkfs.cramfs options
 * that shape the image and rejects the rest by name. The image is built
 * once in setup into a scratch file (its size is its compressed
 * content) and copied out by generate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/size.h"
#include "config/cfgutil.h"
#include "fs/cramfs/cramfs.h"
#include "fs/tree.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image-key.h"
#include "plan/image.h"
#include "plan/scratch.h"
#include "plan/tooltype.h"

struct cramfs_priv {
	struct scratch_tree st; /* first: scratch_tree_generate() finds it */
	struct cramfs_opts o;
};

static cfg_opt_t cramfs_opts[] = {
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_END()
};

/* @v is the name; @shown the value the message echoes (extraargs: all of it). */
static int set_name(struct cramfs_priv *p, cfg_t *sec, const char *key, const char *shown,
		    const char *v, struct diag *d)
{
	/* mkfs.cramfs copies at most 16 bytes, silently; kiln refuses more. */
	if (strlen(v) > 16 && shown == v)
		return cfg_fail(sec, key, v, -EINVAL, d, "cramfs names are at most 16 bytes");
	if (strlen(v) > 16)
		return cfg_fail(sec, key, shown, -EINVAL, d,
				"-n %s: cramfs names are at most 16 bytes", v);
	snprintf(p->o.name, sizeof(p->o.name), "%s", v);
	return 0;
}

/* One mkfs.cramfs option @opt with its value @v (NULL for flags). */
static int cramfs_arg(struct cramfs_priv *p, cfg_t *sec, const char *args, char opt,
		      const char *v, struct diag *d)
{
	uint64_t n;

	switch (opt) {
	case 'b':
		if (num_parse(v, 1u << 20, &n) || n < 512 || (n & (n - 1)))
			return cfg_fail(sec, "extraargs", args, -EINVAL, d,
					"-b %s: the block size is a power of two from 512 to 1048576", v);
		p->o.blksize = (uint32_t)n;
		return 0;
	case 'e':
		if (num_parse(v, UINT32_MAX, &n))
			return cfg_fail(sec, "extraargs", args, -EINVAL, d,
					"-e %s: not a 32-bit edition number", v);
		p->o.edition = (uint32_t)n;
		return 0;
	case 'n':
		return set_name(p, sec, "extraargs", args, v, d);
	case 'N':
		/* What every little-endian host writes; kiln's bytes never depend on the host. */
		if (strcmp(v, "little") && strcmp(v, "host"))
			return cfg_fail(sec, "extraargs", args, -EOPNOTSUPP, d,
					"-N %s: kiln writes little-endian cramfs only", v);
		return 0;
	case 'p':
		p->o.pad = true;
		return 0;
	case 'z':
		p->o.holes = true;
		return 0;
	case 's': /* ignored by mkfs.cramfs too */
	case 'v':
	case 'E': /* kiln's limits are errors anyway */
		return 0;
	}
	return cfg_fail(sec, "extraargs", args, -EINVAL, d,
			"-%c: not a mkfs.cramfs option kiln takes (-b, -e, -n, -N, -p, -z, -s, -v, -E)",
			opt);
}

static int cramfs_extraargs(struct cramfs_priv *p, cfg_t *sec, const char *args,
			    struct diag *d)
{
	char **argv;
	unsigned n;
	int r = tool_split_cfg(sec, "extraargs", &argv, &n, d);

	for (unsigned i = 0; i < n && !r; i++) {
		const char *a = argv[i], *v = NULL;
		bool valued = a[0] == '-' && a[1] && strchr("benN", a[1]);

		if (a[0] != '-' || !a[1] || a[1] == '-' || (a[2] && !valued))
			r = cfg_fail(sec, "extraargs", args, -EINVAL, d,
				     "\"%s\": not a mkfs.cramfs option kiln takes", a);
		else if (valued && !(v = a[2] ? a + 2 : i + 1 < n ? argv[++i] : NULL))
			r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-%c needs a value", a[1]);
		else
			r = cramfs_arg(p, sec, args, a[1], v, d);
	}
	tool_argv_free(argv, n);
	return r;
}

static int cramfs_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct cramfs_priv *p = calloc(1, sizeof(*p));
	int r;

	(void)b;
	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	scratch_tree_init(&p->st);
	p->o.blksize = 4096; /* mkfs.cramfs: the page size; kiln: never the host's */
	snprintf(p->o.name, sizeof(p->o.name), "Compressed");
	/* genimage passes the image's `name` as -n, before extraargs. */
	if (img->name_opt) {
		cfg_t *is = cfg_gettsec(b->cfg, "image", img->name);

		if ((r = set_name(p, is ? is : sec, "name", img->name_opt, img->name_opt, d)))
			return r;
	}
	return cramfs_extraargs(p, sec, cfg_getstr(sec, "extraargs"), d);
}

static int cramfs_setup(struct build *b, struct image *img, struct diag *d)
{
	struct cramfs_priv *p = img->priv;
	int r;

	if ((r = scratch_tree_begin(b, img, &p->st, d)) ||
	    (r = cramfs_write(p->st.tree, &p->o, p->st.scratch.sink, &p->st.bytes, d)))
		return r;
	return scratch_tree_end(img, &p->st, "cramfs", d);
}

static void cramfs_describe(const struct image *img, void (*line)(void *, const char *),
			    void *ud)
{
	const struct cramfs_priv *p = img->priv;
	char s[160];

	snprintf(s, sizeof(s), "cramfs '%s', block %u, edition %u: %llu entries, %llu bytes",
		 p->o.name, p->o.blksize, p->o.edition,
		 p->st.tree ? (unsigned long long)p->st.tree->nnodes : 0ULL,
		 (unsigned long long)p->st.bytes);
	line(ud, s);
}

static int cramfs_key(struct build *b, struct image *img, struct image_key *k, struct diag *d)
{
	return image_key_tree(b, k, ((struct cramfs_priv *)img->priv)->st.tree, d);
}

static void cramfs_release(struct image *img)
{
	struct cramfs_priv *p = img->priv;

	if (!p)
		return;
	scratch_tree_release(&p->st);
	free(p);
	img->priv = NULL;
}

const struct image_handler cramfs_handler = {
	.type = "cramfs",
	.opts = cramfs_opts,
	.parse = cramfs_parse,
	.setup = cramfs_setup,
	.generate = scratch_tree_generate,
	.describe = cramfs_describe,
	.release = cramfs_release,
	.content = image_content_tree,
	.key = cramfs_key,
};
