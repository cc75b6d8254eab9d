/* SPDX-License-Identifier: MIT */
#ifndef KILN_IO_TMPFILE_H
#define KILN_IO_TMPFILE_H

/*
 * Temporary files that a crash cannot leave behind.
 *
 * Where the filesystem supports O_TMPFILE (and /proc is mounted, which
 * linkat() needs without privileges), the file has no name until it is
 * committed: a SIGKILLed kiln leaves nothing. Elsewhere it is a named
 * "<dir>/<prefix>XXXXXX", listed in the undo log (io/undo.h) so a failure
 * or a signal removes it. Either way kiln holds an exclusive flock on it
 * while it lives, and tmpfile_create() first removes every
 * "<dir>/<prefix>*" whose lock it can take: debris of a killed kiln,
 * never the temporary of one still running.
 */

#include <stdbool.h>

struct diag;

struct tmpfile {
	int fd;
	char *path;   /* named temporary, or NULL (O_TMPFILE) */
	char proc[32]; /* "/proc/self/fd/N": a path that reaches it either way */
	int undo;     /* undo entry of the named temporary, or -1 */
};

/*
 * tmpfile_create - create a temporary in @dir ("" = the current one),
 * mode 0666 less umask, after removing stale "<dir>/<prefix>*".
 * 0 or the negative errno of creating it (-EACCES, -ENOTDIR, ...), which
 * the caller words with the path the user knows.
 */
int tmpfile_create(struct tmpfile *t, const char *dir, const char *prefix);

/*
 * tmpfile_commit - fsync and move it to @final (in @dir, atomically
 * replacing a previous file). Inside an undo transaction, the previous
 * file is kept as a hard-linked backup and the replacement recorded, so
 * a failed or interrupted build puts it back. 0 or a negative errno.
 */
int tmpfile_commit(struct tmpfile *t, const char *dir, const char *prefix, const char *final,
		   struct diag *d);

/* tmpfile_release - close, and remove it if not committed. */
void tmpfile_release(struct tmpfile *t);

/* TEST ONLY: never use O_TMPFILE (the CLI sets it from
 * KILN_TEST_NO_TMPFILE, to exercise named temporaries anywhere). */
extern bool tmpfile_named_only;

/* tmpfile_remove_stale - remove "<dir>/<prefix>*" regular files whose
 * flock can be taken (their kiln is gone). Best effort. */
void tmpfile_remove_stale(const char *dir, const char *prefix);

#endif
