/* SPDX-License-Identifier: MIT */
/*
 * `file`: an input file used as an image (genimage's file type), explicit
 * (`image x { file { name = ... } }`) or implicit (a partition's `image`
 * that names no section). Without `copy`, it is read in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "config/cfgutil.h"
#include "fs/tree.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/image-key.h"

struct file_priv {
	char *infile;
	bool copy;
	/* kiln: the bytes of one file of a tree (`tree` + `path`), e.g. a
	 * kernel inside a .deb. Resolved in setup. */
	char *path_glob;
	char *src_path;
	uint64_t src_off;
	uint64_t copy_len;
};

static cfg_opt_t file_opts[] = {
	CFG_STR("name", NULL, CFGF_NONE),
	CFG_BOOL("copy", cfg_true, CFGF_NONE),
	CFG_STR_LIST("holes", NULL, CFGF_NONE),
	CFG_STR("path", NULL, CFGF_NONE),
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
	if (cfg_getstr(sec, "path")) {
		if (!img->ntrees)
			return cfg_fail(sec, "path", cfg_getstr(sec, "path"), -EINVAL, d,
					"needs the image's `tree` option (the tree to take the file from)");
		if (name)
			return cfg_fail(sec, "path", cfg_getstr(sec, "path"), -EINVAL, d,
					"give either `name` (an input file) or `path` (a file in a tree)");
		f->path_glob = strdup(cfg_getstr(sec, "path"));
		if (!f->path_glob)
			return diag_fail(d, -ENOMEM, "out of memory");
		f->copy = true; /* the bytes live inside a tree: always written out */
		return cfg_get_holes(sec, "holes", &img->holes, &img->nholes, d);
	}
	if (img->ntrees)
		return cfg_fail(sec, "tree", img->trees[0], -EINVAL, d,
				"a file image with `tree` needs `path` (which file of the tree)");
	if (!f->copy) {
		free(img->outfile);
		img->outfile = strdup(f->infile);
		if (!img->outfile)
			return diag_fail(d, -ENOMEM, "out of memory");
		img->input_only = true;
	}
	return cfg_get_holes(sec, "holes", &img->holes, &img->nholes, d);
}

struct glob_match {
	const char *glob;
	struct tree_node *found;
	unsigned count;
	char *first, *second;
};

static int match_cb(struct tree_node *n, void *ud)
{
	struct glob_match *m = ud;
	char *p = tree_path(n);

	if (!p)
		return -ENOMEM;
	if (*p && !fnmatch(m->glob, p, FNM_PATHNAME | FNM_PERIOD)) {
		if (!m->count++) {
			m->found = n;
			m->first = p;
			p = NULL;
		} else if (!m->second) {
			m->second = p;
			p = NULL;
		}
	}
	free(p);
	return 0;
}

/* Find the one regular file of the tree matching `path`. */
static int tree_file_setup(struct build *b, struct image *img, struct file_priv *f,
			   struct diag *d)
{
	struct tree *t = NULL;
	const char *glob = f->path_glob;
	struct glob_match m = { 0 };
	int r;

	while (*glob == '/')
		glob++;
	m.glob = glob;
	r = image_content_tree(b, img, &t, d);
	if (r)
		return r;
	r = tree_walk(t, match_cb, &m);
	if (r) {
		r = diag_fail(d, r, "out of memory");
		goto out;
	}
	if (!m.count) {
		r = diag_fail(d, -ENOENT, "path \"%s\": no such file in tree \"%s\"", f->path_glob,
			      img->trees[0]);
		goto out;
	}
	if (m.count > 1) {
		r = diag_fail(d, -EINVAL, "path \"%s\": matches %u entries (\"/%s\", \"/%s\"%s); it must name one file",
			      f->path_glob, m.count, m.first, m.second, m.count > 2 ? ", ..." : "");
		goto out;
	}
	struct tree_node *n = m.found;
	while (n->hardlink)
		n = n->hardlink;
	if (!tree_is_reg(n)) {
		r = diag_fail(d, -EINVAL, "path \"/%s\" in tree \"%s\" is not a regular file", m.first,
			      img->trees[0]);
		goto out;
	}
	if (img->size_set && n->size > img->size) {
		r = diag_fail(d, -EFBIG, "\"/%s\": %llu bytes, larger than size %llu", m.first,
			      (unsigned long long)n->size, (unsigned long long)img->size);
		goto out;
	}
	if (!img->size_set)
		img->size = n->size;
	f->src_off = n->src_off;
	free(f->src_path);
	char pb[TREE_SRC_PATH_MAX];
	const char *sp = tree_node_src_path(n, pb, sizeof(pb));
	f->src_path = sp ? strdup(sp) : NULL;
	if (n->size && !f->src_path) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	f->copy_len = n->size;
	r = 0;
out:
	free(m.first);
	free(m.second);
	tree_free(t);
	return r;
}

static int file_setup(struct build *b, struct image *img, struct diag *d)
{
	struct file_priv *f = img->priv;

	if (f && f->path_glob)
		return tree_file_setup(b, img, f, d);
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
	if (f->path_glob) {
		if (!f->copy_len)
			return 0;
		fd = open(f->src_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return diag_fail(d, -errno, "%s: %s", f->src_path, strerror(errno));
		r = sink_copy_fd(out, 0, fd, f->src_off, f->copy_len, f->path_glob, d);
		close(fd);
		return r;
	}
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

static int file_key(struct build *b, struct image *img, struct image_key *k, struct diag *d)
{
	struct file_priv *f = img->priv;
	struct stat st;

	if (f->path_glob)
		return image_key_file(b, k, "content", f->src_path, f->src_off, f->copy_len, d);
	if (stat(f->infile, &st))
		return diag_fail(d, -errno, "input file %s: %s", f->infile, strerror(errno));
	return image_key_file(b, k, "content", f->infile, 0, (uint64_t)st.st_size, d);
}

static void file_release(struct image *img)
{
	struct file_priv *f = img->priv;

	if (f) {
		free(f->infile);
		free(f->path_glob);
		free(f->src_path);
	}
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
	.key = file_key,
};
