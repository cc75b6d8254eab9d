/* SPDX-License-Identifier: MIT */
#ifndef KILN_IO_SINK_H
#define KILN_IO_SINK_H

/*
 * A sink is where every byte a writer produces goes (after e2fsprogs'
 * io_manager). Writers only see this interface:
 *
 *   sink_pwrite  write bytes at an offset relative to the sink
 *   sink_zero    declare a range zero; an implementation may leave a hole
 *   sink_fill    write a byte (often zero) as data, never a hole
 *   sink_pread   read back (for writers that patch, and for verification)
 *   sink_sync    flush to stable storage
 *
 * A sub-sink is a window (base, size) onto a parent: the FAT writer for
 * partition 1 gets a sub-sink and physically cannot write outside it.
 * Every call is bounds-checked: writing past the window is -ENOSPC.
 *
 * All functions return 0 or a negative errno.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct sink;

struct sink_ops {
	int (*pwrite)(struct sink *s, const void *buf, size_t len, uint64_t off);
	int (*pread)(struct sink *s, void *buf, size_t len, uint64_t off);
	int (*zero)(struct sink *s, uint64_t off, uint64_t len);
	int (*sync)(struct sink *s);
	void (*release)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	void *priv;
	struct sink *parent; /* sub-sinks: the sink they window */
	uint64_t base;       /* sub-sinks: offset in parent */
	uint64_t size;       /* bytes addressable; UINT64_MAX = unbounded */
	uint64_t written;    /* bytes passed to pwrite (progress) */
	/* Optional progress callback, called after each write at the root. */
	void (*progress)(void *userdata, uint64_t bytes);
	void *progress_userdata;
};

int sink_pwrite(struct sink *s, const void *buf, size_t len, uint64_t off);
int sink_pread(struct sink *s, void *buf, size_t len, uint64_t off);
int sink_zero(struct sink *s, uint64_t off, uint64_t len);
int sink_sync(struct sink *s);
/* sink_release - free the sink's resources; NULL is a no-op. Does not
 * commit a file sink (see sink_file_commit). */
void sink_release(struct sink *s);

/*
 * A hole is for bytes no reader interprets (free blocks and clusters,
 * padding between partitions): a card flashed through a bmap keeps its
 * old bytes there. Zeros a reader does interpret (FAT entries, directory
 * tails, inode tables, the journal, table entries) must be data: write
 * them with sink_pwrite or sink_fill(..., 0), never sink_zero.
 *
 * sink_fill - write @len bytes of @byte at @off as real data, never a
 * hole: zero metadata, NOR flash padding (0xFF), partitions marked
 * `sparse = false`.
 */
int sink_fill(struct sink *s, uint64_t off, uint64_t len, uint8_t byte);

/* sink_sub - make @ret a window [base, base+size) of @parent. */
int sink_sub(struct sink *ret, struct sink *parent, uint64_t base, uint64_t size);

/*
 * sink_copy_fd - copy @len bytes of @fd starting at @src_off to sink
 * offset @dst_off, keeping the source's holes: ranges SEEK_HOLE reports
 * become sink_zero() calls; everything the source stores, zeros
 * included, is written as data (the source's writer decided which of
 * its zeros are interpreted). Short files are an error
 * (-EIO, "changed while reading"). @what names the source for the diag.
 */
int sink_copy_fd(struct sink *s, uint64_t dst_off, int fd, uint64_t src_off, uint64_t len,
		 const char *what, struct diag *d);

/* Memory sink (tests, small images): grows up to @max bytes. */
int sink_mem_new(struct sink **ret, uint64_t max);
/* Contents and length of a memory sink (valid until release). */
const uint8_t *sink_mem_data(struct sink *s, uint64_t *ret_len);

/*
 * File sink: writes @final_path through a temporary in the same directory
 * (io/tmpfile.h: unnamed where O_TMPFILE works, else
 * ".<name>.kiln-XXXXXX"), created sparse with length @size. Stale
 * ".<name>.kiln-*" of a killed kiln are removed first.
 * sink_file_commit fsyncs and renames it into place (inside an undo
 * transaction, keeping the previous file until the transaction ends:
 * io/undo.h); sink_release without a commit removes the temporary. So a
 * failed build leaves no output that looks valid.
 * Errors name the path and the reason: "images/a.img: cannot create
 * output: Permission denied".
 */
int sink_file_new(struct sink **ret, const char *final_path, uint64_t size, struct diag *d);
int sink_file_commit(struct sink *s, struct diag *d);
/* The file sink's descriptor, for whole-range copies that keep extents
 * shared (FICLONE, copy_file_range: plan/image-cache.c). */
int sink_file_fd(struct sink *s);
/* Open an existing file or block device for in-place writing (flash). */
int sink_file_open_existing(struct sink **ret, int fd, uint64_t size);

/* Fault sink: wraps @inner and fails call number @fail_at (1-based,
 * counting pwrite/zero/sync) with -EIO. For error-path tests. */
int sink_fault_new(struct sink **ret, struct sink *inner, unsigned fail_at);

/* True if @buf is all zero bytes. */
bool buf_is_zero(const void *buf, size_t len);

#endif
