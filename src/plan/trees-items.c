/* SPDX-License-Identifier: MIT */
/*
 * Trees: a layer's inline items (mkdir, file, symlink, hardlink, node)
 * applied to a struct tree, and the node read/store helpers generated
 * files use (file contents go to the spill file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/hash.h"
#include "plan/build.h"
#include "plan/trees-def.h"
#include "plan/vars.h"

int trees_read_node(struct tree_node *n, uint64_t max, char **ret, uint64_t *ret_len,
		    struct diag *d)
{
	while (n->hardlink)
		n = n->hardlink;
	char *path = tree_path(n);
	uint64_t size = n->size;
	char *buf = NULL;
	int fd = -1, r = 0;

	if (!path)
		return diag_fail(d, -ENOMEM, "out of memory");
	if (!tree_is_reg(n)) {
		r = diag_fail(d, -EINVAL, "/%s: not a regular file", path);
		goto out;
	}
	if (size > max) {
		r = diag_fail(d, -EFBIG, "/%s: larger than %llu bytes", path, (unsigned long long)max);
		goto out;
	}
	buf = malloc(size + 1);
	if (!buf) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	if (size) {
		char srcbuf[TREE_SRC_PATH_MAX];
		const char *src = tree_node_src_path(n, srcbuf, sizeof(srcbuf));
		if (!src || (fd = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
			r = diag_fail(d, -EIO, "/%s: cannot read its data", path);
			goto out;
		}
		for (uint64_t got = 0; got < size;) {
			ssize_t k = pread(fd, buf + got, size - got, (off_t)(n->src_off + got));
			if (k <= 0) {
				r = diag_fail(d, -EIO, "/%s: short read from %s", path, src);
				goto out;
			}
			got += (uint64_t)k;
		}
	}
	buf[size] = 0;
	*ret = buf;
	*ret_len = size;
	buf = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(path);
	return r;
}

int trees_store_file(struct trees_state *st, struct tree *t, const char *path, const char *data,
		     uint64_t len, uint32_t mode, uint32_t uid, uint32_t gid, uint32_t layer,
		     struct diag *d)
{
	struct tree_attr a = { .mode = 0100000 | mode, .uid = uid, .gid = gid, .mtime = t->epoch,
			       .size = len };
	uint8_t sha[32];
	struct spill_blob *bl = NULL;
	int r;

	if (sha256_buf(data, len, sha))
		return diag_fail(d, -ENOMEM, "sha256 failed");
	for (unsigned i = 0; i < st->nblobs && !bl; i++)
		if (st->blobs[i].len == len && !memcmp(st->blobs[i].sha, sha, 32))
			bl = &st->blobs[i];
	if (!bl) {
		struct spill_region reg = { 0 };
		struct spill_writer w;
		uint64_t off;
		if (st->nblobs == st->capblobs) {
			unsigned nc = st->capblobs ? st->capblobs * 2 : 8;
			struct spill_blob *nb = realloc(st->blobs, nc * sizeof(*nb));
			if (!nb)
				return diag_fail(d, -ENOMEM, "out of memory");
			st->blobs = nb;
			st->capblobs = nc;
		}
		spill_begin(&st->spill, &reg, &w);
		if ((r = spill_reserve(&w, len, &off, d)) || (r = spill_write(&w, off, data, len, d)) ||
		    (r = spill_end(&w, d)))
			return r;
		bl = &st->blobs[st->nblobs++];
		memcpy(bl->sha, sha, 32);
		bl->off = off;
		bl->len = len;
	}
	a.src_off = bl->off;
	if (len)
		a.src_path = spill_path(&st->spill);
	return tree_add(t, path, &a, TREE_CONFLICT_REPLACE, layer, NULL, d);
}

int trees_apply_item(struct build *b, struct trees_state *st, struct tree *t,
		     struct tree_item *it, enum tree_conflict pol, uint32_t layer, struct diag *d)
{
	struct tree_attr a = { .uid = it->uid, .gid = it->gid, .mtime = t->epoch };
	char *host = NULL, *text = NULL, *exp = NULL;
	int r = 0;

	switch (it->kind) {
	case ITEM_MKDIR:
		a.mode = 0040000 | it->mode;
		return tree_add(t, it->path, &a, pol, layer, NULL, d);
	case ITEM_SYMLINK:
		a.mode = 0120777;
		a.link = it->target;
		return tree_add(t, it->path, &a, pol, layer, NULL, d);
	case ITEM_HARDLINK:
		return tree_add_hardlink(t, it->path, it->target, pol, layer, d);
	case ITEM_NODE:
		a.mode = it->type | it->mode;
		a.rdev_major = it->major;
		a.rdev_minor = it->minor;
		return tree_add(t, it->path, &a, pol, layer, NULL, d);
	case ITEM_FILE:
		break;
	case ITEM_KIND_MAX:
		return -EINVAL;
	}
	a.mode = 0100000 | it->mode;
	const char *data = it->content;
	size_t len = data ? strlen(data) : 0;
	if (it->source) {
		struct stat sb;
		if (!(host = trees_resolve(b, it->source, NULL)))
			return diag_fail(d, -ENOMEM, "out of memory");
		if (stat(host, &sb) || !S_ISREG(sb.st_mode)) {
			r = diag_fail(d, errno ? -errno : -EINVAL, "%s:%u: file \"%s\": source %s: %s",
				      it->cfgfile, it->line, it->path, host,
				      errno ? strerror(errno) : "not a regular file");
			goto out;
		}
		if (!it->expand) {
			a.size = (uint64_t)sb.st_size;
			a.src_path = host;
			r = tree_add(t, it->path, &a, pol, layer, NULL, d);
			goto out;
		}
		if ((uint64_t)sb.st_size > TREES_MAX_TEXT) {
			r = diag_fail(d, -EFBIG, "%s:%u: file \"%s\": source %s: too large to expand",
				      it->cfgfile, it->line, it->path, host);
			goto out;
		}
		int fd = open(host, O_RDONLY | O_CLOEXEC);
		text = malloc((size_t)sb.st_size + 1);
		ssize_t k = fd >= 0 && text ? read(fd, text, (size_t)sb.st_size) : -1;
		if (fd >= 0)
			close(fd);
		if (k != sb.st_size) {
			r = diag_fail(d, -EIO, "%s:%u: file \"%s\": cannot read %s", it->cfgfile,
				      it->line, it->path, host);
			goto out;
		}
		char bad[160];
		r = vars_expand(b, text, (size_t)k, &exp, &len, bad, sizeof(bad));
		if (r) {
			r = trees_expand_fail(r, it->cfgfile, it->line, host, bad, d);
			goto out;
		}
		data = exp;
	}
	struct spill_writer w;
	spill_begin(&st->spill, &it->region, &w);
	a.size = len;
	if ((r = spill_reserve(&w, len, &a.src_off, d)) ||
	    (r = spill_write(&w, a.src_off, data, len, d)) || (r = spill_end(&w, d)))
		goto out;
	if (len)
		a.src_path = spill_path(&st->spill);
	r = tree_add(t, it->path, &a, pol, layer, NULL, d);
out:
	free(host);
	free(text);
	free(exp);
	return r;
}
