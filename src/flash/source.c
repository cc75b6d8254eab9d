/* SPDX-License-Identifier: MIT */
#include "flash/source.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"

#define SCRATCH (1u << 20)

static const struct {
	const char *name;
	const char *magic;
	size_t len;
} codecs[] = {
	{ "gzip", "\x1f\x8b", 2 },
	{ "xz", "\xfd" "7zXZ\0", 6 },
	{ "zstd", "\x28\xb5\x2f\xfd", 4 },
	{ "bzip2", "BZh", 3 },
};

int source_open(struct flash_source *s, const char *path, struct diag *d)
{
	uint8_t head[8];
	ssize_t n;

	memset(s, 0, sizeof(*s));
	s->path = path;
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0)
		return diag_fail(d, -errno, "image %s: %s", path, strerror(errno));
	if (fstat(s->fd, &s->st)) {
		int e = errno;
		source_close(s);
		return diag_fail(d, -e, "image %s: %s", path, strerror(e));
	}
	if (!S_ISREG(s->st.st_mode)) {
		source_close(s);
		return diag_fail(d, -EINVAL, "image %s: not a regular file", path);
	}
	n = pread(s->fd, head, sizeof(head), 0);
	for (size_t i = 0; n > 0 && i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if ((size_t)n >= codecs[i].len && !memcmp(head, codecs[i].magic, codecs[i].len))
			s->codec = codecs[i].name;
	if (!s->codec)
		return 0;

	struct archive *a = archive_read_new();
	s->scratch = malloc(SCRATCH);
	if (!a || !s->scratch) {
		if (a)
			archive_read_free(a);
		source_close(s);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	s->stream = true;
	s->archive = a;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	struct archive_entry *e;
	if (archive_read_open_fd(a, s->fd, 1 << 20) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		int r = diag_fail(d, -EIO, "image %s: cannot read %s stream: %s", path, s->codec,
				  archive_error_string(a) ? archive_error_string(a) : "unknown error");
		source_close(s);
		return r;
	}
	return 0;
}

void source_close(struct flash_source *s)
{
	if (s->archive)
		archive_read_free(s->archive);
	if (s->fd >= 0)
		close(s->fd);
	free(s->scratch);
	s->archive = NULL;
	s->scratch = NULL;
	s->fd = -1;
}

static int stream_read(struct flash_source *s, void *buf, size_t len, size_t *ret_n,
		       struct diag *d)
{
	size_t got = 0;

	while (got < len && !s->eof) {
		la_ssize_t n = archive_read_data(s->archive, (uint8_t *)buf + got, len - got);
		if (n < 0)
			return diag_fail(d, -EIO, "image %s: %s stream broken at byte %" PRIu64
					 " of the image: %s", s->path, s->codec, s->pos + got,
					 archive_error_string(s->archive) ?
					 archive_error_string(s->archive) : "read error");
		if (n == 0)
			s->eof = true;
		got += (size_t)n;
	}
	s->pos += got;
	*ret_n = got;
	return 0;
}

int source_read(struct flash_source *s, void *buf, size_t len, uint64_t off, size_t *ret_n,
		struct diag *d)
{
	size_t got = 0;
	int r;

	if (!s->stream) {
		while (got < len) {
			ssize_t n = pread(s->fd, (uint8_t *)buf + got, len - got, (off_t)(off + got));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return diag_fail(d, -errno, "image %s: read at byte %" PRIu64 ": %s",
						 s->path, off + got, strerror(errno));
			if (!n)
				break;
			got += (size_t)n;
		}
		*ret_n = got;
		return 0;
	}
	if (off < s->pos)
		return diag_fail(d, -EINVAL, "image %s: cannot seek back in a %s stream", s->path,
				 s->codec);
	while (s->pos < off && !s->eof) {
		uint64_t skip = off - s->pos;
		size_t n;
		r = stream_read(s, s->scratch, skip > SCRATCH ? SCRATCH : (size_t)skip, &n, d);
		if (r)
			return r;
	}
	if (s->pos < off) {
		*ret_n = 0;
		return 0;
	}
	return stream_read(s, buf, len, ret_n, d);
}

uint64_t source_compressed_pos(const struct flash_source *s)
{
	if (!s->stream)
		return 0;
	la_int64_t n = archive_filter_bytes(s->archive, -1);
	return n > 0 ? (uint64_t)n : 0;
}
