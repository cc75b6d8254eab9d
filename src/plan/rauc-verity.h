/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_RAUC_VERITY_H
#define KILN_PLAN_RAUC_VERITY_H

/*
 * A RAUC bundle in the `verity` format (rauc 1.8) is the squashfs, a
 * dm-verity hash tree of it (sha256, 4 KiB blocks, no superblock) and a
 * CMS signature holding the manifest, whose [bundle] group names the
 * tree's salt, root hash and size. rauc draws the salt at random; kiln
 * hashes the squashfs again with a salt of its own and writes the tree
 * and the manifest lines back, so that signed again the bundle is a
 * function of its inputs.
 */

#include <stddef.h>
#include <stdint.h>

struct diag;

#define RAUC_VERITY_SALT 32

/*
 * rauc_verity_resalt - if @manifest (@len bytes, the signed content of
 * the bundle open as @fd at @path, whose signature starts at @cms_at) is
 * of the verity format: check that the tree before @cms_at is the one
 * its salt and root hash describe (so the layout is the one kiln
 * writes), write the tree for @salt in its place and return in
 * *ret_manifest (malloc'd, NUL-terminated, *ret_len bytes) the manifest
 * with the new verity-salt and verity-hash. Another format: 0 and
 * *ret_manifest NULL.
 *
 * Returns 0; -EINVAL (verity-size, -salt or -hash missing or malformed,
 * or the tree is not the one the manifest describes), -ENOMEM, -errno
 * of a read or write; the path in @d.
 */
int rauc_verity_resalt(int fd, const char *path, uint64_t cms_at, const char *manifest,
		       size_t len, const uint8_t salt[RAUC_VERITY_SALT], char **ret_manifest,
		       size_t *ret_len, struct diag *d);

#endif
