/* SPDX-License-Identifier: MIT */
/* The tree's compact storage: shared source paths, the arena, and the
 * compatibility paths for callers that read or replace n->src_path. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/tree.h"
#include "t.h"

static char dir[] = "/tmp/kiln-tree-mem-XXXXXX";

static void put(const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* The bytes a writer would read for @n (through the accessor). */
static int read_src(const struct tree_node *n, char *out, size_t len)
{
	char pb[TREE_SRC_PATH_MAX];
	const char *sp = tree_node_src_path(n, pb, sizeof(pb));
	if (!sp)
		return -ENOENT;
	int fd = open(sp, O_RDONLY);
	if (fd < 0)
		return -errno;
	ssize_t k = pread(fd, out, len, (off_t)n->src_off);
	close(fd);
	if (k < 0)
		return -EIO;
	out[k] = 0;
	return 0;
}

static void test_import_shares_dir_path(void)
{
	struct tree *t;
	char buf[64], pb[TREE_SRC_PATH_MAX], want[512];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(want, sizeof(want), "%s/sub", dir);
	CHECK(mkdir(want, 0755) == 0);
	put("a", "alpha");
	put("a2", "alpha2");
	put("b", "beta");
	put("sub/c", "gamma");
	snprintf(want, sizeof(want), "%s/b", dir);
	snprintf(pb, sizeof(pb), "%s/sub/hl", dir);
	CHECK(link(want, pb) == 0);

	CHECK(tree_new(&t, 1700000000) == 0);
	CHECK(tree_add_dir(t, dir, "", false, NULL, TREE_CONFLICT_ERROR, 0, NULL) == 0);
	tree_finish(t);
	struct tree_node *a = t->root->kids[0], *a2 = t->root->kids[1], *b = t->root->kids[2];
	CHECK(!strcmp(a->name, "a") && !strcmp(a2->name, "a2") && !strcmp(b->name, "b"));
	/* Siblings share one stored directory path... */
	CHECK(a->src_path == a2->src_path);
	CHECK(read_src(a2, buf, sizeof(buf) - 1) == 0 && !strcmp(buf, "alpha2"));
	/* ...and the accessor gives each its own host path and bytes. */
	snprintf(want, sizeof(want), "%s/a", dir);
	CHECK(tree_node_src_path(a, pb, sizeof(pb)) && !strcmp(tree_node_src_path(a, pb, sizeof(pb)), want));
	CHECK(read_src(a, buf, sizeof(buf) - 1) == 0 && !strcmp(buf, "alpha"));
	CHECK(read_src(b, buf, sizeof(buf) - 1) == 0 && !strcmp(buf, "beta"));
	/* Too small a buffer: NULL, not a truncated path. */
	CHECK(tree_node_src_path(a, pb, 4) == NULL);

	/* A nested node found by tree_lookup(): the accessor composes its
	 * path from its directory's stored path and its name. */
	struct tree_node *c = tree_lookup(t, "sub/c");
	const char *sp;
	snprintf(want, sizeof(want), "%s/sub/c", dir);
	CHECK(c && (sp = tree_node_src_path(c, pb, sizeof(pb))) && !strcmp(sp, want));
	CHECK(read_src(c, buf, sizeof(buf) - 1) == 0 && !strcmp(buf, "gamma"));

	/* The host hard link stayed one; its target's data path is whole. */
	struct tree_node *hl = tree_lookup(t, "sub/hl");
	CHECK(hl && hl->hardlink == b);
	snprintf(want, sizeof(want), "%s/b", dir);
	CHECK((sp = tree_node_src_path(b, pb, sizeof(pb))) && !strcmp(sp, want));

	/* Removing the target: the link takes its data (path composed). */
	CHECK(tree_remove(t, "b") == 0);
	CHECK(!hl->hardlink && read_src(hl, buf, sizeof(buf) - 1) == 0 && !strcmp(buf, "beta"));
	tree_free(t);
}

static void test_interned_and_escaped(void)
{
	struct tree *t;
	struct tree_node *x = NULL, *y = NULL, *z = NULL;
	char pb[TREE_SRC_PATH_MAX];
	struct tree_attr fa = { .mode = 0100644, .size = 3, .src_path = "/spill/file", .src_off = 7 };

	CHECK(tree_new(&t, 1700000000) == 0);
	CHECK(tree_add(t, "d/x", &fa, TREE_CONFLICT_ERROR, 0, &x, NULL) == 0 && x);
	fa.src_off = 99;
	CHECK(tree_add(t, "d/y", &fa, TREE_CONFLICT_ERROR, 0, &y, NULL) == 0 && y);
	/* One stored copy of an equal path; offsets stay per node. */
	CHECK(x->src_path == y->src_path && x->src_off == 7 && y->src_off == 99);
	CHECK(tree_node_src_path(x, pb, sizeof(pb)) == x->src_path);

	/* A real path starting with the tree's private marker byte is
	 * stored with "./" in front, so it still names the same file. */
	fa.src_path = "\x01odd";
	CHECK(tree_add(t, "d/z", &fa, TREE_CONFLICT_ERROR, 0, &z, NULL) == 0 && z);
	CHECK(!strcmp(tree_node_src_path(z, pb, sizeof(pb)), "./\x01odd"));
	CHECK(tree_node_set_src(t, z, NULL, 0) == 0 && !tree_node_src_path(z, pb, sizeof(pb)));

	/* Replacing and removing reuse nodes; nothing leaks (LSan). */
	fa.src_path = "/spill/file";
	CHECK(tree_add(t, "d/x", &fa, TREE_CONFLICT_REPLACE, 1, &x, NULL) == 0 && x->layer == 1);
	CHECK(tree_remove(t, "d/y") == 0 && !tree_lookup(t, "d/y"));
	struct tree_attr la = { .mode = 0120777, .link = "target" };
	CHECK(tree_add(t, "d/y", &la, TREE_CONFLICT_ERROR, 0, &y, NULL) == 0 && !strcmp(y->link, "target"));
	/* A hard link kept out by keep-first changes nothing; a node's
	 * data source is replaced through tree_node_set_src(). */
	CHECK(tree_add_hardlink(t, "d/y", "d/x", TREE_CONFLICT_KEEP_FIRST, 2, NULL) == 0);
	CHECK(tree_is_symlink(tree_lookup(t, "d/y")));
	CHECK(tree_node_set_src(t, x, "/spill/other", 5) == 0);
	CHECK(!strcmp(tree_node_src_path(x, pb, sizeof(pb)), "/spill/other") && x->src_off == 5);
	tree_free(t);
}

static void test_grow_after_finish(void)
{
	struct tree *t;
	struct tree_attr da = { .mode = 0040755 };
	char p[32];

	CHECK(tree_new(&t, 1700000000) == 0);
	for (int i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "d/%c", 'e' - i);
		CHECK(tree_add(t, p, &da, TREE_CONFLICT_ERROR, 0, NULL, NULL) == 0);
	}
	tree_finish(t);
	struct tree_node *d = tree_lookup(t, "d");
	CHECK(d && d->nkids == 5 && d->capkids == 5);
	/* Children packed by tree_finish() still grow and sort. */
	for (int i = 0; i < 20; i++) {
		snprintf(p, sizeof(p), "d/z%02d", 19 - i);
		CHECK(tree_add(t, p, &da, TREE_CONFLICT_ERROR, 0, NULL, NULL) == 0);
	}
	CHECK(tree_remove(t, "d/c") == 0);
	tree_finish(t);
	CHECK(d->nkids == 24 && !strcmp(d->kids[0]->name, "a") && !strcmp(d->kids[23]->name, "z19"));
	for (uint32_t i = 1; i < d->nkids; i++)
		CHECK(strcmp(d->kids[i - 1]->name, d->kids[i]->name) < 0);
	CHECK(d->nlink == 2 + 24);
	tree_free(t);
}

static void cleanup(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

int main(void)
{
	T_RUN(test_import_shares_dir_path);
	T_RUN(test_interned_and_escaped);
	T_RUN(test_grow_after_finish);
	cleanup();
	return T_DONE();
}
