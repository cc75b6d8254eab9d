/* SPDX-License-Identifier: MIT */
#include "io/undo.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum kind { FREE, UNLINK, REPLACE };

struct entry {
	enum kind kind;
	char *path;   /* UNLINK: the temporary; REPLACE: the output */
	char *backup; /* REPLACE: previous version, or NULL */
	int fd;       /* REPLACE: lock on the backup, or -1 */
};

static struct entry *log_v;
static int log_n, log_cap;
static int transactions;
static int floor_n; /* mark of the outermost open transaction: ids below stay put */
static pid_t child;
static char activity[512], residue[512];

void undo_block(sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &s, old);
}

void undo_unblock(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static int push(enum kind k, const char *path, const char *backup, int fd)
{
	char *p = strdup(path), *b = backup ? strdup(backup) : NULL;
	sigset_t old;
	int id = -ENOMEM;

	if (!p || (backup && !b))
		goto fail;
	undo_block(&old);
	if (log_n == log_cap) {
		int n = log_cap ? log_cap * 2 : 16;
		struct entry *v = realloc(log_v, (size_t)n * sizeof(*v));
		if (!v) {
			undo_unblock(&old);
			goto fail;
		}
		log_v = v;
		log_cap = n;
	}
	log_v[log_n] = (struct entry){ k, p, b, fd };
	id = log_n++;
	undo_unblock(&old);
	return id;
fail:
	free(p);
	free(b);
	return id;
}

int undo_unlink(const char *path)
{
	return push(UNLINK, path, NULL, -1);
}

int undo_replace(const char *final, const char *backup, int lock_fd)
{
	return push(REPLACE, final, backup, lock_fd);
}

/* Free entry @i (signals blocked by the caller); trailing free slots are
 * given back so ids stay small. */
static void clear(int i)
{
	struct entry *e = &log_v[i];

	if (e->fd >= 0)
		close(e->fd);
	free(e->path);
	free(e->backup);
	*e = (struct entry){ FREE, NULL, NULL, -1 };
	while (log_n > floor_n && log_v[log_n - 1].kind == FREE)
		log_n--;
}

void undo_forget(int id)
{
	sigset_t old;

	if (id < 0)
		return;
	undo_block(&old);
	if (id < log_n)
		clear(id);
	undo_unblock(&old);
}

void undo_rollback_one(int id)
{
	sigset_t old;

	if (id < 0)
		return;
	undo_block(&old);
	if (id < log_n) {
		struct entry *e = &log_v[id];
		if (e->kind == REPLACE && e->backup)
			rename(e->backup, e->path);
		else if (e->kind == UNLINK)
			unlink(e->path);
		clear(id);
	}
	undo_unblock(&old);
}

int undo_begin(void)
{
	if (!transactions++)
		floor_n = log_n;
	return log_n;
}

bool undo_in_transaction(void)
{
	return transactions > 0;
}

static void end(int mark, bool ok)
{
	sigset_t old;

	undo_block(&old);
	for (int i = log_n - 1; i >= mark; i--) {
		struct entry *e = &log_v[i];
		if (e->kind == UNLINK || (e->kind == REPLACE && !ok)) {
			if (e->kind == REPLACE && e->backup)
				rename(e->backup, e->path);
			else
				unlink(e->path);
		} else if (e->kind == REPLACE && e->backup) {
			unlink(e->backup);
		}
		if (e->kind != FREE)
			clear(i);
	}
	if (transactions && !--transactions)
		floor_n = 0;
	while (log_n > floor_n && log_v[log_n - 1].kind == FREE)
		log_n--;
	if (!log_n) {
		free(log_v);
		log_v = NULL;
		log_cap = 0;
	}
	undo_unblock(&old);
}

void undo_commit(int mark)
{
	end(mark, true);
}

void undo_rollback(int mark)
{
	end(mark, false);
}

void undo_set_child(pid_t pid)
{
	sigset_t old;

	undo_block(&old);
	child = pid;
	undo_unblock(&old);
}

static void set_text(char *buf, size_t size, const char *fmt, va_list ap)
{
	char tmp[512];
	sigset_t old;

	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	undo_block(&old);
	memcpy(buf, tmp, size);
	undo_unblock(&old);
}

void undo_activity(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_text(activity, sizeof(activity), fmt, ap);
	va_end(ap);
}

void undo_residue(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_text(residue, sizeof(residue), fmt, ap);
	va_end(ap);
}

const char *undo_activity_text(void)
{
	return activity;
}

const char *undo_residue_text(void)
{
	return residue;
}

int undo_interrupt(int sig)
{
	int failed = 0;

	/* The hook first: it may still be writing into an output. It runs in
	 * its own process group, so its children are reached too. */
	if (child > 0) {
		kill(-child, sig);
		kill(child, sig);
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		child = 0;
	}
	for (int i = log_n - 1; i >= 0; i--) {
		struct entry *e = &log_v[i];
		int r = 0;
		if (e->kind == UNLINK || (e->kind == REPLACE && !e->backup)) {
			r = unlink(e->path);
			/* A directory (plan/tooltype.c's work tree): emptied by now. */
			if (r && errno == EISDIR)
				r = rmdir(e->path);
		} else if (e->kind == REPLACE)
			r = rename(e->backup, e->path);
		if (r && errno != ENOENT)
			failed++;
		e->kind = FREE;
	}
	return failed;
}

int undo_spawn(pid_t *ret_pid, const char *path, bool search, char *const argv[],
	       char *const envp[])
{
	posix_spawnattr_t attr;
	sigset_t old;
	pid_t pid;
	int r;

	undo_block(&old);
	r = posix_spawnattr_init(&attr);
	if (!r)
		r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
	if (!r)
		r = posix_spawnattr_setpgroup(&attr, 0);
	if (!r)
		r = posix_spawnattr_setsigmask(&attr, &old);
	if (!r)
		r = search ? posix_spawnp(&pid, path, NULL, &attr, argv, envp)
			   : posix_spawn(&pid, path, NULL, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	if (!r) {
		undo_set_child(pid);
		*ret_pid = pid;
	}
	undo_unblock(&old);
	return -r;
}
