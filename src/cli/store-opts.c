/* SPDX-License-Identifier: MIT */
#include "cli/store-opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/diag.h"
#include "base/size.h"
#include "cli/log.h"
#include "config/config.h"
#include "store/store.h"

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s/%s", a, b);
	return s;
}

int store_opts_root(const struct store_opts *o, char **ret)
{
	const char *env = getenv("KILN_CACHE");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	*ret = NULL;
	if (o->off)
		return 0;
	if (o->dir)
		*ret = strdup(o->dir);
	else if (env && *env && !strcmp(env, "off"))
		return 0;
	else if (env && *env)
		*ret = strdup(env);
	/* The XDG spec: a relative $XDG_CACHE_HOME is invalid, ignore it. */
	else if (xdg && xdg[0] == '/')
		*ret = join(xdg, "kiln");
	else if (home && *home) {
		/* Only below a home that exists: a build whose HOME is a
		 * placeholder (Nix's /homeless-shelter, a service user's)
		 * gets no cache rather than a home created for it. */
		struct stat st;
		if (stat(home, &st) || !S_ISDIR(st.st_mode))
			return 0;
		*ret = join(home, ".cache/kiln");
	} else
		return 0;
	return *ret ? 0 : -ENOMEM;
}

int store_opts_limit(const struct store_opts *o, uint64_t *ret)
{
	struct diag d = { 0 };
	struct size_spec sp;
	const char *v = o->size ? o->size : o->cfg_size;

	*ret = STORE_DEFAULT_LIMIT;
	if (!v)
		return 0;
	if (size_parse(v, 0, &sp, &d)) {
		if (o->size)
			log_error("--cache-size: %s", d.msg);
		else
			log_error("%s:%d: config { cache-size = \"%s\" }: %s", o->cfg_file,
				  o->cfg_line, v, d.msg);
		return -EINVAL;
	}
	*ret = sp.bytes;
	return 0;
}

int store_opts_open(const struct store_opts *o, struct store **ret)
{
	struct diag d = { 0 };
	uint64_t limit;
	char *root;
	int r;

	*ret = NULL;
	r = store_opts_limit(o, &limit);
	if (r)
		return r;
	if (store_opts_root(o, &root)) {
		log_error("out of memory");
		return -ENOMEM;
	}
	if (!root)
		return 0;
	log_attach(&d);
	if (store_open(ret, root, limit, &d)) {
		/* An optimisation only: build without it. */
		diag_warn(&d, "%s; building without the cache", d.msg);
		*ret = NULL;
	}
	free(root);
	return 0;
}

void store_opts_from_config(struct store_opts *o, cfg_t *cfg, const char *config)
{
	cfg_t *cs = cfg_getsec(cfg, "config");
	unsigned line;

	o->cfg_file = config;
	o->cfg_size = cs ? cfg_getstr(cs, "cache-size") : NULL;
	if (!o->cfg_size)
		return;
	config_where(cs, "cache-size", 0, &o->cfg_file, &line);
	if (!strcmp(o->cfg_file, "?")) /* a value of the top-level file */
		o->cfg_file = config;
	o->cfg_line = (int)line;
}
