/* SPDX-License-Identifier: MIT */
/*
 * The binary side of kernel modules (kmod-dep.h): the .modinfo section
 * of an ELF module, and kmod's index files. kmod's modprobe looks a name
 * up in modules.dep.bin only (the text modules.dep is for busybox and
 * people), so a subset needs both.
 *
 * The index is a trie written children first: a header (magic
 * 0xB007F457, version 2.1, the root's offset), then nodes addressed by
 * their file offset, whose top bits say what the node holds: a prefix
 * (NUL-terminated), children (first and last byte, then one offset per
 * byte in between, 0 for none), values (count, then per value a
 * priority and a NUL-terminated string). All integers big-endian.
 */
#include "fs/kmod-dep.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/endian.h"

static uint64_t rd(const uint8_t *p, unsigned n, bool be)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[be ? n - 1 - i : i] << (8 * i);
	return v;
}

int kmod_modinfo_section(const uint8_t *elf, size_t len, size_t *ret_off, size_t *ret_len)
{
	bool is64, be;
	uint64_t shoff, shent, shnum, shstr, stroff, strsz;
	const uint8_t *sh;

	if (len < 52 || memcmp(elf, "\177ELF", 4) || (elf[4] != 1 && elf[4] != 2) ||
	    (elf[5] != 1 && elf[5] != 2))
		return -EINVAL;
	is64 = elf[4] == 2;
	be = elf[5] == 2;
	if (is64 && len < 64)
		return -EINVAL;
	shoff = is64 ? rd(elf + 0x28, 8, be) : rd(elf + 0x20, 4, be);
	shent = rd(elf + (is64 ? 0x3a : 0x2e), 2, be);
	shnum = rd(elf + (is64 ? 0x3c : 0x30), 2, be);
	shstr = rd(elf + (is64 ? 0x3e : 0x32), 2, be);
	if (shent < (is64 ? 64u : 40u) || shstr >= shnum || shoff > len ||
	    shnum > (len - shoff) / shent)
		return -EINVAL;
#define SH_OFF(h) (is64 ? rd((h) + 24, 8, be) : rd((h) + 16, 4, be))
#define SH_SIZE(h) (is64 ? rd((h) + 32, 8, be) : rd((h) + 20, 4, be))
	sh = elf + shoff + shstr * shent;
	stroff = SH_OFF(sh);
	strsz = SH_SIZE(sh);
	if (stroff > len || strsz > len - stroff)
		return -EINVAL;
	for (uint64_t i = 0; i < shnum; i++) {
		const uint8_t *h = elf + shoff + i * shent;
		uint64_t name = rd(h, 4, be), off = SH_OFF(h), size = SH_SIZE(h);
		if (name >= strsz || strsz - name < sizeof(".modinfo") ||
		    memcmp(elf + stroff + name, ".modinfo", sizeof(".modinfo")))
			continue;
		if (off > len || size > len - off)
			return -EINVAL;
		*ret_off = (size_t)off;
		*ret_len = (size_t)size;
		return 0;
	}
#undef SH_OFF
#undef SH_SIZE
	return -EINVAL;
}

struct ientry {
	const char *key, *value;
	uint32_t prio;
};

struct obuf {
	uint8_t *p;
	size_t n, cap;
};

static int out(struct obuf *o, const void *s, size_t l)
{
	if (o->n + l > 0x0fffffffu) /* offsets have 28 bits */
		return -EOVERFLOW;
	if (o->n + l > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->n + l)
			cap *= 2;
		uint8_t *np = realloc(o->p, cap);
		if (!np)
			return -ENOMEM;
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->n, s, l);
	o->n += l;
	return 0;
}

static int out32(struct obuf *o, uint32_t v)
{
	uint8_t b[4];
	put_be32(b, v);
	return out(o, b, 4);
}

#define NODE_PREFIX 0x80000000u
#define NODE_VALUES 0x40000000u
#define NODE_CHILDS 0x20000000u

/* Write the node of entries [lo, hi), which agree on their first @depth
 * bytes; *ret: its offset with the flags. */
static int write_node(struct obuf *o, const struct ientry *e, unsigned lo, unsigned hi,
		      size_t depth, uint32_t *ret)
{
	uint32_t *child, flags = 0, off;
	unsigned first = 256, last = 0, v = lo;
	size_t p = depth;
	int r = 0;

	/* The longest prefix they share; keys ending there hold values. */
	for (;; p++) {
		unsigned i = lo;
		char c = e[lo].key[p];
		while (c && i < hi && e[i].key[p] == c)
			i++;
		if (!c || i < hi)
			break;
	}
	while (v < hi && !e[v].key[p])
		v++;
	if (!(child = calloc(256, sizeof(*child))))
		return -ENOMEM;
	for (unsigned i = v; i < hi && !r;) {
		unsigned char c = (unsigned char)e[i].key[p];
		unsigned j = i;
		while (j < hi && (unsigned char)e[j].key[p] == c)
			j++;
		r = write_node(o, e, i, j, p + 1, &child[c]);
		first = c < first ? c : first;
		last = c;
		i = j;
	}
	off = (uint32_t)o->n;
	if (!r && p > depth) {
		flags |= NODE_PREFIX;
		if (!(r = out(o, e[lo].key + depth, p - depth)))
			r = out(o, "", 1);
	}
	if (!r && v < hi) {
		uint8_t fl[2] = { (uint8_t)first, (uint8_t)last };
		flags |= NODE_CHILDS;
		r = out(o, fl, 2);
		for (unsigned c = first; !r && c <= last; c++)
			r = out32(o, child[c]);
	}
	if (!r && v > lo) {
		flags |= NODE_VALUES;
		r = out32(o, v - lo);
		for (unsigned i = lo; !r && i < v; i++)
			if (!(r = out32(o, e[i].prio)))
				r = out(o, e[i].value, strlen(e[i].value) + 1);
	}
	free(child);
	*ret = off | flags;
	return r;
}

static int by_key(const void *a, const void *b)
{
	const struct ientry *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : x->prio < y->prio ? -1 : x->prio > y->prio;
}

static int write_index(struct ientry *e, unsigned n, char **ret, size_t *ret_len)
{
	struct obuf o = { 0 };
	uint32_t root = 0;
	int r;

	qsort(e, n, sizeof(*e), by_key);
	if (!(r = out32(&o, 0xb007f457u)) && !(r = out32(&o, 0x00020001u)) &&
	    !(r = out32(&o, 0)) && n)
		r = write_node(&o, e, 0, n, 0, &root);
	if (r) {
		free(o.p);
		return r;
	}
	put_be32(o.p + 8, root);
	*ret = (char *)o.p;
	*ret_len = o.n;
	return 0;
}

/* The index entries of the picked modules: their dependency lines by
 * name, or (@alias) their names by normalised alias. Keys and values
 * are malloc'd. */
static int entries(struct kmod_db *db, bool alias, struct ientry **ret, unsigned *ret_n)
{
	struct kmod_mod **v;
	struct ientry *e;
	unsigned n, ne = 0, mark = 0;
	int r;

	if ((r = kmod_picked(db, &v, &n)))
		return r;
	for (unsigned i = 0; i < n; i++)
		ne += alias ? v[i]->naliases : 1;
	if (!(e = calloc(ne + 1, sizeof(*e)))) {
		free(v);
		return -ENOMEM;
	}
	ne = 0;
	for (unsigned i = 0; i < n && !r; i++) {
		char norm[KMOD_MAX_NAME], *key = NULL, *val = NULL;
		if (!alias) {
			key = strdup(v[i]->name);
			r = kmod_dep_line(db, v[i], ++mark, &val);
			if (!r && !key)
				r = -ENOMEM;
			if (!r) {
				e[ne++] = (struct ientry){ key, val, i };
				key = val = NULL;
			}
		}
		/* Aliases keyed as kmod looks them up (it normalises the name
		 * asked for); one it cannot normalise, it skips too. */
		for (unsigned k = 0; alias && k < v[i]->naliases && !r; k++) {
			if (kmod_alias_norm(v[i]->aliases[k], norm, sizeof(norm)))
				continue;
			key = strdup(norm);
			val = strdup(v[i]->name);
			if (!key || !val) {
				r = -ENOMEM;
				break;
			}
			e[ne++] = (struct ientry){ key, val, i };
			key = val = NULL;
		}
		free(key);
		free(val);
	}
	free(v);
	*ret = e;
	*ret_n = ne;
	return r;
}

static int write_entries(struct kmod_db *db, bool alias, char **ret, size_t *ret_len)
{
	struct ientry *e;
	unsigned n;
	int r = entries(db, alias, &e, &n);

	if (!r)
		r = write_index(e, n, ret, ret_len);
	for (unsigned i = 0; i < n; i++) {
		free((char *)e[i].key);
		free((char *)e[i].value);
	}
	free(e);
	return r;
}

int kmod_write_dep_bin(struct kmod_db *db, char **ret, size_t *ret_len)
{
	return write_entries(db, false, ret, ret_len);
}

int kmod_write_alias_bin(struct kmod_db *db, char **ret, size_t *ret_len)
{
	return write_entries(db, true, ret, ret_len);
}
