/* SPDX-License-Identifier: MIT */
#ifndef KILN_BASE_CHECKED_H
#define KILN_BASE_CHECKED_H

/* Checked u64 arithmetic: sizes and offsets come from users and from
 * images being inspected, so every sum that can overflow is checked. */

#include <errno.h>
#include <stdint.h>

static inline int u64_add(uint64_t a, uint64_t b, uint64_t *ret)
{
	if (a + b < a)
		return -EOVERFLOW;
	*ret = a + b;
	return 0;
}

static inline int u64_mul(uint64_t a, uint64_t b, uint64_t *ret)
{
	if (a && b > UINT64_MAX / a)
		return -EOVERFLOW;
	*ret = a * b;
	return 0;
}

/* Round @v up to a multiple of @align (align 0 or 1: unchanged). */
static inline int u64_roundup(uint64_t v, uint64_t align, uint64_t *ret)
{
	uint64_t r;

	if (align <= 1) {
		*ret = v;
		return 0;
	}
	r = v % align;
	if (!r) {
		*ret = v;
		return 0;
	}
	return u64_add(v, align - r, ret);
}

static inline uint64_t u64_div_roundup(uint64_t v, uint64_t d)
{
	return v / d + (v % d != 0);
}

#endif
