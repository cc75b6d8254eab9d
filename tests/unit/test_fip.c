/* SPDX-License-Identifier: MIT */
/* FIP codec: ToC field offsets, the name table, layout (alignment,
 * empty entries left out, terminator at the aligned end) and the
 * encoded ToC bytes; the writer onto a memory sink. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "boot/fip.h"
#include "io/sink.h"
#include "t.h"

static void test_offsets(void)
{
	CHECK_EQ_U64(offsetof(struct fip_toc_header, name), 0);
	CHECK_EQ_U64(offsetof(struct fip_toc_header, serial), 4);
	CHECK_EQ_U64(offsetof(struct fip_toc_header, flags), 8);
	CHECK_EQ_U64(offsetof(struct fip_toc_entry, uuid), 0);
	CHECK_EQ_U64(offsetof(struct fip_toc_entry, offset), 16);
	CHECK_EQ_U64(offsetof(struct fip_toc_entry, size), 24);
	CHECK_EQ_U64(offsetof(struct fip_toc_entry, flags), 32);
}

static void test_names(void)
{
	struct uuid u;
	unsigned n = 0;

	for (; fip_names[n].name; n++)
		CHECK(uuid_parse(fip_names[n].uuid, &u) == 0);
	CHECK_EQ_U64(n, 30);
	CHECK_STR(fip_name_find("soc-fw")->uuid, "47d4086d-4cfe-9846-9b95-2950cbbd5a00");
	CHECK_STR(fip_name_find("nt-fw")->uuid, "d6d0eea7-fcea-d54b-9782-9934f234b6e4");
	CHECK(fip_name_find("bl31") == NULL);
}

static void test_layout(void)
{
	struct fip_entry e[3] = { { .size = 5 }, { .size = 0 }, { .size = 17 } };
	struct fip_plan p = { .e = e, .n = 3, .align = 16, .toc_flags = 3ull << 32 };
	struct diag d = { 0 };
	uint8_t toc[16 + 3 * 40];

	uuid_parse(fip_name_find("tb-fw")->uuid, &e[0].uuid);
	uuid_parse(fip_name_find("soc-fw")->uuid, &e[2].uuid);
	CHECK(fip_layout(&p, &d) == 0);
	/* Two entries used, plus the terminator. */
	CHECK_EQ_U64(p.toc_size, 16 + 3 * 40);
	CHECK_EQ_U64(e[0].offset, 144);
	CHECK_EQ_U64(e[2].offset, 160);
	CHECK_EQ_U64(p.size, 192);
	fip_toc_encode(&p, toc);
	CHECK_EQ_U64(get_le32(toc), 0xAA640001u);
	CHECK_EQ_U64(get_le32(toc + 4), 0x12345678u);
	CHECK_EQ_U64(get_le64(toc + 8), 3ull << 32);
	CHECK(!memcmp(toc + 16, e[0].uuid.b, 16));
	CHECK_EQ_U64(get_le64(toc + 16 + 16), 144);
	CHECK_EQ_U64(get_le64(toc + 16 + 24), 5);
	CHECK(!memcmp(toc + 56, e[2].uuid.b, 16));
	CHECK_EQ_U64(get_le64(toc + 56 + 16), 160);
	CHECK(buf_is_zero(toc + 96, 16));
	CHECK_EQ_U64(get_le64(toc + 96 + 16), 192);

	p.align = 12;
	CHECK(fip_layout(&p, &d) == -EINVAL);
	p.align = 1;
	e[0].size = UINT64_MAX - 10;
	d = (struct diag){ 0 };
	CHECK(fip_layout(&p, &d) == -EOVERFLOW);
}

static void test_write(void)
{
	char path[] = "/tmp/kiln-test-fip-XXXXXX";
	int fd = mkstemp(path);
	struct fip_entry e = { .size = 3, .what = path };
	struct fip_plan p = { .e = &e, .n = 1, .align = 8 };
	struct diag d = { 0 };
	struct sink *s;
	const uint8_t *buf;
	uint64_t len;

	CHECK(fd >= 0 && write(fd, "abc", 3) == 3);
	unlink(path);
	e.fd = fd;
	uuid_parse(fip_name_find("nt-fw")->uuid, &e.uuid);
	CHECK(fip_layout(&p, &d) == 0);
	CHECK(sink_mem_new(&s, 1 << 20) == 0);
	CHECK(fip_write(&p, s, &d) == 0);
	buf = sink_mem_data(s, &len);
	CHECK_EQ_U64(len, 104);
	CHECK(!memcmp(buf + 96, "abc\0\0\0\0\0", 8));
	sink_release(s);
	close(fd);
}

int main(void)
{
	T_RUN(test_offsets);
	T_RUN(test_names);
	T_RUN(test_layout);
	T_RUN(test_write);
	return T_DONE();
}
