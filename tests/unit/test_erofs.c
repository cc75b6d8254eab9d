/* SPDX-License-Identifier: MIT */
/* erofs: every on-disk field's offset (the kernel's erofs_fs.h), codec
 * round trips, directory order with "." and "..", a small image on a
 * memory sink read back by erofs_check(), failing writes, and bad trees
 * refused by the planner. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "fs/erofs/erofs-format.h"
#include "fs/erofs/erofs-int.h"
#include "fs/erofs/erofs.h"
#include "fs/tree.h"
#include "io/sink.h"
#include "t.h"

#define OFF(s, f) offsetof(struct s, f)

static void test_offsets(void)
{
	CHECK_EQ_U64(OFF(erofs_super_block, magic), 0);
	CHECK_EQ_U64(OFF(erofs_super_block, checksum), 4);
	CHECK_EQ_U64(OFF(erofs_super_block, feature_compat), 8);
	CHECK_EQ_U64(OFF(erofs_super_block, blkszbits), 12);
	CHECK_EQ_U64(OFF(erofs_super_block, sb_extslots), 13);
	CHECK_EQ_U64(OFF(erofs_super_block, root_nid), 14);
	CHECK_EQ_U64(OFF(erofs_super_block, inos), 16);
	CHECK_EQ_U64(OFF(erofs_super_block, build_time), 24);
	CHECK_EQ_U64(OFF(erofs_super_block, build_time_nsec), 32);
	CHECK_EQ_U64(OFF(erofs_super_block, blocks), 36);
	CHECK_EQ_U64(OFF(erofs_super_block, meta_blkaddr), 40);
	CHECK_EQ_U64(OFF(erofs_super_block, xattr_blkaddr), 44);
	CHECK_EQ_U64(OFF(erofs_super_block, uuid), 48);
	CHECK_EQ_U64(OFF(erofs_super_block, volume_name), 64);
	CHECK_EQ_U64(OFF(erofs_super_block, feature_incompat), 80);
	CHECK_EQ_U64(OFF(erofs_super_block, u1), 84);
	CHECK_EQ_U64(OFF(erofs_super_block, extra_devices), 86);
	CHECK_EQ_U64(OFF(erofs_super_block, devt_slotoff), 88);
	CHECK_EQ_U64(OFF(erofs_super_block, reserved2), 90);

	CHECK_EQ_U64(OFF(erofs_inode_compact, i_format), 0);
	CHECK_EQ_U64(OFF(erofs_inode_compact, i_xattr_icount), 2);
	CHECK_EQ_U64(OFF(erofs_inode_compact, i_mode), 4);
	CHECK_EQ_U64(OFF(erofs_inode_compact, i_nlink), 6);
	CHECK_EQ_U64(OFF(erofs_inode_compact, i_size), 8);
	CHECK_EQ_U64(OFF(erofs_inode_compact, i_reserved), 12);
	CHECK_EQ_U64(OFF(erofs_inode_compact, i_u), 16);
	CHECK_EQ_U64(OFF(erofs_inode_compact, i_ino), 20);
	CHECK_EQ_U64(OFF(erofs_inode_compact, i_uid), 24);
	CHECK_EQ_U64(OFF(erofs_inode_compact, i_gid), 26);
	CHECK_EQ_U64(OFF(erofs_inode_compact, i_reserved2), 28);

	CHECK_EQ_U64(OFF(erofs_inode_extended, i_format), 0);
	CHECK_EQ_U64(OFF(erofs_inode_extended, i_xattr_icount), 2);
	CHECK_EQ_U64(OFF(erofs_inode_extended, i_mode), 4);
	CHECK_EQ_U64(OFF(erofs_inode_extended, i_reserved), 6);
	CHECK_EQ_U64(OFF(erofs_inode_extended, i_size), 8);
	CHECK_EQ_U64(OFF(erofs_inode_extended, i_u), 16);
	CHECK_EQ_U64(OFF(erofs_inode_extended, i_ino), 20);
	CHECK_EQ_U64(OFF(erofs_inode_extended, i_uid), 24);
	CHECK_EQ_U64(OFF(erofs_inode_extended, i_gid), 28);
	CHECK_EQ_U64(OFF(erofs_inode_extended, i_mtime), 32);
	CHECK_EQ_U64(OFF(erofs_inode_extended, i_mtime_nsec), 40);
	CHECK_EQ_U64(OFF(erofs_inode_extended, i_nlink), 44);
	CHECK_EQ_U64(OFF(erofs_inode_extended, i_reserved2), 48);

	CHECK_EQ_U64(OFF(erofs_xattr_ibody_header, h_shared_count), 4);
	CHECK_EQ_U64(OFF(erofs_xattr_entry, e_name_index), 1);
	CHECK_EQ_U64(OFF(erofs_xattr_entry, e_value_size), 2);
	CHECK_EQ_U64(OFF(erofs_dirent, nameoff), 8);
	CHECK_EQ_U64(OFF(erofs_dirent, file_type), 10);
	CHECK_EQ_U64(OFF(z_erofs_vle_decompressed_index, di_advise), 0);
	CHECK_EQ_U64(OFF(z_erofs_vle_decompressed_index, di_clusterofs), 2);
	CHECK_EQ_U64(OFF(z_erofs_vle_decompressed_index, di_u), 4);
	CHECK_EQ_U64(erofs_xattr_ibody_size(0), 0);
	CHECK_EQ_U64(erofs_xattr_ibody_size(1), 12);
	CHECK_EQ_U64(erofs_xattr_ibody_size(4), 24);
}

static void test_codecs(void)
{
	struct erofs_sb_info s = { .feature_compat = 3, .blkszbits = 12, .root_nid = 36,
				   .inos = 9, .build_time = 1700000000, .blocks = 77,
				   .volume_name = "0123456789abcdef" }, s2;
	struct erofs_inode_info i = { .extended = true, .datalayout = EROFS_INODE_FLAT_INLINE,
				      .xattr_icount = 4, .mode = 0100644, .nlink = 70000,
				      .size = 5ull << 32, .u = 9, .ino = 3, .uid = 70000,
				      .gid = 5, .mtime = 1600000000, .mtime_nsec = 123 }, i2;
	uint8_t buf[128], ib[64];
	const char *suffix = NULL;

	memset(s.uuid, 0xab, 16);
	erofs_sb_encode(&s, buf);
	CHECK_EQ_U64(get_le32(buf), EROFS_SUPER_MAGIC);
	CHECK(!memcmp(buf + 64, "0123456789abcdef", 16)); /* 16 bytes, no NUL */
	CHECK(erofs_sb_decode(buf, &s2) == 0);
	CHECK_EQ_U64(s2.root_nid, 36);
	CHECK_EQ_U64(s2.blocks, 77);
	CHECK_STR(s2.volume_name, "0123456789abcdef");
	buf[12] = 9;
	CHECK(erofs_sb_decode(buf, &s2) == -EINVAL);

	CHECK_EQ_U64(erofs_inode_encode(&i, ib), 64);
	CHECK_EQ_U64(get_le16(ib), 1 | EROFS_INODE_FLAT_INLINE << 1);
	CHECK(erofs_inode_decode(ib, 64, &i2) == 0);
	/* Field by field: the structs have padding. */
	CHECK(i2.extended && i2.datalayout == i.datalayout && i2.xattr_icount == i.xattr_icount);
	CHECK(i2.mode == i.mode && i2.nlink == i.nlink && i2.size == i.size && i2.u == i.u);
	CHECK(i2.ino == i.ino && i2.uid == i.uid && i2.gid == i.gid);
	CHECK(i2.mtime == i.mtime && i2.mtime_nsec == i.mtime_nsec);
	CHECK(erofs_inode_decode(ib, 63, &i2) == -EINVAL);
	i.extended = false;
	i.size = 100;
	i.nlink = 2;
	i.uid = 7;
	CHECK_EQ_U64(erofs_inode_encode(&i, ib), 32);
	CHECK_EQ_U64(get_le16(ib), EROFS_INODE_FLAT_INLINE << 1);
	CHECK(erofs_inode_decode(ib, 32, &i2) == 0);
	CHECK_EQ_U64(i2.size, 100);
	CHECK_EQ_U64(i2.uid, 7);
	CHECK_EQ_U64(i2.mtime, 0);

	/* Device numbers as Linux's new_encode_dev. */
	CHECK_EQ_U64(erofs_encode_dev(1, 3), 0x103);
	CHECK_EQ_U64(erofs_encode_dev(300, 70000), (70000 & 0xff) | (300 << 8) | ((70000 & ~0xff) << 12));
	CHECK_EQ_U64(erofs_xattr_split("user.color", &suffix), EROFS_XATTR_INDEX_USER);
	CHECK_STR(suffix, "color");
	CHECK_EQ_U64(erofs_xattr_split("system.posix_acl_default", &suffix),
		     EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT);
	CHECK_STR(suffix, "");
	CHECK_EQ_U64(erofs_xattr_split("system.other", &suffix), 0);
	CHECK_EQ_U64(erofs_xattr_split("user.", &suffix), 0);
}

static void test_dir_order(void)
{
	struct tree *t;
	struct tree_node *n;
	struct tree_attr fa = { .mode = 0100644 }, da = { .mode = 040755 };
	struct erofs_dent *e = NULL;
	struct diag d = { 0 };
	const char *want[] = { "!", "-x", ".", ".-", "..", ".a", "a" };
	uint32_t blocks = 0;
	int r;

	CHECK(tree_new(&t, 1700000000) == 0);
	CHECK(tree_add(t, "a", &fa, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	CHECK(tree_add(t, ".a", &fa, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	CHECK(tree_add(t, ".-", &da, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	CHECK(tree_add(t, "-x", &fa, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	CHECK(tree_add(t, "!", &fa, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	tree_finish(t);
	CHECK(erofs_dir_entries(t->root, &e) == 0);
	for (unsigned k = 0; e && k < 7; k++)
		CHECK_STR(e[k].name, want[k]);
	/* 7 dirents and 11 name bytes in one block. */
	CHECK_EQ_U64(erofs_dir_pack(e, 7, &blocks, NULL, NULL, &r), 7 * 12 + 11);
	CHECK_EQ_U64(blocks, 1);
	free(e);
	tree_free(t);
}

static int write_tmp(char *path, size_t len)
{
	int fd = mkstemp(path);
	uint8_t *b = malloc(len);

	if (fd < 0 || !b) {
		free(b);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 7 + 3);
	if (write(fd, b, len) != (ssize_t)len) {
		free(b);
		close(fd);
		return -1;
	}
	free(b);
	close(fd);
	return 0;
}

static void test_image(void)
{
	char path[] = "/tmp/kiln-erofs-test.XXXXXX";
	struct tree *t;
	struct tree_node *n;
	struct tree_attr fa = { .mode = 0100644, .size = 10000, .mtime = 1700000000 };
	struct tree_attr da = { .mode = 040755, .mtime = 5 };
	struct tree_attr la = { .mode = 0120777, .mtime = 1700000000, .link = "target" };
	struct tree_attr ca = { .mode = 020600, .rdev_major = 1, .rdev_minor = 3, .mtime = 1700000000 };
	struct erofs_opts o = { .build_time = 1700000000, .label = "kiln" };
	struct erofs_plan *p = NULL;
	struct erofs_summary s;
	struct sink *m;
	struct diag d = { 0 };
	uint64_t len;
	char names[64];

	CHECK(write_tmp(path, 10000) == 0);
	fa.src_path = path;
	CHECK(tree_new(&t, 1700000000) == 0);
	CHECK(tree_add(t, "etc", &da, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	CHECK(tree_set_xattr(n, "user.k", "v", 1) == 0);
	CHECK(tree_add(t, "etc/link", &la, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	CHECK(tree_add(t, "dev/null", &ca, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	CHECK(tree_add(t, "data", &fa, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	CHECK(tree_add_hardlink(t, "etc/data2", "data", TREE_CONFLICT_ERROR, 0, &d) == 0);
	/* 500 names: many/ needs several directory blocks. */
	fa.size = 0;
	fa.src_path = NULL;
	for (int k = 0; k < 500; k++) {
		snprintf(names, sizeof(names), "many/entry-number-%04d", k);
		CHECK(tree_add(t, names, &fa, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	}
	tree_finish(t);
	CHECK(erofs_plan_new(&p, t, &o, &d) == 0);
	if (!p)
		goto out;
	CHECK_EQ_U64(p->inos[0].nid, 36); /* the root follows the superblock */
	CHECK_EQ_U64(p->ninos, 1 + 1 + 1 + 1 + 1 + 1 + 1 + 500); /* "etc/data2" is "data" */
	CHECK(sink_mem_new(&m, erofs_plan_bytes(p)) == 0);
	CHECK(erofs_write(p, m, &d) == 0);
	const uint8_t *img = sink_mem_data(m, &len);
	CHECK_EQ_U64(len, erofs_plan_bytes(p));
	CHECK(erofs_check(img, len, 64, &s, &d) == 0);
	CHECK(s.checksum_ok);
	CHECK_EQ_U64(s.root_nid, 36);
	CHECK_EQ_U64(s.files, 502);    /* data, data2 (same inode, counted per name), 500 */
	CHECK_EQ_U64(s.dirs, 4);
	CHECK_EQ_U64(s.symlinks, 1);
	CHECK_EQ_U64(s.devices, 1);
	CHECK_EQ_U64(s.bytes, 20000);
	CHECK_STR(s.label, "kiln");
	CHECK_EQ_U64(s.build_time, 1700000000);
	/* A flipped superblock byte breaks the checksum. */
	{
		uint8_t *c = malloc(len);

		memcpy(c, img, len);
		c[1024 + 50] ^= 1;
		CHECK(erofs_check(c, len, 64, &s, &d) == 0 && !s.checksum_ok);
		free(c);
	}
	sink_release(m);

	/* Every failing write is reported, never a crash. */
	for (unsigned k = 1; k < 400; k++) {
		struct sink *mm, *f;
		struct diag fd = { 0 };
		int r;

		CHECK(sink_mem_new(&mm, erofs_plan_bytes(p)) == 0);
		CHECK(sink_fault_new(&f, mm, k) == 0);
		r = erofs_write(p, f, &fd);
		sink_release(f);
		sink_release(mm);
		if (!r)
			break;
		CHECK(r < 0 && fd.msg[0]);
	}
	erofs_plan_free(p);
	p = NULL;

	/* Too small a size says what is needed. */
	o.size = 4096;
	diag_clear(&d);
	CHECK(erofs_plan_new(&p, t, &o, &d) == -ENOSPC);
	CHECK(strstr(d.msg, "erofs needs") != NULL);
	o.size = 0;
	/* An xattr erofs has no prefix for is refused by name and path. */
	n = tree_lookup(t, "etc/link");
	CHECK(n && tree_set_xattr(n, "system.bogus", "x", 1) == 0);
	diag_clear(&d);
	CHECK(erofs_plan_new(&p, t, &o, &d) == -EINVAL);
	CHECK(strstr(d.msg, "/etc/link") && strstr(d.msg, "system.bogus"));
out:
	tree_free(t);
	unlink(path);
}

/* An inode that does not fit the rest of a block leaves a gap that a
 * later, smaller inode fills: nids out of inode order, still readable. */
static void test_gaps(void)
{
	char pa[] = "/tmp/kiln-erofs-a.XXXXXX", pb[] = "/tmp/kiln-erofs-b.XXXXXX";
	struct tree *t;
	struct tree_node *n;
	struct tree_attr fa = { .mode = 0100644, .mtime = 1700000000 };
	struct erofs_opts o = { .build_time = 1700000000 };
	struct erofs_plan *p = NULL;
	struct erofs_summary s;
	struct sink *m;
	struct diag d = { 0 };
	uint64_t len;

	CHECK(write_tmp(pa, 2500) == 0 && write_tmp(pb, 3000) == 0);
	CHECK(tree_new(&t, 1700000000) == 0);
	fa.size = 2500, fa.src_path = pa;
	CHECK(tree_add(t, "a", &fa, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	fa.size = 3000, fa.src_path = pb;
	CHECK(tree_add(t, "b", &fa, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	fa.size = 10, fa.src_path = pa;
	CHECK(tree_add(t, "c", &fa, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	tree_finish(t);
	CHECK(erofs_plan_new(&p, t, &o, &d) == 0);
	if (!p)
		goto out;
	/* root, a, b, c in inode order; c went into the gap before b. */
	CHECK_EQ_U64(p->ninos, 4);
	CHECK_EQ_U64(p->inos[2].nid, 4096 / 32);
	CHECK(p->inos[3].nid < p->inos[2].nid);
	CHECK(p->inos[3].nid > p->inos[1].nid);
	CHECK_EQ_U64(p->meta_blocks, 2);
	CHECK(sink_mem_new(&m, erofs_plan_bytes(p)) == 0);
	CHECK(erofs_write(p, m, &d) == 0);
	const uint8_t *img = sink_mem_data(m, &len);
	CHECK(erofs_check(img, len, 8, &s, &d) == 0);
	CHECK_EQ_U64(s.bytes, 5510);
	/* c's inline tail is the first 10 bytes of a's source. */
	CHECK_EQ_U64(img[(p->inos[3].nid << EROFS_ISLOT_BITS) + 32], 3);
	sink_release(m);
	erofs_plan_free(p);
out:
	tree_free(t);
	unlink(pa);
	unlink(pb);
}

/* lz4: a compressible file is stored in fewer blocks, indexed per 4 KiB
 * cluster as mkfs.erofs' vle_write_indexes() does, and reads back. */
static void test_lz4(void)
{
	char path[] = "/tmp/kiln-erofs-z.XXXXXX";
	struct tree *t;
	struct tree_node *n;
	struct tree_attr fa = { .mode = 0100644, .size = 100000, .mtime = 1700000000 };
	struct erofs_opts o = { .build_time = 1700000000, .compress = EROFS_COMPRESS_LZ4 };
	struct erofs_plan *p = NULL;
	struct erofs_summary s;
	struct sink *m;
	struct diag d = { 0 };
	uint8_t idx[8];
	uint64_t len;
	int fd = mkstemp(path);
	char line[64];

	erofs_zindex_encode(Z_EROFS_CLUSTER_TYPE_NONHEAD, 0, 3 | 5 << 16, idx);
	CHECK_EQ_U64(get_le16(idx), 2);
	CHECK_EQ_U64(get_le16(idx + 4), 3); /* delta[0]: back to the head */
	CHECK_EQ_U64(get_le16(idx + 6), 5); /* delta[1]: on to the next head */
	CHECK(fd >= 0);
	for (int i = 0; fd >= 0 && i < 5000; i++) {
		int l = snprintf(line, sizeof(line), "line %d of a compressible file\n", i % 50);
		CHECK(write(fd, line, (size_t)l) == l);
	}
	if (fd >= 0) {
		CHECK(ftruncate(fd, 100000) == 0);
		close(fd);
	}
	fa.src_path = path;
	CHECK(tree_new(&t, 1700000000) == 0);
	CHECK(tree_add(t, "f", &fa, TREE_CONFLICT_ERROR, 0, &n, &d) == 0);
	tree_finish(t);
	CHECK(erofs_plan_new(&p, t, &o, &d) == 0);
	if (!p)
		goto out;
	CHECK_EQ_U64(p->inos[1].layout, EROFS_INODE_FLAT_COMPRESSION_LEGACY);
	CHECK(p->inos[1].nblocks < 100000 / 4096);
	CHECK(sink_mem_new(&m, erofs_plan_bytes(p)) == 0);
	CHECK(erofs_write(p, m, &d) == 0);
	const uint8_t *img = sink_mem_data(m, &len);
	CHECK(erofs_check(img, len, 8, &s, &d) == 0);
	CHECK_EQ_U64(s.bytes, 100000);
	{
		/* The first index is a compressed head at the first data block. */
		uint64_t ipos = (p->inos[1].nid << EROFS_ISLOT_BITS) + 32;

		ipos = ((ipos + 7) & ~7ull) + EROFS_ZMAP_HEADER_SIZE;
		CHECK_EQ_U64(get_le16(img + ipos) & 3, Z_EROFS_CLUSTER_TYPE_HEAD);
		CHECK_EQ_U64(get_le32(img + ipos + 4), p->inos[1].blkaddr);
		CHECK_EQ_U64(get_le16(img + ipos + 8) & 3, Z_EROFS_CLUSTER_TYPE_NONHEAD);
		CHECK_EQ_U64(get_le16(img + ipos + 12), 1);

		/* The checker refuses indexes Linux refuses: an extent
		 * starting past its cluster, a first extent not at byte 0,
		 * a NONHEAD pointing before the file. */
		uint8_t *bad = malloc(len);
		static const struct { unsigned at; uint16_t v; } cases[] = {
			{ 2, 4096 }, { 2, 1 }, { 12, 2 }, { 12, 0 },
		};

		CHECK(bad != NULL);
		for (unsigned i = 0; bad && i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct diag bd = { 0 };

			memcpy(bad, img, len);
			bad[ipos + cases[i].at] = (uint8_t)cases[i].v;
			bad[ipos + cases[i].at + 1] = (uint8_t)(cases[i].v >> 8);
			CHECK(erofs_check(bad, len, 8, &s, &bd) == -EINVAL);
			CHECK(strstr(bd.msg, "compression index") != NULL);
		}
		free(bad);
	}
	sink_release(m);
	for (unsigned k = 1; k < 100; k++) {
		struct sink *mm, *f;
		struct diag fd2 = { 0 };
		int r;

		CHECK(sink_mem_new(&mm, erofs_plan_bytes(p)) == 0);
		CHECK(sink_fault_new(&f, mm, k) == 0);
		r = erofs_write(p, f, &fd2);
		sink_release(f);
		sink_release(mm);
		if (!r)
			break;
		CHECK(r < 0 && fd2.msg[0]);
	}
	/* The input shrank after planning: named, not a crash. */
	CHECK(truncate(path, 50000) == 0);
	CHECK(sink_mem_new(&m, erofs_plan_bytes(p)) == 0);
	diag_clear(&d);
	CHECK(erofs_write(p, m, &d) < 0);
	CHECK(strstr(d.msg, path) != NULL);
	sink_release(m);
	erofs_plan_free(p);
out:
	tree_free(t);
	unlink(path);
}

int main(void)
{
	T_RUN(test_offsets);
	T_RUN(test_codecs);
	T_RUN(test_dir_order);
	T_RUN(test_image);
	T_RUN(test_lz4);
	T_RUN(test_gaps);
	return T_DONE();
}
