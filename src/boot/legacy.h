/* SPDX-License-Identifier: MIT */
#ifndef KILN_BOOT_LEGACY_H
#define KILN_BOOT_LEGACY_H

/*
 * U-Boot's legacy image: a 64-byte big-endian header, then the data.
 * Boot scripts (`mkimage -T script`) are "multi-file" data: a table of
 * big-endian 32-bit lengths ended by a 0, then the file itself.
 *
 *   0  magic 0x27051956     4  header CRC32 (field zeroed)
 *   8  time                12  data size
 *  16  load address        20  entry point
 *  24  data CRC32          28  os, arch, type, compression (1 byte each)
 *  32  name (32 bytes, NUL-padded)
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEGACY_MAGIC 0x27051956u
#define LEGACY_HDR_LEN 64
#define LEGACY_NAME_LEN 32

/* Numeric codes from U-Boot's include/image.h (the ones kiln writes). */
#define LEGACY_OS_LINUX 5
#define LEGACY_TYPE_SCRIPT 6
#define LEGACY_COMP_NONE 0

struct legacy_hdr {
	uint32_t magic, hcrc, time, size, load, ep, dcrc;
	uint8_t os, arch, type, comp;
	char name[LEGACY_NAME_LEN + 1]; /* NUL-terminated copy */
};

/* Architecture code for a U-Boot arch name ("arm64" -> 22); -1 if unknown. */
int legacy_arch_code(const char *name);
/* Name of an arch/os/type/compression code, or NULL. */
const char *legacy_arch_name(unsigned code);
const char *legacy_os_name(unsigned code);
const char *legacy_type_name(unsigned code);
const char *legacy_comp_name(unsigned code);

/*
 * legacy_encode_header - fill the 64 header bytes for @h (magic, size,
 * name and codes taken from @h; dcrc must be set) and compute the header
 * CRC. A name longer than 32 bytes is cut, as mkimage does.
 */
void legacy_encode_header(const struct legacy_hdr *h, uint8_t out[LEGACY_HDR_LEN]);

/* Bytes before a script's text (the length table). */
#define LEGACY_SCRIPT_PREFIX 8

/* The script length table for @len bytes of script text. */
void legacy_script_prefix(uint32_t len, uint8_t out[LEGACY_SCRIPT_PREFIX]);

/*
 * legacy_decode - parse and check an image of @len bytes.
 * Returns 0 with *ret filled; -EINVAL when it is not a legacy image
 * (short, wrong magic). Check the results: *ret_hcrc_ok, *ret_dcrc_ok
 * (false also when the data is truncated: *ret_truncated).
 */
int legacy_decode(const uint8_t *buf, size_t len, struct legacy_hdr *ret, bool *ret_hcrc_ok,
		  bool *ret_dcrc_ok, bool *ret_truncated);

#endif
