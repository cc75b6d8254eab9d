/* SPDX-License-Identifier: MIT */
#include "base/size.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/checked.h"
#include "base/diag.h"

int size_parse(const char *s, unsigned flags, struct size_spec *ret, struct diag *d)
{
	struct size_spec r = { 0 };
	const char *p = s;
	uint64_t v = 0, mult = 1;
	int base = 10, ndig = 0;

	if (!s)
		return diag_fail(d, -EINVAL, "size: missing value");
	while (isspace((unsigned char)*p))
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		int dv;
		if (isdigit((unsigned char)*p))
			dv = *p - '0';
		else if (base == 16 && isxdigit((unsigned char)*p))
			dv = tolower((unsigned char)*p) - 'a' + 10;
		else
			break;
		if (u64_mul(v, (uint64_t)base, &v) || u64_add(v, (uint64_t)dv, &v))
			return diag_fail(d, -ERANGE, "size \"%s\": too large", s);
		ndig++;
	}
	if (!ndig)
		return diag_fail(d, -EINVAL, "size \"%s\": not a number", s);
	switch (*p) {
	case 0:
		break;
	case 's':
		mult = 512;
		p++;
		break;
	case 'k':
	case 'K':
		mult = 1ull << 10;
		p++;
		break;
	case 'M':
		mult = 1ull << 20;
		p++;
		break;
	case 'G':
		mult = 1ull << 30;
		p++;
		break;
	case 'T':
		mult = 1ull << 40;
		p++;
		break;
	case '%':
		if (!(flags & SIZE_ALLOW_PERCENT))
			return diag_fail(d, -EINVAL, "size \"%s\": '%%' is not allowed here", s);
		if (v > (flags & SIZE_PERCENT_ANY ? 100000 : 100))
			return diag_fail(d, -EINVAL, "size \"%s\": more than 100%%", s);
		r.percent = (unsigned)v;
		r.percent_set = true;
		p++;
		break;
	default:
		return diag_fail(d, -EINVAL, "size \"%s\": unknown suffix '%c'", s, *p);
	}
	/* genimage's parser ignores whatever follows the suffix, so
	 * "1MB" means 1 MiB there. Tolerate exactly that, when asked. */
	if (*p == 'B' && mult > 512 && (flags & SIZE_ALLOW_SLOPPY_B)) {
		r.sloppy_b = true;
		p++;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		return diag_fail(d, -EINVAL, "size \"%s\": unexpected \"%s\" after the number", s,
				 p);
	if (!r.percent_set && u64_mul(v, mult, &r.bytes))
		return diag_fail(d, -ERANGE, "size \"%s\": too large", s);
	*ret = r;
	return 0;
}

void size_format(uint64_t v, char *out, unsigned outlen)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (u < 4 && v && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	snprintf(out, outlen, "%llu %s", (unsigned long long)v, units[u]);
}

void size_human(uint64_t v, char *out, size_t size)
{
	static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	uint64_t whole = v, frac = 0;

	while (whole >= 1024 && u < 6) {
		frac = (whole % 1024) * 100 / 1024;
		whole /= 1024;
		u++;
	}
	if (!u)
		snprintf(out, size, "%" PRIu64 " bytes", v);
	else
		snprintf(out, size, "%" PRIu64 ".%02" PRIu64 " %s", whole, frac, unit[u]);
}

int num_parse(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || v > (max - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return 0;
}
