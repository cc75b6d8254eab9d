/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_FAT_NAMES_H
#define KILN_FS_FAT_NAMES_H

/*
 * File names on FAT: UTF-8 in, UTF-16 long names on disk, and the 8.3
 * short name every entry must also have. Pure functions, no allocation.
 */

#include <stdbool.h>
#include <stdint.h>

#define FAT_NAME_MAX 255 /* UTF-16 units in a long name */

/*
 * fat_utf8_to_utf16 - decode @s (NUL-terminated) into @out (room for
 * @max units); characters above U+FFFF become surrogate pairs.
 * Returns 0 with *ret_len, -EILSEQ for invalid UTF-8 (overlong forms,
 * encoded surrogates, > U+10FFFF), -ENAMETOOLONG when more than @max.
 */
int fat_utf8_to_utf16(const char *s, uint16_t *out, unsigned max, unsigned *ret_len);

/*
 * fat_name_check - can FAT hold this long name? Returns NULL if yes,
 * else a static string saying why (a forbidden character, a trailing
 * dot or space, which Windows and Linux strip).
 */
const char *fat_name_check(const uint16_t *u, unsigned len);

/* Simple case folding used for VFAT's case-insensitive name comparison
 * (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic). */
uint16_t fat_upcase(uint16_t c);

/* A short name proposal for one long name. */
struct fat_sfn {
	uint8_t name[11];  /* space padded */
	uint8_t ntres;     /* lowercase flags when !need_lfn */
	bool need_lfn;     /* the long name is not the short name */
	bool exact;        /* name[] is the long name itself (upper-cased):
	                    * use it as is if free, no ~N tail */
	uint8_t base_len, ext_len; /* basis lengths for tail generation */
};

/*
 * fat_sfn_basis - derive the short name of @u. A name that fits 8.3 with
 * each part in one case gets an exact short entry with lowercase flags
 * (0x08 base, 0x10 extension) and no long name, as Linux does. Otherwise
 * the basis is the upper-cased name with characters short names cannot
 * hold replaced by '_', spaces and extra dots dropped, cut to 8.3; the
 * caller appends a numeric tail (fat_sfn_tail).
 */
void fat_sfn_basis(const uint16_t *u, unsigned len, struct fat_sfn *ret);

/* Short name "BASIS~N.EXT" for tail @n (1..999999) into @out. */
void fat_sfn_tail(const struct fat_sfn *basis, uint32_t n, uint8_t out[11]);

/*
 * fat_label_encode - a volume label as stored (11 bytes, space padded;
 * "NO NAME    " for NULL or ""). Returns NULL, or why the label cannot be
 * stored: longer than 11 characters, not printable ASCII, one of
 * *?.,;:/\|+=<>[]" or a leading space (the rules mkfs.vfat applies).
 */
const char *fat_label_encode(const char *label, uint8_t out[11]);

#endif
