/* SPDX-License-Identifier: MIT */
/*
 * FAT writing, metadata: the boot sector (FAT32: backup and FSInfo), the
 * allocation tables and every directory, all from the finished plan.
 *
 * All of it is written as data, zeros included: the reserved sectors,
 * both FATs in full (a free entry is a zero a reader interprets), the
 * FAT12/16 root region and every directory cluster to its end (Linux and
 * fsck.fat read past the end-of-directory entry). A card flashed through
 * a bmap must not keep its old bytes there. Only free clusters and the
 * slack of a file's last cluster may stay holes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "base/endian.h"
#include "fs/fat/fat-format.h"
#include "fs/fat/fat-names.h"
#include "fs/fat/fat-writer-int.h"
#include "fs/tree.h"
#include "io/sink.h"

static void fat_set(uint8_t *fat, unsigned type, uint32_t c, uint32_t v)
{
	if (type == 12) {
		uint8_t *b = fat + c * 3 / 2;
		if (c & 1) {
			b[0] = (uint8_t)((b[0] & 0x0F) | (v & 0x0F) << 4);
			b[1] = (uint8_t)(v >> 4);
		} else {
			b[0] = (uint8_t)v;
			b[1] = (uint8_t)((b[1] & 0xF0) | ((v >> 8) & 0x0F));
		}
	} else if (type == 16) {
		put_le16(fat + (size_t)c * 2, (uint16_t)v);
	} else {
		put_le32(fat + (size_t)c * 4, v & 0x0FFFFFFF);
	}
}

static void fat_run(uint8_t *fat, unsigned type, uint32_t first, uint32_t n, uint32_t eoc)
{
	for (uint32_t c = first; c + 1 < first + n; c++)
		fat_set(fat, type, c, c + 1);
	if (n)
		fat_set(fat, type, first + n - 1, eoc);
}

int fat_write_tables(const struct fat_plan *p, struct sink *out, struct diag *d)
{
	const struct fat_geom *g = &p->g;
	uint32_t ss = g->sector_size;
	uint8_t *sec = calloc(1, ss);
	uint8_t *fat = NULL;
	struct fat_bpb b;
	int r = -ENOMEM;

	if (!sec)
		goto out;
	memset(&b, 0, sizeof(b));
	b.fat_type = g->fat_type;
	memcpy(b.oem, "MSWIN4.1", 8); /* the spec's most compatible OEM name */
	b.bytes_per_sector = (uint16_t)ss;
	b.sectors_per_cluster = (uint8_t)g->sectors_per_cluster;
	b.reserved_sectors = (uint16_t)g->reserved;
	b.num_fats = (uint8_t)g->nfats;
	b.root_entries = (uint16_t)g->root_entries;
	b.total_sectors = g->total_sectors;
	b.media = g->media;
	b.fat_sectors = g->fat_sectors;
	b.sectors_per_track = g->sectors_per_track;
	b.heads = g->heads;
	b.hidden_sectors = p->o.hidden_sectors;
	b.drive_number = p->o.drive_number_set ? p->o.drive_number : g->media == 0xF8 ? 0x80 : 0;
	b.volume_id = p->o.volume_id;
	memcpy(b.label, p->label, 11);
	b.root_cluster = 2;
	b.fsinfo_sector = 1;
	b.backup_boot_sector = g->backup_boot;
	fat_bpb_encode(&b, sec);
	if ((r = sink_fill(out, 0, (uint64_t)g->reserved * ss, 0)))
		goto out;
	if ((r = sink_pwrite(out, sec, ss, 0)))
		goto out;
	if (g->fat_type == 32) {
		if (g->backup_boot && (r = sink_pwrite(out, sec, ss, (uint64_t)g->backup_boot * ss)))
			goto out;
		memset(sec, 0, ss);
		uint32_t free_count = g->clusters - p->used;
		fat_fsinfo_encode(free_count, free_count ? p->next_free : 0xFFFFFFFF, sec);
		if ((r = sink_pwrite(out, sec, ss, (uint64_t)ss)))
			goto out;
	}

	/* The used head of each FAT is built in memory, the free rest is
	 * written as zeros (memory stays bounded on a large FAT32). */
	uint64_t ents = p->next_free;
	uint64_t bytes = g->fat_type == 12 ? (ents * 3 + 1) / 2 : ents * (g->fat_type / 8);
	bytes = (bytes + ss - 1) / ss * ss;
	fat = calloc(1, bytes + 4);
	if (!fat) {
		r = -ENOMEM;
		goto out;
	}
	uint32_t eoc = g->fat_type == 12 ? 0xFFF : g->fat_type == 16 ? 0xFFFF : 0x0FFFFFFF;
	fat_set(fat, g->fat_type, 0, (0x0FFFFF00 | g->media) & eoc);
	fat_set(fat, g->fat_type, 1, eoc);
	for (uint32_t i = 0; i < p->ndirs; i++)
		fat_run(fat, g->fat_type, p->dirs[i].first, p->dirs[i].nclus, eoc);
	for (uint32_t i = 0; i < p->nobjs; i++)
		if (!p->objs[i].is_dir)
			fat_run(fat, g->fat_type, p->objs[i].first, p->objs[i].nclus, eoc);
	for (uint32_t k = 0; k < g->nfats; k++) {
		uint64_t off = ((uint64_t)g->reserved + (uint64_t)k * g->fat_sectors) * ss;
		uint64_t whole = (uint64_t)g->fat_sectors * ss;
		if ((r = sink_pwrite(out, fat, bytes, off)))
			goto out;
		if (whole > bytes && (r = sink_fill(out, off + bytes, whole - bytes, 0)))
			goto out;
	}
	r = 0;
out:
	if (r == -ENOMEM)
		diag_fail(d, r, "out of memory");
	free(sec);
	free(fat);
	return r;
}

static void time_of(int64_t t, struct fat_dirent *e)
{
	fat_time_encode(t, &e->date, &e->time, &e->tenth, NULL);
}

static int write_dir(const struct fat_plan *p, uint32_t di, uint8_t *buf, size_t cap,
		     struct sink *out)
{
	const struct fat_geom *g = &p->g;
	const struct fat_dir *dd = &p->dirs[di];
	const struct tree_node *dn = di ? p->objs[dd->obj].node : p->tree->root;
	size_t used = (size_t)dd->nentries * 32;
	size_t len = (used + g->sector_size - 1) / g->sector_size * g->sector_size;
	struct fat_dirent e;
	uint16_t u[FAT_NAME_MAX];
	uint8_t *w = buf;
	uint64_t off, region;
	int r;

	if (di == 0 && g->fat_type != 32) {
		off = ((uint64_t)g->reserved + (uint64_t)g->nfats * g->fat_sectors) * g->sector_size;
		region = (uint64_t)g->root_sectors * g->sector_size;
	} else {
		off = fat_cluster_offset(g, dd->first);
		region = (uint64_t)dd->nclus * g->cluster_bytes;
	}
	if (len < region && (r = sink_fill(out, off + len, region - len, 0)))
		return r;
	if (!len)
		return 0;
	if (len > cap)
		return -EOVERFLOW;
	memset(buf, 0, len);
	memset(&e, 0, sizeof(e));
	if (!di) {
		if (p->has_label) {
			memcpy(e.name, p->label, 11);
			e.attr = FAT_ATTR_VOLUME_ID;
			time_of(p->o.epoch, &e);
			fat_dirent_encode(&e, w);
			w += 32;
		}
	} else {
		memset(e.name, ' ', 11);
		e.name[0] = '.';
		e.attr = FAT_ATTR_DIRECTORY;
		time_of(dn->mtime, &e);
		e.first_cluster = dd->first;
		fat_dirent_encode(&e, w);
		w += 32;
		e.name[1] = '.';
		/* ".." of a directory in the root points to cluster 0, even on FAT32. */
		e.first_cluster = dd->parent ? p->dirs[dd->parent].first : 0;
		fat_dirent_encode(&e, w);
		w += 32;
	}
	for (uint32_t i = 0; i < dd->nkids; i++) {
		const struct fat_obj *o = &p->objs[dd->kid0 + i];
		if (o->nlfn) {
			unsigned ul = 0;
			fat_utf8_to_utf16(o->node->name, u, FAT_NAME_MAX, &ul); /* checked in the plan */
			fat_lfn_encode(u, ul, fat_lfn_checksum(o->sfn), w);
			w += (size_t)o->nlfn * 32;
		}
		memset(&e, 0, sizeof(e));
		memcpy(e.name, o->sfn, 11);
		e.ntres = o->ntres;
		e.attr = o->is_dir ? FAT_ATTR_DIRECTORY : FAT_ATTR_ARCHIVE;
		time_of(o->node->mtime, &e);
		e.first_cluster = o->first;
		e.size = o->is_dir ? 0 : (uint32_t)o->size;
		fat_dirent_encode(&e, w);
		w += 32;
	}
	return sink_pwrite(out, buf, len, off);
}

int fat_write_dirs(const struct fat_plan *p, struct sink *out, struct diag *d)
{
	size_t cap = 0;
	uint8_t *buf;
	int r = 0;

	for (uint32_t i = 0; i < p->ndirs; i++) {
		size_t need = (size_t)p->dirs[i].nentries * 32 + p->g.sector_size;
		if (need > cap)
			cap = need;
	}
	buf = malloc(cap);
	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < p->ndirs && !r; i++)
		r = write_dir(p, i, buf, cap, out);
	free(buf);
	return r;
}
