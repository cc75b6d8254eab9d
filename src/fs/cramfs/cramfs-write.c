/* SPDX-License-Identifier: MIT */
/* cramfs writer: a finished tree onto a sink, as mkfs.cramfs lays it out (cramfs.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/hash.h"
#include "fs/cramfs/cramfs.h"
#include "fs/tree.h"
#include "io/sink.h"

#define CRC_CHUNK (64u << 10)

/* A file's data already written: later files with the same bytes share it. */
struct seen {
	uint8_t hash[SHA256_LEN];
	uint32_t size, offset;
	bool used;
};

struct cw {
	const struct cramfs_opts *o;
	struct sink *out;
	struct diag *d;
	uint8_t *dir;            /* every directory's entries */
	uint64_t dir_base, dir_len;
	uint64_t data;           /* next data byte */
	uint32_t blocks, files;
	struct seen *seen;       /* open addressing on the content hash */
	size_t nseen;            /* capacity: a power of two */
	uint8_t *fbuf, *zbuf;    /* a file's bytes; one compressed block */
	uint8_t *ptrs;           /* a file's block pointers (little-endian) */
	uint64_t maxfile;        /* largest regular file */
};

static const struct tree_node *prim(const struct tree_node *n)
{
	return n->hardlink ? n->hardlink : n;
}

static uint32_t name_bytes(const struct tree_node *n)
{
	return (uint32_t)((strlen(n->name) + 3) & ~(size_t)3);
}

static int fail_at(struct cw *w, const struct tree_node *n, int err, const char *why)
{
	char *p = tree_path(n);

	diag_fail(w->d, err, "cramfs: /%s: %s", p ? p : "?", why);
	free(p);
	return err;
}

/* The inode's size field: bytes, a device number, or a directory's entries. */
static int inode_size(struct cw *w, const struct tree_node *n, uint32_t *ret)
{
	const struct tree_node *p = prim(n);
	uint64_t sz = 0;
	char why[96];

	switch (p->mode & 0170000) {
	case 0040000:
		for (uint32_t i = 0; i < p->nkids; i++)
			sz += CRAMFS_INODE_SIZE + name_bytes(p->kids[i]);
		break;
	case 0100000:
		sz = p->size;
		break;
	case 0120000:
		sz = strlen(p->link);
		break;
	case 0020000:
	case 0060000:
		/* The kernel decodes the old 8:8 device number. */
		if (p->rdev_major > 255 || p->rdev_minor > 255) {
			snprintf(why, sizeof(why), "device %u:%u: cramfs holds 0..255:0..255",
				 p->rdev_major, p->rdev_minor);
			return fail_at(w, n, -EOVERFLOW, why);
		}
		sz = (uint64_t)p->rdev_major << 8 | p->rdev_minor;
		break;
	}
	if (sz > CRAMFS_MAX_FILE) {
		snprintf(why, sizeof(why), "%llu bytes: cramfs holds at most %u per %s",
			 (unsigned long long)sz, CRAMFS_MAX_FILE,
			 tree_is_dir(p) ? "directory (its entries)" : "file");
		return fail_at(w, n, -EFBIG, why);
	}
	*ret = (uint32_t)sz;
	return 0;
}

static int check_owner(struct cw *w, const struct tree_node *n)
{
	const struct tree_node *p = prim(n);
	char why[96];

	if (p->uid <= CRAMFS_MAX_UID && p->gid <= CRAMFS_MAX_GID)
		return 0;
	snprintf(why, sizeof(why), "owner %u:%u: cramfs holds uid 0..65535 and gid 0..255",
		 p->uid, p->gid);
	return fail_at(w, n, -EOVERFLOW, why);
}

/* Pass 1: check every node, count the directory bytes and the files. */
static int measure(struct cw *w, const struct tree_node *dir, unsigned depth)
{
	int r;

	if (depth > 4096)
		return fail_at(w, dir, -ELOOP, "directories nested too deep");
	for (uint32_t i = 0; i < dir->nkids; i++) {
		const struct tree_node *k = dir->kids[i];
		uint32_t sz;

		if (strlen(k->name) > CRAMFS_MAX_NAME)
			return fail_at(w, k, -ENAMETOOLONG, "name longer than 252 bytes");
		if ((r = check_owner(w, k)) || (r = inode_size(w, k, &sz)))
			return r;
		w->dir_len += CRAMFS_INODE_SIZE + name_bytes(k);
		w->files++;
		if (tree_is_reg(prim(k)) && prim(k)->size > w->maxfile)
			w->maxfile = prim(k)->size;
		if (tree_is_dir(k) && (r = measure(w, k, depth + 1)))
			return r;
	}
	return 0;
}

/* Point @n's inode (in the directory area) at byte @off. */
static int set_offset(struct cw *w, const struct tree_node *n, uint64_t off)
{
	uint8_t *e = w->dir + (n->priv - w->dir_base);
	struct cramfs_inode in;

	if (off >= CRAMFS_MAX_OFFSET)
		return fail_at(w, n, -EFBIG, "past the 256 MiB cramfs can address");
	cramfs_inode_decode(e, &in);
	in.offset = (uint32_t)off;
	cramfs_inode_encode(&in, e);
	return 0;
}

/*
 * Pass 2: a directory's entries, then each non-empty subdirectory's,
 * depth first (mkfs.cramfs's order). @off is where they go.
 */
static int lay_dirs(struct cw *w, const struct tree_node *dir, uint64_t *off)
{
	int r;

	for (uint32_t i = 0; i < dir->nkids; i++) {
		struct tree_node *k = dir->kids[i];
		const struct tree_node *p = prim(k);
		struct cramfs_inode in = { .mode = p->mode & 0xffff, .uid = p->uid, .gid = p->gid,
					   .namelen = name_bytes(k) };
		uint8_t *e = w->dir + (*off - w->dir_base);

		if ((r = inode_size(w, k, &in.size)))
			return r;
		k->priv = *off;
		cramfs_inode_encode(&in, e);
		memcpy(e + CRAMFS_INODE_SIZE, k->name, strlen(k->name));
		*off += CRAMFS_INODE_SIZE + in.namelen;
	}
	for (uint32_t i = 0; i < dir->nkids; i++) {
		const struct tree_node *k = dir->kids[i];

		if (!tree_is_dir(k) || !k->nkids)
			continue;
		if ((r = set_offset(w, k, *off)) || (r = lay_dirs(w, k, off)))
			return r;
	}
	return 0;
}

static int put(struct cw *w, const void *buf, size_t len, uint64_t off)
{
	int r = sink_pwrite(w->out, buf, len, off);

	return r ? diag_fail(w->d, r, "cramfs: writing at %llu: %s", (unsigned long long)off,
			     strerror(-r))
		 : 0;
}

/*
 * Block pointers (the end of each block's zlib stream), then the streams.
 * With -z an all-zero block has none (its pointer repeats the last: a
 * hole, as mkfs.cramfs -z writes it). Ends 4-byte aligned.
 */
static int compress_at(struct cw *w, const uint8_t *buf, uint32_t len)
{
	uint32_t nb = (len - 1) / w->o->blksize + 1;
	uint64_t curr = w->data + 4ull * nb;
	int r;

	for (uint32_t b = 0; b < nb; b++) {
		uint32_t in = len - b * w->o->blksize;
		uLongf zlen = compressBound(w->o->blksize);

		if (in > w->o->blksize)
			in = w->o->blksize;
		if (!w->o->holes || !buf_is_zero(buf + (size_t)b * w->o->blksize, in)) {
			if (compress2(w->zbuf, &zlen, buf + (size_t)b * w->o->blksize, in,
				      Z_DEFAULT_COMPRESSION) != Z_OK)
				return diag_fail(w->d, -ENOMEM, "cramfs: zlib failed");
			if ((r = put(w, w->zbuf, zlen, curr)))
				return r;
			curr += zlen;
		}
		if (curr > UINT32_MAX)
			return diag_fail(w->d, -EFBIG, "cramfs: image passes 4 GiB");
		put_le32(w->ptrs + 4 * b, (uint32_t)curr);
	}
	if ((r = put(w, w->ptrs, 4ull * nb, w->data)))
		return r;
	w->blocks += nb;
	w->data = (curr + 3) & ~3ull;
	if (w->data > curr && (r = sink_fill(w->out, curr, w->data - curr, 0)))
		return diag_fail(w->d, r, "cramfs: %s", strerror(-r));
	return 0;
}

static int read_file(struct cw *w, const struct tree_node *n)
{
	const struct tree_node *p = prim(n);
	char pb[TREE_SRC_PATH_MAX];
	const char *path = tree_node_src_path(p, pb, sizeof(pb));
	size_t done = 0;
	int fd;

	if (!path)
		return fail_at(w, n, -EINVAL, "no data source");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(w->d, -errno, "%s: %s", path, strerror(errno));
	while (done < p->size) {
		ssize_t k = pread(fd, w->fbuf + done, p->size - done, (off_t)(p->src_off + done));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = k < 0 ? errno : EIO;

			close(fd);
			return diag_fail(w->d, -e, "%s: %s", path,
					 k < 0 ? strerror(e) : "changed while reading (shorter than planned)");
		}
		done += (size_t)k;
	}
	close(fd);
	return 0;
}

/* The earlier file with these bytes, or the slot where this one goes. */
static struct seen *lookup(struct cw *w, const uint8_t hash[SHA256_LEN], uint32_t size)
{
	size_t i;

	memcpy(&i, hash, sizeof(i));
	for (i &= w->nseen - 1;; i = (i + 1) & (w->nseen - 1))
		if (!w->seen[i].used ||
		    (w->seen[i].size == size && !memcmp(w->seen[i].hash, hash, SHA256_LEN)))
			return &w->seen[i];
}

static int write_file(struct cw *w, const struct tree_node *n)
{
	uint32_t size = (uint32_t)prim(n)->size;
	uint8_t hash[SHA256_LEN];
	struct seen *s;
	int r;

	if ((r = read_file(w, n)) || (r = sha256_buf(w->fbuf, size, hash)))
		return r < 0 ? r : -EIO;
	s = lookup(w, hash, size);
	if (s->used)
		return set_offset(w, n, s->offset);
	if ((r = set_offset(w, n, w->data)))
		return r;
	*s = (struct seen){ .size = size, .offset = (uint32_t)w->data, .used = true };
	memcpy(s->hash, hash, SHA256_LEN);
	return compress_at(w, w->fbuf, size);
}

/* Pass 3: data in tree order (a node, then what is below it). */
static int write_data(struct cw *w, const struct tree_node *dir)
{
	int r = 0;

	for (uint32_t i = 0; i < dir->nkids && !r; i++) {
		const struct tree_node *k = dir->kids[i], *p = prim(k);

		if (tree_is_reg(p) && p->size)
			r = write_file(w, k);
		else if (tree_is_symlink(p) && *p->link && !(r = set_offset(w, k, w->data)))
			r = compress_at(w, (const uint8_t *)p->link, (uint32_t)strlen(p->link));
		if (!r && tree_is_dir(k))
			r = write_data(w, k);
	}
	return r;
}

/* The CRC-32 (zlib's) of [pad, end) with the superblock's crc still 0. */
static int image_crc(struct cw *w, uint64_t start, uint64_t end, uint32_t *ret)
{
	uint8_t *buf = malloc(CRC_CHUNK);
	uLong crc = crc32(0L, Z_NULL, 0);
	int r = 0;

	if (!buf)
		return diag_fail(w->d, -ENOMEM, "out of memory");
	for (uint64_t off = start; off < end && !r; off += CRC_CHUNK) {
		size_t len = end - off < CRC_CHUNK ? (size_t)(end - off) : CRC_CHUNK;

		r = sink_pread(w->out, buf, len, off);
		if (!r)
			crc = crc32(crc, buf, (uInt)len);
	}
	free(buf);
	*ret = (uint32_t)crc;
	return r ? diag_fail(w->d, r, "cramfs: reading back: %s", strerror(-r)) : 0;
}

static int finish(struct cw *w, const struct tree *t, uint64_t end)
{
	const struct cramfs_opts *o = w->o;
	uint64_t start = o->pad ? CRAMFS_PAD : 0;
	struct cramfs_super s = {
		.size = (uint32_t)end,
		.flags = CRAMFS_FLAG_FSID_VERSION_2 | CRAMFS_FLAG_SORTED_DIRS |
			 (o->holes ? CRAMFS_FLAG_HOLES : 0),
		.edition = o->edition,
		.blocks = w->blocks,
		.files = w->files + 1, /* and the root */
		.root = { .mode = t->root->mode & 0xffff, .uid = t->root->uid,
			  .gid = t->root->gid, .offset = (uint32_t)w->dir_base },
	};
	uint8_t sb[CRAMFS_SUPER_SIZE];
	int r;

	/* mkfs.cramfs copies up to 16 bytes, with no NUL when all are used. */
	memcpy(s.name, o->name, strnlen(o->name, sizeof(s.name)));
	for (uint32_t i = 0; i < t->root->nkids; i++)
		s.root.size += CRAMFS_INODE_SIZE + name_bytes(t->root->kids[i]);
	cramfs_super_encode(&s, sb);
	if ((r = put(w, sb, sizeof(sb), start)) || (r = image_crc(w, start, end, &s.crc)))
		return r;
	cramfs_super_encode(&s, sb);
	return put(w, sb, sizeof(sb), start);
}

int cramfs_write(struct tree *t, const struct cramfs_opts *o, struct sink *out,
		 uint64_t *ret_bytes, struct diag *d)
{
	struct cw w = { .o = o, .out = out, .d = d };
	uint64_t off, end;
	int r;

	w.dir_base = (o->pad ? CRAMFS_PAD : 0) + CRAMFS_SUPER_SIZE;
	if ((r = check_owner(&w, t->root)) || (r = measure(&w, t->root, 0)))
		return r;
	if (w.dir_base + w.dir_len > CRAMFS_MAX_OFFSET)
		return diag_fail(d, -EFBIG, "cramfs: %llu bytes of directories pass 256 MiB",
				 (unsigned long long)w.dir_len);
	for (w.nseen = 16; w.nseen < 2ull * w.files; w.nseen *= 2)
		;
	w.dir = calloc(1, w.dir_len ? w.dir_len : 1);
	w.seen = calloc(w.nseen, sizeof(*w.seen));
	w.fbuf = malloc(w.maxfile ? w.maxfile : 1);
	w.zbuf = malloc(compressBound(o->blksize));
	w.ptrs = malloc(4 * ((size_t)CRAMFS_MAX_FILE / o->blksize + 1));  /* ≤ 128 KiB */
	if (!w.dir || !w.seen || !w.fbuf || !w.zbuf || !w.ptrs) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	off = w.dir_base;
	if ((r = lay_dirs(&w, t->root, &off)))
		goto out;
	w.data = w.dir_base + w.dir_len;
	if ((r = write_data(&w, t->root)))
		goto out;
	if (w.dir_len && (r = put(&w, w.dir, w.dir_len, w.dir_base)))
		goto out;
	/* A multiple of the block size, as mkfs.cramfs writes (losetup wants it). */
	end = (w.data + o->blksize - 1) / o->blksize * o->blksize;
	if (end > w.data && (r = sink_fill(out, w.data, end - w.data, 0))) {
		r = diag_fail(d, r, "cramfs: %s", strerror(-r));
		goto out;
	}
	if (!(r = finish(&w, t, end)))
		*ret_bytes = end;
out:
	free(w.dir);
	free(w.seen);
	free(w.fbuf);
	free(w.zbuf);
	free(w.ptrs);
	return r;
}
