/* SPDX-License-Identifier: MIT */
#ifndef KILN_BASE_HASH_H
#define KILN_BASE_HASH_H

/* Checksums and digests used by the on-disk formats. */

#include <stddef.h>
#include <stdint.h>

/* crc32 - zlib/IEEE CRC-32 (MBR-less: GPT, U-Boot env, FIT, gzip).
 * Start with crc = 0; chain by passing the previous result. */
uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len);

/* crc32c - Castagnoli CRC as ext4 and jbd2 use it: the raw register,
 * no final inversion (ext4 seeds with ~0 and stores the result as is). */
uint32_t crc32c_raw(uint32_t crc, const void *buf, size_t len);

#define SHA256_LEN 32
#define SHA1_LEN 20

struct sha256_ctx {
	void *md; /* EVP_MD_CTX */
};

/* Streaming SHA-256 through libcrypto. Each returns 0 or -ENOMEM/-EIO. */
int sha256_init(struct sha256_ctx *c);
int sha256_update(struct sha256_ctx *c, const void *buf, size_t len);
int sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_LEN]);
void sha256_release(struct sha256_ctx *c);
int sha256_buf(const void *buf, size_t len, uint8_t out[SHA256_LEN]);
int sha1_buf(const void *buf, size_t len, uint8_t out[SHA1_LEN]);

/* HMAC-SHA256 of @msg under @key. 0 or -EIO. */
int hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		uint8_t out[SHA256_LEN]);

/* Value of hex digit @c (either case), or -1. */
int hex_digit(int c);

/* hex_decode - the @len hex digits at @s (either case, no terminator
 * needed) into @n bytes at @out. 0, or -EINVAL unless @len is 2*@n and
 * all are hex digits. */
int hex_decode(const char *s, size_t len, uint8_t *out, size_t n);

/* Lowercase hex of @len bytes into @out (2*len+1 bytes). */
void hex_encode(const uint8_t *in, size_t len, char *out);

#endif
