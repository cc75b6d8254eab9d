/* SPDX-License-Identifier: MIT */
/*
 * `hdimage`: a partitioned disk (MBR, GPT, hybrid, or no table) made of
 * other images. This file reads its options; hd-layout.c places the
 * partitions and tables (every offset, size, type and id), hd-write.c
 * writes the result.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/diag.h"
#include "config/cfgutil.h"
#include "part/gpt.h"
#include "part/mbr.h"
#include "plan/build.h"
#include "plan/hdimage.h"
#include "plan/image-key.h"
#include "plan/image.h"

#define SECTOR 512u

static cfg_opt_t hdimage_opts[] = { CFG_STR("align", NULL, CFGF_NONE),
				    CFG_STR("disk-signature", NULL, CFGF_NONE),
				    CFG_STR("disk-uuid", NULL, CFGF_NONE),
				    CFG_BOOL("partition-table", cfg_false, CFGF_NODEFAULT),
				    CFG_INT("extended-partition", 0, CFGF_NONE),
				    CFG_STR("partition-table-type", "mbr", CFGF_NONE),
				    CFG_BOOL("gpt", cfg_false, CFGF_NODEFAULT),
				    CFG_STR("gpt-location", NULL, CFGF_NONE),
				    CFG_BOOL("gpt-no-backup", cfg_false, CFGF_NONE),
				    CFG_BOOL("fill", cfg_false, CFGF_NONE),
				    CFG_END() };

static const char *const table_names[] = {
	[HD_TABLE_NONE] = "none",
	[HD_TABLE_MBR] = "mbr",
	[HD_TABLE_GPT] = "gpt",
	[HD_TABLE_HYBRID] = "hybrid",
};

static int hd_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct hd_priv *hd = calloc(1, sizeof(*hd));
	unsigned sflags = b->genimage_mode ? SIZE_ALLOW_SLOPPY_B : 0;
	const char *tt = cfg_getstr(sec, "partition-table-type");
	long ext = cfg_getint(sec, "extended-partition");
	const char *s;
	bool set;
	int r;

	if (!hd)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = hd;
	hd->ext = -1;
	hd->genimage = b->genimage_mode;
	hd->cfgfile = img->cfgfile;
	hd->line = img->line;
	if (!strcmp(tt, "none"))
		hd->table = HD_TABLE_NONE;
	else if (!strcmp(tt, "mbr") || !strcmp(tt, "dos"))
		hd->table = HD_TABLE_MBR;
	else if (!strcmp(tt, "gpt"))
		hd->table = HD_TABLE_GPT;
	else if (!strcmp(tt, "hybrid"))
		hd->table = HD_TABLE_HYBRID;
	else
		return cfg_fail(sec, "partition-table-type", tt, -EINVAL, d,
				"expected none, mbr, dos, gpt or hybrid");
	/* Deprecated booleans win over partition-table-type, as in genimage. */
	if (cfg_size(sec, "partition-table")) {
		hd->table = cfg_getbool(sec, "partition-table") ? HD_TABLE_MBR : HD_TABLE_NONE;
		diag_warn(d, "%s:%d: 'partition-table' is deprecated, use 'partition-table-type'",
			  sec->filename ? sec->filename : "?", sec->line);
	}
	if (cfg_size(sec, "gpt")) {
		hd->table = cfg_getbool(sec, "gpt") ? HD_TABLE_GPT : HD_TABLE_MBR;
		diag_warn(d, "%s:%d: 'gpt' is deprecated, use 'partition-table-type'",
			  sec->filename ? sec->filename : "?", sec->line);
	}
	if ((r = cfg_get_bytes(sec, "align", sflags, &hd->align, &hd->align_set, d)))
		return r;
	if (hd->align_set && !hd->align)
		hd->align_set = false; /* genimage: 0 means the default */
	if (ext < 0 || ext > 4)
		return cfg_fail(sec, "extended-partition", NULL, -EINVAL, d,
				"%ld: must be 1..4, or 0 for automatic", ext);
	hd->ext_index = (unsigned)ext;
	if ((r = cfg_get_bytes(sec, "gpt-location", sflags, &hd->gpt_location, &set, d)))
		return r;
	if (!hd->gpt_location)
		hd->gpt_location = 2 * SECTOR;
	else if (hd->gpt_location % SECTOR)
		return cfg_fail(sec, "gpt-location", cfg_getstr(sec, "gpt-location"), -EINVAL, d,
				"must be a multiple of 512 bytes");
	hd->gpt_no_backup = cfg_getbool(sec, "gpt-no-backup");
	hd->fill = cfg_getbool(sec, "fill");

	s = cfg_getstr(sec, "disk-uuid");
	if (s) {
		if (!(hd->table & HD_TABLE_GPT))
			return cfg_fail(sec, "disk-uuid", s, -EINVAL, d,
					"only valid for gpt and hybrid partition-table-type");
		if (uuid_parse(s, &hd->disk_uuid))
			return cfg_fail(sec, "disk-uuid", s, -EINVAL, d, "not a UUID");
		hd->disk_uuid_set = true;
	}
	s = cfg_getstr(sec, "disk-signature");
	if (s && !strcmp(s, "random")) {
		/* Asked for explicitly: the only non-reproducible id. */
		if (getrandom(&hd->disksig, sizeof(hd->disksig), 0) != sizeof(hd->disksig))
			return cfg_fail(sec, "disk-signature", s, -EIO, d, "getrandom failed");
		hd->disksig_str = strdup(s);
	} else if (s) {
		char *end;
		unsigned long long v;

		if (!(hd->table & HD_TABLE_MBR))
			return cfg_fail(sec, "disk-signature", s, -EINVAL, d,
					"only valid for mbr and hybrid partition-table-type");
		errno = 0;
		v = strtoull(s, &end, 0);
		if (!*s || *end || errno || v > 0xffffffffull || s[0] == '-')
			return cfg_fail(
				sec, "disk-signature", s, -EINVAL, d,
				"expected a 32-bit number (decimal or 0x hex) or \"random\"");
		hd->disksig = (uint32_t)v;
		hd->disksig_str = strdup(s);
	}
	if (s && !hd->disksig_str)
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

static void hd_describe(const struct image *img, void (*line)(void *ud, const char *text), void *ud)
{
	const struct hd_priv *hd = img->priv;
	char buf[256], u[37];

	if (!hd)
		return;
	snprintf(buf, sizeof(buf), "partition table: %s%s", table_names[hd->table],
		 hd->genimage ? " (genimage layout)" : "");
	line(ud, buf);
	if (hd->table & HD_TABLE_MBR) {
		snprintf(buf, sizeof(buf), "MBR disk signature: 0x%08" PRIx32 "%s", hd->disksig,
			 hd->disksig_str && !strcmp(hd->disksig_str, "random") ? " (random)" : "");
		line(ud, buf);
	}
	if (hd->table & HD_TABLE_GPT) {
		uuid_format(&hd->disk_uuid, u);
		snprintf(buf, sizeof(buf), "GPT disk GUID: %s", u);
		line(ud, buf);
		snprintf(buf, sizeof(buf),
			 "GPT usable LBAs: %" PRIu64 "..%" PRIu64 ", entries at LBA %" PRIu64 "%s",
			 hd->first_usable_lba, hd->last_usable_lba, hd->gpt_location / SECTOR,
			 hd->gpt_no_backup ? ", no backup" : "");
		line(ud, buf);
		if (!hd->gpt_no_backup) {
			snprintf(buf, sizeof(buf),
				 "GPT backup: entries at LBA %" PRIu64 ", header at LBA %" PRIu64,
				 hd->backup_offset / SECTOR, img->size / SECTOR - 1);
			line(ud, buf);
		}
	}
	if (img->file_size) {
		snprintf(buf, sizeof(buf),
			 "output file: %" PRIu64 " bytes (genimage ends it after the last data)",
			 img->file_size);
		line(ud, buf);
	}
}

static void hd_release(struct image *img)
{
	struct hd_priv *hd = img->priv;

	if (hd)
		free(hd->disksig_str);
	free(hd);
	img->priv = NULL;
}

const struct image_handler hdimage_handler = {
	.type = "hdimage",
	.opts = hdimage_opts,
	.parse = hd_parse,
	.setup = hd_setup,
	.generate = hd_generate,
	.describe = hd_describe,
	.release = hd_release,
	.key = image_key_none, /* its config, layout and children say it all */
	.is_disk = true,
};
