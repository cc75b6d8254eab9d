/* SPDX-License-Identifier: MIT */
/* dm-verity: superblock field offsets (cryptsetup's struct verity_sb),
 * codec round trip, tree geometry as veritysetup sizes it, the builder on
 * a memory sink against the tree read back, and failing writes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "fs/verity/verity.h"
#include "io/sink.h"
#include "t.h"

#define OFF(f) offsetof(struct verity_sb, f)

static void test_offsets(void)
{
	CHECK_EQ_U64(OFF(signature), 0);
	CHECK_EQ_U64(OFF(version), 8);
	CHECK_EQ_U64(OFF(hash_type), 12);
	CHECK_EQ_U64(OFF(uuid), 16);
	CHECK_EQ_U64(OFF(algorithm), 32);
	CHECK_EQ_U64(OFF(data_block_size), 64);
	CHECK_EQ_U64(OFF(hash_block_size), 68);
	CHECK_EQ_U64(OFF(data_blocks), 72);
	CHECK_EQ_U64(OFF(salt_size), 80);
	CHECK_EQ_U64(OFF(pad1), 82);
	CHECK_EQ_U64(OFF(salt), 88);
	CHECK_EQ_U64(OFF(pad2), 344);
}

static void test_geometry(void)
{
	struct verity_params p = { .data_block_size = 4096, .hash_block_size = 4096 };
	struct verity_geom g;

	/* veritysetup format: 1 MiB → 2 + 1 hash blocks after the superblock. */
	p.data_blocks = 256;
	CHECK(verity_geometry(&p, &g) == 0);
	CHECK_EQ_U64(g.levels, 2);
	CHECK_EQ_U64(g.per_block, 128);
	CHECK_EQ_U64(g.level_block[1], 1); /* the top level comes first */
	CHECK_EQ_U64(g.level_size[1], 1);
	CHECK_EQ_U64(g.level_block[0], 2);
	CHECK_EQ_U64(g.level_size[0], 2);
	CHECK_EQ_U64(g.bytes, 16384);
	p.data_blocks = 1;
	CHECK(verity_geometry(&p, &g) == 0);
	CHECK_EQ_U64(g.levels, 0);
	CHECK_EQ_U64(g.bytes, 4096);
	p.data_blocks = 128;
	CHECK(verity_geometry(&p, &g) == 0);
	CHECK_EQ_U64(g.levels, 1);
	p.data_blocks = 129;
	CHECK(verity_geometry(&p, &g) == 0);
	CHECK_EQ_U64(g.levels, 2);
	p.no_superblock = true;
	CHECK(verity_geometry(&p, &g) == 0);
	CHECK_EQ_U64(g.level_block[1], 0);
	p.data_blocks = UINT64_MAX;
	CHECK(verity_geometry(&p, &g) == -EINVAL);
	p.data_blocks = 0;
	CHECK(verity_geometry(&p, &g) == -EINVAL);
	p.data_blocks = 1;
	p.hash_block_size = 3000;
	CHECK(verity_geometry(&p, &g) == -EINVAL);
}

static void test_build(void)
{
	char path[] = "/tmp/kiln-verity-test.XXXXXX";
	struct verity_params p = { .data_block_size = 512, .hash_block_size = 512,
				   .data_blocks = 300, .salt_size = 3, .salt = { 1, 2, 3 } },
			     q;
	struct verity_geom g;
	uint8_t root[VERITY_DIGEST], root2[VERITY_DIGEST], sb[VERITY_SB_SIZE];
	uint8_t *data = malloc(300 * 512);
	struct diag d = { 0 };
	struct sink *m;
	uint64_t len;
	int fd = mkstemp(path);

	CHECK(fd >= 0 && data);
	if (fd < 0 || !data)
		goto out;
	for (unsigned i = 0; i < 300 * 512; i++)
		data[i] = (uint8_t)(i * 31 + 7);
	CHECK(write(fd, data, 300 * 512) == 300 * 512);
	memset(p.uuid, 0x11, 16);
	verity_sb_encode(&p, sb);
	CHECK(!memcmp(sb, "verity\0\0", 8));
	CHECK_EQ_U64(get_le64(sb + OFF(data_blocks)), 300);
	CHECK(verity_sb_decode(sb, sizeof(sb), &q) == 0);
	CHECK_EQ_U64(q.salt_size, 3);
	CHECK(!memcmp(q.salt, p.salt, 3));
	sb[OFF(algorithm)] = 'x';
	CHECK(verity_sb_decode(sb, sizeof(sb), &q) == -EINVAL);

	CHECK(verity_geometry(&p, &g) == 0);
	CHECK_EQ_U64(g.levels, 3); /* 16 digests per 512-byte block: 300 → 19 → 2 → 1 */
	CHECK(sink_mem_new(&m, g.bytes) == 0);
	CHECK(verity_build(&p, fd, path, m, root, &d) == 0);
	const uint8_t *img = sink_mem_data(m, &len);
	/* The root read back from the written tree is the one computed. */
	CHECK(verity_root_from_tree(img, (size_t)g.bytes, &q, root2) == 0);
	CHECK(!memcmp(root, root2, sizeof(root)));
	CHECK(verity_root_from_tree(img, (size_t)g.bytes - 1, &q, root2) == -EINVAL);
	{
		/* The tree check: intact, then a level-0 digest flipped. */
		uint8_t *c = malloc((size_t)g.bytes);
		unsigned lvl = 9;
		uint64_t b = 9;

		CHECK(c != NULL);
		if (c) {
			memcpy(c, img, (size_t)g.bytes);
			CHECK(verity_check_tree(c, (size_t)g.bytes, &lvl, &b) == 0);
			c[g.level_block[0] * 512 + 40] ^= 1;
			CHECK(verity_check_tree(c, (size_t)g.bytes, &lvl, &b) == -EBADMSG);
			CHECK_EQ_U64(lvl, 1);
			CHECK_EQ_U64(b, 0);
			free(c);
		}
	}
	/* Without a sink the same root (what `kiln plan` shows). */
	CHECK(verity_build(&p, fd, path, NULL, root2, &d) == 0);
	CHECK(!memcmp(root, root2, sizeof(root)));
	sink_release(m);

	/* Every failing write is reported, never a crash. */
	for (unsigned k = 1; k < 100; k++) {
		struct sink *mm, *f;
		struct diag fd2 = { 0 };
		int r;

		CHECK(sink_mem_new(&mm, g.bytes) == 0);
		CHECK(sink_fault_new(&f, mm, k) == 0);
		r = verity_build(&p, fd, path, f, root2, &fd2);
		sink_release(f);
		sink_release(mm);
		if (!r)
			break;
		CHECK(r < 0 && fd2.msg[0]);
	}
	/* A data file shorter than planned names it. */
	p.data_blocks = 301;
	diag_clear(&d);
	CHECK(verity_build(&p, fd, path, NULL, root2, &d) == -EIO);
	CHECK(strstr(d.msg, path) != NULL);
out:
	if (fd >= 0)
		close(fd);
	unlink(path);
	free(data);
}

int main(void)
{
	T_RUN(test_offsets);
	T_RUN(test_geometry);
	T_RUN(test_build);
	return T_DONE();
}
