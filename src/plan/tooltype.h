/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_TOOLTYPE_H
#define KILN_PLAN_TOOLTYPE_H

/*
 * What the image types that run an external tool share (genimage's
 * custom, ubifs, jffs2, btrfs, f2fs): the tool's path from `config {}`,
 * the image's tree materialised once as a directory under tmppath, the
 * tool run through posix_spawn with an argv array (no shell) and a
 * checked status, and its output kept open until generate copies it.
 */

#include <confuse.h>
#include <stdbool.h>
#include <stdint.h>

struct build;
struct diag;
struct image;
struct sink;

struct tooljob {
	char *dir;          /* work directory under tmppath (removed by tooljob_done) */
	char *root;         /* dir/root: the materialised tree, or NULL */
	char *devtable;     /* dir/devtable: device nodes and owners, or NULL */
	unsigned dt_lines;  /* lines in it (the tools refuse an empty one) */
	char *out;          /* dir/out: where the tool writes the image */
	int fd;             /* the tool's output, open after tooljob_take(); -1 */
	uint64_t bytes;
	uint32_t uid, gid;  /* owner of the tree's root, after tooljob_start() */
	bool mixed_owner;   /* some node of the tree has another owner */
	int *undo_ids;      /* undo log entries of what dir holds */
	unsigned nundo, capundo;
};

/* The tool path: `config { @opt = ... }` if set (and @opt is a key the
 * schema knows; NULL: it has none), else @dflt (looked up in PATH). */
const char *tool_path(struct build *b, const char *opt, const char *dflt);

/* tool_split - append the words of genimage's `extraargs` string @s
 * (blanks separate, '...' and "..." quote) to *argv (NULL-terminated,
 * *n entries). 0, -EINVAL on an unterminated quote, -ENOMEM. */
int tool_split(const char *s, char ***argv, unsigned *n);
/* tool_split_cfg - tool_split() of string option @key of @sec into a
 * fresh *argv (*n words), for handlers that read a tool's options
 * themselves. An unterminated quote fails naming FILE:LINE and the
 * value; on failure nothing is left to free. 0, -EINVAL, -ENOMEM. */
int tool_split_cfg(cfg_t *sec, const char *key, char ***argv, unsigned *n, struct diag *d);
int tool_push(char ***argv, unsigned *n, const char *word);
/* tool_push2 - push @a then @b (an option and its value). */
int tool_push2(char ***argv, unsigned *n, const char *a, const char *b);
void tool_argv_free(char **argv, unsigned n);

/* What goes into the device table: lines only for what the files cannot
 * say (device nodes, fifos, owners other than 0:0, directories without
 * owner rwx); the tool must squash the files' owners to 0:0 (-U). */
enum tool_devtable {
	TOOL_DT_NONE,
	TOOL_DT_ALL,         /* every node, the root "/" too (mkfs.ubifs) */
	TOOL_DT_NO_ROOT,     /* mkfs.jffs2 refuses a line for "/" */
	TOOL_DT_CALLER,      /* no table: devices, fifos and sockets are not created,
			      * the caller describes them (mksquashfs's pseudo file) */
};

/* tool_push_tree - the options mkfs.jffs2 and mkfs.ubifs share for the
 * tree tooljob_start() laid out: -d ROOT (unless @empty), -D DEVTABLE
 * (when it has lines) and -U (owners are the device table's, 0:0 where
 * it has no line). 0 or -ENOMEM. */
int tool_push_tree(char ***argv, unsigned *n, const struct tooljob *j, bool empty);

/* tooljob_start - create the work directory; with @tree, materialise the
 * image's content tree under root (and the device table @dt). */
int tooljob_start(struct build *b, struct image *img, struct tooljob *j, bool tree,
		  enum tool_devtable dt, struct diag *d);

/* tooljob_track - record @path (to be created under j->dir) in the undo
 * log, so an interruption removes it. 0 or -ENOMEM. */
int tooljob_track(struct tooljob *j, const char *path);

/* tool_copy_file - copy @len bytes of @src from @off into a new file
 * @dst (0600; it must not exist). 0 or -errno, the path in @d. */
int tool_copy_file(const char *src, uint64_t off, uint64_t len, const char *dst,
		   struct diag *d);

/* tool_run - spawn @argv (argv[0] looked up in PATH), wait, check the
 * status. A missing tool or a non-zero exit: one line naming the tool,
 * the status and the image. @envp NULL: kiln's environment. */
int tool_run(struct image *img, char *const argv[], char *const envp[], struct diag *d);

/* A fix-up run on the tool's output file @out before it is taken: kiln
 * rewrites what the tool draws at random or reads off the clock (btrfs,
 * ubifs), so the image is reproducible. */
typedef int tool_fix_fn(struct build *b, struct image *img, const char *out, struct diag *d);

/* tooljob_run - tool_run(@argv), then @fix (may be NULL), then tooljob_finish(). */
int tooljob_run(struct build *b, struct image *img, struct tooljob *j, char *const argv[],
		tool_fix_fn *fix, struct diag *d);

/* tooljob_run_file - tooljob_run(); the image's file is then what the
 * tool wrote, even when that is shorter than its size (as genimage's
 * jffs2 and ubifs). */
int tooljob_run_file(struct build *b, struct image *img, struct tooljob *j, char *const argv[],
		     tool_fix_fn *fix, struct diag *d);

/* tool_push_tail - end an argv built by tool_push*() calls whose result
 * so far is @r: the words of genimage's @extraargs string, then @last
 * (NULL: none). 0, -EINVAL (an unterminated quote) or -ENOMEM (also
 * when @r is non-zero), with the message in @d. */
int tool_push_tail(char ***argv, unsigned *n, int r, const char *extraargs, const char *last,
		   struct diag *d);

/* tooljob_release - for a type's release: tooljob_done() on img->priv
 * (which begins with its struct tooljob), which is detached and
 * returned for the type to free (NULL: there was none). */
void *tooljob_release(struct image *img);

/* The priv of a type whose options are `label` and `extraargs`
 * (btrfs, f2fs): its parse and release handlers. */
struct tool_priv {
	struct tooljob j; /* first: tooljob_generate() finds it at img->priv */
	char *label, *extraargs;
};
int tool_priv_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d);
void tool_priv_release(struct image *img);

/* tooljob_abort - after a failed presize: tooljob_done(), and the image's
 * name and line put before the message (the planner adds none there). */
void tooljob_abort(struct image *img, struct tooljob *j, struct diag *d);

/* tool_join - malloc'd "@a/@b", NULL when out of memory. */
char *tool_join(const char *a, const char *b);

/* tooljob_take - open the tool's output, fix j->bytes and remove the
 * work directory (the open file stays readable). */
int tooljob_take(struct image *img, struct tooljob *j, struct diag *d);

/* tooljob_copy - the output onto @out (holes kept). */
int tooljob_copy(struct tooljob *j, struct sink *out, struct diag *d);

/* tooljob_done - remove whatever is left of the work directory, close. */
void tooljob_done(struct tooljob *j);

/* tooljob_generate - the generate step of a type whose setup ran its
 * tool: copy the output onto @out, then tooljob_done(). The type's priv
 * must begin with its struct tooljob. */
int tooljob_generate(struct build *b, struct image *img, struct sink *out, struct diag *d);



/* tooljob_prepare - as genimage's prepare_image: an output of img->size
 * bytes (all holes) for tools that fill a given file; none when unsized. */
int tooljob_prepare(struct image *img, struct tooljob *j, struct diag *d);

/* tooljob_finish - tooljob_take, then fix img->size: the configured size
 * (the output may not exceed it) or else the output's length. */
int tooljob_finish(struct image *img, struct tooljob *j, struct diag *d);
/* The image's `flashtype` section: sizes in bytes, 0 where unset. */
struct tool_flash {
	uint64_t pebsize, lebsize, min_io, vid_hdr_offs, subpage;
};
int tool_flash(struct build *b, struct image *img, struct tool_flash *f, struct diag *d);

#endif
