/* SPDX-License-Identifier: MIT */
/*
 * FAT geometry, following the rules mkfs.vfat (dosfstools 4.2) applies to
 * an image file, learned from its documentation and source and checked
 * against the tool itself (tests/fat/twin-geometry.sh):
 *  - media 0xF8; CHS from the SD card table up to 256 MiB, LBA-assist
 *    translation above; floppy-sized images (360K, 720K, 1200K, 1440K,
 *    2880K) get floppy BPBs; the sector count is cut to whole tracks;
 *  - FAT32 when not asked otherwise from 512 MiB on, with clusters of 512 B
 *    up to 260 MiB, 4 KiB up to 8 GiB, 8 KiB to 16 GiB, 16 KiB to 32 GiB,
 *    32 KiB above; FAT12/16 start at 4 sectors/cluster and double until a
 *    FAT type fits (FAT12 at most 4084 clusters, FAT16 4087 to 65524);
 *  - 1 reserved sector (FAT32: 32), 512 root entries, 2 FATs; above 8192
 *    sectors, reserved sectors, each FAT and the root directory are rounded
 *    up to whole clusters so clusters stay aligned.
 */
#include "fs/fat/fat-geom.h"

#include <errno.h>
#include <string.h>

#include "base/diag.h"
#include "base/size.h"
#include "fs/fat/fat-format.h"

#define MIB (1024ull * 1024)

struct trial {
	uint32_t clust12, fat12, clust16, fat16, clust32, fat32;
	int64_t raw16, raw32; /* counts before the validity checks (messages) */
};

static uint64_t cdiv(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

static uint64_t align_to(uint64_t v, uint64_t cs, bool align)
{
	return align ? (v + cs - 1) / cs * cs : v;
}

/* One round of the cluster-count estimate for a given cluster size, for
 * each FAT width: estimate, size the FAT, then recount what really fits. */
static void try_cluster_size(uint64_t nsec, uint64_t ss, uint64_t cs, uint64_t nfats,
			     uint64_t reserved, uint64_t root_secs, bool align, unsigned forced,
			     struct trial *t)
{
	int64_t fd32 = (int64_t)nsec - (int64_t)align_to(reserved, cs, align);
	int64_t fd16 = fd32 - (int64_t)align_to(root_secs, cs, align);
	int64_t c, fl, maxc;

	memset(t, 0, sizeof(*t));
	if (fd16 > 0) {
		c = 2 * ((int64_t)fd16 * (int64_t)ss + (int64_t)nfats * 3) /
		    (2 * (int64_t)(cs * ss) + (int64_t)nfats * 3);
		fl = (int64_t)align_to(cdiv((uint64_t)((c + 2) * 3 + 1) >> 1, ss), cs, align);
		c = (fd16 - (int64_t)nfats * fl) / (int64_t)cs;
		maxc = fl * 2 * (int64_t)ss / 3;
		if (maxc > 4084)
			maxc = 4084;
		if (c > 0 && c <= maxc) {
			t->clust12 = (uint32_t)c;
			t->fat12 = (uint32_t)fl;
		}
		c = ((int64_t)fd16 * (int64_t)ss + (int64_t)nfats * 4) /
		    ((int64_t)(cs * ss) + (int64_t)nfats * 2);
		fl = (int64_t)align_to(cdiv((uint64_t)(c + 2) * 2, ss), cs, align);
		c = (fd16 - (int64_t)nfats * fl) / (int64_t)cs;
		t->raw16 = c;
		maxc = fl * (int64_t)ss / 2;
		if (maxc > 65524)
			maxc = 65524;
		/* 4087, not the spec's 4085: Windows' driver reads fewer than
		 * 4087 clusters as FAT12 (dosfstools 4.2 avoids 4085/4086). */
		if (c > 0 && c <= maxc && c >= 4087) {
			t->clust16 = (uint32_t)c;
			t->fat16 = (uint32_t)fl;
		}
	}
	if (fd32 > 0) {
		c = ((int64_t)fd32 * (int64_t)ss + (int64_t)nfats * 8) /
		    ((int64_t)(cs * ss) + (int64_t)nfats * 4);
		fl = (int64_t)align_to(cdiv((uint64_t)(c + 2) * 4, ss), cs, align);
		c = (fd32 - (int64_t)nfats * fl) / (int64_t)cs;
		t->raw32 = c;
		maxc = fl * (int64_t)ss / 4;
		if (maxc > 268435446)
			maxc = 268435446;
		if (c > 0 && c <= maxc && (c >= (int64_t)FAT32_MIN_CLUSTERS || forced == 32)) {
			t->clust32 = (uint32_t)c;
			t->fat32 = (uint32_t)fl;
		}
	}
}

static bool trial_ok(const struct trial *t, unsigned type)
{
	return (t->clust12 && (type == 0 || type == 12)) || (t->clust16 && (type == 0 || type == 16)) ||
	       (t->clust32 && type == 32);
}

/* Does the chosen count satisfy the spec for @type? */
static bool count_valid(unsigned type, uint32_t c)
{
	return c && fat_type_for_clusters(c) == type;
}

int fat_geom_plan(const struct fat_geom_req *req, struct fat_geom *ret, struct diag *d)
{
	uint64_t ss = req->sector_size ? req->sector_size : 512;
	uint64_t nfats = req->nfats ? req->nfats : 2;
	unsigned type = req->fat_type;
	uint64_t size = req->size, nsec;
	unsigned cs = 4, spt, heads, media = 0xF8, root = 512;
	char hs[32];
	struct fat_geom g;
	struct trial t;

	size_format(size, hs, sizeof(hs));
	if (ss < 512 || ss > 32768 || (ss & (ss - 1)))
		return diag_fail(d, -EINVAL, "sector size %llu: must be a power of two from 512 to 32768",
				 (unsigned long long)ss);
	if (req->sectors_per_cluster &&
	    (req->sectors_per_cluster > 128 || (req->sectors_per_cluster & (req->sectors_per_cluster - 1))))
		return diag_fail(d, -EINVAL, "sectors per cluster %u: must be 1, 2, 4, ... 128",
				 req->sectors_per_cluster);
	if (type && type != 12 && type != 16 && type != 32)
		return diag_fail(d, -EINVAL, "FAT type %u: must be 12, 16 or 32", type);
	if (nfats > 4)
		return diag_fail(d, -EINVAL, "%llu FATs: must be 1 to 4", (unsigned long long)nfats);
	if (req->reserved > 0xFFFF)
		return diag_fail(d, -EINVAL, "%u reserved sectors: at most 65535", req->reserved);
	if (req->root_entries > 32768)
		return diag_fail(d, -EINVAL, "%u root directory entries: at most 32768", req->root_entries);

	nsec = size / ss;
	if (nsec > UINT32_MAX)
		return diag_fail(d, -ENOSPC, "size %s: larger than FAT can address with %llu-byte sectors",
				 hs, (unsigned long long)ss);
	/* CHS values nobody uses but some check: the SD card spec's table
	 * below 256 MiB, LBA-assist translation above (as mkfs.vfat 4.2). */
	if (nsec <= 524288) {
		heads = nsec <= 32768 ? 2 : nsec <= 65536 ? 4 : nsec <= 262144 ? 8 : 16;
		spt = nsec <= 4096 ? 16 : 32;
	} else {
		heads = nsec <= 16 * 63 * 1024 ? 16 : nsec <= 32 * 63 * 1024 ? 32 :
			nsec <= 64 * 63 * 1024 ? 64 : nsec <= 128 * 63 * 1024 ? 128 : 255;
		spt = 63;
	}
	switch (size / 1024) {
	case 360: spt = 9; heads = 2; media = 0xFD; cs = 2; root = 112; break;
	case 720: spt = 9; heads = 2; media = 0xF9; cs = 2; root = 112; break;
	case 1200: spt = 15; heads = 2; media = 0xF9; cs = 1; root = 224; break;
	case 1440: spt = 18; heads = 2; media = 0xF0; cs = 1; root = 224; break;
	case 2880: spt = 36; heads = 2; media = 0xF0; cs = 2; root = 224; break;
	}
	if (!type && size >= 512 * MIB)
		type = 32;
	if (type == 32) {
		cs = nsec > 32ull * 1024 * 1024 * 2 ? 64 : nsec > 16ull * 1024 * 1024 * 2 ? 32 :
		     nsec > 8ull * 1024 * 1024 * 2 ? 16 : nsec > 260ull * 1024 * 2 ? 8 : 1;
	}
	if (req->root_entries)
		root = req->root_entries;
	if (type == 32)
		root = 0;
	uint64_t reserved = req->reserved ? req->reserved : type == 32 ? 32 : 1;
	if (type == 32 && reserved < 2)
		return diag_fail(d, -EINVAL, "%llu reserved sectors: FAT32 needs at least 2",
				 (unsigned long long)reserved);
	uint64_t root_secs = cdiv((uint64_t)root * 32, ss);
	/* Whole tracks only (DOS and mtools want it), then alignment of the
	 * structures to clusters unless the volume is floppy-sized. */
	nsec = nsec / spt * spt;
	bool align = nsec > 8192;
	unsigned maxcs = 128;
	if (req->sectors_per_cluster)
		cs = maxcs = req->sectors_per_cluster;

	unsigned first_cs = cs;
	for (;;) {
		try_cluster_size(nsec, ss, cs, nfats, reserved, root_secs, align, type, &t);
		if (trial_ok(&t, type))
			break;
		cs <<= 1;
		if (cs > maxcs)
			break;
	}
	unsigned chosen = type ? type : (t.clust16 > t.clust12 ? 16 : 12);
	uint32_t clusters = chosen == 12 ? t.clust12 : chosen == 16 ? t.clust16 : t.clust32;
	uint32_t fatlen = chosen == 12 ? t.fat12 : chosen == 16 ? t.fat16 : t.fat32;

	/* A forced type that mkfs.vfat cannot make at its cluster size (or
	 * makes with a count the spec assigns to another type, with only a
	 * warning): try smaller clusters first (when the cluster size was not
	 * given), else refuse. */
	if (type && !count_valid(type, clusters) && !req->sectors_per_cluster) {
		for (unsigned c2 = first_cs >> 1; c2 >= 1; c2 >>= 1) {
			try_cluster_size(nsec, ss, c2, nfats, reserved, root_secs, align, type, &t);
			uint32_t n2 = type == 16 ? t.clust16 : type == 32 ? t.clust32 : t.clust12;
			if (count_valid(type, n2)) {
				cs = c2;
				clusters = n2;
				fatlen = type == 16 ? t.fat16 : type == 32 ? t.fat32 : t.fat12;
				break;
			}
		}
	}
	if (!clusters || !count_valid(chosen, clusters)) {
		if (type == 12)
			return diag_fail(d, -ENOSPC, "FAT12 cannot hold a %s volume (at most %u clusters of at most %llu bytes); use FAT16 or FAT32",
					 hs, FAT12_MAX_CLUSTERS, (unsigned long long)(maxcs * ss));
		if (type == 16 || type == 32) {
			/* Report the count at the cluster size tried first. */
			try_cluster_size(nsec, ss, first_cs, nfats, reserved, root_secs, align, type, &t);
			int64_t raw = type == 16 ? t.raw16 : t.raw32;
			uint32_t min = type == 16 ? FAT16_MIN_CLUSTERS : FAT32_MIN_CLUSTERS;
			if (raw < (int64_t)min)
				return diag_fail(d, -ENOSPC, "FAT%u needs at least %u clusters, but %s gives only %lld of %llu bytes; use a larger size%s or %s",
						 type, min, hs, (long long)(raw > 0 ? raw : 0),
						 (unsigned long long)(first_cs * ss),
						 req->sectors_per_cluster ? ", a smaller cluster size" : "",
						 type == 16 ? "FAT12" : "FAT16");
			return diag_fail(d, -ENOSPC, "FAT%u cannot hold a %s volume%s; use %s", type, hs,
					 req->sectors_per_cluster ? " with this cluster size" : "",
					 type == 16 ? "FAT32" : "a smaller size");
		}
		return diag_fail(d, -ENOSPC, "size %s: too %s for a FAT filesystem%s", hs,
				 nsec < 65536 ? "small" : "large",
				 req->sectors_per_cluster ? " with this cluster size" : "");
	}

	memset(&g, 0, sizeof(g));
	g.fat_type = chosen;
	g.sector_size = (uint32_t)ss;
	g.sectors_per_cluster = cs;
	g.cluster_bytes = (uint32_t)(cs * ss);
	g.total_sectors = (uint32_t)nsec;
	g.nfats = (uint32_t)nfats;
	g.fat_sectors = fatlen;
	g.reserved = (uint32_t)align_to(reserved, cs, align);
	if (g.reserved > 0xFFFF)
		return diag_fail(d, -EINVAL, "%u reserved sectors after cluster alignment: at most 65535",
				 g.reserved);
	if (chosen != 32) {
		uint64_t rs = align_to(root_secs, cs, align);
		g.root_entries = (uint32_t)(rs * (ss / 32));
		if (g.root_entries > 0xFFFF) /* 16-bit field: keep the unaligned count */
			g.root_entries = root;
		g.root_sectors = (uint32_t)cdiv((uint64_t)g.root_entries * 32, ss);
	}
	g.data_start = g.reserved + g.nfats * g.fat_sectors + g.root_sectors;
	g.clusters = clusters;
	if ((uint64_t)g.data_start + (uint64_t)clusters * cs > nsec)
		return diag_fail(d, -ENOSPC, "size %s: internal geometry error", hs);
	/* mkfs.vfat's floor: at least 32 KiB after the metadata. */
	if (size / 1024 < cdiv(cdiv((uint64_t)g.data_start * ss, 512), 2) + 32)
		return diag_fail(d, -ENOSPC, "size %s: too small for a FAT filesystem", hs);
	g.media = (uint8_t)media;
	g.sectors_per_track = (uint16_t)spt;
	g.heads = (uint16_t)heads;
	if (chosen == 32)
		g.backup_boot = g.reserved >= 7 ? 6 : g.reserved >= 2 ? (uint16_t)(g.reserved - 1) : 0;
	*ret = g;
	return 0;
}
