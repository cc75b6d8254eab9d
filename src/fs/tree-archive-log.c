/* SPDX-License-Identifier: MIT */
/* Archive layers: the replay log of the members a layer kept, so a later
 * composition imports them again without decompressing the archive. */
#include "fs/tree-archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "fs/tree-archive-int.h"

/* One kept member, as recorded in a replay log: this fixed part, then
 * the name, the hard link target and the symlink target (each with its
 * NUL, when present), then the xattrs (u32 name length, u32 value
 * length, name, NUL, value). */
struct rec {
	int64_t uid, gid, mtime, size;
	uint64_t data_off;
	uint32_t type, mode, rdev_major, rdev_minor;
	uint32_t name_len, hl_len, link_len, nxattrs;
	uint32_t flags;
	uint32_t mtime_ns;
};

enum { REC_MTIME = 1, REC_SIZE = 2, REC_HL = 4, REC_LINK = 8, REC_DATA = 16 };

void tree_archive_log_free(struct tree_archive_log *log)
{
	if (!log)
		return;
	free(log->buf);
	free(log->abs_name);
	free(log->data_path);
	free(log);
}

/* Make room for @len more bytes in the log. */
static uint8_t *log_grow(struct imp *im, struct tree_archive_log *log, size_t len)
{
	if (len > SIZE_MAX / 2 - log->len) {
		diag_fail(im->d, -ENOMEM, "out of memory");
		return NULL;
	}
	if (log->len + len > log->cap) {
		size_t nc = log->cap ? log->cap : 4096;
		while (nc < log->len + len)
			nc *= 2;
		uint8_t *nb = realloc(log->buf, nc);
		if (!nb) {
			diag_fail(im->d, -ENOMEM, "out of memory");
			return NULL;
		}
		log->buf = nb;
		log->cap = nc;
	}
	uint8_t *p = log->buf + log->len;
	log->len += len;
	return p;
}

static int log_str(struct imp *im, struct tree_archive_log *log, const char *s, size_t len)
{
	uint8_t *p = log_grow(im, log, len + 1);

	if (!p)
		return -ENOMEM;
	memcpy(p, s, len);
	p[len] = 0;
	return 0;
}

/* Record a member kept by a layer's filters in its log; its data (if
 * any) is at @data_off. */
int ta_log_member(struct imp *im, struct tree_archive_log *log, const struct member *m,
		  bool has_data, uint64_t data_off)
{
	struct rec rc;
	const char *xn;
	const void *xv;
	size_t xl;
	int r;

	memset(&rc, 0, sizeof(rc));
	rc.uid = m->uid;
	rc.gid = m->gid;
	rc.mtime = m->mtime;
	rc.mtime_ns = m->mtime_ns;
	rc.size = m->size;
	rc.type = m->type;
	rc.mode = m->mode;
	rc.rdev_major = m->rdev_major;
	rc.rdev_minor = m->rdev_minor;
	rc.flags = (m->mtime_set ? REC_MTIME : 0) | (m->size_set ? REC_SIZE : 0) |
		   (m->hl ? REC_HL : 0) | (m->link ? REC_LINK : 0) | (has_data ? REC_DATA : 0);
	rc.data_off = data_off;
	/* Names were checked (at most TREE_ARCHIVE_MAX_NAME) on import. */
	rc.name_len = (uint32_t)strlen(m->name);
	rc.hl_len = m->hl ? (uint32_t)strlen(m->hl) : 0;
	rc.link_len = m->link ? (uint32_t)strnlen(m->link, TREE_ARCHIVE_MAX_NAME + 1) : 0;
	archive_entry_xattr_reset(m->e);
	while (archive_entry_xattr_next(m->e, &xn, &xv, &xl) == ARCHIVE_OK)
		rc.nxattrs++;
	uint8_t *p = log_grow(im, log, sizeof(rc));
	if (!p)
		return -ENOMEM;
	memcpy(p, &rc, sizeof(rc));
	if ((r = log_str(im, log, m->name, rc.name_len)) ||
	    (m->hl && (r = log_str(im, log, m->hl, rc.hl_len))) ||
	    (m->link && (r = log_str(im, log, m->link, rc.link_len))))
		return r;
	archive_entry_xattr_reset(m->e);
	while (archive_entry_xattr_next(m->e, &xn, &xv, &xl) == ARCHIVE_OK) {
		/* Kept as they came, good or bad: add_xattrs judges on replay. */
		uint32_t nl = xn ? (uint32_t)strlen(xn) : 0;
		uint32_t vl = xl > XATTR_MAX ? XATTR_MAX + 1 : (uint32_t)xl;
		if (!(p = log_grow(im, log, 8)))
			return -ENOMEM;
		memcpy(p, &nl, 4);
		memcpy(p + 4, &vl, 4);
		if ((r = log_str(im, log, xn ? xn : "", nl)))
			return r;
		if (vl <= XATTR_MAX && vl) {
			if (!(p = log_grow(im, log, vl)))
				return -ENOMEM;
			memcpy(p, xv, vl);
		}
	}
	log->nmembers++;
	return 0;
}

void ta_drop_siblings(struct imp *im)
{
	for (unsigned k = 0; k < im->nsib; k++)
		tree_archive_log_free(im->sib[k]);
	im->nsib = 0;
}

/* Record member @m (already imported for this layer) in sibling @k's log
 * when its filters keep it; its data is read here unless this layer
 * read it already. */
int ta_record_sibling(struct imp *im, unsigned k, const struct member *m)
{
	const struct tree_archive_sibling *sb = &im->o->siblings[k];
	struct tree_archive_log *log = im->sib[k];
	char clean[TREE_ARCHIVE_MAX_NAME + 1];
	int abs = 0, r;

	/* Names this layer refuses never get here: the import stopped. */
	if (!m->name || strlen(m->name) > TREE_ARCHIVE_MAX_NAME ||
	    tree_archive_clean_path(m->name, clean, sizeof(clean), &abs))
		return 0;
	if (abs && !log->abs_name && !(log->abs_name = strdup(m->name)))
		return diag_fail(im->d, -ENOMEM, "out of memory");
	if (!ta_member_filter(sb->include, sb->ninclude, sb->subdir, clean, true))
		return 0;
	bool need = m->size_set && m->size > 0 && (m->hl || m->type == AE_IFREG);
	if (need && !im->has_data) {
		bool clean_diag = im->d && !im->d->err;
		r = ta_read_data(im, m->a, m->name, (uint64_t)m->size, &im->data_off);
		if (r && clean_diag) {
			/* Not this layer's member: this layer's import must go
			 * on as if unshared; the sibling will read for itself. */
			if (r == -ENOMEM)
				return r;
			diag_clear(im->d);
			ta_drop_siblings(im);
			return 0;
		}
		im->has_data = true;
	}
	return ta_log_member(im, log, m, need, im->data_off);
}

/* Import every member of @log again, in order. */
int ta_replay(struct imp *im, const struct tree_archive_log *log)
{
	/* An empty log has no buffer: NULL + 0 is undefined behaviour. */
	const uint8_t *p = log->buf, *end = log->buf ? log->buf + log->len : NULL;
	int r;

	if (log->abs_name) {
		diag_warn(im->d, "%s: removing leading '/' from member names (first: \"%s\")",
			  im->o->name, log->abs_name);
		im->warned_abs = true;
	}
	while (p < end) {
		struct rec rc;
		memcpy(&rc, p, sizeof(rc));
		p += sizeof(rc);
		struct member m = {
			.type = rc.type,
			.mode = rc.mode,
			.rdev_major = rc.rdev_major,
			.rdev_minor = rc.rdev_minor,
			.uid = rc.uid,
			.gid = rc.gid,
			.mtime = rc.mtime,
			.mtime_ns = rc.mtime_ns,
			.size = rc.size,
			.mtime_set = rc.flags & REC_MTIME,
			.size_set = rc.flags & REC_SIZE,
			.has_data = rc.flags & REC_DATA,
			.data_off = rc.data_off,
			.nxattrs = rc.nxattrs,
		};
		m.name = (const char *)p;
		p += rc.name_len + 1;
		if (rc.flags & REC_HL) {
			m.hl = (const char *)p;
			p += rc.hl_len + 1;
		}
		if (rc.flags & REC_LINK) {
			m.link = (const char *)p;
			p += rc.link_len + 1;
		}
		m.xattrs = p;
		for (uint32_t i = 0; i < rc.nxattrs; i++) {
			uint32_t nl, vl;
			memcpy(&nl, p, 4);
			memcpy(&vl, p + 4, 4);
			p += 8 + nl + 1 + (vl <= XATTR_MAX ? vl : 0);
		}
		if (++im->count > TREE_ARCHIVE_MAX_ENTRIES ||
		    im->t->nnodes >= TREE_ARCHIVE_MAX_ENTRIES)
			return diag_fail(im->d, -E2BIG, "%s: more than %u entries in the tree",
					 im->o->name, TREE_ARCHIVE_MAX_ENTRIES);
		if ((r = ta_import_member(im, &m)))
			return r;
	}
	return 0;
}

/* Walk the records of a log (tree-archive-export.c): check each lies
 * within @len, and hand every data reference to @fn, which may move it. */
int ta_log_walk(uint8_t *buf, size_t len, uint64_t *ret_n,
		int (*fn)(void *ud, uint64_t *data_off, uint64_t size), void *ud)
{
	size_t pos = 0;
	uint64_t n = 0;

	while (pos < len) {
		struct rec rc;
		if (len - pos < sizeof(rc))
			return -EINVAL;
		memcpy(&rc, buf + pos, sizeof(rc));
		size_t rec_at = pos;
		pos += sizeof(rc);
		const uint32_t lens[3] = { rc.name_len, rc.hl_len, rc.link_len };
		const bool has[3] = { true, rc.flags & REC_HL, rc.flags & REC_LINK };
		for (int i = 0; i < 3; i++) {
			if (!has[i])
				continue;
			if (lens[i] > TREE_ARCHIVE_MAX_NAME || len - pos <= lens[i] ||
			    buf[pos + lens[i]] || strlen((const char *)buf + pos) != lens[i])
				return -EINVAL;
			pos += lens[i] + 1;
		}
		for (uint32_t i = 0; i < rc.nxattrs; i++) {
			uint32_t nl, vl;
			if (len - pos < 8)
				return -EINVAL;
			memcpy(&nl, buf + pos, 4);
			memcpy(&vl, buf + pos + 4, 4);
			pos += 8;
			uint64_t need = (uint64_t)nl + 1 + (vl <= XATTR_MAX ? vl : 0);
			if (nl > TREE_ARCHIVE_MAX_NAME || vl > XATTR_MAX + 1 || len - pos < need ||
			    buf[pos + nl])
				return -EINVAL;
			pos += (size_t)need;
		}
		if (rc.flags & REC_DATA) {
			if (rc.size <= 0)
				return -EINVAL;
			int r = fn(ud, &rc.data_off, (uint64_t)rc.size);
			if (r)
				return r;
			memcpy(buf + rec_at, &rc, sizeof(rc));
		}
		n++;
	}
	*ret_n = n;
	return 0;
}

size_t ta_log_rec_size(void)
{
	return sizeof(struct rec);
}
