/* SPDX-License-Identifier: MIT */
/* UBI codec: geometry, EC and VID headers, the volume table (ubi.h). */
#include <errno.h>
#include <string.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/hash.h"
#include "fs/ubi/ubi.h"

#define UBI_EC_HDR_MAGIC 0x55424923u  /* "UBI#" */
#define UBI_VID_HDR_MAGIC 0x55424921u /* "UBI!" */
#define UBI_VTBL_RECORD_CRC_LEN (UBI_VTBL_RECORD_SIZE - 4)

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

uint32_t ubi_crc32(const void *buf, size_t len)
{
	/* zlib's CRC-32 inverts at both ends; UBI keeps the raw register. */
	return ~crc32_ieee(0, buf, len);
}

int ubi_geom_init(struct ubi_geom *g, uint32_t peb_size, uint32_t min_io, uint32_t subpage,
		  uint32_t vid_hdr_offs, struct diag *d)
{
	uint32_t data_offs;

	memset(g, 0, sizeof(*g));
	if (!subpage)
		subpage = min_io;
	if (!pow2(min_io))
		return diag_fail(d, -EINVAL, "min. I/O unit size %u is not a power of two", min_io);
	if (!pow2(subpage) || subpage > min_io)
		return diag_fail(d, -EINVAL,
				 "sub-page size %u must be a power of two no larger than the min. I/O unit (%u)",
				 subpage, min_io);
	if (!peb_size || peb_size % min_io || peb_size > UBI_MAX_PEB_SIZE)
		return diag_fail(d, -EINVAL,
				 "PEB size %u must be a multiple of the min. I/O unit (%u), at most %u",
				 peb_size, min_io, UBI_MAX_PEB_SIZE);
	if (!vid_hdr_offs)
		vid_hdr_offs = (UBI_EC_HDR_SIZE + subpage - 1) / subpage * subpage;
	if (vid_hdr_offs < UBI_EC_HDR_SIZE || vid_hdr_offs % 8 ||
	    (uint64_t)vid_hdr_offs + UBI_VID_HDR_SIZE > peb_size)
		return diag_fail(d, -EINVAL,
				 "VID header offset %u must be a multiple of 8 from 64 to the PEB size less 64 (%u)",
				 vid_hdr_offs, peb_size);
	data_offs = (vid_hdr_offs + UBI_VID_HDR_SIZE + min_io - 1) / min_io * min_io;
	if (data_offs + UBI_VTBL_RECORD_SIZE > peb_size)
		return diag_fail(d, -EINVAL,
				 "PEB size %u leaves no room for a LEB after the headers (%u bytes)",
				 peb_size, data_offs);
	g->peb_size = peb_size;
	g->min_io = min_io;
	g->subpage = subpage;
	g->vid_hdr_offs = vid_hdr_offs;
	g->data_offs = data_offs;
	g->leb_size = peb_size - data_offs;
	g->max_volumes = g->leb_size / UBI_VTBL_RECORD_SIZE;
	if (g->max_volumes > UBI_MAX_VOLUMES)
		g->max_volumes = UBI_MAX_VOLUMES;
	g->version = 1;
	return 0;
}

/*
 * EC header: magic, version, 3 pad, ec (be64), vid_hdr_offset, data_offset,
 * image_seq, 32 pad, hdr_crc over the first 60 bytes.
 */
void ubi_ec_hdr_encode(const struct ubi_geom *g, uint8_t out[UBI_EC_HDR_SIZE])
{
	memset(out, 0, UBI_EC_HDR_SIZE);
	put_be32(out, UBI_EC_HDR_MAGIC);
	out[4] = g->version;
	put_be64(out + 8, g->ec);
	put_be32(out + 16, g->vid_hdr_offs);
	put_be32(out + 20, g->data_offs);
	put_be32(out + 24, g->image_seq);
	put_be32(out + 60, ubi_crc32(out, 60));
}

/*
 * VID header: magic, version, vol_type, copy_flag, compat, vol_id, lnum,
 * 4 pad, data_size, used_ebs, data_pad, data_crc, 4 pad, sqnum (be64),
 * 12 pad, hdr_crc. ubinize leaves sqnum 0: the kernel numbers on attach.
 */
void ubi_vid_hdr_encode(const struct ubi_geom *g, uint32_t vol_id, enum ubi_vol_type type,
			uint8_t compat, uint32_t lnum, const void *data, uint32_t data_size,
			uint32_t used_ebs, uint8_t out[UBI_VID_HDR_SIZE])
{
	memset(out, 0, UBI_VID_HDR_SIZE);
	put_be32(out, UBI_VID_HDR_MAGIC);
	out[4] = g->version;
	out[5] = (uint8_t)type;
	out[7] = compat;
	put_be32(out + 8, vol_id);
	put_be32(out + 12, lnum);
	/* data_pad (out + 28) stays 0: kiln's volumes are aligned to 1. */
	if (type == UBI_VOL_STATIC) {
		put_be32(out + 20, data_size);
		put_be32(out + 24, used_ebs);
		put_be32(out + 32, ubi_crc32(data, data_size));
	}
	put_be32(out + 60, ubi_crc32(out, 60));
}

/*
 * Volume table record: reserved_pebs, alignment, data_pad, vol_type,
 * upd_marker, name_len (be16), name[128], flags, 23 pad, crc.
 */
static void vtbl_record(uint8_t *rec, const struct ubi_geom *g, const struct ubi_volume *v)
{
	size_t len;

	memset(rec, 0, UBI_VTBL_RECORD_SIZE);
	if (v) {
		len = strlen(v->name);
		put_be32(rec, (uint32_t)((v->bytes + g->leb_size - 1) / g->leb_size));
		put_be32(rec + 4, 1);
		rec[12] = (uint8_t)v->type;
		put_be16(rec + 14, (uint16_t)len);
		memcpy(rec + 16, v->name, len);
		rec[144] = v->flags;
	}
	put_be32(rec + UBI_VTBL_RECORD_CRC_LEN, ubi_crc32(rec, UBI_VTBL_RECORD_CRC_LEN));
}

void ubi_vtbl_encode(const struct ubi_geom *g, const struct ubi_volume *v, unsigned n,
		     uint8_t *vtbl)
{
	for (uint32_t i = 0; i < g->max_volumes; i++)
		vtbl_record(vtbl + (size_t)i * UBI_VTBL_RECORD_SIZE, g, NULL);
	for (unsigned i = 0; i < n; i++)
		vtbl_record(vtbl + (size_t)v[i].id * UBI_VTBL_RECORD_SIZE, g, &v[i]);
}

uint64_t ubi_volume_pebs(const struct ubi_geom *g, const struct ubi_volume *v)
{
	return v->path ? (v->data_len + g->leb_size - 1) / g->leb_size : 0;
}

int ubi_volumes_check(const struct ubi_geom *g, const struct ubi_volume *v, unsigned n,
		      unsigned *ret_bad, struct diag *d)
{
	unsigned resize = 0;

	for (unsigned i = 0; i < n; i++) {
		*ret_bad = i;
		size_t len = strlen(v[i].name);

		if (v[i].id >= g->max_volumes)
			return diag_fail(d, -EINVAL,
					 "volume '%s': id %u: this geometry holds %u volumes (0..%u)",
					 v[i].name, v[i].id, g->max_volumes, g->max_volumes - 1);
		if (!len || len > UBI_VOL_NAME_MAX)
			return diag_fail(d, -EINVAL, "volume '%s': name must be 1 to %d bytes",
					 v[i].name, UBI_VOL_NAME_MAX);
		if (v[i].path && !v[i].data_len)
			return diag_fail(d, -EINVAL, "volume '%s': image '%s' is empty (ubinize refuses it)",
					 v[i].name, v[i].path);
		if (!v[i].bytes)
			return diag_fail(d, -EINVAL, "volume '%s': size is 0", v[i].name);
		if (v[i].path && v[i].data_len > v[i].bytes)
			return diag_fail(d, -EINVAL,
					 "volume '%s': image '%s' (%llu bytes) is larger than the volume (%llu bytes)",
					 v[i].name, v[i].path, (unsigned long long)v[i].data_len,
					 (unsigned long long)v[i].bytes);
		if ((v[i].bytes + g->leb_size - 1) / g->leb_size > INT32_MAX)
			return diag_fail(d, -EINVAL, "volume '%s': size %llu is too large",
					 v[i].name, (unsigned long long)v[i].bytes);
		if (v[i].flags & UBI_VOL_FLAG_AUTORESIZE && ++resize > 1)
			return diag_fail(d, -EINVAL,
					 "volume '%s': more than one volume has the autoresize flag",
					 v[i].name);
		for (unsigned j = 0; j < i; j++) {
			if (v[j].id == v[i].id)
				return diag_fail(d, -EINVAL, "volumes '%s' and '%s' have the same id %u",
						 v[j].name, v[i].name, v[i].id);
			if (!strcmp(v[j].name, v[i].name))
				return diag_fail(d, -EINVAL, "two volumes are named '%s'",
						 v[i].name);
		}
	}
	return 0;
}

uint64_t ubi_image_bytes(const struct ubi_geom *g, const struct ubi_volume *v, unsigned n)
{
	uint64_t pebs = UBI_LAYOUT_VOLUME_EBS;

	for (unsigned i = 0; i < n; i++)
		pebs += ubi_volume_pebs(g, &v[i]);
	return pebs * g->peb_size;
}
