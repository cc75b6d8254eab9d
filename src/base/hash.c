/* SPDX-License-Identifier: MIT */
#include "base/hash.h"

#include <errno.h>
#include <pthread.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	/* zlib's crc32 takes uInt lengths: feed it in chunks. */
	while (len) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
		crc = (uint32_t)crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}

/* Slicing-by-8 table, built once (pthread_once: ext4 images written by
 * several threads all compute checksums). */
static uint32_t crc32c_tab[8][256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
		crc32c_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc32c_tab[t][i] = (crc32c_tab[t - 1][i] >> 8) ^
					   crc32c_tab[0][crc32c_tab[t - 1][i] & 0xff];
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p,
							    size_t len)
{
	uint64_t c = crc;

	while (len >= 8) {
		uint64_t v;
		__builtin_memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (uint32_t)c;
}

static int sse42;
static pthread_once_t sse42_once = PTHREAD_ONCE_INIT;

static void sse42_init(void)
{
	unsigned a, b, c, d;

	sse42 = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2);
}

static int have_sse42(void)
{
	pthread_once(&sse42_once, sse42_init);
	return sse42;
}
#endif

uint32_t crc32c_raw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

#if defined(__x86_64__) && defined(__GNUC__)
	if (have_sse42())
		return crc32c_hw(crc, p, len);
#endif
	pthread_once(&crc32c_once, crc32c_init);
	while (len >= 8) {
		uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
				     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		crc = crc32c_tab[7][lo & 0xff] ^ crc32c_tab[6][(lo >> 8) & 0xff] ^
		      crc32c_tab[5][(lo >> 16) & 0xff] ^ crc32c_tab[4][lo >> 24] ^
		      crc32c_tab[3][p[4]] ^ crc32c_tab[2][p[5]] ^ crc32c_tab[1][p[6]] ^
		      crc32c_tab[0][p[7]];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc32c_tab[0][(crc ^ *p++) & 0xff];
	return crc;
}

int sha256_init(struct sha256_ctx *c)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();

	if (!m)
		return -ENOMEM;
	if (EVP_DigestInit_ex(m, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(m);
		return -EIO;
	}
	c->md = m;
	return 0;
}

int sha256_update(struct sha256_ctx *c, const void *buf, size_t len)
{
	return EVP_DigestUpdate(c->md, buf, len) == 1 ? 0 : -EIO;
}

int sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_LEN])
{
	unsigned n = 0;
	int r = EVP_DigestFinal_ex(c->md, out, &n) == 1 ? 0 : -EIO;

	sha256_release(c);
	return r;
}

void sha256_release(struct sha256_ctx *c)
{
	EVP_MD_CTX_free(c->md);
	c->md = NULL;
}

static int digest_buf(const EVP_MD *md, const void *buf, size_t len, uint8_t *out)
{
	unsigned n = 0;

	return EVP_Digest(buf, len, out, &n, md, NULL) == 1 ? 0 : -EIO;
}

int sha256_buf(const void *buf, size_t len, uint8_t out[SHA256_LEN])
{
	return digest_buf(EVP_sha256(), buf, len, out);
}

int sha1_buf(const void *buf, size_t len, uint8_t out[SHA1_LEN])
{
	return digest_buf(EVP_sha1(), buf, len, out);
}

int hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		uint8_t out[SHA256_LEN])
{
	unsigned n = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &n))
		return -EIO;
	return 0;
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * len] = 0;
}
