/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_SCRATCH_H
#define KILN_PLAN_SCRATCH_H

/*
 * A scratch file for images whose size is their compressed content
 * (squashfs, compressed tar): setup writes the image once into an
 * anonymous file in tmppath, which fixes the size for the plan, and
 * generate copies it onto the output sink. The file has no name (it is
 * unlinked at once), so nothing is left behind whatever happens.
 */

#include <stdint.h>

struct diag;
struct sink;

struct scratch {
	int fd;             /* -1: none */
	struct sink *sink;  /* writes into fd, unbounded */
};

/* scratch_open - create the file in @dir (made if missing). 0 or -errno. */
int scratch_open(struct scratch *s, const char *dir, struct diag *d);

/* scratch_copy - copy [0, len) onto @out at 0, keeping holes. */
int scratch_copy(struct scratch *s, struct sink *out, uint64_t len, struct diag *d);

/* scratch_close - release the file; safe on a zeroed or closed scratch. */
void scratch_close(struct scratch *s);

#endif
