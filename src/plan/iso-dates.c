/* SPDX-License-Identifier: MIT */
/* The build-time stamps of a genisoimage image set to the epoch (see iso-dates.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "io/patch.h"
#include "plan/iso-dates.h"

#define SECTOR 2048u
#define VD_FIRST 16u
#define VD_MAX 64u    /* descriptors looked at before giving up on a terminator */
#define CE_DEPTH 16u  /* continuation areas followed from one record */

/* ISO 9660 volume descriptor: type, "CD001"; dates (ECMA-119 8.4.26-29). */
#define VD_ROOT 156u
#define VD_CREATED 813u
#define VD_MODIFIED 830u
#define VD_EFFECTIVE 864u

/* Rock Ridge TF flags: which stamps follow, in bit order (bit 1: the
 * modification time); bit 7: the 17-byte form. */
#define TF_LONG 0x80u

struct dirext {
	uint32_t extent, size;
};

struct fix {
	struct patch_file p;
	int64_t epoch;
	uint8_t long_epoch[17];   /* the epoch as a volume descriptor date */
	struct dirext *stack;
	size_t n, cap;
	unsigned ndirs;
};

/* ISO 9660 dates: 7 bytes (years since 1900, month, day, h, m, s, offset
 * from UTC in 15-minute units) or 17 ("YYYYMMDDHHMMSScc", offset). */
static bool enc7(int64_t t, uint8_t *p)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || tm.tm_year < 0 || tm.tm_year > 255)
		return false;
	p[0] = (uint8_t)tm.tm_year;
	p[1] = (uint8_t)(tm.tm_mon + 1);
	p[2] = (uint8_t)tm.tm_mday;
	p[3] = (uint8_t)tm.tm_hour;
	p[4] = (uint8_t)tm.tm_min;
	p[5] = (uint8_t)tm.tm_sec;
	p[6] = 0;
	return true;
}

static int64_t dec7(const uint8_t *p)
{
	struct tm tm = { .tm_year = p[0], .tm_mon = p[1] - 1, .tm_mday = p[2],
			 .tm_hour = p[3], .tm_min = p[4], .tm_sec = p[5] };

	return (int64_t)timegm(&tm) - (int64_t)(int8_t)p[6] * 900;
}

static bool enc17(int64_t t, uint8_t *p)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[96];

	if (!gmtime_r(&tt, &tm) || tm.tm_year < -1899 || tm.tm_year > 8099)
		return false;
	snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02d00", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(p, s, 16);
	p[16] = 0;
	return true;
}

/* false: all zeros ("not specified") or not digits. */
static bool dec17(const uint8_t *p, int64_t *ret)
{
	int v[6], w[6] = { 4, 2, 2, 2, 2, 2 };
	const uint8_t *q = p;
	bool zero = true;

	for (int i = 0; i < 6; i++) {
		v[i] = 0;
		for (int k = 0; k < w[i]; k++, q++) {
			if (*q < '0' || *q > '9')
				return false;
			zero &= *q == '0';
			v[i] = v[i] * 10 + (*q - '0');
		}
	}
	if (zero)
		return false;
	struct tm tm = { .tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2],
			 .tm_hour = v[3], .tm_min = v[4], .tm_sec = v[5] };
	*ret = (int64_t)timegm(&tm) - (int64_t)(int8_t)p[16] * 900;
	return true;
}

/* A date of the tree is clamped to the epoch already; a later one is
 * the tool's clock. Written back in UTC: the tool writes local time
 * with its offset, which would make the bytes depend on TZ. */
static void clamp7(struct fix *f, uint8_t *p)
{
	int64_t t = dec7(p);

	enc7(t > f->epoch ? f->epoch : t, p);
}

static void clamp17(struct fix *f, uint8_t *p)
{
	int64_t t;

	if (dec17(p, &t))
		enc17(t > f->epoch ? f->epoch : t, p);
}

/* TF entry @e (@len bytes): every stamp but the modification time (the
 * host's atime and ctime of the materialised copy) becomes that time,
 * then all are clamped. */
static void fix_tf(struct fix *f, uint8_t *e, size_t len)
{
	unsigned flags = e[4], sz = flags & TF_LONG ? 17 : 7;
	uint8_t *at[7] = { 0 };
	size_t p = 5;

	for (unsigned bit = 0; bit < 7; bit++) {
		if (!(flags & 1u << bit))
			continue;
		if (p + sz > len)
			break;
		at[bit] = e + p;
		p += sz;
	}
	for (unsigned bit = 0; bit < 7; bit++) {
		if (!at[bit])
			continue;
		if (at[1] && bit != 1)
			memcpy(at[bit], at[1], sz);
		if (sz == 7)
			clamp7(f, at[bit]);
		else
			clamp17(f, at[bit]);
	}
}

static int fix_susp(struct fix *f, uint8_t *su, size_t len, unsigned depth);

/* A continuation area: read, fix, write back. */
static int fix_ce(struct fix *f, const uint8_t *e, unsigned depth)
{
	uint64_t off = (uint64_t)get_le32(e + 4) * SECTOR + get_le32(e + 12);
	uint32_t len = get_le32(e + 20);
	uint8_t *buf;
	int r;

	if (depth >= CE_DEPTH)
		return patch_bad(&f->p, "too many chained continuation areas", off);
	if (!len || len > SECTOR || off > f->p.size || len > f->p.size - off)
		return patch_bad(&f->p, "continuation area outside the image", off);
	buf = malloc(len);
	if (!buf)
		return diag_fail(f->p.d, -ENOMEM, "out of memory");
	r = patch_read(&f->p, buf, len, off);
	if (!r)
		r = fix_susp(f, buf, len, depth + 1);
	if (!r)
		r = patch_write(&f->p, buf, len, off);
	free(buf);
	return r;
}

/* System use entries (SUSP): 2-byte signature, length, version, data. */
static int fix_susp(struct fix *f, uint8_t *su, size_t len, unsigned depth)
{
	size_t i = 0;
	int r;

	while (i + 4 <= len) {
		size_t elen = su[i + 2];

		if (elen < 4 || i + elen > len)
			break;
		if (!memcmp(su + i, "ST", 2))
			break;
		if (!memcmp(su + i, "TF", 2) && elen >= 5)
			fix_tf(f, su + i, elen);
		if (!memcmp(su + i, "CE", 2) && elen >= 28) {
			r = fix_ce(f, su + i, depth);
			if (r)
				return r;
		}
		i += elen;
	}
	return 0;
}

static int push_dir(struct fix *f, const uint8_t *rec, uint64_t at)
{
	struct dirext x = { get_le32(rec + 2), get_le32(rec + 10) };

	if (x.size > f->p.size || (uint64_t)x.extent * SECTOR > f->p.size - x.size)
		return patch_bad(&f->p, "directory extent outside the image", at);
	if (++f->ndirs > ISO_DATES_MAX_DIRS)
		return patch_bad(&f->p, "too many directories", at);
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 64;
		struct dirext *s = realloc(f->stack, cap * sizeof(*s));

		if (!s)
			return diag_fail(f->p.d, -ENOMEM, "out of memory");
		f->stack = s;
		f->cap = cap;
	}
	f->stack[f->n++] = x;
	return 0;
}

/* One directory's records: their SUSP areas fixed, subdirectories pushed. */
static int fix_dir(struct fix *f, struct dirext x)
{
	uint64_t base = (uint64_t)x.extent * SECTOR;
	uint8_t *buf = malloc(x.size ? x.size : 1);
	size_t p = 0;
	int r;

	if (!buf)
		return diag_fail(f->p.d, -ENOMEM, "out of memory");
	r = patch_read(&f->p, buf, x.size, base);
	while (!r && p < x.size) {
		size_t len = buf[p], nl, su;

		if (!len) { /* records do not cross sectors: the rest is padding */
			p = (p / SECTOR + 1) * SECTOR;
			continue;
		}
		if (len < 34 || p + len > x.size || 33 + (size_t)buf[p + 32] > len) {
			r = patch_bad(&f->p, "bad directory record", base + p);
			break;
		}
		nl = buf[p + 32];
		clamp7(f, buf + p + 18);
		su = 33 + nl + !(nl & 1);
		if (su < len)
			r = fix_susp(f, buf + p + su, len - su, 0);
		/* "." and ".." are the names \0 and \1. */
		if (!r && (buf[p + 25] & 2) && !(nl == 1 && buf[p + 33] <= 1))
			r = push_dir(f, buf + p, base + p);
		p += len;
	}
	if (!r)
		r = patch_write(&f->p, buf, x.size, base);
	free(buf);
	return r;
}

int iso_fix_dates(const char *path, int64_t epoch, struct diag *d)
{
	struct fix f = { .epoch = epoch };
	uint8_t vd[SECTOR];
	bool end = false;
	int r = 0;

	if (!enc17(epoch, f.long_epoch) || !enc7(epoch, vd))
		return diag_fail(d, -ERANGE, "%s: epoch %lld cannot be an ISO 9660 date (1900..2155)",
				 path, (long long)epoch);
	if ((r = patch_open(&f.p, path, "genisoimage", d)))
		return r;
	for (unsigned i = VD_FIRST; !r && !end && i < VD_FIRST + VD_MAX; i++) {
		uint64_t off = (uint64_t)i * SECTOR;

		r = patch_read(&f.p, vd, SECTOR, off);
		if (r)
			break;
		if (memcmp(vd + 1, "CD001", 5)) {
			r = patch_bad(&f.p, "no volume descriptor", off);
			break;
		}
		end = vd[0] == 255;
		if (vd[0] != 1 && vd[0] != 2)
			continue;
		memcpy(vd + VD_CREATED, f.long_epoch, 17);
		memcpy(vd + VD_MODIFIED, f.long_epoch, 17);
		memcpy(vd + VD_EFFECTIVE, f.long_epoch, 17);
		clamp7(&f, vd + VD_ROOT + 18);
		r = patch_write(&f.p, vd, SECTOR, off);
		if (!r)
			r = push_dir(&f, vd + VD_ROOT, off + VD_ROOT);
	}
	if (!r && !end)
		r = patch_bad(&f.p, "no volume descriptor set terminator", (uint64_t)VD_FIRST * SECTOR);
	while (!r && f.n)
		r = fix_dir(&f, f.stack[--f.n]);
	free(f.stack);
	return patch_close(&f.p, r);
}
