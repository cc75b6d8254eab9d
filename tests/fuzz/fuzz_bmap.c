/* SPDX-License-Identifier: MIT */
/* Fuzz target: the bmap XML reader. Inputs whose BmapFileChecksum slot
 * is present get a correct checksum patched in first, so mutations reach
 * the range parser instead of all dying at the checksum check. Whatever
 * parses must survive a format -> parse round trip unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/hash.h"
#include "flash/bmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void patch_checksum(char *t, size_t n)
{
	static const char tag[] = "<BmapFileChecksum>";
	char *p = memmem(t, n, tag, sizeof(tag) - 1);
	uint8_t sum[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];

	if (!p)
		return;
	p += sizeof(tag) - 1;
	while (p < t + n && *p == ' ')
		p++;
	if ((size_t)(t + n - p) < 2 * SHA256_LEN)
		return;
	memset(p, '0', 2 * SHA256_LEN);
	if (sha256_buf(t, n, sum))
		return;
	hex_encode(sum, SHA256_LEN, hex);
	memcpy(p, hex, 2 * SHA256_LEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { 0 };
	struct bmap m, m2;
	char *t = malloc(size + 1), *out = NULL;
	size_t outlen;

	if (!t)
		return 0;
	memcpy(t, data, size);
	t[size] = 0;
	patch_checksum(t, size);
	bmap_init(&m);
	if (bmap_parse(t, size, "fuzz", &m, &d) == 0) {
		if (m.has_cs && m.version_major == 2 && bmap_format(&m, &out, &outlen) == 0) {
			bmap_init(&m2);
			if (bmap_parse(out, outlen, "roundtrip", &m2, &d) ||
			    m2.nranges != m.nranges || m2.image_size != m.image_size ||
			    m2.mapped_count != m.mapped_count)
				abort();
			for (size_t i = 0; i < m.nranges; i++)
				if (m2.ranges[i].first != m.ranges[i].first ||
				    m2.ranges[i].last != m.ranges[i].last ||
				    memcmp(m2.ranges[i].cs, m.ranges[i].cs, SHA256_LEN))
					abort();
			bmap_release(&m2);
			free(out);
		}
		bmap_release(&m);
	}
	free(t);
	return 0;
}
