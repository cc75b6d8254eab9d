/* SPDX-License-Identifier: MIT */
#ifndef KILN_FLASH_GPT_MOVE_H
#define KILN_FLASH_GPT_MOVE_H

/* After an image is written to a larger device, its backup GPT sits in
 * the middle of the disk. Move it (array + header) to the device's last
 * sectors and point the primary header at it, as `sgdisk -e` would. */

#include <stdbool.h>
#include <stdint.h>

struct diag;

/*
 * gpt_move_backup - on @fd (a device of @dev_size bytes with logical
 * sector size @ssz, holding an image of @image_size bytes): if LBA 1
 * holds a valid GPT header whose backup is the image's last sector,
 * write the entry array and a backup header at the device's end, set the
 * primary's backup LBA and last usable LBA, grow a protective MBR's 0xEE
 * entry, and zero the old backup header. Anything else (no GPT, no
 * backup, backup elsewhere, a hybrid MBR) is left alone: *ret_moved =
 * false. 0 or a negative errno (I/O error, named in the diag).
 */
int gpt_move_backup(int fd, uint64_t image_size, uint64_t dev_size, uint32_t ssz,
		    bool *ret_moved, struct diag *d);

#endif
