/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_UBI_H
#define KILN_FS_UBI_H

/*
 * UBI images as mtd-utils' ubinize makes them: physical erase blocks
 * (PEBs) 0 and 1 hold the layout volume (the volume table, twice), then
 * each volume's data, volume after volume, one logical erase block (LEB)
 * per PEB behind an erase-counter (EC) and a volume-id (VID) header.
 * Unwritten bytes are 0xFF, as erased NAND reads. Headers are big-endian
 * and carry UBI's CRC-32 (ubi_crc32()).
 *
 * The codec (ubi.c) lays out the headers; the writer (ubi-write.c) puts
 * the volumes onto a sink. Same geometry, volumes and image_seq give the
 * same bytes as `ubinize -Q IMAGE_SEQ`.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct sink;

#define UBI_EC_HDR_SIZE 64
#define UBI_VID_HDR_SIZE 64
#define UBI_VTBL_RECORD_SIZE 172
#define UBI_MAX_VOLUMES 128
#define UBI_VOL_NAME_MAX 127
#define UBI_LAYOUT_VOLUME_ID 0x7fffefffu
#define UBI_LAYOUT_VOLUME_EBS 2
/* Largest PEB kiln accepts: one PEB is buffered while writing. */
#define UBI_MAX_PEB_SIZE (64u << 20)

enum ubi_vol_type {
	UBI_VOL_DYNAMIC = 1,
	UBI_VOL_STATIC = 2,
};

/* Volume table flags (ubinize's vol_flags). */
#define UBI_VOL_FLAG_AUTORESIZE 0x01
#define UBI_VOL_FLAG_SKIP_CHECK 0x02

struct ubi_geom {
	uint32_t peb_size, min_io, subpage;
	uint32_t vid_hdr_offs;    /* VID header offset in a PEB */
	uint32_t data_offs;       /* first data byte in a PEB */
	uint32_t leb_size;        /* peb_size - data_offs */
	uint32_t max_volumes;     /* volume table records */
	uint32_t image_seq;
	uint64_t ec;              /* erase counter of every PEB (ubinize -e) */
	uint8_t version;          /* UBI version (ubinize -x): 1 */
};

/*
 * ubi_geom_init - fix the geometry as ubinize does from -p, -m, -s and
 * -O. @subpage 0 means @min_io; @vid_hdr_offs 0 means the first sub-page
 * after the EC header. Errors (-EINVAL, the value named in @d): a size
 * that is zero or not a power of two where UBI needs one, a sub-page
 * larger than the min. I/O unit, a VID header offset below 64, not a
 * multiple of 8 or past the PEB, no room for a LEB, a PEB over
 * UBI_MAX_PEB_SIZE.
 */
int ubi_geom_init(struct ubi_geom *g, uint32_t peb_size, uint32_t min_io, uint32_t subpage,
		  uint32_t vid_hdr_offs, struct diag *d);

struct ubi_volume {
	const char *name;         /* 1..UBI_VOL_NAME_MAX bytes */
	uint32_t id;              /* < max_volumes */
	enum ubi_vol_type type;
	uint8_t flags;            /* UBI_VOL_FLAG_* */
	uint64_t bytes;           /* the volume's size (reserved LEBs = bytes / LEB, rounded up) */
	const char *path;         /* its image file, or NULL: an empty volume */
	uint64_t data_len;        /* bytes of that file written into the volume */
};

/* UBI's CRC-32: seed ~0, reflected, no final inversion. */
uint32_t ubi_crc32(const void *buf, size_t len);

/* The 64-byte EC header of every PEB. */
void ubi_ec_hdr_encode(const struct ubi_geom *g, uint8_t out[UBI_EC_HDR_SIZE]);

/* The VID header of LEB @lnum of volume @vol_id; for a static volume
 * (@data non-NULL) with its @data_size bytes and @used_ebs LEBs. */
void ubi_vid_hdr_encode(const struct ubi_geom *g, uint32_t vol_id, enum ubi_vol_type type,
			uint8_t compat, uint32_t lnum, const void *data, uint32_t data_size,
			uint32_t used_ebs, uint8_t out[UBI_VID_HDR_SIZE]);

/* The volume table: @vtbl (max_volumes records) gets an empty record,
 * CRC included, everywhere and then each volume's record. */
void ubi_vtbl_encode(const struct ubi_geom *g, const struct ubi_volume *v, unsigned n,
		     uint8_t *vtbl);

/* LEBs (= PEBs) holding @v's data. */
uint64_t ubi_volume_pebs(const struct ubi_geom *g, const struct ubi_volume *v);

/*
 * ubi_volumes_check - the checks ubinize makes: ids below max_volumes
 * and unique, names 1..127 bytes and unique, size ≥ 1 and ≥ the data,
 * no empty image file,
 * at most one autoresize volume. -EINVAL naming the volume in @d, its
 * index in *@ret_bad.
 */
int ubi_volumes_check(const struct ubi_geom *g, const struct ubi_volume *v, unsigned n,
		      unsigned *ret_bad, struct diag *d);

/* Bytes of the image: the layout PEBs and every volume's data PEBs
 * (ubinize writes nothing for the rest of a volume). */
uint64_t ubi_image_bytes(const struct ubi_geom *g, const struct ubi_volume *v, unsigned n);

/*
 * ubi_write - write the image onto @out (at least ubi_image_bytes()
 * long). Volume data is read from each volume's path; a file shorter
 * than data_len fails with its path in @d. Every byte is written as data
 * (0xFF fill included: erased flash is not zeros). 0 or -errno.
 */
int ubi_write(const struct ubi_geom *g, const struct ubi_volume *v, unsigned n,
	      struct sink *out, struct diag *d);

#endif
