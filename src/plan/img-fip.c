/* SPDX-License-Identifier: MIT */
/*
 * `fip`: genimage's type, a TF-A Firmware Image Package, written
 * natively (boot/fip.h) where genimage runs fiptool. Each option names
 * an image (or input file) stored under the UUID of that fiptool name;
 * `extraargs` takes fiptool's --align, --plat-toc-flags and --blob.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "boot/fip.h"
#include "config/cfgutil.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"

/* An entry: a fiptool name (image dependency) or a --blob (a path). */
struct fip_item {
	struct uuid uuid;
	char *image; /* dependency name, or NULL for a blob */
	char *path;  /* blob path */
};

struct fip_priv {
	struct fip_item *items;
	unsigned nitems;
	struct fip_plan plan;
};

/* clang-format off */
static cfg_opt_t fip_cfg_opts[] = {
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_STR_LIST("tos-fw", NULL, CFGF_NONE),
	CFG_STR("scp-fwu-cfg", NULL, CFGF_NODEFAULT),
	CFG_STR("ap-fwu-cfg", NULL, CFGF_NODEFAULT),
	CFG_STR("fwu", NULL, CFGF_NODEFAULT),
	CFG_STR("fwu-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("tb-fw", NULL, CFGF_NODEFAULT),
	CFG_STR("scp-fw", NULL, CFGF_NODEFAULT),
	CFG_STR("soc-fw", NULL, CFGF_NODEFAULT),
	CFG_STR("nt-fw", NULL, CFGF_NODEFAULT),
	CFG_STR("fw-config", NULL, CFGF_NODEFAULT),
	CFG_STR("hw-config", NULL, CFGF_NODEFAULT),
	CFG_STR("tb-fw-config", NULL, CFGF_NODEFAULT),
	CFG_STR("soc-fw-config", NULL, CFGF_NODEFAULT),
	CFG_STR("tos-fw-config", NULL, CFGF_NODEFAULT),
	CFG_STR("nt-fw-config", NULL, CFGF_NODEFAULT),
	CFG_STR("rot-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("trusted-key-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("scp-fw-key-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("soc-fw-key-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("tos-fw-key-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("nt-fw-key-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("tb-fw-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("scp-fw-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("soc-fw-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("tos-fw-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("nt-fw-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("sip-sp-cert", NULL, CFGF_NODEFAULT),
	CFG_STR("plat-sp-cert", NULL, CFGF_NODEFAULT),
	CFG_END()
};
/* clang-format on */

static const char *const tos_fw[] = { "tos-fw", "tos-fw-extra1", "tos-fw-extra2" };

static int add_item(struct fip_priv *p, const char *uuid, const char *image, const char *path)
{
	struct fip_item *it = realloc(p->items, (p->nitems + 1) * sizeof(*it));

	if (!it)
		return -ENOMEM;
	p->items = it;
	it = &p->items[p->nitems];
	memset(it, 0, sizeof(*it));
	if (uuid_parse(uuid, &it->uuid))
		return -EINVAL;
	it->image = image ? strdup(image) : NULL;
	it->path = path ? strdup(path) : NULL;
	p->nitems++;
	if ((image && !it->image) || (path && !it->path))
		return -ENOMEM;
	return 0;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;

	errno = 0;
	*ret = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-' ? -EINVAL : 0;
}

/* `--blob uuid=U,file=F`: fiptool's syntax. */
static int parse_blob(struct fip_priv *p, char *arg)
{
	char *uuid = NULL, *file = NULL, *tok, *save = NULL;
	struct uuid u;

	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "uuid=", 5))
			uuid = tok + 5;
		else if (!strncmp(tok, "file=", 5))
			file = tok + 5;
		else
			return -EINVAL;
	}
	if (!uuid || !file || !*file || uuid_parse(uuid, &u))
		return -EINVAL;
	return add_item(p, uuid, NULL, file);
}

/* genimage passes extraargs to fiptool; kiln takes the options that
 * change the package's bytes and refuses the rest. */
static int parse_extraargs(struct fip_priv *p, cfg_t *sec, struct diag *d)
{
	const char *s = cfg_getstr(sec, "extraargs");
	char *buf = strdup(s ? s : ""), *tok, *save = NULL;
	int r = 0;

	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (tok = strtok_r(buf, " \t", &save); tok && !r; tok = strtok_r(NULL, " \t", &save)) {
		char *arg = strtok_r(NULL, " \t", &save);
		uint64_t v;

		if (!arg) {
			r = cfg_fail(sec, "extraargs", s, -EINVAL, d, "'%s' needs a value", tok);
		} else if (!strcmp(tok, "--align")) {
			if (parse_u64(arg, &v) || !v || (v & (v - 1)))
				r = cfg_fail(sec, "extraargs", s, -EINVAL, d,
					     "--align '%s': not a power of two", arg);
			p->plan.align = v;
		} else if (!strcmp(tok, "--plat-toc-flags")) {
			if (parse_u64(arg, &v) || v > 0xffff)
				r = cfg_fail(sec, "extraargs", s, -EINVAL, d,
					     "--plat-toc-flags '%s': not a 16-bit number", arg);
			p->plan.toc_flags = v << 32;
		} else if (!strcmp(tok, "--blob")) {
			char *copy = strdup(arg);

			r = copy ? parse_blob(p, arg) : -ENOMEM;
			if (r == -EINVAL)
				r = cfg_fail(sec, "extraargs", s, r, d,
					     "--blob '%s': want uuid=UUID,file=PATH", copy);
			else if (r)
				r = diag_fail(d, r, "out of memory");
			free(copy);
		} else {
			r = cfg_fail(sec, "extraargs", s, -EINVAL, d,
				     "'%s': kiln takes --align, --plat-toc-flags and --blob", tok);
		}
	}
	free(buf);
	return r;
}

static int fip_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct fip_priv *p = calloc(1, sizeof(*p));
	unsigned ntos = cfg_size(sec, "tos-fw");
	int r;

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	p->plan.align = 1;
	if (ntos > 3)
		return cfg_fail(sec, "tos-fw", cfg_getnstr(sec, "tos-fw", 3), -EINVAL, d,
				"%u tos-fw binaries given, at most 3", ntos);
	/* In fiptool's table order, which is its ToC order. */
	for (unsigned i = 0; fip_names[i].name; i++) {
		const char *name = fip_names[i].name, *v = NULL;

		for (unsigned k = 0; k < 3; k++)
			if (!strcmp(name, tos_fw[k]))
				v = k < ntos ? cfg_getnstr(sec, "tos-fw", k) : "";
		if (!v)
			v = cfg_getstr(sec, name);
		if (!v || !*v)
			continue;
		if (add_item(p, fip_names[i].uuid, v, NULL) || image_depend(img, v))
			return diag_fail(d, -ENOMEM, "out of memory");
	}
	r = parse_extraargs(p, sec, d);
	if (r)
		return r;
	for (unsigned i = 0; i < p->nitems; i++)
		for (unsigned k = 0; k < i; k++)
			if (!memcmp(p->items[i].uuid.b, p->items[k].uuid.b, 16))
				return cfg_fail(sec, "extraargs", cfg_getstr(sec, "extraargs"),
						-EINVAL, d, "UUID given twice");
	if (!p->nitems)
		return diag_fail(d, -EINVAL, "fip: no image given");
	return 0;
}

static int fip_setup(struct build *b, struct image *img, struct diag *d)
{
	struct fip_priv *p = img->priv;
	int r;

	p->plan.e = calloc(p->nitems, sizeof(*p->plan.e));
	if (!p->plan.e)
		return diag_fail(d, -ENOMEM, "out of memory");
	p->plan.n = p->nitems;
	for (unsigned i = 0; i < p->nitems; i++) {
		struct fip_entry *e = &p->plan.e[i];
		const struct fip_item *it = &p->items[i];

		e->uuid = it->uuid;
		e->fd = -1;
		if (it->image) {
			struct image *in = image_dep(img, it->image);

			if (!in)
				return diag_fail(d, -ENOENT, "input image '%s' unknown", it->image);
			/* fiptool reads the file: a genimage-mode disk may end
			 * before its size (image->file_size). */
			e->size = in->file_size ? in->file_size : in->size;
			e->what = in->outfile;
		} else {
			struct stat st;

			if (stat(it->path, &st))
				return diag_fail(d, -errno, "--blob %s: %s", it->path, strerror(errno));
			if (!S_ISREG(st.st_mode))
				return diag_fail(d, -EINVAL, "--blob %s: not a regular file", it->path);
			e->size = (uint64_t)st.st_size;
			e->what = it->path;
		}
	}
	r = fip_layout(&p->plan, d);
	if (r)
		return r;
	if (img->size_set && img->size < p->plan.size)
		return diag_fail(d, -ENOSPC, "package needs %llu bytes, size is %llu",
				 (unsigned long long)p->plan.size, (unsigned long long)img->size);
	if (!img->size_set)
		img->size = p->plan.size;
	return 0;
}

static int fip_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct fip_priv *p = img->priv;
	int r = 0;

	for (unsigned i = 0; i < p->plan.n && !r; i++) {
		struct fip_entry *e = &p->plan.e[i];

		if (!e->size)
			continue;
		e->fd = open(e->what, O_RDONLY | O_CLOEXEC);
		if (e->fd < 0)
			r = diag_fail(d, -errno, "%s: %s", e->what, strerror(errno));
	}
	if (!r)
		r = fip_write(&p->plan, out, d);
	for (unsigned i = 0; i < p->plan.n; i++) {
		if (p->plan.e[i].fd >= 0)
			close(p->plan.e[i].fd);
		p->plan.e[i].fd = -1;
	}
	return r;
}

static void fip_describe(const struct image *img, void (*line)(void *, const char *), void *ud)
{
	const struct fip_priv *p = img->priv;
	char s[256], u[37];

	snprintf(s, sizeof(s), "fip: %u entries, align %llu, %llu bytes", p->plan.n,
		 (unsigned long long)p->plan.align, (unsigned long long)p->plan.size);
	line(ud, s);
	for (unsigned i = 0; i < p->plan.n; i++) {
		uuid_format(&p->plan.e[i].uuid, u);
		snprintf(s, sizeof(s), "  %s at %llu, %llu bytes: %s", u,
			 (unsigned long long)p->plan.e[i].offset,
			 (unsigned long long)p->plan.e[i].size,
			 p->items[i].image ? p->items[i].image : p->items[i].path);
		line(ud, s);
	}
}

static void fip_release(struct image *img)
{
	struct fip_priv *p = img->priv;

	if (!p)
		return;
	for (unsigned i = 0; i < p->nitems; i++) {
		free(p->items[i].image);
		free(p->items[i].path);
	}
	free(p->items);
	free(p->plan.e);
	free(p);
	img->priv = NULL;
}

const struct image_handler fip_handler = {
	.type = "fip",
	.opts = fip_cfg_opts,
	.parse = fip_parse,
	.setup = fip_setup,
	.generate = fip_generate,
	.describe = fip_describe,
	.release = fip_release,
};
