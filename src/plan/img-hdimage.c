/* SPDX-License-Identifier: MIT */
/*
 * `hdimage`: a partitioned disk (MBR, GPT, hybrid, or no table) made of
 * other images. This file is the planner: it reads the options and fixes
 * every offset, size, type and id, following genimage's placement rules
 * (docs/config/hdimage.md); hd-write.c writes the result.
 *
 * The layout walk mirrors genimage: partitions in config order, an
 * [Extended] container inserted before the first logical partition, then
 * the table areas ([MBR], [GPT header], [GPT array], [GPT backup]) checked
 * for overlaps against everything before them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "base/checked.h"
#include "base/diag.h"
#include "config/cfgutil.h"
#include "part/gpt.h"
#include "part/mbr.h"
#include "plan/build.h"
#include "plan/gpt-types.h"
#include "plan/hdimage.h"
#include "plan/image-key.h"
#include "plan/image.h"

#define MIB (1024u * 1024u)
#define SECTOR 512u
#define MAX_SPANS (256 + 8)

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

/* ---- layout ---- */

/* An occupied byte range, for overlap checks: a partition (pi >= 0) or a
 * table area. */
struct span {
	const char *name;
	int pi;		    /* index in img->parts, or -1 */
	uint64_t off, size; /* table areas only */
};

struct layout {
	struct image *img;
	struct hd_priv *hd;
	struct span spans[MAX_SPANS];
	unsigned nspans;
	struct diag *d;
	struct gi_random *gr; /* genimage mode with a randomseed: its ids */
	cfg_t *shortcuts;     /* config { gpt-shortcuts { } }, NULL: none */
};

/* A partition-type-uuid shortcut: the config's first (as genimage), then
 * the built-in table; case-insensitive. */
static const char *type_lookup(const struct layout *l, const char *name)
{
	for (unsigned i = 0; l->shortcuts && i < cfg_num(l->shortcuts); i++) {
		cfg_opt_t *o = cfg_getnopt(l->shortcuts, i);
		if (o && o->type == CFGT_STR && !strcasecmp(cfg_opt_name(o), name))
			return cfg_opt_getnstr(o, 0);
	}
	return gpt_type_lookup(name);
}

static uint64_t span_off(const struct layout *l, const struct span *s)
{
	return s->pi >= 0 ? l->img->parts[s->pi].offset : s->off;
}

static uint64_t span_size(const struct layout *l, const struct span *s)
{
	return s->pi >= 0 ? l->img->parts[s->pi].size : s->size;
}

/* Does partition @q leave [start, end) (relative to q) free? True when a
 * hole of its image (genimage `holes`, shifted by imageoffset) or of the
 * partition itself covers it. */
static bool hole_covers(const struct partition *q, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < q->nholes; i++)
		if (q->holes[i].start <= start && end <= q->holes[i].end)
			return true;
	if (!q->child)
		return false;
	for (unsigned i = 0; i < q->child->nholes; i++) {
		const struct hole *h = &q->child->holes[i];
		if (h->end <= q->imageoffset)
			continue;
		uint64_t hs = h->start > q->imageoffset ? h->start - q->imageoffset : 0;
		if (hs <= start && end <= h->end - q->imageoffset)
			return true;
	}
	return false;
}

static void range_str(char *buf, size_t n, uint64_t off, uint64_t size)
{
	snprintf(buf, n, "[0x%" PRIx64 ", 0x%" PRIx64 ")", off, off + size);
}

/* Check @s against every span before it (genimage's rule: a later area may
 * cover a hole of an earlier partition's image), then append it. */
static int span_add(struct layout *l, struct span s)
{
	uint64_t po = span_off(l, &s), ps = span_size(l, &s);

	for (unsigned i = 0; i < l->nspans; i++) {
		const struct span *q = &l->spans[i];
		uint64_t qo = span_off(l, q), qs = span_size(l, q);
		char a[64], b[64];

		if (po >= qo + qs || qo >= po + ps)
			continue;
		uint64_t start = po > qo ? po : qo;
		uint64_t end = po + ps < qo + qs ? po + ps : qo + qs;
		if (q->pi >= 0 && hole_covers(&l->img->parts[q->pi], start - qo, end - qo))
			continue;
		range_str(a, sizeof(a), po, ps);
		range_str(b, sizeof(b), qo, qs);
		if (q->pi >= 0 && !l->img->parts[q->pi].in_partition_table && s.pi < 0)
			return diag_fail(
				l->d, -EINVAL,
				"%s %s overlaps partition '%s' %s; a raw blob that overlaps "
				"the partition table must declare that range as a hole "
				"(holes = {\"(START;END)\"})",
				s.name, a, q->name, b);
		return diag_fail(l->d, -EINVAL, "%s%s%s %s overlaps %s%s%s %s",
				 s.pi >= 0 ? "partition '" : "", s.name, s.pi >= 0 ? "'" : "", a,
				 q->pi >= 0 ? "partition '" : "", q->name, q->pi >= 0 ? "'" : "",
				 b);
	}
	if (l->nspans == MAX_SPANS)
		return diag_fail(l->d, -E2BIG, "too many partitions");
	l->spans[l->nspans++] = s;
	return 0;
}

static int part_fail(struct layout *l, const struct partition *p, int err, const char *fmt,
		     const char *detail)
{
	return diag_fail(l->d, err, "%s:%u: partition '%s': %s%s",
			 p->file ? p->file : l->hd->cfgfile ? l->hd->cfgfile : "?", p->line, p->name, fmt,
			 detail ? detail : "");
}

/* Insert the synthetic [Extended] container before parts[at]. */
static int insert_extended(struct image *img, unsigned at, uint64_t align, struct diag *d)
{
	struct partition *np = realloc(img->parts, (img->nparts + 1) * sizeof(*np));

	if (!np)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->parts = np;
	memmove(&np[at + 1], &np[at], (img->nparts - at) * sizeof(*np));
	img->nparts++;
	memset(&np[at], 0, sizeof(*np));
	np[at].name = strdup("[Extended]");
	if (!np[at].name)
		return diag_fail(d, -ENOMEM, "out of memory");
	np[at].line = np[at + 1].line;
	np[at].file = np[at + 1].file;
	np[at].is_extended = true;
	np[at].in_partition_table = true;
	np[at].mbr_type = MBR_TYPE_EXTENDED_LBA;
	np[at].mbr_type_set = true;
	np[at].align = align;
	/* genimage: the container starts one `align` before the first
	 * logical partition when that has a fixed offset. */
	if (np[at + 1].offset_set && np[at + 1].offset >= align) {
		np[at].offset = np[at + 1].offset - align;
		np[at].offset_set = np[at].offset != 0;
	}
	return 0;
}

/* MBR: decide which partitions are logical (genimage's rules). */
static int setup_logical(struct layout *l)
{
	struct image *img = l->img;
	struct hd_priv *hd = l->hd;
	unsigned count = 0, entries = 0, idx = hd->ext_index;
	bool in_ext = false, found = false;
	int r;

	if (hd->table != HD_TABLE_MBR)
		return 0;
	if (!idx) {
		for (unsigned i = 0; i < img->nparts; i++)
			if (img->parts[i].in_partition_table && ++count > 4) {
				idx = 4;
				break;
			}
	}
	if (!idx)
		return 0;
	count = 0;
	for (unsigned i = 0; i < img->nparts; i++) {
		struct partition *p = &img->parts[i];

		if (!p->in_partition_table)
			continue;
		if (++count == idx && !found) {
			if ((r = insert_extended(img, i, hd->align, l->d)))
				return r;
			hd->ext = (int)i;
			i++;
			p = &img->parts[i];
			in_ext = found = true;
			entries++;
		}
		if (p->forced_primary)
			in_ext = false;
		if (in_ext)
			p->logical = true;
		else
			entries++;
		if (p->forced_primary && !found)
			return part_fail(
				l, p, -EINVAL,
				"forced-primary can only be used for partitions after the extended partition",
				NULL);
		if (!p->forced_primary && !in_ext && found)
			return part_fail(l, p, -EINVAL,
					 "cannot be a logical partition after a forced-primary one",
					 NULL);
		if (entries > 4) {
			char why[96];
			snprintf(why, sizeof(why), " (%u needed, an MBR holds 4)", entries);
			return part_fail(l, p, -EINVAL, "too many primary partitions", why);
		}
	}
	return 0;
}

static int setup_type(struct layout *l, struct partition *p, uint32_t gpt_index)
{
	struct hd_priv *hd = l->hd;
	const char *t = p->type_uuid_str;

	if (t && !(hd->table & HD_TABLE_GPT))
		return part_fail(
			l, p, -EINVAL,
			"'partition-type-uuid' is only valid for gpt and hybrid partition-table-type",
			NULL);
	if (p->mbr_type_set && !p->is_extended && !(hd->table & HD_TABLE_MBR))
		return part_fail(
			l, p, -EINVAL,
			"'partition-type' is only valid for mbr and hybrid partition-table-type",
			NULL);
	if ((hd->table & HD_TABLE_GPT) && p->in_partition_table) {
		const char *u = t ? t : "L";
		if (uuid_parse(u, &p->type_uuid)) {
			const char *s = type_lookup(l, u);
			if (!s || uuid_parse(s, &p->type_uuid)) {
				char why[160];
				snprintf(
					why, sizeof(why),
					" \"%s\" (expected a UUID or a shortcut such as L, U, esp, root-arm64)",
					u);
				return part_fail(l, p, -EINVAL, "unknown partition-type-uuid", why);
			}
		}
		if (!p->uuid_set && l->gr)
			gi_random_uuid(l->gr, &p->uuid);
		else if (!p->uuid_set)
			uuid_derive(&l->img->seed, "gpt-partition-guid", gpt_index, &p->uuid);
		uint16_t name[GPT_NAME_LEN];
		if (!hd->genimage && gpt_name_from_utf8(p->name, name))
			return part_fail(
				l, p, -EINVAL,
				"name does not fit a GPT entry (at most 36 UTF-16 characters of valid UTF-8)",
				NULL);
	}
	/* kiln: an MBR entry without partition-type is Linux (0x83); genimage
	 * writes type 0, which most tools read as an empty slot. */
	if (hd->table == HD_TABLE_MBR && p->in_partition_table && !p->mbr_type_set &&
	    !hd->genimage) {
		p->mbr_type = 0x83;
		p->mbr_type_set = true;
	}
	return 0;
}

static int setup_size(struct layout *l, struct partition *p, bool *resized)
{
	struct image *img = l->img;
	struct hd_priv *hd = l->hd;
	char why[160];

	if (p->size_set && p->size_spec.percent_set) {
		if (!img->size_set)
			return part_fail(l, p, -EINVAL,
					 "a size in % needs the image size to be set", NULL);
		p->size = img->size / 100 * p->size_spec.percent +
			  img->size % 100 * p->size_spec.percent / 100;
		if (p->in_partition_table)
			p->size -= p->size % SECTOR;
	}
	if (p->autoresize) {
		uint64_t end = img->size, sz;

		if (*resized)
			return part_fail(l, p, -EINVAL,
					 "'autoresize' is only supported for one partition", NULL);
		if (!img->size_set)
			return part_fail(l, p, -EINVAL,
					 "'autoresize' needs the image size to be set", NULL);
		if (hd->table & HD_TABLE_GPT)
			end = end >= GPT_BACKUP_SECTORS * SECTOR ? end - GPT_BACKUP_SECTORS * SECTOR
								 : 0;
		if (end <= p->offset)
			return part_fail(l, p, -EINVAL, "partitions exceed device size", NULL);
		sz = end - p->offset;
		sz -= sz % (p->align ? p->align : 1);
		if (!sz)
			return part_fail(l, p, -EINVAL, "partitions exceed device size", NULL);
		if (sz < p->size) {
			snprintf(why, sizeof(why),
				 " (%" PRIu64 " bytes, less than size %" PRIu64 ")", sz, p->size);
			return part_fail(l, p, -EINVAL, "autoresize leaves too little room", why);
		}
		p->size = sz;
		*resized = true;
	}
	if (p->child) {
		uint64_t csz = p->child->size;
		if (p->imageoffset > csz) {
			snprintf(why, sizeof(why),
				 " (%" PRIu64 ") is past the end of image '%s' (%" PRIu64 " bytes)",
				 p->imageoffset, p->child->name, csz);
			return part_fail(l, p, -EINVAL, "imageoffset", why);
		}
		csz -= p->imageoffset;
		if (!p->size) {
			if (p->in_partition_table)
				u64_roundup(csz, p->align, &p->size);
			else
				p->size = csz;
		}
		if (csz > p->size) {
			snprintf(why, sizeof(why),
				 " (%" PRIu64 " bytes) is smaller than its image '%s' (%" PRIu64
				 " bytes)",
				 p->size, p->child->name, csz);
			return part_fail(l, p, -EFBIG, "size", why);
		}
	}
	if (!p->size && !p->is_extended)
		return part_fail(l, p, -EINVAL, "size must not be zero (give size or image)", NULL);
	if (p->in_partition_table && p->size % SECTOR) {
		snprintf(why, sizeof(why), " (%" PRIu64 ") must be a multiple of 512 bytes",
			 p->size);
		return part_fail(l, p, -EINVAL, "size", why);
	}
	return 0;
}

static int hd_setup(struct build *b, struct image *img, struct diag *d)
{
	struct hd_priv *hd = img->priv;
	struct layout *l;
	uint64_t now = 0, def_align, smallest = UINT64_MAX, fue = 0, file_size = 0;
	unsigned hybrid = 0, mbr_num = 0, gpt_num = 0, logical_num = 4;
	bool resized = false;
	char why[160];
	int r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return diag_fail(d, -ENOMEM, "out of memory");
	l->img = img;
	l->hd = hd;
	l->d = d;
	l->gr = hd->genimage && b->gi_random_on ? &b->gi_random : NULL;
	cfg_t *cs = b->cfg ? cfg_getsec(b->cfg, "config") : NULL;
	l->shortcuts = cs ? cfg_getsec(cs, "gpt-shortcuts") : NULL;

	if (!hd->align_set)
		hd->align = hd->table == HD_TABLE_NONE ? 1 : SECTOR;
	if (hd->table != HD_TABLE_NONE && hd->align % SECTOR) {
		r = diag_fail(d, -EINVAL, "align = %" PRIu64 ": must be a multiple of 512 bytes",
			      hd->align);
		goto out;
	}
	/* kiln: partitions without an offset start on 1 MiB boundaries unless
	 * the image sets `align`; genimage uses the image's align. */
	def_align = hd->align;
	if (!hd->genimage && img->size_set)
		u64_roundup(img->size, SECTOR, &img->size);
	if (!hd->genimage && !hd->align_set)
		def_align = MIB;

	if ((r = setup_logical(l)))
		goto out;
	/* genimage draws the disk UUID even for an MBR table, then the
	 * signature, then the partitions' UUIDs: the same order here. */
	if (!hd->disk_uuid_set && l->gr)
		gi_random_uuid(l->gr, &hd->disk_uuid);
	else if (!hd->disk_uuid_set)
		uuid_derive(&img->seed, "gpt-disk-guid", 0, &hd->disk_uuid);
	if (l->gr && hd->disksig_str && !strcmp(hd->disksig_str, "random"))
		hd->disksig = gi_random_next(l->gr);
	if (!hd->disksig_str && !hd->genimage && (hd->table & HD_TABLE_MBR))
		id_derive(&img->seed, "mbr-disk-signature", 0, &hd->disksig, sizeof(hd->disksig));

	if (hd->table != HD_TABLE_NONE) {
		now = SECTOR;
		if (hd->table & HD_TABLE_GPT)
			now = hd->gpt_location + GPT_ARRAY_SIZE;
	}

	for (unsigned i = 0; i < img->nparts; i++) {
		struct partition *p = &img->parts[i];

		if (hd->table == HD_TABLE_NONE)
			p->in_partition_table = false;
		bool defaulted = !p->align;
		if (!p->align)
			p->align = (p->in_partition_table || hd->table == HD_TABLE_NONE) ? def_align
											 : 1;
		if (p->in_partition_table && p->align % hd->align) {
			snprintf(why, sizeof(why),
				 " (%" PRIu64 ") must be a multiple of the image's align (%" PRIu64
				 ")",
				 p->align, hd->align);
			r = part_fail(l, p, -EINVAL, "align", why);
			goto out;
		}
		if (p->in_partition_table) {
			if (p->logical)
				p->index = ++logical_num;
			else if (hd->table == HD_TABLE_MBR)
				p->index = ++mbr_num;
			else
				p->index = ++gpt_num;
		}
		if (gpt_num > GPT_NENTRIES) {
			/* Said here, in the plan: the writer could only fail. */
			snprintf(why, sizeof(why), " (partition %u; the table has %u entries)", gpt_num,
				 GPT_NENTRIES);
			r = part_fail(l, p, -E2BIG, "too many partitions for a GPT", why);
			goto out;
		}
		if ((r = setup_type(l, p, p->index)))
			goto out;
		if ((hd->table & HD_TABLE_GPT) && p->in_partition_table && p->mbr_type_set &&
		    p->mbr_type)
			hybrid++;
		if (p->logical) {
			/* room for the EBR in front of the partition */
			now += hd->align;
			u64_roundup(now, p->align, &now);
		}
		if ((!p->offset_set || !p->offset) &&
		    (p->in_partition_table || hd->table == HD_TABLE_NONE)) {
			if ((r = u64_roundup(now, p->align, &p->offset))) {
				r = part_fail(l, p, r, "offset overflows", NULL);
				goto out;
			}
		}
		/* kiln's 1 MiB default places partitions; an explicit offset
		 * only has to respect the image's align. */
		uint64_t need =
			defaulted && def_align != hd->align && p->offset_set ? hd->align : p->align;
		if (p->offset % need) {
			snprintf(why, sizeof(why),
				 " (%" PRIu64 ") must be a multiple of %" PRIu64 " bytes",
				 p->offset, need);
			r = part_fail(l, p, -EINVAL, "offset", why);
			goto out;
		}
		if ((r = setup_size(l, p, &resized)))
			goto out;
		if (p->offset + p->size < p->offset) {
			r = part_fail(l, p, -EOVERFLOW, "offset + size overflows", NULL);
			goto out;
		}
		if (!p->logical) {
			if ((r = span_add(l, (struct span){ p->name, (int)i, 0, 0 })))
				goto out;
		} else {
			if (now > p->offset) {
				snprintf(
					why, sizeof(why),
					" [0x%" PRIx64
					", ...) overlaps the previous partition or its EBR (which ends at 0x%" PRIx64
					")",
					p->offset, now);
				r = part_fail(l, p, -EINVAL, "logical partition", why);
				goto out;
			}
			if ((r = span_add(l, (struct span){ p->name, (int)i, 0, 0 })))
				goto out;
		}
		if (p->offset + p->size > now)
			now = p->offset + p->size;
		if (p->logical) {
			struct partition *e = &img->parts[hd->ext];
			/* The first EBR must be the container's first sector;
			 * with kiln's 1 MiB alignment the container starts just
			 * before the first logical partition's EBR. */
			if (!e->size && !e->offset_set && p->offset - hd->align > e->offset)
				e->offset = p->offset - hd->align;
			e->size = now - e->offset;
		}
		if (p->in_partition_table && !p->is_extended && p->offset < smallest)
			smallest = p->offset;
		if (p->child) {
			p->child->placed_offset = p->offset;
			p->child->placed = true;
			uint64_t csz = p->child->size - p->imageoffset;
			uint64_t e = p->offset + (p->fill ? p->size : csz);
			if ((csz || p->fill) && e > file_size)
				file_size = e;
		}
		if (p->logical && p->offset - hd->align + SECTOR > file_size)
			file_size = p->offset - hd->align + SECTOR;
	}

	/* The table areas, checked against every partition. */
	if (hd->table != HD_TABLE_NONE) {
		if ((r = span_add(l, (struct span){ "[MBR]", -1, MBR_TAIL_OFFSET, MBR_TAIL_SIZE })))
			goto out;
		if (file_size < SECTOR)
			file_size = SECTOR;
	}
	if (hd->table & HD_TABLE_GPT) {
		uint64_t bsize = GPT_BACKUP_SECTORS * SECTOR, boff;

		if ((r = span_add(l, (struct span){ "[GPT header]", -1, SECTOR, SECTOR })))
			goto out;
		if ((r = span_add(l, (struct span){ "[GPT array]", -1, hd->gpt_location,
						    GPT_ARRAY_SIZE })))
			goto out;
		if (now < hd->gpt_location + GPT_ARRAY_SIZE)
			now = hd->gpt_location + GPT_ARRAY_SIZE;
		if (img->size_set) {
			if (img->size < bsize + 2 * SECTOR) {
				r = diag_fail(d, -EINVAL, "size %" PRIu64 " is too small for a GPT",
					      img->size);
				goto out;
			}
			boff = img->size - bsize;
			boff -= boff % SECTOR;
		} else {
			/* genimage: the backup, hence the disk, ends on 4 KiB */
			if (u64_roundup(now + bsize, 4096, &boff)) {
				r = diag_fail(d, -EOVERFLOW, "disk size overflows");
				goto out;
			}
			boff -= bsize;
		}
		hd->backup_offset = boff;
		if ((r = span_add(l, (struct span){ "[GPT backup]", -1, boff, bsize })))
			goto out;
		if (boff + bsize > now)
			now = boff + bsize;
		if (file_size < hd->gpt_location + GPT_ARRAY_SIZE)
			file_size = hd->gpt_location + GPT_ARRAY_SIZE;
	}
	if (hybrid > 3) {
		r = diag_fail(
			d, -EINVAL,
			"hybrid MBR: %u partitions have a partition-type, at most 3 fit beside the 0xee entry",
			hybrid);
		goto out;
	}
	if (hd->table == HD_TABLE_HYBRID && !hybrid) {
		r = diag_fail(
			d, -EINVAL,
			"partition-table-type = hybrid, but no partition has a partition-type");
		goto out;
	}
	if (img->size_set && now > img->size) {
		/* Name the partition that sticks out. */
		for (unsigned i = 0; i < img->nparts; i++) {
			const struct partition *p = &img->parts[i];
			if (p->offset + p->size > img->size && !p->is_extended) {
				char rb[64];
				range_str(rb, sizeof(rb), p->offset, p->size);
				snprintf(why, sizeof(why),
					 "%s ends past the end of the disk (size %" PRIu64
					 " = 0x%" PRIx64 ")",
					 rb, img->size, img->size);
				r = part_fail(l, p, -ENOSPC, "", why);
				goto out;
			}
		}
		r = diag_fail(d, -ENOSPC, "partitions exceed the disk size %" PRIu64, img->size);
		goto out;
	}
	if (!img->size_set)
		img->size = now;
	if (!hd->genimage) {
		/* kiln: the output is the whole disk in whole sectors. */
		u64_roundup(img->size, SECTOR, &img->size);
		img->file_size = 0;
	} else {
		if (hd->fill || ((hd->table & HD_TABLE_GPT) && !hd->gpt_no_backup))
			file_size = img->size;
		/* genimage ends the file after the last data written. */
		img->file_size = file_size < img->size ? file_size : 0;
	}

	if (hd->table & HD_TABLE_GPT) {
		/* First usable LBA (genimage >= 19): just after the last
		 * non-partition data (table, raw blob) in front of the first
		 * partition. */
		for (unsigned i = 0; i < l->nspans; i++) {
			const struct span *s = &l->spans[i];
			uint64_t o = span_off(l, s), e = o + span_size(l, s);
			if (s->pi >= 0 && img->parts[s->pi].in_partition_table)
				continue;
			if (s->pi < 0 && o == hd->backup_offset && !strcmp(s->name, "[GPT backup]"))
				continue;
			if (e <= smallest && e > fue)
				fue = e;
		}
		hd->first_usable_lba = u64_div_roundup(fue, SECTOR);
		hd->last_usable_lba = img->size / SECTOR - 1 - GPT_BACKUP_SECTORS;
	}
	if (hd->table & HD_TABLE_MBR) {
		for (unsigned i = 0; i < img->nparts; i++) {
			const struct partition *p = &img->parts[i];
			if (!p->in_partition_table || p->logical ||
			    (hd->table == HD_TABLE_HYBRID && !(p->mbr_type_set && p->mbr_type)))
				continue; /* logical ones are checked through their container */
			if ((p->offset + p->size) / SECTOR > 0xffffffffull) {
				r = part_fail(l, p, -EFBIG,
					      "ends beyond 2 TiB, which an MBR cannot address",
					      NULL);
				goto out;
			}
		}
	}
	r = 0;
out:
	free(l);
	return r;
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
