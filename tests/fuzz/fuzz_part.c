/* SPDX-License-Identifier: MIT */
/* Fuzz target: the MBR and GPT decoders on arbitrary bytes. A decoded
 * table is re-encoded and must decode to the same values. */
#include <stdint.h>
#include <string.h>

#include "part/gpt.h"
#include "part/mbr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sector[MBR_SECTOR_SIZE] = { 0 }, tail[MBR_TAIL_SIZE], hdr[GPT_HEADER_SIZE];
	struct mbr_table t, u;
	struct gpt_header h, g;

	memcpy(sector, data, size < sizeof(sector) ? size : sizeof(sector));
	if (mbr_decode(sector, &t) == 0) {
		mbr_encode(&t, tail);
		memcpy(sector + MBR_TAIL_OFFSET, tail, sizeof(tail));
		if (mbr_decode(sector, &u) || u.disk_signature != t.disk_signature)
			__builtin_trap();
		for (unsigned i = 0; i < MBR_NENTRIES; i++)
			if (u.part[i].start != t.part[i].start ||
			    u.part[i].count != t.part[i].count)
				__builtin_trap();
	}
	/* GPT header: at offset 0 and at LBA 1 of the input, any length. */
	for (size_t off = 0; off <= 512 && off < size; off += 512) {
		int r = gpt_header_decode(data + off, size - off, &h);
		if (r == 0) {
			gpt_header_encode(&h, hdr);
			if (gpt_header_decode(hdr, sizeof(hdr), &g) ||
			    g.first_usable != h.first_usable || g.entries_lba != h.entries_lba)
				__builtin_trap();
		}
	}
	/* Entries: every 128-byte slot. */
	for (size_t off = 0; off + GPT_ENTRY_SIZE <= size; off += GPT_ENTRY_SIZE) {
		struct gpt_entry e, f;
		uint8_t out[GPT_ENTRY_SIZE];
		gpt_entry_decode(data + off, &e);
		gpt_entry_encode(&e, out);
		gpt_entry_decode(out, &f);
		if (memcmp(out, data + off, GPT_ENTRY_SIZE) || memcmp(&e, &f, sizeof(e)))
			__builtin_trap();
		(void)gpt_entry_is_unused(data + off);
	}
	/* Names: the input as a NUL-terminated string. */
	{
		char s[256];
		uint16_t n[GPT_NAME_LEN];
		size_t l = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
		memcpy(s, data, l);
		s[l] = 0;
		(void)gpt_name_from_utf8(s, n);
	}
	return 0;
}
