/* SPDX-License-Identifier: MIT */
/* Unit tests: archive path cleaning, the capability xattr codec, the
 * spill file's replay, device tables, fs_config and password hashing. */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/spill.h"
#include "fs/tree-archive.h"
#include "fs/tree-tables.h"
#include "plan/trees-def.h"
#include "t.h"

static void test_clean_path(void)
{
	char out[64];
	int abs;

	CHECK(tree_archive_clean_path("./usr//bin/./x/", out, sizeof(out), &abs) == 0);
	CHECK_STR(out, "usr/bin/x");
	CHECK(!abs);
	CHECK(tree_archive_clean_path("/abs/path", out, sizeof(out), &abs) == 0);
	CHECK_STR(out, "abs/path");
	CHECK(abs);
	CHECK(tree_archive_clean_path("./", out, sizeof(out), &abs) == 0);
	CHECK_STR(out, "");
	CHECK(tree_archive_clean_path("../etc/passwd", out, sizeof(out), &abs) == -EINVAL);
	CHECK(tree_archive_clean_path("a/../b", out, sizeof(out), &abs) == -EINVAL);
	CHECK(tree_archive_clean_path("a/..", out, sizeof(out), &abs) == -EINVAL);
	CHECK(tree_archive_clean_path("a/..b/c..", out, sizeof(out), &abs) == 0);
	CHECK_STR(out, "a/..b/c..");
	CHECK(tree_archive_clean_path("aaaaaaaaaa/bbbbbbbbbb", out, 12, &abs) == -ENAMETOOLONG);
}

static void test_vfs_cap(void)
{
	uint8_t v[VFS_CAP_V2_SIZE];
	static const uint8_t want[VFS_CAP_V2_SIZE] = {
		0x01, 0x00, 0x00, 0x02, /* magic_etc: revision 2 | effective */
		0x00, 0x20, 0x00, 0x00, /* permitted, low word: CAP_NET_RAW (13) */
		0x00, 0x00, 0x00, 0x00, /* inheritable low */
		0x01, 0x00, 0x00, 0x00, /* permitted, high word: capability 32 */
		0x00, 0x00, 0x00, 0x00, /* inheritable high */
	};

	vfs_cap_encode((1ull << 13) | (1ull << 32), v);
	CHECK(!memcmp(v, want, sizeof(v)));
	vfs_cap_encode(0, v);
	CHECK(v[0] == 0 && v[3] == 2);
}

static void test_spill_replay(void)
{
	char dir[] = "/tmp/kiln-spill-XXXXXX";
	struct spill s;
	struct spill_region reg = { 0 };
	struct spill_writer w;
	uint64_t a, b, a2, b2;
	struct diag d = { 0 };
	char buf[8] = { 0 };

	CHECK(mkdtemp(dir) != NULL);
	CHECK(spill_init(&s, dir) == 0);
	spill_begin(&s, &reg, &w);
	CHECK(spill_reserve(&w, 3, &a, &d) == 0);
	CHECK(spill_write(&w, a, "abc", 3, &d) == 0);
	CHECK(spill_reserve(&w, 5, &b, &d) == 0);
	CHECK(spill_write(&w, b, "defgh", 5, &d) == 0);
	CHECK(spill_end(&w, &d) == 0);
	CHECK(a != 0); /* offset 0 is never handed out */
	CHECK(b == a + 3);
	/* Replaying hands out the same offsets and writes nothing. */
	uint64_t end = s.end;
	spill_begin(&s, &reg, &w);
	CHECK(spill_reserve(&w, 3, &a2, &d) == 0 && a2 == a);
	CHECK(spill_write(&w, a2, "XXX", 3, &d) == 0);
	CHECK(spill_reserve(&w, 5, &b2, &d) == 0 && b2 == b);
	CHECK(spill_end(&w, &d) == 0);
	CHECK(s.end == end);
	int fd = open(spill_path(&s), O_RDONLY);
	CHECK(fd >= 0 && pread(fd, buf, 8, (off_t)a) == 8);
	CHECK(!memcmp(buf, "abcdefgh", 8));
	close(fd);
	char *p = strdup(spill_path(&s));
	spill_release(&s);
	CHECK(access(p, F_OK) != 0); /* deleted */
	free(p);
	rmdir(dir);
}

static void test_device_table(void)
{
	struct tree *t;
	struct diag d = { 0 };
	const char *tab = "# comment\n\n/dev d 755 0 0 - - - - -\n"
			  "/dev/tty c 620 0 5 4 0 1 2 3\n/dev/sda b 660 0 6 8 0 0 0 0\n";

	CHECK(tree_new(&t, 1000) == 0);
	CHECK(tree_apply_device_table(t, tab, strlen(tab), "tab", 0, &d) == 0);
	struct tree_node *n = tree_lookup(t, "dev/tty3");
	CHECK(n && n->mode == 0020620 && n->gid == 5 && n->rdev_major == 4 && n->rdev_minor == 4);
	CHECK(tree_lookup(t, "dev/tty1") && !tree_lookup(t, "dev/tty0") && !tree_lookup(t, "dev/tty4"));
	n = tree_lookup(t, "dev/sda");
	CHECK(n && n->mode == 0060660 && n->rdev_major == 8);
	const char *bad = "/x z 1 1 1 1 1 1 1 1";
	CHECK(tree_apply_device_table(t, bad, strlen(bad), "tab", 0, &d) == -EINVAL);
	CHECK(strstr(d.msg, "tab:1: type \"z\"") != NULL);
	diag_clear(&d);
	const char *fsc = "dev/sda 0 0 0600 capabilities=0x3000\n";
	CHECK(tree_apply_fs_config(t, fsc, strlen(fsc), "fsc", &d) == 0);
	n = tree_lookup(t, "dev/sda");
	CHECK(n->mode == 0060600 && n->nxattrs == 1 && n->xattrs[0].len == VFS_CAP_V2_SIZE);
	CHECK(tree_set_caps(n, 0) == 0 && n->nxattrs == 0);
	tree_free(t);
}

static void test_password(void)
{
	struct seed s;
	char h1[256], h2[256], h3[256];
	struct crypt_data cd;

	seed_from_string(&s, "test");
	CHECK(trees_hash_password(&s, "frog", "s3cret", 0, h1, sizeof(h1)) == 0);
	CHECK(!strncmp(h1, "$6$", 3) && strlen(h1) == 3 + 16 + 1 + 86);
	/* Deterministic, per user, and verifiable by libcrypt itself. */
	CHECK(trees_hash_password(&s, "frog", "s3cret", 0, h2, sizeof(h2)) == 0);
	CHECK_STR(h1, h2);
	CHECK(trees_hash_password(&s, "toad", "s3cret", 0, h2, sizeof(h2)) == 0);
	CHECK(strcmp(h1, h2) != 0);
	memset(&cd, 0, sizeof(cd));
	CHECK_STR(crypt_r("s3cret", h1, &cd), h1);
	CHECK(trees_hash_password(&s, "frog", "s3cret", 10000, h3, sizeof(h3)) == 0);
	CHECK(!strncmp(h3, "$6$rounds=10000$", 16));
	memset(&cd, 0, sizeof(cd));
	CHECK_STR(crypt_r("s3cret", h3, &cd), h3);
}

/* A one-member ustar archive: NAME holding "abc", uid 15, gid 17. */
static void make_tar(uint8_t tar[1536], const char *name)
{
	unsigned sum = 0;

	memset(tar, 0, 1536);
	memcpy(tar, name, strlen(name));
	memcpy(tar + 100, "0000644", 7);
	memcpy(tar + 108, "0000017", 7);
	memcpy(tar + 116, "0000021", 7);
	memcpy(tar + 124, "00000000003", 11);
	memcpy(tar + 136, "00000000000", 11);
	tar[156] = '0';
	memcpy(tar + 257, "ustar", 6);
	memcpy(tar + 263, "00", 2);
	memset(tar + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += tar[i];
	snprintf((char *)tar + 148, 8, "%06o", sum);
	memcpy(tar + 512, "abc", 3);
}

static void test_archive_mem(void)
{
	uint8_t tar[1536];
	struct tree *t;
	struct spill sp;
	struct spill_region reg = { 0 };
	struct diag d = { 0 };

	make_tar(tar, "dir/file");
	CHECK(tree_new(&t, 1000) == 0);
	CHECK(spill_init(&sp, NULL) == 0);
	struct tree_archive_opts o = { .kind = TREE_ARCHIVE_AUTO, .dest = "opt",
				       .policy = TREE_CONFLICT_ERROR, .spill = &sp,
				       .region = &reg, .name = "mem.tar" };
	CHECK(tree_add_archive_mem(t, tar, sizeof(tar), &o, &d) == 0);
	struct tree_node *n = tree_lookup(t, "opt/dir/file");
	CHECK(n && n->size == 3 && n->uid == 15 && n->gid == 17 && (n->mode & 07777) == 0644);
	/* The same archive again under conflicts = error: names both. */
	tree_add_layer(t, "first");
	o.layer = 1;
	CHECK(tree_add_archive_mem(t, tar, sizeof(tar), &o, &d) == -EEXIST);
	diag_clear(&d);
	make_tar(tar, "../file");
	CHECK(tree_add_archive_mem(t, tar, sizeof(tar), &o, &d) == -EINVAL);
	CHECK(strstr(d.msg, "\"..\"") != NULL);
	spill_release(&sp);
	tree_free(t);
}

/* Times after the epoch are the epoch without a fraction; the root
 * takes a layer's attributes (keep-first: the first layer's). */
static void test_times_and_root(void)
{
	struct tree *t;
	struct tree_node *n;
	struct tree_attr a = { .mode = 0100644, .mtime = 1500000000, .mtime_ns = 42 };

	CHECK(sizeof(struct tree_node) == 128 || sizeof(void *) != 8);
	CHECK(tree_new(&t, 1700000000) == 0);
	CHECK(tree_add(t, "a", &a, TREE_CONFLICT_ERROR, 0, &n, NULL) == 0);
	CHECK(n->mtime == 1500000000 && n->mtime_ns == 42);
	a.mtime = 1700000000;
	CHECK(tree_add(t, "b", &a, TREE_CONFLICT_ERROR, 0, &n, NULL) == 0);
	CHECK(n->mtime == 1700000000 && n->mtime_ns == 0);
	a.mtime = 1600000000;
	a.mtime_ns = 1000000000; /* not a nanosecond count */
	CHECK(tree_add(t, "c", &a, TREE_CONFLICT_ERROR, 0, &n, NULL) == 0);
	CHECK(n->mtime == 1600000000 && n->mtime_ns == 0);
	CHECK(tree_add_hardlink(t, "d", "a", TREE_CONFLICT_ERROR, 0, NULL) == 0);
	CHECK(tree_lookup(t, "d")->hardlink == tree_lookup(t, "a"));
	CHECK(t->root->mode == 0040755 && t->root->mtime == 1700000000);
	struct tree_attr r = { .mode = 0040750, .mtime = 1400000000, .mtime_ns = 5 };
	CHECK(tree_set_root(t, &r, TREE_CONFLICT_KEEP_FIRST, 1));
	r.mode = 0040700;
	CHECK(!tree_set_root(t, &r, TREE_CONFLICT_KEEP_FIRST, 2));
	CHECK(t->root->mode == 0040750 && t->root->mtime_ns == 5);
	CHECK(tree_set_root(t, &r, TREE_CONFLICT_ERROR, 2));
	CHECK(t->root->mode == 0040700);
	tree_free(t);
}

/* tree_merge_dir's clash callback: "keep" keeps /usr's, "take" takes the
 * moving entry, anything else stops with -EEXIST. */
static int merge_clash(void *ud, const struct tree_node *moving, const struct tree_node *staying)
{
	int *calls = ud;
	(*calls)++;
	if (!strcmp(moving->name, "keep"))
		return 0;
	if (!strcmp(moving->name, "take"))
		return 1;
	return -EEXIST;
}

static void test_merge_dir(void)
{
	struct tree *t;
	struct tree_attr f = { .mode = 0100644, .size = 1 }, dir = { .mode = 0040700 };
	int calls = 0;

	CHECK(tree_new(&t, 1700000000) == 0);
	CHECK(!tree_add(t, "bin/a", &f, TREE_CONFLICT_ERROR, 0, NULL, NULL));
	CHECK(!tree_add(t, "bin/sub/deep", &f, TREE_CONFLICT_ERROR, 0, NULL, NULL));
	CHECK(!tree_add(t, "bin/keep", &f, TREE_CONFLICT_ERROR, 0, NULL, NULL));
	f.size = 2;
	CHECK(!tree_add(t, "bin/take", &f, TREE_CONFLICT_ERROR, 0, NULL, NULL));
	CHECK(!tree_add(t, "usr/bin/keep", &f, TREE_CONFLICT_ERROR, 1, NULL, NULL));
	CHECK(!tree_add(t, "usr/bin/take", &f, TREE_CONFLICT_ERROR, 1, NULL, NULL));
	CHECK(!tree_add(t, "usr/bin/sub", &dir, TREE_CONFLICT_ERROR, 1, NULL, NULL));
	CHECK(!tree_add(t, "usr/bin/sub/other", &f, TREE_CONFLICT_ERROR, 1, NULL, NULL));
	/* Links into what moves, and to what is dropped. */
	CHECK(!tree_add_hardlink(t, "etc/to-a", "bin/a", TREE_CONFLICT_ERROR, 0, NULL));
	CHECK(!tree_add_hardlink(t, "etc/to-keep", "bin/keep", TREE_CONFLICT_ERROR, 0, NULL));
	CHECK(!tree_add_hardlink(t, "etc/to-old-take", "usr/bin/take", TREE_CONFLICT_ERROR, 0,
				 NULL));
	struct tree_node *a = tree_lookup(t, "bin/a");

	CHECK(!tree_merge_dir(t, "bin", "usr/bin", merge_clash, &calls, NULL));
	CHECK_EQ_U64(calls, 2);
	CHECK(tree_lookup(t, "bin") && tree_lookup(t, "bin")->nkids == 0);
	CHECK(tree_lookup(t, "usr/bin/a") == a);
	CHECK(tree_lookup(t, "etc/to-a")->hardlink == a);
	CHECK(tree_lookup(t, "usr/bin/sub/deep") && tree_lookup(t, "usr/bin/sub/other"));
	CHECK(tree_lookup(t, "usr/bin/sub")->mode == 0040700); /* /usr's directory stays */
	CHECK(tree_lookup(t, "usr/bin/keep")->layer == 1);
	CHECK(tree_lookup(t, "usr/bin/take")->layer == 0);
	/* Links to dropped entries took their data. */
	CHECK(!tree_lookup(t, "etc/to-keep")->hardlink && tree_lookup(t, "etc/to-keep")->size == 1);
	CHECK(!tree_lookup(t, "etc/to-old-take")->hardlink &&
	      tree_lookup(t, "etc/to-old-take")->size == 2);
	/* A refusing clash stops; every node is still in one of the two. */
	CHECK(!tree_add(t, "sbin/x", &f, TREE_CONFLICT_ERROR, 0, NULL, NULL));
	CHECK(!tree_add(t, "sbin/y", &f, TREE_CONFLICT_ERROR, 0, NULL, NULL));
	CHECK(!tree_add(t, "usr/sbin/x", &f, TREE_CONFLICT_ERROR, 1, NULL, NULL));
	CHECK(tree_merge_dir(t, "sbin", "usr/sbin", merge_clash, &calls, NULL) == -EEXIST);
	CHECK(tree_lookup(t, "sbin/x") && tree_lookup(t, "usr/sbin/x") && tree_lookup(t, "usr/sbin/y"));
	CHECK(tree_merge_dir(t, "usr", "usr/bin", merge_clash, &calls, NULL) == -EINVAL);
	CHECK(tree_merge_dir(t, "etc/to-a", "x", merge_clash, &calls, NULL) == -ENOTDIR);
	tree_free(t);
}

int main(void)
{
	T_RUN(test_clean_path);
	T_RUN(test_vfs_cap);
	T_RUN(test_spill_replay);
	T_RUN(test_device_table);
	T_RUN(test_password);
	T_RUN(test_archive_mem);
	T_RUN(test_times_and_root);
	T_RUN(test_merge_dir);
	return T_DONE();
}
