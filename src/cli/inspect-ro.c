/* SPDX-License-Identifier: MIT */
/*
 * kiln inspect for read-only root images: an erofs filesystem (every
 * directory walked, superblock checksum) and a dm-verity hash device
 * (superblock, root hash from the top-level block). Decoding lives in
 * src/fs/erofs and src/fs/verity; this file only prints.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/diag.h"
#include "base/endian.h"
#include "base/hash.h"
#include "base/ids.h"
#include "cli/commands.h"
#include "cli/log.h"
#include "fs/erofs/erofs-format.h"
#include "fs/erofs/erofs.h"
#include "fs/verity/verity.h"

bool inspect_readonly_magic(const uint8_t *buf, size_t len)
{
	if (len >= VERITY_SB_SIZE && !memcmp(buf, "verity\0\0", 8))
		return true;
	return len >= EROFS_SUPER_OFFSET + 4 && get_le32(buf + EROFS_SUPER_OFFSET) == EROFS_SUPER_MAGIC;
}

static void print_uuid(const char *what, const uint8_t b[16])
{
	struct uuid u;
	char s[37];

	memcpy(u.b, b, 16);
	uuid_format(&u, s);
	printf("%s: %s\n", what, s);
}

static int inspect_verity(const char *path, const uint8_t *buf, size_t len)
{
	struct verity_params p;
	struct verity_geom g;
	uint8_t root[VERITY_DIGEST];
	char hex[2 * VERITY_MAX_SALT + 1];
	unsigned level = 0;
	uint64_t blk = 0;
	int r = verity_root_from_tree(buf, len, &p, root);

	printf("%s: dm-verity hash device (format 1)\n", path);
	if (r == -EINVAL && verity_sb_decode(buf, len, &p)) {
		printf("result: BAD SUPERBLOCK (version, hash type, algorithm or sizes kiln does not read)\n");
		return EXIT_FAIL;
	}
	verity_geometry(&p, &g);
	printf("hash: sha256\ndata blocks: %" PRIu64 " of %u bytes\nhash blocks: %" PRIu64
	       " of %u bytes, %u levels\n",
	       p.data_blocks, p.data_block_size, g.hash_blocks, p.hash_block_size, g.levels);
	hex_encode(p.salt, p.salt_size, hex);
	printf("salt: %s\n", p.salt_size ? hex : "-");
	print_uuid("uuid", p.uuid);
	if (r == -ENODATA) {
		printf("root hash: sha256(salt || the only data block): not in the hash device\n");
		printf("result: OK\n");
		return EXIT_OK;
	}
	if (r) {
		printf("result: TRUNCATED (the tree needs %" PRIu64 " bytes, the file has %zu)\n",
		       g.bytes, len);
		return EXIT_FAIL;
	}
	hex_encode(root, sizeof(root), hex);
	printf("root hash: %s\n", hex);
	r = verity_check_tree(buf, len, &level, &blk);
	if (r) {
		printf("result: BAD HASH BLOCK %" PRIu64 " of level %u (its hashes or padding do not match)\n",
		       blk, level);
		return EXIT_FAIL;
	}
	printf("result: OK (every hash block above the data checked)\n");
	return EXIT_OK;
}

static int inspect_erofs(const char *path, const uint8_t *buf, size_t len)
{
	struct erofs_summary s;
	struct diag d = { 0 };
	char when[64];
	time_t t;
	struct tm tm;
	int r = erofs_check(buf, len, 1024, &s, &d);

	printf("%s: erofs filesystem\n", path);
	if (r) {
		printf("result: %s\n", d.msg);
		return EXIT_FAIL;
	}
	t = (time_t)s.build_time;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&t, &tm) ? &tm : NULL);
	printf("blocks: %u of 4096 bytes\nlabel: %s\n", s.blocks, s.label);
	print_uuid("uuid", s.uuid);
	printf("build time: %s (%" PRIu64 ")\nroot nid: %u\n", when, s.build_time, s.root_nid);
	printf("entries: %" PRIu64 " (%" PRIu64 " directories, %" PRIu64 " files of %" PRIu64
	       " bytes, %" PRIu64 " symlinks, %" PRIu64 " devices, %" PRIu64 " fifos/sockets)\n",
	       s.inodes, s.dirs, s.files, s.bytes, s.symlinks, s.devices, s.others);
	if (!s.checksum_ok) {
		printf("result: BAD SUPERBLOCK CHECKSUM\n");
		return EXIT_FAIL;
	}
	printf("result: OK\n");
	return EXIT_OK;
}

int inspect_readonly(const char *path, const uint8_t *buf, size_t len)
{
	int ret;

	if (len >= VERITY_SB_SIZE && !memcmp(buf, "verity\0\0", 8))
		ret = inspect_verity(path, buf, len);
	else
		ret = inspect_erofs(path, buf, len);
	/* The report is on stdout: say it failed on stderr too. */
	if (ret == EXIT_FAIL)
		log_error("%s: check failed (see above)", path);
	return ret;
}
