/* SPDX-License-Identifier: MIT */
/*
 * Users and groups of a tree: /etc/passwd, /etc/group, /etc/shadow (and
 * /etc/gshadow when a layer provides one) created or updated in place,
 * keeping every entry the layers provide and their order. Passwords are
 * hashed with SHA-512 crypt ($6$, as mkpasswd --method=SHA-512 does)
 * with a salt derived from the seed, so the image is reproducible.
 */
#include <crypt.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "plan/build.h"
#include "plan/trees-def.h"

#define MAX_LINES 100000
#define FIRST_ID 1000

static const char salt_chars[] =
	"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int trees_hash_password(const struct seed *seed, const char *user, const char *password,
			unsigned rounds, char *out, size_t outsz)
{
	uint8_t raw[12];
	char purpose[128], salt[17], setting[64];
	struct crypt_data *cd;
	int r = 0;

	/* 96 derived bits → 16 characters of crypt's 64-letter alphabet. */
	snprintf(purpose, sizeof(purpose), "shadow-salt:%s", user);
	id_derive(seed, purpose, 0, raw, sizeof(raw));
	for (unsigned i = 0; i < 16; i++) {
		unsigned bit = i * 6, v = 0;
		for (unsigned k = 0; k < 6; k++, bit++)
			v = (v << 1) | ((raw[bit / 8] >> (7 - bit % 8)) & 1u);
		salt[i] = salt_chars[v];
	}
	salt[16] = 0;
	if (rounds)
		snprintf(setting, sizeof(setting), "$6$rounds=%u$%s", rounds, salt);
	else
		snprintf(setting, sizeof(setting), "$6$%s", salt);
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	const char *h = crypt_rn(password, setting, cd, sizeof(*cd));
	if (!h || h[0] == '*' || strlen(h) + 1 > outsz)
		r = -EINVAL;
	else
		memcpy(out, h, strlen(h) + 1);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}

/* A colon-separated database file as lines. */
struct db {
	const char *path;         /* in the tree, no leading '/' */
	bool exists, changed;
	uint32_t mode, uid, gid;
	char **lines;
	unsigned n, cap;
};

static void db_free(struct db *db)
{
	for (unsigned i = 0; i < db->n; i++)
		free(db->lines[i]);
	free(db->lines);
}

static int db_push(struct db *db, char *line, struct diag *d)
{
	if (db->n == MAX_LINES) {
		free(line);
		return diag_fail(d, -E2BIG, "/%s: more than %d lines", db->path, MAX_LINES);
	}
	if (db->n == db->cap) {
		unsigned nc = db->cap ? db->cap * 2 : 32;
		char **nl = realloc(db->lines, nc * sizeof(*nl));
		if (!nl) {
			free(line);
			return diag_fail(d, -ENOMEM, "out of memory");
		}
		db->lines = nl;
		db->cap = nc;
	}
	db->lines[db->n++] = line;
	db->changed = true;
	return 0;
}

static int db_load(struct tree *t, struct db *db, uint32_t mode, struct diag *d)
{
	struct tree_node *n = tree_lookup(t, db->path);
	char *text;
	uint64_t len;
	int r;

	db->mode = mode;
	if (!n)
		return 0;
	if (tree_is_symlink(n))
		return diag_fail(d, -EINVAL, "/%s is a symlink (to \"%s\"): kiln updates only a "
				 "regular file there", db->path, n->link ? n->link : "");
	if ((r = trees_read_node(n, 16u << 20, &text, &len, d)))
		return r;
	while (n->hardlink)
		n = n->hardlink;
	db->exists = true;
	db->mode = n->mode & 07777;
	db->uid = n->uid;
	db->gid = n->gid;
	for (char *p = text; *p;) {
		char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		char *line = strndup(p, l);
		if (!line) {
			free(text);
			return diag_fail(d, -ENOMEM, "out of memory");
		}
		if ((r = db_push(db, line, d))) {
			free(text);
			return r;
		}
		p += l + (e ? 1 : 0);
	}
	free(text);
	db->changed = false;
	return 0;
}

static int db_find(const struct db *db, const char *name)
{
	size_t l = strlen(name);

	for (unsigned i = 0; i < db->n; i++)
		if (!strncmp(db->lines[i], name, l) && db->lines[i][l] == ':')
			return (int)i;
	return -1;
}

/* Field @k (0-based) of a line, copied into @out (empty if absent). */
static void field(const char *line, unsigned k, char *out, size_t outsz)
{
	const char *p = line;

	for (unsigned i = 0; i < k && p; i++) {
		p = strchr(p, ':');
		if (p)
			p++;
	}
	if (!p) {
		out[0] = 0;
		return;
	}
	size_t l = strcspn(p, ":");
	snprintf(out, outsz, "%.*s", (int)(l < outsz - 1 ? l : outsz - 1), p);
}

/* Replace field @k of line @i (the line grows fields as needed). */
static int set_field(struct db *db, unsigned i, unsigned k, const char *val, struct diag *d)
{
	const char *line = db->lines[i];
	char *f[16] = { 0 };
	unsigned nf = 0;
	size_t total = 0;
	const char *p = line;

	while (nf < 16) {
		size_t l = strcspn(p, ":");
		f[nf++] = (char *)p;
		total += l + 1;
		if (!p[l])
			break;
		p += l + 1;
	}
	if (k >= 16)
		return -EINVAL;
	unsigned n = nf > k + 1 ? nf : k + 1;
	char *out = malloc(total + strlen(val) + n + 2);
	if (!out)
		return diag_fail(d, -ENOMEM, "out of memory");
	size_t o = 0;
	for (unsigned j = 0; j < n; j++) {
		if (j)
			out[o++] = ':';
		const char *s = j == k ? val : j < nf ? f[j] : "";
		size_t l = j == k ? strlen(val) : strcspn(s, ":");
		if (j < nf && j != k && j == nf - 1)
			l = strlen(s);
		memcpy(out + o, s, l);
		o += l;
	}
	out[o] = 0;
	free(db->lines[i]);
	db->lines[i] = out;
	db->changed = true;
	return 0;
}

static bool id_used(const struct db *db, unsigned fieldno, uint32_t id)
{
	char buf[32];

	for (unsigned i = 0; i < db->n; i++) {
		field(db->lines[i], fieldno, buf, sizeof(buf));
		if (*buf && strtoul(buf, NULL, 10) == id)
			return true;
	}
	return false;
}

static uint32_t next_free(const struct db *db, unsigned fieldno)
{
	uint32_t id = FIRST_ID;

	while (id_used(db, fieldno, id))
		id++;
	return id;
}

static int add_member(struct db *db, int gi, const char *user, unsigned fieldno, struct diag *d)
{
	char mem[8192], *out;
	size_t ul = strlen(user);

	field(db->lines[gi], fieldno, mem, sizeof(mem));
	for (const char *p = mem; *p;) {
		size_t l = strcspn(p, ",");
		if (l == ul && !strncmp(p, user, l))
			return 0;
		p += l + (p[l] ? 1 : 0);
	}
	if (strlen(mem) + ul + 2 > sizeof(mem))
		return diag_fail(d, -E2BIG, "/%s: member list too long", db->path);
	out = mem + strlen(mem);
	snprintf(out, sizeof(mem) - (size_t)(out - mem), "%s%s", *mem ? "," : "", user);
	return set_field(db, (unsigned)gi, fieldno, mem, d);
}

static int new_line(struct db *db, struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int new_line(struct db *db, struct diag *d, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	int k = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (k < 0)
		return diag_fail(d, -ENOMEM, "out of memory");
	return db_push(db, s, d);
}

/* Group @name: found or created (gid: @want or the next free one). */
static int ensure_group(struct db *grp, struct db *gsh, const char *name, bool want_set,
			uint32_t want, int *ret, struct diag *d)
{
	char buf[32];
	int gi = db_find(grp, name), r;

	if (gi >= 0) {
		if (want_set) {
			snprintf(buf, sizeof(buf), "%" PRIu32, want);
			if ((r = set_field(grp, (unsigned)gi, 2, buf, d)))
				return r;
		}
		*ret = gi;
		return 0;
	}
	uint32_t gid = want_set ? want : next_free(grp, 2);
	if ((r = new_line(grp, d, "%s:x:%" PRIu32 ":", name, gid)))
		return r;
	if (gsh->exists && db_find(gsh, name) < 0 && (r = new_line(gsh, d, "%s:!::", name)))
		return r;
	*ret = (int)grp->n - 1;
	return 0;
}

static int home_dir(struct tree *t, const struct tree_user *u, const char *home, uint32_t uid,
		    uint32_t gid, uint32_t layer, struct diag *d)
{
	const char *h = home;

	while (*h == '/')
		h++;
	if (!u->create_home || !*h || !strcmp(h, "nonexistent"))
		return 0;
	struct tree_node *n = tree_lookup(t, h);
	if (n) {
		if (!tree_is_dir(n))
			return diag_fail(d, -ENOTDIR, "home %s exists and is not a directory", home);
		n->uid = uid;
		n->gid = gid;
		return 0;
	}
	struct tree_attr a = { .mode = 0040000 | u->home_mode, .uid = uid, .gid = gid,
			       .mtime = t->epoch };
	return tree_add(t, h, &a, TREE_CONFLICT_REPLACE, layer, NULL, d);
}

static int apply_user(const struct tree_def *def, const struct seed *seed, struct tree *t,
		      struct db *pw, struct db *grp, struct db *gsh, struct db *sh,
		      const struct tree_user *u, uint32_t layer, struct diag *d)
{
	char cur[7][4096], buf[64], hash[CRYPT_OUTPUT_SIZE];
	int pi = db_find(pw, u->name), r, gi;
	uint32_t uid, gid;

	for (unsigned k = 0; k < 7; k++)
		cur[k][0] = 0;
	if (pi >= 0)
		for (unsigned k = 0; k < 7; k++)
			field(pw->lines[pi], k, cur[k], sizeof(cur[k]));
	uid = u->uid_set ? u->uid : pi >= 0 ? (uint32_t)strtoul(cur[2], NULL, 10) : next_free(pw, 2);
	if (u->gid_set || pi >= 0) {
		gid = u->gid_set ? u->gid : (uint32_t)strtoul(cur[3], NULL, 10);
		if (!id_used(grp, 2, gid) && db_find(grp, u->name) < 0 &&
		    (r = ensure_group(grp, gsh, u->name, true, gid, &gi, d)))
			return r;
	} else if ((gi = db_find(grp, u->name)) >= 0) {
		field(grp->lines[gi], 2, buf, sizeof(buf));
		gid = (uint32_t)strtoul(buf, NULL, 10);
	} else {
		/* A private group named after the user, gid = uid when free. */
		bool free_id = !id_used(grp, 2, uid);
		if ((r = ensure_group(grp, gsh, u->name, free_id, uid, &gi, d)))
			return r;
		field(grp->lines[gi], 2, buf, sizeof(buf));
		gid = (uint32_t)strtoul(buf, NULL, 10);
	}
	const char *home = u->home ? u->home : *cur[5] ? cur[5]
				: !strcmp(u->name, "root") ? "/root" : NULL;
	char hb[256];
	if (!home) {
		snprintf(hb, sizeof(hb), "/home/%s", u->name);
		home = hb;
	}
	const char *shell = u->shell ? u->shell : *cur[6] ? cur[6] : "/bin/sh";
	const char *gecos = u->gecos ? u->gecos : cur[4];
	char *line;
	if (asprintf(&line, "%s:x:%" PRIu32 ":%" PRIu32 ":%s:%s:%s", u->name, uid, gid, gecos, home,
		     shell) < 0)
		return diag_fail(d, -ENOMEM, "out of memory");
	if (pi >= 0) {
		free(pw->lines[pi]);
		pw->lines[pi] = line;
		pw->changed = true;
	} else if ((r = db_push(pw, line, d))) {
		return r;
	}
	for (unsigned i = 0; i < u->ngroups; i++) {
		int g = db_find(grp, u->groups[i]);
		/* A group section without a gid is created when first needed. */
		for (unsigned k = 0; g < 0 && k < def->ngroups; k++)
			if (!strcmp(def->groups[k].name, u->groups[i]) &&
			    (r = ensure_group(grp, gsh, u->groups[i], false, 0, &g, d)))
				return r;
		if (g < 0)
			return diag_fail(d, -ENOENT, "group \"%s\" does not exist (add a "
					 "group %s { } section)", u->groups[i], u->groups[i]);
		if ((r = add_member(grp, g, u->name, 3, d)))
			return r;
		int gs = gsh->exists ? db_find(gsh, u->groups[i]) : -1;
		if (gs >= 0 && (r = add_member(gsh, gs, u->name, 3, d)))
			return r;
	}

	/* shadow: name:hash:lastchg:min:max:warn:inactive:expire:reserved */
	int si = db_find(sh, u->name);
	char days[32];
	snprintf(days, sizeof(days), "%" PRId64, t->epoch / 86400);
	if (si < 0) {
		if ((r = new_line(sh, d, "%s:*:%s:0:99999:7:::", u->name, days)))
			return r;
		si = (int)sh->n - 1;
	}
	char old[4096];
	field(sh->lines[si], 1, old, sizeof(old));
	const char *pwfield = old;
	if (u->password) {
		r = trees_hash_password(seed, u->name, u->password, u->rounds, hash, sizeof(hash));
		if (r)
			return diag_fail(d, r, "libcrypt cannot make a SHA-512 hash");
		pwfield = hash;
	} else if (u->hash) {
		pwfield = u->hash;
	}
	char lockbuf[4200];
	if (u->locked && pwfield[0] != '!') {
		snprintf(lockbuf, sizeof(lockbuf), "!%s", pwfield);
		pwfield = lockbuf;
	}
	if (strcmp(pwfield, old)) {
		if ((r = set_field(sh, (unsigned)si, 1, pwfield, d)) ||
		    (r = set_field(sh, (unsigned)si, 2, days, d)))
			return r;
	}
	return home_dir(t, u, home, uid, gid, layer, d);
}

static int db_store(struct trees_state *st, struct tree *t, struct db *db, uint32_t layer,
		    struct diag *d)
{
	size_t len = 0, o = 0;
	char *buf;
	int r;

	for (unsigned i = 0; i < db->n; i++)
		len += strlen(db->lines[i]) + 1;
	buf = malloc(len + 1);
	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < db->n; i++) {
		size_t l = strlen(db->lines[i]);
		memcpy(buf + o, db->lines[i], l);
		o += l;
		buf[o++] = '\n';
	}
	r = trees_store_file(st, t, db->path, buf, len, db->mode, db->uid, db->gid, layer, d);
	free(buf);
	return r;
}

int trees_apply_users(struct build *b, struct trees_state *st, struct tree_def *def,
		      struct tree *t, uint32_t layer, struct diag *d)
{
	struct db pw = { .path = "etc/passwd" }, grp = { .path = "etc/group" },
		  sh = { .path = "etc/shadow" }, gsh = { .path = "etc/gshadow" };
	struct seed seed;
	int r, gi;

	if (b->seed_set) {
		seed = b->seed;
	} else {
		char s[300];
		snprintf(s, sizeof(s), "kiln-tree:%s", def->name);
		seed_from_string(&seed, s);
	}
	if ((r = db_load(t, &pw, 0644, d)) || (r = db_load(t, &grp, 0644, d)) ||
	    (r = db_load(t, &sh, 0600, d)) || (r = db_load(t, &gsh, 0600, d)))
		goto out;
	/* Groups with a gid first, then users (private groups take gid =
	 * uid), then the groups that still need a gid, then members. */
	for (unsigned i = 0; i < def->ngroups; i++)
		if (def->groups[i].gid_set &&
		    (r = ensure_group(&grp, &gsh, def->groups[i].name, true, def->groups[i].gid, &gi, d)))
			goto out;
	for (unsigned i = 0; i < def->nusers; i++) {
		r = apply_user(def, &seed, t, &pw, &grp, &gsh, &sh, &def->users[i], layer, d);
		if (r) {
			diag_prefix(d, "user %s", def->users[i].name);
			goto out;
		}
	}
	for (unsigned i = 0; i < def->ngroups; i++) {
		const struct tree_group *g = &def->groups[i];
		if ((r = ensure_group(&grp, &gsh, g->name, false, 0, &gi, d)))
			goto out;
		for (unsigned k = 0; k < g->nmembers; k++) {
			if ((r = add_member(&grp, gi, g->members[k], 3, d)))
				goto out;
			int gs = gsh.exists ? db_find(&gsh, g->name) : -1;
			if (gs >= 0 && (r = add_member(&gsh, gs, g->members[k], 3, d)))
				goto out;
		}
	}
	if ((pw.changed && (r = db_store(st, t, &pw, layer, d))) ||
	    (grp.changed && (r = db_store(st, t, &grp, layer, d))) ||
	    (sh.changed && (r = db_store(st, t, &sh, layer, d))) ||
	    (gsh.changed && (r = db_store(st, t, &gsh, layer, d))))
		goto out;
out:
	db_free(&pw);
	db_free(&grp);
	db_free(&sh);
	db_free(&gsh);
	return r;
}
