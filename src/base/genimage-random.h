/* SPDX-License-Identifier: MIT */
#ifndef KILN_BASE_GENIMAGE_RANDOM_H
#define KILN_BASE_GENIMAGE_RANDOM_H

/*
 * genimage's seeded generator (`--randomseed`, `config { randomseed }`,
 * genimage >= 19), reproduced so that kiln invoked as genimage writes the
 * same ids genimage does for the same seed (docs/genimage-compat.md).
 *
 * The generator is Marsaglia's xorwow: five 32-bit lanes and a Weyl counter
 * stepping by 0x587c5, seeded from the CRC-32 of the seed string (at most
 * 4096 bytes), then stepped 8 times. Ids are taken from it in the order
 * genimage asks: per hdimage, the disk UUID (even for an MBR table), the
 * MBR signature if "random", then each GPT partition's UUID.
 */

#include <stddef.h>
#include <stdint.h>

#include "base/ids.h"

struct gi_random {
	uint32_t lane[5];
	uint32_t weyl;
};

/* Seed from @seed (the first 4096 bytes at most, as genimage reads it). */
void gi_random_seed(struct gi_random *g, const char *seed);

/* The next 32-bit value. */
uint32_t gi_random_next(struct gi_random *g);

/*
 * The UUID genimage makes from the next 8 values. genimage formats them as
 * "%04u"-style decimal groups each followed by a literal 'x' (its format
 * string has a stray 'x'), then reads that text back as hex at the fixed
 * positions of an 8-4-4-4-12 UUID; the bytes are whatever that yields,
 * which is not a version 4 UUID. Returns them in RFC 4122 order.
 */
void gi_random_uuid(struct gi_random *g, struct uuid *ret);

#endif
