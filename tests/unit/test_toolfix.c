/* SPDX-License-Identifier: MIT */
/* The fix-ups of tool output (fs/ubi/ubifs-fix, btrfs-fix, rauc-sign, -verity) on
 * hand-made images: what they rewrite, what they keep, and that input
 * they do not understand fails with the path and byte, changing nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/hash.h"
#include "base/ids.h"
#include "fs/ubi/ubi.h"
#include "fs/btrfs/btrfs-fix.h"
#include "plan/rauc-sign.h"
#include "plan/rauc-verity.h"
#include "fs/ubi/ubifs-fix.h"
#include "t.h"

#define LEB 15360u
#define NLEBS 6u

static char *put_file(const void *buf, size_t len)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/kiln-test-toolfix-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return NULL;
	CHECK(write(fd, buf, len) == (ssize_t)len);
	close(fd);
	return path;
}

static void get_file(const char *path, void *buf, size_t len)
{
	FILE *f = fopen(path, "rb");

	CHECK(f && fread(buf, 1, len, f) == len);
	if (f)
		fclose(f);
}

static void node(uint8_t *n, uint32_t len, uint8_t type)
{
	put_le32(n, 0x06101831);
	put_le32(n + 16, len);
	n[20] = type;
	put_le32(n + 4, ubi_crc32(n + 8, len - 8));
}

/* sb (LEB 0), master 1-2, log 3, LPT 4, main 5: an inode node, a
 * padding node, padding bytes. */
static uint8_t *ubifs_image(void)
{
	uint8_t *img = malloc(LEB * NLEBS), *sb = img, *ino = img + 5 * LEB;

	memset(img, 0xff, LEB * NLEBS);
	memset(sb, 0, 4096);
	put_le32(sb + 36, LEB);
	put_le32(sb + 40, NLEBS);
	put_le32(sb + 56, 1);  /* log */
	put_le32(sb + 60, 1);  /* LPT */
	memset(sb + 108, 0xab, 16);
	node(sb, 4096, 6);
	memset(img + 4 * LEB, 0x5a, 64);  /* LPT: not nodes */
	memset(ino, 0, 160);
	put_le64(ino + 56, 1111);   /* atime */
	put_le64(ino + 64, 2222);   /* ctime */
	put_le64(ino + 72, 1000);   /* mtime */
	put_le32(ino + 84, 7);      /* ctime ns */
	put_le64(ino + 148, 9);
	node(ino, 160, 0);
	memset(ino + 160, 0, 28 + 36);
	put_le32(ino + 160 + 24, 36);  /* pad_len */
	node(ino + 160, 28, 5);
	memset(ino + 224, 0xce, 32);
	return img;
}

static void test_ubifs(void)
{
	uint8_t *img = ubifs_image(), *out = malloc(LEB * NLEBS), *ino = out + 5 * LEB;
	struct uuid u = { { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 } };
	struct diag d = { 0 };
	char *path = put_file(img, LEB * NLEBS);

	CHECK_EQ_U64(ubifs_fix_ids(path, &u, &d), 0);
	get_file(path, out, LEB * NLEBS);
	CHECK(!memcmp(out + 108, u.b, 16));
	CHECK_EQ_U64(get_le32(out + 4), ubi_crc32(out + 8, 4096 - 8));
	CHECK_EQ_U64(get_le64(ino + 56), 1000);
	CHECK_EQ_U64(get_le64(ino + 64), 1000);
	CHECK_EQ_U64(get_le32(ino + 84), 0);
	CHECK_EQ_U64(get_le32(ino + 4), ubi_crc32(ino + 8, 160 - 8));
	CHECK(!memcmp(out + 4 * LEB, img + 4 * LEB, LEB));  /* LPT kept */
	CHECK(!memcmp(ino + 160, img + 5 * LEB + 160, LEB - 160));

	/* A node whose CRC does not hold: the path and byte, nothing written. */
	img[5 * LEB + 100] ^= 1;
	unlink(path);
	path = put_file(img, LEB * NLEBS);
	CHECK_EQ_U64(ubifs_fix_ids(path, &u, &d), -EINVAL);
	CHECK(strstr(d.msg, path) && strstr(d.msg, "node CRC mismatch at byte 76800"));
	get_file(path, out, LEB * NLEBS);
	CHECK(!memcmp(out + 5 * LEB, img + 5 * LEB, LEB));
	unlink(path);

	memset(&d, 0, sizeof(d));
	path = put_file("not ubifs", 9);
	CHECK_EQ_U64(ubifs_fix_ids(path, &u, &d), -EINVAL);
	CHECK(strstr(d.msg, "short read"));
	unlink(path);
	free(img);
	free(out);
}

static void test_btrfs(void)
{
	struct uuid u = { { 0 } };
	struct btrfs_ids ids = { &u, &u, &u, 0 };
	uint8_t *img = calloc(1, 128 << 10);
	struct diag d = { 0 };
	char *path = put_file(img, 128 << 10);

	CHECK_EQ_U64(btrfs_fix_ids(path, &ids, &d), -EINVAL);
	CHECK(strstr(d.msg, "no btrfs superblock at byte 65536"));
	unlink(path);

	/* A checksum kiln does not compute: left as it is. */
	memcpy(img + 0x10040, "_BHRfS_M", 8);
	put_le16(img + 0x100c4, 1);
	path = put_file(img, 128 << 10);
	CHECK_EQ_U64(btrfs_fix_ids(path, &ids, &d), 1);
	unlink(path);

	/* crc32c, but not its own checksum. */
	put_le16(img + 0x100c4, 0);
	memset(&d, 0, sizeof(d));
	path = put_file(img, 128 << 10);
	CHECK_EQ_U64(btrfs_fix_ids(path, &ids, &d), -EINVAL);
	CHECK(strstr(d.msg, "superblock checksum mismatch"));
	unlink(path);

	/* Checksummed, but two devices. */
	put_le64(img + 0x10088, 2);
	put_le32(img + 0x10000, ~crc32c_raw(~0u, img + 0x10020, 4096 - 32));
	memset(&d, 0, sizeof(d));
	path = put_file(img, 128 << 10);
	CHECK_EQ_U64(btrfs_fix_ids(path, &ids, &d), -EINVAL);
	CHECK(strstr(d.msg, "more than one device"));
	unlink(path);
	free(img);
}

static void test_rauc(void)
{
	uint8_t b[64] = { 0 };
	struct diag d = { 0 };
	char *path;

	put_be64(b + 56, 1000);  /* more than the file */
	path = put_file(b, sizeof(b));
	CHECK_EQ_U64(rauc_resign(path, "/nonexistent.pem", "/nonexistent.key", NULL, 0, 0, NULL, &d),
		     -EINVAL);
	CHECK(strstr(d.msg, path) && strstr(d.msg, "signature size 1000 out of range"));
	unlink(path);

	/* Not DER. */
	put_be64(b + 56, 16);
	memset(&d, 0, sizeof(d));
	path = put_file(b, sizeof(b));
	CHECK_EQ_U64(rauc_resign(path, "/nonexistent.pem", "/nonexistent.key", NULL, 0, 0, NULL, &d),
		     -EINVAL);
	CHECK(strstr(d.msg, "not a CMS structure"));
	unlink(path);
}

static void test_rauc_verity(void)
{
	static const char plain[] = "[update]\ncompatible=x\n[bundle]\nformat=plain\n";
	static const char nosalt[] = "[bundle]\nformat=verity\nverity-size=4096\n";
	static const char elsewhere[] = "[x]\nformat=verity\n";
	static const char big[] = "[bundle]\nformat=verity\nverity-size=8192\n"
		"verity-salt=0000000000000000000000000000000000000000000000000000000000000000\n"
		"verity-hash=0000000000000000000000000000000000000000000000000000000000000000\n";
	uint8_t salt[RAUC_VERITY_SALT] = { 0 };
	struct diag d = { 0 };
	char *m = (char *)1;
	size_t len;

	CHECK_EQ_U64(rauc_verity_resalt(-1, "b", 4096, plain, strlen(plain), salt, &m, &len, &d), 0);
	CHECK(!m);
	CHECK_EQ_U64(rauc_verity_resalt(-1, "b", 4096, elsewhere, strlen(elsewhere), salt, &m, &len,
					&d), 0);
	CHECK(!m);
	CHECK_EQ_U64(rauc_verity_resalt(-1, "b", 4096, nosalt, strlen(nosalt), salt, &m, &len, &d),
		     -EINVAL);
	CHECK(strstr(d.msg, "b: manifest: no valid verity-size, -salt and -hash"));
	memset(&d, 0, sizeof(d));
	/* A tree as long as the bundle before the signature: no payload. */
	CHECK_EQ_U64(rauc_verity_resalt(-1, "b", 8192, big, strlen(big), salt, &m, &len, &d),
		     -EINVAL);
	CHECK(strstr(d.msg, "verity-size 8192 does not fit the bundle"));
	CHECK(!m);
}

int main(void)
{
	T_RUN(test_ubifs);
	T_RUN(test_btrfs);
	T_RUN(test_rauc);
	T_RUN(test_rauc_verity);
	return T_DONE();
}
