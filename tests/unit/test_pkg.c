/* SPDX-License-Identifier: MIT */
/* Unit tests: Release dates and fields, gpgv verdicts with apt's rules,
 * kiln.lock text (round trip, strictness), the request hash. */
#include <errno.h>
#include <string.h>
#include <stdlib.h>

#include "base/diag.h"
#include "pkg/pkg.h"
#include "pkg/release.h"
#include "t.h"

static void test_dates(void)
{
	int64_t t;

	CHECK(release_parse_date("Thu, 01 Jan 1970 00:00:00 UTC", &t) == 0 && t == 0);
	CHECK(release_parse_date("Sat, 10 Jun 2023 08:53:31 UTC", &t) == 0 && t == 1686387211);
	CHECK(release_parse_date("Sat, 10 Jun 2023 08:53:31 +0000", &t) == 0 && t == 1686387211);
	CHECK(release_parse_date("Tue, 29 Feb 2028 23:59:59 GMT", &t) == 0 && t == 1835481599);
	CHECK(release_parse_date("Sat, 10 Jun 2023 08:53:31 +0200", &t) == -EINVAL);
	CHECK(release_parse_date("Sat, 10 Juni 2023 08:53:31 UTC", &t) == -EINVAL);
	CHECK(release_parse_date("Sat, 10 Jun 2023 24:00:00 UTC", &t) == -EINVAL);
	CHECK(release_parse_date("", &t) == -EINVAL);
}

static void test_release(void)
{
	static const char rel[] =
		"Origin: Debian\nDate: Sat, 10 Jun 2023 08:53:31 UTC\n"
		"Valid-Until: Sat, 17 Jun 2023 08:53:31 UTC\nMD5Sum:\n"
		" 0123456789abcdef0123456789abcdef 5 main/binary-arm64/Packages\nSHA256:\n"
		" 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  1234 "
		"main/binary-arm64/Packages.xz\nAcquire-By-Hash: yes\n";
	struct release r;
	struct diag d = { 0 };

	CHECK(release_parse(rel, strlen(rel), "R", &r, &d) == 0);
	CHECK(r.nfiles == 1); /* MD5Sum entries are not trusted, not kept */
	CHECK(r.valid_until == 1686387211 + 7 * 86400);
	const struct release_file *f = release_find(&r, "main/binary-arm64/Packages.xz");
	CHECK(f && f->size == 1234 && f->sha256[0] == 0x01 && f->sha256[31] == 0xef);
	CHECK(!release_find(&r, "main/binary-arm64/Packages"));
	release_release(&r);
	static const char nodate[] = "Origin: x\n";
	CHECK(release_parse(nodate, strlen(nodate), "R", &r, &d) == -EINVAL);
	CHECK(strstr(d.msg, "no Date") != NULL);
	diag_clear(&d);
	static const char badsha[] = "Date: Sat, 10 Jun 2023 08:53:31 UTC\nSHA256:\n xyz 1 a\n";
	CHECK(release_parse(badsha, strlen(badsha), "R", &r, &d) == -EINVAL);
	CHECK(strstr(d.msg, "R:3: malformed SHA256") != NULL);
}

#define GOOD "[GNUPG:] GOODSIG 5F3F8F287FC8CA5D kiln <k@x>\n"
#define VALID(algo) "[GNUPG:] VALIDSIG FFD1 2026-12-04 1796417232 0 4 0 1 " algo " 01 FFD1\n"

static int verdict(const char *status, const char *want)
{
	struct diag d = { 0 };
	int r = release_check_gpgv_status(status, strlen(status), "K", &d);
	if (want && (!r || !strstr(d.msg, want)))
		return 0;
	return want ? 1 : r == 0;
}

static void test_gpgv_status(void)
{
	CHECK(verdict(GOOD VALID("10"), NULL));
	CHECK(verdict(GOOD VALID("8"), NULL));
	/* apt's rules: weak digests, bad, expired, revoked, unknown keys */
	CHECK(verdict(GOOD VALID("2"), "weak digest algorithm (2)"));
	CHECK(verdict(GOOD VALID("1"), "weak digest"));
	CHECK(verdict(GOOD VALID("10") "[GNUPG:] BADSIG 1234 x\n", "BADSIG"));
	CHECK(verdict("[GNUPG:] EXPKEYSIG 1234 x\n" VALID("10"), "EXPKEYSIG: signed by key 1234, which is expired"));
	CHECK(verdict("[GNUPG:] REVKEYSIG 1234 x\n" VALID("10"), "which is revoked"));
	CHECK(verdict("[GNUPG:] ERRSIG 1234 1 10 01 1 9 -\n[GNUPG:] NO_PUBKEY 1234\n",
		      "NO_PUBKEY 1234: the signing key is not in the keyring K"));
	CHECK(verdict(GOOD, "no valid signature"));
	CHECK(verdict("", "no valid signature"));
	/* A GOODSIG keyword inside another line does not count. */
	CHECK(verdict("[GNUPG:] NOTATION_DATA GOODSIG\n" VALID("10"), "no valid signature"));
}

static void test_lock_text(void)
{
	static const char text[] =
		"kiln-lock 1\n"
		"request 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		"repository debian http://x/debian\n"
		"release 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff "
		"Sat, 10 Jun 2023 08:53:31 UTC\n"
		"layer 2 my tree\n"
		"package a 1:2.0-1 arm64 debian 42 "
		"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100 pool/a.deb\n";
	struct pkg_lock l, l2;
	struct diag d = { 0 };
	char *out;
	size_t n;

	CHECK(pkg_lock_parse(text, strlen(text), "L", &l, &d) == 0);
	CHECK(l.nrepos == 1 && l.nlayers == 1 && l.layers[0].npkgs == 1);
	CHECK_STR(l.repos[0].date, "Sat, 10 Jun 2023 08:53:31 UTC");
	CHECK(pkg_lock_find_layer(&l, "my tree", 2) != NULL);
	CHECK(pkg_lock_find_layer(&l, "my tree", 1) == NULL);
	CHECK_STR(l.layers[0].pkgs[0].version, "1:2.0-1");
	CHECK(l.layers[0].pkgs[0].size == 42);
	CHECK(pkg_lock_format(&l, &out, &n) == 0);
	CHECK(strstr(out, text) != NULL); /* the same lines, after a comment */
	CHECK(pkg_lock_parse(out, n, "L", &l2, &d) == 0);
	pkg_lock_release(&l2);
	free(out);
	pkg_lock_release(&l);

	/* Strict: unknown repository, bad hash, missing release, "..". */
	const char *bad[] = {
		"kiln-lock 1\nrequest 00\n",
		"kiln-lock 2\n",
		"request 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
		"kiln-lock 1\nrequest 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		"repository r u\n",
		"kiln-lock 1\nrequest 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		"layer 1 t\npackage a 1 all nope 1 "
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef a.deb\n",
		"kiln-lock 1\nrequest 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		"repository r u\nrelease 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef D\n"
		"layer 1 t\npackage a 1 all r 1 "
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef ../a.deb\n",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		diag_clear(&d);
		CHECK(pkg_lock_parse(bad[i], strlen(bad[i]), "L", &l, &d) == -EINVAL);
		CHECK(strncmp(d.msg, "L", 1) == 0);
	}
}

static void test_request_hash(void)
{
	const char *comps[] = { "main" }, *archs[] = { "arm64" }, *pk[] = { "a", "b" };
	struct pkg_repo repo = { .name = "debian", .url = "http://x", .suite = "bookworm",
				 .components = comps, .ncomponents = 1, .archs = archs,
				 .narchs = 1, .keyring = "/k", .cfgfile = "c", .line = 1 };
	struct pkg_layer_req lr = { .tree = "t", .index = 1, .packages = pk, .npackages = 2,
				    .cfgfile = "c", .line = 2 };
	struct pkg_request req = { .repos = &repo, .nrepos = 1, .layers = &lr, .nlayers = 1 };
	uint8_t h1[SHA256_LEN], h2[SHA256_LEN];

	CHECK(pkg_request_hash(&req, h1) == 0);
	lr.line = 99; /* where it is written does not matter */
	CHECK(pkg_request_hash(&req, h2) == 0 && !memcmp(h1, h2, SHA256_LEN));
	lr.recommends = true;
	CHECK(pkg_request_hash(&req, h2) == 0 && memcmp(h1, h2, SHA256_LEN));
	lr.recommends = false;
	lr.npackages = 1; /* {"a"} vs {"a","b"} and {"ab"} all differ */
	CHECK(pkg_request_hash(&req, h2) == 0 && memcmp(h1, h2, SHA256_LEN));
	lr.npackages = 2;
	repo.allow_expired = true;
	CHECK(pkg_request_hash(&req, h2) == 0 && memcmp(h1, h2, SHA256_LEN));
}

int main(void)
{
	T_RUN(test_dates);
	T_RUN(test_release);
	T_RUN(test_gpgv_status);
	T_RUN(test_lock_text);
	T_RUN(test_request_hash);
	return T_DONE();
}
