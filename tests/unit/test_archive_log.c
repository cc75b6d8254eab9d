/* SPDX-License-Identifier: MIT */
/* Unit tests: archive replay logs. A layer imported from its log (and a
 * sibling layer recorded in another layer's read) gives the same tree,
 * bytes included, as reading the archive; the checks against the
 * current tree still apply; a file changed since its read is refused. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/diag.h"
#include "fs/spill.h"
#include "fs/tree-archive.h"
#include "t.h"

struct ent {
	const char *name;
	unsigned type;
	unsigned perm;
	const char *data;   /* file content / symlink or hard link target */
	int64_t uid;
	const char *xattr;  /* user.x = its value */
};

static const struct ent ents[] = {
	{ "./", AE_IFDIR, 0750, NULL, 0, NULL },
	{ "./bin/", AE_IFDIR, 0755, NULL, 0, NULL },
	{ "./bin/busybox", AE_IFREG, 04755, "BUSYBOX", 0, "caps" },
	{ "./bin/ls", 0, 0, "./bin/busybox", 0, NULL }, /* hard link */
	{ "./bin/sh", AE_IFLNK, 0777, "busybox", 0, NULL },
	{ "./bin/empty", AE_IFREG, 0644, "", 3, NULL },
	{ "/dev/console", AE_IFCHR, 0600, NULL, 0, NULL }, /* leading '/': warned */
	{ "./dev/fifo", AE_IFIFO, 0600, NULL, 0, NULL },
	{ "./usr/lib/libc.so", AE_IFREG, 0644, "LIBC LIBC", 5, NULL },
	{ "./usr/lib/libm.so", 0, 0, "./usr/lib/libc.so", 0, NULL },
	{ "./usr/share/doc", AE_IFREG, 0644, "DOC", 7, "d" },
};

/* A pax tar of ents[], xz-compressed, in a malloc'd buffer. */
static uint8_t *make_tar(size_t *ret_len)
{
	size_t cap = 1 << 16, used = 0;
	uint8_t *buf = malloc(cap);
	struct archive *a = archive_write_new();

	CHECK(buf && a);
	archive_write_set_format_pax(a);
	archive_write_add_filter_xz(a);
	CHECK(archive_write_open_memory(a, buf, cap, &used) == ARCHIVE_OK);
	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		const struct ent *e = &ents[i];
		struct archive_entry *ae = archive_entry_new();
		archive_entry_set_pathname(ae, e->name);
		archive_entry_set_mtime(ae, 1600000000 + (time_t)i, 0);
		archive_entry_set_uid(ae, e->uid);
		archive_entry_set_gid(ae, e->uid);
		if (!e->type) {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_hardlink(ae, e->data);
		} else {
			archive_entry_set_filetype(ae, e->type);
			archive_entry_set_perm(ae, e->perm);
		}
		if (e->type == AE_IFLNK)
			archive_entry_set_symlink(ae, e->data);
		if (e->type == AE_IFCHR)
			archive_entry_set_rdev(ae, makedev(5, 1));
		if (e->xattr)
			archive_entry_xattr_add_entry(ae, "user.x", e->xattr, strlen(e->xattr));
		if (e->type == AE_IFREG)
			archive_entry_set_size(ae, (la_int64_t)strlen(e->data));
		CHECK(archive_write_header(a, ae) == ARCHIVE_OK);
		if (e->type == AE_IFREG && *e->data)
			CHECK(archive_write_data(a, e->data, strlen(e->data)) == (la_ssize_t)strlen(e->data));
		archive_entry_free(ae);
	}
	CHECK(archive_write_close(a) == ARCHIVE_OK);
	archive_write_free(a);
	*ret_len = used;
	return buf;
}

struct dump {
	char *s;
	size_t len;
};

static void dump_add(struct dump *dm, const char *txt)
{
	size_t l = strlen(txt);
	char *n = realloc(dm->s, dm->len + l + 1);

	CHECK(n != NULL);
	if (!n)
		return;
	memcpy(n + dm->len, txt, l + 1);
	dm->s = n;
	dm->len += l;
}

/* Everything a writer would see of a node, its data bytes included (read
 * from the spill file, wherever they are). */
static int dump_node(struct tree_node *n, void *ud)
{
	struct dump *dm = ud;
	char line[512], data[64] = "";
	char *p = tree_path(n), *hl = n->hardlink ? tree_path(n->hardlink) : NULL;
	struct tree_node *dn = n;

	while (dn->hardlink)
		dn = dn->hardlink;
	if (tree_is_reg(dn) && dn->size && dn->size < sizeof(data) && dn->src_path) {
		FILE *f = fopen(dn->src_path, "rb");
		CHECK(f != NULL);
		if (f) {
			CHECK(fseek(f, (long)dn->src_off, SEEK_SET) == 0);
			CHECK(fread(data, 1, (size_t)dn->size, f) == dn->size);
			fclose(f);
		}
	}
	snprintf(line, sizeof(line), "/%s %o %u:%u %" PRIu64 " %" PRId64 " %u,%u l=%s h=%s n=%u "
		 "L=%u x=%u:%.*s [%s]\n", p, n->mode, n->uid, n->gid, n->size, n->mtime, n->rdev_major,
		 n->rdev_minor, n->link ? n->link : "-", hl ? hl : "-", n->nlink, n->layer,
		 n->nxattrs ? n->xattrs[0].len : 0, n->nxattrs ? (int)n->xattrs[0].len : 0, n->nxattrs ? (char *)n->xattrs[0].value : "",
		 data);
	dump_add(dm, line);
	free(p);
	free(hl);
	return 0;
}

static char *dump(struct tree *t)
{
	struct dump dm = { 0 };

	tree_finish(t);
	tree_walk(t, dump_node, &dm);
	return dm.s;
}

static unsigned nwarn;
static void count_warn(void *ud, const char *msg)
{
	(void)ud;
	(void)msg;
	nwarn++;
}

/* A tree holding @layers layer names, so layer indexes match. */
static struct tree *new_tree(void)
{
	struct tree *t;

	CHECK(tree_new(&t, 1700000000) == 0);
	CHECK(tree_add_layer(t, "pre") == 0);
	CHECK(tree_add_layer(t, "archive") == 1);
	return t;
}

static char tmpdir[] = "/tmp/kiln-test-log.XXXXXX";

static void test_replay_equals_read(void)
{
	size_t len;
	uint8_t *tar = make_tar(&len);
	struct spill sp;
	struct spill_region reg = { 0 }, reg2 = { 0 };
	struct tree_archive_log *log = NULL;
	struct diag d = { .warn = count_warn };

	CHECK(spill_init(&sp, tmpdir) == 0);
	struct tree_archive_opts o = { .kind = TREE_ARCHIVE_AUTO, .dest = "opt",
				       .policy = TREE_CONFLICT_ERROR, .layer = 1, .spill = &sp,
				       .region = &reg, .name = "mem.tar.xz", .log = &log };
	/* First read records; the replay gives the same tree. */
	struct tree *t1 = new_tree(), *t2 = new_tree(), *t3 = new_tree();
	nwarn = 0;
	CHECK(tree_add_archive_mem(t1, tar, len, &o, &d) == 0);
	CHECK(log != NULL);
	CHECK_EQ_U64(nwarn, 1);
	/* The log does not read the buffer: garbage proves it. */
	uint8_t junk[16] = { 0 };
	CHECK(tree_add_archive_mem(t2, junk, sizeof(junk), &o, &d) == 0);
	CHECK_EQ_U64(nwarn, 2); /* the leading-'/' warning again */
	/* Uncached, in its own region: same tree, same bytes elsewhere. */
	o.log = NULL;
	o.region = &reg2;
	CHECK(tree_add_archive_mem(t3, tar, len, &o, &d) == 0);
	CHECK_STR(d.msg, "");
	char *a = dump(t1), *b = dump(t2), *c = dump(t3);
	CHECK_STR(a, b);
	if (getenv("KILN_TEST_VERBOSE"))
		fputs(a ? a : "", stderr);
	/* Offsets differ (other region) but not what they hold. */
	CHECK(a && strstr(a, "/opt/usr/lib/libc.so 100644 5:5 9 1600000008 0,0 l=- h=- n=2"));
	CHECK(a && strstr(a, "h=opt/usr/lib/libc.so n=1 L=1 x=0: [LIBC LIBC]"));
	CHECK(a && strstr(a, "/opt/bin/busybox 104755") && strstr(a, "x=4:caps"));
	CHECK(a && strstr(a, "/opt/dev/console 20600 0:0 0 1600000006 5,1"));
	CHECK(a && strstr(a, "/opt 40750"));
	CHECK_STR(a, c);
	free(a);
	free(b);
	free(c);
	tree_free(t1);
	tree_free(t2);
	tree_free(t3);

	/* Checks against the current tree: /opt/usr a symlink. */
	struct tree *t4 = new_tree();
	struct tree_attr dir = { .mode = 040755 }, lnk = { .mode = 0120777, .link = "/lib" };
	CHECK(tree_add(t4, "opt", &dir, TREE_CONFLICT_ERROR, 0, NULL, &d) == 0);
	CHECK(tree_add(t4, "lib", &dir, TREE_CONFLICT_ERROR, 0, NULL, &d) == 0);
	CHECK(tree_add(t4, "opt/usr", &lnk, TREE_CONFLICT_ERROR, 0, NULL, &d) == 0);
	o.log = &log;
	o.region = &reg;
	CHECK(tree_add_archive_mem(t4, junk, sizeof(junk), &o, &d) == -EINVAL);
	CHECK(strstr(d.msg, "parent \"/opt/usr\" is a symlink") != NULL);
	diag_clear(&d);
	/* ... followed inside the tree when the layer asks. */
	o.follow_symlinks = true;
	o.policy = TREE_CONFLICT_REPLACE;
	CHECK(tree_add_archive_mem(t4, junk, sizeof(junk), &o, &d) == 0);
	struct tree_node *m = tree_lookup(t4, "lib/lib/libm.so");
	CHECK(m && m->hardlink == tree_lookup(t4, "lib/lib/libc.so"));
	/* ... and a second replay conflicts under conflicts = error. */
	o.policy = TREE_CONFLICT_ERROR;
	CHECK(tree_add_archive_mem(t4, junk, sizeof(junk), &o, &d) == -EEXIST);
	diag_clear(&d);
	tree_free(t4);
	tree_archive_log_free(log);
	spill_release(&sp);
	free(tar);
}

static void test_sibling(void)
{
	size_t len;
	uint8_t *tar = make_tar(&len);
	struct spill sp;
	struct spill_region reg = { 0 }, regs = { 0 };
	struct tree_archive_log *log = NULL, *slog = NULL, *slog2 = NULL;
	struct diag d = { .warn = count_warn };
	const char *const inc[] = { "bin/*", "usr/share/*" };
	const char *const sinc[] = { "usr/lib/*" };

	CHECK(spill_init(&sp, tmpdir) == 0);
	/* Siblings keep members this layer drops (libc.so) and members it
	 * keeps too (busybox: shared data). */
	struct tree_archive_sibling sib[] = {
		{ .include = sinc, .ninclude = 1, .log = &slog },
		{ .subdir = "bin", .log = &slog2 },
	};
	struct tree_archive_opts o = { .kind = TREE_ARCHIVE_AUTO, .policy = TREE_CONFLICT_ERROR,
				       .layer = 1, .spill = &sp, .region = &reg, .name = "mem",
				       .include = inc, .ninclude = 2, .log = &log,
				       .siblings = sib, .nsiblings = 2 };
	struct tree *t1 = new_tree();
	CHECK(tree_add_archive_mem(t1, tar, len, &o, &d) == 0);
	CHECK(log && slog && slog2);
	CHECK(tree_lookup(t1, "bin/busybox") && !tree_lookup(t1, "usr/lib/libc.so"));
	tree_free(t1);
	for (unsigned k = 0; k < 2; k++) {
		struct tree_archive_log *l = NULL;
		struct tree_archive_opts so = {
			.kind = TREE_ARCHIVE_AUTO, .dest = "x", .policy = TREE_CONFLICT_ERROR,
			.layer = 1, .spill = &sp, .region = &regs, .name = "mem",
			.include = sib[k].include, .ninclude = sib[k].ninclude,
			.subdir = sib[k].subdir, .log = sib[k].log,
		};
		struct tree *tr = new_tree(), *tu = new_tree();
		uint8_t junk[16] = { 0 };
		CHECK(tree_add_archive_mem(tr, junk, sizeof(junk), &so, &d) == 0);
		so.log = &l;
		so.region = &regs;
		regs.done = false;
		CHECK(tree_add_archive_mem(tu, tar, len, &so, &d) == 0);
		CHECK_STR(d.msg, "");
		char *a = dump(tr), *b = dump(tu);
		CHECK_STR(a, b);
		CHECK(a && strstr(a, k ? "/x/busybox 104755" : "/x/usr/lib/libc.so"));
		CHECK(a && strstr(a, k ? "[BUSYBOX]" : "[LIBC LIBC]"));
		free(a);
		free(b);
		tree_free(tr);
		tree_free(tu);
		tree_archive_log_free(l);
	}
	tree_archive_log_free(log);
	tree_archive_log_free(slog);
	tree_archive_log_free(slog2);
	spill_release(&sp);
	free(tar);
}

static void test_changed_file(void)
{
	size_t len;
	uint8_t *tar = make_tar(&len);
	char path[64];
	struct spill sp;
	struct spill_region reg = { 0 };
	struct tree_archive_log *log = NULL;
	struct diag d = { 0 };

	snprintf(path, sizeof(path), "%s/a.tar.xz", tmpdir);
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(tar, 1, len, f) == len);
	fclose(f);
	CHECK(spill_init(&sp, tmpdir) == 0);
	struct tree_archive_opts o = { .kind = TREE_ARCHIVE_AUTO, .policy = TREE_CONFLICT_REPLACE,
				       .layer = 1, .spill = &sp, .region = &reg, .name = path,
				       .log = &log };
	struct tree *t = new_tree();
	CHECK(tree_add_archive(t, path, &o, &d) == 0);
	CHECK(tree_add_archive(t, path, &o, &d) == 0);
	f = fopen(path, "ab");
	CHECK(f && fputc(0, f) == 0);
	fclose(f);
	CHECK(tree_add_archive(t, path, &o, &d) == -ESTALE);
	CHECK(strstr(d.msg, "changed during the build") != NULL);
	tree_free(t);
	tree_archive_log_free(log);
	spill_release(&sp);
	unlink(path);
	free(tar);
}

static int write_fd(void *ud, const void *buf, size_t len)
{
	return write(*(int *)ud, buf, len) == (ssize_t)len ? 0 : -EIO;
}

/* Decoded layers (the build cache's form): exported with their data,
 * loaded back, they replay into the same tree with the bytes read from
 * the exported file. A damaged file is refused or, where the damage
 * passes the checks (a flipped name byte), replayed without a crash. */
static void test_export_load(void)
{
	size_t len;
	uint8_t *tar = make_tar(&len);
	char path[64];
	struct spill sp;
	struct spill_region reg = { 0 };
	struct tree_archive_log *log = NULL, *loaded = NULL;
	struct diag d = { .warn = count_warn };
	uint8_t junk[16] = { 0 };

	snprintf(path, sizeof(path), "%s/layer", tmpdir);
	CHECK(spill_init(&sp, tmpdir) == 0);
	struct tree_archive_opts o = { .kind = TREE_ARCHIVE_AUTO, .dest = "opt",
				       .policy = TREE_CONFLICT_ERROR, .layer = 1, .spill = &sp,
				       .region = &reg, .name = "mem.tar.xz", .log = &log };
	struct tree *t1 = new_tree(), *t2 = new_tree();
	CHECK(tree_add_archive_mem(t1, tar, len, &o, &d) == 0);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(tree_archive_log_export(log, sp.fd, write_fd, &fd, &d) == 0);
	CHECK(tree_archive_log_load(fd, path, NULL, &loaded, &d) == 0);
	CHECK(tree_archive_log_is_loaded(loaded) && !tree_archive_log_is_loaded(log));
	/* A loaded log is not exported again. */
	CHECK(tree_archive_log_export(loaded, -1, write_fd, &fd, NULL) == -EINVAL);
	o.log = &loaded;
	CHECK(tree_add_archive_mem(t2, junk, sizeof(junk), &o, &d) == 0);
	CHECK_STR(d.msg, "");
	char *a = dump(t1), *b = dump(t2);
	CHECK_STR(a, b);
	CHECK(b && strstr(b, "[LIBC LIBC]") && strstr(b, "[BUSYBOX]"));
	struct tree_node *n = tree_lookup(t2, "opt/bin/busybox");
	CHECK(n && n->src_path && !strcmp(n->src_path, path));
	free(a);
	free(b);
	tree_free(t1);
	tree_free(t2);
	tree_archive_log_free(loaded);
	loaded = NULL;

	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	uint64_t size = (uint64_t)st.st_size;
	uint8_t *file = malloc(size);
	CHECK(file && pread(fd, file, size, 0) == (ssize_t)size);
	/* Truncated anywhere: refused. */
	for (uint64_t cut = 0; file && cut < size; cut += 7) {
		CHECK(ftruncate(fd, (off_t)cut) == 0);
		CHECK(tree_archive_log_load(fd, path, NULL, &loaded, NULL) == -EINVAL);
	}
	/* Every byte of header and log flipped in turn: refused, or loaded
	 * and replayed (the tree's own checks apply) without a crash. */
	uint64_t text = 56 + 64; /* header and the first records at least */
	for (uint64_t i = 0; file && i < text && i < size; i++) {
		file[i] ^= 0x5a;
		CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, file, size, 0) == (ssize_t)size);
		file[i] ^= 0x5a;
		if (tree_archive_log_load(fd, path, NULL, &loaded, NULL) == 0) {
			struct tree *t3 = new_tree();
			struct diag q = { 0 };
			(void)tree_add_archive_mem(t3, junk, sizeof(junk), &o, &q);
			tree_free(t3);
			tree_archive_log_free(loaded);
			loaded = NULL;
		}
	}
	/* The magic or format changed: refused. */
	if (file) {
		file[0] ^= 1;
		CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, file, size, 0) == (ssize_t)size);
		CHECK(tree_archive_log_load(fd, path, NULL, &loaded, &d) == -EINVAL);
		CHECK(strstr(d.msg, "not a decoded layer of this kiln") != NULL);
		diag_clear(&d);
	}
	free(file);
	close(fd);
	unlink(path);
	tree_archive_log_free(log);
	spill_release(&sp);
	free(tar);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	T_RUN(test_replay_equals_read);
	T_RUN(test_sibling);
	T_RUN(test_changed_file);
	T_RUN(test_export_load);
	rmdir(tmpdir);
	return T_DONE();
}
