/* SPDX-License-Identifier: MIT */
/*
 * Copying bytes between files without bringing them through kiln: the
 * store keeping and handing out images, a disk taking a partition image,
 * a tool type's input. copy_file_range moves them in the kernel (extents
 * shared where the filesystem can: btrfs, XFS); where it cannot (another
 * filesystem on an older kernel) a buffer does.
 */
#ifndef KILN_IO_COPY_H
#define KILN_IO_COPY_H

#include <stdbool.h>
#include <stdint.h>

/*
 * io_copy_range - copy all @len bytes at @src_off of @src to @dst_off of
 * @dst. When the kernel cannot copy between these files: with @fallback
 * through a buffer; without, -EOPNOTSUPP if no byte moved yet (the caller
 * has a copy of its own). -EIO when @src ends early; other -errno.
 */
int io_copy_range(int dst, uint64_t dst_off, int src, uint64_t src_off, uint64_t len,
		  bool fallback);

/*
 * io_copy_data - the same for the data ranges of those @len bytes only
 * (SEEK_DATA/SEEK_HOLE; without them everything is data): holes are
 * skipped, so @dst must read as zeros there (sized by ftruncate). Falls
 * back to a buffer. 0, -EIO or -errno.
 */
int io_copy_data(int dst, uint64_t dst_off, int src, uint64_t src_off, uint64_t len);

/*
 * io_clone - make @dst a copy of the whole of @src sharing its extents
 * (FICLONE; @dst's own bytes and size are replaced). 0, or -errno when
 * the filesystem cannot (EOPNOTSUPP, EXDEV, EINVAL): then copy. Only for
 * a copy of a whole file onto a whole file.
 */
int io_clone(int dst, int src);

#endif
