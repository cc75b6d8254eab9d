/* SPDX-License-Identifier: MIT */
/*
 * `ubootenv`: a U-Boot environment image (mkenvimage's output) from a
 * `vars` list of "name=value" strings and/or a `file` in mkenvimage's
 * text format. The variables are read and laid out in setup, so every
 * error (bad line, duplicate, too large) comes before any output.
 * A ${verity:IMAGE:roothash} in an expanded file is laid out with a
 * stand-in of its length and expanded again in generate, once IMAGE is
 * written: the layout, and so every size check, stays the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "boot/ubootenv.h"
#include "config/cfgutil.h"
#include "config/config.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image-key.h"
#include "plan/image.h"
#include "plan/bootutil.h"
#include "plan/vars.h"

struct uenv_priv {
	struct uenv env;
	struct uenv_layout layout;
	char *file;          /* resolved path of `file`, or NULL */
	bool expand;         /* ${NAME} in the file from vars/environment */
	char **vars;         /* `vars` strings */
	unsigned *var_lines; /* the config line of each */
	unsigned nvars;
	const char *cfgfile;
	uint8_t *bytes;      /* the laid out image (setup) */
	char **raw;          /* the file's values as written, when a root hash */
	size_t nraw;         /* is pending (the first nraw entries of env) */
};

static cfg_opt_t ubootenv_opts[] = {
	CFG_STR_LIST("vars", NULL, CFGF_NONE),
	CFG_STR("file", NULL, CFGF_NONE),
	CFG_BOOL("redundant", cfg_false, CFGF_NONE),
	CFG_BOOL("big-endian", cfg_false, CFGF_NONE),
	CFG_INT("pad", 0xff, CFGF_NONE),
	CFG_BOOL("expand", cfg_false, CFGF_NONE),
	CFG_END()
};

static void free_raw(struct uenv_priv *p)
{
	for (size_t i = 0; p->raw && i < p->nraw; i++)
		free(p->raw[i]);
	free(p->raw);
	p->raw = NULL;
}

static int ubootenv_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct uenv_priv *p = calloc(1, sizeof(*p));
	long pad = cfg_getint(sec, "pad");
	const char *file = cfg_getstr(sec, "file");

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	uenv_init(&p->env);
	if (!img->size_set)
		return diag_fail(d, -EINVAL,
				 "%s:%u: ubootenv: size is required (the board's CONFIG_ENV_SIZE, e.g. 0x4000): U-Boot checks the CRC over exactly that many bytes",
				 img->cfgfile, img->line);
	if (img->size > UENV_MAX_SIZE || img->size < 8)
		return diag_fail(d, -EINVAL, "%s:%u: ubootenv: size %llu out of range (8..%u)",
				 img->cfgfile, img->line, (unsigned long long)img->size,
				 UENV_MAX_SIZE);
	if (pad < 0 || pad > 255)
		return cfg_fail(sec, "pad", NULL, -EINVAL, d, "%ld is not a byte (0..0xff)", pad);
	p->layout.size = img->size;
	p->layout.pad = (uint8_t)pad;
	p->layout.redundant = cfg_getbool(sec, "redundant");
	p->layout.big_endian = cfg_getbool(sec, "big-endian");
	p->expand = cfg_getbool(sec, "expand");
	p->cfgfile = sec->filename;
	if (file && !(p->file = boot_input_path(b, file)))
		return diag_fail(d, -ENOMEM, "out of memory");
	if (p->file && p->expand) {
		/* The images the file refers to must be written first, and the
		 * planner orders by what parse declares: a glance at the file
		 * now; setup reads it again and reports what is wrong with it. */
		uint8_t *text = NULL;
		size_t len = 0;
		struct diag quiet = { 0 };

		if (!boot_read_file(p->file, UENV_MAX_SIZE, &text, &len, &quiet)) {
			int r = vars_depend(img, (const char *)text, len);

			free(text);
			if (r)
				return diag_fail(d, r, "out of memory");
		}
	}
	p->nvars = cfg_size(sec, "vars");
	if (!p->file && !p->nvars)
		diag_warn(d, "%s:%u: ubootenv: no vars and no file: the environment is empty",
			  img->cfgfile, img->line);
	if (p->nvars && (!(p->vars = calloc(p->nvars, sizeof(*p->vars))) ||
			 !(p->var_lines = calloc(p->nvars, sizeof(*p->var_lines)))))
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < p->nvars; i++) {
		config_where(sec, "vars", i, &p->cfgfile, &p->var_lines[i]);
		if (!(p->vars[i] = strdup(cfg_getnstr(sec, "vars", i))))
			return diag_fail(d, -ENOMEM, "out of memory");
	}
	return 0;
}

/*
 * ${NAME} in the file's values (comments stay as written). @plan (setup):
 * the values as written move to p->raw, which is kept for generate when
 * a root hash was not known yet; else (generate) p->raw is expanded.
 */
static int expand_values(struct build *b, struct uenv_priv *p, bool plan, struct diag *d)
{
	unsigned pending = 0;

	if (plan && !(p->raw = calloc(p->env.n + 1, sizeof(*p->raw))))
		return diag_fail(d, -ENOMEM, "out of memory");
	if (plan)
		p->nraw = p->env.n;
	for (size_t i = 0; i < p->nraw; i++) {
		char what[300], *x = NULL;
		size_t xl;
		unsigned n = 0;
		int r;

		if (plan) {
			p->raw[i] = p->env.v[i].value;
			p->env.v[i].value = NULL;
		}
		snprintf(what, sizeof(what), "%s: %.200s", p->file, p->env.v[i].name);
		r = boot_expand(b, p->raw[i], strlen(p->raw[i]), what, plan ? &n : NULL, &x, &xl,
				d);
		if (r)
			return r;
		if (memchr(x, 0, xl)) {
			free(x);
			return diag_fail(d, -EINVAL, "%s: expands to a NUL byte", what);
		}
		pending += n;
		free(p->env.v[i].value);
		p->env.v[i].value = x;
	}
	if (plan && !pending)
		free_raw(p);
	return 0;
}

static int ubootenv_setup(struct build *b, struct image *img, struct diag *d)
{
	struct uenv_priv *p = img->priv;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (p->file) {
		r = boot_read_file(p->file, UENV_MAX_SIZE, (uint8_t **)&text, &len, d);
		if (r)
			return r;
		r = uenv_parse_text(&p->env, text, len, p->file, d);
		free(text);
		if (r)
			return r;
		if (p->expand && (r = expand_values(b, p, true, d)))
			return r;
	}
	for (unsigned i = 0; i < p->nvars; i++) {
		const char *v = p->vars[i], *eq = strchr(v, '=');
		struct diag tmp = { 0 };
		if (!eq)
			return diag_fail(d, -EINVAL, "%s:%u: vars: \"%s\": no '=' (expected \"name=value\")",
					 p->cfgfile, p->var_lines[i], v);
		r = uenv_add(&p->env, v, (size_t)(eq - v), eq + 1, strlen(eq + 1), &tmp);
		if (r)
			return diag_fail(d, r, "%s:%u: vars: \"%s\": %s%s", p->cfgfile, p->var_lines[i],
					 v, tmp.msg, p->file && r == -EEXIST ? " (also in file)" : "");
	}
	p->bytes = malloc(img->size);
	if (!p->bytes)
		return diag_fail(d, -ENOMEM, "out of memory");
	return uenv_encode(&p->env, &p->layout, p->bytes, d);
}

static int ubootenv_generate(struct build *b, struct image *img, struct sink *out,
			     struct diag *d)
{
	struct uenv_priv *p = img->priv;
	int r;

	/* A root hash the layout stood in for: its image is written now. */
	if (p->raw && ((r = expand_values(b, p, false, d)) ||
		       (r = uenv_encode(&p->env, &p->layout, p->bytes, d))))
		return r;
	return sink_pwrite(out, p->bytes, img->size, 0);
}

/* Setup laid out every byte (the file read, variables expanded): they
 * are the key. */
static int ubootenv_key(struct build *b, struct image *img, struct image_key *k, struct diag *d)
{
	const struct uenv_priv *p = img->priv;

	(void)b;
	(void)d;
	return image_key_add(k, "content", p->bytes, img->size);
}

static void ubootenv_describe(const struct image *img, void (*line)(void *, const char *),
			      void *ud)
{
	const struct uenv_priv *p = img->priv;
	char s[160];

	snprintf(s, sizeof(s), "u-boot env: %zu variables, %llu of %llu data bytes used%s%s", p->env.n,
		 (unsigned long long)uenv_data_needed(&p->env),
		 (unsigned long long)uenv_data_room(&p->layout),
		 p->layout.redundant ? ", redundant" : "", p->layout.big_endian ? ", big-endian" : "");
	line(ud, s);
}

static void ubootenv_release(struct image *img)
{
	struct uenv_priv *p = img->priv;

	if (!p)
		return;
	free_raw(p);
	uenv_release(&p->env);
	for (unsigned i = 0; i < p->nvars; i++)
		free(p->vars ? p->vars[i] : NULL);
	free(p->vars);
	free(p->var_lines);
	free(p->file);
	free(p->bytes);
	free(p);
	img->priv = NULL;
}

const struct image_handler ubootenv_handler = {
	.type = "ubootenv",
	.opts = ubootenv_opts,
	.parse = ubootenv_parse,
	.setup = ubootenv_setup,
	.generate = ubootenv_generate,
	.describe = ubootenv_describe,
	.release = ubootenv_release,
	.key = ubootenv_key,
};
