/* SPDX-License-Identifier: MIT */
#ifndef KILN_BASE_SIZE_H
#define KILN_BASE_SIZE_H

/*
 * Sizes as genimage writes them: a decimal or 0x-hex integer, optionally
 * followed by one suffix: s (512-byte sectors), k/K, M, G, T (powers of
 * 1024), or % (of the enclosing image, resolved by the caller).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;

struct size_spec {
	uint64_t bytes;   /* value in bytes (when !percent) */
	unsigned percent; /* 0..100 when percent (more with SIZE_PERCENT_ANY) */
	bool percent_set;
	bool sloppy_b;    /* had genimage's tolerated trailing 'B' ("1MB") */
};

#define SIZE_ALLOW_PERCENT 1u
#define SIZE_ALLOW_SLOPPY_B 1u << 1 /* genimage mode: "1MB" == 1 MiB */
#define SIZE_PERCENT_ANY (1u << 2)   /* with ALLOW_PERCENT: above 100% too */

/*
 * size_parse - parse @s into @ret.
 * Returns 0, or -EINVAL (malformed; diag names the value and why),
 * -ERANGE (does not fit 64 bits).
 */
int size_parse(const char *s, unsigned flags, struct size_spec *ret, struct diag *d);

/*
 * num_parse - a plain decimal number (digits only, as a tool's option
 * takes it: no sign, suffix or space) no larger than @max. 0 or -EINVAL.
 */
int num_parse(const char *s, uint64_t max, uint64_t *ret);

/* Format @v compactly for humans ("4 GiB", "1536 KiB", "4097 B"). */
void size_format(uint64_t v, char *out, unsigned outlen);
/* size_human - @v as a magnitude for people to read ("1.50 GiB", "512
 * bytes"), in integer arithmetic, so the text is locale-free. Unlike
 * size_format() it rounds: not for values a config must read back. */
void size_human(uint64_t v, char *out, size_t size);

#endif
