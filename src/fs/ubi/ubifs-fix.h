/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_UBIFS_FIX_H
#define KILN_PLAN_UBIFS_FIX_H

/*
 * mkfs.ubifs (mtd-utils 2.1.5) draws the filesystem UUID at random and
 * has no option to set it, and copies each inode's access and change
 * times from the materialised tree, where the change time is the build's
 * clock. kiln rewrites those fields in the tool's output and recomputes
 * the CRC of each node it changes, so the image is a function of its
 * inputs.
 */

struct diag;
struct uuid;

/*
 * ubifs_fix_ids - in the UBIFS image @path (LEBs back to back, as
 * mkfs.ubifs writes them): the superblock's UUID becomes @uuid; in
 * every inode node of the log, orphan and main areas, the access and
 * change times (seconds and nanoseconds) become the modification time
 * (the tree's, clamped to SOURCE_DATE_EPOCH already). Every node read
 * must carry a valid CRC. An image with authentication (its index
 * hashes the nodes) is left as it is.
 *
 * Returns 0; -EINVAL (not an image mkfs.ubifs writes: no superblock
 * node, a node with a bad magic, length or CRC), -errno of a read or
 * write, the path and byte offset in @d.
 */
int ubifs_fix_ids(const char *path, const struct uuid *uuid, struct diag *d);

#endif
