/* SPDX-License-Identifier: MIT */
/*
 * lz4 compression of regular files into 4 KiB physical clusters, as
 * `mkfs.erofs -zlz4 -E legacy-compress` (erofs-utils 1.5) lays them out:
 * each compressed extent is as much input as LZ4_compress_destSize()
 * fits into one block, the compressed bytes at the block's start and
 * zeros after (no 0padding: Linux decodes it with
 * LZ4_decompress_safe_partial, so a stream may hold more than the extent).
 * An extent ends wherever the compressor stopped; the next one starts
 * there, inside a logical cluster (its index's clusterofs). Only one
 * extent can start per logical cluster, which holds because a compressed
 * extent takes more than 4096 bytes of input. Input that does not
 * compress to less than it takes goes into a plain block that starts on
 * the logical cluster (mkfs.erofs' write_uncompressed_extent): its start
 * moves back over the end of the previous extent, whose stream still
 * holds those bytes, so no plain block needs shifted decoding.
 */
#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <lz4hc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/erofs/erofs-int.h"

/* Input window per extent: at most 256 logical clusters (1 MiB). */
#define ZWIN (256u * EROFS_BLKSZ)

struct zin {
	int fd;
	const char *what;
	uint64_t base;     /* file offset of buf[0] (relative to src_off) */
	uint64_t len;      /* valid bytes in buf */
	uint64_t size;     /* file size */
	uint64_t src_off;
	uint8_t *buf;      /* 2 * ZWIN */
};

/* Make [off, off + min(ZWIN, size - off)) present in the buffer. */
static int zin_fill(struct zin *z, uint64_t off, struct diag *d)
{
	uint64_t want = z->size - off < ZWIN ? z->size - off : ZWIN;

	if (off >= z->base && off + want <= z->base + z->len)
		return 0;
	if (off >= z->base && off < z->base + z->len) {
		memmove(z->buf, z->buf + (off - z->base), z->base + z->len - off);
		z->len = z->base + z->len - off;
	} else {
		z->len = 0;
	}
	z->base = off;
	while (z->len < want || (z->len < 2 * ZWIN && z->base + z->len < z->size)) {
		uint64_t room = 2 * ZWIN - z->len, left = z->size - (z->base + z->len);
		ssize_t n = pread(z->fd, z->buf + z->len, room < left ? room : left,
				  (off_t)(z->src_off + z->base + z->len));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return diag_fail(d, n < 0 ? -errno : -EIO, "%s: %s", z->what,
					 n < 0 ? strerror(errno) : "changed while reading (shorter)");
		z->len += (uint64_t)n;
	}
	return 0;
}

static int compress_block(const struct erofs_plan *p, void *state, const uint8_t *src,
			  int *srclen, uint8_t *dst)
{
	if (p->o.compress == EROFS_COMPRESS_LZ4HC)
		return LZ4_compress_HC_destSize(state, (const char *)src, (char *)dst, srclen,
						EROFS_BLKSZ, p->o.level);
	return LZ4_compress_destSize((const char *)src, (char *)dst, srclen, EROFS_BLKSZ);
}

int erofs_z_file(const struct erofs_plan *p, const struct tree_node *n, erofs_z_emit emit,
		 void *ud, uint32_t *ret_blocks, struct diag *d)
{
	char pbuf[TREE_SRC_PATH_MAX];
	struct zin z = { .fd = -1, .size = n->size, .src_off = n->src_off };
	uint8_t *dst = NULL;
	void *state = NULL;
	uint64_t off = 0;
	uint32_t blocks = 0;
	int r = -ENOMEM;

	z.what = tree_node_src_path(n, pbuf, sizeof(pbuf));
	if (!z.what)
		return diag_fail(d, -EINVAL, "%s: %llu bytes but no data source", n->name,
				 (unsigned long long)n->size);
	z.buf = malloc(2 * ZWIN);
	dst = calloc(1, EROFS_BLKSZ);
	if (p->o.compress == EROFS_COMPRESS_LZ4HC)
		state = malloc((size_t)LZ4_sizeofStateHC());
	if (!z.buf || !dst || (p->o.compress == EROFS_COMPRESS_LZ4HC && !state)) {
		diag_fail(d, r, "out of memory");
		goto out;
	}
	z.fd = open(z.what, O_RDONLY | O_CLOEXEC);
	if (z.fd < 0) {
		r = diag_fail(d, -errno, "%s: %s", z.what, strerror(errno));
		goto out;
	}
	while (off < z.size) {
		uint64_t avail = z.size - off < ZWIN ? z.size - off : ZWIN;
		int in = (int)avail, c = 0;
		uint32_t count;

		if ((r = zin_fill(&z, off, d)))
			goto out;
		/* A file's last 4 KiB or less is stored plain (mkfs.erofs). */
		if (avail > EROFS_BLKSZ)
			c = compress_block(p, state, z.buf + (off - z.base), &in, dst);
		if (c > 0 && in > (int)EROFS_BLKSZ) {
			count = (uint32_t)in;
			memset(dst + c, 0, EROFS_BLKSZ - (size_t)c);
		} else {
			/* Back to the cluster start: the previous extent was
			 * compressed, its stream decodes these bytes too. */
			off &= ~(uint64_t)(EROFS_BLKSZ - 1);
			c = 0;
			count = z.size - off < EROFS_BLKSZ ? (uint32_t)(z.size - off) : EROFS_BLKSZ;
			if ((r = zin_fill(&z, off, d)))
				goto out;
			memcpy(dst, z.buf + (off - z.base), count);
			memset(dst + count, 0, EROFS_BLKSZ - count);
		}
		if (emit && (r = emit(ud, off, c > 0, count, dst)))
			goto out;
		blocks++;
		off += count;
	}
	*ret_blocks = blocks;
	r = 0;
out:
	if (z.fd >= 0)
		close(z.fd);
	free(z.buf);
	free(dst);
	free(state);
	return r;
}

void erofs_zindex_encode(uint8_t type, uint16_t clusterofs, uint32_t u, uint8_t out[8])
{
	out[0] = type; /* di_advise: the cluster type in bits 0-1 */
	out[1] = 0;
	out[2] = (uint8_t)clusterofs;
	out[3] = (uint8_t)(clusterofs >> 8);
	out[4] = (uint8_t)u;
	out[5] = (uint8_t)(u >> 8);
	out[6] = (uint8_t)(u >> 16);
	out[7] = (uint8_t)(u >> 24);
}
