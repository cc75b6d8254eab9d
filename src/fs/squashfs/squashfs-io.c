/* SPDX-License-Identifier: MIT */
/*
 * The two objects kiln hands libsquashfs: a sqfs_file_t that is a kiln
 * sink (so the writer, like every writer, only reaches bytes through a
 * sink), and the "none" compressor that never compresses (every block
 * is then stored raw, flagged uncompressed, as mksquashfs -noI -noD -noF
 * -noX writes them).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/squashfs/squashfs-int.h"
#include "io/sink.h"

static void sq_file_destroy(sqfs_object_t *o)
{
	free(o);
}

/*
 * A sink error is kept in s->err and not passed on: libsquashfs 1.2
 * leaks the blocks still queued in its block processor when a write
 * fails, so the writer sees success, the caller checks s->err after
 * each step and drains the processor before giving up.
 */
static int sq_file_read_at(sqfs_file_t *f, sqfs_u64 off, void *buf, size_t len)
{
	struct sq_sink_file *s = (struct sq_sink_file *)f;
	int r;

	if (off > s->size || len > s->size - off)
		return SQFS_ERROR_OUT_OF_BOUNDS;
	r = s->err ? s->err : sink_pread(s->sink, buf, len, off);
	if (r) {
		s->err = r;
		memset(buf, 0, len);
	}
	return 0;
}

static int sq_file_write_at(sqfs_file_t *f, sqfs_u64 off, const void *buf, size_t len)
{
	struct sq_sink_file *s = (struct sq_sink_file *)f;
	int r;

	if (off > UINT64_MAX - len)
		return SQFS_ERROR_OVERFLOW;
	r = s->err ? 0 : sink_pwrite(s->sink, buf, len, off);
	if (r)
		s->err = r;
	if (off + len > s->size)
		s->size = off + len;
	return 0;
}

static sqfs_u64 sq_file_get_size(const sqfs_file_t *f)
{
	return ((const struct sq_sink_file *)f)->size;
}

/* libsquashfs truncates to drop the blocks of a file it found to be a
 * duplicate of an earlier one. The dropped bytes are zeroed so that they
 * cannot survive in the padding after the last table. */
static int sq_file_truncate(sqfs_file_t *f, sqfs_u64 size)
{
	struct sq_sink_file *s = (struct sq_sink_file *)f;
	uint64_t lo = size < s->size ? size : s->size, hi = size < s->size ? s->size : size;
	int r = hi > lo && !s->err ? sink_zero(s->sink, lo, hi - lo) : 0;

	if (r)
		s->err = r;
	s->size = size;
	return 0;
}

struct sq_sink_file *sq_sink_file_new(struct sink *sink)
{
	struct sq_sink_file *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.base.destroy = sq_file_destroy;
	s->base.read_at = sq_file_read_at;
	s->base.write_at = sq_file_write_at;
	s->base.get_size = sq_file_get_size;
	s->base.truncate = sq_file_truncate;
	s->sink = sink;
	return s;
}

/* ---- the "none" compressor ---- */

struct sq_null_cmp {
	sqfs_compressor_t base;
	sqfs_compressor_config_t cfg;
};

static void null_destroy(sqfs_object_t *o)
{
	free(o);
}

static sqfs_object_t *null_copy(const sqfs_object_t *o)
{
	struct sq_null_cmp *c = malloc(sizeof(*c));

	if (c)
		memcpy(c, o, sizeof(*c));
	return (sqfs_object_t *)c;
}

static void null_get_configuration(const sqfs_compressor_t *cmp, sqfs_compressor_config_t *cfg)
{
	*cfg = ((const struct sq_null_cmp *)cmp)->cfg;
}

static int null_options(sqfs_compressor_t *cmp, sqfs_file_t *file)
{
	return 0; /* gzip defaults: no options block */
}

/* 0 = "did not get smaller": the caller stores the block raw. */
static sqfs_s32 null_do_block(sqfs_compressor_t *cmp, const sqfs_u8 *in, sqfs_u32 size,
			      sqfs_u8 *out, sqfs_u32 outsize)
{
	return 0;
}

sqfs_compressor_t *sq_null_compressor_new(uint32_t block_size)
{
	struct sq_null_cmp *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (sqfs_compressor_config_init(&c->cfg, SQFS_COMP_GZIP, block_size, 0)) {
		free(c);
		return NULL;
	}
	c->base.base.destroy = null_destroy;
	c->base.base.copy = null_copy;
	c->base.get_configuration = null_get_configuration;
	c->base.write_options = null_options;
	c->base.read_options = null_options;
	c->base.do_block = null_do_block;
	return &c->base;
}
