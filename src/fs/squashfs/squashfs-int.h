/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_SQUASHFS_INT_H
#define KILN_FS_SQUASHFS_INT_H

/* Private to fs/squashfs: the glue objects handed to libsquashfs. */

#include <stdint.h>

#include <sqfs/compressor.h>
#include <sqfs/error.h>
#include <sqfs/io.h>

struct sink;

/* A sqfs_file_t writing onto a sink (offsets from 0). size is the end
 * of what was written. The first sink error is kept in err and not
 * reported to libsquashfs (later writes are dropped, reads give zeros):
 * check err after each step. Destroy with sqfs_destroy(). */
struct sq_sink_file {
	sqfs_file_t base;
	struct sink *sink;
	uint64_t size;
	int err;
};

struct sq_sink_file *sq_sink_file_new(struct sink *sink);

/* A compressor that stores every block raw, reporting itself as gzip
 * with default options. NULL when out of memory. */
sqfs_compressor_t *sq_null_compressor_new(uint32_t block_size);

#endif
