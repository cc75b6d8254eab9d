/* SPDX-License-Identifier: MIT */
/* bmap codec: round trip, every rejection rule, range clipping, and the
 * SEEK_DATA/SEEK_HOLE scan of a sparse file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/hash.h"
#include "flash/bmap-io.h"
#include "flash/bmap.h"
#include "t.h"

/* A bmap document with @body inside <bmap> and a correct checksum. */
static char *doc(const char *version, const char *body)
{
	static const char zeros[] = "0000000000000000000000000000000000000000000000000000000000000000";
	size_t n = strlen(body) + 512;
	char *t = malloc(n), *p;
	uint8_t sum[SHA256_LEN];
	char hex[65];

	snprintf(t, n, "<?xml version=\"1.0\"?>\n<bmap version=\"%s\">\n%s"
		 "<BmapFileChecksum> %s </BmapFileChecksum>\n</bmap>\n", version, body, zeros);
	p = strstr(t, zeros);
	sha256_buf(t, strlen(t), sum);
	hex_encode(sum, SHA256_LEN, hex);
	memcpy(p, hex, 64);
	return t;
}

#define HDR(size, bs, blocks, mapped)                                                    \
	"<ImageSize> " size " </ImageSize><BlockSize> " bs " </BlockSize>"              \
	"<BlocksCount> " blocks " </BlocksCount><MappedBlocksCount> " mapped             \
	" </MappedBlocksCount><ChecksumType> sha256 </ChecksumType>\n"
#define CS "chksum=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""

static int parse(const char *version, const char *body, struct bmap *m, struct diag *d)
{
	char *t = doc(version, body);
	int r;

	bmap_init(m);
	diag_clear(d);
	r = bmap_parse(t, strlen(t), "t.bmap", m, d);
	free(t);
	return r;
}

static void test_good(void)
{
	struct bmap m;
	struct diag d = { 0 };
	uint64_t off, len;

	CHECK_EQ_U64(parse("2.0", HDR("10000", "4096", "3", "3")
			 "<BlockMap><Range " CS "> 0-1 </Range>\n<Range " CS ">2</Range></BlockMap>",
			 &m, &d), 0);
	CHECK_EQ_U64(m.nranges, 2);
	CHECK(m.has_cs);
	CHECK_EQ_U64(m.ranges[0].last, 1);
	CHECK_EQ_U64(m.ranges[0].cs[0], 0xaa);
	/* The last block is clipped to ImageSize. */
	bmap_range_bytes(&m, &m.ranges[1], &off, &len);
	CHECK_EQ_U64(off, 8192);
	CHECK_EQ_U64(len, 10000 - 8192);

	/* format -> parse gives the same map, and formatting is stable. */
	char *t1, *t2;
	size_t n1, n2;
	struct bmap m2;
	CHECK_EQ_U64(bmap_format(&m, &t1, &n1), 0);
	bmap_init(&m2);
	CHECK_EQ_U64(bmap_parse(t1, n1, "fmt", &m2, &d), 0);
	CHECK_EQ_U64(m2.nranges, 2);
	CHECK_EQ_U64(m2.image_size, 10000);
	CHECK(!memcmp(m2.ranges[1].cs, m.ranges[1].cs, SHA256_LEN));
	CHECK_EQ_U64(bmap_format(&m2, &t2, &n2), 0);
	CHECK(n1 == n2 && !memcmp(t1, t2, n1));
	free(t1);
	free(t2);
	bmap_release(&m2);
	bmap_release(&m);

	/* Version 1.2: no checksums, still usable. */
	bmap_init(&m);
	const char *old = "<bmap version='1.2'><ImageSize>4096</ImageSize><BlockSize>4096</BlockSize>"
			  "<BlocksCount>1</BlocksCount><MappedBlocksCount>1</MappedBlocksCount>"
			  "<!-- <Range> 5 </Range> --><BlockMap><Range>0</Range></BlockMap></bmap>";
	CHECK_EQ_U64(bmap_parse(old, strlen(old), "old", &m, &d), 0);
	CHECK(!m.has_cs);
	CHECK_EQ_U64(m.nranges, 1);
	bmap_release(&m);
}

static void expect(int want, const char *version, const char *body, const char *msg)
{
	struct bmap m;
	struct diag d = { 0 };
	int r = parse(version, body, &m, &d);

	CHECK_EQ_U64((uint64_t)-r, (uint64_t)-want);
	if (!strstr(d.msg, msg)) {
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", d.msg, msg);
		CHECK(0);
	}
	if (!r)
		bmap_release(&m);
}

static void test_rejects(void)
{
	expect(-EINVAL, "2.0", HDR("10000", "4096", "3", "3")
	       "<BlockMap><Range>1-2</Range><Range>2</Range></BlockMap>", "ascend");
	expect(-EINVAL, "2.0", HDR("10000", "4096", "3", "1")
	       "<BlockMap><Range>3</Range></BlockMap>", "past the image");
	expect(-EINVAL, "2.0", HDR("10000", "4096", "3", "2")
	       "<BlockMap><Range>1</Range></BlockMap>", "add up to 1");
	expect(-EINVAL, "2.0", HDR("10000", "4096", "4", "0") "<BlockMap></BlockMap>",
	       "BlocksCount 4 does not match");
	expect(-EINVAL, "2.0", HDR("10000", "1000", "10", "0") "<BlockMap></BlockMap>",
	       "BlockSize 1000");
	expect(-EINVAL, "2.0", HDR("1x", "4096", "1", "0") "<BlockMap></BlockMap>",
	       "<ImageSize> \"1x\"");
	expect(-EINVAL, "2.0", HDR("99999999999999999999999", "4096", "1", "0") "<BlockMap/>",
	       "ImageSize");
	expect(-EINVAL, "2.0", HDR("4096", "4096", "1", "1")
	       "<BlockMap><Range>1-0</Range></BlockMap>", "first > last");
	expect(-EINVAL, "2.0", HDR("4096", "4096", "1", "1")
	       "<BlockMap><Range chksum=\"12\">0</Range></BlockMap>", "not a SHA-256");
	expect(-EINVAL, "2.0", HDR("4096", "4096", "1", "0"), "missing <BlockMap>");
	expect(-EINVAL, "2.0", HDR("4096", "4096", "1", "0") "<BlockMap></BlockMap><BlockMap/>",
	       "duplicate <BlockMap>");
	expect(-ENOTSUP, "3.0", HDR("4096", "4096", "1", "0") "<BlockMap/>", "version 3.0");
	expect(-ENOTSUP, "1.3", HDR("4096", "4096", "1", "0") "<BlockMap/>", "SHA-1");
	expect(-EINVAL, "2", HDR("4096", "4096", "1", "0") "<BlockMap/>", "MAJOR.MINOR");
	expect(-ENOTSUP, "2.0",
	       "<ImageSize>4096</ImageSize><BlockSize>4096</BlockSize><BlocksCount>1</BlocksCount>"
	       "<MappedBlocksCount>0</MappedBlocksCount><ChecksumType>md5</ChecksumType><BlockMap/>",
	       "ChecksumType \"md5\"");

	/* Structure errors, without a valid document around them. */
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "", "no <bmap> element" },
		{ "<bmap version=\"2.0\">", "end of file inside <bmap>" },
		{ "<bmap version=\"2.0\"></bmup>", "unexpected </bmup>" },
		{ "<!-- never closed", "unterminated comment" },
		{ "<bmap version=\"2.0\" x></bmap>", "without '='" },
		{ "<bmap version=2.0></bmap>", "without quotes" },
		{ "<notbmap/>", "not a bmap file" },
		{ "<bmap></bmap>", "no version attribute" },
		{ "<!DOCTYPE x><bmap/>", "DOCTYPE" },
		{ "junk<bmap/>", "text outside" },
		{ "<bmap version=\"2.0\"/><bmap version=\"2.0\"/>", "unexpected <bmap>" },
		{ "<bmap version=\"2.0\"><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>",
		  "nested too deep" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bmap m;
		struct diag d = { 0 };
		bmap_init(&m);
		CHECK(bmap_parse(bad[i].text, strlen(bad[i].text), "x", &m, &d) < 0);
		if (!strstr(d.msg, bad[i].msg)) {
			fprintf(stderr, "  \"%s\": message \"%s\" lacks \"%s\"\n", bad[i].text, d.msg,
				bad[i].msg);
			CHECK(0);
		}
	}

	/* A single changed byte anywhere breaks BmapFileChecksum. */
	char *t = doc("2.0", HDR("4096", "4096", "1", "1") "<BlockMap><Range>0</Range></BlockMap>");
	struct bmap m;
	struct diag d = { 0 };
	char *p = strstr(t, "1.0\"?>"); /* inside the XML declaration: still well-formed */
	p[0] = '2';
	bmap_init(&m);
	CHECK_EQ_U64((uint64_t)-bmap_parse(t, strlen(t), "t", &m, &d), EBADMSG);
	CHECK(strstr(d.msg, "BmapFileChecksum mismatch") != NULL);
	free(t);
}

static void test_scan(void)
{
	char path[] = "/tmp/kiln-test-bmap-XXXXXX";
	int fd = mkstemp(path);
	struct bmap m;
	struct diag d = { 0 };
	uint8_t blk[6000];

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	memset(blk, 0x5a, sizeof(blk));
	CHECK(ftruncate(fd, 10 << 20) == 0);
	CHECK(pwrite(fd, blk, 100, 4096 * 10 + 50) == 100);   /* block 10 */
	CHECK(pwrite(fd, blk, 6000, 4096 * 11 + 4000) == 6000); /* blocks 11-13: merged */
	CHECK(pwrite(fd, blk, 10, (10 << 20) - 10) == 10);      /* last block */
	CHECK_EQ_U64(bmap_scan(fd, 10 << 20, true, path, &m, &d), 0);
	/* A filesystem may map more than was written (whole extents), never less. */
	CHECK(m.nranges >= 2);
	CHECK(m.ranges[0].first <= 10 && m.ranges[0].last >= 13);
	CHECK_EQ_U64(m.ranges[m.nranges - 1].last, (10 << 20) / 4096 - 1);
	CHECK(m.has_cs);
	CHECK_EQ_U64(m.blocks_count, 2560);
	bmap_release(&m);
	close(fd);
	unlink(path);
}

int main(void)
{
	T_RUN(test_good);
	T_RUN(test_rejects);
	T_RUN(test_scan);
	return T_DONE();
}
