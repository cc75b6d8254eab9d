/* SPDX-License-Identifier: MIT */
/*
 * `tree NAME { }` sections: reading them from the config (no I/O but a
 * stat for the password warning) into struct tree_def, and freeing them
 * (docs/config/trees.md).
 */
#include "plan/trees.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/diag.h"
#include "config/cfgutil.h"
#include "config/config.h"
#include "fs/tree-archive.h"
#include "plan/build.h"
#include "plan/trees-def.h"
#include "plan/vars.h"

#define MAX_TREES 256
#define MAX_LAYERS 4096
#define MAX_ITEMS 100000

const char *const trees_item_kw[ITEM_KIND_MAX] = {
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
		trees_cache_free(l->cache);
		strv_free(l->remove, l->nremove);
		strv_free(l->include, l->ninclude);
		trees_pkg_layer_release(l);
		trees_modules_release(l);
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
		trees_pkg_release(st);
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

/* `xattrs = { ... }`: the namespaces a dir layer copies. */
static int parse_xattrs(cfg_t *sec, struct tree_layer *l, struct diag *d)
{
	static const struct {
		const char *kw;
		unsigned mask;
	} ns[] = {
		{ "user", TREE_XATTR_USER },
		{ "trusted", TREE_XATTR_TRUSTED },
		{ "security", TREE_XATTR_SECURITY },
		{ "security.selinux", TREE_XATTR_SELINUX },
		{ "system.posix_acl", TREE_XATTR_ACL },
		{ "all", TREE_XATTR_DEFAULT | TREE_XATTR_SELINUX },
		{ "none", 0 },
	};
	unsigned n = cfg_size(sec, "xattrs");

	l->xattrs = TREE_XATTR_DEFAULT;
	if (!n)
		return 0;
	if (l->src != LAYER_DIR)
		return cfg_fail(sec, "xattrs", cfg_getnstr(sec, "xattrs", 0), -EINVAL, d,
				"only for dir layers (archives keep the xattrs they carry)");
	l->xattrs = 0;
	l->xattrs_set = true;
	for (unsigned i = 0; i < n; i++) {
		const char *v = cfg_getnstr(sec, "xattrs", i);
		size_t k;
		for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
			if (!strcmp(v, ns[k].kw))
				break;
		if (k == sizeof(ns) / sizeof(ns[0]))
			return cfg_fail(sec, "xattrs", v, -EINVAL, d,
					"expected user, trusted, security, security.selinux, "
					"system.posix_acl, all or none");
		if (!ns[k].mask && n > 1)
			return cfg_fail(sec, "xattrs", v, -EINVAL, d,
					"\"none\" cannot be combined with namespaces");
		l->xattrs |= ns[k].mask;
	}
	return 0;
}

int trees_expand_fail(int r, const char *file, unsigned line, const char *what, const char *bad,
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
	if (r == -ESRCH || r == -ENXIO || r == -EAGAIN) {
		char where[4400];

		snprintf(where, sizeof(where), "%s:%u: %s", file, line, what);
		return vars_ref_fail(r, where, bad, d);
	}
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
				 it->cfgfile, it->line, trees_item_kw[kind], it->path);
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
				return trees_expand_fail(r, it->cfgfile, it->line, it->path, bad,
							 d);
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
					 it->line, trees_item_kw[kind], it->path);
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
		if ((r = trees_pkg_load_layer(b, st, def, sec, l, d)))
			return r;
		if ((r = dup_opt(sec, "subdir", &l->subdir, d)) || (r = dup_opt(sec, "dest", &l->dest, d)))
			return r;
		if (l->subdir && !l->src)
			return cfg_fail(sec, "subdir", l->subdir, -EINVAL, d,
					"only for dir, archive and deb layers");
		if ((r = strv_dup(sec, "include", &l->include, &l->ninclude, d)))
			return r;
		if (l->ninclude && l->src != LAYER_ARCHIVE && l->src != LAYER_DEB && l->src != LAYER_PKG)
			return cfg_fail(sec, "include", l->include[0], -EINVAL, d,
					"only for archive, deb and package layers");
		if (l->subdir && (strstr(l->subdir, "..") || l->subdir[0] == '/'))
			return cfg_fail(sec, "subdir", l->subdir, -EINVAL, d,
					"expected a relative path without \"..\"");
		if (l->dest && strstr(l->dest, ".."))
			return cfg_fail(sec, "dest", l->dest, -EINVAL, d, "\"..\" is not allowed");
		l->keep_owner = cfg_getbool(sec, "keep-owner");
		l->follow_symlinks = cfg_getbool(sec, "follow-symlinks");
		if (l->follow_symlinks && l->src != LAYER_ARCHIVE && l->src != LAYER_DEB &&
		    l->src != LAYER_PKG)
			return cfg_fail(sec, "follow-symlinks", "true", -EINVAL, d,
					"only for archive, deb and package layers");
		if ((r = parse_xattrs(sec, l, d)))
			return r;
		if ((r = trees_modules_load(def, sec, l, d)))
			return r;
		const char *c = cfg_getstr(sec, "conflicts");
		if (c && (r = parse_policy(sec, c, &l->policy, d)))
			return r;
		if (l->src == LAYER_PKG)
			snprintf(lab, sizeof(lab), "packages from %s (%s:%u)", l->repo_name,
				 l->cfgfile, l->line);
		else if (l->src)
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
		n += cfg_size(sec, trees_item_kw[k]);
	if (n > MAX_ITEMS)
		return diag_fail(d, -E2BIG, "%s:%u: more than %d inline entries", l->cfgfile, l->line,
				 MAX_ITEMS);
	l->items = n ? calloc(n, sizeof(*l->items)) : NULL;
	if (n && !l->items)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned k = 0; k < ITEM_KIND_MAX; k++) {
		for (unsigned i = 0; i < cfg_size(sec, trees_item_kw[k]); i++) {
			r = load_item(b, st, cfg_getnsec(sec, trees_item_kw[k], i),
				      (enum item_kind)k, &l->items[l->nitems++], d);
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
	/* An empty shadow field means "no password needed": never by accident
	 * (an unset ${VAR} expands to ""), only when asked for. */
	if (!cfg_getbool(sec, "empty-password")) {
		if (u->password && !*u->password)
			return cfg_fail(sec, "password", u->password, -EINVAL, d,
					"empty (set empty-password = true if user %s really "
					"needs none)", u->name);
		if (u->hash && !*u->hash)
			return cfg_fail(sec, "password-hash", u->hash, -EINVAL, d,
					"empty: logging in would need no password (set "
					"empty-password = true if user %s really needs none)", u->name);
	}
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
		const char *pf;
		unsigned pl;

		config_where(sec, "password", 0, &pf, &pl);
		if (!stat(pf, &sb) && (sb.st_mode & S_IROTH))
			diag_warn(d, "%s:%u: user %s: plain password in a file others can read "
				  "(chmod o-r %s, or use password-hash)", pf, pl, u->name, pf);
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
	def->merged_usr = cfg_getbool(sec, "merged-usr");
	config_where(sec, "merged-usr", 0, &def->merged_usr_file, &def->merged_usr_line);
	if (!sec->filename && !strcmp(def->merged_usr_file, "?"))
		def->merged_usr_file = def->cfgfile;
	unsigned nl = cfg_size(sec, "layer");
	if (nl >= MAX_LAYERS)
		return diag_fail(d, -E2BIG, "%s:%u: tree '%s': more than %d layers", def->cfgfile,
				 def->line, def->name, MAX_LAYERS);
	def->layers = calloc(nl + 1, sizeof(*def->layers));
	if (!def->layers)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i <= nl; i++) {
		def->layers[i].index = i + 1;
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
	if ((r = trees_pkg_load_repos(b, st, cfg, d)))
		return r;
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
