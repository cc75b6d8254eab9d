/* SPDX-License-Identifier: MIT */
#ifndef KILN_IO_UNDO_H
#define KILN_IO_UNDO_H

/*
 * The undo log: what this process must take back when it fails or is
 * interrupted, so that it leaves nothing behind.
 *
 *   - a named temporary file (output temporaries where O_TMPFILE is not
 *     available, the spill file) is unlinked;
 *   - an output committed during a *transaction* (a build) is unlinked
 *     if the build created it, or its previous version is put back from
 *     a hard-linked backup if it replaced one;
 *   - an exec hook running at the time is sent the signal and waited for.
 *
 * The log is one per process because a signal is: undo_interrupt() runs
 * it from a signal handler, so it only uses async-signal-safe calls
 * (kill, waitpid, unlink, rename). Entries are changed with SIGINT,
 * SIGTERM and SIGHUP blocked in the calling thread, and the CLI's handler
 * forwards a signal that lands in another thread to the main one, so the
 * handler never sees a half-changed log. Only the main thread may call
 * the functions that change the log.
 *
 * Functions that add an entry return its id (>= 0) or -ENOMEM.
 */

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* undo_unlink - unlink @path on undo (a named temporary). */
int undo_unlink(const char *path);

/*
 * undo_replace - @final was committed by this run. On undo, rename
 * @backup (a hard link to the previous version, kept open as @lock_fd so
 * a concurrent kiln sees it as in use) back to @final; @backup NULL:
 * unlink @final. On success the backup is unlinked and @lock_fd closed.
 */
int undo_replace(const char *final, const char *backup, int lock_fd);

/* undo_forget - the entry @id needs no undo any more (the file was renamed
 * or removed by its owner). Negative ids are ignored. */
void undo_forget(int id);

/* undo_rollback_one - undo the entry @id now (a backup is put back, a
 * temporary removed). Negative ids are ignored. */
void undo_rollback_one(int id);

/*
 * Transactions (a build): while one is open, undo_in_transaction() is true
 * and file sinks record each commit with undo_replace(). undo_commit()
 * makes every entry since @mark permanent (unlinking backups);
 * undo_rollback() undoes them, newest first.
 */
int undo_begin(void);
bool undo_in_transaction(void);
void undo_commit(int mark);
void undo_rollback(int mark);

/* The exec hook running now (its process group is signalled); 0: none. */
void undo_set_child(pid_t pid);

/*
 * undo_spawn - start @argv[0] (@path, or looked up in PATH with @search)
 * in a process group of its own, with kiln's unblocked signal mask, and
 * record it with undo_set_child(): an interrupted kiln signals it and
 * whatever it started. Signals stay blocked from the spawn until the pid
 * is recorded, so none is lost in between. Returns 0 or a negative errno
 * (posix_spawn's); the caller waits and then calls undo_set_child(0).
 */
int undo_spawn(pid_t *ret_pid, const char *path, bool search, char *const argv[],
	       char *const envp[]);

/*
 * What the process is doing ("writing images/a.img"), and what an
 * interruption cannot take back ("/dev/sdb holds a partial image"; "" if
 * nothing): for the one line the CLI prints when interrupted.
 */
void undo_activity(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void undo_residue(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *undo_activity_text(void);
const char *undo_residue_text(void);

/*
 * undo_interrupt - async-signal-safe: signal the running hook's process
 * group with @sig and wait for it, then undo every entry, newest first.
 * Returns the number of files that could not be removed or restored.
 */
int undo_interrupt(int sig);

/* Block / unblock SIGINT, SIGTERM and SIGHUP in the calling thread. */
void undo_block(sigset_t *old);
void undo_unblock(const sigset_t *old);

#endif
