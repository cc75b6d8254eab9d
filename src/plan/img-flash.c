/* SPDX-License-Identifier: MIT */
/*
 * `flash`: a NOR flash image (genimage's flash type). Partitions are laid
 * end to end in erase blocks of the `flashtype`'s pebsize; the space a
 * partition's image does not fill, gaps between partitions and the tail
 * are 0xFF (erased flash), written out for real: an erased NOR flash reads
 * 0xFF, so these bytes are data, not holes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "config/config.h"
#include "base/size.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"

struct flash_priv {
	uint64_t pebsize, numpebs, flashsize;
};

static cfg_opt_t flash_img_opts[] = { CFG_END() };

static int flash_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	(void)b;
	(void)sec;
	img->priv = calloc(1, sizeof(struct flash_priv));
	return img->priv ? 0 : diag_fail(d, -ENOMEM, "out of memory");
}

/* A `flash NAME { KEY = "..." }` value as a size; 0 if empty. */
static int flash_value(cfg_t *fs, const char *key, uint64_t *ret, struct diag *d)
{
	const char *v = cfg_getstr(fs, key);
	struct size_spec s;
	struct diag tmp = { 0 };

	*ret = 0;
	if (!v || !*v)
		return 0;
	if (size_parse(v, 0, &s, &tmp)) {
		const char *file;
		unsigned line;

		config_where(fs, key, 0, &file, &line);
		return diag_fail(d, -EINVAL, "%s:%u: flash '%s': %s = \"%s\": %s", file, line,
				 cfg_title(fs), key, v, tmp.msg);
	}
	*ret = s.bytes;
	return 0;
}

static int flash_setup(struct build *b, struct image *img, struct diag *d)
{
	struct flash_priv *f = img->priv;
	cfg_t *fs;
	uint64_t now = 0;
	bool last = false;
	int r;

	if (!img->flashtype)
		return diag_fail(
			d, -EINVAL,
			"no flashtype given (flashtype = \"NAME\" of a flash NAME { } section)");
	fs = b->cfg ? cfg_gettsec(b->cfg, "flash", img->flashtype) : NULL;
	if (!fs)
		return diag_fail(d, -EINVAL, "flashtype = \"%s\": no flash section of that name",
				 img->flashtype);
	if ((r = flash_value(fs, "pebsize", &f->pebsize, d)) ||
	    (r = flash_value(fs, "numpebs", &f->numpebs, d)))
		return r;
	if (!f->pebsize || !f->numpebs)
		return diag_fail(d, -EINVAL,
				 "flash '%s': pebsize and numpebs must be set and non-zero",
				 img->flashtype);
	if (f->numpebs > UINT64_MAX / f->pebsize)
		return diag_fail(d, -EOVERFLOW, "flash '%s': pebsize * numpebs overflows",
				 img->flashtype);
	f->flashsize = f->pebsize * f->numpebs;

	for (unsigned i = 0; i < img->nparts; i++) {
		struct partition *p = &img->parts[i];
		char why[200];

		if (last)
			return diag_fail(
				d, -EINVAL,
				"%s:%u: partition '%s': only the last partition may omit its size",
				img->cfgfile, img->parts[i - 1].line, img->parts[i - 1].name);
		if (p->size_set && p->size_spec.percent_set)
			p->size = f->flashsize / 100 * p->size_spec.percent;
		if (!p->size && p->child && !b->genimage_mode)
			p->size = p->child->size +
				  (f->pebsize - p->child->size % f->pebsize) % f->pebsize;
		if (!p->size) {
			last = true;
			if (now > f->flashsize)
				break;
			p->size = f->flashsize - now;
		}
		if (p->size % f->pebsize || p->offset % f->pebsize) {
			snprintf(why, sizeof(why),
				 "offset 0x%" PRIx64 " and size 0x%" PRIx64
				 " must be multiples of the erase block size 0x%" PRIx64,
				 p->offset, p->size, f->pebsize);
			return diag_fail(d, -EINVAL, "%s:%u: partition '%s': %s", img->cfgfile,
					 p->line, p->name, why);
		}
		if (p->offset_set && p->offset) {
			if (now > p->offset)
				return diag_fail(
					d, -EINVAL,
					"%s:%u: partition '%s' [0x%" PRIx64 ", 0x%" PRIx64
					") overlaps the previous partition (which ends at 0x%" PRIx64
					")",
					img->cfgfile, p->line, p->name, p->offset,
					p->offset + p->size, now);
		} else {
			p->offset = now;
		}
		if (p->child && p->child->size > p->size)
			return diag_fail(d, -EFBIG,
					 "%s:%u: partition '%s': size %" PRIu64
					 " is smaller than its image '%s' (%" PRIu64 " bytes)",
					 img->cfgfile, p->line, p->name, p->size, p->child->name,
					 p->child->size);
		if (p->child) {
			p->child->placed_offset = p->offset;
			p->child->placed = true;
		}
		p->in_partition_table = false;
		p->index = i + 1;
		now = p->offset + p->size;
	}
	if (now > f->flashsize)
		return diag_fail(d, -ENOSPC,
				 "partitions end at %" PRIu64 " bytes, past the flash size %" PRIu64
				 " (%s)",
				 now, f->flashsize, img->flashtype);
	if (img->size_set) {
		if (now > img->size)
			return diag_fail(d, -ENOSPC,
					 "partitions end at %" PRIu64
					 " bytes, past the image size %" PRIu64,
					 now, img->size);
	} else {
		/* genimage ends the file after the last partition; kiln
		 * covers the whole flash. */
		img->size = b->genimage_mode ? now : f->flashsize;
	}
	return 0;
}

/* Copy @len bytes of @fd to @off verbatim (zeros are data on flash). */
static int copy_all(struct sink *out, uint64_t off, int fd, uint64_t len, const char *what,
		    struct diag *d)
{
	uint8_t *buf = malloc(1u << 20);
	uint64_t pos = 0;
	int r = 0;

	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	while (pos < len) {
		size_t n = len - pos < (1u << 20) ? (size_t)(len - pos) : (1u << 20);
		ssize_t got = pread(fd, buf, n, (off_t)pos);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = diag_fail(d, got < 0 ? -errno : -EIO, "%s: %s", what,
				      got < 0 ? strerror(errno) : "changed while reading");
			break;
		}
		if ((r = sink_pwrite(out, buf, (size_t)got, off + pos))) {
			diag_fail(d, r, "writing %s: %s", what, strerror(-r));
			break;
		}
		pos += (uint64_t)got;
	}
	free(buf);
	return r;
}

static int flash_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	uint64_t now = 0;
	int r;

	(void)b;
	for (unsigned i = 0; i < img->nparts; i++) {
		const struct partition *p = &img->parts[i];
		uint64_t len = 0;

		if ((r = sink_fill(out, now, p->offset - now, 0xff)))
			return diag_fail(d, r, "writing 0xFF padding: %s", strerror(-r));
		if (p->child) {
			struct stat st;
			int fd = open(p->child->outfile, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return diag_fail(d, -errno, "partition '%s': %s: %s", p->name,
						 p->child->outfile, strerror(errno));
			if (fstat(fd, &st)) {
				r = diag_fail(d, -errno, "%s: %s", p->child->outfile,
					      strerror(errno));
				close(fd);
				return r;
			}
			len = (uint64_t)st.st_size < p->child->size ? (uint64_t)st.st_size
								    : p->child->size;
			r = copy_all(out, p->offset, fd, len, p->child->outfile, d);
			close(fd);
			if (r)
				return r;
		}
		if ((r = sink_fill(out, p->offset + len, p->size - len, 0xff)))
			return diag_fail(d, r, "writing 0xFF padding: %s", strerror(-r));
		now = p->offset + p->size;
	}
	if ((r = sink_fill(out, now, img->size - now, 0xff)))
		return diag_fail(d, r, "writing 0xFF padding: %s", strerror(-r));
	return 0;
}

static void flash_describe(const struct image *img, void (*line)(void *ud, const char *text),
			   void *ud)
{
	const struct flash_priv *f = img->priv;
	char buf[200];

	if (!f || !f->pebsize)
		return;
	snprintf(buf, sizeof(buf),
		 "flash type %s: %" PRIu64 " erase blocks of %" PRIu64 " bytes (%" PRIu64
		 " bytes), unused space 0xFF",
		 img->flashtype, f->numpebs, f->pebsize, f->flashsize);
	line(ud, buf);
}

static void flash_release(struct image *img)
{
	free(img->priv);
	img->priv = NULL;
}

const struct image_handler flash_image_handler = {
	.type = "flash",
	.opts = flash_img_opts,
	.parse = flash_parse,
	.setup = flash_setup,
	.generate = flash_generate,
	.describe = flash_describe,
	.release = flash_release,
};
