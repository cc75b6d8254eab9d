/* SPDX-License-Identifier: MIT */
/*
 * `tree NAME { }` sections: reading them from the config (no I/O but a
 * stat for the password warning) and composing them into a struct tree
 * (docs/config/trees.md).
 */
#include "plan/trees.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/hash.h"
#include "config/cfgutil.h"
#include "fs/tree-archive.h"
#include "fs/tree-tables.h"
#include "plan/build.h"
#include "plan/trees-def.h"
#include "plan/vars.h"

#define MAX_TREES 256
#define MAX_LAYERS 4096
#define MAX_ITEMS 100000
#define MAX_TEXT (16u << 20)   /* inline/expanded files, tables, /etc files */
#define MAX_PATHBUF 70000

static const char *const item_kw[ITEM_KIND_MAX] = {
	[ITEM_MKDIR] = "mkdir", [ITEM_FILE] = "file", [ITEM_SYMLINK] = "symlink",
	[ITEM_HARDLINK] = "hardlink", [ITEM_NODE] = "node",
};

static const char *const conflict_kw[] = {
	[TREE_CONFLICT_ERROR] = "error", [TREE_CONFLICT_KEEP_FIRST] = "keep-first",
	[TREE_CONFLICT_REPLACE] = "replace",
};

/* ---- freeing ---- */

static void strv_free(char **v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void def_free(struct tree_def *def)
{
	for (unsigned i = 0; i < def->nlayers; i++) {
		struct tree_layer *l = &def->layers[i];
		for (unsigned k = 0; k < l->nitems; k++) {
			struct tree_item *it = &l->items[k];
			free(it->path);
			free(it->content);
			free(it->source);
			free(it->target);
		}
		free(l->items);
		free(l->src_path);
		free(l->subdir);
		free(l->dest);
		free(l->label);
		tree_archive_log_free(l->log);
		strv_free(l->remove, l->nremove);
		strv_free(l->include, l->ninclude);
	}
	free(def->layers);
	strv_free(def->devtables, def->ndevtables);
	strv_free(def->fsconfigs, def->nfsconfigs);
	for (unsigned i = 0; i < def->nattrs; i++)
		free(def->attrs[i].glob);
	free(def->attrs);
	for (unsigned i = 0; i < def->nusers; i++) {
		struct tree_user *u = &def->users[i];
		free(u->name);
		free(u->home);
		free(u->shell);
		free(u->gecos);
		if (u->password)
			explicit_bzero(u->password, strlen(u->password));
		free(u->password);
		free(u->hash);
		strv_free(u->groups, u->ngroups);
	}
	free(def->users);
	for (unsigned i = 0; i < def->ngroups; i++) {
		free(def->groups[i].name);
		strv_free(def->groups[i].members, def->groups[i].nmembers);
	}
	free(def->groups);
	free(def->name);
}

void trees_release(struct build *b)
{
	struct trees_state *st = b->trees;

	if (st) {
		for (unsigned i = 0; i < st->ndefs; i++)
			def_free(&st->defs[i]);
		free(st->defs);
		strv_free(st->vars, st->nvars);
		if (st->spill_ready)
			spill_release(&st->spill);
		free(st->blobs);
		free(st);
	}
	b->trees = NULL;
}

/* ---- reading the config ---- */

static const char *sec_file(struct build *b, cfg_t *sec)
{
	return sec->filename ? sec->filename : b->paths.config;
}

static int dup_opt(cfg_t *sec, const char *key, char **ret, struct diag *d)
{
	if (cfg_dup_str(sec, key, ret))
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

static int strv_dup(cfg_t *sec, const char *key, char ***ret, unsigned *ret_n, struct diag *d)
{
	unsigned n = cfg_size(sec, key);
	char **v = n ? calloc(n, sizeof(*v)) : NULL;

	if (n && !v)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		if (!(v[i] = strdup(cfg_getnstr(sec, key, i)))) {
			strv_free(v, i);
			return diag_fail(d, -ENOMEM, "out of memory");
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int get_id(cfg_t *sec, const char *key, uint32_t *ret, bool *ret_set, struct diag *d)
{
	long v = cfg_getint(sec, key);
	char s[32];

	if (ret_set)
		*ret_set = v != -1;
	if (v == -1) {
		*ret = 0;
		return 0;
	}
	if (v < 0 || v > 4294967294L) {
		snprintf(s, sizeof(s), "%ld", v);
		return cfg_fail(sec, key, s, -EINVAL, d, "expected 0..4294967294");
	}
	*ret = (uint32_t)v;
	return 0;
}

static int parse_octal(const char *s, uint32_t *ret)
{
	char *e;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(s, &e, 8);
	if (*e || errno || v > 07777)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int get_mode(cfg_t *sec, const char *key, uint32_t def, uint32_t *ret, bool *ret_set,
		    struct diag *d)
{
	const char *s = cfg_getstr(sec, key);

	if (ret_set)
		*ret_set = s != NULL;
	if (!s) {
		*ret = def;
		return 0;
	}
	if (parse_octal(s, ret))
		return cfg_fail(sec, key, s, -EINVAL, d, "expected an octal mode such as 0644");
	return 0;
}

static int parse_policy(cfg_t *sec, const char *s, int *ret, struct diag *d)
{
	for (int i = 0; i <= TREE_CONFLICT_REPLACE; i++) {
		if (!strcmp(s, conflict_kw[i])) {
			*ret = i;
			return 0;
		}
	}
	return cfg_fail(sec, "conflicts", s, -EINVAL, d, "expected error, keep-first or replace");
}

static int expand_fail(int r, const char *file, unsigned line, const char *what, const char *bad,
		       struct diag *d)
{
	if (r == -ENOENT)
		return diag_fail(d, r, "%s:%u: %s: ${%s} is not defined (not in vars, not in the "
				 "environment)", file, line, what, bad);
	if (r == -EINVAL)
		return diag_fail(d, r, "%s:%u: %s: malformed variable reference \"%s\" (write "
				 "${NAME}; $${ for a literal ${)", file, line, what, bad);
	if (r == -E2BIG)
		return diag_fail(d, r, "%s:%u: %s: expanded text too large", file, line, what);
	return diag_fail(d, r, "out of memory");
}

static int load_item(struct build *b, struct trees_state *st, cfg_t *sec, enum item_kind kind,
		     struct tree_item *it, struct diag *d)
{
	static const uint32_t def_mode[ITEM_KIND_MAX] = { 0755, 0644, 0777, 0, 0600 };
	int r;

	it->kind = kind;
	it->cfgfile = sec_file(b, sec);
	it->line = (unsigned)sec->line;
	if (!(it->path = strdup(cfg_title(sec))))
		return diag_fail(d, -ENOMEM, "out of memory");
	if (!*it->path || strstr(it->path, "/../") || !strncmp(it->path, "../", 3) ||
	    !strcmp(it->path, "..") || (strlen(it->path) >= 3 && !strcmp(it->path + strlen(it->path) - 3, "/..")))
		return diag_fail(d, -EINVAL, "%s:%u: %s \"%s\": expected a path inside the tree",
				 it->cfgfile, it->line, item_kw[kind], it->path);
	if (kind != ITEM_HARDLINK) {
		if ((r = get_id(sec, "uid", &it->uid, NULL, d)) || (r = get_id(sec, "gid", &it->gid, NULL, d)))
			return r;
	}
	if (kind != ITEM_HARDLINK && kind != ITEM_SYMLINK) {
		if ((r = get_mode(sec, "mode", def_mode[kind], &it->mode, NULL, d)))
			return r;
	} else {
		it->mode = def_mode[kind];
	}
	switch (kind) {
	case ITEM_MKDIR:
		break;
	case ITEM_FILE: {
		const char *c = cfg_getstr(sec, "content"), *s = cfg_getstr(sec, "source");
		if (!c == !s)
			return diag_fail(d, -EINVAL, "%s:%u: file \"%s\": give exactly one of content "
					 "or source", it->cfgfile, it->line, it->path);
		it->expand = cfg_getbool(sec, "expand") || c;
		if (c) {
			char bad[160];
			size_t len;
			r = vars_expand(b, c, strlen(c), &it->content, &len, bad, sizeof(bad));
			if (r)
				return expand_fail(r, it->cfgfile, it->line, it->path, bad, d);
			if (len != strlen(it->content))
				return diag_fail(d, -EINVAL, "%s:%u: file \"%s\": NUL in content",
						 it->cfgfile, it->line, it->path);
		} else if (!(it->source = strdup(s))) {
			return diag_fail(d, -ENOMEM, "out of memory");
		}
		break;
	}
	case ITEM_SYMLINK:
	case ITEM_HARDLINK: {
		const char *t = cfg_getstr(sec, "target");
		if (!t || !*t)
			return diag_fail(d, -EINVAL, "%s:%u: %s \"%s\": target is required", it->cfgfile,
					 it->line, item_kw[kind], it->path);
		if (!(it->target = strdup(t)))
			return diag_fail(d, -ENOMEM, "out of memory");
		break;
	}
	case ITEM_NODE: {
		static const struct { const char *name; uint32_t type; } types[] = {
			{ "char", 0020000 }, { "c", 0020000 }, { "block", 0060000 }, { "b", 0060000 },
			{ "fifo", 0010000 }, { "p", 0010000 }, { "socket", 0140000 }, { "s", 0140000 },
		};
		const char *t = cfg_getstr(sec, "type");
		for (unsigned i = 0; t && i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcmp(t, types[i].name))
				it->type = types[i].type;
		if (!it->type)
			return cfg_fail(sec, "type", t ? t : "", -EINVAL, d,
					"expected char, block, fifo or socket");
		long ma = cfg_getint(sec, "major"), mi = cfg_getint(sec, "minor");
		char s[32];
		if (ma < 0 || ma > 0xfff) {
			snprintf(s, sizeof(s), "%ld", ma);
			return cfg_fail(sec, "major", s, -EINVAL, d, "expected 0..4095");
		}
		if (mi < 0 || mi > 0xfffff) {
			snprintf(s, sizeof(s), "%ld", mi);
			return cfg_fail(sec, "minor", s, -EINVAL, d, "expected 0..1048575");
		}
		it->major = (uint32_t)ma;
		it->minor = (uint32_t)mi;
		break;
	}
	case ITEM_KIND_MAX:
		break;
	}
	return 0;
}

static int load_layer(struct build *b, struct trees_state *st, struct tree_def *def, cfg_t *sec,
		      bool is_layer, struct tree_layer *l, struct diag *d)
{
	char lab[512];
	int r;

	l->cfgfile = sec_file(b, sec);
	l->line = (unsigned)sec->line;
	l->policy = -1;
	if (is_layer) {
		static const char *const src_kw[] = { "dir", "archive", "deb" };
		for (unsigned i = 0; i < 3; i++) {
			const char *v = cfg_getstr(sec, src_kw[i]);
			if (!v)
				continue;
			if (l->src)
				return diag_fail(d, -EINVAL, "%s:%u: tree '%s': a layer has one source "
						 "(dir, archive or deb); use one layer each", l->cfgfile,
						 l->line, def->name);
			l->src = (enum layer_src)(LAYER_DIR + i);
			if (!*v)
				return cfg_fail(sec, src_kw[i], v, -EINVAL, d, "empty path");
			if (!(l->src_path = strdup(v)))
				return diag_fail(d, -ENOMEM, "out of memory");
		}
		if ((r = dup_opt(sec, "subdir", &l->subdir, d)) || (r = dup_opt(sec, "dest", &l->dest, d)))
			return r;
		if (l->subdir && !l->src)
			return cfg_fail(sec, "subdir", l->subdir, -EINVAL, d,
					"only for dir, archive and deb layers");
		if ((r = strv_dup(sec, "include", &l->include, &l->ninclude, d)))
			return r;
		if (l->ninclude && l->src != LAYER_ARCHIVE && l->src != LAYER_DEB)
			return cfg_fail(sec, "include", l->include[0], -EINVAL, d,
					"only for archive and deb layers");
		if (l->subdir && (strstr(l->subdir, "..") || l->subdir[0] == '/'))
			return cfg_fail(sec, "subdir", l->subdir, -EINVAL, d,
					"expected a relative path without \"..\"");
		if (l->dest && strstr(l->dest, ".."))
			return cfg_fail(sec, "dest", l->dest, -EINVAL, d, "\"..\" is not allowed");
		l->keep_owner = cfg_getbool(sec, "keep-owner");
		l->follow_symlinks = cfg_getbool(sec, "follow-symlinks");
		if (l->follow_symlinks && l->src != LAYER_ARCHIVE && l->src != LAYER_DEB)
			return cfg_fail(sec, "follow-symlinks", "true", -EINVAL, d,
					"only for archive and deb layers");
		const char *c = cfg_getstr(sec, "conflicts");
		if (c && (r = parse_policy(sec, c, &l->policy, d)))
			return r;
		if (l->src)
			snprintf(lab, sizeof(lab), "%s \"%s%s%s\" (%s:%u)",
				 l->src == LAYER_DIR ? "dir" : l->src == LAYER_ARCHIVE ? "archive" : "deb",
				 l->src_path, l->subdir ? "/" : "", l->subdir ? l->subdir : "",
				 l->cfgfile, l->line);
		else
			snprintf(lab, sizeof(lab), "layer (%s:%u)", l->cfgfile, l->line);
	} else {
		snprintf(lab, sizeof(lab), "tree %s (%s:%u)", def->name, l->cfgfile, l->line);
	}
	if (!(l->label = strdup(lab)))
		return diag_fail(d, -ENOMEM, "out of memory");
	if ((r = strv_dup(sec, "remove", &l->remove, &l->nremove, d)))
		return r;
	unsigned n = 0;
	for (unsigned k = 0; k < ITEM_KIND_MAX; k++)
		n += cfg_size(sec, item_kw[k]);
	if (n > MAX_ITEMS)
		return diag_fail(d, -E2BIG, "%s:%u: more than %d inline entries", l->cfgfile, l->line,
				 MAX_ITEMS);
	l->items = n ? calloc(n, sizeof(*l->items)) : NULL;
	if (n && !l->items)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned k = 0; k < ITEM_KIND_MAX; k++) {
		for (unsigned i = 0; i < cfg_size(sec, item_kw[k]); i++) {
			r = load_item(b, st, cfg_getnsec(sec, item_kw[k], i), (enum item_kind)k,
				      &l->items[l->nitems++], d);
			if (r)
				return r;
		}
	}
	return 0;
}

static bool bad_field(const char *s)
{
	return s && strpbrk(s, ":\n");
}

static bool bad_name(const char *s)
{
	return !s || !*s || strlen(s) > 64 || strpbrk(s, ":,\n \t/") || *s == '-' || *s == '+';
}

static int load_user(struct build *b, cfg_t *sec, struct tree_user *u, struct diag *d)
{
	const char *file = sec_file(b, sec);
	int r;
	long rounds;

	u->line = (unsigned)sec->line;
	if (bad_name(cfg_title(sec)))
		return diag_fail(d, -EINVAL, "%s:%u: user \"%s\": not a valid user name", file, u->line,
				 cfg_title(sec));
	if (!(u->name = strdup(cfg_title(sec))))
		return diag_fail(d, -ENOMEM, "out of memory");
	if ((r = get_id(sec, "uid", &u->uid, &u->uid_set, d)) ||
	    (r = get_id(sec, "gid", &u->gid, &u->gid_set, d)) ||
	    (r = dup_opt(sec, "home", &u->home, d)) || (r = dup_opt(sec, "shell", &u->shell, d)) ||
	    (r = dup_opt(sec, "gecos", &u->gecos, d)) ||
	    (r = dup_opt(sec, "password", &u->password, d)) ||
	    (r = dup_opt(sec, "password-hash", &u->hash, d)) ||
	    (r = strv_dup(sec, "groups", &u->groups, &u->ngroups, d)) ||
	    (r = get_mode(sec, "home-mode", 0755, &u->home_mode, NULL, d)))
		return r;
	u->locked = cfg_getbool(sec, "locked");
	u->create_home = cfg_getbool(sec, "create-home");
	static const char *const fields[] = { "home", "shell", "gecos", "password-hash" };
	const char *vals[] = { u->home, u->shell, u->gecos, u->hash };
	for (unsigned i = 0; i < 4; i++)
		if (bad_field(vals[i]))
			return cfg_fail(sec, fields[i], vals[i], -EINVAL, d,
					"':' and newlines are not allowed");
	if (u->password && strchr(u->password, '\n'))
		return diag_fail(d, -EINVAL, "%s:%u: user %s: password contains a newline", file,
				 u->line, u->name);
	if (u->password && u->hash)
		return diag_fail(d, -EINVAL, "%s:%u: user %s: give password or password-hash, not "
				 "both", file, u->line, u->name);
	for (unsigned i = 0; i < u->ngroups; i++)
		if (bad_name(u->groups[i]))
			return cfg_fail(sec, "groups", u->groups[i], -EINVAL, d, "not a valid group name");
	rounds = cfg_getint(sec, "rounds");
	if (rounds && (rounds < 1000 || rounds > 999999999)) {
		char s[32];
		snprintf(s, sizeof(s), "%ld", rounds);
		return cfg_fail(sec, "rounds", s, -EINVAL, d, "expected 1000..999999999");
	}
	u->rounds = (unsigned)rounds;
	if (u->password) {
		struct stat sb;
		if (!stat(file, &sb) && (sb.st_mode & S_IROTH))
			diag_warn(d, "%s:%u: user %s: plain password in a file others can read "
				  "(chmod o-r %s, or use password-hash)", file, u->line, u->name, file);
	}
	return 0;
}

static int load_group(struct build *b, cfg_t *sec, struct tree_group *g, struct diag *d)
{
	int r;

	g->line = (unsigned)sec->line;
	if (bad_name(cfg_title(sec)))
		return diag_fail(d, -EINVAL, "%s:%u: group \"%s\": not a valid group name",
				 sec_file(b, sec), g->line, cfg_title(sec));
	if (!(g->name = strdup(cfg_title(sec))))
		return diag_fail(d, -ENOMEM, "out of memory");
	if ((r = get_id(sec, "gid", &g->gid, &g->gid_set, d)) ||
	    (r = strv_dup(sec, "members", &g->members, &g->nmembers, d)))
		return r;
	for (unsigned i = 0; i < g->nmembers; i++)
		if (bad_name(g->members[i]))
			return cfg_fail(sec, "members", g->members[i], -EINVAL, d, "not a valid user name");
	return 0;
}

static int load_attr(struct build *b, cfg_t *sec, struct tree_attrdef *a, struct diag *d)
{
	const char *caps = cfg_getstr(sec, "capabilities");
	int r;

	a->line = (unsigned)sec->line;
	if (!(a->glob = strdup(cfg_title(sec))))
		return diag_fail(d, -ENOMEM, "out of memory");
	if ((r = get_mode(sec, "mode", 0, &a->mode, &a->mode_set, d)) ||
	    (r = get_id(sec, "uid", &a->uid, &a->uid_set, d)) ||
	    (r = get_id(sec, "gid", &a->gid, &a->gid_set, d)))
		return r;
	if (caps) {
		char *e;
		errno = 0;
		unsigned long long v = strtoull(caps, &e, 0);
		if (!*caps || *caps == '-' || *e || errno)
			return cfg_fail(sec, "capabilities", caps, -EINVAL, d,
					"expected a 64-bit mask such as 0x1000 (CAP_NET_ADMIN)");
		a->caps = v;
		a->caps_set = true;
	}
	if (!a->mode_set && !a->uid_set && !a->gid_set && !a->caps_set)
		return diag_fail(d, -EINVAL, "%s:%u: attr \"%s\": sets nothing (mode, uid, gid or "
				 "capabilities)", sec_file(b, sec), a->line, a->glob);
	return 0;
}

static int load_def(struct build *b, struct trees_state *st, cfg_t *sec, struct tree_def *def,
		    struct diag *d)
{
	int r, pol = TREE_CONFLICT_ERROR;

	def->cfgfile = sec_file(b, sec);
	def->line = (unsigned)sec->line;
	if (!(def->name = strdup(cfg_title(sec))))
		return diag_fail(d, -ENOMEM, "out of memory");
	if ((r = parse_policy(sec, cfg_getstr(sec, "conflicts"), &pol, d)))
		return r;
	def->policy = (enum tree_conflict)pol;
	unsigned nl = cfg_size(sec, "layer");
	if (nl >= MAX_LAYERS)
		return diag_fail(d, -E2BIG, "%s:%u: tree '%s': more than %d layers", def->cfgfile,
				 def->line, def->name, MAX_LAYERS);
	def->layers = calloc(nl + 1, sizeof(*def->layers));
	if (!def->layers)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i <= nl; i++) {
		r = load_layer(b, st, def, i < nl ? cfg_getnsec(sec, "layer", i) : sec, i < nl,
			       &def->layers[i], d);
		def->nlayers = i + 1;
		if (r)
			return r;
	}
	if ((r = strv_dup(sec, "device-table", &def->devtables, &def->ndevtables, d)) ||
	    (r = strv_dup(sec, "fs-config", &def->fsconfigs, &def->nfsconfigs, d)))
		return r;
	unsigned n = cfg_size(sec, "attr");
	def->attrs = n ? calloc(n, sizeof(*def->attrs)) : NULL;
	if (n && !def->attrs)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		def->nattrs = i + 1;
		if ((r = load_attr(b, cfg_getnsec(sec, "attr", i), &def->attrs[i], d)))
			return r;
	}
	n = cfg_size(sec, "user");
	def->users = n ? calloc(n, sizeof(*def->users)) : NULL;
	if (n && !def->users)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		def->nusers = i + 1;
		if ((r = load_user(b, cfg_getnsec(sec, "user", i), &def->users[i], d)))
			return r;
	}
	n = cfg_size(sec, "group");
	def->groups = n ? calloc(n, sizeof(*def->groups)) : NULL;
	if (n && !def->groups)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		def->ngroups = i + 1;
		if ((r = load_group(b, cfg_getnsec(sec, "group", i), &def->groups[i], d)))
			return r;
	}
	return 0;
}

int trees_load(struct build *b, cfg_t *cfg, struct diag *d)
{
	struct trees_state *st;
	unsigned n = cfg_size(cfg, "tree");
	int r;

	trees_release(b);
	st = calloc(1, sizeof(*st));
	if (!st)
		return diag_fail(d, -ENOMEM, "out of memory");
	b->trees = st;
	if (n > MAX_TREES)
		return diag_fail(d, -E2BIG, "%s: more than %d trees", b->paths.config, MAX_TREES);
	if ((r = strv_dup(cfg, "vars", &st->vars, &st->nvars, d)))
		return r;
	for (unsigned i = 0; i < st->nvars; i++) {
		const char *eq = strchr(st->vars[i], '=');
		if (!eq || eq == st->vars[i])
			return cfg_fail(cfg, "vars", st->vars[i], -EINVAL, d, "expected NAME=value");
	}
	st->defs = n ? calloc(n, sizeof(*st->defs)) : NULL;
	if (n && !st->defs)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		st->ndefs = i + 1;
		if ((r = load_def(b, st, cfg_getnsec(cfg, "tree", i), &st->defs[i], d)))
			return r;
	}
	return 0;
}

/* ---- composing ---- */

static char *resolve(struct build *b, const char *p, const char *sub)
{
	size_t n = strlen(b->paths.inputpath) + strlen(p) + (sub ? strlen(sub) : 0) + 3;
	char *s = malloc(n);

	if (!s)
		return NULL;
	if (p[0] == '/')
		snprintf(s, n, "%s%s%s", p, sub ? "/" : "", sub ? sub : "");
	else
		snprintf(s, n, "%s/%s%s%s", b->paths.inputpath, p, sub ? "/" : "", sub ? sub : "");
	return s;
}

int trees_read_node(struct tree_node *n, uint64_t max, char **ret, uint64_t *ret_len,
		    struct diag *d)
{
	while (n->hardlink)
		n = n->hardlink;
	char *path = tree_path(n);
	uint64_t size = n->size;
	char *buf = NULL;
	int fd = -1, r = 0;

	if (!path)
		return diag_fail(d, -ENOMEM, "out of memory");
	if (!tree_is_reg(n)) {
		r = diag_fail(d, -EINVAL, "/%s: not a regular file", path);
		goto out;
	}
	if (size > max) {
		r = diag_fail(d, -EFBIG, "/%s: larger than %llu bytes", path, (unsigned long long)max);
		goto out;
	}
	buf = malloc(size + 1);
	if (!buf) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	if (size) {
		char srcbuf[TREE_SRC_PATH_MAX];
		const char *src = tree_node_src_path(n, srcbuf, sizeof(srcbuf));
		if (!src || (fd = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
			r = diag_fail(d, -EIO, "/%s: cannot read its data", path);
			goto out;
		}
		for (uint64_t got = 0; got < size;) {
			ssize_t k = pread(fd, buf + got, size - got, (off_t)(n->src_off + got));
			if (k <= 0) {
				r = diag_fail(d, -EIO, "/%s: short read from %s", path, src);
				goto out;
			}
			got += (uint64_t)k;
		}
	}
	buf[size] = 0;
	*ret = buf;
	*ret_len = size;
	buf = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(path);
	return r;
}

int trees_store_file(struct trees_state *st, struct tree *t, const char *path, const char *data,
		     uint64_t len, uint32_t mode, uint32_t uid, uint32_t gid, uint32_t layer,
		     struct diag *d)
{
	struct tree_attr a = { .mode = 0100000 | mode, .uid = uid, .gid = gid, .mtime = t->epoch,
			       .size = len };
	uint8_t sha[32];
	struct spill_blob *bl = NULL;
	int r;

	if (sha256_buf(data, len, sha))
		return diag_fail(d, -ENOMEM, "sha256 failed");
	for (unsigned i = 0; i < st->nblobs && !bl; i++)
		if (st->blobs[i].len == len && !memcmp(st->blobs[i].sha, sha, 32))
			bl = &st->blobs[i];
	if (!bl) {
		struct spill_region reg = { 0 };
		struct spill_writer w;
		uint64_t off;
		if (st->nblobs == st->capblobs) {
			unsigned nc = st->capblobs ? st->capblobs * 2 : 8;
			struct spill_blob *nb = realloc(st->blobs, nc * sizeof(*nb));
			if (!nb)
				return diag_fail(d, -ENOMEM, "out of memory");
			st->blobs = nb;
			st->capblobs = nc;
		}
		spill_begin(&st->spill, &reg, &w);
		if ((r = spill_reserve(&w, len, &off, d)) || (r = spill_write(&w, off, data, len, d)) ||
		    (r = spill_end(&w, d)))
			return r;
		bl = &st->blobs[st->nblobs++];
		memcpy(bl->sha, sha, 32);
		bl->off = off;
		bl->len = len;
	}
	a.src_off = bl->off;
	if (len)
		a.src_path = spill_path(&st->spill);
	return tree_add(t, path, &a, TREE_CONFLICT_REPLACE, layer, NULL, d);
}

static int ensure_spill(struct build *b, struct trees_state *st, struct diag *d)
{
	if (st->spill_ready)
		return 0;
	if (spill_init(&st->spill, b->paths.tmppath))
		return diag_fail(d, -ENOMEM, "out of memory");
	st->spill_ready = true;
	return 0;
}

static int apply_item(struct build *b, struct trees_state *st, struct tree *t,
		      struct tree_item *it, enum tree_conflict pol, uint32_t layer, struct diag *d)
{
	struct tree_attr a = { .uid = it->uid, .gid = it->gid, .mtime = t->epoch };
	char *host = NULL, *text = NULL, *exp = NULL;
	int r = 0;

	switch (it->kind) {
	case ITEM_MKDIR:
		a.mode = 0040000 | it->mode;
		return tree_add(t, it->path, &a, pol, layer, NULL, d);
	case ITEM_SYMLINK:
		a.mode = 0120777;
		a.link = it->target;
		return tree_add(t, it->path, &a, pol, layer, NULL, d);
	case ITEM_HARDLINK:
		return tree_add_hardlink(t, it->path, it->target, pol, layer, d);
	case ITEM_NODE:
		a.mode = it->type | it->mode;
		a.rdev_major = it->major;
		a.rdev_minor = it->minor;
		return tree_add(t, it->path, &a, pol, layer, NULL, d);
	case ITEM_FILE:
		break;
	case ITEM_KIND_MAX:
		return -EINVAL;
	}
	a.mode = 0100000 | it->mode;
	const char *data = it->content;
	size_t len = data ? strlen(data) : 0;
	if (it->source) {
		struct stat sb;
		if (!(host = resolve(b, it->source, NULL)))
			return diag_fail(d, -ENOMEM, "out of memory");
		if (stat(host, &sb) || !S_ISREG(sb.st_mode)) {
			r = diag_fail(d, errno ? -errno : -EINVAL, "%s:%u: file \"%s\": source %s: %s",
				      it->cfgfile, it->line, it->path, host,
				      errno ? strerror(errno) : "not a regular file");
			goto out;
		}
		if (!it->expand) {
			a.size = (uint64_t)sb.st_size;
			a.src_path = host;
			r = tree_add(t, it->path, &a, pol, layer, NULL, d);
			goto out;
		}
		if ((uint64_t)sb.st_size > MAX_TEXT) {
			r = diag_fail(d, -EFBIG, "%s:%u: file \"%s\": source %s: too large to expand",
				      it->cfgfile, it->line, it->path, host);
			goto out;
		}
		int fd = open(host, O_RDONLY | O_CLOEXEC);
		text = malloc((size_t)sb.st_size + 1);
		ssize_t k = fd >= 0 && text ? read(fd, text, (size_t)sb.st_size) : -1;
		if (fd >= 0)
			close(fd);
		if (k != sb.st_size) {
			r = diag_fail(d, -EIO, "%s:%u: file \"%s\": cannot read %s", it->cfgfile,
				      it->line, it->path, host);
			goto out;
		}
		char bad[160];
		r = vars_expand(b, text, (size_t)k, &exp, &len, bad, sizeof(bad));
		if (r) {
			r = expand_fail(r, it->cfgfile, it->line, host, bad, d);
			goto out;
		}
		data = exp;
	}
	struct spill_writer w;
	spill_begin(&st->spill, &it->region, &w);
	a.size = len;
	if ((r = spill_reserve(&w, len, &a.src_off, d)) ||
	    (r = spill_write(&w, a.src_off, data, len, d)) || (r = spill_end(&w, d)))
		goto out;
	if (len)
		a.src_path = spill_path(&st->spill);
	r = tree_add(t, it->path, &a, pol, layer, NULL, d);
out:
	free(host);
	free(text);
	free(exp);
	return r;
}

/* Walk with a path buffer; @fn returns 1 to skip the node's children. */
typedef int (*match_fn)(struct tree *t, struct tree_node *n, const char *path, void *ud,
			struct diag *d);

static int glob_walk(struct tree *t, struct tree_node *dir, char *buf, size_t len,
		     const char *pat, match_fn fn, void *ud, unsigned *count, struct diag *d)
{
	/* Backwards: removing a child does not move the ones not yet seen. */
	for (uint32_t i = dir->nkids; i-- > 0;) {
		struct tree_node *k = dir->kids[i];
		size_t nl = strlen(k->name);
		if (len + nl + 2 > MAX_PATHBUF)
			return diag_fail(d, -ENAMETOOLONG, "path too long under /%s", buf);
		size_t l2 = len;
		if (len)
			buf[l2++] = '/';
		memcpy(buf + l2, k->name, nl + 1);
		l2 += nl;
		bool is_dir = tree_is_dir(k);
		int r = 0;
		if (!fnmatch(pat, buf, FNM_PATHNAME)) {
			++*count;
			r = fn(t, k, buf, ud, d);
			if (r < 0)
				return r;
		}
		if (r == 0 && is_dir) {
			r = glob_walk(t, k, buf, l2, pat, fn, ud, count, d);
			if (r < 0)
				return r;
		}
		buf[len] = 0;
	}
	return 0;
}

static int do_remove(struct tree *t, struct tree_node *n, const char *path, void *ud,
		     struct diag *d)
{
	(void)n;
	(void)ud;
	(void)d;
	tree_remove(t, path);
	return 1;
}

static int do_attr(struct tree *t, struct tree_node *n, const char *path, void *ud,
		   struct diag *d)
{
	const struct tree_attrdef *a = ud;

	(void)t;
	(void)path;
	while (n->hardlink)
		n = n->hardlink;
	if (a->mode_set)
		n->mode = (n->mode & 0170000) | a->mode;
	if (a->uid_set)
		n->uid = a->uid;
	if (a->gid_set)
		n->gid = a->gid;
	if (a->caps_set && tree_set_caps(n, a->caps))
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

static int for_glob(struct tree *t, const char *glob, match_fn fn, void *ud, unsigned *count,
		    struct diag *d)
{
	char *buf = malloc(MAX_PATHBUF);
	int r;

	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	while (*glob == '/')
		glob++;
	buf[0] = 0;
	*count = 0;
	if (!*glob) {
		/* "/" names the root itself. */
		*count = 1;
		r = fn == do_remove ? diag_fail(d, -EINVAL, "cannot remove the root")
				    : fn(t, t->root, "", ud, d);
	} else {
		r = glob_walk(t, t->root, buf, 0, glob, fn, ud, count, d);
	}
	free(buf);
	return r < 0 ? r : 0;
}

static int read_host_file(const char *path, char **ret, size_t *ret_len, struct diag *d)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;

	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > MAX_TEXT) {
		close(fd);
		return diag_fail(d, -EINVAL, "%s: not a regular file of at most 16 MiB", path);
	}
	buf = malloc((size_t)sb.st_size + 1);
	ssize_t k = buf ? read(fd, buf, (size_t)sb.st_size) : -1;
	close(fd);
	if (k != sb.st_size) {
		free(buf);
		return diag_fail(d, -EIO, "%s: read error", path);
	}
	buf[k] = 0;
	*ret = buf;
	*ret_len = (size_t)k;
	return 0;
}

static bool def_used(struct build *b, const struct tree_def *def)
{
	for (unsigned i = 0; i < b->nimages; i++)
		for (unsigned k = 0; k < b->images[i]->ntrees; k++)
			if (!strcmp(b->images[i]->trees[k], def->name))
				return true;
	return false;
}

/*
 * Layers of the trees images use that read the same archive file as @l
 * (same kind) and have no replay log yet: recorded in @l's first read,
 * so a package shared by several trees (a kernel .deb giving the kernel
 * to one tree and modules to another) is decompressed once. Returns
 * the count (*ret: malloc'd, may be NULL when 0).
 */
static unsigned collect_siblings(struct build *b, struct trees_state *st,
				 const struct tree_layer *l, const char *host,
				 struct tree_archive_sibling **ret)
{
	struct tree_archive_sibling *v = NULL;
	unsigned n = 0;
	struct stat sa, so;

	*ret = NULL;
	if (stat(host, &sa))
		return 0;
	for (unsigned i = 0; i < st->ndefs; i++) {
		struct tree_def *od = &st->defs[i];
		if (!def_used(b, od))
			continue;
		for (unsigned k = 0; k < od->nlayers; k++) {
			struct tree_layer *o = &od->layers[k];
			if (o == l || o->src != l->src || o->log)
				continue;
			char *oh = resolve(b, o->src_path, NULL);
			bool same = oh && !stat(oh, &so) && so.st_dev == sa.st_dev &&
				    so.st_ino == sa.st_ino;
			free(oh);
			if (!same)
				continue;
			struct tree_archive_sibling *nv = realloc(v, (n + 1) * sizeof(*v));
			if (!nv)
				break; /* only an optimisation: read the others later */
			v = nv;
			v[n++] = (struct tree_archive_sibling){
				.include = (const char *const *)o->include, .ninclude = o->ninclude,
				.subdir = o->subdir, .log = &o->log,
			};
		}
	}
	*ret = v;
	return n;
}

static int compose_def(struct build *b, struct trees_state *st, struct tree_def *def,
		       struct tree *t, struct diag *d)
{
	char lab[600];
	int r = 0;

	for (unsigned i = 0; i < def->nlayers && !r; i++) {
		struct tree_layer *l = &def->layers[i];
		enum tree_conflict pol = l->policy >= 0 ? (enum tree_conflict)l->policy : def->policy;
		int li = tree_add_layer(t, l->label);
		char *host = NULL;
		if (li < 0)
			return diag_fail(d, -ENOMEM, "out of memory");
		/* A dir layer's subdir is a host path; an archive's filters members. */
		if (l->src && !(host = resolve(b, l->src_path, l->src == LAYER_DIR ? l->subdir : NULL)))
			return diag_fail(d, -ENOMEM, "out of memory");
		if (l->src == LAYER_DIR) {
			r = tree_add_dir(t, host, l->dest ? l->dest : "", l->keep_owner, NULL, pol,
					 (uint32_t)li, d);
		} else if (l->src == LAYER_ARCHIVE || l->src == LAYER_DEB) {
			struct tree_archive_opts o = {
				.kind = l->src == LAYER_DEB ? TREE_ARCHIVE_DEB : TREE_ARCHIVE_AUTO,
				.dest = l->dest ? l->dest : "", .policy = pol, .layer = (uint32_t)li,
				.spill = &st->spill, .region = &l->region, .name = host,
				.follow_symlinks = l->follow_symlinks,
				.include = (const char *const *)l->include, .ninclude = l->ninclude,
				.subdir = l->subdir,
				.log = b->archive_nocache ? NULL : &l->log,
			};
			struct tree_archive_sibling *sib = NULL;
			if (o.log && !l->log)
				o.nsiblings = collect_siblings(b, st, l, host, &sib);
			o.siblings = sib;
			r = tree_add_archive(t, host, &o, d);
			free(sib);
		}
		free(host);
		for (unsigned k = 0; !r && k < l->nremove; k++) {
			unsigned cnt;
			r = for_glob(t, l->remove[k], do_remove, NULL, &cnt, d);
		}
		for (unsigned k = 0; !r && k < l->nitems; k++) {
			r = apply_item(b, st, t, &l->items[k], pol, (uint32_t)li, d);
			if (r && d && !strstr(d->msg, l->items[k].cfgfile))
				diag_prefix(d, "%s:%u: %s \"%s\"", l->items[k].cfgfile, l->items[k].line,
					    item_kw[l->items[k].kind], l->items[k].path);
		}
		if (r && d && !strstr(d->msg, "tree '"))
			diag_prefix(d, "tree '%s'", def->name);
		if (!r && t->nnodes > TREE_ARCHIVE_MAX_ENTRIES)
			r = diag_fail(d, -E2BIG, "tree '%s': more than %u entries", def->name,
				      TREE_ARCHIVE_MAX_ENTRIES);
	}
	if (r)
		return r;
	if (def->nusers || def->ngroups) {
		snprintf(lab, sizeof(lab), "users of tree %s (%s:%u)", def->name, def->cfgfile,
			 def->line);
		int li = tree_add_layer(t, lab);
		if (li < 0)
			return diag_fail(d, -ENOMEM, "out of memory");
		if ((r = trees_apply_users(b, st, def, t, (uint32_t)li, d))) {
			diag_prefix(d, "%s:%u: tree '%s'", def->cfgfile, def->line, def->name);
			return r;
		}
	}
	for (unsigned pass = 0; pass < 2; pass++) {
		char **v = pass ? def->fsconfigs : def->devtables;
		unsigned n = pass ? def->nfsconfigs : def->ndevtables;
		for (unsigned i = 0; i < n; i++) {
			char *host = resolve(b, v[i], NULL), *text = NULL;
			size_t len = 0;
			if (!host)
				return diag_fail(d, -ENOMEM, "out of memory");
			snprintf(lab, sizeof(lab), "%s \"%s\" (tree %s)", pass ? "fs-config" : "device-table",
				 v[i], def->name);
			int li = tree_add_layer(t, lab);
			r = li < 0 ? diag_fail(d, -ENOMEM, "out of memory")
				   : read_host_file(host, &text, &len, d);
			if (!r && pass)
				r = tree_apply_fs_config(t, text, len, host, d);
			else if (!r)
				r = tree_apply_device_table(t, text, len, host, (uint32_t)li, d);
			free(text);
			free(host);
			if (r) {
				diag_prefix(d, "tree '%s'", def->name);
				return r;
			}
		}
	}
	for (unsigned i = 0; i < def->nattrs; i++) {
		unsigned cnt;
		r = for_glob(t, def->attrs[i].glob, do_attr, &def->attrs[i], &cnt, d);
		if (r)
			return r;
		if (!cnt)
			diag_warn(d, "%s:%u: tree '%s': attr \"%s\" matches nothing", def->cfgfile,
				  def->attrs[i].line, def->name, def->attrs[i].glob);
	}
	return 0;
}

int trees_compose(struct build *b, struct image *img, struct tree *t, struct diag *d)
{
	struct trees_state *st = b->trees;
	int r;

	for (unsigned i = 0; i < img->ntrees; i++) {
		struct tree_def *def = NULL;
		for (unsigned k = 0; st && k < st->ndefs && !def; k++)
			if (!strcmp(st->defs[k].name, img->trees[i]))
				def = &st->defs[k];
		if (!def && !img->line) /* kiln ls --tree */
			return diag_fail(d, -ENOENT, "%s: tree \"%s\" is not defined",
					 img->cfgfile ? img->cfgfile : b->paths.config, img->trees[i]);
		if (!def)
			return diag_fail(d, -ENOENT, "%s:%u: image '%s': tree \"%s\" is not defined",
					 img->cfgfile ? img->cfgfile : b->paths.config, img->line,
					 img->name, img->trees[i]);
		if ((r = ensure_spill(b, st, d)))
			return r;
		if ((r = compose_def(b, st, def, t, d)))
			return r;
	}
	return 0;
}
