/* SPDX-License-Identifier: MIT */
/* VFAT names: UTF-8 decoding, validation, case folding, 8.3 short names. */
#include "fs/fat/fat-names.h"

#include <errno.h>
#include <string.h>

int fat_utf8_to_utf16(const char *s, uint16_t *out, unsigned max, unsigned *ret_len)
{
	const uint8_t *p = (const uint8_t *)s;
	unsigned n = 0;

	while (*p) {
		uint32_t c;
		unsigned extra;
		if (p[0] < 0x80) {
			c = p[0];
			extra = 0;
		} else if ((p[0] & 0xE0) == 0xC0) {
			c = p[0] & 0x1F;
			extra = 1;
		} else if ((p[0] & 0xF0) == 0xE0) {
			c = p[0] & 0x0F;
			extra = 2;
		} else if ((p[0] & 0xF8) == 0xF0) {
			c = p[0] & 0x07;
			extra = 3;
		} else {
			return -EILSEQ;
		}
		for (unsigned i = 1; i <= extra; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return -EILSEQ;
			c = c << 6 | (p[i] & 0x3F);
		}
		static const uint32_t min[4] = { 0, 0x80, 0x800, 0x10000 };
		if (c < min[extra] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return -EILSEQ;
		p += extra + 1;
		if (c >= 0x10000) {
			if (n + 2 > max)
				return -ENAMETOOLONG;
			c -= 0x10000;
			out[n++] = (uint16_t)(0xD800 | c >> 10);
			out[n++] = (uint16_t)(0xDC00 | (c & 0x3FF));
		} else {
			if (n + 1 > max)
				return -ENAMETOOLONG;
			out[n++] = (uint16_t)c;
		}
	}
	*ret_len = n;
	return 0;
}

const char *fat_name_check(const uint16_t *u, unsigned len)
{
	if (!len)
		return "empty name";
	for (unsigned i = 0; i < len; i++) {
		uint16_t c = u[i];
		if (c < 0x20)
			return "control character in name";
		if (c < 0x80 && strchr("\"*/:<>?\\|", (int)c))
			return "character FAT forbids (one of \" * / : < > ? \\ |)";
	}
	if (u[len - 1] == '.' || u[len - 1] == ' ')
		return "name ends with a dot or space (FAT drivers strip them)";
	return NULL;
}

uint16_t fat_upcase(uint16_t c)
{
	if (c >= 'a' && c <= 'z')
		return (uint16_t)(c - 32);
	if (c < 0xE0)
		return c;
	if (c <= 0xFE)
		return c == 0xF7 ? c : (uint16_t)(c - 32);
	if (c == 0xFF)
		return 0x178;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
		return (uint16_t)(c & ~1u);
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
		return (c & 1) ? c : (uint16_t)(c - 1);
	if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2)
		return (uint16_t)(c - 32);
	if (c >= 0x430 && c <= 0x44F)
		return (uint16_t)(c - 32);
	if (c >= 0x450 && c <= 0x45F)
		return (uint16_t)(c - 80);
	return c;
}

/* Characters a short name may hold besides A-Z and 0-9. */
static bool sfn_char(uint16_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c < 0x80 && c && strchr("!#$%&'()-@^_`{}~", (int)c));
}

/* Case of a run: bit 0 has lowercase letters, bit 1 has uppercase. */
static unsigned run_case(const uint16_t *u, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (u[i] >= 'a' && u[i] <= 'z')
			k |= 1;
		else if (u[i] >= 'A' && u[i] <= 'Z')
			k |= 2;
	}
	return k;
}

void fat_sfn_basis(const uint16_t *u, unsigned len, struct fat_sfn *ret)
{
	int dot = -1;
	unsigned ndots = 0;

	memset(ret, 0, sizeof(*ret));
	memset(ret->name, ' ', 11);
	for (unsigned i = 0; i < len; i++)
		if (u[i] == '.') {
			dot = (int)i;
			ndots++;
		}

	/* Exact 8.3: base 1..8, at most one dot, extension 1..3, valid chars. */
	unsigned blen = dot < 0 ? len : (unsigned)dot;
	unsigned elen = dot < 0 ? 0 : len - (unsigned)dot - 1;
	bool fits = ndots <= 1 && blen >= 1 && blen <= 8 && elen <= 3 && (dot < 0 || elen >= 1);
	for (unsigned i = 0; fits && i < len; i++)
		if ((int)i != dot && !sfn_char(fat_upcase(u[i])) )
			fits = false;
	if (fits) {
		for (unsigned i = 0; i < blen; i++) {
			uint16_t c = fat_upcase(u[i]);
			if (c >= 0x80)
				fits = false;
			ret->name[i] = (uint8_t)c;
		}
		for (unsigned i = 0; i < elen; i++) {
			uint16_t c = fat_upcase(u[dot + 1 + i]);
			if (c >= 0x80)
				fits = false;
			ret->name[8 + i] = (uint8_t)c;
		}
	}
	if (fits) {
		unsigned bc = run_case(u, blen), ec = dot < 0 ? 0 : run_case(u + dot + 1, elen);
		ret->exact = true;
		ret->base_len = (uint8_t)blen;
		ret->ext_len = (uint8_t)elen;
		if (bc == 3 || ec == 3) {
			ret->need_lfn = true; /* mixed case in one part: keep it in an LFN */
		} else {
			ret->ntres = (uint8_t)((bc == 1 ? 0x08 : 0) | (ec == 1 ? 0x10 : 0));
		}
		return;
	}

	/* Lossy basis. */
	ret->need_lfn = true;
	unsigned start = 0;
	while (start < len && u[start] == '.')
		start++; /* leading dots are dropped, not an extension */
	int edot = -1;
	for (unsigned i = start; i < len; i++)
		if (u[i] == '.')
			edot = (int)i;
	unsigned bend = edot < 0 ? len : (unsigned)edot, b = 0, e = 0;
	for (unsigned i = start; i < bend && b < 8; i++) {
		uint16_t c = fat_upcase(u[i]);
		if (c == ' ' || c == '.')
			continue;
		ret->name[b++] = sfn_char(c) ? (uint8_t)c : '_';
	}
	if (!b)
		ret->name[b++] = '_';
	for (unsigned i = edot < 0 ? len : (unsigned)edot + 1; i < len && e < 3; i++) {
		uint16_t c = fat_upcase(u[i]);
		if (c == ' ' || c == '.')
			continue;
		ret->name[8 + e++] = sfn_char(c) ? (uint8_t)c : '_';
	}
	ret->base_len = (uint8_t)b;
	ret->ext_len = (uint8_t)e;
}

void fat_sfn_tail(const struct fat_sfn *basis, uint32_t n, uint8_t out[11])
{
	char tail[12];
	unsigned tl = 0, keep;
	uint32_t v = n;

	do {
		tail[10 - tl++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && tl < 7);
	tail[10 - tl++] = '~';
	keep = basis->base_len;
	if (keep > 8 - tl)
		keep = 8 - tl;
	memset(out, ' ', 11);
	memcpy(out, basis->name, keep);
	memcpy(out + keep, tail + 11 - tl, tl);
	memcpy(out + 8, basis->name + 8, 3);
}

const char *fat_label_encode(const char *label, uint8_t out[11])
{
	size_t n = label ? strlen(label) : 0;

	memcpy(out, n ? "           " : "NO NAME    ", 11);
	if (!n)
		return NULL;
	if (n > 11)
		return "longer than 11 characters";
	if (label[0] == ' ')
		return "starts with a space";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)label[i];
		if (c < 0x20 || c > 0x7E)
			return "only printable ASCII characters can be stored";
		if (strchr("*?.,;:/\\|+=<>[]\"", c))
			return "contains one of *?.,;:/\\|+=<>[]\" which labels cannot hold";
		out[i] = c;
	}
	return NULL;
}
