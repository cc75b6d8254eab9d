/* SPDX-License-Identifier: MIT */
#include "io/tmpfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/diag.h"
#include "io/undo.h"

bool tmpfile_named_only;

void tmpfile_remove_stale(const char *dir, const char *prefix)
{
	size_t pl = strlen(prefix);
	DIR *dp = opendir(*dir ? dir : ".");
	struct dirent *de;

	if (!dp)
		return;
	while ((de = readdir(dp))) {
		struct stat a, b;
		int fd;

		if (strncmp(de->d_name, prefix, pl) || !de->d_name[pl])
			continue;
		fd = openat(dirfd(dp), de->d_name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* Locked: its kiln is alive. The name must still be this file
		 * once locked (it may have been replaced meanwhile). */
		if (!fstat(fd, &a) && S_ISREG(a.st_mode) && !flock(fd, LOCK_EX | LOCK_NB) &&
		    !fstatat(dirfd(dp), de->d_name, &b, AT_SYMLINK_NOFOLLOW) &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			unlinkat(dirfd(dp), de->d_name, 0);
		close(fd);
	}
	closedir(dp);
}

/* "<dir>/<prefix>XXXXXX" with a name no file has yet: mkostemp's letters. */
static char *name_in(const char *dir, const char *prefix)
{
	size_t n = strlen(dir) + strlen(prefix) + 9;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s%s%sXXXXXX", dir, *dir ? "/" : "", prefix);
	return p;
}

/* Run @make(path) on fresh names until it does not fail with EEXIST. */
static int fresh_name(char *path, int (*make)(const char *path, void *ud), void *ud)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static unsigned long counter;
	char *x = path + strlen(path) - 6;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (int tries = 0; tries < 1000; tries++) {
		unsigned long v = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16) ^
				  (++counter * 2654435761u);
		for (int i = 0; i < 6; i++, v /= 62)
			x[i] = letters[v % 62];
		if (!make(path, ud))
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int make_link(const char *path, void *ud)
{
	return linkat(AT_FDCWD, (const char *)ud, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

static int make_rename(const char *path, void *ud)
{
	return renameat2(AT_FDCWD, (const char *)ud, AT_FDCWD, path, RENAME_NOREPLACE);
}

static int create_named(struct tmpfile *t, const char *dir, const char *prefix)
{
	for (int tries = 0; tries < 10; tries++) {
		struct stat a, b;
		char *p = name_in(dir, prefix);
		int fd;

		if (!p)
			return -ENOMEM;
		fd = mkostemp(p, O_CLOEXEC);
		if (fd < 0) {
			int e = -errno;
			free(p);
			return e;
		}
		/* Until locked, another kiln may take it for debris: check the
		 * name still leads to our file once the lock is held. */
		if (!flock(fd, LOCK_EX) && !fstat(fd, &a) && !lstat(p, &b) &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			mode_t um = umask(0);
			umask(um);
			fchmod(fd, 0666 & ~um); /* mkostemp makes 0600 */
			t->undo = undo_unlink(p);
			if (t->undo < 0) {
				unlink(p);
				close(fd);
				free(p);
				return -ENOMEM;
			}
			t->fd = fd;
			t->path = p;
			return 0;
		}
		close(fd);
		free(p);
	}
	return -EAGAIN;
}

int tmpfile_create(struct tmpfile *t, const char *dir, const char *prefix)
{
	int r;

	t->fd = -1;
	t->path = NULL;
	t->undo = -1;
	tmpfile_remove_stale(dir, prefix);
	t->fd = tmpfile_named_only ? -1 : open(*dir ? dir : ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
	if (t->fd >= 0) {
		snprintf(t->proc, sizeof(t->proc), "/proc/self/fd/%d", t->fd);
		if (!access(t->proc, F_OK) && !flock(t->fd, LOCK_EX))
			return 0;
		close(t->fd); /* no /proc: it could never be given a name */
		t->fd = -1;
	}
	r = create_named(t, dir, prefix);
	if (r)
		return r;
	snprintf(t->proc, sizeof(t->proc), "/proc/self/fd/%d", t->fd);
	return 0;
}

/* Inside a transaction: keep the file at @final as a locked hard link, so
 * undo can put it back. *ret_id = -1 when there is nothing to keep. */
static int keep_previous(const char *dir, const char *prefix, const char *final, int *ret_id)
{
	struct stat st;
	char *b;
	int fd, r;

	*ret_id = -1;
	if (lstat(final, &st)) {
		if (errno != ENOENT)
			return -errno;
		*ret_id = undo_replace(final, NULL, -1); /* new: undo removes it */
		return *ret_id < 0 ? -ENOMEM : 0;
	}
	if (S_ISDIR(st.st_mode))
		return 0; /* rename will say why it cannot replace it */
	fd = open(final, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0)
		(void)flock(fd, LOCK_EX | LOCK_NB); /* a concurrent kiln leaves the backup alone */
	b = name_in(dir, prefix);
	if (!b) {
		r = -ENOMEM;
		goto fail;
	}
	r = fresh_name(b, make_link, (void *)final);
	/* No hard links (FAT): move it aside instead. The output is then
	 * briefly missing, never wrong. */
	if (r == -EPERM || r == -EOPNOTSUPP)
		r = fresh_name(b, make_rename, (void *)final);
	if (r)
		goto fail;
	*ret_id = undo_replace(final, b, fd);
	if (*ret_id < 0) {
		unlink(b);
		r = -ENOMEM;
		goto fail;
	}
	free(b);
	return 0;
fail:
	free(b);
	if (fd >= 0)
		close(fd);
	return r;
}

int tmpfile_commit(struct tmpfile *t, const char *dir, const char *prefix, const char *final,
		   struct diag *d)
{
	int r, keep = -1;
	sigset_t old;

	if (fsync(t->fd))
		return diag_fail(d, -errno, "%s: fsync failed: %s", final, strerror(errno));
	/* Naming it, keeping the previous file, replacing it and updating the
	 * undo log happen with signals held, so the handler sees all or none
	 * of it (these are quick metadata calls). */
	undo_block(&old);
	if (!t->path) {
		/* Unnamed: link it under a temporary name, then rename (linkat
		 * cannot replace an existing file). */
		char *name = name_in(dir, prefix);
		if (!name) {
			r = diag_fail(d, -ENOMEM, "out of memory");
			goto out;
		}
		r = fresh_name(name, make_link, t->proc);
		if (r) {
			free(name);
			diag_fail(d, r, "%s: cannot link temporary output: %s", final, strerror(-r));
			goto out;
		}
		t->path = name; /* tmpfile_release removes it if what follows fails */
	}
	if (undo_in_transaction() && (r = keep_previous(dir, prefix, final, &keep))) {
		diag_fail(d, r, "%s: cannot keep the previous version: %s", final, strerror(-r));
		goto out;
	}
	if (rename(t->path, final)) {
		r = -errno;
		undo_rollback_one(keep); /* nothing was replaced */
		diag_fail(d, r, "%s: cannot rename temporary output into place: %s", final,
			  strerror(-r));
		goto out;
	}
	undo_forget(t->undo);
	t->undo = -1;
	free(t->path);
	t->path = NULL;
	t->proc[0] = 0;
	r = 0;
out:
	undo_unblock(&old);
	return r;
}

void tmpfile_release(struct tmpfile *t)
{
	if (t->path)
		unlink(t->path);
	undo_forget(t->undo);
	free(t->path);
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->path = NULL;
	t->undo = -1;
}
