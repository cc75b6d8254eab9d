/* SPDX-License-Identifier: MIT */
/* squashfs and tar writers on a small tree of every node type: the
 * output is well-formed (superblock fields, xz stream), identical when
 * written again (also with more squashfs threads), and when the Nth sink
 * call fails, for every N, or a source file is missing, the writer
 * returns that error cleanly (no crash, no leak: ASan checks at exit). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "fs/squashfs/squashfs.h"
#include "fs/tar.h"
#include "fs/tree.h"
#include "io/sink.h"
#include "t.h"
#include "t-fault.h"

static char src[] = "/tmp/kiln-wf-XXXXXX";

static struct tree *make_tree(void)
{
	struct tree *t = NULL;
	struct tree_node *n;
	struct diag d = { 0 };
	struct tree_attr f = { .mode = 0100644, .uid = 1000, .gid = 100, .mtime = 1600000000,
			       .size = 300000, .src_path = src };
	struct tree_attr dir = { .mode = 0040755, .mtime = 1600000000 };
	struct tree_attr l = { .mode = 0120777, .mtime = 1600000000, .link = "a/big" };
	struct tree_attr fifo = { .mode = 0010600, .mtime = 1600000000 };
	struct tree_attr dev = { .mode = 0020600, .rdev_major = 4, .rdev_minor = 64,
				 .mtime = 1600000000 };
	struct tree_attr small = f;

	small.size = 1000;
	small.src_off = 5;
	CHECK(!tree_new(&t, 1700000000));
	CHECK(!tree_add(t, "a", &dir, TREE_CONFLICT_ERROR, 0, NULL, &d));
	CHECK(!tree_add(t, "a/big", &f, TREE_CONFLICT_ERROR, 0, &n, &d));
	CHECK(!tree_set_xattr(n, "user.k", "v", 1));
	CHECK(!tree_add(t, "a/small", &small, TREE_CONFLICT_ERROR, 0, NULL, &d));
	CHECK(!tree_add(t, "link", &l, TREE_CONFLICT_ERROR, 0, NULL, &d));
	CHECK(!tree_add(t, "dev/fifo", &fifo, TREE_CONFLICT_ERROR, 0, NULL, &d));
	CHECK(!tree_add(t, "dev/tty", &dev, TREE_CONFLICT_ERROR, 0, NULL, &d));
	CHECK(!tree_add_hardlink(t, "a/0-hard", "a/big", TREE_CONFLICT_ERROR, 0, &d));
	tree_finish(t);
	return t;
}

static int write_img(struct tree *t, bool sq, unsigned jobs, struct sink *s, uint64_t *len,
		     struct diag *d)
{
	struct squashfs_opts o = { .comp = SQUASHFS_COMP_GZIP, .block_size = 4096,
				   .mkfs_time = 1700000000, .exportable = true, .jobs = jobs };

	return sq ? squashfs_write(t, &o, s, len, d) : tar_write(t, TAR_COMP_XZ, s, len, d);
}

static int write_sq(struct sink *s, void *t, struct diag *d)
{
	uint64_t l;

	return write_img(t, true, 1, s, &l, d);
}

static int write_tar(struct sink *s, void *t, struct diag *d)
{
	uint64_t l;

	return write_img(t, false, 1, s, &l, d);
}

static void test_writer(bool sq)
{
	struct tree *t = make_tree();
	struct sink *m = NULL, *m2 = NULL;
	struct diag d = { 0 };
	uint64_t len = 0, len2 = 0, mlen, mlen2;
	const uint8_t *b, *b2;
	unsigned failures;

	CHECK(!sink_mem_new(&m, 1 << 24));
	CHECK(!sink_mem_new(&m2, 1 << 24));
	CHECK(!write_img(t, sq, 1, m, &len, &d));
	if (d.err)
		fprintf(stderr, "%s\n", d.msg);
	CHECK(!write_img(t, sq, 3, m2, &len2, &d));
	b = sink_mem_data(m, &mlen);
	b2 = sink_mem_data(m2, &mlen2);
	CHECK_EQ_U64(len, len2);
	CHECK(mlen == mlen2 && !memcmp(b, b2, mlen));
	if (sq) {
		CHECK_EQ_U64(get_le32(b), 0x73717368);          /* "hsqs" */
		CHECK_EQ_U64(get_le32(b + 4), 8);               /* inodes: hard link shares one */
		CHECK_EQ_U64(get_le32(b + 8), 1700000000);      /* mkfs time */
		CHECK_EQ_U64(get_le32(b + 12), 4096);           /* block size */
		CHECK(get_le64(b + 40) <= len && len % 4096 == 0); /* bytes_used, padded */
	} else {
		CHECK_EQ_U64(get_le32(b), 0x587a37fd);          /* xz stream */
		CHECK_EQ_U64(len, mlen);
	}
	/* Fail each sink call in turn until the writer no longer reaches it. */
	failures = t_fail_each_call(sq ? write_sq : write_tar, t, 1 << 24);
	CHECK(failures >= (sq ? 4u : 1u));
	printf("%s: %u failing calls handled\n", sq ? "squashfs" : "tar", failures);
	sink_release(m);
	sink_release(m2);
	tree_free(t);
}

static void test_squashfs(void)
{
	test_writer(true);
}

/* A source that vanished after the tree was made: named, no leak (the
 * blocks of the files before it are still in flight). */
static void test_missing_source(void)
{
	struct tree *t = make_tree();
	struct tree_attr f = { .mode = 0100644, .mtime = 1, .size = 10,
			       .src_path = "/nonexistent/kiln-src" };
	struct squashfs_opts o = { .comp = SQUASHFS_COMP_XZ, .block_size = 4096, .jobs = 2 };
	struct diag d = { 0 };
	struct sink *m = NULL;
	uint64_t len;

	CHECK(!tree_add(t, "z-missing", &f, TREE_CONFLICT_ERROR, 0, NULL, &d));
	tree_finish(t);
	CHECK(!sink_mem_new(&m, 1 << 24));
	CHECK(squashfs_write(t, &o, m, &len, &d) == -ENOENT);
	CHECK(strstr(d.msg, "/nonexistent/kiln-src") != NULL);
	memset(&d, 0, sizeof(d));
	CHECK(tar_write(t, TAR_COMP_NONE, m, &len, &d) == -ENOENT);
	CHECK(strstr(d.msg, "/nonexistent/kiln-src") != NULL);
	sink_release(m);
	tree_free(t);
}

static void test_tar(void)
{
	test_writer(false);
}

int main(void)
{
	int fd = mkstemp(src);
	uint8_t *buf = malloc(300005);

	for (unsigned i = 0; i < 300005; i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	if (fd < 0 || write(fd, buf, 300005) != 300005)
		return 1;
	close(fd);
	free(buf);
	T_RUN(test_squashfs);
	T_RUN(test_tar);
	T_RUN(test_missing_source);
	unlink(src);
	return T_DONE();
}
