/* SPDX-License-Identifier: MIT */
#ifndef KILN_FLASH_SPARSE_H
#define KILN_FLASH_SPARSE_H

/*
 * Android sparse images (AOSP libsparse's sparse_format.h), what
 * `fastboot flash` sends: a 28-byte header, then chunks, each a 12-byte
 * header and a payload:
 *
 *   RAW        blocks * block_size bytes of data
 *   FILL       one 32-bit word repeated over the blocks
 *   DONT_CARE  nothing: the blocks are not written (holes)
 *   CRC32      4 bytes: CRC-32 of every output block so far
 *
 * It sits in flash/ beside bmap: both describe an image for flashing by
 * which blocks matter. Codec (header <-> bytes), writer (an image file
 * onto a sink) and decoder (bytes -> the image, for tests and fuzzing).
 * All numbers little-endian.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct sink;

#define SPARSE_MAGIC 0xed26ff3au
#define SPARSE_HEADER_SIZE 28u
#define SPARSE_CHUNK_HEADER_SIZE 12u
#define SPARSE_CHUNK_RAW 0xCAC1u
#define SPARSE_CHUNK_FILL 0xCAC2u
#define SPARSE_CHUNK_DONT_CARE 0xCAC3u
#define SPARSE_CHUNK_CRC32 0xCAC4u
/* Block sizes kiln writes and accepts: multiples of 512 (genimage's
 * rule; AOSP needs multiples of 4) up to 64 MiB. */
#define SPARSE_MAX_BLOCK_SIZE (64u << 20)

struct sparse_header {
	uint32_t magic;
	uint16_t major, minor;         /* 1.0 */
	uint16_t header_size;          /* 28 */
	uint16_t chunk_header_size;    /* 12 */
	uint32_t block_size;
	uint32_t total_blocks;         /* of the output image */
	uint32_t total_chunks;
	uint32_t crc32;                /* 0: none (what libsparse writes) */
};

struct sparse_chunk {
	uint16_t type;
	uint32_t blocks;
	uint32_t total_size;           /* header + payload */
};

void sparse_header_encode(const struct sparse_header *h, uint8_t out[SPARSE_HEADER_SIZE]);
void sparse_header_decode(const uint8_t in[SPARSE_HEADER_SIZE], struct sparse_header *ret);
void sparse_chunk_encode(const struct sparse_chunk *c, uint8_t out[SPARSE_CHUNK_HEADER_SIZE]);
void sparse_chunk_decode(const uint8_t in[SPARSE_CHUNK_HEADER_SIZE], struct sparse_chunk *ret);

struct sparse_opts {
	uint32_t block_size;   /* multiple of 512 */
	bool fill_holes;       /* read holes as data (FILL 0) instead of DONT_CARE */
	bool add_crc;          /* a final CRC32 chunk */
	/* Largest RAW chunk payload: genimage splits below 4 GiB so that
	 * total_size fits 32 bits. 0 = that default; tests set it small. */
	uint64_t max_raw_bytes;
};

/* Output of sparse_write (also what `kiln plan` reports). */
struct sparse_stats {
	uint64_t bytes;        /* length of the sparse image */
	uint32_t chunks, blocks;
};

/*
 * sparse_write - the image in @fd (@size bytes, @what names it) as a
 * sparse image onto @out from offset 0. Data ranges come from
 * SEEK_DATA/SEEK_HOLE (the whole file without fill_holes' help when the
 * filesystem cannot tell), aligned outwards to blocks; a block whose
 * 32-bit words are all equal is a FILL, others RAW; unmapped blocks
 * DONT_CARE; the last partial block is padded with zeros. Chunks are
 * merged while the type (and fill word) stays the same, as genimage does,
 * so both write the same bytes from the same extents.
 * Returns 0, -EINVAL (block size), -EFBIG (more than 2^32-1 blocks),
 * -EIO (file shorter than @size), -errno of reads and of the sink.
 */
int sparse_write(int fd, uint64_t size, const char *what, const struct sparse_opts *o,
		 struct sink *out, struct sparse_stats *ret, struct diag *d);

/*
 * sparse_decode - check sparse image @buf (@len bytes) and expand it
 * onto @out (NULL: check only) at offset 0, DONT_CARE as sink_zero().
 * Checks magic, version 1.x, header sizes, block size, every chunk's
 * type and total_size, that chunks and blocks add up to the header's
 * counts, that nothing follows the last chunk, and CRC32 chunks (when
 * @out is given) against the data. At most @max_out output bytes.
 * Returns 0 or -EINVAL / -EFBIG / -EBADMSG (CRC mismatch) with the
 * chunk number and offset in @d, or the sink's error.
 */
int sparse_decode(const uint8_t *buf, size_t len, struct sink *out, uint64_t max_out,
		  struct sparse_header *ret_header, struct diag *d);

#endif
