/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_BTRFS_FIX_H
#define KILN_PLAN_BTRFS_FIX_H

/*
 * mkfs.btrfs 6.2 draws the chunk tree UUID, the device UUID and the top
 * subvolume's UUID at random (only the filesystem UUID has an option,
 * -U) and stamps inodes and that subvolume with the clock's time. kiln
 * rewrites those fields in the tool's output with values derived from
 * the seed and the epoch, and recomputes the checksum of every block it
 * changes.
 */

#include <stdint.h>

struct diag;
struct uuid;

struct btrfs_ids {
	const struct uuid *chunk_tree; /* every tree block header, dev extents */
	const struct uuid *device;     /* dev items, chunk stripes */
	const struct uuid *subvol;     /* root items with a UUID, and their UUID tree keys */
	int64_t epoch;
};

/*
 * btrfs_fix_ids - in the single-device btrfs image @path (crc32c
 * checksums): every tree block — found by scanning the system and
 * metadata chunks of the chunk map at nodesize steps for blocks whose
 * header names this filesystem and their own address and whose checksum
 * holds, so copies the trees no longer reach are fixed too — gets
 * @ids->chunk_tree as its chunk tree UUID; in leaves, dev items and chunk
 * stripes get @ids->device, dev extents @ids->chunk_tree, a root item's
 * non-zero UUID @ids->subvol (and its UUID tree key with it) and its
 * creation and change times the epoch; every inode item's access,
 * change and creation times become its modification time, all clamped
 * to the epoch. The superblock and its mirrors inside the file get the
 * device UUID (dev item, system chunk array). Checksums are recomputed.
 *
 * Returns 0, or 1 when the image is left as it is (a checksum other
 * than crc32c: kiln computes only that one); -EINVAL (not an image
 * mkfs.btrfs writes: no superblock, several devices, a chunk map or
 * tree block out of range, more than one subvolume UUID), -ENOMEM,
 * -errno of a read or write; the path and byte offset in @d.
 */
int btrfs_fix_ids(const char *path, const struct btrfs_ids *ids, struct diag *d);

#endif
