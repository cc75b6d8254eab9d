/* SPDX-License-Identifier: MIT */
#ifndef KILN_FLASH_FLASH_H
#define KILN_FLASH_FLASH_H

/*
 * kiln flash: write an image's mapped ranges to a block device or file,
 * then read every written range back and compare its SHA-256.
 *
 *   1. open the image (plain or compressed stream) and its bmap
 *      (--bmap, else IMAGE.bmap or the name without the compression
 *      suffix + .bmap; none: a block device gets everything, a regular
 *      file the data extents (SEEK_DATA/SEEK_HOLE) or non-zero blocks
 *      of a stream; no_bmap: everything)
 *   2. check and open the target (target.h), ask for confirmation
 *   3. write the ranges, hashing what is written, paced with
 *      sync_file_range so dirty data never piles up; each window on the
 *      medium is read back (cached pages dropped) and compared while the
 *      next is written
 *   4. fsync, read back and compare the rest
 *   5. a GPT image on a larger device: move the backup GPT to its end
 */

#include <stdbool.h>
#include <stdint.h>

struct diag;
struct flash_target;

struct flash_opts {
	const char *image, *target;
	const char *bmap;       /* explicit bmap file, or NULL */
	bool no_bmap;           /* write every byte */
	bool no_verify;
	bool force;             /* allow non-removable block devices */
	int64_t corrupt_at;     /* TEST ONLY: flip this byte of the target after writing; -1 off */
	/* Block devices: called after every check passed, before writing.
	 * Return false to abort (nothing written). */
	bool (*confirm)(void *ud, const struct flash_target *t, uint64_t image_size);
	/* Progress: bytes written and read back so far of @total to write
	 * (0 = unknown: a stream without a bmap). */
	void (*progress)(void *ud, uint64_t written, uint64_t verified, uint64_t total);
	void *ud;
};

struct flash_result {
	uint64_t image_size;
	uint64_t written;       /* bytes written */
	uint64_t verified;      /* bytes read back and compared */
	uint64_t ranges;
	char bmap_used[4096];   /* "" if none */
	bool stream;            /* the image was a compressed stream */
	bool whole;             /* every byte was written (no_bmap, or a device without a bmap) */
	bool gpt_moved;
	bool aborted;           /* confirm() said no */
};

/*
 * flash_run - do it. On failure: a negative errno, the diag names the
 * failing range (bytes and blocks) or check, and a regular-file target
 * that did not exist before is removed.
 */
int flash_run(const struct flash_opts *o, struct flash_result *res, struct diag *d);

#endif
