/* SPDX-License-Identifier: MIT */
#ifndef KILN_FLASH_BMAP_H
#define KILN_FLASH_BMAP_H

/*
 * Block maps in bmaptool's XML format (version 2.0; 1.0-1.2 read too).
 * A bmap lists the blocks of an image that hold data ("mapped"); the
 * others need not be written. Each range carries the SHA-256 of its bytes
 * (the last block only up to ImageSize), and the file carries the SHA-256
 * of itself computed with that value replaced by 64 ASCII '0's.
 *
 * This file is the codec: text <-> struct bmap, no I/O.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"

struct diag;

#define BMAP_BLOCK_SIZE 4096u
/* Limits on what a bmap file may claim (hostile input). */
#define BMAP_MAX_FILE (256u << 20)  /* bytes of XML */
#define BMAP_MAX_RANGES (16u << 20)
#define BMAP_MAX_DEPTH 16

struct bmap_range {
	uint64_t first, last; /* blocks, inclusive */
	bool has_cs;
	uint8_t cs[SHA256_LEN];
};

struct bmap {
	unsigned version_major, version_minor;
	uint64_t image_size;
	uint32_t block_size;
	uint64_t blocks_count, mapped_count;
	bool has_cs; /* ranges carry sha256 checksums */
	struct bmap_range *ranges; /* ascending, disjoint */
	size_t nranges, cap;
};

void bmap_init(struct bmap *m);
void bmap_release(struct bmap *m);

/* bmap_add_range - append blocks [first, last] (merging with an adjacent
 * previous range when neither has a checksum). Ranges must be added in
 * ascending order. 0, -EINVAL (out of order), -E2BIG or -ENOMEM. */
int bmap_add_range(struct bmap *m, uint64_t first, uint64_t last, const uint8_t *cs);

/* Byte extent of a range, the last block clipped to image_size. */
void bmap_range_bytes(const struct bmap *m, const struct bmap_range *r, uint64_t *ret_off,
		      uint64_t *ret_len);

/*
 * bmap_parse - read bmap XML @text (@len bytes, need not be terminated)
 * into @ret (initialised by the caller with bmap_init). Checks the
 * structure, every number, that ranges are ascending, disjoint and inside
 * the image, that they add up to MappedBlocksCount, and the
 * BmapFileChecksum. @name names the file in messages.
 * Returns 0, -EINVAL (malformed; the diag says where), -ENOTSUP (version
 * or checksum type kiln does not read), -EBADMSG (file checksum wrong),
 * -E2BIG or -ENOMEM.
 */
int bmap_parse(const char *text, size_t len, const char *name, struct bmap *ret,
	       struct diag *d);

/*
 * bmap_format - render @m as bmap 2.0 XML (with BmapFileChecksum) into a
 * malloc'd, NUL-terminated buffer. Deterministic: same map, same bytes.
 * Every range must carry a checksum. 0, -EINVAL or -ENOMEM.
 */
int bmap_format(const struct bmap *m, char **ret_text, size_t *ret_len);

#endif
