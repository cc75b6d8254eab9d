/* SPDX-License-Identifier: MIT */
/* cramfs codec and writer: inode bit fields at their places and back,
 * superblock fields at their offsets; a small tree of every node type
 * written twice gives the same bytes, a CRC that checks, the layout
 * mkfs.cramfs uses (directories first, depth first; equal files and
 * hard links share data), and a failing sink call, a missing source or
 * an owner cramfs cannot hold gives a clean error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/diag.h"
#include "base/endian.h"
#include "fs/cramfs/cramfs.h"
#include "fs/tree.h"
#include "io/sink.h"
#include "t.h"
#include "t-fault.h"

static char src[] = "/tmp/kiln-cramfs-XXXXXX";

static void test_inode(void)
{
	struct cramfs_inode in = { .mode = 0104755, .uid = 65535, .gid = 255, .size = 0xffffff,
				   .namelen = 252, .offset = (1u << 28) - 4 },
			    out;
	uint8_t b[12];

	cramfs_inode_encode(&in, b);
	CHECK_EQ_U64(get_le32(b), 0xffff89edu);        /* mode:16, uid:16 */
	CHECK_EQ_U64(get_le32(b + 4), 0xffffffffu);    /* size:24, gid:8 */
	CHECK_EQ_U64(get_le32(b + 8), 0xffffffffu);    /* namelen/4:6, offset/4:26 */
	cramfs_inode_decode(b, &out);
	CHECK(!memcmp(&in, &out, sizeof(in)));
	in = (struct cramfs_inode){ .mode = 040755, .size = 24, .namelen = 8, .offset = 100 };
	cramfs_inode_encode(&in, b);
	CHECK_EQ_U64(get_le32(b + 8), 2 | 25 << 6);
}

static void test_super(void)
{
	struct cramfs_super s = { .size = 8192, .flags = 3, .crc = 0xaabbccdd, .edition = 7,
				  .blocks = 5, .files = 9, .name = "0123456789abcdef",
				  .root = { .mode = 040755, .size = 36, .offset = 76 } };
	uint8_t b[CRAMFS_SUPER_SIZE];

	cramfs_super_encode(&s, b);
	CHECK_EQ_U64(get_le32(b), CRAMFS_MAGIC);
	CHECK_EQ_U64(get_le32(b + 4), 8192);
	CHECK_EQ_U64(get_le32(b + 8), 3);
	CHECK_EQ_U64(get_le32(b + 12), 0);
	CHECK(!memcmp(b + 16, "Compressed ROMFS", 16));
	CHECK_EQ_U64(get_le32(b + 32), 0xaabbccdd);
	CHECK_EQ_U64(get_le32(b + 36), 7);
	CHECK_EQ_U64(get_le32(b + 40), 5);
	CHECK_EQ_U64(get_le32(b + 44), 9);
	CHECK(!memcmp(b + 48, "0123456789abcdef", 16));
	CHECK_EQ_U64(get_le32(b + 72) >> 6, 76 / 4);
}

static struct tree *make_tree(void)
{
	struct tree *t = NULL;
	struct diag d = { 0 };
	struct tree_attr f = { .mode = 0100644, .uid = 1000, .gid = 100, .size = 9000,
			       .src_path = src };
	struct tree_attr dir = { .mode = 0040755 };
	struct tree_attr l = { .mode = 0120777, .link = "a/big" };
	struct tree_attr dev = { .mode = 0020600, .rdev_major = 4, .rdev_minor = 64 };

	CHECK(!tree_new(&t, 1700000000));
	CHECK(!tree_add(t, "a", &dir, TREE_CONFLICT_ERROR, 0, NULL, &d));
	CHECK(!tree_add(t, "a/big", &f, TREE_CONFLICT_ERROR, 0, NULL, &d));
	CHECK(!tree_add(t, "b/same", &f, TREE_CONFLICT_ERROR, 0, NULL, &d));
	CHECK(!tree_add(t, "link", &l, TREE_CONFLICT_ERROR, 0, NULL, &d));
	CHECK(!tree_add(t, "dev/tty", &dev, TREE_CONFLICT_ERROR, 0, NULL, &d));
	CHECK(!tree_add_hardlink(t, "a/0-hard", "a/big", TREE_CONFLICT_ERROR, 0, &d));
	tree_finish(t);
	return t;
}

/* Inode at @off in @b. */
static struct cramfs_inode at(const uint8_t *b, uint64_t off)
{
	struct cramfs_inode in;

	cramfs_inode_decode(b + off, &in);
	return in;
}

static int write_cramfs(struct sink *s, void *ud, struct diag *d)
{
	struct cramfs_opts o = { .blksize = 4096, .name = "Compressed" };
	uint64_t len;

	return cramfs_write(ud, &o, s, &len, d);
}

static void test_write(void)
{
	struct tree *t = make_tree();
	struct sink *m[2] = { NULL, NULL };
	const uint8_t *b, *again;
	uint64_t mlen = 0, len2 = 0;
	unsigned failures;

	/* Twice: the same bytes. */
	for (int i = 0; i < 2; i++)
		CHECK(!sink_mem_new(&m[i], 1 << 22) && !write_cramfs(m[i], t, NULL));
	b = sink_mem_data(m[0], &mlen);
	again = sink_mem_data(m[1], &len2);
	CHECK(mlen == len2 && !memcmp(b, again, mlen));
	CHECK(mlen % 4096 == 0 && mlen == get_le32(b + 4));
	if (mlen >= 4096) {
		uint8_t sb[CRAMFS_SUPER_SIZE];
		/* Root entries: a, b, dev, link (12 + 4 each), from byte 76. */
		struct cramfs_inode a = at(b, 76), bb = at(b, 92), dev = at(b, 108),
				    link = at(b, 124);
		/* a's entries follow: 0-hard (12 + 8), big (12 + 4); then b's, dev's. */
		struct cramfs_inode hard = at(b, 140), big = at(b, 160), same = at(b, 176),
				    tty = at(b, 192);

		memcpy(sb, b, sizeof(sb));
		memset(sb + 32, 0, 4);
		CHECK_EQ_U64(get_le32(b + 32),
			     crc32(crc32(crc32(0, NULL, 0), sb, sizeof(sb)), b + sizeof(sb),
				   (uInt)(mlen - sizeof(sb))));
		CHECK_EQ_U64(get_le32(b + 44), 8 + 1);       /* entries and the root */
		CHECK_EQ_U64(a.offset, 140);
		CHECK_EQ_U64(a.size, 36);
		CHECK_EQ_U64(bb.offset, 176);
		CHECK_EQ_U64(dev.offset, 192);
		CHECK_EQ_U64(dev.size, 16);
		CHECK_EQ_U64(tty.size, 4 << 8 | 64);
		CHECK_EQ_U64(tty.mode, 020600);
		CHECK_EQ_U64(link.size, 5);
		CHECK_EQ_U64(big.uid, 1000);
		CHECK_EQ_U64(big.gid, 100);
		CHECK_EQ_U64(hard.size, 9000);
		/* One copy of the data: the first in tree order (a/0-hard), shared. */
		CHECK(hard.offset && hard.offset == big.offset && big.offset == same.offset);
		CHECK(link.offset > hard.offset);
	}
	failures = t_fail_each_call(write_cramfs, t, 1 << 22);
	CHECK(failures >= 5);
	sink_release(m[0]);
	sink_release(m[1]);
	tree_free(t);
}

static void test_errors(void)
{
	struct cramfs_opts o = { .blksize = 4096, .name = "x" };
	struct tree *t = make_tree();
	struct tree_attr f = { .mode = 0100644, .uid = 65536, .size = 1, .src_path = src };
	struct tree_attr gone = { .mode = 0100644, .size = 1, .src_path = "/nonexistent/kiln" };
	struct diag d = { 0 };
	struct sink *m = NULL;
	uint64_t len;

	CHECK(!sink_mem_new(&m, 1 << 22));
	CHECK(!tree_add(t, "z/owner", &f, TREE_CONFLICT_ERROR, 0, NULL, &d));
	tree_finish(t);
	CHECK(cramfs_write(t, &o, m, &len, &d) == -EOVERFLOW);
	CHECK(strstr(d.msg, "/z/owner: owner 65536:0") != NULL);
	CHECK(!tree_remove(t, "z/owner"));
	CHECK(!tree_add(t, "z/gone", &gone, TREE_CONFLICT_ERROR, 0, NULL, &d));
	tree_finish(t);
	diag_clear(&d);
	CHECK(cramfs_write(t, &o, m, &len, &d) == -ENOENT);
	CHECK(strstr(d.msg, "/nonexistent/kiln") != NULL);
	sink_release(m);
	tree_free(t);
}

int main(void)
{
	int fd = mkstemp(src);
	uint8_t buf[9000];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * i >> 3);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return 1;
	close(fd);
	T_RUN(test_inode);
	T_RUN(test_super);
	T_RUN(test_write);
	T_RUN(test_errors);
	unlink(src);
	return T_DONE();
}
