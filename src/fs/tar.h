/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_TAR_H
#define KILN_FS_TAR_H

/*
 * tar writer: a finished input tree (fs/tree.h) as a tar archive through
 * libarchive, onto a sink. Deterministic: entries in sorted pre-order
 * ("./" first, names "./path" as `tar -C DIR .` writes them), times in
 * whole seconds (already clamped), numeric owners with empty user and
 * group names, no atime/ctime; pax headers only where ustar cannot hold
 * something (long names, big numbers, xattrs as SCHILY.xattr.*).
 * Compressors run without timestamps.
 */

#include <stdint.h>

struct diag;
struct sink;
struct tree;

enum tar_comp {
	TAR_COMP_NONE,
	TAR_COMP_GZIP,
	TAR_COMP_BZIP2,
	TAR_COMP_XZ,
	TAR_COMP_LZMA,
	TAR_COMP_ZSTD,
	TAR_COMP_MAX,
};

const char *tar_comp_name(enum tar_comp c);

/*
 * tar_write - write @t onto @out from offset 0; *ret_size is the length.
 * Sockets cannot be stored in tar: they are left out with one warning
 * through @d. Hard links: the first name in order carries the data, the
 * later ones link to it. Returns 0, -ENOMEM, -EIO (a source changed size,
 * a libarchive failure: the diag has its message), -errno of sources and
 * the sink.
 */
int tar_write(struct tree *t, enum tar_comp comp, struct sink *out, uint64_t *ret_size,
	      struct diag *d);

#endif
