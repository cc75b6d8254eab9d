/* SPDX-License-Identifier: MIT */
/*
 * `verity`: genimage's dm-verity hash image of another image, computed
 * natively (fs/verity) instead of running `veritysetup format`. genimage
 * hands `extraargs` to veritysetup; kiln honours its format options.
 * As genimage, the root hash also goes to TMPPATH/NAME.root-hash (NAME
 * with '/' as '-'), where scripts and verity-sig find it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/hash.h"
#include "base/ids.h"
#include "config/cfgutil.h"
#include "fs/verity/verity.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/exec.h"
#include "plan/image.h"
#include "plan/img-verity.h"

struct verity_priv {
	char *data;              /* the image hashed */
	struct verity_params p;
	bool salt_set, uuid_set, blocks_set;
	struct verity_geom g;
	uint64_t uncovered;      /* data bytes past the last whole block */
	char root[2 * VERITY_DIGEST + 1]; /* "" until known */
};

static cfg_opt_t verity_opts[] = {
	CFG_STR("image", NULL, CFGF_NONE),
	CFG_STR("extraargs", NULL, CFGF_NONE),
	CFG_END()
};

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_salt(struct verity_priv *x, const char *v)
{
	size_t n = strlen(v);

	x->salt_set = true;
	if (!strcmp(v, "-")) { /* veritysetup: no salt */
		x->p.salt_size = 0;
		return 0;
	}
	if (n % 2 || n / 2 > VERITY_MAX_SALT)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_digit(v[i]), lo = hex_digit(v[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		x->p.salt[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	x->p.salt_size = (uint16_t)(n / 2);
	return 0;
}

/* One veritysetup option: --name=value, --name value, -s value, -h value. */
static int verity_arg(struct verity_priv *x, cfg_t *sec, const char *args, const char *name,
		      const char *v, struct diag *d)
{
	uint64_t n;
	struct uuid u;

	if (!strcmp(name, "salt") || !strcmp(name, "s")) {
		if (parse_salt(x, v))
			return cfg_fail(sec, "extraargs", args, -EINVAL, d,
					"--salt %s: not an even number of hex digits (at most 256 bytes) or \"-\"", v);
	} else if (!strcmp(name, "uuid")) {
		if (uuid_parse(v, &u))
			return cfg_fail(sec, "extraargs", args, -EINVAL, d, "--uuid %s: not a UUID", v);
		memcpy(x->p.uuid, u.b, 16);
		x->uuid_set = true;
	} else if (!strcmp(name, "data-block-size") || !strcmp(name, "hash-block-size")) {
		if (parse_u64(v, &n) || n < 512 || n > 4096 || (n & (n - 1)))
			return cfg_fail(sec, "extraargs", args, -EINVAL, d,
					"--%s %s: a power of two from 512 to 4096", name, v);
		if (name[0] == 'd')
			x->p.data_block_size = (uint32_t)n;
		else
			x->p.hash_block_size = (uint32_t)n;
	} else if (!strcmp(name, "data-blocks")) {
		if (parse_u64(v, &n) || !n)
			return cfg_fail(sec, "extraargs", args, -EINVAL, d,
					"--data-blocks %s: not a positive number", v);
		x->p.data_blocks = n;
		x->blocks_set = true;
	} else if (!strcmp(name, "hash") || !strcmp(name, "h")) {
		if (strcmp(v, "sha256"))
			return cfg_fail(sec, "extraargs", args, -EOPNOTSUPP, d,
					"--hash %s: kiln writes sha256 hash trees only", v);
	} else if (!strcmp(name, "format")) {
		if (strcmp(v, "1"))
			return cfg_fail(sec, "extraargs", args, -EOPNOTSUPP, d,
					"--format %s: kiln writes format 1 (normal) only", v);
	} else {
		return cfg_fail(sec, "extraargs", args, -EINVAL, d,
				"\"%s\": not a veritysetup format option kiln understands", name);
	}
	return 0;
}

static bool takes_value(const char *name)
{
	static const char *const v[] = { "salt", "s", "uuid", "data-block-size", "hash-block-size",
					 "data-blocks", "hash", "h", "format", NULL };
	for (unsigned i = 0; v[i]; i++)
		if (!strcmp(v[i], name))
			return true;
	return false;
}

static int verity_extraargs(struct verity_priv *x, cfg_t *sec, const char *args, struct diag *d)
{
	char *buf = strdup(args), *save = NULL, *tok;
	int r = 0;

	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (tok = strtok_r(buf, " \t", &save); tok && !r; tok = strtok_r(NULL, " \t", &save)) {
		char *name = tok, *v = NULL, *eq;

		if (tok[0] != '-' || !tok[1]) {
			r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "\"%s\": not an option", tok);
			break;
		}
		name += tok[1] == '-' ? 2 : 1;
		if (!strcmp(name, "no-superblock")) {
			x->p.no_superblock = true;
			continue;
		}
		if (!strcmp(name, "v") || !strcmp(name, "verbose") || !strcmp(name, "debug") ||
		    !strcmp(name, "batch-mode") || !strcmp(name, "q"))
			continue;
		if ((eq = strchr(name, '='))) {
			*eq = 0;
			v = eq + 1;
		} else if (takes_value(name)) {
			v = strtok_r(NULL, " \t", &save);
			if (!v) {
				r = cfg_fail(sec, "extraargs", args, -EINVAL, d, "%s needs a value", tok);
				break;
			}
		} else {
			v = "";
		}
		r = verity_arg(x, sec, args, name, v, d);
	}
	free(buf);
	return r;
}

static int verity_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct verity_priv *x = calloc(1, sizeof(*x));
	const char *data = cfg_getstr(sec, "image"), *extra = cfg_getstr(sec, "extraargs");
	int r;

	(void)b;
	if (!x)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = x;
	if (!data || !*data)
		return cfg_fail(sec, "image", "", -EINVAL, d, "mandatory: the image to hash");
	x->data = strdup(data);
	if (!x->data)
		return diag_fail(d, -ENOMEM, "out of memory");
	x->p.data_block_size = x->p.hash_block_size = 4096;
	if (extra && (r = verity_extraargs(x, sec, extra, d)))
		return r;
	return image_depend(img, data) ? diag_fail(d, -ENOMEM, "out of memory") : 0;
}

static int hash_data(struct verity_priv *x, const struct image *data, struct sink *out,
		     struct diag *d)
{
	uint8_t root[VERITY_DIGEST];
	int fd = open(data->outfile, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", data->outfile, strerror(errno));
	r = verity_build(&x->p, fd, data->outfile, out, root, d);
	close(fd);
	if (!r)
		hex_encode(root, sizeof(root), x->root);
	return r;
}

static int verity_setup(struct build *b, struct image *img, struct diag *d)
{
	struct verity_priv *x = img->priv;
	struct image *data = image_dep(img, x->data);
	uint64_t blocks;

	(void)b;
	if (!data)
		return diag_fail(d, -ENOENT, "image \"%s\" is unknown", x->data);
	if (!x->salt_set) {
		x->p.salt_size = 32; /* veritysetup's default */
		id_derive(&img->seed, "verity-salt", 0, x->p.salt, 32);
	}
	if (!x->uuid_set) {
		struct uuid u;

		uuid_derive(&img->seed, "verity-uuid", 0, &u);
		memcpy(x->p.uuid, u.b, 16);
	}
	blocks = data->size / x->p.data_block_size;
	if (x->blocks_set && x->p.data_blocks > blocks)
		return diag_fail(d, -EINVAL, "--data-blocks %llu: \"%s\" has %llu blocks of %u bytes",
				 (unsigned long long)x->p.data_blocks, x->data,
				 (unsigned long long)blocks, x->p.data_block_size);
	if (!x->blocks_set)
		x->p.data_blocks = blocks;
	if (!x->p.data_blocks)
		return diag_fail(d, -EINVAL, "\"%s\" (%llu bytes) is smaller than one %u-byte block",
				 x->data, (unsigned long long)data->size, x->p.data_block_size);
	x->uncovered = data->size - x->p.data_blocks * x->p.data_block_size;
	if (x->uncovered && !x->blocks_set)
		diag_warn(d, "verity %s: the last %llu bytes of \"%s\" are not a whole %u-byte block and are not covered (as veritysetup)",
			  img->name, (unsigned long long)x->uncovered, x->data, x->p.data_block_size);
	if (verity_geometry(&x->p, &x->g))
		return diag_fail(d, -EINVAL, "verity: no hash tree for these parameters");
	if (img->size_set && img->size < x->g.bytes)
		return diag_fail(d, -ENOSPC, "the hash tree needs %llu bytes, size is %llu",
				 (unsigned long long)x->g.bytes, (unsigned long long)img->size);
	if (!img->size_set)
		img->size = x->g.bytes;
	/* An input file is there already: `kiln plan` can show the root. */
	if (data->implicit)
		return hash_data(x, data, NULL, d);
	return 0;
}

static int write_root_file(struct build *b, struct image *img, const char *root, struct diag *d)
{
	struct sink *s = NULL;
	char *path = NULL, *slug = strdup(img->name);
	int r;

	if (!slug)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (char *c = slug; *c; c++)
		if (*c == '/')
			*c = '-';
	if (asprintf(&path, "%s/%s.root-hash", b->paths.tmppath, slug) < 0) {
		free(slug);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	free(slug);
	r = mkdir_p(b->paths.tmppath, d);
	if (!r)
		r = sink_file_new(&s, path, strlen(root), d);
	if (!r)
		r = sink_pwrite(s, root, strlen(root), 0);
	if (!r)
		r = sink_file_commit(s, d);
	if (r && d && !d->msg[0])
		diag_fail(d, r, "%s: %s", path, strerror(-r));
	sink_release(s);
	free(path);
	return r;
}

static int verity_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct verity_priv *x = img->priv;
	int r = hash_data(x, image_dep(img, x->data), out, d);

	return r ? r : write_root_file(b, img, x->root, d);
}

static void verity_describe(const struct image *img, void (*line)(void *ud, const char *text),
			    void *ud)
{
	const struct verity_priv *x = img->priv;
	char buf[700], salt[2 * VERITY_MAX_SALT + 1], uuid[37];
	struct uuid u;

	if (!x || !x->g.bytes)
		return;
	hex_encode(x->p.salt, x->p.salt_size, salt);
	memcpy(u.b, x->p.uuid, 16);
	uuid_format(&u, uuid);
	snprintf(buf, sizeof(buf),
		 "dm-verity of \"%s\": %llu data blocks of %u, %llu hash blocks of %u, %u levels, sha256%s",
		 x->data, (unsigned long long)x->p.data_blocks, x->p.data_block_size,
		 (unsigned long long)x->g.hash_blocks, x->p.hash_block_size, x->g.levels,
		 x->p.no_superblock ? ", no superblock" : "");
	line(ud, buf);
	snprintf(buf, sizeof(buf), "salt: %s", x->p.salt_size ? salt : "-");
	line(ud, buf);
	snprintf(buf, sizeof(buf), "uuid: %s", uuid);
	line(ud, buf);
	snprintf(buf, sizeof(buf), "root hash: %s", x->root[0] ? x->root
				   : "known once the data image is written (kiln inspect shows it)");
	line(ud, buf);
}

static void verity_release(struct image *img)
{
	struct verity_priv *x = img->priv;

	if (!x)
		return;
	free(x->data);
	free(x);
	img->priv = NULL;
}

int verity_image_root_hash(const struct image *img, char out[65])
{
	const struct verity_priv *x = img->priv;

	if (img->handler != &verity_handler || !x || !x->root[0])
		return -EAGAIN;
	memcpy(out, x->root, 65);
	return 0;
}

const struct image_handler verity_handler = {
	.type = "verity",
	.opts = verity_opts,
	.parse = verity_parse,
	.setup = verity_setup,
	.generate = verity_generate,
	.describe = verity_describe,
	.release = verity_release,
};
