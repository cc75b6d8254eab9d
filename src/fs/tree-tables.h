/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_TREE_TABLES_H
#define KILN_FS_TREE_TABLES_H

/*
 * Metadata tables users already have, applied to a composed tree:
 *
 *  - genext2fs / Buildroot device tables, one entry per line:
 *      name type mode uid gid major minor start inc count
 *    type f (existing file: set mode/owner), d (directory, created if
 *    missing), c/b (device nodes), p (fifo). mode is octal. '-' means 0.
 *    count > 0 makes count nodes name<start>..name<start+count-1> with
 *    minor + i*inc, as genext2fs does.
 *  - Android canned fs_config, one entry per line:
 *      path uid gid mode [capabilities=0x...]
 *    applied to existing entries only (others: one warning per file);
 *    capabilities become a security.capability xattr (VFS_CAP v2).
 *
 * Both: '#' starts a comment line, blank lines are skipped, at most
 * TREE_TABLE_MAX_LINES lines. Errors name "NAME:LINE".
 */

#include <stddef.h>
#include <stdint.h>

#include "fs/tree.h"

struct diag;

#define TREE_TABLE_MAX_LINES 1000000u
#define TREE_DEVTABLE_MAX_COUNT 65536u
/* Nodes one device table may create in all (count expansions included):
 * far above any real /dev, low enough that a few hostile lines cannot
 * make the build crawl through millions of nodes. */
#define TREE_DEVTABLE_MAX_NODES 65536u
#define VFS_CAP_V2_SIZE 20

/* Returns 0 or -EINVAL (bad line), -ENOENT (type f names a missing
 * file), -ENOTDIR, -E2BIG (too many lines or more than
 * TREE_DEVTABLE_MAX_NODES nodes), -ENOMEM. @name is used in messages. */
int tree_apply_device_table(struct tree *t, const char *text, size_t len, const char *name,
			    uint32_t layer, struct diag *d);

/* Returns 0 or -EINVAL (bad line), -E2BIG, -ENOMEM. */
int tree_apply_fs_config(struct tree *t, const char *text, size_t len, const char *name,
			 struct diag *d);

/* Encode a capability mask as a security.capability value (v2,
 * effective bit set when any capability is set). */
void vfs_cap_encode(uint64_t caps, uint8_t out[VFS_CAP_V2_SIZE]);

/* Set (caps != 0) or remove (caps == 0) security.capability on @n. */
int tree_set_caps(struct tree_node *n, uint64_t caps);

#endif
