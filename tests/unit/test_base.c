/* SPDX-License-Identifier: MIT */
/* Unit tests: size parsing, id derivation, UUIDs, checksums. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/checked.h"
#include "base/diag.h"
#include "base/endian.h"
#include "base/hash.h"
#include "base/ids.h"
#include "base/size.h"
#include "t.h"

static void test_size(void)
{
	struct size_spec s;
	struct diag d = { 0 };

	CHECK(size_parse("1234", 0, &s, NULL) == 0 && s.bytes == 1234);
	CHECK(size_parse("0x10", 0, &s, NULL) == 0 && s.bytes == 16);
	CHECK(size_parse("4s", 0, &s, NULL) == 0 && s.bytes == 2048);
	CHECK(size_parse("3k", 0, &s, NULL) == 0 && s.bytes == 3072);
	CHECK(size_parse("3K", 0, &s, NULL) == 0 && s.bytes == 3072);
	CHECK(size_parse("2M", 0, &s, NULL) == 0 && s.bytes == 2u << 20);
	CHECK(size_parse("1G", 0, &s, NULL) == 0 && s.bytes == 1u << 30);
	CHECK(size_parse("2T", 0, &s, NULL) == 0 && s.bytes == 2ull << 40);
	CHECK(size_parse("0x8000k", 0, &s, NULL) == 0 && s.bytes == 0x8000ull << 10);
	CHECK(size_parse("50%", SIZE_ALLOW_PERCENT, &s, NULL) == 0 && s.percent_set &&
	      s.percent == 50);
	CHECK(size_parse("50%", 0, &s, NULL) == -EINVAL);
	CHECK(size_parse("101%", SIZE_ALLOW_PERCENT, &s, NULL) == -EINVAL);
	CHECK(size_parse("12Q", 0, &s, &d) == -EINVAL);
	CHECK(strstr(d.msg, "12Q") && strstr(d.msg, "'Q'"));
	CHECK(size_parse("", 0, &s, NULL) == -EINVAL);
	CHECK(size_parse("M", 0, &s, NULL) == -EINVAL);
	CHECK(size_parse("1MB", 0, &s, NULL) == -EINVAL);
	CHECK(size_parse("1MB", SIZE_ALLOW_SLOPPY_B, &s, NULL) == 0 && s.bytes == 1u << 20 &&
	      s.sloppy_b);
	CHECK(size_parse("1 M", 0, &s, NULL) == -EINVAL);
	CHECK(size_parse("99999999999999999999", 0, &s, NULL) == -ERANGE);
	CHECK(size_parse("17179869184T", 0, &s, NULL) == -ERANGE);
	char buf[32];
	size_format(4ull << 30, buf, sizeof(buf));
	CHECK_STR(buf, "4 GiB");
	size_format(1536 << 10, buf, sizeof(buf));
	CHECK_STR(buf, "1536 KiB");
	size_human(1023, buf, sizeof(buf));
	CHECK_STR(buf, "1023 bytes");
	size_human(1536ull << 20, buf, sizeof(buf));
	CHECK_STR(buf, "1.50 GiB");
	size_human(525088395, buf, sizeof(buf));
	CHECK_STR(buf, "500.76 MiB");
}

/* The growing buffer: past its first allocation, NUL-terminated, and
 * printf and raw bytes in one. */
static void test_buf(void)
{
	struct buf b = { 0 };
	char chunk[1000];

	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < 10; i++)
		buf_put(&b, chunk, sizeof(chunk));
	buf_printf(&b, "%s=%d", "n", 42);
	buf_put(&b, "\0z", 2);
	CHECK(!b.err);
	CHECK(b.len == 10000 + 4 + 2);
	CHECK(b.cap > b.len && b.p[b.len] == 0);
	CHECK(!memcmp(b.p + 9999, "xn=42", 5) && b.p[10004] == 0 && b.p[10005] == 'z');
	free(b.p);
	struct buf e = { 0 };
	buf_put(&e, "", 0);
	CHECK(!e.err && e.p && e.len == 0 && e.p[0] == 0);
	free(e.p);
}

static void test_checked(void)
{
	uint64_t v;

	CHECK(u64_add(UINT64_MAX, 1, &v) == -EOVERFLOW);
	CHECK(u64_mul(1ull << 33, 1ull << 33, &v) == -EOVERFLOW);
	CHECK(u64_roundup(1, 512, &v) == 0 && v == 512);
	CHECK(u64_roundup(1024, 512, &v) == 0 && v == 1024);
	CHECK(u64_roundup(UINT64_MAX, 512, &v) == -EOVERFLOW);
}

static void test_crc(void)
{
	/* Standard check values for "123456789". */
	CHECK_EQ_U64(crc32_ieee(0, "123456789", 9), 0xCBF43926);
	CHECK_EQ_U64(~crc32c_raw(~0u, "123456789", 9), 0xE3069283);
	/* Chaining equals one pass. */
	CHECK_EQ_U64(crc32c_raw(crc32c_raw(~0u, "1234", 4), "56789", 5), crc32c_raw(~0u, "123456789", 9));
	uint8_t big[1000];
	for (int i = 0; i < 1000; i++)
		big[i] = (uint8_t)(i * 7);
	CHECK_EQ_U64(crc32c_raw(crc32c_raw(~0u, big, 333), big + 333, 667), crc32c_raw(~0u, big, 1000));
}

static void test_sha(void)
{
	uint8_t out[32];
	char hex[65];

	sha256_buf("abc", 3, out);
	hex_encode(out, 32, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* RFC 4231 test case 2. */
	hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, out);
	hex_encode(out, 32, hex);
	CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_ids(void)
{
	struct seed s1, s2;
	struct uuid u1, u2, u3;
	char str[37];

	seed_from_string(&s1, "kiln");
	seed_from_string(&s2, "kiln");
	uuid_derive(&s1, "gpt-disk", 0, &u1);
	uuid_derive(&s2, "gpt-disk", 0, &u2);
	uuid_derive(&s1, "gpt-disk", 1, &u3);
	CHECK(!memcmp(&u1, &u2, 16));
	CHECK(memcmp(&u1, &u3, 16));
	CHECK((u1.b[6] >> 4) == 4 && (u1.b[8] & 0xc0) == 0x80);
	/* The formula is documented: HMAC(seed, purpose || 0 || be32(index)). */
	uint8_t msg[] = { 'g', 'p', 't', '-', 'd', 'i', 's', 'k', 0, 0, 0, 0, 1 }, mac[32];
	hmac_sha256(s1.b, 32, msg, sizeof(msg), mac);
	mac[6] = (mac[6] & 0x0f) | 0x40;
	mac[8] = (mac[8] & 0x3f) | 0x80;
	CHECK(!memcmp(mac, u3.b, 16));

	CHECK(uuid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", &u1) == 0);
	uuid_format(&u1, str);
	CHECK_STR(str, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
	uint8_t g[16];
	uuid_to_guid(&u1, g);
	CHECK(g[0] == 0x28 && g[1] == 0x73 && g[2] == 0x2a && g[3] == 0xc1 && g[4] == 0x1f &&
	      g[5] == 0xf8 && g[6] == 0xd2 && g[7] == 0x11 && g[8] == 0xba);
	guid_to_uuid(g, &u2);
	CHECK(!memcmp(&u1, &u2, 16));
	CHECK(uuid_parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93", &u1) == -EINVAL);
	CHECK(uuid_parse("c12a7328xf81f-11d2-ba4b-00a0c93ec93b", &u1) == -EINVAL);
	CHECK(uuid_parse("g12a7328-f81f-11d2-ba4b-00a0c93ec93b", &u1) == -EINVAL);
}

static void test_endian(void)
{
	uint8_t b[8];

	put_le32(b, 0x11223344);
	CHECK(b[0] == 0x44 && b[3] == 0x11 && get_le32(b) == 0x11223344);
	put_be32(b, 0x11223344);
	CHECK(b[0] == 0x11 && get_be32(b) == 0x11223344);
	put_le64(b, 0x0102030405060708ull);
	CHECK(b[0] == 8 && b[7] == 1 && get_le64(b) == 0x0102030405060708ull);
	put_be64(b, 0x0102030405060708ull);
	CHECK(b[0] == 1 && get_be64(b) == 0x0102030405060708ull);
}

/* Context goes after a leading FILE:LINE, else first. */
static void test_diag_context(void)
{
	struct diag d = { 0 };

	diag_fail(&d, -EINVAL, "a.cfg:12: size = \"1Q\": bad");
	CHECK(diag_context(&d, "image '%s'", "x") == 1);
	CHECK_STR(d.msg, "a.cfg:12: image 'x': size = \"1Q\": bad");
	diag_clear(&d);
	diag_fail(&d, -ENOENT, "input file in/a: No such file");
	CHECK(diag_context(&d, "image '%s'", "x") == 0);
	CHECK_STR(d.msg, "image 'x': input file in/a: No such file");
	diag_clear(&d);
	diag_fail(&d, -EINVAL, "x:y: z");
	diag_context(&d, "tree 't'");
	CHECK_STR(d.msg, "tree 't': x:y: z");
	diag_clear(&d);
	CHECK(diag_context(&d, "image 'x'") == 0 && !d.msg[0]);
}

int main(void)
{
	T_RUN(test_size);
	T_RUN(test_buf);
	T_RUN(test_checked);
	T_RUN(test_crc);
	T_RUN(test_sha);
	T_RUN(test_ids);
	T_RUN(test_endian);
	T_RUN(test_diag_context);
	return T_DONE();
}
