/* SPDX-License-Identifier: MIT */
/* TF-A Firmware Image Package: layout and writer (boot/fip.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/diag.h"
#include "base/endian.h"
#include "boot/fip.h"
#include "io/sink.h"

int fip_layout(struct fip_plan *p, struct diag *d)
{
	uint64_t off, next, used = 0;

	if (!p->align || (p->align & (p->align - 1)))
		return diag_fail(d, -EINVAL, "align %llu: not a power of two",
				 (unsigned long long)p->align);
	if (p->n > FIP_MAX_ENTRIES)
		return diag_fail(d, -EINVAL, "%u entries, at most %d", p->n, FIP_MAX_ENTRIES);
	for (unsigned i = 0; i < p->n; i++)
		used += p->e[i].size != 0;
	/* As fiptool: the ToC, then each image at the next aligned offset;
	 * the terminator's offset is the aligned end, padded with zeros. */
	p->toc_size = sizeof(struct fip_toc_header) + (used + 1) * sizeof(struct fip_toc_entry);
	off = p->toc_size;
	for (unsigned i = 0; i < p->n; i++) {
		if (!p->e[i].size)
			continue;
		if (u64_roundup(off, p->align, &off) || u64_add(off, p->e[i].size, &next))
			return diag_fail(d, -EOVERFLOW, "package larger than 2^64 bytes");
		p->e[i].offset = off;
		off = next;
	}
	if (u64_roundup(off, p->align, &p->size))
		return diag_fail(d, -EOVERFLOW, "package larger than 2^64 bytes");
	return 0;
}

void fip_toc_encode(const struct fip_plan *p, uint8_t *out)
{
	struct fip_toc_header *h = (struct fip_toc_header *)out;
	struct fip_toc_entry *e = (struct fip_toc_entry *)(h + 1);

	memset(out, 0, p->toc_size);
	put_le32(h->name, FIP_TOC_NAME);
	put_le32(h->serial, FIP_TOC_SERIAL);
	put_le64(h->flags, p->toc_flags);
	for (unsigned i = 0; i < p->n; i++) {
		if (!p->e[i].size)
			continue;
		memcpy(e->uuid, p->e[i].uuid.b, 16);
		put_le64(e->offset, p->e[i].offset);
		put_le64(e->size, p->e[i].size);
		e++;
	}
	/* Terminator: null UUID, offset = end of the package. */
	put_le64(e->offset, p->size);
}

int fip_write(const struct fip_plan *p, struct sink *out, struct diag *d)
{
	uint8_t *toc = malloc(p->toc_size);
	uint64_t end = p->toc_size;
	int r;

	if (!toc)
		return diag_fail(d, -ENOMEM, "out of memory");
	fip_toc_encode(p, toc);
	r = sink_pwrite(out, toc, p->toc_size, 0);
	free(toc);
	if (r)
		return diag_fail(d, r, "writing the ToC: %s", strerror(-r));
	for (unsigned i = 0; i < p->n; i++) {
		const struct fip_entry *e = &p->e[i];

		if (!e->size)
			continue;
		/* Alignment padding is zeros fiptool writes: data, not holes. */
		if (e->offset > end && (r = sink_fill(out, end, e->offset - end, 0)))
			return diag_fail(d, r, "writing padding: %s", strerror(-r));
		r = sink_copy_fd(out, e->offset, e->fd, 0, e->size, e->what, d);
		if (r)
			return r;
		end = e->offset + e->size;
	}
	if (p->size > end && (r = sink_fill(out, end, p->size - end, 0)))
		return diag_fail(d, r, "writing padding: %s", strerror(-r));
	return 0;
}
