/* SPDX-License-Identifier: MIT */
/*
 * `file`: an input file used as an image (genimage's file type), explicit
 * (`image x { file { name = ... } }`) or implicit (a partition's `image`
 * that names no section). Without `copy`, it is read in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "config/cfgutil.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"

struct file_priv {
	char *infile;
	bool copy;
};

static cfg_opt_t file_opts[] = {
	CFG_STR("name", NULL, CFGF_NONE),
	CFG_BOOL("copy", cfg_true, CFGF_NONE),
	CFG_STR_LIST("holes", NULL, CFGF_NONE),
	CFG_END()
};

static char *input_path(struct build *b, const char *name)
{
	size_t n = strlen(b->paths.inputpath) + strlen(name) + 2;
	char *s;

	if (name[0] == '/')
		return strdup(name);
	s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s", b->paths.inputpath, name);
	return s;
}

static int file_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct file_priv *f = calloc(1, sizeof(*f));
	const char *name = cfg_getstr(sec, "name");

	if (!f)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = f;
	f->infile = input_path(b, name ? name : img->name);
	if (!f->infile)
		return diag_fail(d, -ENOMEM, "out of memory");
	f->copy = cfg_getbool(sec, "copy");
	if (!f->copy) {
		free(img->outfile);
		img->outfile = strdup(f->infile);
		if (!img->outfile)
			return diag_fail(d, -ENOMEM, "out of memory");
		img->input_only = true;
	}
	return cfg_get_holes(sec, "holes", &img->holes, &img->nholes, d);
}

static int file_setup(struct build *b, struct image *img, struct diag *d)
{
	struct file_priv *f = img->priv;
	const char *in = f ? f->infile : img->outfile;
	struct stat st;

	(void)b;
	if (stat(in, &st))
		return diag_fail(d, -errno, "input file %s: %s", in, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return diag_fail(d, -EINVAL, "input file %s: not a regular file", in);
	if (!img->size_set)
		img->size = (uint64_t)st.st_size;
	else if ((uint64_t)st.st_size > img->size)
		return diag_fail(d, -EFBIG, "input file %s: %llu bytes, larger than size %llu", in,
				 (unsigned long long)st.st_size, (unsigned long long)img->size);
	return 0;
}

static int file_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct file_priv *f = img->priv;
	struct stat st;
	int fd, r;

	(void)b;
	fd = open(f->infile, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(d, -errno, "input file %s: %s", f->infile, strerror(errno));
	if (fstat(fd, &st)) {
		r = diag_fail(d, -errno, "input file %s: %s", f->infile, strerror(errno));
		goto out;
	}
	r = sink_copy_fd(out, 0, fd, 0, (uint64_t)st.st_size, f->infile, d);
out:
	close(fd);
	return r;
}

static void file_release(struct image *img)
{
	struct file_priv *f = img->priv;

	if (f)
		free(f->infile);
	free(f);
	img->priv = NULL;
}

const struct image_handler file_handler = {
	.type = "file",
	.opts = file_opts,
	.parse = file_parse,
	.setup = file_setup,
	.generate = file_generate,
	.release = file_release,
};
