/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_SQUASHFS_MKSQUASHFS_H
#define KILN_PLAN_SQUASHFS_MKSQUASHFS_H

/*
 * squashfs with `compression = "lzo"`: Debian's libsquashfs has no LZO
 * (licence), its mksquashfs has; kiln runs mksquashfs for lzo only, as a
 * tool type (plan/tooltype.h), on the tree materialised under tmppath.
 */

struct build;
struct diag;
struct image;
struct squashfs_opts;
struct tooljob;

/*
 * squashfs_mksquashfs - make @img's squashfs with mksquashfs into @j
 * (tooljob_finish()ed: j->fd open, img->size set). The materialised tree
 * gives names, data, file modes, times and hard links; the tree's one
 * owner goes through -force-uid/-force-gid, the root's mode and time
 * through -root-*, and mksquashfs's pseudo file (-pf) holds what cannot
 * be created rootless: device nodes, FIFOs, sockets, directory modes
 * without owner rwx. -mkfs-time is @o's; @o's other options are mapped
 * to mksquashfs's. Returns 0, -EINVAL (a node with extended attributes
 * without -no-xattrs, a tree of several owners, a name with a newline, a
 * directory without owner rwx holding a device, FIFO or socket: the path
 * in @d), -ENOMEM, or tool_run()'s errors.
 */
int squashfs_mksquashfs(struct build *b, struct image *img, struct tooljob *j,
			const struct squashfs_opts *o, struct diag *d);

#endif
