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
#include <unistd.h>

#include "base/diag.h"
#include "io/undo.h"
#include "plan/build.h"
#include "plan/image-cache.h"

extern char **environ;

static char *kv(const char *k, const char *v)
{
	size_t n = strlen(k) + strlen(v ? v : "") + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s=%s", k, v ? v : "");
	return s;
}

/* Values run_exec_hook computes itself; NULL ones fall back to the build's. */
enum { V_OUTFILE, V_MOUNTPOINT, V_MOUNTPATH, V_INPUT, V_OUTPUT, V_ROOT, V_TMP, V_MAX };

static char *cat3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

/* genimage makes every path absolute against the directory it started in. */
static char *abspath(const char *path)
{
	char cwd[4096];

	if (*path == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	return cat3(cwd, "/", path);
}

/* kiln's own values: the paths as given, the image's directory under rootpath. */
static int native_vals(const struct build *b, const struct image *img, char **own)
{
	const char *mp = img->mountpoint ? img->mountpoint : "";

	own[V_MOUNTPOINT] = strdup(mp);
	own[V_MOUNTPATH] = cat3(b->paths.rootpath, *mp == '/' || !*mp ? "" : "/", mp);
	return own[V_MOUNTPOINT] && own[V_MOUNTPATH] ? 0 : -ENOMEM;
}

/* genimage's image types that never read a root tree. */
static bool no_rootpath(const char *type)
{
	static const char *const t[] = { "android-sparse", "fip", "fit", "flash", "hdimage",
					 "mdraid", "qemu", "rauc", "ubi", "verity" };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(type, t[i]))
			return true;
	return false;
}

/*
 * genimage's values (genimage.c, setenv_image): absolute paths, the
 * mountpoint without its leading '/', and as mount path the srcpath as
 * written, nothing for an empty image or a type that takes no files (its
 * no_rootpath handlers), else the copy of the root genimage makes under tmppath:
 * TMPPATH/root for the root, TMPPATH/mp-a-b for mountpoint /a/b. kiln copies
 * nothing, so that path does not exist: no symlink to rootpath either, since a
 * hook that edits its copy would then edit the user's tree (docs/config.md).
 */
static int genimage_vals(const struct build *b, const struct image *img, char **own)
{
	const char *mp = img->mountpoint ? img->mountpoint : "";
	char *rel = NULL;
	int r = -ENOMEM;

	while (*mp == '/')
		mp++;
	own[V_OUTFILE] = abspath(img->outfile);
	own[V_MOUNTPOINT] = strdup(mp);
	own[V_INPUT] = abspath(b->paths.inputpath);
	own[V_OUTPUT] = abspath(b->paths.outputpath);
	own[V_ROOT] = abspath(b->paths.rootpath);
	own[V_TMP] = abspath(b->paths.tmppath);
	if (img->srcpath)
		own[V_MOUNTPATH] = strdup(img->srcpath);
	else if (img->empty || no_rootpath(img->handler->type))
		own[V_MOUNTPATH] = strdup("");
	else if (!*mp)
		own[V_MOUNTPATH] = own[V_TMP] ? cat3(own[V_TMP], "/root", "") : NULL;
	else if ((rel = strdup(mp))) {
		for (char *c = rel; (c = strchr(c, '/')); c++)
			*c = '-';
		own[V_MOUNTPATH] = own[V_TMP] ? cat3(own[V_TMP], "/mp-", rel) : NULL;
	}
	for (int k = 0; k < V_MAX; k++)
		if (!own[k])
			goto out;
	r = 0;
out:
	free(rel);
	return r;
}

int run_exec_hook(struct build *b, struct image *img, const char *cmd, const char *what,
		  struct diag *d)
{
	static const char *names[] = { "IMAGE", "IMAGEOUTFILE", "IMAGENAME", "IMAGESIZE",
				       "IMAGEMOUNTPOINT", "IMAGEMOUNTPATH", "INPUTPATH",
				       "OUTPUTPATH", "ROOTPATH", "TMPPATH" };
	enum { NV = sizeof(names) / sizeof(names[0]) };
	char size[32], *own[V_MAX] = { NULL };
	char **env = NULL;
	size_t ne = 0, k, o = 0, first_own = 0;
	pid_t pid;
	int st, r;

	if (!cmd)
		return 0;
	/* A hook may write any file, earlier outputs too: the images being
	 * copied into the store on threads are taken in first. */
	image_cache_settle(b, d);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)img->size);
	r = b->genimage_mode ? genimage_vals(b, img, own) : native_vals(b, img, own);
	if (r < 0) {
		r = diag_fail(d, r, "out of memory");
		goto out;
	}
	const char *vals[NV] = { img->name, own[V_OUTFILE] ? own[V_OUTFILE] : img->outfile,
				 img->name_opt ? img->name_opt : "", size, own[V_MOUNTPOINT],
				 own[V_MOUNTPATH],
				 own[V_INPUT] ? own[V_INPUT] : b->paths.inputpath,
				 own[V_OUTPUT] ? own[V_OUTPUT] : b->paths.outputpath,
				 own[V_ROOT] ? own[V_ROOT] : b->paths.rootpath,
				 own[V_TMP] ? own[V_TMP] : b->paths.tmppath };
	while (environ[ne])
		ne++;
	env = calloc(ne + NV + 1, sizeof(*env));
	if (!env) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
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
	first_own = o;
	for (k = 0; k < NV; k++)
		if (!(env[o++] = kv(names[k], vals[k]))) {
			r = diag_fail(d, -ENOMEM, "out of memory");
			goto out;
		}
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	/* Its own process group: an interrupted kiln signals the hook and
	 * whatever it started (io/undo.h). */
	r = undo_spawn(&pid, "/bin/sh", false, argv, env);
	if (r) {
		r = diag_fail(d, r, "%s: cannot start /bin/sh: %s", what, strerror(-r));
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
	for (k = 0; k < V_MAX; k++)
		free(own[k]);
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
