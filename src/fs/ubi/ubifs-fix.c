/* SPDX-License-Identifier: MIT */
/* The random UUID and build-time stamps of a mkfs.ubifs image made reproducible (see ubifs-fix.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/ids.h"
#include "fs/ubi/ubi.h"
#include "fs/ubi/ubifs-fix.h"

/* UBIFS on-media layout (linux/fs/ubifs/ubifs-media.h). */
#define NODE_MAGIC 0x06101831u
#define CH_SIZE 24u         /* common header: magic, crc, sqnum, len, type */
#define CH_CRC 4u
#define CH_LEN 16u
#define CH_TYPE 20u
#define PAD_NODE_SIZE 28u   /* header + pad_len */
#define PAD_BYTE 0xceu      /* fills gaps too small for a padding node */
#define MIN_LEB (15u * 1024)
#define MAX_LEB (2u * 1024 * 1024)

enum { INO_NODE = 0, PAD_NODE = 5, SB_NODE = 6 };

/* superblock node */
#define SB_FLAGS 28u
#define SB_LEB_SIZE 36u
#define SB_LEB_CNT 40u
#define SB_LOG_LEBS 56u
#define SB_LPT_LEBS 60u
#define SB_ORPH_LEBS 64u
#define SB_UUID 108u
#define SB_SIZE 4096u
#define FLG_AUTHENTICATION 0x20u

/* inode node */
#define INO_ATIME 56u
#define INO_CTIME 64u
#define INO_MTIME 72u
#define INO_ATIME_NS 80u
#define INO_CTIME_NS 84u
#define INO_MTIME_NS 88u
#define INO_SIZE 160u

#define MASTER_LEBS 2u

struct fix {
	int fd;
	const char *path;
	uint64_t fsize;
	uint32_t leb_size;
	uint8_t *buf;
	struct diag *d;
};

static int bad(struct fix *f, const char *what, uint64_t at)
{
	return diag_fail(f->d, -EINVAL, "%s: %s at byte %llu (not an image mkfs.ubifs writes?)",
			 f->path, what, (unsigned long long)at);
}

/* A node's CRC (UBIFS: crc32_le seeded with ~0, not inverted; the same as UBI's). */
static uint32_t node_crc(const uint8_t *n, uint32_t len)
{
	return ubi_crc32(n + 8, len - 8);
}

static int io(struct fix *f, bool write, void *buf, size_t len, uint64_t off)
{
	ssize_t n = write ? pwrite(f->fd, buf, len, (off_t)off) : pread(f->fd, buf, len, (off_t)off);

	if (n < 0)
		return diag_fail(f->d, -errno, "%s: %s", f->path, strerror(errno));
	if ((size_t)n != len)
		return write ? diag_fail(f->d, -EIO, "%s: short write", f->path)
			     : bad(f, "short read", off);
	return 0;
}

/* The stamps the materialised copy got from the host become its mtime. */
static void fix_inode(uint8_t *n)
{
	memcpy(n + INO_ATIME, n + INO_MTIME, 8);
	memcpy(n + INO_CTIME, n + INO_MTIME, 8);
	memcpy(n + INO_ATIME_NS, n + INO_MTIME_NS, 4);
	memcpy(n + INO_CTIME_NS, n + INO_MTIME_NS, 4);
}

/*
 * Walk the nodes of LEB @leb: each is 8-byte aligned; a padding node or
 * a run of PAD_BYTE fills the end of a write unit; 0xff starts the LEB's
 * unwritten rest. Inode nodes are fixed and the LEB written back if so.
 */
static int fix_leb(struct fix *f, uint32_t leb)
{
	uint64_t base = (uint64_t)leb * f->leb_size;
	uint32_t len = f->leb_size, o = 0;
	bool dirty = false;
	int r;

	if (base >= f->fsize)
		return 0;
	if (f->fsize - base < len)
		len = (uint32_t)(f->fsize - base);
	if ((r = io(f, false, f->buf, len, base)))
		return r;
	while (o + CH_SIZE <= len) {
		uint8_t *n = f->buf + o;
		uint32_t nlen, type;

		if (n[0] == 0xff)
			break;
		if (n[0] == PAD_BYTE) {
			o++;
			continue;
		}
		if (get_le32(n) != NODE_MAGIC)
			return bad(f, "no UBIFS node", base + o);
		nlen = get_le32(n + CH_LEN);
		type = n[CH_TYPE];
		if (nlen < CH_SIZE || nlen > len - o)
			return bad(f, "node length out of its LEB", base + o);
		if (get_le32(n + CH_CRC) != node_crc(n, nlen))
			return bad(f, "node CRC mismatch", base + o);
		if (type == PAD_NODE) {
			if (nlen != PAD_NODE_SIZE || get_le32(n + CH_SIZE) > len - o - nlen)
				return bad(f, "bad padding node", base + o);
			o += nlen + get_le32(n + CH_SIZE);
			continue;
		}
		if (type == INO_NODE) {
			if (nlen < INO_SIZE)
				return bad(f, "inode node too short", base + o);
			fix_inode(n);
			put_le32(n + CH_CRC, node_crc(n, nlen));
			dirty = true;
		}
		o += (nlen + 7u) & ~7u;
	}
	return dirty ? io(f, true, f->buf, len, base) : 0;
}

int ubifs_fix_ids(const char *path, const struct uuid *uuid, struct diag *d)
{
	struct fix f = { .fd = -1, .path = path, .d = d };
	uint8_t sb[SB_SIZE];
	uint32_t nlebs, lpt_first, lpt_end;
	struct stat st;
	int r;

	f.fd = open(path, O_RDWR | O_CLOEXEC);
	if (f.fd < 0)
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (fstat(f.fd, &st)) {
		r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	f.fsize = (uint64_t)st.st_size;
	if ((r = io(&f, false, sb, sizeof(sb), 0)))
		goto out;
	if (get_le32(sb) != NODE_MAGIC || sb[CH_TYPE] != SB_NODE ||
	    get_le32(sb + CH_LEN) < SB_UUID + 16 || get_le32(sb + CH_LEN) > SB_SIZE ||
	    get_le32(sb + CH_CRC) != node_crc(sb, get_le32(sb + CH_LEN))) {
		r = bad(&f, "no superblock node", 0);
		goto out;
	}
	f.leb_size = get_le32(sb + SB_LEB_SIZE);
	if (f.leb_size < MIN_LEB || f.leb_size > MAX_LEB || f.leb_size % 8) {
		r = bad(&f, "LEB size out of range", SB_LEB_SIZE);
		goto out;
	}
	/* The index hashes every node under authentication: nothing may change. */
	if (get_le32(sb + SB_FLAGS) & FLG_AUTHENTICATION)
		goto out;
	nlebs = (uint32_t)((f.fsize + f.leb_size - 1) / f.leb_size);
	/* The LPT area holds bit-packed lprops, not nodes: skipped. */
	lpt_first = 1 + MASTER_LEBS + get_le32(sb + SB_LOG_LEBS);
	lpt_end = lpt_first + get_le32(sb + SB_LPT_LEBS);
	if (lpt_first < get_le32(sb + SB_LOG_LEBS) || lpt_end < lpt_first ||
	    get_le32(sb + SB_LEB_CNT) < lpt_end) {
		r = bad(&f, "area sizes out of range", SB_LOG_LEBS);
		goto out;
	}
	f.buf = malloc(f.leb_size);
	if (!f.buf) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	/* LEB 0 is the superblock's: only its first node is one kiln knows. */
	memcpy(sb + SB_UUID, uuid->b, 16);
	put_le32(sb + CH_CRC, node_crc(sb, get_le32(sb + CH_LEN)));
	r = io(&f, true, sb, get_le32(sb + CH_LEN), 0);
	for (uint32_t leb = 1; !r && leb < nlebs; leb++)
		if (leb < lpt_first || leb >= lpt_end)
			r = fix_leb(&f, leb);
out:
	free(f.buf);
	if (close(f.fd) && !r)
		r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	return r;
}
