/* SPDX-License-Identifier: MIT */
/* Unit tests: sinks (bounds, sub-sinks, holes, faults) and the tree model. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/tree.h"
#include "io/sink.h"
#include "t.h"

static void test_mem_and_sub(void)
{
	struct sink *m, sub;
	uint64_t len;

	CHECK(sink_mem_new(&m, 1000) == 0);
	CHECK(sink_pwrite(m, "abc", 3, 10) == 0);
	CHECK(sink_sub(&sub, m, 100, 50) == 0);
	CHECK(sink_pwrite(&sub, "xy", 2, 0) == 0);
	CHECK(sink_pwrite(&sub, "xy", 2, 49) == -ENOSPC);  /* crosses the window */
	CHECK(sink_pwrite(&sub, "x", 1, 50) == -ENOSPC);
	CHECK(sink_pwrite(m, "x", 1, 1000) == -ENOSPC);
	CHECK(sink_sub(&sub, m, 990, 11) == -ENOSPC);
	const uint8_t *data = sink_mem_data(m, &len);
	CHECK(len == 102 && data[10] == 'a' && data[100] == 'x' && data[101] == 'y' && data[0] == 0);
	char buf[3];
	CHECK(sink_pread(m, buf, 3, 10) == 0 && !memcmp(buf, "abc", 3));
	sink_release(m);
}

static void test_fault(void)
{
	struct sink *m, *f;

	sink_mem_new(&m, 100);
	sink_fault_new(&f, m, 2);
	CHECK(sink_pwrite(f, "a", 1, 0) == 0);
	CHECK(sink_pwrite(f, "a", 1, 1) == -EIO);
	CHECK(sink_pwrite(f, "a", 1, 2) == 0);
	sink_release(f);
	sink_release(m);
}

static void test_file_sink(void)
{
	char dir[] = "/tmp/kiln-t-XXXXXX", path[256], src[256];
	struct sink *s;
	struct diag d = { 0 };
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/out.img", dir);
	snprintf(src, sizeof(src), "%s/src.bin", dir);
	/* A source with data, a run of zeros and a hole. */
	int fd = open(src, O_CREAT | O_RDWR, 0644);
	uint8_t *buf = calloc(1, 1 << 20);
	memset(buf, 0xab, 4096);
	CHECK(pwrite(fd, buf, 1 << 20, 0) == 1 << 20);
	CHECK(pwrite(fd, buf, 4096, 8 << 20) == 4096);
	CHECK(sink_file_new(&s, path, 16 << 20, &d) == 0);
	CHECK(sink_copy_fd(s, 4096, fd, 0, (8 << 20) + 4096, "src.bin", &d) == 0);
	/* Not yet committed: the final name does not exist. */
	CHECK(stat(path, &st) == -1 && errno == ENOENT);
	CHECK(sink_file_commit(s, &d) == 0);
	sink_release(s);
	CHECK(stat(path, &st) == 0 && st.st_size == 16 << 20);
	/* The source's hole stays a hole; its stored zeros stay data (a
	 * reader may interpret them: a card must get them written). */
	CHECK((uint64_t)st.st_blocks * 512 >= (1 << 20) + 4096);
	CHECK((uint64_t)st.st_blocks * 512 < (2 << 20));
	int o = open(path, O_RDONLY);
	CHECK(lseek(o, 4096 + (512 << 10), SEEK_DATA) == 4096 + (512 << 10));
	CHECK(lseek(o, 4096 + (4 << 20), SEEK_DATA) == (8 << 20) + 4096);
	uint8_t b2[4096];
	CHECK(pread(o, b2, 4096, 4096) == 4096 && b2[0] == 0xab && b2[4095] == 0xab);
	CHECK(pread(o, b2, 4096, (8 << 20) + 4096) == 4096 && b2[100] == 0xab);
	close(o);
	/* An aborted sink leaves nothing behind. */
	snprintf(path, sizeof(path), "%s/aborted.img", dir);
	CHECK(sink_file_new(&s, path, 4096, &d) == 0);
	sink_pwrite(s, "x", 1, 0);
	sink_release(s);
	CHECK(stat(path, &st) == -1);
	/* A short source is an error naming it. */
	struct diag d2 = { 0 };
	snprintf(path, sizeof(path), "%s/short.img", dir);
	CHECK(sink_file_new(&s, path, 64 << 20, &d) == 0);
	CHECK(sink_copy_fd(s, 0, fd, 0, 32 << 20, "src.bin", &d2) != 0);
	CHECK(strstr(d2.msg, "src.bin") != NULL);
	sink_release(s);
	close(fd);
	free(buf);
	unlink(src);
	rmdir(dir);
}

static int count_cb(struct tree_node *n, void *ud)
{
	(void)n;
	(*(int *)ud)++;
	return 0;
}

static void test_tree(void)
{
	struct tree *t;
	struct diag d = { 0 };
	struct tree_attr f = { .mode = 0100644, .size = 5, .mtime = 2000000000 };
	struct tree_attr dir = { .mode = 0040700, .uid = 5 };
	struct tree_node *n;

	CHECK(tree_new(&t, 1000) == 0);
	int l0 = tree_add_layer(t, "layer-a"), l1 = tree_add_layer(t, "layer-b");
	CHECK(tree_add(t, "/etc/b", &f, TREE_CONFLICT_ERROR, l0, &n, &d) == 0);
	CHECK(n && n->mtime == 1000); /* clamped to the epoch */
	CHECK(tree_add(t, "etc/a", &f, TREE_CONFLICT_ERROR, l0, NULL, &d) == 0);
	CHECK(tree_add(t, "etc/b", &f, TREE_CONFLICT_ERROR, l1, NULL, &d) == -EEXIST);
	CHECK(strstr(d.msg, "layer-a") && strstr(d.msg, "layer-b") && strstr(d.msg, "/etc/b"));
	diag_clear(&d);
	f.size = 9;
	CHECK(tree_add(t, "etc/b", &f, TREE_CONFLICT_KEEP_FIRST, l1, &n, &d) == 0 && !n);
	CHECK(tree_lookup(t, "etc/b")->size == 5);
	CHECK(tree_add(t, "etc/b", &f, TREE_CONFLICT_REPLACE, l1, &n, &d) == 0);
	CHECK(tree_lookup(t, "etc/b")->size == 9);
	CHECK(tree_add(t, "etc", &dir, TREE_CONFLICT_ERROR, l1, &n, &d) == 0); /* dirs merge */
	CHECK(tree_lookup(t, "etc")->uid == 5 && tree_lookup(t, "etc")->nkids == 2);
	CHECK(tree_add(t, "etc/../x", &f, TREE_CONFLICT_ERROR, l1, NULL, &d) == -EINVAL);
	diag_clear(&d);
	CHECK(tree_add(t, "etc/a/x", &f, TREE_CONFLICT_ERROR, l1, NULL, &d) == -ENOTDIR);
	diag_clear(&d);
	CHECK(tree_add_hardlink(t, "bin/hl", "etc/a", TREE_CONFLICT_ERROR, l1, &d) == 0);
	tree_finish(t);
	CHECK(tree_lookup(t, "etc/a")->nlink == 2);
	CHECK(tree_lookup(t, "etc")->nlink == 2);
	CHECK(t->root->nlink == 4);
	char *p = tree_path(tree_lookup(t, "bin/hl"));
	CHECK_STR(p, "bin/hl");
	free(p);
	int cnt = 0;
	tree_walk(t, count_cb, &cnt);
	CHECK(cnt == 6); /* /, bin, bin/hl, etc, etc/a, etc/b */
	CHECK(t->root->kids[0] == tree_lookup(t, "bin"));
	/* Removing a hard link's target keeps the link's data. */
	CHECK(tree_remove(t, "etc/a") == 0);
	CHECK(tree_lookup(t, "bin/hl")->hardlink == NULL && tree_lookup(t, "bin/hl")->size == 5);
	tree_free(t);
}

int main(void)
{
	T_RUN(test_mem_and_sub);
	T_RUN(test_fault);
	T_RUN(test_file_sink);
	T_RUN(test_tree);
	return T_DONE();
}
