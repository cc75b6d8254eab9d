/* SPDX-License-Identifier: MIT */
/* Packages indexes come xz- or gzip-compressed: libarchive's raw format
 * undoes the compression only (net.h). */
#include "pkg/net.h"

#include <archive.h>
#include <stdbool.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"

static bool ends_with(const char *s, const char *sfx)
{
	size_t a = strlen(s), b = strlen(sfx);
	return a >= b && !strcmp(s + a - b, sfx);
}

int pkg_decompress(const char *name, const void *buf, size_t len, uint64_t max, char **ret,
		   size_t *ret_len, struct diag *d)
{
	struct archive *a;
	struct archive_entry *e;
	char *out = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	if (!ends_with(name, ".xz") && !ends_with(name, ".gz") && !ends_with(name, ".zst")) {
		if (len > max)
			return diag_fail(d, -E2BIG, "%s: larger than %" PRIu64 " bytes", name, max);
		if (!(out = malloc(len + 1)))
			return diag_fail(d, -ENOMEM, "out of memory");
		memcpy(out, buf, len);
		out[len] = 0;
		*ret = out;
		*ret_len = len;
		return 0;
	}
	if (!(a = archive_read_new()))
		return diag_fail(d, -ENOMEM, "out of memory");
	if (ends_with(name, ".xz"))
		archive_read_support_filter_xz(a);
	else if (ends_with(name, ".zst")) /* compressed kernel modules */
		archive_read_support_filter_zstd(a);
	else
		archive_read_support_filter_gzip(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK) {
		r = diag_fail(d, -EINVAL, "%s: %s", name, archive_error_string(a));
		goto out;
	}
	for (;;) {
		if (cap - n < 65536 + 1) {
			cap = cap ? cap * 2 : 1 << 20;
			char *nb = realloc(out, cap);
			if (!nb) {
				r = diag_fail(d, -ENOMEM, "out of memory");
				goto out;
			}
			out = nb;
		}
		la_ssize_t k = archive_read_data(a, out + n, 65536);
		if (k < 0) {
			r = diag_fail(d, -EINVAL, "%s: %s", name, archive_error_string(a));
			goto out;
		}
		if (!k)
			break;
		n += (size_t)k;
		if (n > max) {
			r = diag_fail(d, -E2BIG, "%s: decompresses to more than %" PRIu64 " bytes",
				      name, max);
			goto out;
		}
	}
	out[n] = 0;
out:
	archive_read_free(a);
	if (r) {
		free(out);
		return r;
	}
	*ret = out;
	*ret_len = n;
	return 0;
}
