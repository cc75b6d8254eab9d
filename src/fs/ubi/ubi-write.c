/* SPDX-License-Identifier: MIT */
/* UBI writer: the layout volume and each volume's LEBs onto a sink (ubi.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/ubi/ubi.h"
#include "io/sink.h"

#define UBI_COMPAT_REJECT 5

/* Read exactly @len bytes of @fd at @off. */
static int read_at(int fd, void *buf, size_t len, uint64_t off, const char *path, struct diag *d)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
		if (!n)
			return diag_fail(d, -EIO, "%s: changed while reading (shorter than planned)",
					 path);
		done += (size_t)n;
	}
	return 0;
}

/* PEB @peb: EC header, VID header (already in @buf), 0xFF between. */
static int put_peb(const struct ubi_geom *g, uint8_t *buf, uint64_t peb, struct sink *out,
		   struct diag *d)
{
	int r = sink_pwrite(out, buf, g->peb_size, peb * g->peb_size);

	return r ? diag_fail(d, r, "writing PEB %llu: %s", (unsigned long long)peb, strerror(-r))
		 : 0;
}

static int write_layout(const struct ubi_geom *g, const struct ubi_volume *v, unsigned n,
			uint8_t *buf, struct sink *out, struct diag *d)
{
	int r = 0;

	memset(buf, 0xff, g->peb_size);
	ubi_ec_hdr_encode(g, buf);
	ubi_vtbl_encode(g, v, n, buf + g->data_offs);
	for (uint32_t lnum = 0; lnum < UBI_LAYOUT_VOLUME_EBS && !r; lnum++) {
		ubi_vid_hdr_encode(g, UBI_LAYOUT_VOLUME_ID, UBI_VOL_DYNAMIC, UBI_COMPAT_REJECT,
				   lnum, NULL, 0, 0, buf + g->vid_hdr_offs);
		r = put_peb(g, buf, lnum, out, d);
	}
	return r;
}

static int write_volume(const struct ubi_geom *g, const struct ubi_volume *v, uint64_t *peb,
			uint8_t *buf, struct sink *out, struct diag *d)
{
	uint64_t used = ubi_volume_pebs(g, v), left = v->data_len;
	uint8_t *data = buf + g->data_offs;
	int fd, r = 0;

	fd = open(v->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", v->path, strerror(errno));
	memset(buf, 0xff, g->data_offs);
	ubi_ec_hdr_encode(g, buf);
	for (uint32_t lnum = 0; lnum < used && !r; lnum++) {
		uint32_t len = left < g->leb_size ? (uint32_t)left : g->leb_size;

		r = read_at(fd, data, len, (uint64_t)lnum * g->leb_size, v->path, d);
		if (r)
			break;
		memset(data + len, 0xff, g->leb_size - len);
		ubi_vid_hdr_encode(g, v->id, v->type, 0, lnum, data, len, (uint32_t)used,
				   buf + g->vid_hdr_offs);
		r = put_peb(g, buf, (*peb)++, out, d);
		left -= len;
	}
	close(fd);
	return r;
}

int ubi_write(const struct ubi_geom *g, const struct ubi_volume *v, unsigned n,
	      struct sink *out, struct diag *d)
{
	uint8_t *buf = malloc(g->peb_size);
	uint64_t peb = UBI_LAYOUT_VOLUME_EBS;
	int r;

	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	r = write_layout(g, v, n, buf, out, d);
	for (unsigned i = 0; i < n && !r; i++)
		if (v[i].path)
			r = write_volume(g, &v[i], &peb, buf, out, d);
	free(buf);
	return r;
}
