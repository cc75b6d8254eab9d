/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_TREES_DEF_H
#define KILN_PLAN_TREES_DEF_H

/*
 * Tree definitions as read from the config (trees-config.c), before any I/O.
 * Internal to plan/trees*.c.
 */

#include <confuse.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/ids.h"
#include "pkg/pkg.h"
#include "fs/spill.h"
#include "fs/tree.h"

struct build;
struct diag;
struct layer_cache;
struct trees_kmod;
struct tree_archive_log;
struct stat;

/* Inline items of a layer, applied in this order of kinds. */
enum item_kind {
	ITEM_MKDIR,
	ITEM_FILE,
	ITEM_SYMLINK,
	ITEM_HARDLINK,
	ITEM_NODE,
	ITEM_KIND_MAX,
};

struct tree_item {
	enum item_kind kind;
	char *path;
	const char *cfgfile;
	unsigned line;
	uint32_t mode, uid, gid;    /* mode: permissions (defaults per kind) */
	char *content;              /* file: literal text (vars expanded) */
	char *source;               /* file: host path */
	bool expand;                /* file source: expand ${vars} */
	char *target;               /* symlink / hardlink */
	uint32_t type;              /* node: S_IF* bits */
	uint32_t major, minor;
	struct spill_region region; /* file content once written */
};

enum layer_src { LAYER_NONE, LAYER_DIR, LAYER_ARCHIVE, LAYER_DEB, LAYER_PKG };

struct tree_layer {
	const char *cfgfile;
	unsigned line;
	enum layer_src src;
	char *src_path;             /* as written */
	char *subdir, *dest;
	bool keep_owner;
	bool follow_symlinks;       /* archive members through tree symlinks */
	unsigned xattrs;            /* dir: TREE_XATTR_* namespaces to copy */
	bool xattrs_set;            /* ... named in the config */
	int policy;                 /* -1: the tree's */
	char **remove;
	unsigned nremove;
	char **include;             /* archive/deb: member globs to keep */
	unsigned ninclude;
	struct tree_item *items;    /* sorted by kind, config order within */
	unsigned nitems;
	struct spill_region region; /* archive data */
	/* Archive/deb: the kept members of the first successful read, so
	 * later compositions (other images, setup then generate) replay
	 * them instead of decompressing the archive again. */
	struct tree_archive_log *log;
	struct layer_cache *cache;  /* archive/deb: its entry in the store */
	char *label;                /* layer name in messages */
	/* Package layer (trees-pkg.c): what it asks for; at build time, one
	 * deb layer per package kiln.lock names for it. */
	unsigned index;             /* 1-based among the tree's layer sections */
	char **packages, **exclude;
	unsigned npackages, nexclude;
	char *repo_name;
	unsigned repo;              /* index into trees_state.repos */
	bool recommends;
	struct spill_region *pkg_regions; /* one per locked package */
	struct pkg_decoded *pkg_dec;      /* one per locked package */
	unsigned npkg_regions;
	bool pkg_verified;          /* the store's blobs re-hashed once */
	/* Kernel modules by name (trees-modules.c): the names, the line of
	 * each in the config, and what the first composition found. */
	char **modules;
	unsigned nmodules;
	unsigned *module_lines;
	const char *modules_file;
	struct trees_kmod *kmod;
};

/* A locked package's decoded layer, once read or loaded in this build:
 * later compositions replay it. @path is what the replay checks is still
 * the file read: the .deb's blob, or the decoded layer's. */
struct pkg_decoded {
	struct tree_archive_log *log;
	char *path;
};

/* A `repository NAME { }` section: pkg's view, plus the strings it
 * borrows (resolved paths are owned here, list items by the config). */
struct tree_repo {
	struct pkg_repo r;
	char *url, *keyring;
	char *url_err;              /* why "apt-sources" gave no url (lock/fetch fail) */
	const char **components, **archs;
};

struct tree_attrdef {
	char *glob;
	unsigned line;
	bool mode_set, uid_set, gid_set, caps_set;
	uint32_t mode, uid, gid;
	uint64_t caps;
};

struct tree_user {
	char *name;
	unsigned line;
	bool uid_set, gid_set, locked, create_home;
	uint32_t uid, gid, home_mode;
	char *home, *shell, *gecos;
	char *password, *hash;
	unsigned rounds;            /* 0: libcrypt's default (5000, not written) */
	char **groups;              /* supplementary groups */
	unsigned ngroups;
};

struct tree_group {
	char *name;
	unsigned line;
	bool gid_set;
	uint32_t gid;
	char **members;
	unsigned nmembers;
};

struct tree_def {
	char *name;
	const char *cfgfile;
	unsigned line;
	enum tree_conflict policy;
	struct tree_layer *layers;  /* `layer { }` sections, then the body */
	unsigned nlayers;
	char **devtables, **fsconfigs;
	unsigned ndevtables, nfsconfigs;
	struct tree_attrdef *attrs;
	unsigned nattrs;
	struct tree_user *users;
	unsigned nusers;
	struct tree_group *groups;
	unsigned ngroups;
	bool merged_usr;            /* trees-usrmerge.c */
	const char *merged_usr_file;
	unsigned merged_usr_line;
};

/* Generated files already in the spill file, by content (their bytes
 * depend on the tree they were made for, so they cannot replay by
 * position like archive data). */
struct spill_blob {
	uint8_t sha[32];
	uint64_t off, len;
};

struct trees_state {
	struct tree_def *defs;
	unsigned ndefs;
	char **vars;                /* "NAME=value" */
	unsigned nvars;
	struct spill spill;
	bool spill_ready;
	struct spill_blob *blobs;
	unsigned nblobs, capblobs;
	struct tree_repo *repos;
	unsigned nrepos;
	struct pkg_lock *lock;      /* kiln.lock, read at the first package layer */
	struct pkg_file *pkg_files; /* b->package_files hashed, by SHA-256 (trees-pkg.c) */
	unsigned npkg_files;
};

/* Read `repository` sections (trees-pkg.c). */
int trees_pkg_load_repos(struct build *b, struct trees_state *st, cfg_t *cfg, struct diag *d);
/* Read a layer's package options; @l->index is set (trees-pkg.c). */
int trees_pkg_load_layer(struct build *b, struct trees_state *st, struct tree_def *def,
			 cfg_t *sec, struct tree_layer *l, struct diag *d);
/* Free what the two above allocated. */
void trees_pkg_release(struct trees_state *st);
void trees_pkg_layer_release(struct tree_layer *l);
/* Compose package layer @l: one deb layer per locked package, read from
 * the store (trees-pkg.c). */
int trees_pkg_compose(struct build *b, struct trees_state *st, struct tree_def *def,
		      struct tree_layer *l, struct tree *t, enum tree_conflict pol,
		      struct diag *d);
/*
 * For trees-prefetch.c: the lock's section of package layer @l (of tree
 * @def) with its per-package state (l->pkg_dec) ready, or NULL when the
 * lock or a --package-file has a problem (its composition reports it).
 */
const struct pkg_lock_layer *trees_pkg_prefetch_layer(struct build *b, struct trees_state *st,
						      struct tree_def *def, struct tree_layer *l);
/* Is @sha256 a --package-file's (read by composition, not prefetched)? */
bool trees_pkg_is_file(const struct trees_state *st, const uint8_t sha256[SHA256_LEN]);
/* "NAME VERSION ARCH (REPOSITORY)": how messages name locked package @p. */
void trees_pkg_label(const struct trees_state *st, const struct pkg_locked *p, char *buf,
		     size_t size);

/*
 * Kernel modules by name (trees-modules.c). trees_modules_load: read a
 * layer's `modules` list (config time; the layer's source is known).
 * trees_modules_compose: compose the layer: only the modules the names
 * need, from the one kernel under lib/modules/ of its source, with a
 * modules.dep (and kmod's indexes) for them. trees_modules_release frees
 * what both allocated.
 */
int trees_modules_load(struct tree_def *def, cfg_t *sec, struct tree_layer *l, struct diag *d);
int trees_modules_compose(struct build *b, struct trees_state *st, struct tree_def *def,
			  struct tree_layer *l, struct tree *t, enum tree_conflict pol, uint32_t li,
			  struct diag *d);
void trees_modules_release(struct tree_layer *l);

/*
 * trees_merge_usr - the merged-/usr layout in @t (trees-usrmerge.c):
 * /bin, /sbin, /lib* moved into /usr and replaced by symlinks, made in
 * layer @layer. 0 or -errno with the diag naming the clash.
 */
int trees_merge_usr(struct tree_def *def, struct tree *t, uint32_t layer, struct diag *d);

/*
 * trees_compose_source - compose the source of layer @l (dir, archive,
 * deb or packages) into @t as layer @li. @cache: archive layers keep a
 * replay log (and use the build cache); false reads the archive afresh.
 */
int trees_compose_source(struct build *b, struct trees_state *st, struct tree_def *def,
			 struct tree_layer *l, struct tree *t, enum tree_conflict pol, uint32_t li,
			 bool cache, struct diag *d);

/* Parse every `tree` section and `vars` into b->trees (config time). */
int trees_load(struct build *b, cfg_t *cfg, struct diag *d);

/*
 * trees_apply_users - create or update /etc/passwd, /etc/group and
 * /etc/shadow in @t from @def's users and groups; home directories.
 * Generated files go to the spill file (region def->users_region).
 */
int trees_apply_users(struct build *b, struct trees_state *st, struct tree_def *def,
		      struct tree *t, uint32_t layer, struct diag *d);

/* sha512crypt of @password with a salt derived from @seed and @user. */
int trees_hash_password(const struct seed *seed, const char *user, const char *password,
			unsigned rounds, char *out, size_t outsz);

/* Read a regular node's bytes (at most @max). Caller frees *ret. */
int trees_read_node(struct tree_node *n, uint64_t max, char **ret, uint64_t *ret_len,
		    struct diag *d);

/* Store @len bytes as the content of regular file @path (replacing it);
 * identical content is stored once. */
int trees_store_file(struct trees_state *st, struct tree *t, const char *path, const char *data,
		     uint64_t len, uint32_t mode, uint32_t uid, uint32_t gid, uint32_t layer,
		     struct diag *d);

/* Largest inline/expanded file, table or /etc file read into memory. */
#define TREES_MAX_TEXT (16u << 20)

/* Config keyword of each item kind (trees-config.c). */
extern const char *const trees_item_kw[ITEM_KIND_MAX];

/* Fail with the message for vars_expand()'s error @r on @what at
 * @file:@line; @bad is the offending reference (trees-config.c). */
int trees_expand_fail(int r, const char *file, unsigned line, const char *what, const char *bad,
		      struct diag *d);

/* True when an image uses tree @def (trees.c). */
bool trees_def_used(struct build *b, const struct tree_def *def);

/*
 * trees_next_used_layer - every layer of the trees of @st that images
 * use, in definition order: start with *def = NULL; returns the next
 * layer (its tree in *def, its index in *k), NULL after the last
 * (trees.c). For the readers that look for other layers reading the
 * same archive or package.
 */
struct tree_layer *trees_next_used_layer(struct build *b, struct trees_state *st,
					 struct tree_def **def, unsigned *k);

/* Host path of config path @p (relative to the input path), with @sub
 * appended when not NULL; NULL when out of memory (trees.c). */
char *trees_resolve(struct build *b, const char *p, const char *sub);

/*
 * The build cache for archive layers (trees-cache.c). trees_cache_load:
 * before a layer's first read in this build, hash the archive (stat
 * index) and, when the store holds its decoded form, load that as the
 * layer's log: the archive is not decompressed. trees_cache_save: after
 * a read, keep the logs it recorded (this layer's and its siblings') in
 * the store. Both are no-ops without b->store. Return 0, or -ESTALE
 * when the archive changes while kiln reads it (the diag names it),
 * -ENOMEM; problems with the store itself are warnings.
 */
int trees_cache_load(struct build *b, struct tree_layer *l, const char *host, struct diag *d);
int trees_cache_save(struct build *b, struct trees_state *st, struct tree_layer *l,
		     const char *host, struct diag *d);
void trees_cache_free(struct layer_cache *lc);
/* trees_cache_layer_key - the store key of archive layer @l's decoded
 * form (the archive's content hash and filters); -ENOENT when the
 * archive was not hashed (no store). */
int trees_cache_layer_key(const struct tree_layer *l, uint8_t key[SHA256_LEN]);
/* trees_cache_put - keep layer @l's @log, recorded from the archive
 * hashed by trees_cache_load into the spill file open as @spill_fd, in
 * the store (trees-prefetch.c); failures only warn. */
/* The archive's stat data when it was hashed (zeros if it was not). */
const struct stat *trees_cache_stat(const struct tree_layer *l);
void trees_cache_put(struct build *b, struct tree_layer *l, const struct tree_archive_log *log,
		     int spill_fd, const char *host, struct diag *d);

/*
 * Package layers through the same cache, keyed by the .deb's SHA-256
 * (kiln.lock's) and the layer's include globs: trees_cache_pkg_load sets
 * *ret to the stored decoded layer (its blob's path in *ret_path), or
 * NULL; trees_cache_pkg_save keeps a log just recorded from the .deb
 * into the spill file open as @spill_fd. Without b->store both do
 * nothing; store problems are warnings.
 */
void trees_cache_pkg_load(struct build *b, const struct tree_layer *l,
			  const uint8_t deb[SHA256_LEN], const char *what,
			  struct tree_archive_log **ret, char **ret_path, struct diag *d);
void trees_cache_pkg_save(struct build *b, int spill_fd, const struct tree_layer *l,
			  const uint8_t deb[SHA256_LEN], const struct tree_archive_log *log,
			  const char *what, struct diag *d);

/* Apply inline item @it to @t under policy @pol (trees-items.c). */
int trees_apply_item(struct build *b, struct trees_state *st, struct tree *t,
		     struct tree_item *it, enum tree_conflict pol, uint32_t layer, struct diag *d);

#endif
