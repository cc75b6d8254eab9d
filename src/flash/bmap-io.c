/* SPDX-License-Identifier: MIT */
#include "flash/bmap-io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/checked.h"
#include "base/diag.h"
#include "io/sink.h"

#define HASH_CHUNK (1u << 20)

/* Append blocks [first, last], merging with the previous range when they
 * touch (rounding extents out to blocks makes neighbours share one). */
static int add_merged(struct bmap *m, uint64_t first, uint64_t last)
{
	if (m->nranges) {
		struct bmap_range *p = &m->ranges[m->nranges - 1];
		if (first <= p->last + 1) {
			if (last > p->last)
				p->last = last;
			return 0;
		}
	}
	return bmap_add_range(m, first, last, NULL);
}

static int hash_range(int fd, uint64_t off, uint64_t len, uint8_t *buf, const char *name,
		      uint8_t out[SHA256_LEN], struct diag *d)
{
	struct sha256_ctx c;
	int r = sha256_init(&c);

	if (r)
		return diag_fail(d, r, "out of memory");
	while (len) {
		size_t n = len > HASH_CHUNK ? HASH_CHUNK : (size_t)len;
		ssize_t got = pread(fd, buf, n, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = diag_fail(d, got < 0 ? -errno : -EIO, "%s: read at byte %" PRIu64 ": %s",
				      name, off, got < 0 ? strerror(errno) : "file shrank while reading");
			goto out;
		}
		if ((r = sha256_update(&c, buf, (size_t)got)))
			goto out;
		off += (uint64_t)got;
		len -= (uint64_t)got;
	}
	r = sha256_final(&c, out);
out:
	sha256_release(&c);
	return r;
}

int bmap_scan(int fd, uint64_t size, bool hash, const char *name, struct bmap *ret,
	      struct diag *d)
{
	const uint64_t bs = BMAP_BLOCK_SIZE;
	struct bmap m;
	uint64_t off = 0;
	uint8_t *buf = NULL;
	int r = 0;

	bmap_init(&m);
	m.version_major = 2;
	m.block_size = BMAP_BLOCK_SIZE;
	m.image_size = size;
	m.blocks_count = u64_div_roundup(size, bs);
	while (off < size) {
		off_t data = lseek(fd, (off_t)off, SEEK_DATA), hole;
		if (data < 0 && errno == ENXIO)
			break; /* only hole from here on */
		if (data < 0) {
			/* No hole reporting here: treat the rest as data. */
			r = add_merged(&m, off / bs, (size - 1) / bs);
			if (r)
				goto fail_r;
			break;
		}
		if ((uint64_t)data >= size)
			break;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > size)
			hole = (off_t)size;
		if (hole <= data) {
			r = diag_fail(d, -EIO, "%s: inconsistent SEEK_HOLE at byte %" PRIu64, name,
				      (uint64_t)data);
			goto fail;
		}
		r = add_merged(&m, (uint64_t)data / bs, ((uint64_t)hole - 1) / bs);
		if (r)
			goto fail_r;
		off = (uint64_t)hole;
	}
	for (size_t i = 0; i < m.nranges; i++)
		m.mapped_count += m.ranges[i].last - m.ranges[i].first + 1;
	if (hash && m.nranges) {
		buf = malloc(HASH_CHUNK);
		if (!buf) {
			r = -ENOMEM;
			goto fail_r;
		}
		for (size_t i = 0; i < m.nranges; i++) {
			uint64_t o, l;
			bmap_range_bytes(&m, &m.ranges[i], &o, &l);
			r = hash_range(fd, o, l, buf, name, m.ranges[i].cs, d);
			if (r)
				goto fail;
			m.ranges[i].has_cs = true;
		}
		m.has_cs = true;
	} else if (hash) {
		m.has_cs = true;
	}
	free(buf);
	*ret = m;
	return 0;
fail_r:
	r = diag_fail(d, r, "%s: %s", name, r == -E2BIG ? "too many mapped ranges" : strerror(-r));
fail:
	free(buf);
	bmap_release(&m);
	return r;
}

int bmap_make(const char *image, char **ret_text, size_t *ret_len, struct diag *d)
{
	struct bmap m;
	struct stat st;
	int fd, r;

	fd = open(image, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", image, strerror(errno));
	if (fstat(fd, &st)) {
		r = diag_fail(d, -errno, "%s: %s", image, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = diag_fail(d, -EINVAL, "%s: not a regular file (a bmap maps an image file)",
			      image);
		goto out;
	}
	if (!st.st_size) {
		r = diag_fail(d, -EINVAL, "%s: empty image: nothing to map", image);
		goto out;
	}
	r = bmap_scan(fd, (uint64_t)st.st_size, true, image, &m, d);
	if (r)
		goto out;
	r = bmap_format(&m, ret_text, ret_len);
	if (r)
		diag_fail(d, r, "%s: cannot format bmap: %s", image, strerror(-r));
	bmap_release(&m);
out:
	close(fd);
	return r;
}

int bmap_write_file(const char *image, const char *out, struct diag *d)
{
	char *text = NULL, *path = NULL;
	size_t len;
	struct sink *s = NULL;
	int r;

	if (!out) {
		path = malloc(strlen(image) + 6);
		if (!path)
			return diag_fail(d, -ENOMEM, "out of memory");
		sprintf(path, "%s.bmap", image);
		out = path;
	}
	r = bmap_make(image, &text, &len, d);
	if (r)
		goto done;
	r = sink_file_new(&s, out, len, d);
	if (r)
		goto done;
	r = sink_pwrite(s, text, len, 0);
	if (r) {
		diag_fail(d, r, "%s: write failed: %s", out, strerror(-r));
		goto done;
	}
	r = sink_file_commit(s, d);
done:
	sink_release(s);
	free(text);
	free(path);
	return r;
}

int bmap_load(const char *path, struct bmap *ret, struct diag *d)
{
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(d, -errno, "bmap %s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		r = diag_fail(d, -errno, "bmap %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > BMAP_MAX_FILE) {
		r = diag_fail(d, -EINVAL, "bmap %s: not a regular file of at most %u MiB", path,
			      BMAP_MAX_FILE >> 20);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = diag_fail(d, -errno, "bmap %s: %s", path, strerror(errno));
			goto out;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	r = bmap_parse(text, got, path, ret, d);
out:
	free(text);
	close(fd);
	return r;
}
