/* SPDX-License-Identifier: MIT */
/* Fuzz target: the erofs reader (erofs_check) on hostile images. It must
 * never read outside the buffer, loop without bound or crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "fs/erofs/erofs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct erofs_summary s;
	struct diag d = { 0 };
	/* An exact-size copy, so ASan sees any read past the end. */
	uint8_t *img = malloc(size ? size : 1);

	if (!img)
		return 0;
	memcpy(img, data, size);
	(void)erofs_check(img, size, 32, &s, &d);
	free(img);
	return 0;
}
