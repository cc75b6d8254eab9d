/* SPDX-License-Identifier: MIT */
/*
 * Decoded archive layers: a replay log and its members' data in one
 * self-contained file, so the build cache (plan/trees-cache.c) can keep
 * what decompressing an archive produced and later builds replay it
 * without decompressing again. This file knows nothing of the cache:
 * it writes through a callback and loads from a descriptor.
 *
 * Layout (host byte order, like the log it carries; the format number
 * and byte order are part of the cache key):
 *   header (56 bytes): magic "KILNLAY\0", u32 format, u32 0,
 *                      u64 nmembers, abs_len, log_len, data_start, data_len
 *   abs_name (abs_len bytes, no NUL), the log (log_len bytes), zero
 *   padding to data_start (8-aligned), the data (data_len bytes).
 * Data offsets in the log are offsets in this file, so tree nodes point
 * straight into it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/tree-archive-int.h"

#define LAYER_FORMAT 1u
#define HDR_LEN 56
#define MAX_LOG (UINT64_C(1) << 31)

static const char layer_magic[8] = "KILNLAY";

struct hdr {
	char magic[8];
	uint32_t format, zero;
	uint64_t nmembers, abs_len, log_len, data_start, data_len;
};
_Static_assert(sizeof(struct hdr) == HDR_LEN, "no padding in the header");

uint32_t tree_archive_layer_format(void)
{
	/* A change to the record layout changes the format by itself. */
	return LAYER_FORMAT << 16 | (uint32_t)ta_log_rec_size();
}

bool tree_archive_log_is_loaded(const struct tree_archive_log *log)
{
	return log && log->data_path;
}

/* One member's data: where it was in the spill file, where it goes. */
struct move {
	uint64_t old, new, size;
};

struct plan {
	struct move *v;
	size_t n, cap;
	uint64_t next; /* file offset for the next member's data */
};

static int plan_one(void *ud, uint64_t *off, uint64_t size)
{
	struct plan *p = ud;
	struct move *last = p->n ? &p->v[p->n - 1] : NULL;

	/* Data shared by two records (a hard link set read once) moves once. */
	if (last && *off < last->old + last->size) {
		size_t lo = 0, hi = p->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (p->v[mid].old < *off)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == p->n || p->v[lo].old != *off || p->v[lo].size != size)
			return -EINVAL;
		*off = p->v[lo].new;
		return 0;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 256;
		struct move *v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	if (size > UINT64_MAX - p->next)
		return -EOVERFLOW;
	p->v[p->n++] = (struct move){ *off, p->next, size };
	*off = p->next;
	p->next += size;
	return 0;
}

static int copy_data(int spill_fd, const struct move *m,
		     int (*write_fn)(void *ud, const void *buf, size_t len), void *ud)
{
	static const size_t chunk = 1u << 20;
	uint8_t *buf = malloc(chunk);
	uint64_t done = 0;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	while (!r && done < m->size) {
		size_t want = m->size - done < chunk ? (size_t)(m->size - done) : chunk;
		ssize_t k = pread(spill_fd, buf, want, (off_t)(m->old + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? -errno : -EIO;
			break;
		}
		r = write_fn(ud, buf, (size_t)k);
		done += (uint64_t)k;
	}
	free(buf);
	return r;
}

int tree_archive_log_export(const struct tree_archive_log *log, int spill_fd,
			    int (*write_fn)(void *ud, const void *buf, size_t len), void *ud,
			    struct diag *d)
{
	static const uint8_t zeros[8];
	size_t abs_len = log->abs_name ? strlen(log->abs_name) : 0;
	struct plan p = { 0 };
	uint8_t *copy = NULL;
	uint64_t n = 0;
	struct hdr h;
	int r;

	if (log->data_path)
		return diag_fail(d, -EINVAL, "decoded layer: already a loaded one");
	if (log->len && !(copy = malloc(log->len)))
		return diag_fail(d, -ENOMEM, "out of memory");
	if (log->len)
		memcpy(copy, log->buf, log->len);
	uint64_t text_end = HDR_LEN + (uint64_t)abs_len + log->len;
	p.next = (text_end + 7) & ~UINT64_C(7);
	memset(&h, 0, sizeof(h));
	h.data_start = p.next;
	r = copy ? ta_log_walk(copy, log->len, &n, plan_one, &p) : 0;
	if (r) {
		diag_fail(d, r, "decoded layer: %s",
			  r == -EINVAL ? "unexpected log" : strerror(-r));
		goto out;
	}
	if (p.n && spill_fd < 0) {
		r = diag_fail(d, -EINVAL, "decoded layer: data without a spill file");
		goto out;
	}
	memcpy(h.magic, layer_magic, 8);
	h.format = tree_archive_layer_format();
	h.nmembers = log->nmembers;
	h.abs_len = abs_len;
	h.log_len = log->len;
	h.data_len = p.next - h.data_start;
	size_t pad = (size_t)(h.data_start - text_end);
	if ((r = write_fn(ud, &h, sizeof(h))) ||
	    (abs_len && (r = write_fn(ud, log->abs_name, abs_len))) ||
	    (log->len && (r = write_fn(ud, copy, log->len))) ||
	    (pad && (r = write_fn(ud, zeros, pad))))
		goto fail;
	for (size_t i = 0; i < p.n; i++)
		if ((r = copy_data(spill_fd, &p.v[i], write_fn, ud)))
			goto fail;
	goto out;
fail:
	diag_fail(d, r, "decoded layer: %s", strerror(-r));
out:
	free(p.v);
	free(copy);
	return r;
}

struct bounds {
	uint64_t lo, hi;
};

static int check_one(void *ud, uint64_t *off, uint64_t size)
{
	const struct bounds *b = ud;

	if (*off < b->lo || *off > b->hi || size > b->hi - *off)
		return -EINVAL;
	return 0;
}

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t k = pread(fd, p, len, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		len -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

int tree_archive_log_load(int fd, const char *path, const struct stat *archive_st,
			  struct tree_archive_log **ret, struct diag *d)
{
	struct tree_archive_log *log = NULL;
	struct stat st;
	struct hdr h;
	uint64_t n = 0;
	int r;

	if (fstat(fd, &st))
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	r = (uint64_t)st.st_size < HDR_LEN ? -EINVAL : read_at(fd, &h, sizeof(h), 0);
	if (r)
		goto bad;
	r = -EINVAL;
	if (memcmp(h.magic, layer_magic, 8) || h.format != tree_archive_layer_format() ||
	    h.abs_len > TREE_ARCHIVE_MAX_NAME || h.log_len > MAX_LOG ||
	    h.data_start != ((HDR_LEN + h.abs_len + h.log_len + 7) & ~UINT64_C(7)) ||
	    h.data_len > (uint64_t)st.st_size ||
	    h.data_start != (uint64_t)st.st_size - h.data_len ||
	    h.nmembers > TREE_ARCHIVE_MAX_ENTRIES)
		goto bad;
	log = calloc(1, sizeof(*log));
	if (!log || !(log->data_path = strdup(path)) ||
	    (h.abs_len && !(log->abs_name = calloc(1, (size_t)h.abs_len + 1))) ||
	    (h.log_len && !(log->buf = malloc((size_t)h.log_len)))) {
		tree_archive_log_free(log);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	log->len = log->cap = (size_t)h.log_len;
	log->nmembers = h.nmembers;
	if ((h.abs_len && (r = read_at(fd, log->abs_name, (size_t)h.abs_len, HDR_LEN))) ||
	    (h.log_len && (r = read_at(fd, log->buf, log->len, HDR_LEN + h.abs_len))))
		goto bad;
	struct bounds b = { h.data_start, h.data_start + h.data_len };
	if (log->abs_name && strlen(log->abs_name) != h.abs_len)
		r = -EINVAL;
	else if (log->buf)
		r = ta_log_walk(log->buf, log->len, &n, check_one, &b);
	else
		r = 0;
	if (r || n != h.nmembers) {
		r = -EINVAL;
		goto bad;
	}
	if (archive_st) {
		log->have_stat = true;
		log->st = *archive_st;
	}
	*ret = log;
	return 0;
bad:
	tree_archive_log_free(log);
	return diag_fail(d, r, "%s: not a decoded layer of this kiln (%s)", path,
			 r == -EINVAL ? "bad header or records" : strerror(-r));
}
