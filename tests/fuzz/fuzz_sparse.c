/* SPDX-License-Identifier: MIT */
/* Fuzz target: the Android sparse image decoder. Whatever it accepts
 * must expand within the limit to at most total_blocks * block_size
 * bytes, and check-only and expanding runs must agree unless a CRC32
 * chunk is wrong (only expanding checks it). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/diag.h"
#include "flash/sparse.h"
#include "io/sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_OUT (16u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { 0 }, d2 = { 0 };
	struct sparse_header h;
	struct sink *out = NULL;
	uint64_t len;
	int r1, r2;

	r1 = sparse_decode(data, size, NULL, FUZZ_MAX_OUT, &h, &d);
	if (sink_mem_new(&out, FUZZ_MAX_OUT))
		return 0;
	r2 = sparse_decode(data, size, out, FUZZ_MAX_OUT, &h, &d2);
	if (r1 != r2 && !(r1 == 0 && r2 == -EBADMSG))
		abort();
	if (!r2) {
		sink_mem_data(out, &len);
		if (len > (uint64_t)h.total_blocks * h.block_size)
			abort();
	}
	sink_release(out);
	return 0;
}
