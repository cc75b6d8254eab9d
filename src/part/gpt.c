/* SPDX-License-Identifier: MIT */
#include "part/gpt.h"

#include <errno.h>
#include <string.h>

#include "base/endian.h"
#include "base/hash.h"

static const uint8_t gpt_sig[8] = { 'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T' };

void gpt_header_encode(const struct gpt_header *h, uint8_t out[GPT_HEADER_SIZE])
{
	struct gpt_header_raw *r = (struct gpt_header_raw *)out;

	memset(out, 0, GPT_HEADER_SIZE);
	memcpy(r->signature, gpt_sig, 8);
	put_le32(r->revision, h->revision);
	put_le32(r->header_size, GPT_HEADER_SIZE);
	put_le64(r->current_lba, h->current_lba);
	put_le64(r->backup_lba, h->backup_lba);
	put_le64(r->first_usable, h->first_usable);
	put_le64(r->last_usable, h->last_usable);
	memcpy(r->disk_guid, h->disk_guid, 16);
	put_le64(r->entries_lba, h->entries_lba);
	put_le32(r->nentries, h->nentries);
	put_le32(r->entry_size, h->entry_size);
	put_le32(r->entries_crc, h->entries_crc);
	put_le32(r->header_crc, crc32_ieee(0, out, GPT_HEADER_SIZE));
}

int gpt_header_decode(const void *buf, size_t len, struct gpt_header *ret)
{
	const struct gpt_header_raw *r = buf;
	uint8_t tmp[512];
	uint32_t hsize;

	if (len < GPT_HEADER_SIZE || memcmp(r->signature, gpt_sig, 8))
		return -EINVAL;
	hsize = get_le32(r->header_size);
	if (hsize < GPT_HEADER_SIZE || hsize > sizeof(tmp) || hsize > len)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->revision = get_le32(r->revision);
	ret->header_crc = get_le32(r->header_crc);
	ret->current_lba = get_le64(r->current_lba);
	ret->backup_lba = get_le64(r->backup_lba);
	ret->first_usable = get_le64(r->first_usable);
	ret->last_usable = get_le64(r->last_usable);
	memcpy(ret->disk_guid, r->disk_guid, 16);
	ret->entries_lba = get_le64(r->entries_lba);
	ret->nentries = get_le32(r->nentries);
	ret->entry_size = get_le32(r->entry_size);
	ret->entries_crc = get_le32(r->entries_crc);
	/* The CRC covers header_size bytes with the CRC field zeroed. */
	memcpy(tmp, buf, hsize);
	memset(tmp + 16, 0, 4);
	if (crc32_ieee(0, tmp, hsize) != ret->header_crc)
		return -EBADMSG;
	return 0;
}

void gpt_entry_encode(const struct gpt_entry *e, uint8_t out[GPT_ENTRY_SIZE])
{
	struct gpt_entry_raw *r = (struct gpt_entry_raw *)out;

	memset(out, 0, GPT_ENTRY_SIZE);
	memcpy(r->type_guid, e->type_guid, 16);
	memcpy(r->guid, e->guid, 16);
	put_le64(r->first_lba, e->first_lba);
	put_le64(r->last_lba, e->last_lba);
	put_le64(r->attrs, e->attrs);
	for (unsigned i = 0; i < GPT_NAME_LEN; i++)
		put_le16(r->name + 2 * i, e->name[i]);
}

void gpt_entry_decode(const uint8_t in[GPT_ENTRY_SIZE], struct gpt_entry *ret)
{
	const struct gpt_entry_raw *r = (const struct gpt_entry_raw *)in;

	memcpy(ret->type_guid, r->type_guid, 16);
	memcpy(ret->guid, r->guid, 16);
	ret->first_lba = get_le64(r->first_lba);
	ret->last_lba = get_le64(r->last_lba);
	ret->attrs = get_le64(r->attrs);
	for (unsigned i = 0; i < GPT_NAME_LEN; i++)
		ret->name[i] = get_le16(r->name + 2 * i);
}

int gpt_entry_is_unused(const uint8_t in[GPT_ENTRY_SIZE])
{
	for (unsigned i = 0; i < 16; i++)
		if (in[i])
			return 0;
	return 1;
}

uint32_t gpt_array_crc(const void *array, size_t len)
{
	return crc32_ieee(0, array, len);
}

int gpt_name_from_utf8(const char *s, uint16_t out[GPT_NAME_LEN])
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned n = 0;

	memset(out, 0, GPT_NAME_LEN * sizeof(*out));
	while (*p) {
		uint32_t c;
		unsigned more;

		if (*p < 0x80) {
			c = *p;
			more = 0;
		} else if ((*p & 0xe0) == 0xc0) {
			c = *p & 0x1f;
			more = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			c = *p & 0x0f;
			more = 2;
		} else {
			return -EINVAL; /* 4-byte forms are outside the BMP */
		}
		p++;
		for (unsigned k = 0; k < more; k++, p++) {
			if ((*p & 0xc0) != 0x80)
				return -EINVAL;
			c = c << 6 | (*p & 0x3f);
		}
		if ((more == 1 && c < 0x80) ||
		    (more == 2 && (c < 0x800 || (c >= 0xd800 && c < 0xe000))))
			return -EINVAL; /* overlong or surrogate */
		if (n == GPT_NAME_LEN)
			return -ENAMETOOLONG;
		out[n++] = (uint16_t)c;
	}
	return 0;
}
