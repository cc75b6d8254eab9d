/* SPDX-License-Identifier: MIT */
#include "flash/gpt-move.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/endian.h"
#include "part/gpt.h"

#define MAX_ARRAY (1u << 20)

static int pio(int fd, void *buf, size_t len, uint64_t off, bool wr, struct diag *d)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = wr ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return diag_fail(d, n < 0 ? -errno : -EIO, "GPT relocation: %s at byte %" PRIu64
					 ": %s", wr ? "write" : "read", off,
					 n < 0 ? strerror(errno) : "short transfer");
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Grow a pure protective MBR (one 0xEE entry from LBA 1) to the disk. */
static int fix_pmbr(int fd, uint64_t dev_sectors, uint32_t ssz, uint8_t *sec, struct diag *d)
{
	uint8_t *e = sec + 446;
	int r;

	if ((r = pio(fd, sec, ssz, 0, false, d)))
		return r;
	if (sec[510] != 0x55 || sec[511] != 0xaa || e[4] != 0xee || get_le32(e + 8) != 1)
		return 0;
	for (int i = 1; i < 4; i++)
		if (e[16 * i + 4])
			return 0; /* hybrid MBR: its sizes are the user's */
	uint64_t want = dev_sectors - 1;
	put_le32(e + 12, want > 0xffffffffu ? 0xffffffffu : (uint32_t)want);
	return pio(fd, sec, ssz, 0, true, d);
}

int gpt_move_backup(int fd, uint64_t image_size, uint64_t dev_size, uint32_t ssz,
		    bool *ret_moved, struct diag *d)
{
	struct gpt_header h, hb;
	uint8_t *sec = NULL, *arr = NULL;
	uint64_t img_last, dev_last, arr_bytes, arr_secs, new_arr;
	int r;

	*ret_moved = false;
	if (ssz < 512 || ssz > 65536 || image_size / ssz < 3 || dev_size / ssz <= image_size / ssz)
		return 0;
	img_last = image_size / ssz - 1;
	dev_last = dev_size / ssz - 1;
	sec = calloc(1, ssz);
	if (!sec)
		return diag_fail(d, -ENOMEM, "out of memory");
	if ((r = pio(fd, sec, ssz, ssz, false, d)))
		goto out;
	if (gpt_header_decode(sec, ssz, &h) || get_le32(sec + 12) != GPT_HEADER_SIZE) {
		r = 0; /* no (valid, plain) GPT here: nothing to move */
		goto out;
	}
	if (h.current_lba != 1 || h.backup_lba != img_last || h.entry_size < 128 ||
	    h.entry_size % 8 || h.nentries == 0) {
		r = 0;
		goto out;
	}
	arr_bytes = (uint64_t)h.nentries * h.entry_size;
	if (arr_bytes > MAX_ARRAY) {
		r = 0;
		goto out;
	}
	arr_secs = (arr_bytes + ssz - 1) / ssz;
	arr = calloc(1, arr_secs * ssz);
	if (!arr) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	if ((r = pio(fd, arr, arr_secs * ssz, h.entries_lba * ssz, false, d)))
		goto out;
	if (gpt_array_crc(arr, arr_bytes) != h.entries_crc) {
		diag_warn(d, "GPT entry array CRC is wrong: backup GPT left where it is");
		r = 0;
		goto out;
	}
	new_arr = dev_last - arr_secs;
	if (new_arr <= h.last_usable || new_arr <= img_last) {
		r = 0; /* device barely larger: the old place is as good as any */
		goto out;
	}
	/* Order: retire the old backup, write the new one, then repoint the
	 * primary, so a crash leaves at most a missing backup. */
	memset(sec, 0, ssz);
	if ((r = pio(fd, sec, ssz, img_last * ssz, true, d)))
		goto out;
	if ((r = pio(fd, arr, arr_secs * ssz, new_arr * ssz, true, d)))
		goto out;
	hb = h;
	hb.current_lba = dev_last;
	hb.backup_lba = 1;
	hb.entries_lba = new_arr;
	hb.last_usable = new_arr - 1;
	memset(sec, 0, ssz);
	gpt_header_encode(&hb, sec);
	if ((r = pio(fd, sec, ssz, dev_last * ssz, true, d)))
		goto out;
	if (fdatasync(fd)) {
		r = diag_fail(d, -errno, "GPT relocation: fdatasync: %s", strerror(errno));
		goto out;
	}
	h.backup_lba = dev_last;
	h.last_usable = new_arr - 1;
	memset(sec, 0, ssz);
	gpt_header_encode(&h, sec);
	if ((r = pio(fd, sec, ssz, ssz, true, d)))
		goto out;
	if ((r = fix_pmbr(fd, dev_last + 1, ssz, sec, d)))
		goto out;
	if (fdatasync(fd)) {
		r = diag_fail(d, -errno, "GPT relocation: fdatasync: %s", strerror(errno));
		goto out;
	}
	*ret_moved = true;
out:
	free(arr);
	free(sec);
	return r;
}
