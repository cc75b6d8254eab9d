/* SPDX-License-Identifier: MIT */
/*
 * The hdimage writer: copies each partition's image (keeping holes, in the
 * kernel), or has it generated in place (plan/inplace.h), then
 * writes EBRs and the tables. Only table bytes are written (72 bytes of
 * the MBR, 66 of an EBR, 92 of a GPT header, the 16 KiB array), so boot
 * code a raw blob puts around them survives, as in genimage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "io/sink.h"
#include "part/gpt.h"
#include "part/mbr.h"
#include "plan/build.h"
#include "plan/hdimage.h"
#include "plan/image.h"
#include "plan/inplace.h"

#define SECTOR 512u

static void set_chs(const struct hd_priv *hd, struct mbr_part *e, uint64_t base)
{
	void (*chs)(uint64_t, uint8_t *) = hd->genimage ? mbr_chs_genimage : mbr_chs_clamped;

	chs(e->start + base, e->chs_first);
	chs(e->start + base + e->count - 1, e->chs_last);
}

static int write_mbr(const struct hd_priv *hd, const struct image *img, struct sink *out)
{
	struct mbr_table t = { .disk_signature = hd->disksig };
	uint8_t buf[MBR_TAIL_SIZE];
	unsigned n = 0;

	for (unsigned i = 0; i < img->nparts; i++) {
		const struct partition *p = &img->parts[i];
		struct mbr_part *e;

		if (!p->in_partition_table || p->logical)
			continue;
		if (hd->table == HD_TABLE_HYBRID && (!p->mbr_type_set || !p->mbr_type))
			continue;
		if (n == MBR_NENTRIES)
			return -E2BIG; /* setup guarantees this cannot happen */
		e = &t.part[n++];
		e->bootable = p->bootable;
		e->type = p->mbr_type;
		e->start = (uint32_t)(p->offset / SECTOR);
		e->count = (uint32_t)(p->size / SECTOR);
		set_chs(hd, e, 0);
	}
	if (hd->table == HD_TABLE_HYBRID) {
		struct mbr_part *e;

		if (n == MBR_NENTRIES)
			return -E2BIG;
		e = &t.part[n];
		e->type = MBR_TYPE_GPT_PROTECTIVE;
		e->start = 1;
		e->count = (uint32_t)(hd->gpt_location / SECTOR + GPT_BACKUP_SECTORS - 2);
		set_chs(hd, e, 0);
	}
	mbr_encode(&t, buf);
	return sink_pwrite(out, buf, sizeof(buf), MBR_TAIL_OFFSET);
}

static int write_protective_mbr(const struct hd_priv *hd, const struct image *img, struct sink *out)
{
	struct mbr_table t = { .disk_signature = hd->disksig };
	uint8_t buf[MBR_TAIL_SIZE];
	uint64_t count = img->size / SECTOR - 1;

	t.part[0].type = MBR_TYPE_GPT_PROTECTIVE;
	t.part[0].start = 1;
	t.part[0].count = count > 0xffffffffu ? 0xffffffffu : (uint32_t)count;
	set_chs(hd, &t.part[0], 0);
	mbr_encode(&t, buf);
	return sink_pwrite(out, buf, sizeof(buf), MBR_TAIL_OFFSET);
}

/* The EBR in front of logical partition @i: its own entry, and a link to
 * the next logical partition's EBR (relative to the extended container). */
static int write_ebr(const struct hd_priv *hd, const struct image *img, unsigned i,
		     struct sink *out)
{
	const struct partition *p = &img->parts[i];
	const struct partition *ext = &img->parts[hd->ext];
	uint64_t ebr = p->offset - hd->align;
	struct mbr_table t = { 0 };
	uint8_t buf[MBR_TAIL_SIZE];

	t.part[0].type = p->mbr_type;
	t.part[0].start = (uint32_t)(hd->align / SECTOR);
	t.part[0].count = (uint32_t)(p->size / SECTOR);
	set_chs(hd, &t.part[0], ebr / SECTOR);
	for (unsigned k = i + 1; k < img->nparts; k++) {
		const struct partition *q = &img->parts[k];
		if (!q->logical)
			continue;
		t.part[1].type = MBR_TYPE_EXTENDED_LBA;
		t.part[1].start = (uint32_t)((q->offset - hd->align - ext->offset) / SECTOR);
		t.part[1].count = (uint32_t)((q->size + hd->align) / SECTOR);
		set_chs(hd, &t.part[1], ext->offset / SECTOR);
		break;
	}
	mbr_encode(&t, buf);
	return sink_pwrite(out, buf + (MBR_TABLE_OFFSET - MBR_TAIL_OFFSET), MBR_EBR_SIZE,
			   ebr + MBR_TABLE_OFFSET);
}

static void gpt_name(const struct hd_priv *hd, const char *name, uint16_t out[GPT_NAME_LEN])
{
	/* genimage stores each byte as one UTF-16 unit, cut at 36; kiln
	 * converts UTF-8 (setup rejected names that do not fit). */
	if (hd->genimage || gpt_name_from_utf8(name, out)) {
		memset(out, 0, GPT_NAME_LEN * sizeof(*out));
		for (unsigned j = 0; name[j] && j < GPT_NAME_LEN; j++)
			out[j] = (uint8_t)name[j];
	}
}

static int write_gpt(const struct hd_priv *hd, const struct image *img, struct sink *out)
{
	struct gpt_header h = { 0 };
	uint8_t hdr[GPT_HEADER_SIZE];
	uint8_t *array = calloc(1, GPT_ARRAY_SIZE);
	unsigned n = 0;
	int r;

	if (!array)
		return -ENOMEM;
	for (unsigned i = 0; i < img->nparts; i++) {
		const struct partition *p = &img->parts[i];
		struct gpt_entry e = { 0 };

		if (!p->in_partition_table)
			continue;
		if (n == GPT_NENTRIES) {
			free(array);
			return -E2BIG;
		}
		uuid_to_guid(&p->type_uuid, e.type_guid);
		uuid_to_guid(&p->uuid, e.guid);
		e.first_lba = p->offset / SECTOR;
		e.last_lba = (p->offset + p->size) / SECTOR - 1;
		e.attrs = (p->bootable ? GPT_ATTR_LEGACY_BOOTABLE : 0) |
			  (p->read_only ? GPT_ATTR_READ_ONLY : 0) |
			  (p->hidden ? GPT_ATTR_HIDDEN : 0) |
			  (p->no_automount ? GPT_ATTR_NO_AUTOMOUNT : 0);
		gpt_name(hd, p->name, e.name);
		gpt_entry_encode(&e, array + (size_t)n * GPT_ENTRY_SIZE);
		n++;
	}
	h.revision = GPT_REVISION_1_0;
	h.current_lba = 1;
	h.backup_lba = hd->gpt_no_backup ? 1 : img->size / SECTOR - 1;
	h.first_usable = hd->first_usable_lba;
	h.last_usable = hd->last_usable_lba;
	uuid_to_guid(&hd->disk_uuid, h.disk_guid);
	h.entries_lba = hd->gpt_location / SECTOR;
	h.nentries = GPT_NENTRIES;
	h.entry_size = GPT_ENTRY_SIZE;
	h.entries_crc = gpt_array_crc(array, GPT_ARRAY_SIZE);
	gpt_header_encode(&h, hdr);
	r = sink_pwrite(out, array, GPT_ARRAY_SIZE, hd->gpt_location);
	if (!r)
		r = sink_pwrite(out, hdr, sizeof(hdr), SECTOR);
	if (!r && !hd->gpt_no_backup) {
		h.current_lba = img->size / SECTOR - 1;
		h.backup_lba = 1;
		h.entries_lba = hd->backup_offset / SECTOR;
		gpt_header_encode(&h, hdr);
		r = sink_pwrite(out, array, GPT_ARRAY_SIZE, hd->backup_offset);
		if (!r)
			r = sink_pwrite(out, hdr, sizeof(hdr), img->size - SECTOR);
	}
	free(array);
	if (r)
		return r;
	return hd->table == HD_TABLE_HYBRID ? write_mbr(hd, img, out)
					    : write_protective_mbr(hd, img, out);
}

/* sparse = false: every byte of the partition's data is written, zeros
 * included, so the range is allocated in the output. */
static int copy_dense(struct sink *out, uint64_t dst, int fd, uint64_t src, uint64_t len,
		      const char *what, struct diag *d)
{
	size_t cap = 1u << 20;
	uint8_t *buf = malloc(cap);
	int r = 0;

	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	while (len) {
		size_t n = len < cap ? (size_t)len : cap;
		ssize_t got = pread(fd, buf, n, (off_t)src);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r = diag_fail(d, got < 0 ? -errno : -EIO, "%s: %s", what,
				      got < 0 ? strerror(errno) : "changed while reading");
			break;
		}
		if ((r = sink_pwrite(out, buf, (size_t)got, dst)))
			break;
		dst += (uint64_t)got;
		src += (uint64_t)got;
		len -= (uint64_t)got;
	}
	free(buf);
	return r;
}

static int write_partition(const struct partition *p, struct sink *out, struct diag *d)
{
	const struct image *c = p->child;
	const char *path = c->outfile;
	uint64_t len, avail;
	struct stat st;
	int fd, r;

	if (c->size <= p->imageoffset && !p->fill)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(d, -errno, "partition '%s': %s: %s", p->name, path,
				 strerror(errno));
	if (fstat(fd, &st)) {
		r = diag_fail(d, -errno, "partition '%s': %s: %s", p->name, path, strerror(errno));
		goto out;
	}
	/* A genimage-mode disk may end before its nominal size. */
	avail = (uint64_t)st.st_size < c->size ? (uint64_t)st.st_size : c->size;
	len = avail > p->imageoffset ? avail - p->imageoffset : 0;
	if (len > p->size) {
		r = diag_fail(d, -EFBIG,
			      "partition '%s': %s grew to %" PRIu64
			      " bytes, more than the partition's %" PRIu64,
			      p->name, path, len, p->size);
		goto out;
	}
	if (p->sparse)
		r = sink_copy_fd(out, p->offset, fd, p->imageoffset, len, path, d);
	else
		r = copy_dense(out, p->offset, fd, p->imageoffset, len, path, d);
	if (!r && p->fill && !p->sparse)
		r = sink_fill(out, p->offset + len, p->size - len, 0);
	if (r && d && !d->err)
		diag_fail(d, r, "partition '%s': writing %s: %s", p->name, path, strerror(-r));
out:
	close(fd);
	return r;
}

int hd_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct hd_priv *hd = img->priv;
	int r;

	for (unsigned i = 0; i < img->nparts; i++) {
		const struct partition *p = &img->parts[i];

		if (p->logical && (r = write_ebr(hd, img, i, out)))
			return diag_fail(d, r, "partition '%s': writing its EBR: %s", p->name,
					 strerror(-r));
		if (!p->child)
			continue;
		if (p->child->inplace_in == img)
			r = inplace_write(b, img, p, out, d);
		else
			r = write_partition(p, out, d);
		if (r)
			return r;
	}
	r = 0;
	if (hd->table & HD_TABLE_GPT)
		r = write_gpt(hd, img, out);
	else if (hd->table == HD_TABLE_MBR)
		r = write_mbr(hd, img, out);
	if (r)
		return diag_fail(d, r, "writing the partition table: %s", strerror(-r));
	return 0;
}
