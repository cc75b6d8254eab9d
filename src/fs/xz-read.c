/* SPDX-License-Identifier: MIT */
/* xz through liblzma's multithreaded decoder: see xz-read.h. */
#include "fs/xz-read.h"

#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Decoded bytes handed to libarchive per call, and compressed bytes
 * read per call from a descriptor. */
#define XZ_OUT (1u << 20)
#define XZ_IN (1u << 18)

struct xz {
	lzma_stream z;
	bool in_eof, done;
	/* Where the compressed bytes come from: a callback, a descriptor or
	 * memory. */
	archive_read_callback *src;
	void *src_ud;
	int fd;
	const uint8_t *mem;
	size_t memlen;
	uint8_t *in;
	uint8_t out[XZ_OUT];
};

static const uint8_t magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

bool xz_is_xz(const void *buf, size_t len)
{
	return len >= sizeof(magic) && !memcmp(buf, magic, sizeof(magic));
}

static const char *lzma_why(lzma_ret ret)
{
	switch (ret) {
	case LZMA_MEM_ERROR:
		return "out of memory";
	case LZMA_MEMLIMIT_ERROR:
		return "the stream needs more than 2 GiB of memory to decode (refused)";
	case LZMA_FORMAT_ERROR:
		return "not an xz stream";
	case LZMA_OPTIONS_ERROR:
		return "unsupported stream options";
	case LZMA_DATA_ERROR:
		return "compressed data is corrupt";
	case LZMA_BUF_ERROR:
		return "compressed data is truncated";
	default:
		return "decoder error";
	}
}

/* The next compressed bytes into x->z.next_in; x->in_eof at the end. */
static int refill(struct archive *a, struct xz *x)
{
	const void *p = NULL;
	la_ssize_t n;

	if (x->src) {
		n = x->src(a, x->src_ud, &p);
	} else if (x->fd >= 0) {
		do
			n = read(x->fd, x->in, XZ_IN);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			archive_set_error(a, errno, "%s", strerror(errno));
			return ARCHIVE_FATAL;
		}
		p = x->in;
	} else {
		n = (la_ssize_t)x->memlen;
		p = x->mem;
		x->memlen = 0;
	}
	if (n < 0)
		return ARCHIVE_FATAL; /* the source set the error */
	if (!n)
		x->in_eof = true;
	x->z.next_in = p;
	x->z.avail_in = (size_t)n;
	return ARCHIVE_OK;
}

static la_ssize_t xz_read(struct archive *a, void *ud, const void **buf)
{
	struct xz *x = ud;

	x->z.next_out = x->out;
	x->z.avail_out = sizeof(x->out);
	/* Hand out whatever decoded bytes there are, waiting only when none. */
	while (!x->done && x->z.avail_out == sizeof(x->out)) {
		if (!x->z.avail_in && !x->in_eof && refill(a, x) != ARCHIVE_OK)
			return ARCHIVE_FATAL;
		lzma_ret ret = lzma_code(&x->z, x->in_eof ? LZMA_FINISH : LZMA_RUN);
		if (ret == LZMA_STREAM_END) {
			x->done = true;
		} else if (ret != LZMA_OK) {
			archive_set_error(a, ret == LZMA_MEM_ERROR ? ENOMEM : EINVAL, "xz: %s",
					  lzma_why(ret));
			return ARCHIVE_FATAL;
		}
	}
	*buf = x->out;
	return (la_ssize_t)(sizeof(x->out) - x->z.avail_out);
}

static void xz_free(struct xz *x)
{
	lzma_end(&x->z);
	if (x->fd >= 0)
		close(x->fd);
	free(x->in);
	free(x);
}

static int xz_close(struct archive *a, void *ud)
{
	(void)a;
	xz_free(ud);
	return ARCHIVE_OK;
}

static int open_x(struct archive *a, unsigned threads, uint64_t memlimit, struct xz *x)
{
	lzma_mt mt = {
		/* As xz(1) and libarchive: streams one after another are one. */
		.flags = LZMA_CONCATENATED,
		.threads = threads ? threads : 1,
		.memlimit_threading = memlimit ? memlimit : XZ_READ_MEMLIMIT_THREADS,
		.memlimit_stop = XZ_READ_MEMLIMIT_STOP,
	};
	lzma_stream init = LZMA_STREAM_INIT;
	lzma_ret ret;

	x->z = init;
	if (x->fd >= 0 && !x->src && !(x->in = malloc(XZ_IN))) {
		ret = LZMA_MEM_ERROR;
		goto fail;
	}
	/* -j 1: no decoder thread at all. */
	if (mt.threads > 1)
		ret = lzma_stream_decoder_mt(&x->z, &mt);
	else
		ret = lzma_stream_decoder(&x->z, mt.memlimit_stop, mt.flags);
	if (ret != LZMA_OK)
		goto fail;
	return archive_read_open(a, x, NULL, xz_read, xz_close);
fail:
	archive_set_error(a, ENOMEM, "xz: %s", lzma_why(ret));
	xz_free(x);
	return ARCHIVE_FATAL;
}

static struct xz *xz_new(struct archive *a, int fd)
{
	struct xz *x = calloc(1, sizeof(*x));

	if (!x) {
		archive_set_error(a, ENOMEM, "out of memory");
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	x->fd = fd;
	return x;
}

int xz_archive_open(struct archive *a, unsigned threads, uint64_t memlimit,
		    archive_read_callback *src, void *src_ud)
{
	struct xz *x = xz_new(a, -1);

	if (!x)
		return ARCHIVE_FATAL;
	x->src = src;
	x->src_ud = src_ud;
	return open_x(a, threads, memlimit, x);
}

int xz_archive_open_fd(struct archive *a, unsigned threads, uint64_t memlimit, int fd)
{
	struct xz *x = xz_new(a, fd);

	return x ? open_x(a, threads, memlimit, x) : ARCHIVE_FATAL;
}

int xz_archive_open_memory(struct archive *a, unsigned threads, uint64_t memlimit,
			   const void *buf, size_t len)
{
	struct xz *x = xz_new(a, -1);

	if (!x)
		return ARCHIVE_FATAL;
	x->mem = buf;
	x->memlen = len;
	return open_x(a, threads, memlimit, x);
}
