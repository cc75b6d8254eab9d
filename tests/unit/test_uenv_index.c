/* SPDX-License-Identifier: MIT */
/* The U-Boot env name index: many variables, duplicates still found
 * (the check used to be a linear scan: 100000 variables took 50 s). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "boot/ubootenv.h"
#include "t.h"

static void test_many_vars(void)
{
	enum { N = 50000 };
	struct uenv e;
	struct diag d = { 0 };
	char *text = malloc(N * 16 + 32);
	size_t len = 0;

	CHECK(text != NULL);
	for (unsigned i = 0; i < N; i++)
		len += (size_t)sprintf(text + len, "v%u=%u\n", i, i);
	uenv_init(&e);
	CHECK(uenv_parse_text(&e, text, len, "env.txt", &d) == 0);
	CHECK_EQ_U64(e.n, N);
	CHECK_STR(e.v[N - 1].name, "v49999");
	/* Every name is found again, in every position. */
	CHECK(uenv_add(&e, "v0", 2, "x", 1, &d) == -EEXIST);
	diag_clear(&d);
	CHECK(uenv_add(&e, "v31337", 6, "x", 1, &d) == -EEXIST);
	diag_clear(&d);
	CHECK(uenv_add(&e, "v49999", 6, "x", 1, &d) == -EEXIST);
	CHECK_STR(d.msg, "duplicate variable v49999");
	diag_clear(&d);
	CHECK(uenv_add(&e, "v50000", 6, "x", 1, &d) == 0);
	uenv_release(&e);

	len += (size_t)sprintf(text + len, "v123=again\n");
	uenv_init(&e);
	CHECK(uenv_parse_text(&e, text, len, "env.txt", &d) == -EEXIST);
	CHECK_STR(d.msg, "env.txt:50001: duplicate variable v123");
	uenv_release(&e);
	free(text);
}

int main(void)
{
	T_RUN(test_many_vars);
	return T_DONE();
}
