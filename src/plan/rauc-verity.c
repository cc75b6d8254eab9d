/* SPDX-License-Identifier: MIT */
/* A verity-format RAUC bundle's hash tree made again with kiln's salt (see rauc-verity.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/hash.h"
#include "fs/verity/verity.h"
#include "io/sink.h"
#include "plan/rauc-verity.h"

#define BLOCK 4096u

/* The value of @key in the manifest's [bundle] group: where it starts, its length. */
static const char *bundle_value(const char *m, size_t len, const char *key, size_t *ret_len)
{
	const char *end = m + len, *line = m;
	size_t klen = strlen(key);
	bool in_bundle = false;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t l = nl ? (size_t)(nl - line) : (size_t)(end - line);

		if (l && line[0] == '[')
			in_bundle = l == 8 && !memcmp(line, "[bundle]", 8);
		else if (in_bundle && l > klen && !memcmp(line, key, klen) && line[klen] == '=') {
			*ret_len = l - klen - 1;
			return line + klen + 1;
		}
		line += l + 1;
	}
	return NULL;
}

/* @m with the values at @a and @b (same lengths, @a before @b) replaced. */
static char *splice(const char *m, size_t len, const char *a, const char *va, const char *b,
		    const char *vb)
{
	char *out = malloc(len + 1);

	if (!out)
		return NULL;
	memcpy(out, m, len);
	out[len] = 0;
	memcpy(out + (a - m), va, strlen(va));
	memcpy(out + (b - m), vb, strlen(vb));
	return out;
}

int rauc_verity_resalt(int fd, const char *path, uint64_t cms_at, const char *manifest,
		       size_t len, const uint8_t salt[RAUC_VERITY_SALT], char **ret_manifest,
		       size_t *ret_len, struct diag *d)
{
	const char *fmt, *vsize, *vsalt, *vhash;
	size_t flen, lsize, lsalt, lhash;
	struct verity_params p = { .data_block_size = BLOCK, .hash_block_size = BLOCK,
				   .salt_size = RAUC_VERITY_SALT, .no_superblock = true };
	uint8_t root[VERITY_DIGEST], want[VERITY_DIGEST];
	char salt_hex[2 * RAUC_VERITY_SALT + 1], root_hex[2 * VERITY_DIGEST + 1], num[24];
	struct sink *file = NULL, sub;
	struct verity_geom g;
	uint64_t tree_size;
	int r;

	*ret_manifest = NULL;
	fmt = bundle_value(manifest, len, "format", &flen);
	if (!fmt || flen != 6 || memcmp(fmt, "verity", 6))
		return 0;
	vsize = bundle_value(manifest, len, "verity-size", &lsize);
	vsalt = bundle_value(manifest, len, "verity-salt", &lsalt);
	vhash = bundle_value(manifest, len, "verity-hash", &lhash);
	if (!vsize || lsize >= sizeof(num) || !vsalt || !vhash ||
	    hex_decode(vsalt, lsalt, p.salt, RAUC_VERITY_SALT) ||
	    hex_decode(vhash, lhash, want, VERITY_DIGEST))
		return diag_fail(d, -EINVAL, "%s: manifest: no valid verity-size, -salt and -hash",
				 path);
	memcpy(num, vsize, lsize);
	num[lsize] = 0;
	tree_size = strtoull(num, NULL, 10);
	if (!tree_size || tree_size >= cms_at || (cms_at - tree_size) % BLOCK)
		return diag_fail(d, -EINVAL, "%s: verity-size %s does not fit the bundle", path, num);
	p.data_blocks = (cms_at - tree_size) / BLOCK;
	if (verity_geometry(&p, &g) || g.bytes != tree_size)
		return diag_fail(d, -EINVAL, "%s: verity-size %s is not a tree kiln knows", path, num);
	/* rauc's salt must give rauc's root: the layout is then this one. */
	if ((r = verity_build(&p, fd, path, NULL, root, d)))
		return r;
	if (memcmp(root, want, VERITY_DIGEST))
		return diag_fail(d, -EINVAL, "%s: the verity tree is not the one its manifest names",
				 path);
	memcpy(p.salt, salt, RAUC_VERITY_SALT);
	r = sink_file_open_existing(&file, fd, cms_at);
	if (!r)
		r = sink_sub(&sub, file, cms_at - tree_size, tree_size);
	if (r) {
		sink_release(file);
		return diag_fail(d, r, "%s: %s", path, strerror(-r));
	}
	r = verity_build(&p, fd, path, &sub, root, d);
	sink_release(file);
	if (r)
		return r;
	hex_encode(salt, RAUC_VERITY_SALT, salt_hex);
	hex_encode(root, VERITY_DIGEST, root_hex);
	*ret_manifest = vsalt < vhash ? splice(manifest, len, vsalt, salt_hex, vhash, root_hex)
				      : splice(manifest, len, vhash, root_hex, vsalt, salt_hex);
	if (!*ret_manifest)
		return diag_fail(d, -ENOMEM, "out of memory");
	*ret_len = len;
	return 0;
}
