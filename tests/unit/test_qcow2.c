/* SPDX-License-Identifier: MIT */
/* qcow2 codec: header field offsets (the qcow2 spec's), the layout's
 * fixed point (refcount blocks counting themselves), the encoded header
 * and tables of a small image written to a memory sink. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "flash/qcow2.h"
#include "io/sink.h"
#include "t.h"

static void test_offsets(void)
{
	CHECK_EQ_U64(offsetof(struct qcow2_header, version), 4);
	CHECK_EQ_U64(offsetof(struct qcow2_header, backing_file_offset), 8);
	CHECK_EQ_U64(offsetof(struct qcow2_header, backing_file_size), 16);
	CHECK_EQ_U64(offsetof(struct qcow2_header, cluster_bits), 20);
	CHECK_EQ_U64(offsetof(struct qcow2_header, size), 24);
	CHECK_EQ_U64(offsetof(struct qcow2_header, crypt_method), 32);
	CHECK_EQ_U64(offsetof(struct qcow2_header, l1_size), 36);
	CHECK_EQ_U64(offsetof(struct qcow2_header, l1_table_offset), 40);
	CHECK_EQ_U64(offsetof(struct qcow2_header, refcount_table_offset), 48);
	CHECK_EQ_U64(offsetof(struct qcow2_header, refcount_table_clusters), 56);
	CHECK_EQ_U64(offsetof(struct qcow2_header, nb_snapshots), 60);
	CHECK_EQ_U64(offsetof(struct qcow2_header, snapshots_offset), 64);
	CHECK_EQ_U64(offsetof(struct qcow2_header, incompatible_features), 72);
	CHECK_EQ_U64(offsetof(struct qcow2_header, compatible_features), 80);
	CHECK_EQ_U64(offsetof(struct qcow2_header, autoclear_features), 88);
	CHECK_EQ_U64(offsetof(struct qcow2_header, refcount_order), 96);
	CHECK_EQ_U64(offsetof(struct qcow2_header, header_length), 100);
}

static void test_layout(void)
{
	struct qcow2_extent e = { 0, 40000 }; /* 2.5 GiB all allocated */
	struct qcow2_plan p = { .virtual_size = 40000ull << 16, .ext = &e, .next = 1 };
	struct diag d = { 0 };

	CHECK(qcow2_layout(&p, &d) == 0);
	CHECK_EQ_U64(p.l1_entries, 5);
	CHECK_EQ_U64(p.l2_tables, 5);
	CHECK_EQ_U64(p.data_clusters, 40000);
	/* 1 + 1 + 1 + 2 + 5 + 40000 = 40010 clusters: two refcount blocks. */
	CHECK_EQ_U64(p.refblocks, 2);
	CHECK_EQ_U64(p.clusters, 40010);
	CHECK_EQ_U64(p.data_offset, 10ull << 16);
	p.virtual_size = 0;
	CHECK(qcow2_layout(&p, &d) == -EFBIG);
}

static void test_write(void)
{
	char path[] = "/tmp/kiln-test-qcow2-XXXXXX";
	int fd = mkstemp(path);
	struct qcow2_input in = { .fd = fd, .what = path };
	struct qcow2_plan p = { 0 };
	struct diag d = { 0 };
	struct sink *s;
	const uint8_t *b;
	uint64_t len;

	CHECK(fd >= 0);
	unlink(path);
	/* 1 MiB + 100 bytes; data in cluster 3 only. */
	CHECK(ftruncate(fd, (1 << 20) + 100) == 0);
	CHECK(pwrite(fd, "xyz", 3, 3 * 65536 + 5) == 3);
	in.size = (1 << 20) + 100;
	CHECK(qcow2_map(&p, &in, 1, &d) == 0);
	CHECK_EQ_U64(p.virtual_size, (1 << 20) + 512);
	CHECK(qcow2_layout(&p, &d) == 0);
	CHECK_EQ_U64(p.data_clusters, 1);
	CHECK_EQ_U64(p.clusters, 6); /* header, rt, l1, rb, l2, data */
	CHECK(sink_mem_new(&s, 1 << 22) == 0);
	CHECK(qcow2_write(&p, &in, 1, s, &d) == 0);
	b = sink_mem_data(s, &len);
	CHECK_EQ_U64(len, 6 << 16);
	CHECK_EQ_U64(get_be32(b), QCOW2_MAGIC);
	CHECK_EQ_U64(get_be32(b + 4), 3);
	CHECK_EQ_U64(get_be64(b + 24), (1 << 20) + 512);
	CHECK_EQ_U64(get_be32(b + 96), 4);
	CHECK_EQ_U64(get_be32(b + 100), 104);
	CHECK_EQ_U64(get_be64(b + 65536), 3 << 16);                        /* rt[0] */
	CHECK_EQ_U64(get_be64(b + (2 << 16)), (4ull << 16) | QCOW2_COPIED); /* l1[0] */
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ_U64(get_be16(b + (3 << 16) + 2 * i), i < 6);          /* refcounts */
	CHECK_EQ_U64(get_be64(b + (4 << 16) + 3 * 8), (5ull << 16) | QCOW2_COPIED); /* l2[3] */
	CHECK_EQ_U64(get_be64(b + (4 << 16)), 0);                          /* l2[0]: unallocated */
	CHECK(!memcmp(b + (5 << 16) + 5, "xyz", 3));
	sink_release(s);
	qcow2_plan_release(&p);
	close(fd);
}

int main(void)
{
	T_RUN(test_offsets);
	T_RUN(test_layout);
	T_RUN(test_write);
	return T_DONE();
}
