/* SPDX-License-Identifier: MIT */
/*
 * `vfat`: genimage's FAT image type, written natively (fs/fat). Content is
 * `files` / `file DEST { image }` entries (images or input files and
 * directories), else the image's tree / srcpath / rootpath+mountpoint.
 * genimage passes `extraargs` to mkdosfs; kiln honours the mkfs.vfat
 * flags that change the result and rejects the rest by name.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/ids.h"
#include "base/size.h"
#include "config/cfgutil.h"
#include "config/config.h"
#include "fs/fat/fat-writer.h"
#include "fs/tree.h"
#include "plan/image-key.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"

#define VFAT_DEFAULT_MARGIN_PERCENT 10
#define MAX_VFAT_ENTRIES 4096

struct vfat_entry {
	char *dest;      /* "" for `files` (basename of the source) */
	char *image;     /* image name or input path */
	bool is_image;   /* names an image section */
	unsigned line;
};

struct vfat_priv {
	cfg_t *sec;
	struct fat_options o;
	char *label;
	bool hidden_set, volid_set;
	struct vfat_entry *ents;
	unsigned nents;
	struct tree *tree;
	struct fat_plan *plan;
};

static cfg_opt_t vfat_file_opts[] = {
	CFG_STR("image", NULL, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t vfat_opts[] = {
	CFG_STR("label", NULL, CFGF_NONE),
	CFG_STR("extraargs", "", CFGF_NONE),
	CFG_STR_LIST("files", NULL, CFGF_NONE),
	CFG_SEC("file", vfat_file_opts, CFGF_MULTI | CFGF_TITLE),
	/* kiln extensions */
	CFG_STR("fat-type", NULL, CFGF_NONE),
	CFG_STR("cluster-size", NULL, CFGF_NONE),
	CFG_STR("volume-id", NULL, CFGF_NONE),
	CFG_STR("hidden-sectors", NULL, CFGF_NONE),
	CFG_STR("margin", NULL, CFGF_NONE),
	CFG_STR("symlinks", NULL, CFGF_NONE),
	CFG_END()
};

/* ---- extraargs: the mkfs.vfat flags that shape the filesystem ---- */

/* Split like a shell would (genimage hands extraargs to one): blanks
 * separate words; '…' and "…" quote; backslash escapes. */
static int split_args(const char *s, char ***ret, unsigned *ret_n)
{
	char **v = NULL, *w = NULL;
	unsigned n = 0;
	size_t wl = 0;
	bool in = false;

	w = malloc(strlen(s) + 1);
	if (!w)
		return -ENOMEM;
	for (const char *p = s;; p++) {
		if (!*p || (isspace((unsigned char)*p))) {
			if (in) {
				char **nv = realloc(v, (n + 2) * sizeof(*v));
				if (!nv)
					goto nomem;
				v = nv;
				w[wl] = 0;
				if (!(v[n++] = strdup(w)))
					goto nomem;
				v[n] = NULL;
				wl = 0;
				in = false;
			}
			if (!*p)
				break;
			continue;
		}
		in = true;
		if (*p == '\'' || *p == '"') {
			char q = *p++;
			while (*p && *p != q) {
				if (q == '"' && *p == '\\' && p[1])
					p++;
				w[wl++] = *p++;
			}
			if (!*p)
				goto bad;
		} else if (*p == '\\' && p[1]) {
			w[wl++] = *++p;
		} else {
			w[wl++] = *p;
		}
	}
	free(w);
	*ret = v;
	*ret_n = n;
	return 0;
bad:
	free(w);
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return -EINVAL;
nomem:
	free(w);
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return -ENOMEM;
}

static int parse_num(const char *s, int base, uint64_t max, uint64_t *ret)
{
	char *e;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &e, base);
	if (errno || *e || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int apply_extraargs(struct vfat_priv *v, cfg_t *sec, struct diag *d)
{
	const char *ea = cfg_getstr(sec, "extraargs");
	char **av = NULL;
	unsigned ac = 0;
	int r = 0;

	if (!ea || !*ea)
		return 0;
	r = split_args(ea, &av, &ac);
	if (r == -EINVAL)
		return cfg_fail(sec, "extraargs", ea, r, d, "unbalanced quote");
	if (r)
		return diag_fail(d, r, "out of memory");
	for (unsigned i = 0; i < ac && !r; i++) {
		const char *a = av[i], *val = NULL;
		uint64_t n;
		char opt = 0;

		if (!strcmp(a, "--invariant")) {
			/* mkfs.vfat: fixed volume id (a later -i still wins) */
			v->o.volume_id = 0x1234abcd;
			v->volid_set = true;
			continue;
		}
		if (!strcmp(a, "-v") || !strcmp(a, "-I"))
			continue; /* verbosity / safety checks: no effect on the result */
		if (a[0] == '-' && a[1] && a[1] != '-' && strchr("FSsnihrfR", a[1])) {
			opt = a[1];
			val = a[2] ? a + 2 : (i + 1 < ac ? av[++i] : NULL);
			if (!val) {
				r = cfg_fail(sec, "extraargs", ea, -EINVAL, d, "option -%c needs a value", opt);
				break;
			}
		} else {
			r = cfg_fail(sec, "extraargs", ea, -EINVAL, d,
				     "mkfs.vfat option '%s' is not supported by kiln (supported: -F -S -s -n -i -h -r -f -R --invariant; see docs/config/vfat.md)",
				     a);
			break;
		}
		switch (opt) {
		case 'F':
			if (parse_num(val, 10, 32, &n) || (n != 12 && n != 16 && n != 32))
				goto badval;
			v->o.geom.fat_type = (unsigned)n;
			break;
		case 'S':
			if (parse_num(val, 0, 32768, &n) || n < 512 || (n & (n - 1)))
				goto badval;
			v->o.geom.sector_size = (unsigned)n;
			break;
		case 's':
			if (parse_num(val, 0, 128, &n) || !n || (n & (n - 1)))
				goto badval;
			v->o.geom.sectors_per_cluster = (unsigned)n;
			break;
		case 'n':
			free(v->label);
			if (!(v->label = strdup(val))) {
				r = diag_fail(d, -ENOMEM, "out of memory");
				goto out;
			}
			break;
		case 'i':
			if (parse_num(val, 16, UINT32_MAX, &n))
				goto badval;
			v->o.volume_id = (uint32_t)n;
			v->volid_set = true;
			break;
		case 'h':
			if (parse_num(val, 0, UINT32_MAX, &n))
				goto badval;
			v->o.hidden_sectors = (uint32_t)n;
			v->hidden_set = true;
			break;
		case 'r':
			if (parse_num(val, 0, 32768, &n) || n < 16)
				goto badval;
			v->o.geom.root_entries = (unsigned)n;
			break;
		case 'f':
			if (parse_num(val, 0, 4, &n) || !n)
				goto badval;
			v->o.geom.nfats = (unsigned)n;
			break;
		case 'R':
			if (parse_num(val, 0, 0xFFFF, &n) || !n)
				goto badval;
			v->o.geom.reserved = (unsigned)n;
			break;
		}
		continue;
badval:
		r = cfg_fail(sec, "extraargs", ea, -EINVAL, d, "bad value '%s' for -%c", val, opt);
	}
out:
	for (unsigned i = 0; i < ac; i++)
		free(av[i]);
	free(av);
	return r;
}

/* Is @name an image section of this config? (Entries that are not name
 * input files or directories, resolved in setup.) */
static bool is_image_section(struct build *b, const char *name)
{
	unsigned n = cfg_size(b->cfg, "image");

	for (unsigned i = 0; i < n; i++)
		if (!strcmp(cfg_title(cfg_getnsec(b->cfg, "image", i)), name))
			return true;
	return false;
}

static int add_entry(struct build *b, struct image *img, struct vfat_priv *v, const char *dest,
		     const char *name, unsigned line, struct diag *d)
{
	struct vfat_entry *e;

	if (v->nents >= MAX_VFAT_ENTRIES)
		return diag_fail(d, -E2BIG, "more than %d files/file entries", MAX_VFAT_ENTRIES);
	e = realloc(v->ents, (v->nents + 1) * sizeof(*e));
	if (!e)
		return diag_fail(d, -ENOMEM, "out of memory");
	v->ents = e;
	e = &v->ents[v->nents++];
	memset(e, 0, sizeof(*e));
	e->line = line;
	e->dest = strdup(dest);
	e->image = strdup(name);
	if (!e->dest || !e->image)
		return diag_fail(d, -ENOMEM, "out of memory");
	e->is_image = is_image_section(b, name);
	if (e->is_image && image_depend(img, name))
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

static int vfat_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct vfat_priv *v = calloc(1, sizeof(*v));
	const char *s;
	bool set;
	int r;

	if (!v)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = v;
	v->sec = sec;
	v->o.margin_percent = VFAT_DEFAULT_MARGIN_PERCENT;
	v->o.epoch = b->epoch;
	if ((s = cfg_getstr(sec, "label")) && !(v->label = strdup(s)))
		return diag_fail(d, -ENOMEM, "out of memory");
	if ((r = apply_extraargs(v, sec, d)))
		return r;

	if ((s = cfg_getstr(sec, "fat-type"))) {
		if (!strcmp(s, "12") || !strcmp(s, "16") || !strcmp(s, "32"))
			v->o.geom.fat_type = (unsigned)atoi(s);
		else if (!strcmp(s, "auto"))
			v->o.geom.fat_type = 0;
		else
			return cfg_fail(sec, "fat-type", s, -EINVAL, d, "must be 12, 16, 32 or auto");
	}
	uint64_t cs;
	if ((r = cfg_get_bytes(sec, "cluster-size", 0, &cs, &set, d)))
		return r;
	if (set) {
		uint64_t ss = v->o.geom.sector_size ? v->o.geom.sector_size : 512;
		if (cs < ss || cs % ss || (cs / ss) > 128 || ((cs / ss) & (cs / ss - 1)))
			return cfg_fail(sec, "cluster-size", cfg_getstr(sec, "cluster-size"), -EINVAL, d,
					"must be the sector size (%llu) times 1, 2, 4, ... 128",
					(unsigned long long)ss);
		v->o.geom.sectors_per_cluster = (unsigned)(cs / ss);
	}
	if ((s = cfg_getstr(sec, "volume-id"))) {
		uint64_t n;
		const char *h = (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2)) ? s + 2 : s;
		if (parse_num(h, 16, UINT32_MAX, &n))
			return cfg_fail(sec, "volume-id", s, -EINVAL, d, "must be a 32-bit hexadecimal number");
		v->o.volume_id = (uint32_t)n;
		v->volid_set = true;
	}
	if ((s = cfg_getstr(sec, "hidden-sectors"))) {
		uint64_t n;
		if (parse_num(s, 0, UINT32_MAX, &n))
			return cfg_fail(sec, "hidden-sectors", s, -EINVAL, d, "must be a number of sectors (0 .. 4294967295)");
		v->o.hidden_sectors = (uint32_t)n;
		v->hidden_set = true;
	}
	if ((s = cfg_getstr(sec, "margin"))) {
		struct size_spec m;
		if ((r = cfg_get_size(sec, "margin", SIZE_ALLOW_PERCENT, &m, &set, d)))
			return r;
		if (m.percent_set) {
			v->o.margin_percent = m.percent;
			v->o.margin_bytes = 0;
		} else {
			v->o.margin_bytes = m.bytes;
			v->o.margin_percent = 0;
		}
	}
	if ((s = cfg_getstr(sec, "symlinks"))) {
		if (!strcmp(s, "error"))
			v->o.symlinks = FAT_SYMLINKS_ERROR;
		else if (!strcmp(s, "copy"))
			v->o.symlinks = FAT_SYMLINKS_COPY;
		else if (!strcmp(s, "skip"))
			v->o.symlinks = FAT_SYMLINKS_SKIP;
		else
			return cfg_fail(sec, "symlinks", s, -EINVAL, d, "must be error, copy or skip");
	}
	if (!v->volid_set) {
		uint8_t id[4];
		id_derive(&img->seed, "fat-volume-id", 0, id, sizeof(id));
		v->o.volume_id = get_le32(id);
	}

	unsigned nf = cfg_size(sec, "file");
	for (unsigned i = 0; i < nf; i++) {
		cfg_t *fs = cfg_getnsec(sec, "file", i);
		const char *im = cfg_getstr(fs, "image");
		if (!im)
			return cfg_fail(fs, "image", NULL, -EINVAL, d, "file \"%s\" needs image = \"...\"",
					cfg_title(fs));
		const char *dest = cfg_title(fs);
		while (*dest == '/')
			dest++;
		if (!*dest)
			return cfg_fail(fs, "file", cfg_title(fs), -EINVAL, d, "destination path is empty");
		if ((r = add_entry(b, img, v, dest, im, (unsigned)fs->line, d)))
			return r;
	}
	for (unsigned i = 0; i < cfg_size(sec, "files"); i++) {
		const char *file;
		unsigned line;

		config_where(sec, "files", i, &file, &line);
		if ((r = add_entry(b, img, v, "", cfg_getnstr(sec, "files", i), line, d)))
			return r;
	}
	return 0;
}

static char *input_path(struct build *b, const char *name)
{
	size_t n = strlen(b->paths.inputpath) + strlen(name) + 2;
	char *s;

	if (name[0] == '/')
		return strdup(name);
	s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s", b->paths.inputpath, name);
	return s;
}

/* Put one files/file entry into the tree. */
static int add_to_tree(struct build *b, struct image *img, struct tree *t,
		       const struct vfat_entry *e, struct diag *d)
{
	char layer[512];
	struct tree_attr a;
	struct stat st;
	const char *src;
	char *path = NULL;
	int l, r;

	memset(&a, 0, sizeof(a));
	snprintf(layer, sizeof(layer), "%s \"%s\"", *e->dest ? "file" : "files", e->image);
	if ((l = tree_add_layer(t, layer)) < 0)
		return diag_fail(d, l, "out of memory");
	if (e->is_image) {
		struct image *c = image_dep(img, e->image);
		if (!c)
			return diag_fail(d, -ENOENT, "image '%s' not found", e->image);
		src = c->outfile;
		a.mode = 0100644;
		a.size = c->size;
		a.mtime = b->epoch;
		st.st_mode = 0100000;
	} else {
		if (!(path = input_path(b, e->image)))
			return diag_fail(d, -ENOMEM, "out of memory");
		src = path;
		if (stat(path, &st)) { /* genimage's mcopy follows a symlinked input */
			r = diag_fail(d, -errno, "%s:%u: %s \"%s\": %s: %s", img->cfgfile, e->line,
				      *e->dest ? "file image" : "files entry", e->image, path, strerror(errno));
			free(path);
			return r;
		}
		a.mode = (uint32_t)st.st_mode & 0177777;
		a.size = (uint64_t)st.st_size;
		a.mtime = st.st_mtime;
	}
	const char *base = strrchr(e->image, '/');
	base = base ? base + 1 : e->image;
	const char *dest = *e->dest ? e->dest : base;
	if (S_ISDIR(st.st_mode)) {
		r = tree_add_dir(t, src, dest, false, NULL, TREE_CONFLICT_ERROR, (uint32_t)l, d);
	} else if (S_ISREG(st.st_mode)) {
		a.src_path = src;
		r = tree_add(t, dest, &a, TREE_CONFLICT_ERROR, (uint32_t)l, NULL, d);
	} else {
		r = diag_fail(d, -EINVAL, "%s:%u: \"%s\" (%s) is not a regular file or directory",
			      img->cfgfile, e->line, e->image, src);
	}
	free(path);
	return r;
}

/*
 * What the FAT holds: the files/file entries (genimage: they replace the
 * rootpath content, but not a tree or srcpath), else the image's content
 * tree. Setup plans exactly this tree, and `kiln ls` prints it.
 */
static int vfat_content(struct build *b, struct image *img, struct tree **ret, struct diag *d)
{
	struct vfat_priv *v = img->priv;
	struct tree *t = NULL;
	int r;

	if (v->nents && !img->ntrees && !img->srcpath) {
		r = tree_new(&t, b->epoch);
		if (r)
			return diag_fail(d, r, "out of memory");
	} else {
		r = image_content_tree(b, img, &t, d);
		if (r)
			return r;
	}
	for (unsigned i = 0; i < v->nents; i++) {
		if ((r = add_to_tree(b, img, t, &v->ents[i], d))) {
			tree_free(t);
			return r;
		}
	}
	tree_finish(t);
	*ret = t;
	return 0;
}

static int vfat_setup(struct build *b, struct image *img, struct diag *d)
{
	struct vfat_priv *v = img->priv;
	struct tree *t = NULL;
	int r;

	if (img->size_set) {
		v->o.geom.size = img->size;
	} else if (b->genimage_mode) {
		return diag_fail(d, -EINVAL, "vfat: size is required in genimage mode (kiln build can size the filesystem itself)");
	}
	if ((r = vfat_content(b, img, &t, d)))
		return r;
	v->o.label = v->label;
	v->o.name = img->name;
	r = fat_plan_new(&v->plan, t, &v->o, d);
	if (r) {
		tree_free(t);
		return r;
	}
	v->tree = t;
	img->size = fat_plan_size(v->plan);
	return 0;
}

static int vfat_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct vfat_priv *v = img->priv;

	(void)b;
	/* Hidden sectors: the partition's start, known once a disk placed us
	 * (the disk is set up after its children, so read it here). */
	if (!v->hidden_set && img->placed) {
		/* In the filesystem's own sectors (512 unless -S says otherwise). */
		uint64_t hs = img->placed_offset / fat_plan_geom(v->plan)->sector_size;
		v->o.hidden_sectors = hs > UINT32_MAX ? UINT32_MAX : (uint32_t)hs;
	}
	fat_plan_set_hidden_sectors(v->plan, v->o.hidden_sectors);
	return fat_plan_write(v->plan, out, d);
}

static void vfat_describe(const struct image *img, void (*line)(void *ud, const char *text),
			  void *ud)
{
	const struct vfat_priv *v = img->priv;
	char buf[256], cs[32];

	if (!v || !v->plan)
		return;
	const struct fat_geom *g = fat_plan_geom(v->plan);
	size_format(g->cluster_bytes, cs, sizeof(cs));
	snprintf(buf, sizeof(buf), "FAT%u, %s clusters, %u clusters (%u used), %u-byte sectors, volume id %08X%s%s",
		 g->fat_type, cs, g->clusters, fat_plan_used_clusters(v->plan), g->sector_size,
		 v->o.volume_id, v->label && *v->label ? ", label " : "", v->label ? v->label : "");
	line(ud, buf);
}

static void vfat_release(struct image *img)
{
	struct vfat_priv *v = img->priv;

	if (!v)
		return;
	fat_plan_free(v->plan);
	tree_free(v->tree);
	for (unsigned i = 0; i < v->nents; i++) {
		free(v->ents[i].dest);
		free(v->ents[i].image);
	}
	free(v->ents);
	free(v->label);
	free(v);
	img->priv = NULL;
}

static int vfat_key(struct build *b, struct image *img, struct image_key *k, struct diag *d)
{
	return image_key_tree(b, k, ((struct vfat_priv *)img->priv)->tree, d);
}

const struct image_handler vfat_handler = {
	.type = "vfat",
	.opts = vfat_opts,
	.parse = vfat_parse,
	.setup = vfat_setup,
	.generate = vfat_generate,
	.describe = vfat_describe,
	.release = vfat_release,
	.content = vfat_content,
	.key = vfat_key,
};
