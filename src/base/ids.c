/* SPDX-License-Identifier: MIT */
#include "base/ids.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/endian.h"
#include "base/hash.h"

void seed_from_string(struct seed *ret, const char *s)
{
	sha256_buf(s, strlen(s), ret->b);
}

void seed_from_image_name(struct seed *ret, const char *name)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "kiln-image:%s", name);
	sha256_buf(buf, strlen(buf), ret->b);
}

void id_derive(const struct seed *s, const char *purpose, uint32_t index, void *out, size_t len)
{
	uint8_t msg[256 + 5], mac[SHA256_LEN];
	size_t n = strlen(purpose);

	if (n > 256)
		n = 256;
	memcpy(msg, purpose, n);
	msg[n] = 0;
	put_be32(msg + n + 1, index);
	hmac_sha256(s->b, SEED_LEN, msg, n + 5, mac);
	if (len > SHA256_LEN)
		len = SHA256_LEN;
	memcpy(out, mac, len);
}

void uuid_derive(const struct seed *s, const char *purpose, uint32_t index, struct uuid *ret)
{
	id_derive(s, purpose, index, ret->b, 16);
	ret->b[6] = (ret->b[6] & 0x0f) | 0x40;
	ret->b[8] = (ret->b[8] & 0x3f) | 0x80;
}

int uuid_parse(const char *str, struct uuid *ret)
{
	struct uuid u;
	size_t j = 0;

	if (strlen(str) != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (str[i] != '-')
				return -EINVAL;
			continue;
		}
		int h = hex_digit((unsigned char)str[i]), l = hex_digit((unsigned char)str[i + 1]);
		if (h < 0 || l < 0)
			return -EINVAL;
		u.b[j++] = (uint8_t)(h << 4 | l);
		i++;
	}
	*ret = u;
	return 0;
}

void uuid_format(const struct uuid *u, char out[37])
{
	const uint8_t *b = u->b;

	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

void uuid_to_guid(const struct uuid *u, uint8_t out[16])
{
	const uint8_t *b = u->b;
	uint8_t t[16] = { b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6] };

	memcpy(t + 8, b + 8, 8);
	memcpy(out, t, 16);
}

void guid_to_uuid(const uint8_t in[16], struct uuid *ret)
{
	/* The byte swap is its own inverse. */
	struct uuid t;

	memcpy(t.b, in, 16);
	uuid_to_guid(&t, ret->b);
}

bool uuid_is_null(const struct uuid *u)
{
	for (int i = 0; i < 16; i++)
		if (u->b[i])
			return false;
	return true;
}
