/* SPDX-License-Identifier: MIT */
#ifndef KILN_FLASH_QCOW2_H
#define KILN_FLASH_QCOW2_H

/*
 * QEMU's qcow2 (version 3, docs/formats/qcow2.md): a disk whose
 * clusters are allocated only where the input has data. It is written
 * here, beside Android sparse and bmap, because like them it describes a
 * disk by which of its blocks matter.
 *
 * Fixed choices: 64 KiB clusters, 16-bit refcounts, no backing file,
 * compression, encryption, snapshots or extensions. The file is dense:
 * header, refcount table, L1 table, refcount blocks, L2 tables, data
 * clusters in virtual order, so every cluster up to the end has
 * refcount 1. All header and table fields are big-endian.
 */

#include <stdint.h>

struct diag;
struct sink;

#define QCOW2_MAGIC 0x514649fbu /* "QFI\xfb" */
#define QCOW2_CLUSTER_BITS 16
#define QCOW2_CLUSTER (1u << QCOW2_CLUSTER_BITS)
#define QCOW2_REFCOUNT_ORDER 4
#define QCOW2_HEADER_LENGTH 104
#define QCOW2_L2_ENTRIES (QCOW2_CLUSTER / 8)
#define QCOW2_REFBLOCK_ENTRIES (QCOW2_CLUSTER / 2)
#define QCOW2_COPIED (1ull << 63)
#define QCOW2_MAX_EXTENTS (1u << 20) /* data ranges of the inputs, bounded */

struct qcow2_header {
	uint8_t magic[4];
	uint8_t version[4];
	uint8_t backing_file_offset[8];
	uint8_t backing_file_size[4];
	uint8_t cluster_bits[4];
	uint8_t size[8];
	uint8_t crypt_method[4];
	uint8_t l1_size[4];
	uint8_t l1_table_offset[8];
	uint8_t refcount_table_offset[8];
	uint8_t refcount_table_clusters[4];
	uint8_t nb_snapshots[4];
	uint8_t snapshots_offset[8];
	uint8_t incompatible_features[8];
	uint8_t compatible_features[8];
	uint8_t autoclear_features[8];
	uint8_t refcount_order[4];
	uint8_t header_length[4];
} __attribute__((packed));
_Static_assert(sizeof(struct qcow2_header) == QCOW2_HEADER_LENGTH, "qcow2_header");

/* One input, at virtual offset @base, @size bytes read from @fd. */
struct qcow2_input {
	int fd;
	uint64_t base, size;
	const char *what;
};

/* Allocated virtual clusters [start, end), sorted, disjoint. */
struct qcow2_extent {
	uint64_t start, end;
};

struct qcow2_plan {
	uint64_t virtual_size;          /* bytes, a multiple of 512 */
	struct qcow2_extent *ext;       /* owned */
	unsigned next;
	uint64_t data_clusters, l2_tables;
	uint64_t l1_entries, l1_clusters, rt_clusters, refblocks;
	uint64_t rt_offset, l1_offset, rb_offset, l2_offset, data_offset;
	uint64_t clusters;              /* in the file */
	uint64_t file_size;
};

/*
 * qcow2_map - fill @p's extents from the inputs' data ranges
 * (SEEK_DATA/SEEK_HOLE; a file without them is all data) and set the
 * virtual size (the inputs' end rounded up to 512). Returns 0, -E2BIG
 * (more than QCOW2_MAX_EXTENTS ranges), -ENOMEM or -errno of lseek.
 */
int qcow2_map(struct qcow2_plan *p, const struct qcow2_input *in, unsigned n, struct diag *d);

/*
 * qcow2_layout - fix every table's offset and the file size from the
 * extents and the virtual size. 0 or -EOVERFLOW / -EFBIG.
 */
int qcow2_layout(struct qcow2_plan *p, struct diag *d);

/* qcow2_header_encode - the header (and the end-of-extensions mark)
 * into @out: QCOW2_HEADER_LENGTH + 8 bytes. */
void qcow2_header_encode(const struct qcow2_plan *p, uint8_t *out);

/*
 * qcow2_write - the whole file onto @out (p->file_size bytes): tables
 * built a cluster at a time, data read from the inputs. 0 or -errno.
 */
int qcow2_write(const struct qcow2_plan *p, const struct qcow2_input *in, unsigned n,
		struct sink *out, struct diag *d);

void qcow2_plan_release(struct qcow2_plan *p);

#endif
