/* SPDX-License-Identifier: MIT */
/* Fuzz target: the mkenvimage text format (uenv_parse_text). Whatever
 * parses is encoded in every layout, decoded again, and must give back
 * the same variables in the same order with a good CRC. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "boot/ubootenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	const struct uenv *e;
	size_t i;
	int bad;
};

static void on_var(void *ud, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct check *c = ud;
	const struct uenv_var *v;

	if (c->i >= c->e->n) {
		c->bad = 1;
		return;
	}
	v = &c->e->v[c->i++];
	if (strlen(v->name) != nlen || memcmp(v->name, name, nlen) ||
	    strlen(v->value) != vlen || memcmp(v->value, value, vlen))
		c->bad = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uenv e;
	struct diag d = { 0 };

	uenv_init(&e);
	if (uenv_parse_text(&e, (const char *)data, size, "fuzz.txt", &d) == 0) {
		uint64_t need = uenv_data_needed(&e);

		if (need < 2)
			need = 2; /* an empty list is still "\0\0" */

		for (int k = 0; k < 4; k++) {
			/* Exactly the room needed, then one byte too small. */
			struct uenv_layout l = { .size = need + 4 + (k & 1), .redundant = k & 1,
						 .big_endian = k & 2, .pad = k ? 0xff : 0 };
			struct uenv_info info;
			struct check c = { .e = &e };
			uint8_t *img;

			if (l.size > UENV_MAX_SIZE)
				break;
			img = malloc(l.size);
			if (!img)
				break;
			diag_clear(&d);
			if (uenv_encode(&e, &l, img, &d) != 0)
				__builtin_trap(); /* it fits by construction */
			if (uenv_decode(img, l.size, &l, on_var, &c, &info) != 0 || !info.crc_ok ||
			    c.bad || c.i != e.n)
				__builtin_trap();
			l.size--;
			diag_clear(&d);
			if (uenv_encode(&e, &l, img, &d) == 0)
				__builtin_trap(); /* one byte short must not fit */
			free(img);
		}
	}
	diag_clear(&d);
	uenv_release(&e);
	return 0;
}
