/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_TREE_H
#define KILN_FS_TREE_H

/*
 * The input tree: what a filesystem writer puts into an image. It is
 * composed from layers (host directories, archives, packages, inline
 * files) before any writer runs; writers only read it.
 *
 * Nodes hold metadata and *where* the bytes are (a host path and an
 * offset: the source tree itself, or kiln's spill file for archive
 * members), never the bytes. Nodes and their strings are carved from an
 * arena owned by the tree (no per-allocation overhead), equal source
 * paths are stored once and files imported from a host directory share
 * its path (tree_node_src_path()), so an imported host tree costs ~128
 * bytes per node plus its name.
 *
 * Invariants: names are single components (no '/', not "." or ".."),
 * unique among siblings; after tree_finish() every directory's children
 * are sorted bytewise by name and nlink is computed.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct diag;
struct tree_mem;

struct tree_xattr {
	char *name;
	uint8_t *value;
	uint32_t len;
};

/*
 * Field order: pointers, then 64-bit values, then 32-bit ones, so the
 * node has no padding (128 bytes on LP64). Nodes, names, symlink
 * targets and source paths live in the tree's arena (see struct tree):
 * writers read them, only tree.c changes them (tree_node_set_src()).
 */
struct tree_node {
	char *name;               /* "" for the root */
	struct tree_node *parent;
	struct tree_node **kids;  /* directories */
	char *link;               /* symlink target */
	struct tree_xattr *xattrs;
	char *src_path;           /* regular files: data source; read it with tree_node_src_path() */
	struct tree_node *hardlink; /* non-NULL: another name for that node */
	uint64_t size;            /* regular files: bytes */
	int64_t mtime;            /* seconds; already clamped to the epoch */
	uint64_t src_off;         /* ... from this offset */
	uint64_t priv;            /* for writers (e.g. inode number) */
	uint32_t nkids, capkids;
	uint32_t mode;            /* st_mode: type bits and permissions */
	uint32_t uid, gid;
	uint32_t rdev_major, rdev_minor;
	uint32_t mtime_ns;        /* nanoseconds of mtime (0 when clamped) */
	uint32_t nlink;           /* computed by tree_finish() */
	uint16_t nxattrs;         /* at most TREE_MAX_XATTRS */
	uint16_t layer;           /* index of the layer that provided it */
};

/* Bounds that keep a node at 128 bytes. */
#define TREE_MAX_XATTRS 65535u
#define TREE_MAX_LAYERS 65535u

enum tree_conflict {
	TREE_CONFLICT_ERROR,      /* two layers provide a path: error */
	TREE_CONFLICT_KEEP_FIRST, /* rsync --ignore-existing */
	TREE_CONFLICT_REPLACE,    /* the later layer wins */
};

struct tree {
	struct tree_node *root;
	char **layer_names;       /* for messages: "dir:/path", "archive:x.tar" */
	char **layer_pkgs;        /* NULL, or per layer "NAME=VERSION" of the
				   * Debian package that is the layer (or NULL) */
	uint32_t nlayers;
	int64_t epoch;            /* SOURCE_DATE_EPOCH: times are clamped to it */
	uint64_t nnodes;
	struct tree_mem *mem;     /* private to tree.c: arena of nodes and strings */
};

int tree_new(struct tree **ret, int64_t epoch);
void tree_free(struct tree *t);

/* Register a layer name; returns its index (≥ 0), -ENOMEM, or -E2BIG
 * past TREE_MAX_LAYERS layers. */
int tree_add_layer(struct tree *t, const char *name);

/* tree_set_layer_package - record that layer @layer is Debian package
 * @pkg ("NAME=VERSION"; `kiln ls --packages`). 0, -EINVAL, -ENOMEM. */
int tree_set_layer_package(struct tree *t, uint32_t layer, const char *pkg);

/* Attributes for tree_add(). Type comes from mode's S_IFMT bits. */
struct tree_attr {
	uint32_t mode, uid, gid;
	int64_t mtime;
	uint32_t mtime_ns;      /* nanoseconds; dropped when clamped */
	uint64_t size;
	uint32_t rdev_major, rdev_minor;
	const char *link;       /* symlink target */
	const char *src_path;   /* regular file data */
	uint64_t src_off;
};

/*
 * tree_add - add (or with the policy, replace) the entry at @path
 * ("a/b/c", leading '/' ignored). Missing parents are created as
 * 0755 root:root directories. An existing directory met by a directory
 * merges (attributes updated by REPLACE only).
 * Returns 0 (with *ret the node, or NULL when KEEP_FIRST kept the old
 * one), -EEXIST on a conflict under TREE_CONFLICT_ERROR (diag names the
 * path and both layers), -EINVAL for a bad path (".." or empty
 * component), -ENOTDIR when a parent is not a directory.
 */
int tree_add(struct tree *t, const char *path, const struct tree_attr *a,
	     enum tree_conflict policy, uint32_t layer, struct tree_node **ret, struct diag *d);

/* Make @path a hard link to the existing node at @target. */
int tree_add_hardlink(struct tree *t, const char *path, const char *target,
		      enum tree_conflict policy, uint32_t layer, struct diag *d);

/*
 * tree_set_root - give the root directory @a's permissions, owner and
 * time (clamped), as a merging directory would: unless @policy is
 * KEEP_FIRST and a layer has already set them. True when they were set.
 */
bool tree_set_root(struct tree *t, const struct tree_attr *a, enum tree_conflict policy,
		   uint32_t layer);

/* Find a node; NULL if absent. Does not follow symlinks. */
struct tree_node *tree_lookup(struct tree *t, const char *path);

/* Remove a node and everything below it. 0 or -ENOENT. */
int tree_remove(struct tree *t, const char *path);

/*
 * tree_node_set_src - point regular file @n's data at @path (copied into
 * the tree; equal paths are shared), offset @off. @path NULL clears it.
 * Use this rather than assigning n->src_path: the tree owns that string.
 * 0 or -ENOMEM (the node is unchanged then).
 */
int tree_node_set_src(struct tree *t, struct tree_node *n, const char *path, uint64_t off);

/* Room for any host path tree_node_src_path() composes (the OS limit). */
#define TREE_SRC_PATH_MAX 4096

/*
 * tree_node_src_path - the host path to read regular file @n's data from
 * (at n->src_off). Files imported by tree_add_dir() do not store it: it
 * is their host directory (shared by the siblings) plus their name,
 * composed into @buf (@bufsize bytes; TREE_SRC_PATH_MAX is enough).
 * Other nodes return n->src_path itself. NULL: no data source, or the
 * path does not fit in @buf.
 */
const char *tree_node_src_path(const struct tree_node *n, char *buf, size_t bufsize);

/*
 * tree_merge_dir - move everything below directory @from into directory
 * @to (created 0755 root:root when missing), merging subdirectories;
 * @from stays, empty. Where both hold an entry of one name that is not
 * two directories, @clash decides: 0 keeps @to's entry (@from's is
 * dropped), 1 puts @from's in its place, a negative errno stops (the
 * diag is then @clash's to fill; entries already moved stay moved).
 * Hard links keep pointing at their nodes wherever these move; a link
 * to a dropped entry takes over its data. Returns 0, -ENOENT / -ENOTDIR
 * (@from or @to), -EINVAL (one is inside the other), -ENOMEM, or
 * @clash's error.
 */
int tree_merge_dir(struct tree *t, const char *from, const char *to,
		   int (*clash)(void *ud, const struct tree_node *moving,
				const struct tree_node *staying),
		   void *ud, struct diag *d);

/* Set an extended attribute on a node (replaces one of the same name).
 * 0, -ENOMEM, or -E2BIG past TREE_MAX_XATTRS attributes. */
int tree_set_xattr(struct tree_node *n, const char *name, const void *value, uint32_t len);

/* Extended attribute namespaces a host directory import copies. */
enum {
	TREE_XATTR_USER = 1 << 0,     /* user.* */
	TREE_XATTR_TRUSTED = 1 << 1,  /* trusted.* (visible to CAP_SYS_ADMIN only) */
	TREE_XATTR_SECURITY = 1 << 2, /* security.* but security.selinux */
	TREE_XATTR_SELINUX = 1 << 3,  /* security.selinux: the host's labels */
	TREE_XATTR_ACL = 1 << 4,      /* system.posix_acl_access/default */
	TREE_XATTR_DEFAULT = TREE_XATTR_USER | TREE_XATTR_TRUSTED | TREE_XATTR_SECURITY |
			     TREE_XATTR_ACL,
};

struct tree_dir_opts {
	const char *dest;            /* where in the tree ("" or NULL: the root) */
	bool keep_owner;             /* host uid/gid, else 0:0 */
	const char *const *exclude;  /* see tree_add_dir() */
	enum tree_conflict policy;
	uint32_t layer;
	unsigned xattrs;             /* TREE_XATTR_* to copy; 0: none */
	bool warn_trusted;           /* warn when trusted.* is asked for but hidden */
};

/*
 * tree_import_dir - import host directory @hostdir as @o says, without
 * following symlinks. Modes and times (with nanoseconds) come from the
 * source (times clamped to the epoch); uid/gid are 0:0 unless
 * keep_owner; extended attributes of the namespaces in o->xattrs are
 * copied (lgetxattr: never through a symlink). Hard links within the
 * directory stay hard links, whatever the file type. Imported at the
 * root, @hostdir's own mode, owner, time and xattrs become the root's
 * (tree_set_root()). 0 or -errno with the host path in @d.
 */
int tree_import_dir(struct tree *t, const char *hostdir, const struct tree_dir_opts *o,
		    struct diag *d);

/*
 * tree_add_dir - tree_import_dir() with the default xattr namespaces.
 * @exclude (may be NULL) is a NULL-terminated list of paths relative to
 * @hostdir that are imported as empty directories (genimage: other
 * images' mountpoints).
 */
int tree_add_dir(struct tree *t, const char *hostdir, const char *dest, bool keep_owner,
		 const char *const *exclude, enum tree_conflict policy, uint32_t layer,
		 struct diag *d);

/* Sort every directory and compute link counts. Call once before a
 * writer walks the tree; idempotent. */
void tree_finish(struct tree *t);

/* Path of @n relative to the root, without a leading '/' ("" for the
 * root). Returns a malloc'd string or NULL. */
char *tree_path(const struct tree_node *n);

/* Pre-order walk in sorted order; stops when @cb returns non-zero and
 * returns that value. */
int tree_walk(struct tree *t, int (*cb)(struct tree_node *n, void *ud), void *ud);

static inline bool tree_is_dir(const struct tree_node *n)
{
	return (n->mode & 0170000) == 0040000;
}
static inline bool tree_is_reg(const struct tree_node *n)
{
	return (n->mode & 0170000) == 0100000;
}
static inline bool tree_is_symlink(const struct tree_node *n)
{
	return (n->mode & 0170000) == 0120000;
}

#endif
