/* SPDX-License-Identifier: MIT */
/* U-Boot environment: mkenvimage's text format and the binary image. */
#include "boot/ubootenv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/hash.h"

void uenv_init(struct uenv *e)
{
	memset(e, 0, sizeof(*e));
}

void uenv_release(struct uenv *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].name);
		free(e->v[i].value);
	}
	free(e->v);
	free(e->hash);
	uenv_init(e);
}

static char *dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

/* FNV-1a: only spreads names over the index, no security role. */
static size_t name_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3u;
	return (size_t)h;
}

/* Double the name index (at least 64 slots) and re-insert every name. */
static int hash_grow(struct uenv *e)
{
	size_t nc = e->hcap ? e->hcap * 2 : 64;
	size_t *nh = calloc(nc, sizeof(*nh));

	if (!nh)
		return -ENOMEM;
	for (size_t i = 0; i < e->n; i++) {
		size_t slot = name_hash(e->v[i].name, strlen(e->v[i].name)) & (nc - 1);
		while (nh[slot])
			slot = (slot + 1) & (nc - 1);
		nh[slot] = i + 1;
	}
	free(e->hash);
	e->hash = nh;
	e->hcap = nc;
	return 0;
}

int uenv_add(struct uenv *e, const char *name, size_t nlen, const char *value, size_t vlen,
	     struct diag *d)
{
	if (!nlen)
		return diag_fail(d, -EINVAL, "empty variable name");
	if (memchr(name, '=', nlen) || memchr(name, 0, nlen))
		return diag_fail(d, -EINVAL, "variable name \"%.*s\" holds '=' or NUL", (int)nlen,
				 name);
	if (memchr(value, 0, vlen))
		return diag_fail(d, -EINVAL, "variable %.*s: value holds a NUL byte", (int)nlen,
				 name);
	if (e->hcap < 2 * (e->n + 1) && hash_grow(e))
		return diag_fail(d, -ENOMEM, "out of memory");
	size_t slot = name_hash(name, nlen) & (e->hcap - 1);
	for (; e->hash[slot]; slot = (slot + 1) & (e->hcap - 1)) {
		const char *o = e->v[e->hash[slot] - 1].name;
		if (strlen(o) == nlen && !memcmp(o, name, nlen))
			return diag_fail(d, -EEXIST, "duplicate variable %.*s", (int)nlen, name);
	}
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 16;
		struct uenv_var *nv = realloc(e->v, nc * sizeof(*nv));
		if (!nv)
			return diag_fail(d, -ENOMEM, "out of memory");
		e->v = nv;
		e->cap = nc;
	}
	e->v[e->n].name = dupn(name, nlen);
	e->v[e->n].value = dupn(value, vlen);
	if (!e->v[e->n].name || !e->v[e->n].value) {
		free(e->v[e->n].name);
		free(e->v[e->n].value);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	e->hash[slot] = ++e->n;
	return 0;
}

static int add_entry(struct uenv *e, const char *s, size_t n, const char *fname, unsigned line,
		     struct diag *d)
{
	const char *eq = memchr(s, '=', n);
	struct diag tmp = { 0 };
	int r;

	if (!eq)
		return diag_fail(d, -EINVAL, "%s:%u: \"%.*s\": line without '=' (expected name=value)",
				 fname, line, (int)(n > 60 ? 60 : n), s);
	r = uenv_add(e, s, (size_t)(eq - s), eq + 1, n - (size_t)(eq - s) - 1, &tmp);
	if (r)
		return diag_fail(d, r, "%s:%u: %s", fname, line, tmp.msg);
	return 0;
}

int uenv_parse_text(struct uenv *e, const char *text, size_t len, const char *fname,
		    struct diag *d)
{
	/* One entry is collected at a time into @buf. The rules work on raw
	 * characters like mkenvimage's: a line start is the file start or
	 * just after any '\n' (a continued one too). */
	char *buf = malloc(len + 1);
	size_t bl = 0;
	unsigned line = 1, start_line = 1;
	int r = 0;

	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		bool bol = i == 0 || text[i - 1] == '\n';

		if (c == '\n') {
			line++;
			if (bol)
				continue; /* empty line */
			if (text[i - 1] == '\\' && bl) {
				buf[bl - 1] = '\n'; /* continuation keeps the newline */
				continue;
			}
			if (bl && (r = add_entry(e, buf, bl, fname, start_line, d)))
				goto out;
			bl = 0;
			continue;
		}
		if (bol && c == '#') {
			while (i + 1 < len && text[i + 1] != '\n')
				i++;
			if (i + 1 < len) {
				i++; /* the comment's newline */
				line++;
			}
			continue;
		}
		if (!bl)
			start_line = line;
		buf[bl++] = c;
	}
	if (bl)
		r = add_entry(e, buf, bl, fname, start_line, d);
out:
	free(buf);
	return r;
}

uint64_t uenv_data_needed(const struct uenv *e)
{
	uint64_t n = 1; /* the list's terminator */

	for (size_t i = 0; i < e->n; i++)
		n += strlen(e->v[i].name) + 1 + strlen(e->v[i].value) + 1;
	return n;
}

uint64_t uenv_data_room(const struct uenv_layout *l)
{
	uint64_t hdr = 4 + (l->redundant ? 1 : 0);

	return l->size > hdr ? l->size - hdr : 0;
}

int uenv_encode(const struct uenv *e, const struct uenv_layout *l, uint8_t *out,
		struct diag *d)
{
	uint64_t hdr = 4 + (l->redundant ? 1 : 0), need = uenv_data_needed(e);
	uint64_t room = uenv_data_room(l), p = hdr;
	uint32_t crc;

	if (l->size > UENV_MAX_SIZE)
		return diag_fail(d, -EINVAL, "environment size %llu above kiln's limit of %u bytes",
				 (unsigned long long)l->size, UENV_MAX_SIZE);
	if (l->size <= hdr + 1)
		return diag_fail(d, -EINVAL, "environment size %llu too small for the header",
				 (unsigned long long)l->size);
	if (need > room)
		return diag_fail(d, -ENOSPC,
				 "variables need %llu bytes, %llu available: too large by %llu bytes",
				 (unsigned long long)need, (unsigned long long)room,
				 (unsigned long long)(need - room));
	memset(out, l->pad, l->size);
	if (l->redundant)
		out[4] = UENV_FLAG_ACTIVE;
	for (size_t i = 0; i < e->n; i++) {
		size_t nl = strlen(e->v[i].name), vl = strlen(e->v[i].value);
		memcpy(out + p, e->v[i].name, nl);
		out[p + nl] = '=';
		memcpy(out + p + nl + 1, e->v[i].value, vl);
		out[p + nl + 1 + vl] = 0;
		p += nl + vl + 2;
	}
	out[p++] = 0;
	crc = crc32_ieee(0, out + hdr, room);
	if (l->big_endian)
		put_be32(out, crc);
	else
		put_le32(out, crc);
	return 0;
}

int uenv_decode(const uint8_t *buf, size_t len, const struct uenv_layout *l,
		void (*cb)(void *ud, const char *name, size_t nlen, const char *value,
			   size_t vlen),
		void *ud, struct uenv_info *ret)
{
	size_t hdr = 4 + (l->redundant ? 1 : 0), p;

	memset(ret, 0, sizeof(*ret));
	if (len <= hdr + 1)
		return -EINVAL;
	ret->crc_stored = l->big_endian ? get_be32(buf) : get_le32(buf);
	ret->crc_computed = crc32_ieee(0, buf + hdr, len - hdr);
	ret->crc_ok = ret->crc_stored == ret->crc_computed;
	ret->flag = l->redundant ? buf[4] : 0;
	p = hdr;
	while (p < len && buf[p]) {
		const uint8_t *end = memchr(buf + p, 0, len - p);
		const uint8_t *eq;
		if (!end)
			return -EINVAL;
		eq = memchr(buf + p, '=', (size_t)(end - (buf + p)));
		if (!eq)
			return -EINVAL;
		if (cb)
			cb(ud, (const char *)buf + p, (size_t)(eq - (buf + p)), (const char *)eq + 1,
			   (size_t)(end - eq - 1));
		p = (size_t)(end - buf) + 1;
	}
	if (p >= len)
		return -EINVAL;
	ret->used = p + 1 - hdr;
	return 0;
}
