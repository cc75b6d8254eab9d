/* SPDX-License-Identifier: MIT */
/* Minimal unit-test harness: CHECK records a failure and goes on;
 * main() returns non-zero if anything failed (CTest reads the code). */
#ifndef KILN_TEST_T_H
#define KILN_TEST_T_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int t_failures;
static int t_checks;

#define CHECK(cond)                                                                     \
	do {                                                                            \
		t_checks++;                                                             \
		if (!(cond)) {                                                          \
			t_failures++;                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                       \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                              \
	do {                                                                            \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);                        \
		t_checks++;                                                             \
		if (_a != _b) {                                                         \
			t_failures++;                                                   \
			fprintf(stderr, "%s:%d: %s == %s failed: %" PRIu64 " != %" PRIu64 "\n", \
				__FILE__, __LINE__, #a, #b, _a, _b);                    \
		}                                                                       \
	} while (0)

#define CHECK_STR(a, b)                                                                 \
	do {                                                                            \
		const char *_a = (a), *_b = (b);                                        \
		t_checks++;                                                             \
		if (!_a || !_b || strcmp(_a, _b)) {                                     \
			t_failures++;                                                   \
			fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n",   \
				__FILE__, __LINE__, #a, #b, _a ? _a : "(null)",         \
				_b ? _b : "(null)");                                    \
		}                                                                       \
	} while (0)

#define T_RUN(fn)                                                                       \
	do {                                                                            \
		int _f = t_failures;                                                    \
		fn();                                                                   \
		fprintf(stderr, "%s %s\n", t_failures == _f ? "ok  " : "FAIL", #fn);   \
	} while (0)

#define T_DONE()                                                                        \
	(fprintf(stderr, "%d checks, %d failed\n", t_checks, t_failures), t_failures ? 1 : 0)

#endif
