/* SPDX-License-Identifier: MIT */
/* Unit tests: FAT codecs (field offsets, round trips), names, geometry,
 * and the writer's error paths (long names, unreadable input, faults). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "fs/fat/fat-format.h"
#include "fs/fat/fat-geom.h"
#include "fs/fat/fat-names.h"
#include "fs/fat/fat-writer.h"
#include "fs/tree.h"
#include "io/sink.h"
#include "t.h"

static void test_bpb_offsets(void)
{
	struct fat_bpb b = { 0 }, r;
	uint8_t s[512];

	b.fat_type = 32;
	memcpy(b.oem, "OEMNAME1", 8);
	b.bytes_per_sector = 512;
	b.sectors_per_cluster = 8;
	b.reserved_sectors = 32;
	b.num_fats = 2;
	b.total_sectors = 0x00123456;
	b.media = 0xF8;
	b.fat_sectors = 0x1234;
	b.sectors_per_track = 63;
	b.heads = 255;
	b.hidden_sectors = 2048;
	b.drive_number = 0x80;
	b.volume_id = 0xA1B2C3D4;
	memcpy(b.label, "LABEL      ", 11);
	b.root_cluster = 2;
	b.fsinfo_sector = 1;
	b.backup_boot_sector = 6;
	fat_bpb_encode(&b, s);
	CHECK(s[0] == 0xEB && s[2] == 0x90 && s[1] == FAT32_BS_CODE - 2);
	CHECK(!memcmp(s + 3, "OEMNAME1", 8));
	CHECK_EQ_U64(get_le16(s + 11), 512);
	CHECK_EQ_U64(s[13], 8);
	CHECK_EQ_U64(get_le16(s + 14), 32);
	CHECK_EQ_U64(s[16], 2);
	CHECK_EQ_U64(get_le16(s + 17), 0);
	CHECK_EQ_U64(get_le16(s + 19), 0);  /* > 65535 sectors: TotSec32 */
	CHECK_EQ_U64(s[21], 0xF8);
	CHECK_EQ_U64(get_le16(s + 22), 0);  /* FAT32: FATSz16 = 0 */
	CHECK_EQ_U64(get_le16(s + 24), 63);
	CHECK_EQ_U64(get_le16(s + 26), 255);
	CHECK_EQ_U64(get_le32(s + 28), 2048);
	CHECK_EQ_U64(get_le32(s + 32), 0x123456);
	CHECK_EQ_U64(get_le32(s + 36), 0x1234);
	CHECK_EQ_U64(get_le32(s + 44), 2);
	CHECK_EQ_U64(get_le16(s + 48), 1);
	CHECK_EQ_U64(get_le16(s + 50), 6);
	CHECK_EQ_U64(s[64], 0x80);
	CHECK_EQ_U64(s[66], 0x29);
	CHECK_EQ_U64(get_le32(s + 67), 0xA1B2C3D4);
	CHECK(!memcmp(s + 71, "LABEL      ", 11));
	CHECK(!memcmp(s + 82, "FAT32   ", 8));
	CHECK(s[510] == 0x55 && s[511] == 0xAA);
	CHECK(fat_bpb_decode(s, &r) == 0);
	CHECK_EQ_U64(r.fat_type, 32);
	CHECK_EQ_U64(r.total_sectors, 0x123456);
	CHECK_EQ_U64(r.fat_sectors, 0x1234);
	CHECK_EQ_U64(r.volume_id, 0xA1B2C3D4);
	CHECK_EQ_U64(r.backup_boot_sector, 6);

	/* FAT16 layout: extended BPB at 36. */
	b.fat_type = 16;
	b.total_sectors = 40000;
	b.fat_sectors = 40;
	b.root_entries = 512;
	b.sectors_per_cluster = 4;
	b.reserved_sectors = 4;
	fat_bpb_encode(&b, s);
	CHECK_EQ_U64(get_le16(s + 17), 512);
	CHECK_EQ_U64(get_le16(s + 19), 40000);
	CHECK_EQ_U64(get_le32(s + 32), 0);
	CHECK_EQ_U64(get_le16(s + 22), 40);
	CHECK_EQ_U64(s[36], 0x80);
	CHECK_EQ_U64(s[38], 0x29);
	CHECK_EQ_U64(get_le32(s + 39), 0xA1B2C3D4);
	CHECK(!memcmp(s + 43, "LABEL      ", 11));
	CHECK(!memcmp(s + 54, "FAT16   ", 8));
	CHECK(s[1] == FAT16_BS_CODE - 2);
	CHECK(fat_bpb_decode(s, &r) == 0 && r.fat_type == 16 && r.root_entries == 512);
	s[510] = 0;
	CHECK(fat_bpb_decode(s, &r) == -EINVAL);
}

static void test_fsinfo_dirent_lfn(void)
{
	uint8_t s[512], e[32], l[64];
	struct fat_dirent de = { 0 }, rd;

	fat_fsinfo_encode(1234, 56, s);
	CHECK(!memcmp(s, "RRaA", 4) && !memcmp(s + 484, "rrAa", 4));
	CHECK_EQ_U64(get_le32(s + 488), 1234);
	CHECK_EQ_U64(get_le32(s + 492), 56);
	CHECK(s[510] == 0x55 && s[511] == 0xAA);

	memcpy(de.name, "README  TXT", 11);
	de.attr = FAT_ATTR_ARCHIVE;
	de.ntres = 0x18;
	de.date = 0x1234;
	de.time = 0x5678;
	de.tenth = 100;
	de.first_cluster = 0x00ABCDEF;
	de.size = 0x11223344;
	fat_dirent_encode(&de, e);
	CHECK_EQ_U64(e[11], FAT_ATTR_ARCHIVE);
	CHECK_EQ_U64(e[12], 0x18);
	CHECK_EQ_U64(e[13], 100);
	CHECK_EQ_U64(get_le16(e + 14), 0x5678);
	CHECK_EQ_U64(get_le16(e + 16), 0x1234);
	CHECK_EQ_U64(get_le16(e + 18), 0x1234);
	CHECK_EQ_U64(get_le16(e + 20), 0x00AB);
	CHECK_EQ_U64(get_le16(e + 22), 0x5678);
	CHECK_EQ_U64(get_le16(e + 24), 0x1234);
	CHECK_EQ_U64(get_le16(e + 26), 0xCDEF);
	CHECK_EQ_U64(get_le32(e + 28), 0x11223344);
	fat_dirent_decode(e, &rd);
	CHECK(!memcmp(rd.name, de.name, 11) && rd.first_cluster == de.first_cluster &&
	      rd.size == de.size && rd.ntres == 0x18);

	/* Checksum of "README  TXT", computed independently: 0x73. */
	CHECK_EQ_U64(fat_lfn_checksum((const uint8_t *)"README  TXT"), 0x73);
	/* 14 units: two entries, last part first with 0x40, then 0x0000 and
	 * 0xFFFF padding after the name. */
	uint16_t name[14];
	for (unsigned i = 0; i < 14; i++)
		name[i] = (uint16_t)('a' + i);
	CHECK_EQ_U64(fat_lfn_count(14), 2);
	CHECK_EQ_U64(fat_lfn_count(13), 1);
	CHECK_EQ_U64(fat_lfn_count(255), 20);
	fat_lfn_encode(name, 14, 0x73, l);
	CHECK_EQ_U64(l[0], 0x42);
	CHECK_EQ_U64(l[11], 0x0F);
	CHECK_EQ_U64(l[13], 0x73);
	CHECK_EQ_U64(get_le16(l + 26), 0);
	CHECK_EQ_U64(get_le16(l + 1), 'n');      /* 14th char */
	CHECK_EQ_U64(get_le16(l + 3), 0x0000);   /* terminator */
	CHECK_EQ_U64(get_le16(l + 5), 0xFFFF);   /* padding */
	CHECK_EQ_U64(get_le16(l + 30), 0xFFFF);
	CHECK_EQ_U64(l[32], 0x01);
	CHECK_EQ_U64(get_le16(l + 32 + 1), 'a');
	CHECK_EQ_U64(get_le16(l + 32 + 14), 'f'); /* 6th char at NAME2 */
	CHECK_EQ_U64(get_le16(l + 32 + 30), 'm'); /* 13th char at NAME3+2 */
}

static void test_time(void)
{
	uint16_t dt, tm;
	uint8_t tenth;
	bool cl;

	/* 2001-02-03 04:05:07 UTC = 981173107 */
	fat_time_encode(981173107, &dt, &tm, &tenth, &cl);
	CHECK(!cl);
	CHECK_EQ_U64(dt, (21 << 9) | (2 << 5) | 3);
	CHECK_EQ_U64(tm, (4 << 11) | (5 << 5) | 3);
	CHECK_EQ_U64(tenth, 100);
	CHECK_EQ_U64(fat_time_decode(dt, tm, tenth), 981173107);
	fat_time_encode(0, &dt, &tm, &tenth, &cl);
	CHECK(cl);
	CHECK_EQ_U64(dt, (0 << 9) | (1 << 5) | 1);
	CHECK_EQ_U64(tm, 0);
	fat_time_encode(5000000000LL, &dt, &tm, &tenth, &cl);
	CHECK(cl && (dt >> 9) == 127);
	/* Leap day 2024-02-29 12:00:00 = 1709208000 */
	fat_time_encode(1709208000, &dt, &tm, &tenth, &cl);
	CHECK_EQ_U64(dt, (44 << 9) | (2 << 5) | 29);
}

static void test_names(void)
{
	uint16_t u[300];
	unsigned n;
	struct fat_sfn s;
	uint8_t t[11], lab[11];

	CHECK(fat_utf8_to_utf16("h\xc3\xa9", u, 300, &n) == 0 && n == 2 && u[1] == 0xE9);
	CHECK(fat_utf8_to_utf16("\xf0\x9f\x98\x80", u, 300, &n) == 0 && n == 2 && u[0] == 0xD83D &&
	      u[1] == 0xDE00);
	CHECK(fat_utf8_to_utf16("\xc0\xaf", u, 300, &n) == -EILSEQ);     /* overlong */
	CHECK(fat_utf8_to_utf16("\xed\xa0\x80", u, 300, &n) == -EILSEQ); /* surrogate */
	CHECK(fat_utf8_to_utf16("\xff", u, 300, &n) == -EILSEQ);
	CHECK(fat_utf8_to_utf16("abc", u, 2, &n) == -ENAMETOOLONG);

	fat_utf8_to_utf16("a:b", u, 300, &n);
	CHECK(fat_name_check(u, n) != NULL);
	fat_utf8_to_utf16("trail.", u, 300, &n);
	CHECK(fat_name_check(u, n) != NULL);
	fat_utf8_to_utf16("ok name+x.txt", u, 300, &n);
	CHECK(fat_name_check(u, n) == NULL);
	CHECK(fat_upcase('a') == 'A' && fat_upcase(0xE9) == 0xC9 && fat_upcase(0xF7) == 0xF7 &&
	      fat_upcase(0x3B1) == 0x391 && fat_upcase(0x430) == 0x410 && fat_upcase(0x101) == 0x100);

	fat_utf8_to_utf16("readme.txt", u, 300, &n);
	fat_sfn_basis(u, n, &s);
	CHECK(s.exact && !s.need_lfn && s.ntres == 0x18 && !memcmp(s.name, "README  TXT", 11));
	fat_utf8_to_utf16("README.txt", u, 300, &n);
	fat_sfn_basis(u, n, &s);
	CHECK(s.exact && !s.need_lfn && s.ntres == 0x10);
	fat_utf8_to_utf16("ReadMe.txt", u, 300, &n);
	fat_sfn_basis(u, n, &s);
	CHECK(s.exact && s.need_lfn && !memcmp(s.name, "README  TXT", 11));
	fat_utf8_to_utf16("a very long name.txt", u, 300, &n);
	fat_sfn_basis(u, n, &s);
	CHECK(!s.exact && s.need_lfn && !memcmp(s.name, "AVERYLONTXT", 11));
	fat_sfn_tail(&s, 1, t);
	CHECK(!memcmp(t, "AVERYL~1TXT", 11));
	fat_sfn_tail(&s, 12, t);
	CHECK(!memcmp(t, "AVERY~12TXT", 11));
	fat_utf8_to_utf16(".bashrc", u, 300, &n);
	fat_sfn_basis(u, n, &s);
	CHECK(!s.exact && !memcmp(s.name, "BASHRC     ", 11));
	fat_utf8_to_utf16("x+y.tar.gz", u, 300, &n);
	fat_sfn_basis(u, n, &s);
	CHECK(!s.exact && !memcmp(s.name, "X_YTAR  GZ ", 11));

	CHECK(fat_label_encode(NULL, lab) == NULL && !memcmp(lab, "NO NAME    ", 11));
	CHECK(fat_label_encode("boot", lab) == NULL && !memcmp(lab, "boot       ", 11));
	CHECK(fat_label_encode("TWELVE CHARS", lab) != NULL);
	CHECK(fat_label_encode("a.b", lab) != NULL);
	CHECK(fat_label_encode(" x", lab) != NULL);
}

static void test_geometry(void)
{
	struct fat_geom_req q = { 0 };
	struct fat_geom g;
	struct diag d = { 0 };

	/* Numbers mkfs.vfat 4.2 prints for these sizes. */
	q.size = 64ull << 20;
	CHECK(fat_geom_plan(&q, &g, NULL) == 0);
	CHECK(g.fat_type == 16 && g.sectors_per_cluster == 4 && g.clusters == 32695 &&
	      g.fat_sectors == 128 && g.reserved == 4 && g.heads == 8 && g.sectors_per_track == 32);
	q.size = 8ull << 20;
	CHECK(fat_geom_plan(&q, &g, NULL) == 0);
	CHECK(g.fat_type == 12 && g.clusters == 4081 && g.fat_sectors == 12);
	q.size = 512ull << 20;
	CHECK(fat_geom_plan(&q, &g, NULL) == 0);
	CHECK(g.fat_type == 32 && g.sectors_per_cluster == 8 && g.clusters == 130811 &&
	      g.fat_sectors == 1024 && g.reserved == 32 && g.backup_boot == 6);
	q.size = 16ull << 20;
	q.fat_type = 32;
	CHECK(fat_geom_plan(&q, &g, &d) == -ENOSPC && strstr(d.msg, "65525"));
	/* Forced FAT16 where mkfs.vfat's 2 KiB clusters are too few: kiln
	 * picks smaller clusters. */
	q.size = 8ull << 20;
	q.fat_type = 16;
	CHECK(fat_geom_plan(&q, &g, NULL) == 0 && g.fat_type == 16 && g.clusters >= 4085);
	q.sectors_per_cluster = 3;
	CHECK(fat_geom_plan(&q, &g, NULL) == -EINVAL);
}

/* A small tree on a memory sink; returns the plan (caller frees). */
static int plan_tree(struct tree *t, struct fat_plan **p, struct diag *d)
{
	struct fat_options o = { 0 };

	o.geom.size = 4ull << 20;
	o.epoch = 1700000000;
	o.volume_id = 0x12345678;
	o.label = "UNIT";
	return fat_plan_new(p, t, &o, d);
}

static void test_writer(void)
{
	char dir[] = "/tmp/kiln-fat-XXXXXX", path[256];
	struct tree *t;
	struct fat_plan *p = NULL;
	struct diag d = { 0 };
	struct tree_attr a = { 0 };
	struct sink *m, *f;
	char longname[400];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/data", dir);
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0 && write(fd, "hello fat", 9) == 9);
	close(fd);

	/* Names over 255 UTF-16 units: host and tree names stop at 255 bytes,
	 * so rename a node behind the tree's back to reach the check. */
	struct tree_node *nd = NULL;
	tree_new(&t, 1700000000);
	memset(longname, 'n', 300);
	longname[300] = 0;
	a.mode = 0100644;
	a.size = 9;
	a.src_path = path;
	CHECK(tree_add(t, "short", &a, TREE_CONFLICT_ERROR, 0, &nd, NULL) == 0 && nd);
	/* The old name lives in the tree's arena (not freed); the tree
	 * frees a heap string put in its place. */
	nd->name = strdup(longname);
	tree_finish(t);
	CHECK(plan_tree(t, &p, &d) == -ENAMETOOLONG && strstr(d.msg, "/nnnn") && strstr(d.msg, "255"));
	tree_free(t);

	/* A file whose source vanished after planning: the write names it. */
	diag_clear(&d);
	tree_new(&t, 1700000000);
	CHECK(tree_add(t, "dir/hello.txt", &a, TREE_CONFLICT_ERROR, 0, NULL, NULL) == 0);
	a.src_path = "/nonexistent/kiln-fat-input";
	CHECK(tree_add(t, "gone.bin", &a, TREE_CONFLICT_ERROR, 0, NULL, NULL) == 0);
	tree_finish(t);
	CHECK(plan_tree(t, &p, &d) == 0);
	CHECK(sink_mem_new(&m, 4ull << 20) == 0);
	CHECK(fat_plan_write(p, m, &d) == -ENOENT && strstr(d.msg, "/gone.bin: cannot read /nonexistent/kiln-fat-input"));
	sink_release(m);
	fat_plan_free(p);
	tree_free(t);

	/* A good tree: the file's bytes sit in its cluster; then every
	 * failing sink call makes a clean error. */
	tree_new(&t, 1700000000);
	a.src_path = path;
	CHECK(tree_add(t, "dir/hello.txt", &a, TREE_CONFLICT_ERROR, 0, NULL, NULL) == 0);
	tree_finish(t);
	CHECK(plan_tree(t, &p, &d) == 0);
	const struct fat_geom *g = fat_plan_geom(p);
	CHECK(g->fat_type == 12);
	CHECK_EQ_U64(fat_plan_used_clusters(p), 2); /* dir + file */
	CHECK(sink_mem_new(&m, 4ull << 20) == 0);
	CHECK(fat_plan_write(p, m, &d) == 0);
	uint64_t len;
	const uint8_t *img = sink_mem_data(m, &len);
	struct fat_bpb b;
	CHECK(len >= fat_cluster_offset(g, 4) && fat_bpb_decode(img, &b) == 0 && b.fat_type == 12);
	CHECK(!memcmp(img + fat_cluster_offset(g, 3), "hello fat", 9));
	/* Root: the label entry first, then DIR. */
	uint64_t root = ((uint64_t)g->reserved + 2ull * g->fat_sectors) * g->sector_size;
	CHECK(!memcmp(img + root, "UNIT       ", 11) && img[root + 11] == FAT_ATTR_VOLUME_ID);
	CHECK(!memcmp(img + root + 32, "DIR        ", 11) && img[root + 32 + 12] == 0x08);
	sink_release(m);
	/* The source grew after planning: an error naming it, not a silent cut. */
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "!", 1) == 1);
	close(fd);
	diag_clear(&d);
	CHECK(sink_mem_new(&m, 4ull << 20) == 0);
	CHECK(fat_plan_write(p, m, &d) == -EIO && strstr(d.msg, "/dir/hello.txt") && strstr(d.msg, "changed"));
	sink_release(m);
	CHECK(truncate(path, 9) == 0);
	for (unsigned n = 1; n < 12; n++) {
		CHECK(sink_mem_new(&m, 4ull << 20) == 0);
		CHECK(sink_fault_new(&f, m, n) == 0);
		int r = fat_plan_write(p, f, NULL);
		CHECK(r == -EIO || r == 0);
		sink_release(f);
		sink_release(m);
	}
	fat_plan_free(p);
	tree_free(t);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	T_RUN(test_bpb_offsets);
	T_RUN(test_fsinfo_dirent_lfn);
	T_RUN(test_time);
	T_RUN(test_names);
	T_RUN(test_geometry);
	T_RUN(test_writer);
	return T_DONE();
}
