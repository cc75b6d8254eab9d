/* SPDX-License-Identifier: MIT */
#include "plan/exec.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/diag.h"
#include "io/undo.h"
#include "plan/build.h"

extern char **environ;

static char *kv(const char *k, const char *v)
{
	size_t n = strlen(k) + strlen(v ? v : "") + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s=%s", k, v ? v : "");
	return s;
}

int run_exec_hook(struct build *b, struct image *img, const char *cmd, const char *what,
		  struct diag *d)
{
	static const char *names[] = { "IMAGE", "IMAGEOUTFILE", "IMAGENAME", "IMAGESIZE",
				       "IMAGEMOUNTPOINT", "IMAGEMOUNTPATH", "INPUTPATH",
				       "OUTPUTPATH", "ROOTPATH", "TMPPATH" };
	enum { NV = sizeof(names) / sizeof(names[0]) };
	char size[32], *mountpath = NULL;
	char **env = NULL;
	size_t ne = 0, k;
	pid_t pid;
	int st, r;

	if (!cmd)
		return 0;
	snprintf(size, sizeof(size), "%llu", (unsigned long long)img->size);
	{
		const char *mp = img->mountpoint ? img->mountpoint : "";
		size_t n = strlen(b->paths.rootpath) + strlen(mp) + 2;
		mountpath = malloc(n);
		if (!mountpath)
			return diag_fail(d, -ENOMEM, "out of memory");
		snprintf(mountpath, n, "%s%s%s", b->paths.rootpath, *mp == '/' || !*mp ? "" : "/", mp);
	}
	const char *vals[NV] = { img->name, img->outfile, img->name_opt ? img->name_opt : "",
				 size, img->mountpoint ? img->mountpoint : "", mountpath,
				 b->paths.inputpath, b->paths.outputpath, b->paths.rootpath,
				 b->paths.tmppath };
	while (environ[ne])
		ne++;
	env = calloc(ne + NV + 1, sizeof(*env));
	if (!env) {
		free(mountpath);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	size_t o = 0;
	for (k = 0; k < ne; k++) {
		int shadowed = 0;
		for (size_t j = 0; j < NV; j++) {
			size_t l = strlen(names[j]);
			if (!strncmp(environ[k], names[j], l) && environ[k][l] == '=')
				shadowed = 1;
		}
		if (!shadowed)
			env[o++] = environ[k];
	}
	size_t first_own = o;
	for (k = 0; k < NV; k++)
		if (!(env[o++] = kv(names[k], vals[k]))) {
			r = diag_fail(d, -ENOMEM, "out of memory");
			goto out;
		}
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	/*
	 * The hook gets its own process group, so an interrupted kiln can
	 * signal it and whatever it started (io/undo.h), and the unblocked
	 * signal mask kiln had. Signals stay blocked from the spawn until the
	 * pid is in the undo log, so none is lost in between.
	 */
	posix_spawnattr_t attr;
	sigset_t old;
	undo_block(&old);
	r = posix_spawnattr_init(&attr);
	if (!r)
		r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
	if (!r)
		r = posix_spawnattr_setpgroup(&attr, 0);
	if (!r)
		r = posix_spawnattr_setsigmask(&attr, &old);
	if (!r)
		r = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	if (!r)
		undo_set_child(pid);
	undo_unblock(&old);
	if (r) {
		r = diag_fail(d, -r, "%s: cannot start /bin/sh: %s", what, strerror(r));
		goto out;
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			r = diag_fail(d, -errno, "%s: waitpid: %s", what, strerror(errno));
			undo_set_child(0);
			goto out;
		}
	}
	undo_set_child(0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		r = 0;
	else if (WIFEXITED(st))
		r = diag_fail(d, -ECHILD, "image '%s': %s \"%s\" exited with status %d", img->name,
			      what, cmd, WEXITSTATUS(st));
	else
		r = diag_fail(d, -ECHILD, "image '%s': %s \"%s\" killed by signal %d", img->name,
			      what, cmd, WTERMSIG(st));
out:
	for (k = first_own; k < o; k++)
		free(env[k]);
	free(env);
	free(mountpath);
	return r;
}

int mkdir_p(const char *path, struct diag *d)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return diag_fail(d, -ENAMETOOLONG, "%s: path too long", path);
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i])
			continue;
		char c = buf[i];
		buf[i] = 0;
		if (mkdir(buf, 0777) && errno != EEXIST)
			return diag_fail(d, -errno, "%s: cannot create directory: %s", buf,
					 strerror(errno));
		buf[i] = c;
	}
	return 0;
}
