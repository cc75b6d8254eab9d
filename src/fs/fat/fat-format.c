/* SPDX-License-Identifier: MIT */
/* FAT codecs: boot sector, FSInfo, directory and long-name entries. */
#include "fs/fat/fat-format.h"

#include <errno.h>
#include <string.h>

#include "base/endian.h"

unsigned fat_type_for_clusters(uint32_t clusters)
{
	if (clusters < FAT16_MIN_CLUSTERS)
		return 12;
	if (clusters < FAT32_MIN_CLUSTERS)
		return 16;
	return 32;
}

/* Not bootable: INT 18h asks the BIOS to try the next device; if it
 * returns, halt forever. Written here, not borrowed from any tool. */
static const uint8_t boot_stub[] = { 0xCD, 0x18, 0xFA, 0xF4, 0xEB, 0xFD };

void fat_bpb_encode(const struct fat_bpb *b, uint8_t out[512])
{
	bool f32 = b->fat_type == 32;
	unsigned code = f32 ? FAT32_BS_CODE : FAT16_BS_CODE;
	unsigned ext = f32 ? FAT32_BS_DRVNUM : FAT16_BS_DRVNUM;

	memset(out, 0, 512);
	out[0] = 0xEB;
	out[1] = (uint8_t)(code - 2);
	out[2] = 0x90;
	memcpy(out + FAT_BS_OEM, b->oem, 8);
	put_le16(out + FAT_BPB_BYTSPERSEC, b->bytes_per_sector);
	out[FAT_BPB_SECPERCLUS] = b->sectors_per_cluster;
	put_le16(out + FAT_BPB_RSVDSECCNT, b->reserved_sectors);
	out[FAT_BPB_NUMFATS] = b->num_fats;
	put_le16(out + FAT_BPB_ROOTENTCNT, f32 ? 0 : b->root_entries);
	if (b->total_sectors < 65536)
		put_le16(out + FAT_BPB_TOTSEC16, (uint16_t)b->total_sectors);
	else
		put_le32(out + FAT_BPB_TOTSEC32, b->total_sectors);
	out[FAT_BPB_MEDIA] = b->media;
	if (!f32)
		put_le16(out + FAT_BPB_FATSZ16, (uint16_t)b->fat_sectors);
	put_le16(out + FAT_BPB_SECPERTRK, b->sectors_per_track);
	put_le16(out + FAT_BPB_NUMHEADS, b->heads);
	put_le32(out + FAT_BPB_HIDDSEC, b->hidden_sectors);
	if (f32) {
		put_le32(out + FAT32_BPB_FATSZ32, b->fat_sectors);
		put_le16(out + FAT32_BPB_EXTFLAGS, 0); /* all FATs mirrored */
		put_le16(out + FAT32_BPB_FSVER, 0);
		put_le32(out + FAT32_BPB_ROOTCLUS, b->root_cluster);
		put_le16(out + FAT32_BPB_FSINFO, b->fsinfo_sector);
		put_le16(out + FAT32_BPB_BKBOOTSEC, b->backup_boot_sector);
	}
	out[ext] = b->drive_number;
	out[ext + 2] = 0x29; /* extended boot signature: the next 3 fields exist */
	put_le32(out + ext + 3, b->volume_id);
	memcpy(out + ext + 7, b->label, 11);
	memcpy(out + ext + 18, b->fat_type == 12 ? "FAT12   " : b->fat_type == 16 ? "FAT16   " : "FAT32   ", 8);
	memcpy(out + code, boot_stub, sizeof(boot_stub));
	out[FAT_BS_SIGNATURE] = 0x55;
	out[FAT_BS_SIGNATURE + 1] = 0xAA;
}

int fat_bpb_decode(const uint8_t in[512], struct fat_bpb *ret)
{
	struct fat_bpb b;
	uint32_t root_secs, data_secs, clusters;

	memset(&b, 0, sizeof(b));
	if (in[FAT_BS_SIGNATURE] != 0x55 || in[FAT_BS_SIGNATURE + 1] != 0xAA)
		return -EINVAL;
	memcpy(b.oem, in + FAT_BS_OEM, 8);
	b.bytes_per_sector = get_le16(in + FAT_BPB_BYTSPERSEC);
	b.sectors_per_cluster = in[FAT_BPB_SECPERCLUS];
	b.reserved_sectors = get_le16(in + FAT_BPB_RSVDSECCNT);
	b.num_fats = in[FAT_BPB_NUMFATS];
	b.root_entries = get_le16(in + FAT_BPB_ROOTENTCNT);
	b.total_sectors = get_le16(in + FAT_BPB_TOTSEC16);
	if (!b.total_sectors)
		b.total_sectors = get_le32(in + FAT_BPB_TOTSEC32);
	b.media = in[FAT_BPB_MEDIA];
	b.fat_sectors = get_le16(in + FAT_BPB_FATSZ16);
	if (!b.fat_sectors)
		b.fat_sectors = get_le32(in + FAT32_BPB_FATSZ32);
	b.sectors_per_track = get_le16(in + FAT_BPB_SECPERTRK);
	b.heads = get_le16(in + FAT_BPB_NUMHEADS);
	b.hidden_sectors = get_le32(in + FAT_BPB_HIDDSEC);
	if (b.bytes_per_sector < 512 || (b.bytes_per_sector & (b.bytes_per_sector - 1)) ||
	    !b.sectors_per_cluster || (b.sectors_per_cluster & (b.sectors_per_cluster - 1)) ||
	    !b.num_fats || !b.reserved_sectors)
		return -EINVAL;
	root_secs = ((uint32_t)b.root_entries * 32 + b.bytes_per_sector - 1) / b.bytes_per_sector;
	uint64_t meta = (uint64_t)b.reserved_sectors + (uint64_t)b.num_fats * b.fat_sectors + root_secs;
	if (meta >= b.total_sectors)
		return -EINVAL;
	data_secs = b.total_sectors - (uint32_t)meta;
	clusters = data_secs / b.sectors_per_cluster;
	b.fat_type = fat_type_for_clusters(clusters);
	/* The type decides which fields are valid: FAT32 has no fixed root
	 * directory and only the 32-bit FAT size, FAT12/16 only the 16-bit
	 * one (found by fuzzing: a "FAT32" with 1536 root entries). */
	if (b.fat_type == 32 ? b.root_entries || get_le16(in + FAT_BPB_FATSZ16)
			     : !get_le16(in + FAT_BPB_FATSZ16))
		return -EINVAL;
	unsigned ext = b.fat_type == 32 ? FAT32_BS_DRVNUM : FAT16_BS_DRVNUM;
	if (b.fat_type == 32) {
		b.root_cluster = get_le32(in + FAT32_BPB_ROOTCLUS);
		b.fsinfo_sector = get_le16(in + FAT32_BPB_FSINFO);
		b.backup_boot_sector = get_le16(in + FAT32_BPB_BKBOOTSEC);
	}
	b.drive_number = in[ext];
	b.volume_id = get_le32(in + ext + 3);
	memcpy(b.label, in + ext + 7, 11);
	*ret = b;
	return 0;
}

void fat_fsinfo_encode(uint32_t free_count, uint32_t next_free, uint8_t out[512])
{
	memset(out, 0, 512);
	put_le32(out + FAT_FSI_LEADSIG, 0x41615252);
	put_le32(out + FAT_FSI_STRUCSIG, 0x61417272);
	put_le32(out + FAT_FSI_FREE_COUNT, free_count);
	put_le32(out + FAT_FSI_NXT_FREE, next_free);
	put_le32(out + FAT_FSI_TRAILSIG, 0xAA550000);
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (the
 * classic era/day-of-era decomposition). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

#define FAT_TIME_MIN 315532800LL   /* 1980-01-01 00:00:00 UTC */
#define FAT_TIME_MAX 4354819198LL  /* 2107-12-31 23:59:58 UTC */

void fat_time_encode(int64_t t, uint16_t *ret_date, uint16_t *ret_time, uint8_t *ret_tenth,
		     bool *ret_clamped)
{
	int64_t y;
	unsigned m, d;
	bool clamped = false;

	if (t < FAT_TIME_MIN) {
		t = FAT_TIME_MIN;
		clamped = true;
	} else if (t > FAT_TIME_MAX + 1) {
		t = FAT_TIME_MAX + 1;
		clamped = true;
	}
	int64_t days = t / 86400, secs = t % 86400;
	civil_from_days(days, &y, &m, &d);
	*ret_date = (uint16_t)(((y - 1980) << 9) | (m << 5) | d);
	*ret_time = (uint16_t)((secs / 3600) << 11 | ((secs / 60) % 60) << 5 | (secs % 60) / 2);
	/* The creation time's tenth field (0..199, in 10 ms) keeps odd seconds. */
	*ret_tenth = (uint8_t)((secs % 2) * 100);
	if (ret_clamped)
		*ret_clamped = clamped;
}

int64_t fat_time_decode(uint16_t date, uint16_t time, uint8_t tenth)
{
	int64_t days = days_from_civil(1980 + (date >> 9), (date >> 5) & 15, date & 31);

	return days * 86400 + (time >> 11) * 3600 + ((time >> 5) & 63) * 60 + (time & 31) * 2 +
	       tenth / 100;
}

void fat_dirent_encode(const struct fat_dirent *e, uint8_t out[32])
{
	memset(out, 0, 32);
	memcpy(out + FAT_DIR_NAME, e->name, 11);
	out[FAT_DIR_ATTR] = e->attr;
	out[FAT_DIR_NTRES] = e->ntres;
	out[FAT_DIR_CRTTIMETENTH] = e->tenth;
	put_le16(out + FAT_DIR_CRTTIME, e->time);
	put_le16(out + FAT_DIR_CRTDATE, e->date);
	put_le16(out + FAT_DIR_LSTACCDATE, e->date);
	put_le16(out + FAT_DIR_FSTCLUSHI, (uint16_t)(e->first_cluster >> 16));
	put_le16(out + FAT_DIR_WRTTIME, e->time);
	put_le16(out + FAT_DIR_WRTDATE, e->date);
	put_le16(out + FAT_DIR_FSTCLUSLO, (uint16_t)e->first_cluster);
	put_le32(out + FAT_DIR_FILESIZE, e->size);
}

void fat_dirent_decode(const uint8_t in[32], struct fat_dirent *ret)
{
	memcpy(ret->name, in + FAT_DIR_NAME, 11);
	ret->attr = in[FAT_DIR_ATTR];
	ret->ntres = in[FAT_DIR_NTRES];
	ret->tenth = in[FAT_DIR_CRTTIMETENTH];
	ret->time = get_le16(in + FAT_DIR_WRTTIME);
	ret->date = get_le16(in + FAT_DIR_WRTDATE);
	ret->first_cluster = (uint32_t)get_le16(in + FAT_DIR_FSTCLUSHI) << 16 |
			     get_le16(in + FAT_DIR_FSTCLUSLO);
	ret->size = get_le32(in + FAT_DIR_FILESIZE);
}

uint8_t fat_lfn_checksum(const uint8_t name[11])
{
	uint8_t sum = 0;

	for (unsigned i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name[i]);
	return sum;
}

unsigned fat_lfn_count(unsigned len)
{
	return (len + FAT_LFN_CHARS - 1) / FAT_LFN_CHARS;
}

void fat_lfn_encode(const uint16_t *name, unsigned len, uint8_t checksum, uint8_t *out)
{
	static const uint8_t pos[FAT_LFN_CHARS] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };
	unsigned n = fat_lfn_count(len);

	for (unsigned k = 0; k < n; k++) {
		unsigned ord = n - k; /* on disk: last part first */
		uint8_t *e = out + (size_t)k * 32;
		memset(e, 0, 32);
		e[FAT_LDIR_ORD] = (uint8_t)(ord | (k == 0 ? FAT_LFN_LAST : 0));
		e[FAT_LDIR_ATTR] = FAT_ATTR_LONG_NAME;
		e[FAT_LDIR_CHKSUM] = checksum;
		for (unsigned i = 0; i < FAT_LFN_CHARS; i++) {
			unsigned c = (ord - 1) * FAT_LFN_CHARS + i;
			/* After the name: one 0x0000 terminator, then 0xFFFF padding. */
			uint16_t u = c < len ? name[c] : c == len ? 0x0000 : 0xFFFF;
			put_le16(e + pos[i], u);
		}
	}
}
