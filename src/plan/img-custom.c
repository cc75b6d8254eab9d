/* SPDX-License-Identifier: MIT */
/*
 * `custom`: genimage's type: the `exec` command (a shell command, run
 * with /bin/sh -c by design, as genimage does) writes the image to
 * $IMAGEOUTFILE. kiln points IMAGEOUTFILE at a file in its work
 * directory under tmppath and copies it to the output through the usual
 * temporary + rename, so a failed command leaves no output. The command
 * runs in presize (generate), as in genimage; without `size` the image is
 * as long as what the command wrote.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "config/cfgutil.h"
#include "plan/build.h"
#include "plan/image-cache.h"
#include "plan/image.h"
#include "plan/tooltype.h"

extern char **environ;

struct custom_priv {
	char *exec;
	bool done;
	struct tooljob j;
};

static cfg_opt_t custom_opts[] = {
	CFG_STR("exec", NULL, CFGF_NONE),
	CFG_END()
};

static int custom_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct custom_priv *p = calloc(1, sizeof(*p));
	const char *x = cfg_getstr(sec, "exec");

	(void)b;
	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	p->j.fd = -1;
	if (!x || !*x)
		return cfg_fail(sec, "exec", NULL, -EINVAL, d, "mandatory option 'exec' is missing");
	p->exec = strdup(x);
	if (!p->exec)
		return diag_fail(d, -ENOMEM, "out of memory");
	/* As genimage: no mountpoint, no files. */
	if (!img->mountpoint || !*img->mountpoint)
		img->empty = true;
	return 0;
}

static int custom_setup(struct build *b, struct image *img, struct diag *d)
{
	(void)b;
	(void)d;
	/* Unknown until the command has run (presize); 0 without a size. */
	if (!img->size_set)
		img->size = 0;
	return 0;
}

/* genimage's variables for the command, kiln's environment otherwise. */
static char **custom_env(struct build *b, struct image *img, const char *outfile)
{
	const char *names[] = { "IMAGE", "IMAGEOUTFILE", "IMAGENAME", "IMAGESIZE",
				"IMAGEMOUNTPOINT", "IMAGEMOUNTPATH", "INPUTPATH", "OUTPUTPATH",
				"ROOTPATH", "TMPPATH" };
	enum { NV = sizeof(names) / sizeof(names[0]) };
	char size[32], mountpath[4096];
	const char *mp = img->mountpoint ? img->mountpoint : "";
	size_t ne = 0, o = 0;
	char **env;

	snprintf(size, sizeof(size), "%llu", (unsigned long long)img->size);
	snprintf(mountpath, sizeof(mountpath), "%s%s%s", b->paths.rootpath,
		 *mp == '/' || !*mp ? "" : "/", mp);
	const char *vals[NV] = { img->name, outfile, img->name_opt ? img->name_opt : "",
				 size, mp, mountpath, b->paths.inputpath, b->paths.outputpath,
				 b->paths.rootpath, b->paths.tmppath };
	while (environ[ne])
		ne++;
	env = calloc(ne + NV + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t k = 0; k < ne; k++) {
		bool shadowed = false;
		for (size_t i = 0; i < NV; i++) {
			size_t l = strlen(names[i]);
			if (!strncmp(environ[k], names[i], l) && environ[k][l] == '=')
				shadowed = true;
		}
		if (!shadowed && !(env[o++] = strdup(environ[k])))
			goto fail;
	}
	for (size_t i = 0; i < NV; i++) {
		size_t n = strlen(names[i]) + strlen(vals[i]) + 2;
		if (!(env[o] = malloc(n)))
			goto fail;
		snprintf(env[o++], n, "%s=%s", names[i], vals[i]);
	}
	return env;
fail:
	tool_argv_free(env, (unsigned)o);
	return NULL;
}

static int custom_presize(struct build *b, struct image *img, struct diag *d)
{
	struct custom_priv *p = img->priv;
	char *argv[] = { "/bin/sh", "-c", p->exec, NULL };
	struct diag tmp = { 0 };
	char **env = NULL;
	unsigned ne = 0;
	int r;

	if (p->done)
		return 0;
	tooljob_done(&p->j);
	r = tooljob_start(b, img, &p->j, false, TOOL_DT_NONE, d);
	if (r)
		goto out;
	env = custom_env(b, img, p->j.out);
	if (!env) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	while (env[ne])
		ne++;
	/* Like a hook, the command may write earlier outputs: images being
	 * copied into the store on threads are taken in first. */
	image_cache_settle(b, d);
	/* Name the command, not just the shell. */
	r = tool_run(img, argv, env, &tmp);
	if (r) {
		r = diag_fail(d, r, "exec \"%s\": %s", p->exec, tmp.msg);
		goto out;
	}
	r = tooljob_finish(img, &p->j, &tmp);
	if (r == -ENOENT)
		r = diag_fail(d, r, "exec \"%s\" did not create $IMAGEOUTFILE", p->exec);
	else if (r)
		r = diag_fail(d, r, "%s", tmp.msg);
	p->done = !r;
out:
	tool_argv_free(env, ne);
	if (r)
		tooljob_abort(img, &p->j, d);
	return r;
}

static int custom_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct custom_priv *p = img->priv;
	int r;

	(void)b;
	r = tooljob_copy(&p->j, out, d);
	tooljob_done(&p->j);
	return r;
}

static void custom_release(struct image *img)
{
	struct custom_priv *p = img->priv;

	if (!p)
		return;
	tooljob_done(&p->j);
	free(p->exec);
	free(p);
	img->priv = NULL;
}

const struct image_handler custom_handler = {
	.type = "custom",
	.opts = custom_opts,
	.parse = custom_parse,
	.setup = custom_setup,
	.presize = custom_presize,
	.generate = custom_generate,
	.release = custom_release,
};
