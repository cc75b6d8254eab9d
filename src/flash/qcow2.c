/* SPDX-License-Identifier: MIT */
/* qcow2 version 3: mapping, layout and writer (flash/qcow2.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "flash/qcow2.h"
#include "io/sink.h"

#define C ((uint64_t)QCOW2_CLUSTER)
#define MAX_VIRTUAL (1ull << 50) /* keeps the L1 table within 16 MiB */

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

static int add_range(struct qcow2_plan *p, uint64_t start, uint64_t end, struct diag *d)
{
	uint64_t cs = start / C, ce = div_up(end, C);
	struct qcow2_extent *e;

	if (p->next && p->ext[p->next - 1].end >= cs) {
		if (ce > p->ext[p->next - 1].end)
			p->ext[p->next - 1].end = ce;
		return 0;
	}
	if (p->next >= QCOW2_MAX_EXTENTS)
		return diag_fail(d, -E2BIG, "more than %u data ranges", QCOW2_MAX_EXTENTS);
	if (!(p->next & (p->next - 1))) {
		e = realloc(p->ext, (p->next ? 2 * p->next : 1) * sizeof(*e));
		if (!e)
			return diag_fail(d, -ENOMEM, "out of memory");
		p->ext = e;
	}
	p->ext[p->next++] = (struct qcow2_extent){ cs, ce };
	return 0;
}

int qcow2_map(struct qcow2_plan *p, const struct qcow2_input *in, unsigned n, struct diag *d)
{
	uint64_t end = 0;
	int r;

	for (unsigned i = 0; i < n; i++) {
		off_t off = 0, data, hole;

		if (in[i].base + in[i].size < in[i].base || in[i].base + in[i].size > MAX_VIRTUAL)
			return diag_fail(d, -EFBIG, "virtual disk larger than 1 PiB");
		while ((uint64_t)off < in[i].size) {
			data = lseek(in[i].fd, off, SEEK_DATA);
			if (data < 0 && errno == ENXIO)
				break;
			if (data < 0 && errno == EINVAL) { /* no SEEK_DATA: all data */
				data = off;
				hole = (off_t)in[i].size;
			} else if (data < 0) {
				return diag_fail(d, -errno, "%s: %s", in[i].what, strerror(errno));
			} else {
				hole = lseek(in[i].fd, data, SEEK_HOLE);
				if (hole < 0)
					return diag_fail(d, -errno, "%s: %s", in[i].what, strerror(errno));
			}
			if ((uint64_t)data >= in[i].size)
				break;
			if ((uint64_t)hole > in[i].size)
				hole = (off_t)in[i].size;
			r = add_range(p, in[i].base + (uint64_t)data, in[i].base + (uint64_t)hole, d);
			if (r)
				return r;
			off = hole;
		}
		end = in[i].base + in[i].size;
	}
	p->virtual_size = div_up(end, 512) * 512;
	return 0;
}

int qcow2_layout(struct qcow2_plan *p, struct diag *d)
{
	uint64_t vclusters = div_up(p->virtual_size, C), last = UINT64_MAX, meta, rb = 1, rt = 1;

	if (!p->virtual_size || p->virtual_size > MAX_VIRTUAL)
		return diag_fail(d, -EFBIG, "virtual size %llu: must be 1 byte to 1 PiB",
				 (unsigned long long)p->virtual_size);
	p->l1_entries = div_up(vclusters, QCOW2_L2_ENTRIES);
	p->l1_clusters = div_up(p->l1_entries * 8, C);
	p->data_clusters = p->l2_tables = 0;
	for (unsigned i = 0; i < p->next; i++) {
		uint64_t a = p->ext[i].start / QCOW2_L2_ENTRIES, b = (p->ext[i].end - 1) / QCOW2_L2_ENTRIES;

		p->data_clusters += p->ext[i].end - p->ext[i].start;
		p->l2_tables += b - a + 1 - (a == last);
		last = b;
	}
	/* The refcount blocks count every cluster, themselves included. */
	for (;;) {
		meta = 1 + rt + p->l1_clusters + rb + p->l2_tables;
		p->clusters = meta + p->data_clusters;
		uint64_t nrb = div_up(p->clusters, QCOW2_REFBLOCK_ENTRIES), nrt = div_up(nrb * 8, C);

		if (nrb == rb && nrt == rt)
			break;
		rb = nrb;
		rt = nrt;
	}
	p->refblocks = rb;
	p->rt_clusters = rt;
	p->rt_offset = C;
	p->l1_offset = p->rt_offset + rt * C;
	p->rb_offset = p->l1_offset + p->l1_clusters * C;
	p->l2_offset = p->rb_offset + rb * C;
	p->data_offset = p->l2_offset + p->l2_tables * C;
	p->file_size = p->clusters * C;
	return 0;
}

void qcow2_header_encode(const struct qcow2_plan *p, uint8_t *out)
{
	struct qcow2_header *h = (struct qcow2_header *)out;

	memset(out, 0, QCOW2_HEADER_LENGTH + 8); /* + end of extensions: type 0, length 0 */
	put_be32(h->magic, QCOW2_MAGIC);
	put_be32(h->version, 3);
	put_be32(h->cluster_bits, QCOW2_CLUSTER_BITS);
	put_be64(h->size, p->virtual_size);
	put_be32(h->l1_size, (uint32_t)p->l1_entries);
	put_be64(h->l1_table_offset, p->l1_offset);
	put_be64(h->refcount_table_offset, p->rt_offset);
	put_be32(h->refcount_table_clusters, (uint32_t)p->rt_clusters);
	put_be32(h->refcount_order, QCOW2_REFCOUNT_ORDER);
	put_be32(h->header_length, QCOW2_HEADER_LENGTH);
}

/* The virtual cluster @v from the inputs (zeros where none). */
static int read_cluster(const struct qcow2_input *in, unsigned n, uint64_t v, uint8_t *buf,
			struct diag *d)
{
	uint64_t s = v * C, e = s + C;

	memset(buf, 0, C);
	for (unsigned i = 0; i < n; i++) {
		uint64_t a = in[i].base > s ? in[i].base : s;
		uint64_t b = in[i].base + in[i].size < e ? in[i].base + in[i].size : e;

		while (a < b) {
			ssize_t got = pread(in[i].fd, buf + (a - s), b - a, (off_t)(a - in[i].base));

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				return diag_fail(d, -errno, "%s: %s", in[i].what, strerror(errno));
			if (!got)
				return diag_fail(d, -EIO, "%s: changed while reading", in[i].what);
			a += (uint64_t)got;
		}
	}
	return 0;
}

static int put(struct sink *out, const void *buf, uint64_t len, uint64_t off, struct diag *d)
{
	int r = sink_pwrite(out, buf, len, off);

	return r ? diag_fail(d, r, "qcow2: write at %llu: %s", (unsigned long long)off,
			     strerror(-r)) : 0;
}

int qcow2_write(const struct qcow2_plan *p, const struct qcow2_input *in, unsigned n,
		struct sink *out, struct diag *d)
{
	uint8_t *buf = malloc(C), *l2 = malloc(C), *l1 = calloc(p->l1_clusters, C);
	uint64_t l2n = 0, di = 0, cur = UINT64_MAX;
	int r = -ENOMEM;

	if (!buf || !l2 || !l1) {
		diag_fail(d, r, "out of memory");
		goto out;
	}
	qcow2_header_encode(p, buf);
	if ((r = put(out, buf, QCOW2_HEADER_LENGTH + 8, 0, d)))
		goto out;
	/* Refcount table, a cluster at a time (entries past the last are 0). */
	for (uint64_t c = 0, i = 0; c < p->rt_clusters; c++) {
		memset(buf, 0, C);
		for (unsigned k = 0; k < C / 8 && i < p->refblocks; k++, i++)
			put_be64(buf + 8 * k, p->rb_offset + i * C);
		if ((r = put(out, buf, C, p->rt_offset + c * C, d)))
			goto out;
	}
	/* Refcount blocks: 1 for every cluster of the (dense) file. */
	for (uint64_t c = 0; c < p->refblocks; c++) {
		memset(buf, 0, C);
		for (uint64_t k = 0; k < QCOW2_REFBLOCK_ENTRIES; k++)
			if (c * QCOW2_REFBLOCK_ENTRIES + k < p->clusters)
				put_be16(buf + 2 * k, 1);
		if ((r = put(out, buf, C, p->rb_offset + c * C, d)))
			goto out;
	}
	/* L2 tables and data in virtual order; the L1 table is filled on
	 * the way and written last. */
	for (unsigned i = 0; i < p->next; i++) {
		for (uint64_t v = p->ext[i].start; v < p->ext[i].end; v++, di++) {
			uint64_t l1i = v / QCOW2_L2_ENTRIES, host = p->data_offset + di * C;

			if (l1i != cur) {
				if (cur != UINT64_MAX &&
				    (r = put(out, l2, C, p->l2_offset + (l2n++) * C, d)))
					goto out;
				memset(l2, 0, C);
				cur = l1i;
				put_be64(l1 + 8 * l1i, (p->l2_offset + l2n * C) | QCOW2_COPIED);
			}
			put_be64(l2 + 8 * (v % QCOW2_L2_ENTRIES), host | QCOW2_COPIED);
			if ((r = read_cluster(in, n, v, buf, d)) || (r = put(out, buf, C, host, d)))
				goto out;
		}
	}
	if (cur != UINT64_MAX && (r = put(out, l2, C, p->l2_offset + (l2n++) * C, d)))
		goto out;
	r = put(out, l1, p->l1_clusters * C, p->l1_offset, d);
out:
	free(buf);
	free(l2);
	free(l1);
	return r;
}

void qcow2_plan_release(struct qcow2_plan *p)
{
	free(p->ext);
	p->ext = NULL;
	p->next = 0;
}
