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
#include "io/patch.h"

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
	struct patch_file p;
	uint32_t leb_size;
	uint8_t *buf;
};

/* A node's CRC (UBIFS: crc32_le seeded with ~0, not inverted; the same as UBI's). */
static uint32_t node_crc(const uint8_t *n, uint32_t len)
{
	return ubi_crc32(n + 8, len - 8);
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

	if (base >= f->p.size)
		return 0;
	if (f->p.size - base < len)
		len = (uint32_t)(f->p.size - base);
	if ((r = patch_read(&f->p, f->buf, len, base)))
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
			return patch_bad(&f->p, "no UBIFS node", base + o);
		nlen = get_le32(n + CH_LEN);
		type = n[CH_TYPE];
		if (nlen < CH_SIZE || nlen > len - o)
			return patch_bad(&f->p, "node length out of its LEB", base + o);
		if (get_le32(n + CH_CRC) != node_crc(n, nlen))
			return patch_bad(&f->p, "node CRC mismatch", base + o);
		if (type == PAD_NODE) {
			if (nlen != PAD_NODE_SIZE || get_le32(n + CH_SIZE) > len - o - nlen)
				return patch_bad(&f->p, "bad padding node", base + o);
			o += nlen + get_le32(n + CH_SIZE);
			continue;
		}
		if (type == INO_NODE) {
			if (nlen < INO_SIZE)
				return patch_bad(&f->p, "inode node too short", base + o);
			fix_inode(n);
			put_le32(n + CH_CRC, node_crc(n, nlen));
			dirty = true;
		}
		o += (nlen + 7u) & ~7u;
	}
	return dirty ? patch_write(&f->p, f->buf, len, base) : 0;
}

int ubifs_fix_ids(const char *path, const struct uuid *uuid, struct diag *d)
{
	struct fix f = { 0 };
	uint8_t sb[SB_SIZE];
	uint32_t nlebs, lpt_first, lpt_end;
	int r;

	if ((r = patch_open(&f.p, path, "mkfs.ubifs", d)))
		return r;
	if ((r = patch_read(&f.p, sb, sizeof(sb), 0)))
		goto out;
	if (get_le32(sb) != NODE_MAGIC || sb[CH_TYPE] != SB_NODE ||
	    get_le32(sb + CH_LEN) < SB_UUID + 16 || get_le32(sb + CH_LEN) > SB_SIZE ||
	    get_le32(sb + CH_CRC) != node_crc(sb, get_le32(sb + CH_LEN))) {
		r = patch_bad(&f.p, "no superblock node", 0);
		goto out;
	}
	f.leb_size = get_le32(sb + SB_LEB_SIZE);
	if (f.leb_size < MIN_LEB || f.leb_size > MAX_LEB || f.leb_size % 8) {
		r = patch_bad(&f.p, "LEB size out of range", SB_LEB_SIZE);
		goto out;
	}
	/* The index hashes every node under authentication: nothing may change. */
	if (get_le32(sb + SB_FLAGS) & FLG_AUTHENTICATION)
		goto out;
	nlebs = (uint32_t)((f.p.size + f.leb_size - 1) / f.leb_size);
	/* The LPT area holds bit-packed lprops, not nodes: skipped. */
	lpt_first = 1 + MASTER_LEBS + get_le32(sb + SB_LOG_LEBS);
	lpt_end = lpt_first + get_le32(sb + SB_LPT_LEBS);
	if (lpt_first < get_le32(sb + SB_LOG_LEBS) || lpt_end < lpt_first ||
	    get_le32(sb + SB_LEB_CNT) < lpt_end) {
		r = patch_bad(&f.p, "area sizes out of range", SB_LOG_LEBS);
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
	r = patch_write(&f.p, sb, get_le32(sb + CH_LEN), 0);
	for (uint32_t leb = 1; !r && leb < nlebs; leb++)
		if (leb < lpt_first || leb >= lpt_end)
			r = fix_leb(&f, leb);
out:
	free(f.buf);
	return patch_close(&f.p, r);
}
