/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/tree.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/scratch.h"

int scratch_open(struct scratch *s, const char *dir, struct diag *d)
{
	char path[4096];
	int fd, r;

	s->fd = -1;
	s->sink = NULL;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return diag_fail(d, -errno, "%s: cannot create tmppath: %s", dir, strerror(errno));
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		/* Filesystems without O_TMPFILE: a named file, unlinked at once. */
		if ((size_t)snprintf(path, sizeof(path), "%s/kiln-scratch.XXXXXX", dir) >=
		    sizeof(path))
			return diag_fail(d, -ENAMETOOLONG, "%s: path too long", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			return diag_fail(d, -errno, "%s: cannot create a scratch file: %s", dir,
					 strerror(errno));
		unlink(path);
	}
	r = sink_file_open_existing(&s->sink, fd, UINT64_MAX);
	if (r) {
		close(fd);
		return diag_fail(d, r, "out of memory");
	}
	s->fd = fd;
	return 0;
}

int scratch_copy(struct scratch *s, struct sink *out, uint64_t len, struct diag *d)
{
	return sink_copy_fd(out, 0, s->fd, 0, len, "scratch file", d);
}

void scratch_close(struct scratch *s)
{
	sink_release(s->sink);
	s->sink = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

void scratch_tree_init(struct scratch_tree *st)
{
	st->scratch.fd = -1;
	st->scratch.sink = NULL;
	st->tree = NULL;
	st->bytes = 0;
}

int scratch_tree_begin(struct build *b, struct image *img, struct scratch_tree *st,
		       struct diag *d)
{
	int r;

	scratch_tree_release(st);
	r = image_content_tree(b, img, &st->tree, d);
	return r ? r : scratch_open(&st->scratch, b->paths.tmppath, d);
}

int scratch_tree_end(struct image *img, struct scratch_tree *st, const char *what,
		     struct diag *d)
{
	if (img->size_set && img->size < st->bytes)
		return diag_fail(d, -ENOSPC, "%s needs %llu bytes, size is %llu", what,
				 (unsigned long long)st->bytes, (unsigned long long)img->size);
	img->size = st->bytes;
	return 0;
}

int scratch_tree_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct scratch_tree *st = img->priv;

	(void)b;
	return scratch_copy(&st->scratch, out, st->bytes, d);
}

void scratch_tree_release(struct scratch_tree *st)
{
	scratch_close(&st->scratch);
	tree_free(st->tree);
	st->tree = NULL;
}
