/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "io/sink.h"

/* Fails the Nth mutating call, so tests can walk every error path of a
 * writer (SQLite's test_malloc, e2fsprogs' TEST_IO_WRITE_ABORT). */
struct fault_sink {
	struct sink s;
	struct sink *inner;
	unsigned calls, fail_at;
};

static int tick(struct fault_sink *f)
{
	return ++f->calls == f->fail_at ? -EIO : 0;
}

static int fault_pwrite(struct sink *s, const void *buf, size_t len, uint64_t off)
{
	struct fault_sink *f = s->priv;
	int r = tick(f);

	return r ? r : sink_pwrite(f->inner, buf, len, off);
}

static int fault_pread(struct sink *s, void *buf, size_t len, uint64_t off)
{
	struct fault_sink *f = s->priv;

	return sink_pread(f->inner, buf, len, off);
}

static int fault_zero(struct sink *s, uint64_t off, uint64_t len)
{
	struct fault_sink *f = s->priv;
	int r = tick(f);

	return r ? r : sink_zero(f->inner, off, len);
}

static int fault_sync(struct sink *s)
{
	struct fault_sink *f = s->priv;
	int r = tick(f);

	return r ? r : sink_sync(f->inner);
}

static void fault_release(struct sink *s)
{
	free(s->priv);
}

static const struct sink_ops fault_ops = {
	.pwrite = fault_pwrite,
	.pread = fault_pread,
	.zero = fault_zero,
	.sync = fault_sync,
	.release = fault_release,
};

int sink_fault_new(struct sink **ret, struct sink *inner, unsigned fail_at)
{
	struct fault_sink *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->inner = inner;
	f->fail_at = fail_at;
	f->s.ops = &fault_ops;
	f->s.priv = f;
	f->s.size = inner->size;
	*ret = &f->s;
	return 0;
}
