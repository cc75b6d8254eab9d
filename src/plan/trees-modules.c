/* SPDX-License-Identifier: MIT */
/*
 * Kernel modules by name: `modules = { "ext4", ... }` on a layer whose
 * source holds one kernel's lib/modules/VERSION/. The source is read
 * into a scratch tree once per build; the names are resolved through
 * the kernel's modules.dep (or, when it ships none, each module's
 * .modinfo) and only their closure enters the image, with a modules.dep,
 * modules.softdep, modules.alias and kmod's indexes written for exactly
 * those modules (fs/kmod-dep.h). With the store, that result is kept
 * (trees-modules-cache.c): a warm build reads no module.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "config/cfgutil.h"
#include "config/config.h"
#include "config/suggest.h"
#include "fs/kmod-dep.h"
#include "fs/tree.h"
#include "pkg/net.h"
#include "plan/build.h"
#include "plan/trees-def.h"
#include "plan/trees-modules.h"

/* Where kernels keep their modules, in the order looked at. */
static const char *const mod_roots[] = { "lib/modules", "usr/lib/modules" };

/* Files of the kernel kept as they are: they describe the kernel
 * itself (built-in modules, build order), not the selection. */
static const char *const kept_files[] = { "modules.builtin", "modules.builtin.modinfo",
					  "modules.order" };

static const char *const gen_names[GEN_MAX] = { "modules.dep", "modules.dep.bin",
						"modules.softdep", "modules.alias",
						"modules.alias.bin" };

/* Deepest module path below lib/modules/ a default include reaches. */
#define MOD_DEPTH 14

int trees_modules_load(struct tree_def *def, cfg_t *sec, struct tree_layer *l, struct diag *d)
{
	unsigned n = cfg_size(sec, "modules");

	if (!n)
		return 0;
	const char *first = cfg_getnstr(sec, "modules", 0);
	if (!l->src)
		return cfg_fail(sec, "modules", first, -EINVAL, d,
				"tree '%s': a modules layer needs a source holding lib/modules/ "
				"(dir, archive, deb or packages)", def->name);
	if (!(l->modules = calloc(n, sizeof(*l->modules))) ||
	    !(l->module_lines = calloc(n, sizeof(*l->module_lines))))
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		const char *v = cfg_getnstr(sec, "modules", i);
		char norm[KMOD_MAX_NAME];
		if (kmod_name(v, norm, sizeof(norm)) || strchr(v, '/'))
			return cfg_fail(sec, "modules", v, -EINVAL, d,
					"tree '%s': expected a module name", def->name);
		if (!(l->modules[i] = strdup(v)))
			return diag_fail(d, -ENOMEM, "out of memory");
		l->nmodules = i + 1;
		config_where(sec, "modules", i, &l->modules_file, &l->module_lines[i]);
		if (!strcmp(l->modules_file, "?"))
			l->modules_file = l->cfgfile;
	}
	if (l->ninclude || l->src == LAYER_DIR)
		return 0;
	/* Archives are filtered while they are read: by default only the
	 * module trees (fnmatch's '*' stops at '/', hence one glob a depth). */
	if (!(l->include = calloc(2 * MOD_DEPTH, sizeof(*l->include))))
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned r = 0; r < 2; r++) {
		char g[512];
		int len = snprintf(g, sizeof(g), "%s", mod_roots[r]);
		for (unsigned k = 0; k < MOD_DEPTH; k++) {
			len += snprintf(g + len, sizeof(g) - (size_t)len, "/*");
			if (!(l->include[l->ninclude++] = strdup(g)))
				return diag_fail(d, -ENOMEM, "out of memory");
		}
	}
	return 0;
}

static void kmod_free(struct trees_kmod *k)
{
	if (!k)
		return;
	tree_free(k->scratch);
	free(k->vdir);
	for (unsigned i = 0; i < k->nkeep; i++)
		free(k->keep[i]);
	free(k->keep);
	for (unsigned i = 0; i < GEN_MAX; i++)
		free(k->gen[i]);
	free(k);
}

void trees_modules_release(struct tree_layer *l)
{
	for (unsigned i = 0; i < l->nmodules; i++)
		free(l->modules[i]);
	free(l->modules);
	free(l->module_lines);
	kmod_free(l->kmod);
	l->modules = NULL;
	l->module_lines = NULL;
	l->kmod = NULL;
	l->nmodules = 0;
}

/* The one kernel version directory of @s: *ret "lib/modules/V". */
static int find_version(struct tree *s, const struct tree_layer *l, const char *tree_name,
			char **ret, struct diag *d)
{
	char found[512] = "";
	unsigned n = 0;
	size_t len = 0;

	*ret = NULL;
	for (unsigned r = 0; r < 2; r++) {
		struct tree_node *dir = tree_lookup(s, mod_roots[r]);
		for (uint32_t i = 0; dir && tree_is_dir(dir) && i < dir->nkids; i++) {
			if (!tree_is_dir(dir->kids[i]))
				continue;
			if (!n++ && asprintf(ret, "%s/%s", mod_roots[r], dir->kids[i]->name) < 0) {
				*ret = NULL;
				return diag_fail(d, -ENOMEM, "out of memory");
			}
			if (len < sizeof(found))
				len += (size_t)snprintf(found + len, sizeof(found) - len, "%s%s/%s",
							len ? ", " : "", mod_roots[r],
							dir->kids[i]->name);
		}
	}
	if (n == 1)
		return 0;
	free(*ret);
	*ret = NULL;
	if (!n)
		return diag_fail(d, -ENOENT, "%s:%u: tree '%s': modules: the layer holds no "
				 "lib/modules/VERSION/ directory (a kernel's modules)",
				 l->modules_file, l->module_lines[0], tree_name);
	return diag_fail(d, -EINVAL, "%s:%u: tree '%s': modules: the layer holds %u kernels "
			 "(%s); keep one (include = { \"lib/modules/VERSION/*\" ... })",
			 l->modules_file, l->module_lines[0], tree_name, n, found);
}

struct scan {
	struct kmod_db *db;
	const char *vdir;
	size_t vlen;
	struct tree_node *meta[4]; /* modules.dep, .softdep, .alias, .builtin */
	struct tree_node **mods;   /* module files, in db order of addition */
	unsigned nmods, capmods;
	int err;
};

static const char *const meta_names[4] = { "modules.dep", "modules.softdep", "modules.alias",
					   "modules.builtin" };

/* Collect the module files and the kernel's own dependency files. */
static int scan_node(struct tree_node *n, void *ud)
{
	struct scan *sc = ud;
	char *path;
	int r = 0;

	if (!tree_is_reg(n) && !(n->hardlink && tree_is_reg(n->hardlink)))
		return 0;
	if (!(path = tree_path(n)))
		return -ENOMEM;
	if (strncmp(path, sc->vdir, sc->vlen) || path[sc->vlen] != '/')
		goto out;
	const char *rel = path + sc->vlen + 1;
	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(rel, meta_names[i]))
			sc->meta[i] = n;
	if (!kmod_is_module_path(rel))
		goto out;
	if (sc->nmods == sc->capmods) {
		unsigned cap = sc->capmods ? sc->capmods * 2 : 256;
		struct tree_node **nm = realloc(sc->mods, cap * sizeof(*nm));
		if (!nm) {
			r = -ENOMEM;
			goto out;
		}
		sc->mods = nm;
		sc->capmods = cap;
	}
	sc->mods[sc->nmods++] = n;
out:
	free(path);
	sc->err = r;
	return r;
}

/* Largest module (decompressed) whose .modinfo is read. */
#define MOD_MAX_SIZE (512ull << 20)

/* Read the .modinfo of module file @n (at @rel in the tree) into @m. */
static int read_modinfo(struct tree_node *n, const char *rel, struct kmod_mod *m,
			struct diag *d)
{
	char *buf = NULL, *plain = NULL;
	uint64_t len = 0;
	size_t plen, off, ilen;
	int r;

	if ((r = trees_read_node(n, MOD_MAX_SIZE, &buf, &len, d)))
		return r;
	size_t rl = strlen(rel);
	if (rl > 3 && strcmp(rel + rl - 3, ".ko")) {
		r = pkg_decompress(rel, buf, (size_t)len, MOD_MAX_SIZE, &plain, &plen, d);
		free(buf);
		if (r)
			return r;
		buf = plain;
		len = plen;
	}
	r = kmod_modinfo_section((const uint8_t *)buf, (size_t)len, &off, &ilen);
	if (r)
		r = diag_fail(d, r, "%s: not a kernel module (no ELF .modinfo section)", rel);
	else if ((r = kmod_modinfo_apply(m, buf + off, ilen)))
		r = diag_fail(d, r, "%s: .modinfo: %s", rel, r == -E2BIG ? "too many entries"
									  : "out of memory");
	free(buf);
	return r;
}

/* Fill @db from the kernel's files, or from every module's .modinfo. */
static int load_db(struct scan *sc, struct diag *d)
{
	int (*const parse[4])(struct kmod_db *, const char *, size_t, unsigned *) = {
		kmod_parse_dep, kmod_parse_softdep, kmod_parse_alias, kmod_parse_builtin,
	};
	bool have_dep = sc->meta[0] != NULL;
	int r = 0;

	for (unsigned i = 0; i < 4 && !r; i++) {
		char *text = NULL;
		uint64_t len = 0;
		unsigned line = 0;
		/* Without modules.dep the .modinfo are read: they hold the
		 * softdeps and aliases too (the files could be stale). */
		if (!sc->meta[i] || (!have_dep && i && i < 3))
			continue;
		if ((r = trees_read_node(sc->meta[i], TREES_MAX_TEXT * 8, &text, &len, d)))
			return r;
		r = parse[i](sc->db, text, (size_t)len, &line);
		free(text);
		if (r == -EINVAL)
			return diag_fail(d, r, "%s/%s:%u: malformed line", sc->vdir, meta_names[i],
					 line);
		if (r)
			return diag_fail(d, r, "%s/%s: %s", sc->vdir, meta_names[i],
					 r == -ENOMEM ? "out of memory" : "too large");
	}
	/* After modules.dep: its lines win over a bare file of one name. */
	for (unsigned i = 0; i < sc->nmods && !r; i++) {
		char *path = tree_path(sc->mods[i]);
		if (!path)
			return diag_fail(d, -ENOMEM, "out of memory");
		r = kmod_db_add(sc->db, path + sc->vlen + 1, NULL);
		free(path);
		if (r)
			return diag_fail(d, r, "%s: %s", sc->vdir, r == -E2BIG ? "too many modules"
									       : "out of memory");
	}
	if (have_dep)
		return 0;
	for (unsigned i = 0; i < sc->nmods && !r; i++) {
		char *path = tree_path(sc->mods[i]);
		if (!path)
			return diag_fail(d, -ENOMEM, "out of memory");
		const char *rel = path + sc->vlen + 1;
		struct kmod_mod *m = kmod_db_find(sc->db, rel);
		/* A second file of one name: depmod keeps one too. */
		if (m && !strcmp(m->path, rel))
			r = read_modinfo(sc->mods[i], path, m, d);
		free(path);
	}
	return r;
}

static int missing(struct kmod_db *db, const struct tree_layer *l, const char *tree_name,
		   const char *version, unsigned miss, const char *dep, struct diag *d)
{
	struct suggest sg;
	char norm[KMOD_MAX_NAME];

	if (miss == l->nmodules)
		return diag_fail(d, -ENOENT, "%s:%u: tree '%s': modules: a module needs \"%s\", "
				 "which kernel %s does not have", l->modules_file,
				 l->module_lines[0], tree_name, dep, version);
	if (kmod_name(l->modules[miss], norm, sizeof(norm)))
		norm[0] = 0;
	suggest_init(&sg, norm);
	for (unsigned i = 0; i < db->n; i++)
		suggest_try(&sg, db->mods[i].name);
	const char *best = suggest_best(&sg);
	return diag_fail(d, -ENOENT, "%s:%u: tree '%s': module \"%s\" is not in kernel %s%s%s%s",
			 l->modules_file, l->module_lines[miss], tree_name, l->modules[miss],
			 version, best ? " (did you mean \"" : "", best ? best : "",
			 best ? "\"?)" : "");
}

static int keep_path(struct trees_kmod *k, const char *rel)
{
	char **nv = realloc(k->keep, (k->nkeep + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	k->keep = nv;
	if (asprintf(&k->keep[k->nkeep], "%s/%s", k->vdir, rel) < 0)
		return -ENOMEM;
	k->nkeep++;
	return 0;
}

/* First composition: read the source, resolve, decide, generate. */
static int select_modules(struct build *b, struct trees_state *st, struct tree_def *def,
			  struct tree_layer *l, enum tree_conflict pol, struct diag *d)
{
	struct trees_kmod *k = calloc(1, sizeof(*k));
	struct kmod_db db;
	struct scan sc = { .db = &db };
	unsigned miss = 0;
	const char *dep = NULL;
	uint8_t key[SHA256_LEN];
	bool keyed;
	int r;

	kmod_db_init(&db);
	if (!k)
		return diag_fail(d, -ENOMEM, "out of memory");
	l->kmod = k;
	if ((r = tree_new(&k->scratch, b->epoch)))
		return diag_fail(d, r, "out of memory");
	int li = tree_add_layer(k->scratch, l->label);
	if (li < 0)
		return diag_fail(d, -ENOMEM, "out of memory");
	/* With a store, an archive's decoded layer is kept there, so the
	 * scratch tree's files are ranges of a blob: the selection's key. */
	if ((r = trees_compose_source(b, st, def, l, k->scratch, pol, (uint32_t)li,
				      b->store != NULL, d)) ||
	    (r = find_version(k->scratch, l, def->name, &k->vdir, d)))
		goto out;
	const char *version = strrchr(k->vdir, '/') + 1;
	/* The selection depends on the layer's files alone: a warm store
	 * has it, and then no module is read (trees-modules-cache.c). */
	keyed = b->store && !kmod_cache_key(b, k->scratch, l, pol, key);
	if (keyed && !kmod_cache_get(b, key, k, d))
		goto out;
	sc.vdir = k->vdir;
	sc.vlen = strlen(k->vdir);
	if ((r = tree_walk(k->scratch, scan_node, &sc))) {
		r = diag_fail(d, r, "out of memory");
		goto out;
	}
	if ((r = load_db(&sc, d))) {
		diag_prefix(d, "%s:%u: tree '%s': modules", l->modules_file, l->module_lines[0],
			    def->name);
		goto out;
	}
	r = kmod_db_closure(&db, (const char *const *)l->modules, l->nmodules, &miss, &dep);
	if (r == -ENOENT) {
		r = missing(&db, l, def->name, version, miss, dep, d);
		goto out;
	}
	if (r) {
		r = diag_fail(d, r, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < db.n && !r; i++) {
		if (!db.mods[i].picked)
			continue;
		if ((r = keep_path(k, db.mods[i].path)))
			break;
		/* modules.dep may name a file the layer does not hold. */
		struct tree_node *n = tree_lookup(k->scratch, k->keep[k->nkeep - 1]);
		if (!n || tree_is_dir(n)) {
			r = diag_fail(d, -ENOENT, "%s:%u: tree '%s': modules: %s/modules.dep names "
				      "%s, which the layer does not hold", l->modules_file,
				      l->module_lines[0], def->name, k->vdir, db.mods[i].path);
			goto out;
		}
	}
	for (unsigned i = 0; i < sizeof(kept_files) / sizeof(kept_files[0]) && !r; i++) {
		char *p;
		if (asprintf(&p, "%s/%s", k->vdir, kept_files[i]) < 0) {
			r = -ENOMEM;
			break;
		}
		struct tree_node *n = tree_lookup(k->scratch, p);
		free(p);
		if (n && tree_is_reg(n))
			r = keep_path(k, kept_files[i]);
	}
	int (*const gen[GEN_MAX])(struct kmod_db *, char **, size_t *) = {
		kmod_write_dep, kmod_write_dep_bin, kmod_write_softdep, kmod_write_alias,
		kmod_write_alias_bin,
	};
	for (unsigned i = 0; i < GEN_MAX && !r; i++)
		r = gen[i](&db, &k->gen[i], &k->genlen[i]);
	if (r)
		r = diag_fail(d, r, "%s: out of memory", k->vdir);
	else if (keyed)
		kmod_cache_put(b, key, k, d);
out:
	free(sc.mods);
	kmod_db_release(&db);
	if (r) {
		/* A later composition tries again (and fails the same way). */
		kmod_free(k);
		l->kmod = NULL;
	}
	return r;
}

/* The layer of @t for scratch layer @sl (a package's name, or the layer). */
static int map_layer(struct tree *t, const struct tree *s, uint32_t sl, uint32_t li,
		     int *map)
{
	if (sl == 0 || sl >= s->nlayers)
		return (int)li;
	if (map[sl] < 0) {
		map[sl] = tree_add_layer(t, s->layer_names[sl]);
		const char *pkg = s->layer_pkgs ? s->layer_pkgs[sl] : NULL;
		if (map[sl] >= 0 && pkg && tree_set_layer_package(t, (uint32_t)map[sl], pkg))
			return -ENOMEM;
	}
	return map[sl];
}

/* Add scratch node @n at @path in @t (dest applied), parents included. */
static int copy_node(struct tree *t, const struct tree *s, struct tree_node *n, const char *path,
		     const char *dest, enum tree_conflict pol, uint32_t li, int *map,
		     struct diag *d)
{
	char full[TREE_SRC_PATH_MAX], srcbuf[TREE_SRC_PATH_MAX];
	struct tree_node *data = n, *out;
	int r;

	while (data->hardlink)
		data = data->hardlink;
	/* Parents first, with their own attributes (not tree_add's defaults). */
	if (n->parent && n->parent->parent) {
		char *pp = tree_path(n->parent);
		if (!pp)
			return diag_fail(d, -ENOMEM, "out of memory");
		r = copy_node(t, s, n->parent, pp, dest, pol, li, map, d);
		free(pp);
		if (r)
			return r;
	}
	if (snprintf(full, sizeof(full), "%s/%s", dest, path) >= (int)sizeof(full))
		return diag_fail(d, -ENAMETOOLONG, "%s: path too long", path);
	if (tree_is_dir(data) && tree_lookup(t, full))
		return 0;
	int layer = map_layer(t, s, data->layer, li, map);
	if (layer < 0)
		return diag_fail(d, -ENOMEM, "out of memory");
	struct tree_attr a = {
		.mode = data->mode, .uid = data->uid, .gid = data->gid, .mtime = data->mtime,
		.mtime_ns = data->mtime_ns, .size = data->size, .link = data->link,
		.src_path = tree_is_reg(data) ? tree_node_src_path(data, srcbuf, sizeof(srcbuf)) : NULL,
		.src_off = data->src_off, .rdev_major = data->rdev_major,
		.rdev_minor = data->rdev_minor,
	};
	if ((r = tree_add(t, full, &a, pol, (uint32_t)layer, &out, d)))
		return r;
	for (uint32_t i = 0; out && i < data->nxattrs; i++)
		if (tree_set_xattr(out, data->xattrs[i].name, data->xattrs[i].value,
				   data->xattrs[i].len))
			return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

int trees_modules_compose(struct build *b, struct trees_state *st, struct tree_def *def,
			  struct tree_layer *l, struct tree *t, enum tree_conflict pol, uint32_t li,
			  struct diag *d)
{
	char dest[TREE_SRC_PATH_MAX];
	int r = 0, *map;

	if (!l->kmod && (r = select_modules(b, st, def, l, pol, d)))
		return r;
	struct trees_kmod *k = l->kmod;
	snprintf(dest, sizeof(dest), "%s", l->dest ? l->dest : "");
	for (size_t n = strlen(dest); n && dest[n - 1] == '/';)
		dest[--n] = 0;
	if (!(map = malloc((k->scratch->nlayers + 1) * sizeof(*map))))
		return diag_fail(d, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i <= k->scratch->nlayers; i++)
		map[i] = -1;
	for (unsigned i = 0; i < k->nkeep && !r; i++) {
		struct tree_node *n = tree_lookup(k->scratch, k->keep[i]);
		r = n ? copy_node(t, k->scratch, n, k->keep[i], dest, pol, li, map, d) : -ENOENT;
	}
	free(map);
	for (unsigned i = 0; i < GEN_MAX && !r; i++) {
		char *p;
		if (asprintf(&p, "%s/%s/%s", dest, k->vdir, gen_names[i]) < 0)
			return diag_fail(d, -ENOMEM, "out of memory");
		r = trees_store_file(st, t, p, k->gen[i], k->genlen[i], 0644, 0, 0, li, d);
		free(p);
	}
	return r;
}
