/* SPDX-License-Identifier: MIT */
#ifndef KILN_BASE_IDS_H
#define KILN_BASE_IDS_H

/*
 * Reproducible identifiers. Every id kiln invents is
 *
 *     HMAC-SHA256(key = seed, msg = purpose || 0x00 || index as u32 BE)
 *
 * truncated to the size needed (docs/reproducibility.md). The seed is
 * 32 bytes: --seed/`seed` hashed with SHA-256, or, without one,
 * SHA-256("kiln-image:" || image name).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEED_LEN 32

struct seed {
	uint8_t b[SEED_LEN];
};

/* Seed from a user string (--seed, `seed =`). */
void seed_from_string(struct seed *ret, const char *s);
/* Default seed of an image that has no explicit one. */
void seed_from_image_name(struct seed *ret, const char *name);

/* Fill @out with @len (≤ 32) bytes derived for (@purpose, @index). */
void id_derive(const struct seed *s, const char *purpose, uint32_t index, void *out, size_t len);

/* A 16-byte UUID in RFC 4122 byte order (version 4, variant 1 bits set). */
struct uuid {
	uint8_t b[16];
};
void uuid_derive(const struct seed *s, const char *purpose, uint32_t index, struct uuid *ret);

/* Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (case-insensitive).
 * Returns 0 or -EINVAL. */
int uuid_parse(const char *str, struct uuid *ret);
/* Format lowercase into @out (37 bytes). */
void uuid_format(const struct uuid *u, char out[37]);
/* GPT stores the first three fields little-endian ("mixed endian"). */
void uuid_to_guid(const struct uuid *u, uint8_t out[16]);
void guid_to_uuid(const uint8_t in[16], struct uuid *ret);
bool uuid_is_null(const struct uuid *u);

#endif
