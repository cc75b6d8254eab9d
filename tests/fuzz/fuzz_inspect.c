/* SPDX-License-Identifier: MIT */
/* Fuzz target: every decoder behind `kiln inspect` (FIT, legacy image,
 * cpio, gzip'd cpio, U-Boot env in its four layouts) on the same bytes,
 * and the mkenvimage text parser. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "boot/cpio.h"
#include "boot/fit.h"
#include "boot/gzip.h"
#include "boot/legacy.h"
#include "boot/ubootenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned sink_count;

static void on_img(void *ud, const struct fit_image_info *i)
{
	(void)ud;
	sink_count += i->nhash + (i->name ? 1 : 0);
}

static void on_conf(void *ud, const struct fit_conf_info *c)
{
	(void)ud;
	sink_count += c->bad_refs;
}

static int on_entry(void *ud, const struct cpio_entry *e)
{
	(void)ud;
	/* touch every byte the decoder hands out */
	for (uint32_t i = 0; i < e->namesize; i++)
		sink_count += (uint8_t)e->name[i];
	for (uint32_t i = 0; i < e->filesize; i++)
		sink_count += e->data[i];
	return 0;
}

static void on_var(void *ud, const char *n, size_t nl, const char *v, size_t vl)
{
	(void)ud;
	for (size_t i = 0; i < nl; i++)
		sink_count += (uint8_t)n[i];
	for (size_t i = 0; i < vl; i++)
		sink_count += (uint8_t)v[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fit_summary s;
	struct legacy_hdr h;
	struct uenv_info info;
	bool a, b, c;
	size_t off;
	uint8_t *plain = NULL;
	size_t plen = 0;

	fit_inspect(data, size, on_img, on_conf, NULL, &s);
	legacy_decode(data, size, &h, &a, &b, &c);
	cpio_decode(data, size, on_entry, NULL, &off);
	if (!gunzip_buf(data, size, 1u << 20, &plain, &plen)) {
		cpio_decode(plain, plen, on_entry, NULL, &off);
		free(plain);
	}
	/* the same bytes as mkenvimage text */
	{
		struct uenv e;
		struct uenv_layout l = { .size = 4096, .pad = 0xff };
		uint8_t *img = malloc(4096);
		uenv_init(&e);
		if (img && !uenv_parse_text(&e, (const char *)data, size, "fuzz", NULL))
			uenv_encode(&e, &l, img, NULL);
		uenv_release(&e);
		free(img);
	}
	for (unsigned k = 0; k < 4; k++) {
		struct uenv_layout l = { .size = size, .redundant = k & 1, .big_endian = k & 2 };
		uenv_decode(data, size, &l, on_var, NULL, &info);
	}
	return 0;
}
