/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_ISO_DATES_H
#define KILN_PLAN_ISO_DATES_H

/*
 * genisoimage 1.1.11 stamps an image with the time it ran and ignores
 * SOURCE_DATE_EPOCH: the volume descriptors' dates, and in Rock Ridge TF
 * entries each file's access and attribute-change times (the host's
 * atime/ctime of the materialised copy, i.e. the build time). kiln
 * rewrites those fields in the tool's output so the image is a function
 * of its inputs.
 */

#include <stdint.h>

struct diag;

/*
 * iso_fix_dates - in the ISO 9660 image @path: the creation,
 * modification and effective dates of every primary and supplementary
 * volume descriptor become @epoch (UTC); an expiration date is left as
 * the tool wrote it (genisoimage: none). In the directory tree of each
 * of them, every Rock Ridge TF entry's stamps other than the
 * modification time (creation, access, attributes, backup, expiration,
 * effective) become its modification time (the tree's mtime, already
 * clamped to the epoch), or @epoch if it has none; continuation areas
 * (CE) are followed. Directory records' own dates are the files' mtimes
 * and are kept.
 *
 * Returns 0; -EINVAL (the file is not an image genisoimage writes: no
 * volume descriptor set, a record or extent outside the file, more than
 * ISO_DATES_MAX_DIRS directories), -errno of a read or write, the path
 * in @d.
 */
int iso_fix_dates(const char *path, int64_t epoch, struct diag *d);

#define ISO_DATES_MAX_DIRS (1u << 20)

#endif
