/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_TREE_ARCHIVE_H
#define KILN_FS_TREE_ARCHIVE_H

/*
 * Archive layers: tar (any compression libarchive reads natively: gzip,
 * bzip2, xz, lzma, zstd; xz through fs/xz-read.h, on o->threads), cpio,
 * and Debian packages (the data.tar.* of an ar container), imported into a tree with their owners, modes,
 * device numbers, xattrs and hard links. Member data goes to the spill
 * file; nothing is ever extracted on the host.
 *
 * Safety, like GNU tar's safe extraction, but stricter because there is
 * no reason to be lenient in a build:
 *   - a leading '/' is stripped (contained; one warning per archive);
 *   - a ".." component anywhere (in a name or a hard link target) is
 *     refused;
 *   - a member whose parent path is a symlink in the tree (planted by
 *     this archive or an earlier layer) is refused, unless the layer asks
 *     to follow symlinks: then the path is resolved inside the tree only
 *     (never on the host);
 *   - hard links must name a member already in the tree;
 *   - at most TREE_ARCHIVE_MAX_ENTRIES entries in the whole tree, names
 *     at most 4095 bytes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/tree.h"

struct diag;
struct spill;
struct stat;
struct spill_region;
struct tree_archive_log;

#define TREE_ARCHIVE_MAX_ENTRIES 10000000u
#define TREE_ARCHIVE_MAX_NAME 4095

enum tree_archive_kind {
	TREE_ARCHIVE_AUTO, /* tar or cpio, compressed or not */
	TREE_ARCHIVE_DEB,  /* Debian binary package: its data.tar.* */
};

struct tree_archive_opts {
	enum tree_archive_kind kind;
	const char *dest;          /* prefix inside the tree ("" = root) */
	enum tree_conflict policy;
	uint32_t layer;
	struct spill *spill;
	struct spill_region *region; /* where this layer's data lives */
	const char *name;          /* for messages (the archive's path) */
	/* Resolve parent directories through symlink nodes inside the tree
	 * (chroot-like: absolute targets start at the tree root, ".." stops
	 * there, at most 40 links) instead of refusing such members. */
	bool follow_symlinks;
	/* Keep only members whose path (as in the archive, without "./")
	 * matches one of these fnmatch(FNM_PATHNAME) globs; none: all. */
	const char *const *include;
	unsigned ninclude;
	/* Keep only members below this directory of the archive, placed
	 * relative to it under dest. NULL: the whole archive. */
	const char *subdir;
	/* Replay log of this layer (may be NULL). When *log holds the log
	 * of an earlier successful import with these same options (same
	 * archive, filters, dest, spill and region), the members are imported
	 * again from it, through the same checks against the *current* tree,
	 * with their data already in the spill file: the archive is not
	 * decompressed again. Otherwise the archive is read and, on success,
	 * *log receives the log of its kept members. */
	struct tree_archive_log **log;
	/* Threads decoding an xz stream (a .deb's data.tar.xz, a .tar.xz):
	 * 0 or 1 for one. The decoded bytes do not depend on it. */
	unsigned threads;
	/* Their memory budget (fs/xz-read.h; 0: XZ_READ_MEMLIMIT_THREADS). */
	uint64_t xz_memlimit;
	/* Other layers to record in the same pass (needs @log). */
	const struct tree_archive_sibling *siblings;
	unsigned nsiblings;
};

/*
 * Another layer reading the same archive file (same kind), whose replay
 * log is recorded in the same pass: its filters pick the members, their
 * data goes to the spill file once (shared with the layer being imported
 * when both keep a member). Its later compositions replay the log with
 * their own dest, policy and checks. Only when the archive is read.
 */
struct tree_archive_sibling {
	const char *const *include;
	unsigned ninclude;
	const char *subdir;
	struct tree_archive_log **log; /* receives the log on success */
};

/* tree_archive_log_free - free a replay log; NULL is a no-op. */
void tree_archive_log_free(struct tree_archive_log *log);

/*
 * Decoded layers (tree-archive-export.c): a replay log with its members'
 * data in one file, for the build cache. The log of a layer depends only
 * on the archive's bytes, its kind, `include` and `subdir`: dest, policy
 * and the tree-dependent checks apply at each replay.
 *
 * tree_archive_layer_format - the file format's number (changes with
 * the record layout); part of any key a decoded layer is stored under.
 */
uint32_t tree_archive_layer_format(void);

/*
 * tree_archive_log_export - write @log (recorded by a read whose data is
 * in the spill file open as @spill_fd, flushed) and its data through
 * @write_fn. Returns 0, -EINVAL for a log loaded from a file, -ENOMEM,
 * or -errno of reading the spill file / @write_fn's error.
 */
int tree_archive_log_export(const struct tree_archive_log *log, int spill_fd,
			    int (*write_fn)(void *ud, const void *buf, size_t len), void *ud,
			    struct diag *d);

/*
 * tree_archive_log_load - a replay log from the decoded-layer file open
 * as @fd, whose members' data stays in that file: tree nodes point at
 * @path, which must stay readable until the images are written.
 * @archive_st: the archive's stat data, checked before every replay as
 * for a log recorded in this build (may be NULL). Every record is
 * bounds-checked. Returns 0, -EINVAL (not such a file, or another
 * format: the diag names @path), -ENOMEM, -errno.
 */
int tree_archive_log_load(int fd, const char *path, const struct stat *archive_st,
			  struct tree_archive_log **ret, struct diag *d);

/* tree_archive_log_is_loaded - true for a log from tree_archive_log_load. */
bool tree_archive_log_is_loaded(const struct tree_archive_log *log);

/*
 * tree_add_archive - import the archive at host path @path.
 * Returns 0, or a negative errno with the diag naming the archive and
 * the member: -EINVAL (unsafe or malformed member, corrupt archive),
 * -EIO (read error, truncated), -E2BIG (too many entries),
 * -ENAMETOOLONG, -EEXIST (conflict under conflicts = error), -ENOTDIR,
 * -ENOMEM, -ESTALE (replaying a log, but the file changed since it was
 * read: its data in the spill file would be stale), or a spill write
 * error. With a diag note callback, says whether the archive was read or
 * replayed ("reading archive", "replaying archive").
 */
int tree_add_archive(struct tree *t, const char *path, const struct tree_archive_opts *o,
		     struct diag *d);

/* Same, from memory (tests and fuzzing). */
int tree_add_archive_mem(struct tree *t, const void *buf, size_t len,
			 const struct tree_archive_opts *o, struct diag *d);

/*
 * tree_archive_clean_path - normalise member name @in into @out (size
 * @outsz): no leading '/', no "." or empty components. *ret_abs tells
 * whether a leading '/' was dropped. "" means the root.
 * Returns 0, -EINVAL for a ".." component, -ENAMETOOLONG.
 */
int tree_archive_clean_path(const char *in, char *out, size_t outsz, int *ret_abs);

#endif
