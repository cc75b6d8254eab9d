/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io/sink.h"

struct mem_sink {
	struct sink s;
	uint8_t *buf;
	uint64_t len, cap, max;
};

static int mem_reserve(struct mem_sink *m, uint64_t end)
{
	if (end > m->max)
		return -ENOSPC;
	if (end > m->cap) {
		uint64_t nc = m->cap ? m->cap : 4096;
		while (nc < end)
			nc *= 2;
		if (nc > m->max)
			nc = m->max;
		uint8_t *nb = realloc(m->buf, nc);
		if (!nb)
			return -ENOMEM;
		memset(nb + m->cap, 0, nc - m->cap);
		m->buf = nb;
		m->cap = nc;
	}
	if (end > m->len)
		m->len = end;
	return 0;
}

static int mem_pwrite(struct sink *s, const void *buf, size_t len, uint64_t off)
{
	struct mem_sink *m = s->priv;
	int r = mem_reserve(m, off + len);

	if (r)
		return r;
	memcpy(m->buf + off, buf, len);
	return 0;
}

static int mem_pread(struct sink *s, void *buf, size_t len, uint64_t off)
{
	struct mem_sink *m = s->priv;

	if (off >= m->len) {
		memset(buf, 0, len);
		return 0;
	}
	size_t have = m->len - off < len ? (size_t)(m->len - off) : len;
	memcpy(buf, m->buf + off, have);
	memset((uint8_t *)buf + have, 0, len - have);
	return 0;
}

static int mem_zero(struct sink *s, uint64_t off, uint64_t len)
{
	struct mem_sink *m = s->priv;
	int r = mem_reserve(m, off + len);

	if (r)
		return r;
	memset(m->buf + off, 0, len);
	return 0;
}

static void mem_release(struct sink *s)
{
	struct mem_sink *m = s->priv;

	free(m->buf);
	free(m);
}

static const struct sink_ops mem_ops = {
	.pwrite = mem_pwrite,
	.pread = mem_pread,
	.zero = mem_zero,
	.release = mem_release,
};

int sink_mem_new(struct sink **ret, uint64_t max)
{
	struct mem_sink *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->max = max;
	m->s.ops = &mem_ops;
	m->s.priv = m;
	m->s.size = max;
	*ret = &m->s;
	return 0;
}

const uint8_t *sink_mem_data(struct sink *s, uint64_t *ret_len)
{
	struct mem_sink *m = s->priv;

	*ret_len = m->len;
	return m->buf;
}
