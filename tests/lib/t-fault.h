/* SPDX-License-Identifier: MIT */
/* Fault-path helper for writer unit tests (after t.h). */
#ifndef KILN_TEST_T_FAULT_H
#define KILN_TEST_T_FAULT_H

#include <errno.h>

#include "base/diag.h"
#include "io/sink.h"

/*
 * t_fail_each_call - run @write onto a memory sink of @max bytes behind a
 * fault sink that fails call 1, then 2, ... until @write no longer
 * reaches the failing call. Every failure must be a clean -EIO with a
 * message (ASan checks there is no leak). Returns how many calls failed.
 */
static inline unsigned t_fail_each_call(int (*write)(struct sink *s, void *ud, struct diag *d),
					void *ud, uint64_t max)
{
	unsigned n, failures = 0;

	for (n = 1; n < 100000; n++) {
		struct sink *inner = NULL, *f = NULL;
		struct diag d = { 0 };
		int r;

		CHECK(!sink_mem_new(&inner, max));
		CHECK(!sink_fault_new(&f, inner, n));
		r = write(f, ud, &d);
		sink_release(f);
		sink_release(inner);
		if (!r)
			break;
		failures++;
		if (r != -EIO || !d.msg[0]) {
			fprintf(stderr, "call %u: r=%d %s\n", n, r, d.msg);
			CHECK(!"not a clean -EIO with a message");
			break;
		}
	}
	return failures;
}

#endif
