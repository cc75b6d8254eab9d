/* SPDX-License-Identifier: MIT */
/*
 * Release files and gpgv status lines (release.h). Both are input from
 * the network, so every field is bounded and checked.
 */
#include "pkg/release.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"

void release_release(struct release *r)
{
	for (unsigned i = 0; i < r->nfiles; i++)
		free(r->files[i].path);
	free(r->files);
	free(r->date);
	memset(r, 0, sizeof(*r));
}

const struct release_file *release_find(const struct release *r, const char *path)
{
	for (unsigned i = 0; i < r->nfiles; i++)
		if (!strcmp(r->files[i].path, path))
			return &r->files[i];
	return NULL;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * algorithm): timegm() would need a struct tm and the process TZ. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned dd)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int num(const char **p, unsigned digits_min, unsigned digits_max, unsigned *ret)
{
	unsigned v = 0, n = 0;

	while (**p >= '0' && **p <= '9' && n < digits_max) {
		v = v * 10 + (unsigned)(**p - '0');
		(*p)++;
		n++;
	}
	if (n < digits_min)
		return -EINVAL;
	*ret = v;
	return 0;
}

int release_parse_date(const char *s, int64_t *ret)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	unsigned day, year, hh, mm, ss, mon = 0;
	const char *p = s, *comma = strchr(s, ',');

	if (comma)
		p = comma + 1;
	while (*p == ' ')
		p++;
	if (num(&p, 1, 2, &day) || *p++ != ' ')
		return -EINVAL;
	for (unsigned i = 0; i < 12; i++)
		if (!strncmp(p, months + 3 * i, 3))
			mon = i + 1;
	if (!mon || p[3] != ' ')
		return -EINVAL;
	p += 4;
	if (num(&p, 4, 4, &year) || *p++ != ' ' || num(&p, 2, 2, &hh) || *p++ != ':' ||
	    num(&p, 2, 2, &mm) || *p++ != ':' || num(&p, 2, 2, &ss))
		return -EINVAL;
	while (*p == ' ')
		p++;
	/* apt accepts UTC only (GMT, UTC, Z or +0000 spelled out). */
	if (strcmp(p, "UTC") && strcmp(p, "GMT") && strcmp(p, "Z") && strcmp(p, "+0000"))
		return -EINVAL;
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return -EINVAL;
	*ret = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
	return 0;
}

static int parse_sha_line(const char *s, size_t n, struct release_file *f)
{
	char hex[65];
	const char *e = s + n, *p = s;
	uint64_t size = 0;

	while (p < e && *p == ' ')
		p++;
	if (e - p < 66 || p[64] != ' ')
		return -EINVAL;
	memcpy(hex, p, 64);
	hex[64] = 0;
	for (unsigned i = 0; i < 32; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		f->sha256[i] = (uint8_t)(hi << 4 | lo);
	}
	p += 64;
	while (p < e && *p == ' ')
		p++;
	if (p == e || *p < '0' || *p > '9')
		return -EINVAL;
	while (p < e && *p >= '0' && *p <= '9') {
		if (size > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		size = size * 10 + (uint64_t)(*p++ - '0');
	}
	if (p == e || *p != ' ')
		return -EINVAL;
	while (p < e && *p == ' ')
		p++;
	if (p == e || memchr(p, ' ', (size_t)(e - p)) || memchr(p, 0, (size_t)(e - p)) ||
	    e - p > 1024)
		return -EINVAL;
	if (!(f->path = strndup(p, (size_t)(e - p))))
		return -ENOMEM;
	f->size = size;
	return 0;
}

int release_parse(const char *buf, size_t len, const char *name, struct release *ret,
		  struct diag *d)
{
	struct release r = { .valid_until = -1 };
	const char *p = buf, *end = buf + len;
	unsigned line = 0, cap = 0;
	bool in_sha = false, have_valid = false;
	int err;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);
		line++;
		if (n && p[n - 1] == '\r')
			n--;
		if (memchr(p, 0, n)) {
			err = diag_fail(d, -EINVAL, "%s:%u: NUL byte", name, line);
			goto fail;
		}
		if (n && (*p == ' ' || *p == '\t')) {
			if (in_sha) {
				if (r.nfiles >= RELEASE_MAX_FILES) {
					err = diag_fail(d, -E2BIG, "%s: more than %u files", name,
							RELEASE_MAX_FILES);
					goto fail;
				}
				if (r.nfiles == cap) {
					cap = cap ? cap * 2 : 64;
					void *nv = realloc(r.files, cap * sizeof(*r.files));
					if (!nv) {
						err = diag_fail(d, -ENOMEM, "out of memory");
						goto fail;
					}
					r.files = nv;
				}
				struct release_file *f = &r.files[r.nfiles];
				memset(f, 0, sizeof(*f));
				err = parse_sha_line(p, n, f);
				if (err == -ENOMEM) {
					err = diag_fail(d, err, "out of memory");
					goto fail;
				}
				if (err) {
					err = diag_fail(d, err, "%s:%u: malformed SHA256 entry "
							"(expected HASH SIZE PATH)", name, line);
					goto fail;
				}
				r.nfiles++;
			}
		} else if (n) {
			const char *colon = memchr(p, ':', n);
			if (!colon) {
				err = diag_fail(d, -EINVAL, "%s:%u: expected \"Field: value\"", name,
						line);
				goto fail;
			}
			size_t kl = (size_t)(colon - p);
			const char *v = colon + 1;
			while (v < p + n && *v == ' ')
				v++;
			size_t vl = (size_t)(p + n - v);
			in_sha = kl == 6 && !strncmp(p, "SHA256", 6);
			if (kl == 4 && !strncmp(p, "Date", 4)) {
				free(r.date);
				if (!(r.date = strndup(v, vl))) {
					err = diag_fail(d, -ENOMEM, "out of memory");
					goto fail;
				}
				if (release_parse_date(r.date, &r.date_t)) {
					err = diag_fail(d, -EINVAL, "%s:%u: Date \"%s\": not an RFC 2822 "
							"UTC date", name, line, r.date);
					goto fail;
				}
			} else if (kl == 11 && !strncmp(p, "Valid-Until", 11)) {
				char tmp[128];
				snprintf(tmp, sizeof(tmp), "%.*s", (int)(vl < 127 ? vl : 127), v);
				if (release_parse_date(tmp, &r.valid_until)) {
					err = diag_fail(d, -EINVAL, "%s:%u: Valid-Until \"%s\": not an RFC "
							"2822 UTC date", name, line, tmp);
					goto fail;
				}
				have_valid = true;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (!r.date) {
		err = diag_fail(d, -EINVAL, "%s: no Date field", name);
		goto fail;
	}
	if (!have_valid)
		r.valid_until = -1;
	*ret = r;
	return 0;
fail:
	release_release(&r);
	return err;
}

/* Field @idx (0-based, after the keyword) of a status line, into @out. */
static void status_field(const char *s, size_t n, unsigned idx, char *out, size_t outsz)
{
	const char *p = s, *e = s + n;

	out[0] = 0;
	for (unsigned i = 0; i <= idx; i++) {
		while (p < e && *p != ' ')
			p++;
		while (p < e && *p == ' ')
			p++;
	}
	size_t k = 0;
	while (p < e && *p != ' ' && k + 1 < outsz)
		out[k++] = *p++;
	out[k] = 0;
}

int release_check_gpgv_status(const char *buf, size_t len, const char *keyring, struct diag *d)
{
	static const char pfx[] = "[GNUPG:] ";
	const char *p = buf, *end = buf + len;
	char goodkey[64] = "", validfpr[128] = "", why[256] = "", f[128];
	bool good = false, valid = false, weak = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);
		if (n > sizeof(pfx) - 1 && !memcmp(p, pfx, sizeof(pfx) - 1)) {
			const char *s = p + sizeof(pfx) - 1;
			size_t sn = n - (sizeof(pfx) - 1);
#define IS(kw) (sn >= sizeof(kw) - 1 && !memcmp(s, kw, sizeof(kw) - 1) && \
		(sn == sizeof(kw) - 1 || s[sizeof(kw) - 1] == ' '))
			if (IS("BADSIG")) {
				status_field(s, sn, 0, f, sizeof(f));
				return diag_fail(d, -EPERM, "BADSIG: the signature by key %s does not "
						 "match the data (modified, or not what was signed)", f);
			} else if (IS("GOODSIG")) {
				status_field(s, sn, 0, goodkey, sizeof(goodkey));
				good = true;
			} else if (IS("VALIDSIG")) {
				/* VALIDSIG fpr date ts expire ver reserved pkalgo hashalgo ... */
				status_field(s, sn, 0, f, sizeof(f));
				char algo[16];
				status_field(s, sn, 7, algo, sizeof(algo));
				/* MD5 (1), SHA1 (2) and RIPEMD160 (3) are weak for apt. */
				if (!strcmp(algo, "1") || !strcmp(algo, "2") || !strcmp(algo, "3")) {
					weak = true;
					snprintf(why, sizeof(why), "signature by %s uses a weak digest "
						 "algorithm (%s)", f, algo);
				} else {
					valid = true;
					snprintf(validfpr, sizeof(validfpr), "%s", f);
				}
			} else if (IS("EXPKEYSIG") || IS("REVKEYSIG") || IS("EXPSIG")) {
				char kw[16];
				status_field(s, sn, 0, f, sizeof(f));
				size_t kl = 0;
				while (kl < sn && s[kl] != ' ')
					kl++;
				snprintf(kw, sizeof(kw), "%.*s", (int)kl, s);
				snprintf(why, sizeof(why), "%s: signed by key %s, which is %s", kw, f,
					 kw[0] == 'R' ? "revoked" : kw[3] == 'K' ? "expired" :
					 "an expired signature");
			} else if (IS("NO_PUBKEY")) {
				status_field(s, sn, 0, f, sizeof(f));
				snprintf(why, sizeof(why), "NO_PUBKEY %s: the signing key is not in "
					 "the keyring %s", f, keyring);
			} else if (IS("ERRSIG") && !why[0]) {
				status_field(s, sn, 0, f, sizeof(f));
				snprintf(why, sizeof(why), "ERRSIG: the signature by key %s cannot be "
					 "checked", f);
			}
#undef IS
		}
		p = nl ? nl + 1 : end;
	}
	if (good && valid)
		return 0;
	if (why[0])
		return diag_fail(d, -EPERM, "%s", why);
	if (weak)
		return diag_fail(d, -EPERM, "weak digest");
	return diag_fail(d, -EPERM, "no valid signature (gpgv reported no good signature)");
}
