/* SPDX-License-Identifier: MIT */
#include "part/mbr.h"

#include <errno.h>
#include <string.h>

#include "base/endian.h"

#define HEADS 255u
#define SECTORS 63u

static void chs_pack(uint32_t c, uint32_t h, uint32_t s, uint8_t chs[3])
{
	chs[0] = (uint8_t)h;
	chs[1] = (uint8_t)(((c >> 2) & 0xc0) | (s & 0x3f));
	chs[2] = (uint8_t)c;
}

void mbr_chs_genimage(uint64_t lba, uint8_t chs[3])
{
	/* genimage computes in 32 bits and keeps the low cylinder bits. */
	uint32_t l = (uint32_t)lba;
	uint32_t c = l / (SECTORS * HEADS);
	uint32_t s = l ? l % SECTORS + 1 : 0;

	chs[0] = (uint8_t)((l / SECTORS) % HEADS);
	chs[1] = (uint8_t)(((c & 0x300) >> 2) | (s & 0xff));
	chs[2] = (uint8_t)c;
}

void mbr_chs_clamped(uint64_t lba, uint8_t chs[3])
{
	uint64_t c = lba / (SECTORS * HEADS);

	if (c > 1023) {
		chs_pack(1023, 254, 63, chs);
		return;
	}
	chs_pack((uint32_t)c, (uint32_t)((lba / SECTORS) % HEADS), (uint32_t)(lba % SECTORS + 1),
		 chs);
}

void mbr_encode(const struct mbr_table *t, uint8_t out[MBR_TAIL_SIZE])
{
	struct mbr_tail_raw *r = (struct mbr_tail_raw *)out;

	memset(out, 0, MBR_TAIL_SIZE);
	put_le32(r->disk_signature, t->disk_signature);
	for (unsigned i = 0; i < MBR_NENTRIES; i++) {
		const struct mbr_part *p = &t->part[i];
		struct mbr_entry_raw *e = &r->entry[i];

		if (!p->type && !p->start && !p->count && !p->bootable)
			continue;
		e->boot = p->bootable ? MBR_BOOTABLE : 0;
		memcpy(e->chs_first, p->chs_first, 3);
		e->type = p->type;
		memcpy(e->chs_last, p->chs_last, 3);
		put_le32(e->lba_start, p->start);
		put_le32(e->lba_count, p->count);
	}
	r->boot_signature[0] = 0x55;
	r->boot_signature[1] = 0xaa;
}

int mbr_decode(const uint8_t sector[MBR_SECTOR_SIZE], struct mbr_table *ret)
{
	const struct mbr_tail_raw *r = (const struct mbr_tail_raw *)(sector + MBR_TAIL_OFFSET);

	if (r->boot_signature[0] != 0x55 || r->boot_signature[1] != 0xaa)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->disk_signature = get_le32(r->disk_signature);
	for (unsigned i = 0; i < MBR_NENTRIES; i++) {
		const struct mbr_entry_raw *e = &r->entry[i];
		struct mbr_part *p = &ret->part[i];

		p->bootable = e->boot & MBR_BOOTABLE;
		p->type = e->type;
		memcpy(p->chs_first, e->chs_first, 3);
		memcpy(p->chs_last, e->chs_last, 3);
		p->start = get_le32(e->lba_start);
		p->count = get_le32(e->lba_count);
	}
	return 0;
}
