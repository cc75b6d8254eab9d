/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_TREE_ARCHIVE_INT_H
#define KILN_FS_TREE_ARCHIVE_INT_H

/*
 * Internal to fs/tree-archive*.c: the import state shared by reading
 * (tree-archive.c), the replay log (tree-archive-log.c) and the path
 * checks (tree-archive-path.c). ta_ = tree archive.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "fs/spill.h"
#include "fs/tree-archive.h"

struct archive;
struct archive_entry;
struct diag;

/* A recorded xattr value longer than this is kept as a marker without
 * its bytes: it is refused again whenever it would be applied. */
#define XATTR_MAX 65536u

struct tree_archive_log {
	uint8_t *buf;
	size_t len, cap;
	uint64_t nmembers;
	char *abs_name;   /* member that triggered the leading-'/' warning */
	bool have_stat;
	struct stat st;   /* the archive file when it was read */
	/* Loaded from a decoded-layer file (tree-archive-export.c): the
	 * members' data is in that file, not in the spill file. */
	char *data_path;
};

/* An archive member, from libarchive (a, e) or from a replay log. */
struct member {
	const char *name, *hl, *link;
	unsigned type;
	uint32_t mode, rdev_major, rdev_minor;
	int64_t uid, gid, mtime, size;
	uint32_t mtime_ns;
	bool mtime_set, size_set;
	struct archive *a;         /* reading: data and xattrs come from here */
	struct archive_entry *e;
	const uint8_t *xattrs;     /* replaying: packed as in the log */
	uint32_t nxattrs;
	bool has_data;             /* replaying: the data is already at data_off */
	uint64_t data_off;
};

struct imp {
	struct tree *t;
	const struct tree_archive_opts *o;
	struct spill_writer w;
	struct diag *d;
	bool warned_abs;
	uint64_t count;
	struct tree_archive_log *rec; /* reading: log being recorded (or NULL) */
	struct tree_archive_log **sib; /* ... and those of o->siblings */
	const char *data_path;         /* replaying a loaded log: its data file */
	unsigned nsib;                 /* 0 when sibling recording was dropped */
	bool kept;                    /* the current member passed the filters */
	bool has_data;                /* ... and its data went to data_off */
	uint64_t data_off;
	char path[TREE_ARCHIVE_MAX_NAME * 2 + 2];
	char target[TREE_ARCHIVE_MAX_NAME * 2 + 2];
};

/* ---- tree-archive-path.c ---- */

/*
 * Layer filters on a cleaned member path: `include` globs (on the whole
 * member path; an archive as large as a kernel package then costs only
 * what it keeps) and `subdir` (only members below it, relative to it).
 * Returns true when the member is kept; @clean is rewritten in place.
 */
bool ta_member_filter(const char *const *include, unsigned ninclude, const char *subdir,
		      char *clean, bool check_include);

/* Member name (or hard link target) → tree path under the destination.
 * *ret_skip (when not NULL) says the layer's filters drop the member. */
int ta_member_path(struct imp *im, const char *name, char *out, size_t outsz,
		   const char *what, bool *ret_skip);

/* Resolve the parent directories of @path (in place) through symlink
 * nodes, inside the tree: a chroot-like walk that cannot leave it. */
int ta_resolve_parents(struct imp *im, char *path, size_t pathsz, const char *member);

/* Refuse a path whose parent directories go through a symlink node. */
int ta_check_parents(struct imp *im, char *path, const char *member);

/* ---- tree-archive.c ---- */

/* Copy one member's data into the spill file. */
int ta_read_data(struct imp *im, struct archive *a, const char *member, uint64_t size,
		 uint64_t *ret_off);

/* Everything after the layer's filters: the tree-dependent checks and
 * the tree update. The same for a member read and a member replayed. */
int ta_import_member(struct imp *im, const struct member *m);

/* ---- tree-archive-log.c ---- */

/* Record a member kept by a layer's filters in its log; its data (if
 * any) is at @data_off. */
int ta_log_member(struct imp *im, struct tree_archive_log *log, const struct member *m,
		  bool has_data, uint64_t data_off);

/* Free the sibling logs being recorded and stop recording them. */
void ta_drop_siblings(struct imp *im);

/* Record member @m (already imported for this layer) in sibling @k's log
 * when its filters keep it; its data is read here unless this layer
 * read it already. */
int ta_record_sibling(struct imp *im, unsigned k, const struct member *m);

/* Import every member of @log again, in order. */
int ta_replay(struct imp *im, const struct tree_archive_log *log);

/* Check the records in @buf (a log's bytes) are well formed, count them
 * into *ret_n, and pass each data reference to @fn (which may rewrite
 * the offset). -EINVAL for a malformed log, or @fn's error. */
int ta_log_walk(uint8_t *buf, size_t len, uint64_t *ret_n,
		int (*fn)(void *ud, uint64_t *data_off, uint64_t size), void *ud);

/* Size of one record's fixed part: part of the decoded-layer format. */
size_t ta_log_rec_size(void);

#endif
