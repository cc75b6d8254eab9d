/* SPDX-License-Identifier: MIT */
/* Fuzz target: the dm-verity superblock decoder and the root hash from a
 * hash device's top-level block, the tree check (what `kiln inspect` reads). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/verity/verity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verity_params p;
	struct verity_geom g;
	uint8_t root[VERITY_DIGEST];
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	unsigned level;
	uint64_t blk;

	if (verity_root_from_tree(buf, size, &p, root) != -EINVAL || !verity_sb_decode(buf, size, &p))
		(void)verity_geometry(&p, &g);
	(void)verity_check_tree(buf, size, &level, &blk);
	free(buf);
	return 0;
}
