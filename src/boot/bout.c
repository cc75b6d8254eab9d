/* SPDX-License-Identifier: MIT */
#include "boot/bout.h"

#include <string.h>

#include "io/sink.h"

static int emit_sink(struct bout *o, const void *buf, size_t len)
{
	/* Padding (buf NULL) is data too: a boot artifact is read whole. */
	int r = buf ? sink_pwrite(o->sink, buf, len, o->off) : sink_fill(o->sink, o->off, len, 0);

	if (!r)
		o->off += len;
	return r;
}

static int emit_count(struct bout *o, const void *buf, size_t len)
{
	(void)buf;
	o->off += len;
	return 0;
}

void bout_sink(struct bout *o, struct sink *s)
{
	memset(o, 0, sizeof(*o));
	o->emit = emit_sink;
	o->sink = s;
}

void bout_count(struct bout *o)
{
	memset(o, 0, sizeof(*o));
	o->emit = emit_count;
}
