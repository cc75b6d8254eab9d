/* SPDX-License-Identifier: MIT */
/* Fuzz target: the FAT boot sector decoder. A sector that decodes is
 * encoded again and must decode to the same fields. */
#include <stdint.h>
#include <string.h>

#include "fs/fat/fat-format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Field by field: struct copies need not keep padding bytes. */
static int same(const struct fat_bpb *a, const struct fat_bpb *b)
{
	return a->fat_type == b->fat_type && !memcmp(a->oem, b->oem, sizeof(a->oem)) &&
	       a->bytes_per_sector == b->bytes_per_sector &&
	       a->sectors_per_cluster == b->sectors_per_cluster &&
	       a->reserved_sectors == b->reserved_sectors && a->num_fats == b->num_fats &&
	       a->root_entries == b->root_entries && a->total_sectors == b->total_sectors &&
	       a->media == b->media && a->fat_sectors == b->fat_sectors &&
	       a->sectors_per_track == b->sectors_per_track && a->heads == b->heads &&
	       a->hidden_sectors == b->hidden_sectors && a->drive_number == b->drive_number &&
	       a->volume_id == b->volume_id && !memcmp(a->label, b->label, sizeof(a->label)) &&
	       a->root_cluster == b->root_cluster && a->fsinfo_sector == b->fsinfo_sector &&
	       a->backup_boot_sector == b->backup_boot_sector;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sec[512] = { 0 }, out[512];
	struct fat_bpb b, c;

	memcpy(sec, data, size < sizeof(sec) ? size : sizeof(sec));
	if (fat_bpb_decode(sec, &b))
		return 0;
	fat_bpb_encode(&b, out);
	if (fat_bpb_decode(out, &c) || !same(&b, &c))
		__builtin_trap();
	return 0;
}
