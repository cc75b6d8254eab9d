/* SPDX-License-Identifier: MIT */
#ifndef KILN_BOOT_FIP_H
#define KILN_BOOT_FIP_H

/*
 * TF-A's Firmware Image Package (docs/formats/fip.md): a table of
 * contents (a 16-byte header, one 40-byte entry per image, a null-UUID
 * terminator) followed by the images, each at an offset aligned as
 * fiptool's --align (default 1). All fields are little-endian.
 *
 * The codec lays out the ToC; fip_write puts the ToC and the images onto
 * a sink.
 */

#include <stdint.h>

#include "base/ids.h"

struct diag;
struct sink;

#define FIP_TOC_NAME 0xAA640001u
#define FIP_TOC_SERIAL 0x12345678u /* what fiptool writes */
#define FIP_MAX_ENTRIES 64

struct fip_toc_header {
	uint8_t name[4];
	uint8_t serial[4];
	uint8_t flags[8];
} __attribute__((packed));
_Static_assert(sizeof(struct fip_toc_header) == 16, "fip_toc_header");

struct fip_toc_entry {
	uint8_t uuid[16]; /* in the order the UUID is written */
	uint8_t offset[8];
	uint8_t size[8];
	uint8_t flags[8];
} __attribute__((packed));
_Static_assert(sizeof(struct fip_toc_entry) == 40, "fip_toc_entry");

/* A name fiptool (and genimage) knows, with its ToC UUID. */
struct fip_name {
	const char *name; /* fiptool option: "tb-fw", "soc-fw", ... */
	const char *uuid; /* as fiptool prints it: the bytes in ToC order */
};
/* The known names in fiptool's order (its ToC order), NULL-terminated. */
extern const struct fip_name fip_names[];
/* fip_name_find - the entry named @name, or NULL. */
const struct fip_name *fip_name_find(const char *name);

struct fip_entry {
	struct uuid uuid;
	uint64_t size;   /* 0: left out, as fiptool does */
	uint64_t offset; /* set by fip_layout */
	int fd;          /* the image's bytes, for fip_write */
	const char *what; /* its path, for messages */
};

struct fip_plan {
	struct fip_entry *e;
	unsigned n;
	uint64_t align;     /* power of two, >= 1 */
	uint64_t toc_flags; /* fiptool --plat-toc-flags << 32 */
	uint64_t toc_size;  /* header + entries + terminator */
	uint64_t size;      /* whole package, padded to align */
};

/*
 * fip_layout - fix every entry's offset and the package size, entries of
 * size 0 left out (fiptool skips them). Returns 0, -EINVAL (align not a
 * power of two, too many entries) or -EOVERFLOW.
 */
int fip_layout(struct fip_plan *p, struct diag *d);

/*
 * fip_toc_encode - the ToC of a laid-out plan into @out (p->toc_size
 * bytes). Pure layout, no I/O.
 */
void fip_toc_encode(const struct fip_plan *p, uint8_t *out);

/*
 * fip_write - the ToC and every entry's bytes (from e->fd, holes kept)
 * onto @out (p->size bytes). Returns 0 or -errno (-ENOMEM, I/O errors,
 * -EIO when an input changed size), detail in @d.
 */
int fip_write(const struct fip_plan *p, struct sink *out, struct diag *d);

#endif
