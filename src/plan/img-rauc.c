/* SPDX-License-Identifier: MIT */
/*
 * `rauc`: genimage's type: a RAUC update bundle made by `rauc bundle`
 * from a directory under tmppath that holds the manifest and the
 * bundle's files (`file NAME { image = ...; offset = ... }` and `files`),
 * signed with `key` and `cert` (`keyring` and `intermediate` as genimage
 * passes them). key, cert, keyring and intermediates are images or input
 * files, except "pkcs11:" URIs, which go to rauc as they are.
 *
 * The files are other images' bytes, so rauc runs in presize, once they
 * are written; kiln then signs the bundle again with the signing time
 * fixed (plan/rauc-sign.h) and copies it to the output through the usual
 * temporary + rename. The tool runs without a shell (argv array).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/ids.h"
#include "config/cfgutil.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/rauc-sign.h"
#include "plan/tooltype.h"

#define RAUC_MAX_FILES 256

struct rauc_file {
	char *target;     /* path inside the bundle */
	char *image;      /* image or input file */
	uint64_t offset;  /* bytes of the image skipped */
};

struct rauc_priv {
	struct tooljob j; /* first: tooljob_generate() finds it at img->priv */
	char *manifest, *key, *cert, *keyring, *extraargs;
	char **inter;     /* intermediate certificates */
	unsigned ninter;
	struct rauc_file *files;
	unsigned nfiles;
	bool done;
};

static cfg_opt_t rauc_file_opts[] = {
	CFG_STR("image", NULL, CFGF_NONE),
	CFG_STR("offset", "0", CFGF_NONE),
	CFG_END()
};

static cfg_opt_t rauc_opts[] = {
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_STR_LIST("files", NULL, CFGF_NONE),
	CFG_SEC("file", rauc_file_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_STR("key", NULL, CFGF_NONE),
	CFG_STR("cert", NULL, CFGF_NONE),
	CFG_STR("keyring", NULL, CFGF_NONE),
	CFG_STR_LIST("intermediate", NULL, CFGF_NONE),
	CFG_STR("manifest", NULL, CFGF_NONE),
	CFG_END()
};

static bool is_pkcs11(const char *s)
{
	return !strncmp(s, "pkcs11:", 7);
}

/* A target must stay inside the bundle directory. */
static bool target_ok(const char *t)
{
	const char *s = t;

	if (!*t || *t == '/' || !strcmp(t, "manifest.raucm"))
		return false;
	while (*s) {
		size_t l = strcspn(s, "/");
		if (!l || (l == 1 && s[0] == '.') || (l == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += l;
		if (*s == '/')
			s++;
	}
	return t[strlen(t) - 1] != '/';
}

static int add_file(struct image *img, struct rauc_priv *p, const char *target, const char *image,
		    uint64_t offset)
{
	struct rauc_file *f;

	if (p->nfiles >= RAUC_MAX_FILES)
		return -E2BIG;
	f = realloc(p->files, (p->nfiles + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	p->files = f;
	f += p->nfiles;
	f->target = strdup(target);
	f->image = strdup(image);
	f->offset = offset;
	if (!f->target || !f->image) {
		free(f->target);
		free(f->image);
		return -ENOMEM;
	}
	p->nfiles++;
	return image_depend(img, image);
}

/* key, cert, keyring: an image dependency unless a pkcs11 URI. */
static int signing_opt(struct image *img, cfg_t *sec, const char *key, bool need, char **ret,
		       struct diag *d)
{
	const char *v = cfg_getstr(sec, key);

	if (!v || !*v) {
		if (need)
			return cfg_fail(sec, key, NULL, -EINVAL, d, "mandatory option '%s' is missing",
					key);
		return 0;
	}
	if (!(*ret = strdup(v)) || (!is_pkcs11(v) && image_depend(img, v)))
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

static int rauc_files(struct image *img, struct rauc_priv *p, cfg_t *sec, struct diag *d)
{
	int r;

	for (unsigned i = 0; i < cfg_size(sec, "file"); i++) {
		cfg_t *fs = cfg_getnsec(sec, "file", i);
		const char *im = cfg_getstr(fs, "image");
		uint64_t off = 0;
		bool set;

		if (!im || !*im)
			return cfg_fail(fs, "image", NULL, -EINVAL, d,
					"file \"%s\" needs image = \"...\"", cfg_title(fs));
		if (!target_ok(cfg_title(fs)))
			return cfg_fail(fs, "file", cfg_title(fs), -EINVAL, d,
					"file \"%s\": not a relative path inside the bundle",
					cfg_title(fs));
		if ((r = cfg_get_bytes(fs, "offset", 0, &off, &set, d)))
			return r;
		if ((r = add_file(img, p, cfg_title(fs), im, off)))
			goto fail;
	}
	for (unsigned i = 0; i < cfg_size(sec, "files"); i++) {
		const char *im = cfg_getnstr(sec, "files", i);
		const char *base = strrchr(im, '/');

		base = base ? base + 1 : im;
		if (!target_ok(base))
			return cfg_fail(sec, "files", im, -EINVAL, d,
					"\"%s\": no file name to put into the bundle", im);
		if ((r = add_file(img, p, base, im, 0)))
			goto fail;
	}
	return 0;
fail:
	if (r == -E2BIG)
		return diag_fail(d, r, "image '%s': more than %u files", img->name, RAUC_MAX_FILES);
	return diag_fail(d, r, "out of memory");
}

static int rauc_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct rauc_priv *p = calloc(1, sizeof(*p));
	const char *m = cfg_getstr(sec, "manifest");
	int r;

	(void)b;
	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	p->j.fd = -1;
	img->empty = true; /* no tree: the bundle holds the files listed */
	if (!m)
		return cfg_fail(sec, "manifest", NULL, -EINVAL, d,
				"mandatory option 'manifest' is missing");
	if ((r = signing_opt(img, sec, "key", true, &p->key, d)) ||
	    (r = signing_opt(img, sec, "cert", true, &p->cert, d)) ||
	    (r = signing_opt(img, sec, "keyring", false, &p->keyring, d)))
		return r;
	if (!(p->manifest = strdup(m)) || cfg_dup_str(sec, "extraargs", &p->extraargs))
		return diag_fail(d, -ENOMEM, "out of memory");
	p->ninter = cfg_size(sec, "intermediate");
	if (p->ninter > RAUC_MAX_FILES)
		return cfg_fail(sec, "intermediate", NULL, -EINVAL, d, "more than %u intermediates",
				RAUC_MAX_FILES);
	p->inter = calloc(p->ninter + 1, sizeof(*p->inter));
	if (!p->inter)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < p->ninter; i++) {
		const char *v = cfg_getnstr(sec, "intermediate", i);
		if (!(p->inter[i] = strdup(v)) || (!is_pkcs11(v) && image_depend(img, v)))
			return diag_fail(d, -ENOMEM, "out of memory");
	}
	return rauc_files(img, p, sec, d);
}

static int rauc_setup(struct build *b, struct image *img, struct diag *d)
{
	(void)b;
	(void)d;
	/* Unknown until rauc has run (presize). */
	img->size = 0;
	return 0;
}

/* An image's or input file's path, or the pkcs11 URI as it is. */
static const char *dep_path(struct image *img, const char *name)
{
	struct image *c = is_pkcs11(name) ? NULL : image_dep(img, name);

	return c ? c->outfile : name;
}

/* Create the directories of @target below @dir, each in the undo log. */
static int make_parents(struct tooljob *j, const char *dir, const char *target, struct diag *d)
{
	char *path = tool_join(dir, target);
	size_t base = strlen(dir) + 1;
	int r = 0;

	if (!path)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (char *s = path + base; !r && (s = strchr(s, '/')); s++) {
		struct stat st;
		*s = 0;
		if (!lstat(path, &st) && S_ISDIR(st.st_mode)) {
			*s = '/';
			continue;
		}
		if (mkdir(path, 0755) || chmod(path, 0755))
			r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
		else if (tooljob_track(j, path))
			r = diag_fail(d, -ENOMEM, "out of memory");
		*s = '/';
	}
	free(path);
	return r;
}

static int put_file(struct image *img, struct tooljob *j, const char *dir,
		    const struct rauc_file *f, struct diag *d)
{
	const char *src = dep_path(img, f->image);
	char *dst = NULL;
	struct stat st;
	int r;

	if (stat(src, &st))
		return diag_fail(d, -errno, "file \"%s\": %s: %s", f->target, src, strerror(errno));
	if (f->offset > (uint64_t)st.st_size)
		return diag_fail(d, -EINVAL, "file \"%s\": offset %llu is past the end of %s (%llu bytes)",
				 f->target, (unsigned long long)f->offset, src,
				 (unsigned long long)st.st_size);
	if ((r = make_parents(j, dir, f->target, d)))
		return r;
	dst = tool_join(dir, f->target);
	if (!dst || tooljob_track(j, dst)) {
		free(dst);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	if (!access(dst, F_OK))
		r = diag_fail(d, -EEXIST, "file \"%s\": named twice in the bundle", f->target);
	else
		r = tool_copy_file(src, f->offset, (uint64_t)st.st_size - f->offset, dst, d);
	free(dst);
	return r;
}

static int write_manifest(struct tooljob *j, const char *dir, const char *text, struct diag *d)
{
	char *path = tool_join(dir, "manifest.raucm");
	size_t len = strlen(text);
	int fd, r = 0;

	if (!path || tooljob_track(j, path)) {
		free(path);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || fchmod(fd, 0644) || write(fd, text, len) != (ssize_t)len)
		r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (fd >= 0 && close(fd) && !r)
		r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	free(path);
	return r;
}

static int rauc_argv(struct build *b, struct image *img, struct rauc_priv *p, const char *dir,
		     char ***argv, unsigned *n, struct diag *d)
{
	char opt[4200];
	int r;

	r = tool_push(argv, n, tool_path(b, "rauc", "rauc"));
	if (!r)
		r = tool_push2(argv, n, "bundle", dir);
	snprintf(opt, sizeof(opt), "--cert=%s", dep_path(img, p->cert));
	if (!r)
		r = tool_push(argv, n, opt);
	snprintf(opt, sizeof(opt), "--key=%s", dep_path(img, p->key));
	if (!r)
		r = tool_push(argv, n, opt);
	if (!r && p->keyring) {
		snprintf(opt, sizeof(opt), "--keyring=%s", dep_path(img, p->keyring));
		r = tool_push(argv, n, opt);
	}
	for (unsigned i = 0; !r && i < p->ninter; i++) {
		snprintf(opt, sizeof(opt), "--intermediate=%s", dep_path(img, p->inter[i]));
		r = tool_push(argv, n, opt);
	}
	/* rauc writes the manifest back with the umask's mode: mksquashfs
	 * gets the mode to record instead (extraargs may override). */
	if (!r)
		r = tool_push(argv, n, "--mksquashfs-args=-p 'manifest.raucm m 644 0 0'");
	if (r)
		return diag_fail(d, r, "out of memory");
	r = tool_split(p->extraargs, argv, n);
	if (r == -EINVAL)
		return diag_fail(d, r, "extraargs: unterminated quote");
	if (!r)
		r = tool_push(argv, n, p->j.out);
	return r ? diag_fail(d, r, "out of memory") : 0;
}

/*
 * rauc's signature holds the clock's time: sign again with the epoch
 * (rauc-sign.h). A pkcs11 key or one locked by a passphrase stays as
 * rauc signed it, which is said.
 */
static int resign(struct build *b, struct image *img, struct rauc_priv *p, struct diag *d)
{
	const char **inter = NULL;
	bool pkcs11 = is_pkcs11(p->key) || is_pkcs11(p->cert);
	uint8_t salt[RAUC_VERITY_SALT];
	struct diag tmp = { 0 };
	int r;

	for (unsigned i = 0; i < p->ninter; i++)
		pkcs11 |= is_pkcs11(p->inter[i]);
	if (pkcs11) {
		diag_warn(d, "image '%s': pkcs11 key or certificate: the bundle keeps rauc's signing time (not reproducible)",
			  img->name);
		return 0;
	}
	inter = calloc(p->ninter + 1, sizeof(*inter));
	if (!inter)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < p->ninter; i++)
		inter[i] = dep_path(img, p->inter[i]);
	id_derive(&img->seed, "rauc-verity-salt", 0, salt, sizeof(salt));
	r = rauc_resign(p->j.out, dep_path(img, p->cert), dep_path(img, p->key),
			(char *const *)inter, p->ninter, b->epoch, salt, &tmp);
	free(inter);
	if (r == -ENOKEY) {
		diag_warn(d, "image '%s': %s: the bundle keeps rauc's signing time (not reproducible)",
			  img->name, tmp.msg);
		return 0;
	}
	return r ? diag_fail(d, r, "%s", tmp.msg) : 0;
}

static int rauc_presize(struct build *b, struct image *img, struct diag *d)
{
	struct rauc_priv *p = img->priv;
	char **argv = NULL, *dir = NULL;
	unsigned n = 0;
	int r;

	if (p->done)
		return 0;
	tooljob_done(&p->j);
	r = tooljob_start(b, img, &p->j, false, TOOL_DT_NONE, d);
	if (r)
		goto out;
	dir = tool_join(p->j.dir, "bundle");
	if (!dir || tooljob_track(&p->j, dir)) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	/* Modes become the squashfs's: set, not left to the umask. */
	if (mkdir(dir, 0755) || chmod(dir, 0755)) {
		r = diag_fail(d, -errno, "%s: %s", dir, strerror(errno));
		goto out;
	}
	r = write_manifest(&p->j, dir, p->manifest, d);
	for (unsigned i = 0; !r && i < p->nfiles; i++)
		r = put_file(img, &p->j, dir, &p->files[i], d);
	if (!r)
		r = rauc_argv(b, img, p, dir, &argv, &n, d);
	if (!r)
		r = tool_run(img, argv, NULL, d);
	if (!r)
		r = resign(b, img, p, d);
	if (!r)
		r = tooljob_finish(img, &p->j, d);
	p->done = !r;
out:
	tool_argv_free(argv, n);
	free(dir);
	if (r)
		tooljob_abort(img, &p->j, d);
	return r;
}

static void rauc_release(struct image *img)
{
	struct rauc_priv *p = tooljob_release(img);

	if (!p)
		return;
	for (unsigned i = 0; i < p->nfiles; i++) {
		free(p->files[i].target);
		free(p->files[i].image);
	}
	for (unsigned i = 0; p->inter && i < p->ninter; i++)
		free(p->inter[i]);
	free(p->inter);
	free(p->files);
	free(p->manifest);
	free(p->key);
	free(p->cert);
	free(p->keyring);
	free(p->extraargs);
	free(p);
}

const struct image_handler rauc_handler = {
	.type = "rauc",
	.opts = rauc_opts,
	.parse = rauc_parse,
	.setup = rauc_setup,
	.presize = rauc_presize,
	.generate = tooljob_generate,
	.release = rauc_release,
};
