/* SPDX-License-Identifier: MIT */
/*
 * `ext2`, `ext3`, `ext4`: genimage's types, written natively (fs/ext4).
 * genimage hands `extraargs` to mke2fs; kiln honours the mke2fs flags
 * that shape the filesystem and rejects the rest by name.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/checked.h"
#include "base/diag.h"
#include "base/endian.h"
#include "base/ids.h"
#include "base/size.h"
#include "config/cfgutil.h"
#include "fs/ext4/ext4-format.h"
#include "fs/ext4/ext4.h"
#include "fs/tree.h"
#include "plan/image-key.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"

#define EXT_DEFAULT_MARGIN_PERCENT 10

struct ext_priv {
	const char *fstype;
	struct ext4_opts o;
	bool uuid_set, seed_set, ts_set;
	bool large_named, huge_named; /* features/extraargs name large_file/huge_file */
	struct tree *tree;
	struct ext4_plan *plan;
};

static cfg_opt_t ext_opts[] = {
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_STR("features", NULL, CFGF_NONE),
	CFG_STR("label", NULL, CFGF_NONE),
	CFG_STR("fs-timestamp", NULL, CFGF_NONE),
	CFG_STR("root-owner", NULL, CFGF_NONE),
	CFG_STR("usage-type", NULL, CFGF_NONE),
	CFG_BOOL("use-mke2fs", cfg_false, CFGF_NONE),
	CFG_STR("mke2fs-conf", NULL, CFGF_NONE),
	/* kiln extensions */
	CFG_STR("uuid", NULL, CFGF_NONE),
	CFG_STR("hash-seed", NULL, CFGF_NONE),
	CFG_STR("block-size", NULL, CFGF_NONE),
	CFG_STR("inode-size", NULL, CFGF_NONE),
	CFG_STR("inodes", NULL, CFGF_NONE),
	CFG_STR("margin", NULL, CFGF_NONE),
	CFG_STR("journal-size", NULL, CFGF_NONE),
	CFG_BOOL("keep-owner", cfg_false, CFGF_NONE),
	CFG_END()
};

/* Blank-separated words; '…' and "…" quote. */
static int split_args(const char *s, char ***ret, unsigned *ret_n)
{
	char **v = NULL, *w = malloc(strlen(s) + 1);
	unsigned n = 0;
	size_t wl = 0;
	bool in = false;
	char q = 0;

	if (!w)
		return -ENOMEM;
	for (const char *c = s;; c++) {
		if (*c && (q ? *c != q : !isspace((unsigned char)*c))) {
			if (!q && (*c == '\'' || *c == '"')) {
				q = *c;
				in = true;
				continue;
			}
			w[wl++] = *c;
			in = true;
			continue;
		}
		if (*c && q) {
			q = 0;
			continue;
		}
		if (in) {
			char **nv = realloc(v, (n + 2) * sizeof(*v));
			if (!nv)
				goto nomem;
			v = nv;
			w[wl] = 0;
			v[n] = strdup(w);
			if (!v[n])
				goto nomem;
			v[++n] = NULL;
			wl = 0;
			in = false;
		}
		if (!*c)
			break;
	}
	free(w);
	*ret = v;
	*ret_n = n;
	return 0;
nomem:
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(w);
	return -ENOMEM;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_owner(const char *s, uint32_t *uid, uint32_t *gid)
{
	unsigned long a, b;
	char *end;

	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno || end == s || *end != ':')
		return -EINVAL;
	s = end + 1;
	b = strtoul(s, &end, 10);
	if (errno || end == s || *end || a > 0xFFFFFFFFul || b > 0xFFFFFFFFul)
		return -EINVAL;
	*uid = (uint32_t)a;
	*gid = (uint32_t)b;
	return 0;
}

static void seed_words(const struct uuid *u, uint32_t w[4])
{
	for (int i = 0; i < 4; i++)
		w[i] = get_le32(u->b + 4 * i);
}

/* genimage's fs-timestamp: "YYYYMMDDhhmmss" (UTC), or "@SECONDS". */
static int parse_timestamp(const char *s, int64_t *ret)
{
	struct tm tm = { 0 };
	uint64_t v;

	if (s[0] == '@') {
		if (parse_u64(s + 1, &v) || v > INT64_MAX)
			return -EINVAL;
		*ret = (int64_t)v;
		return 0;
	}
	if (strlen(s) != 14)
		return -EINVAL;
	for (int i = 0; i < 14; i++)
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
	if (sscanf(s, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ret = (int64_t)timegm(&tm);
	return 0;
}

static int ext_extraargs(struct ext_priv *x, cfg_t *sec, const char *args, struct diag *d)
{
	char **v = NULL;
	unsigned n = 0;
	int r = split_args(args, &v, &n);

	if (r)
		return diag_fail(d, r, "out of memory");
	for (unsigned i = 0; i < n && !r; i++) {
		const char *a = v[i], *val = NULL;
		uint64_t num;
		char opt = 0;

		if (a[0] != '-' || !a[1]) {
			r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "\"%s\": not an option kiln understands", a);
			break;
		}
		opt = a[1];
		if (strchr("bIiNmLUOETtJ", opt)) {
			val = a[2] ? a + 2 : (i + 1 < n ? v[++i] : NULL);
			if (!val) {
				r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-%c needs a value", opt);
				break;
			}
		} else if (a[2]) {
			r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "\"%s\": unknown mke2fs option for kiln", a);
			break;
		}
		switch (opt) {
		case 'b':
			if (parse_u64(val, &num) || (num != 1024 && num != 2048 && num != 4096))
				r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-b %s: block size must be 1024, 2048 or 4096", val);
			else
				x->o.block_size = (uint32_t)num;
			break;
		case 'I':
			if (parse_u64(val, &num) || num < 128 || num > 4096 || (num & (num - 1)))
				r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-I %s: inode size must be a power of 2, 128..4096", val);
			else
				x->o.inode_size = (uint32_t)num;
			break;
		case 'i':
			if (parse_u64(val, &num) || num < 1024 || num > 67108864)
				r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-i %s: bytes per inode must be 1024..67108864", val);
			else
				x->o.inode_ratio = (uint32_t)num;
			break;
		case 'N':
			if (parse_u64(val, &num) || num > 0xFFFFFFFFull)
				r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-N %s: bad inode count", val);
			else
				x->o.inodes = num;
			break;
		case 'm': {
			char *end;
			double pct = strtod(val, &end);
			if (*end || pct < 0 || pct > 50)
				r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-m %s: reserved percentage must be 0..50", val);
			else
				x->o.reserved_permille = (uint32_t)(pct * 10 + 0.5);
			break;
		}
		case 'L':
			if (strlen(val) > 16)
				r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-L %s: label longer than 16 bytes", val);
			else
				snprintf(x->o.label, sizeof(x->o.label), "%s", val);
			break;
		case 'U': {
			struct uuid u;
			if (uuid_parse(val, &u))
				r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-U %s: not a UUID (kiln derives one from the seed; give a fixed one)", val);
			else {
				memcpy(x->o.uuid, u.b, 16);
				x->uuid_set = true;
			}
			break;
		}
		case 'O':
			r = ext4_features_apply(&x->o, val, d);
			if (r)
				cfg_fail(sec, "extraargs", args, r, d, "%s", d ? d->msg : "bad feature");
			break;
		case 'E': {
			char *dup = strdup(val), *save = NULL;
			if (!dup) {
				r = -ENOMEM;
				break;
			}
			for (char *e = strtok_r(dup, ",", &save); e && !r; e = strtok_r(NULL, ",", &save)) {
				if (!strncmp(e, "hash_seed=", 10)) {
					struct uuid u;
					if (uuid_parse(e + 10, &u))
						r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-E %s: hash_seed is not a UUID", e);
					else {
						seed_words(&u, x->o.hash_seed);
						x->seed_set = true;
					}
				} else if (!strncmp(e, "root_owner", 10)) {
					if (!e[10]) {
						x->o.root_owner_set = true;
						x->o.root_uid = x->o.root_gid = 0;
					} else if (e[10] != '=' || parse_owner(e + 11, &x->o.root_uid, &x->o.root_gid)) {
						r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-E %s: expected root_owner=UID:GID", e);
					} else {
						x->o.root_owner_set = true;
					}
				} else if (!strcmp(e, "lazy_itable_init=0") || !strcmp(e, "lazy_itable_init=1") ||
					   !strcmp(e, "lazy_journal_init=0") || !strcmp(e, "lazy_journal_init=1") ||
					   !strcmp(e, "nodiscard") || !strcmp(e, "discard")) {
					/* No effect on the bytes kiln writes. */
				} else {
					r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-E %s: extended option not supported by kiln", e);
				}
			}
			free(dup);
			break;
		}
		case 'T': {
			static const char *const types[] = { "default", "small", "floppy", "big", "huge",
							     "news", "largefile", "largefile4" };
			x->o.usage_type = NULL;
			for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
				if (!strcmp(val, types[k]))
					x->o.usage_type = types[k];
			if (!x->o.usage_type)
				r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-T %s: unknown usage type", val);
			break;
		}
		case 't':
			if (strcmp(val, x->fstype))
				r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-t %s conflicts with the image type %s", val, x->fstype);
			break;
		case 'j':
			x->o.compat |= 0x0004;
			break;
		case 'J':
			if (strncmp(val, "size=", 5) || parse_u64(val + 5, &num) || !num || num > 40960)
				r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "-J %s: only size=MEGABYTES is supported", val);
			else {
				x->o.compat |= 0x0004;
				x->o.journal_bytes = num << 20;
			}
			break;
		case 'F':
		case 'q':
		case 'v':
			break; /* no effect on the result */
		default:
			r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "\"%s\": mke2fs option not supported by kiln", a);
		}
	}
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return r;
}

static int ext_parse_common(struct build *b, struct image *img, cfg_t *sec, const char *fstype,
			    struct diag *d)
{
	struct ext_priv *x = calloc(1, sizeof(*x));
	const char *s;
	int r;

	if (!x)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = x;
	x->fstype = fstype;
	ext4_features_default(&x->o, fstype);
	x->o.reserved_permille = 50;
	x->o.margin_pct = EXT_DEFAULT_MARGIN_PERCENT;
	x->o.margin_min = 1 << 20;
	x->o.timestamp = b->epoch;
	x->o.root_owner_set = true; /* mke2fs -d: / is owned by 0:0 unless told */

	if ((s = cfg_getstr(sec, "features")) && (r = ext4_features_apply(&x->o, s, d)))
		return cfg_fail(sec, "features", s, r, d, "%s", d ? d->msg : "bad feature list");
	if ((s = cfg_getstr(sec, "label"))) {
		if (strlen(s) > 16)
			return cfg_fail(sec, "label", s, -EINVAL, d, "longer than 16 bytes");
		snprintf(x->o.label, sizeof(x->o.label), "%s", s);
	}
	if ((s = cfg_getstr(sec, "fs-timestamp"))) {
		if (parse_timestamp(s, &x->o.timestamp))
			return cfg_fail(sec, "fs-timestamp", s, -EINVAL, d, "expected YYYYMMDDhhmmss or @SECONDS");
	}
	if ((s = cfg_getstr(sec, "root-owner"))) {
		if (parse_owner(s, &x->o.root_uid, &x->o.root_gid))
			return cfg_fail(sec, "root-owner", s, -EINVAL, d, "expected UID:GID");
	}
	if ((s = cfg_getstr(sec, "usage-type"))) {
		char args[128];
		snprintf(args, sizeof(args), "-T %s", s);
		if ((r = ext_extraargs(x, sec, args, d)))
			return r;
	}
	if (cfg_getbool(sec, "use-mke2fs") || cfg_getstr(sec, "mke2fs-conf"))
		diag_warn(d, "%s:%d: image '%s': use-mke2fs/mke2fs-conf ignored: kiln writes the filesystem itself",
			  img->cfgfile ? img->cfgfile : "?", img->line, img->name);
	if ((r = ext_extraargs(x, sec, cfg_getstr(sec, "extraargs"), d)))
		return r;
	for (int i = 0; i < 2; i++) {
		s = cfg_getstr(sec, i ? "extraargs" : "features");
		x->large_named |= s && strstr(s, "large_file");
		x->huge_named |= s && strstr(s, "huge_file");
	}
	if ((s = cfg_getstr(sec, "uuid"))) {
		struct uuid u;
		if (uuid_parse(s, &u))
			return cfg_fail(sec, "uuid", s, -EINVAL, d, "not a UUID");
		memcpy(x->o.uuid, u.b, 16);
		x->uuid_set = true;
	}
	if ((s = cfg_getstr(sec, "hash-seed"))) {
		struct uuid u;
		if (uuid_parse(s, &u))
			return cfg_fail(sec, "hash-seed", s, -EINVAL, d, "not a UUID");
		seed_words(&u, x->o.hash_seed);
		x->seed_set = true;
	}
	struct { const char *key; uint32_t *v32; uint64_t *v64; } nums[] = {
		{ "block-size", &x->o.block_size, NULL },
		{ "inode-size", &x->o.inode_size, NULL },
		{ "inodes", NULL, &x->o.inodes },
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		uint64_t v;
		if (!(s = cfg_getstr(sec, nums[i].key)))
			continue;
		if (parse_u64(s, &v) || !v || v > 0xFFFFFFFFull)
			return cfg_fail(sec, nums[i].key, s, -EINVAL, d, "expected a positive number");
		if (nums[i].v32)
			*nums[i].v32 = (uint32_t)v;
		else
			*nums[i].v64 = v;
	}
	if ((s = cfg_getstr(sec, "journal-size"))) {
		struct size_spec sp;
		bool set;
		const char *f = cfg_getstr(sec, "features");
		if ((r = cfg_get_size(sec, "journal-size", 0, &sp, &set, d)))
			return r;
		/* journal-size turns the journal on: not against an explicit "no". */
		if (f && strstr(f, "^has_journal"))
			return cfg_fail(sec, "journal-size", s, -EINVAL, d,
					"conflicts with features = \"%s\" (^has_journal: no journal)", f);
		x->o.journal_bytes = sp.bytes;
		x->o.compat |= 0x0004;
	}
	if ((s = cfg_getstr(sec, "margin"))) {
		size_t l = strlen(s);
		uint64_t v;
		if (l && s[l - 1] == '%') {
			char tmp[32];
			snprintf(tmp, sizeof(tmp), "%.*s", (int)(l - 1), s);
			if (parse_u64(tmp, &v) || v > 1000)
				return cfg_fail(sec, "margin", s, -EINVAL, d, "expected PERCENT%% or a size");
			x->o.margin_pct = (uint32_t)v;
			x->o.margin_min = 0;
		} else {
			struct size_spec sp;
			bool set;
			if ((r = cfg_get_size(sec, "margin", 0, &sp, &set, d)))
				return r;
			x->o.margin_pct = 0;
			x->o.margin_min = sp.bytes;
		}
	}
	img->keep_owner = cfg_getbool(sec, "keep-owner");
	/* genimage refuses a zero size ("must not be zero") rather than
	 * mkfs a useless image; so does kiln, in both modes. */
	if (img->size_set && !img->size && !img->size_spec.percent_set)
		return diag_fail(d, -EINVAL, "%s:%u: size = 0: an %s image needs a size%s",
				 img->size_file, img->size_line, fstype,
				 b->genimage_mode ? "" : " (leave size out for the smallest that fits)");
	/* As mke2fs: block numbers above 2^32 are reachable only by extents. */
	if ((x->o.incompat & EXT4_INCOMPAT_64BIT) && !(x->o.incompat & EXT4_INCOMPAT_EXTENTS))
		return diag_fail(d, -EINVAL, "%s:%d: feature 64bit needs extents (features = \"%s\")",
				 img->cfgfile ? img->cfgfile : "?", img->line,
				 cfg_getstr(sec, "features") ? cfg_getstr(sec, "features") : "");
	if (b->genimage_mode && !img->size_set)
		return diag_fail(d, -EINVAL, "%s:%d: image '%s': %s images need a size in genimage mode",
				 img->cfgfile ? img->cfgfile : "?", img->line, img->name, fstype);
	return 0;
}

static int ext2_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	return ext_parse_common(b, img, sec, "ext2", d);
}
static int ext3_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	return ext_parse_common(b, img, sec, "ext3", d);
}
static int ext4_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	return ext_parse_common(b, img, sec, "ext4", d);
}

static int over_2g(struct tree_node *n, void *ud)
{
	(void)ud;
	return tree_is_reg(n) && n->size > 0x7fffffff;
}

/*
 * genimage runs mke2fs with -O ^large_file below 4 GiB and -O ^huge_file
 * below 2 TiB, ahead of the image's own features and extraargs, which may
 * turn them back on. e2fsprogs sets large_file anyway when it writes a
 * file over 2 GiB, so such a file keeps it here too.
 */
static void genimage_size_features(struct ext_priv *x, struct ext4_opts *o, uint64_t size)
{
	if (!x->large_named && size < (4ull << 30) && !tree_walk(x->tree, over_2g, NULL))
		o->ro_compat &= ~(uint32_t)EXT4_RO_COMPAT_LARGE_FILE;
	if (!x->huge_named && size < (2ull << 40))
		o->ro_compat &= ~(uint32_t)EXT4_RO_COMPAT_HUGE_FILE;
}

/*
 * genimage's size = "N%": N% of the content as genimage measures it (util.c,
 * dir_size): every regular file name rounded up to 4096 bytes, plus 4096 per
 * directory, the top one included.
 */
static int add_usage(struct tree_node *n, void *ud)
{
	uint64_t *sum = ud, sz = 4096;

	if (tree_is_reg(n)) {
		const struct tree_node *t = n->hardlink ? n->hardlink : n;
		sz = t->size / 4096 * 4096 + (t->size % 4096 ? 4096 : 0);
	} else if (!tree_is_dir(n)) {
		sz = 0;
	}
	return u64_add(*sum, sz, sum) ? -EOVERFLOW : 0;
}

static int percent_size(struct image *img, struct tree *t, struct diag *d)
{
	uint64_t sum = 0;

	if (!img->empty && tree_walk(t, add_usage, &sum))
		goto big;
	if (u64_mul(sum, img->size_spec.percent, &sum))
		goto big;
	img->size = sum / 100;
	if (!img->size)
		return diag_fail(d, -EINVAL, "%s:%u: size %u%%: that is 0 bytes of content",
				 img->size_file ? img->size_file : "?", img->size_line,
				 img->size_spec.percent);
	return 0;
big:
	return diag_fail(d, -EOVERFLOW, "%s:%u: size %u%%: too large",
			 img->size_file ? img->size_file : "?", img->size_line,
			 img->size_spec.percent);
}

static int ext_setup(struct build *b, struct image *img, struct diag *d)
{
	struct ext_priv *x = img->priv;
	struct ext4_opts o = x->o;
	int r;

	if (!x->uuid_set) {
		struct uuid u;
		uuid_derive(&img->seed, "ext4-uuid", 0, &u);
		memcpy(o.uuid, u.b, 16);
	}
	if (!x->seed_set) {
		struct uuid u;
		uuid_derive(&img->seed, "ext4-hash-seed", 0, &u);
		seed_words(&u, o.hash_seed);
	}
	r = image_content_tree(b, img, &x->tree, d);
	if (r)
		return r;
	if (img->size_set && img->size_spec.percent_set && (r = percent_size(img, x->tree, d)))
		return r;
	if (img->size_set)
		o.size = img->size;
	if (b->genimage_mode && img->size_set)
		genimage_size_features(x, &o, img->size);
	r = ext4_plan_new(&x->plan, x->tree, &o, d);
	if (r)
		return r;
	if (!img->size_set)
		img->size = ext4_plan_bytes(x->plan);
	return 0;
}

static int ext_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct ext_priv *x = img->priv;

	(void)b;
	return ext4_write(x->plan, out, d);
}

static void ext_describe(const struct image *img, void (*line)(void *ud, const char *text), void *ud)
{
	struct ext_priv *x = img->priv;
	char buf[512], feats[400];

	if (!x || !x->plan)
		return;
	ext4_plan_summary(x->plan, buf, sizeof(buf));
	line(ud, buf);
	ext4_features_format(&x->o, feats, sizeof(feats));
	snprintf(buf, sizeof(buf), "features: %s", feats);
	line(ud, buf);
}

static int ext_key(struct build *b, struct image *img, struct image_key *k, struct diag *d)
{
	return image_key_tree(b, k, ((struct ext_priv *)img->priv)->tree, d);
}

static void ext_release(struct image *img)
{
	struct ext_priv *x = img->priv;

	if (!x)
		return;
	ext4_plan_free(x->plan);
	tree_free(x->tree);
	free(x);
	img->priv = NULL;
}

const struct image_handler ext2_handler = {
	.type = "ext2", .opts = ext_opts, .parse = ext2_parse, .setup = ext_setup,
	.generate = ext_generate, .describe = ext_describe, .release = ext_release,
	.content = image_content_tree, .key = ext_key,
};
const struct image_handler ext3_handler = {
	.type = "ext3", .opts = ext_opts, .parse = ext3_parse, .setup = ext_setup,
	.generate = ext_generate, .describe = ext_describe, .release = ext_release,
	.content = image_content_tree, .key = ext_key,
};
const struct image_handler ext4_handler = {
	.type = "ext4", .opts = ext_opts, .parse = ext4_parse, .setup = ext_setup,
	.generate = ext_generate, .describe = ext_describe, .release = ext_release,
	.content = image_content_tree, .key = ext_key,
};
