/* SPDX-License-Identifier: MIT */
#include "base/genimage-random.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

uint32_t gi_random_next(struct gi_random *g)
{
	uint32_t t = g->lane[4];
	uint32_t s = g->lane[0];

	memmove(&g->lane[1], &g->lane[0], 4 * sizeof(g->lane[0]));
	t ^= t >> 2;
	t ^= t << 1;
	t ^= s ^ (s << 4);
	g->lane[0] = t;
	g->weyl += 0x587c5;
	return t + g->weyl;
}

void gi_random_seed(struct gi_random *g, const char *seed)
{
	static const uint32_t keep[5] = { 0x0fffffff, 0xff0fffff, 0xfff00fff, 0xfffff0ff,
					  0xfffffff0 };
	uint32_t c = crc32_ieee(0, seed, strnlen(seed, 4096));

	g->weyl = c;
	for (int i = 0; i < 5; i++)
		g->lane[i] = (uint32_t)(i + 1) + (c & keep[i]);
	for (int i = 0; i < 8; i++)
		gi_random_next(g);
}

/* Two characters read as hex the way strtoul(s, NULL, 16) reads them. */
static uint8_t hex2(const char *s)
{
	char b[3] = { s[0], s[1], 0 };

	return (uint8_t)strtoul(b, NULL, 16);
}

void gi_random_uuid(struct gi_random *g, struct uuid *ret)
{
	/* Text offsets of the 16 bytes as genimage reads them, RFC order. */
	static const uint8_t at[16] = { 0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34 };
	uint32_t v[8];
	char s[8 * 11 + 4 + 1];

	/* genimage draws the 8 values as arguments of one call, which GCC
	 * evaluates last to first; its test suite's golden image
	 * (test/randomseed.expected) confirms that order. */
	for (int i = 0; i < 8; i++)
		v[7 - i] = gi_random_next(g);
	snprintf(s, sizeof(s), "%04ux%04ux-%04ux-%04ux-%04ux-%04ux%04ux%04ux", v[0] & 0xffff,
		 v[1] & 0xffff, v[2] & 0xffff, (v[3] & 0x0fff) | 0x4000, (v[4] & 0x3fff) | 0x8000,
		 v[5] & 0xffff, v[6] & 0xffff, v[7] & 0xffff);
	for (int i = 0; i < 16; i++)
		ret->b[i] = hex2(s + at[i]);
}
