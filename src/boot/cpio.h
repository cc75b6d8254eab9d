/* SPDX-License-Identifier: MIT */
#ifndef KILN_BOOT_CPIO_H
#define KILN_BOOT_CPIO_H

/*
 * cpio "newc" (SVR4 without CRC, magic 070701): what the Linux kernel
 * unpacks as an initramfs. Each entry is a 110-byte ASCII header of
 * thirteen 8-digit hex fields, the NUL-terminated name padded to a
 * multiple of 4 (counting the header), the data padded to 4. The
 * archive ends with an entry named "TRAILER!!!"; kiln pads the whole to
 * a multiple of 512 bytes as GNU cpio does.
 *
 * kiln's archive of a tree: "." for the root, then every path without a
 * leading "./", in the tree's sorted pre-order (parents first). Inode
 * numbers count from 1 in that order; the names of a hard-link group
 * share one inode number and the group's link count, and the data is
 * stored with the group's last name (earlier names have size 0), as
 * GNU cpio writes it. Times, owners and device numbers come from the
 * tree; the "device" (st_dev) fields are 0.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bout;
struct diag;
struct tree;

#define CPIO_HDR_LEN 110
#define CPIO_MAX_NAME 4096

struct cpio_entry {
	uint32_t ino, mode, uid, gid, nlink, mtime, filesize;
	uint32_t devmajor, devminor, rdevmajor, rdevminor;
	const char *name;   /* decode: points into the buffer, not NUL-terminated */
	uint32_t namesize;  /* including the NUL */
	const uint8_t *data; /* decode only */
};

/* Encode one header (the 110 ASCII bytes; no name). */
void cpio_encode_header(const struct cpio_entry *e, uint8_t out[CPIO_HDR_LEN]);

/*
 * cpio_write_tree - write @t (finished) as a newc archive to @o.
 * @measure: write zeros instead of reading file data (sizing).
 * Returns 0; -EFBIG for a file of 4 GiB or more (newc's limit), -E2BIG
 * for a path over CPIO_MAX_NAME, -EIO/-errno reading a source (diag
 * names it), or what @o returns.
 */
int cpio_write_tree(struct tree *t, struct bout *o, bool measure, struct diag *d);

/*
 * cpio_decode - walk a newc archive in @buf, calling @cb per entry up
 * to the trailer (not reported). Never reads outside @buf.
 * Returns 0; -EINVAL for a bad magic/hex field or a truncated entry
 * (*ret_off says where), -ENODATA when the trailer is missing; or
 * @cb's non-zero value.
 */
int cpio_decode(const uint8_t *buf, size_t len, int (*cb)(void *ud, const struct cpio_entry *e),
		void *ud, size_t *ret_off);

/* True if @buf starts with a newc magic ("070701" or "070702"). */
bool cpio_magic(const void *buf, size_t len);

#endif
