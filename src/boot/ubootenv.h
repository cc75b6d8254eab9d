/* SPDX-License-Identifier: MIT */
#ifndef KILN_BOOT_UBOOTENV_H
#define KILN_BOOT_UBOOTENV_H

/*
 * U-Boot environment images (what mkenvimage makes, what U-Boot's
 * CONFIG_ENV_IS_IN_FAT/MMC/... reads):
 *
 *   0      CRC32 (zlib's) of the data area, little-endian (or big-endian)
 *   4      redundant layouts only: one flag byte
 *   4|5    "name=value\0" ... then one more "\0"; the rest is pad bytes
 *
 * The CRC covers the whole data area up to the image size, padding
 * included, so the size must equal the board's CONFIG_ENV_SIZE.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;

/* Upper bound on an environment image (U-Boot boards use 4 KiB..1 MiB). */
#define UENV_MAX_SIZE (16u << 20)
/* The flag byte mkenvimage -r writes ("active"). */
#define UENV_FLAG_ACTIVE 1

struct uenv_var {
	char *name;
	char *value;
};

/* An ordered list of variables; names are unique. */
struct uenv {
	struct uenv_var *v;
	size_t n, cap;
	/* Name index (open addressing, entries are index + 1, 0 = free) so
	 * that duplicate checks stay linear for large environments. */
	size_t *hash;
	size_t hcap;
};

struct uenv_layout {
	uint64_t size;    /* whole image, CRC included */
	bool redundant;   /* flag byte after the CRC */
	bool big_endian;  /* CRC stored big-endian */
	uint8_t pad;      /* fill after the list (mkenvimage: 0xff) */
};

void uenv_init(struct uenv *e);
void uenv_release(struct uenv *e);

/*
 * uenv_add - append @name=@value (lengths given, no NUL needed).
 * Returns 0; -EINVAL for an empty name, a name holding '=' or NUL, a
 * value holding NUL; -EEXIST for a name already present; -ENOMEM.
 * The diag text names the variable but not the source: callers add it.
 */
int uenv_add(struct uenv *e, const char *name, size_t nlen, const char *value, size_t vlen,
	     struct diag *d);

/*
 * uenv_parse_text - add the variables of mkenvimage's input format:
 * one "name=value" a line, '#' in column 1 starts a comment line, empty
 * lines are skipped, a backslash before a newline keeps that newline in
 * the value (as mkenvimage does). Errors name @fname:LINE: a line
 * without '=' (-EINVAL), an empty name (-EINVAL), a duplicate (-EEXIST).
 */
int uenv_parse_text(struct uenv *e, const char *text, size_t len, const char *fname,
		    struct diag *d);

/* Bytes the data area needs ("name=value\0"... and the final "\0"). */
uint64_t uenv_data_needed(const struct uenv *e);
/* Bytes of a @l image available for the data area. */
uint64_t uenv_data_room(const struct uenv_layout *l);

/*
 * uenv_encode - lay out @e as an @l->size byte image into @out.
 * Returns 0; -EINVAL for a size too small for the header or above
 * UENV_MAX_SIZE; -ENOSPC when the variables do not fit (the diag says
 * by how many bytes).
 */
int uenv_encode(const struct uenv *e, const struct uenv_layout *l, uint8_t *out,
		struct diag *d);

/* One decoded image. */
struct uenv_info {
	uint32_t crc_stored, crc_computed;
	bool crc_ok;
	uint8_t flag;     /* redundant layouts */
	uint64_t used;    /* bytes of the data area up to the final "\0" */
};

/*
 * uenv_decode - check the CRC of a @len byte image laid out as @l
 * (l->size is ignored: @len is the size) and list its variables through
 * @cb (name, value: not NUL-terminated). Never reads outside @buf.
 * Returns 0 (info filled even when the CRC is wrong: check crc_ok),
 * -EINVAL when @len is too small or the list is malformed (an entry
 * without '=' or no terminator; variables before the fault were listed).
 */
int uenv_decode(const uint8_t *buf, size_t len, const struct uenv_layout *l,
		void (*cb)(void *ud, const char *name, size_t nlen, const char *value,
			   size_t vlen),
		void *ud, struct uenv_info *ret);

#endif
