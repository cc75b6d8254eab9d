/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_SPILL_H
#define KILN_FS_SPILL_H

/*
 * The spill file: one temporary file in tmppath holding the bytes of
 * every archive member and generated file (inline content, /etc/passwd
 * rewritten for users), so a tree node can point at its data with
 * (src_path, src_off) like any host file and memory stays bounded.
 *
 * Data is appended in *regions*. A region remembers where it was
 * written, so composing the same layer again (setup and generate both
 * ask for a tree) hands out the same offsets without writing twice:
 * the caller must reserve the same sizes in the same order, which
 * reading the same input does.
 *
 * A spill with dir == NULL stores nothing (offsets are still handed
 * out): for listing-only uses and fuzzing.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/tmpfile.h"

struct diag;

struct spill {
	char *dir;      /* where to create the file (NULL: discard data) */
	char *path;     /* created on first write: the file, or /proc/self/fd/N */
	int fd;         /* -1 until created */
	struct tmpfile tmp;
	uint64_t end;   /* bytes handed out so far */
	/* Small members arrive one after another: coalesce them. */
	uint8_t *buf;
	uint64_t buf_off; /* file offset of buf[0] */
	size_t buf_len;
};

struct spill_region {
	bool done;
	uint64_t base, len;
};

/* A cursor appending into (or replaying) one region. */
struct spill_writer {
	struct spill *s;
	struct spill_region *reg;
	uint64_t pos;
	bool writing;   /* false: region already written, only replay offsets */
};

/* spill_init - an empty spill that will create its file in @dir (may be
 * NULL). Returns 0 or -ENOMEM. */
int spill_init(struct spill *s, const char *dir);

/* spill_open - create the file now rather than at the first write (in
 * the thread that owns the undo log: a named temporary is recorded
 * there). Returns 0 or the diag'd -errno. */
int spill_open(struct spill *s, struct diag *d);
/* spill_release - close and delete the file. */
void spill_release(struct spill *s);

/* spill_begin - start appending to @reg (or replaying it if done). */
void spill_begin(struct spill *s, struct spill_region *reg, struct spill_writer *ret);

/*
 * spill_reserve - reserve @len bytes; *ret_off is their file offset.
 * Creates the file on first use. Returns 0, -EOVERFLOW past the 2^62
 * limit, or -errno when the file cannot be created.
 */
int spill_reserve(struct spill_writer *w, uint64_t len, uint64_t *ret_off, struct diag *d);

/*
 * spill_write - write @len bytes at absolute offset @off (inside a
 * reservation). No-op when replaying or discarding. Returns 0 or
 * -errno (diag names the spill file).
 */
int spill_write(struct spill_writer *w, uint64_t off, const void *buf, uint64_t len,
		struct diag *d);

/* spill_end - finish the region (marks it done on success). */
int spill_end(struct spill_writer *w, struct diag *d);

/* The path nodes should use as src_path ("" when discarding). */
const char *spill_path(const struct spill *s);

#endif
