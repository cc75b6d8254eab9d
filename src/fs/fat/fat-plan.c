/* SPDX-License-Identifier: MIT */
/*
 * FAT planning, part two: size the volume (the smallest that fits, or
 * check the requested size) and allocate clusters: directories first
 * (the FAT32 root at cluster 2), then every file contiguous, in the
 * scan's sorted breadth-first order (docs/formats/fat.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/diag.h"
#include "base/size.h"
#include "fs/fat/fat-names.h"
#include "fs/fat/fat-writer-int.h"
#include "fs/tree.h"

/* ---- sizing ---- */

static uint64_t dir_clusters(uint32_t nentries, uint32_t cb)
{
	uint64_t c = ((uint64_t)nentries * 32 + cb - 1) / cb;
	return c ? c : 1;
}

/* Data clusters the content needs at cluster size @cb (with the root in
 * the data area, as on FAT32, when @root_in_data). */
static uint64_t clusters_needed(const struct fat_plan *p, uint32_t cb, bool root_in_data)
{
	uint64_t c = 0;

	for (uint32_t i = root_in_data ? 0 : 1; i < p->ndirs; i++)
		c += dir_clusters(p->dirs[i].nentries, cb);
	for (uint32_t i = 0; i < p->nobjs; i++)
		if (!p->objs[i].is_dir)
			c += (p->objs[i].size + cb - 1) / cb;
	return c;
}

static bool fits(const struct fat_plan *p, uint64_t size, struct fat_geom *ret)
{
	struct fat_geom_req req = p->o.geom;
	struct fat_geom g;

	req.size = size;
	if (fat_geom_plan(&req, &g, NULL))
		return false;
	if (g.fat_type != 32 && p->root_need > g.root_entries)
		return false;
	if (clusters_needed(p, g.cluster_bytes, g.fat_type == 32) > g.clusters)
		return false;
	if (ret)
		*ret = g;
	return true;
}

/* Smallest size (multiple of 1 KiB) that holds the content; 0 if none. */
static uint64_t search_min_size(const struct fat_plan *p)
{
	uint64_t lo = 0, hi = 64 * 1024;

	while (!fits(p, hi, NULL)) {
		lo = hi;
		hi *= 2;
		if (hi > (1ull << 45))
			return 0;
	}
	while (hi - lo > 1024) {
		uint64_t mid = (lo + (hi - lo) / 2) & ~1023ull;
		if (mid <= lo)
			break;
		if (fits(p, mid, NULL))
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

static void allocate(struct fat_plan *p)
{
	const struct fat_geom *g = &p->g;
	uint32_t next = 2;

	for (uint32_t i = 0; i < p->ndirs; i++) {
		struct fat_dir *dd = &p->dirs[i];
		if (i == 0 && g->fat_type != 32)
			continue; /* FAT12/16 root: the fixed area */
		dd->first = next;
		dd->nclus = (uint32_t)dir_clusters(dd->nentries, g->cluster_bytes);
		next += dd->nclus;
		if (dd->obj != UINT32_MAX) {
			p->objs[dd->obj].first = dd->first;
			p->objs[dd->obj].nclus = dd->nclus;
		}
	}
	for (uint32_t i = 0; i < p->nobjs; i++) {
		struct fat_obj *o = &p->objs[i];
		if (o->is_dir || !o->size)
			continue;
		o->first = next;
		o->nclus = (uint32_t)((o->size + g->cluster_bytes - 1) / g->cluster_bytes);
		next += o->nclus;
	}
	p->next_free = next;
	p->used = next - 2;
}

/* The range of FAT dates: 1980-01-01 00:00:00 .. 2107-12-31 23:59:58. */
#define FAT_FIRST_TIME 315532800LL
#define FAT_LAST_TIME 4354819198LL

/* Entries dated outside the range: the first of each side, and counts. */
struct out_of_range {
	const struct tree_node *early, *late;
	uint64_t nearly, nlate;
};

/* The root has no entry of its own: only its descendants count. */
static void find_out_of_range(const struct tree_node *dir, struct out_of_range *o)
{
	for (uint32_t i = 0; i < dir->nkids; i++) {
		const struct tree_node *n = dir->kids[i];
		if (n->mtime < FAT_FIRST_TIME && !o->nearly++)
			o->early = n;
		if (n->mtime > FAT_LAST_TIME + 1 && !o->nlate++)
			o->late = n;
		find_out_of_range(n, o);
	}
}

/* One warning per side and image: what was clamped, and to what. */
static void warn_clamped(const struct fat_options *o, const struct tree_node *n, uint64_t count,
			 int64_t t, const char *stored, struct diag *d)
{
	char when[64] = "?", *path = n ? tree_path(n) : NULL;
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	char what[300];
	if (n)
		snprintf(what, sizeof(what), "\"/%s\"", path ? path : "?");
	else
		snprintf(what, sizeof(what), "the volume label");
	diag_warn(d, "%s%s%s%s is dated %s (%llu entr%s out of range in all); FAT dates are "
		  "1980-01-01..2107-12-31, so they are stored as %s",
		  o->name ? "image '" : "", o->name ? o->name : "", o->name ? "': " : "", what, when,
		  (unsigned long long)count, count == 1 ? "y" : "ies", stored);
	free(path);
}

int fat_plan_new(struct fat_plan **ret, struct tree *t, const struct fat_options *o,
		 struct diag *d)
{
	struct fat_plan *p = calloc(1, sizeof(*p));
	char hs[32], ns[32];
	const char *why;
	int r;

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	p->tree = t;
	p->o = *o;
	p->o.label = NULL;
	why = fat_label_encode(o->label, p->label);
	if (why) {
		r = diag_fail(d, -EINVAL, "label \"%s\": %s", o->label, why);
		goto fail;
	}
	p->has_label = o->label && *o->label;
	tree_finish(t);
	if ((r = fat_plan_scan(p, d)))
		goto fail;
	if (p->dirs[0].nentries > 0xFFF0) {
		p->root_need = 0xFFF0;
	} else {
		p->root_need = (uint16_t)p->dirs[0].nentries;
	}
	/* A FAT12/16 root larger than the default: grow it rather than fail,
	 * unless the user fixed the count. */
	if (!p->o.geom.root_entries && p->root_need > 512)
		p->o.geom.root_entries = p->root_need > 32768 ? 32768 : (p->root_need + 15u) & ~15u;

	p->min_size = search_min_size(p);
	if (o->geom.size) {
		struct fat_geom_req req = p->o.geom;
		if ((r = fat_geom_plan(&req, &p->g, d)))
			goto fail;
		if (!fits(p, o->geom.size, NULL)) {
			size_format(o->geom.size, hs, sizeof(hs));
			if (p->g.fat_type != 32 && p->root_need > p->g.root_entries) {
				r = diag_fail(d, -ENOSPC, "the root directory needs %u entries but FAT%u at %s has %u (set root entries with extraargs -r, or use FAT32)",
					      p->root_need, p->g.fat_type, hs, p->g.root_entries);
				goto fail;
			}
			uint64_t need = clusters_needed(p, p->g.cluster_bytes, p->g.fat_type == 32);
			if (p->min_size) {
				size_format(p->min_size, ns, sizeof(ns));
				r = diag_fail(d, -ENOSPC, "content does not fit: it needs %llu clusters of %u bytes but a %s FAT%u has %u; the smallest size that fits is %llu bytes (%s)",
					      (unsigned long long)need, p->g.cluster_bytes, hs, p->g.fat_type,
					      p->g.clusters, (unsigned long long)p->min_size, ns);
			} else {
				r = diag_fail(d, -ENOSPC, "content does not fit: it needs %llu clusters of %u bytes but a %s FAT%u has %u, and no size with these options holds it",
					      (unsigned long long)need, p->g.cluster_bytes, hs, p->g.fat_type,
					      p->g.clusters);
			}
			goto fail;
		}
		p->size = o->geom.size;
	} else {
		if (!p->min_size) {
			r = diag_fail(d, -ENOSPC, "no FAT%s with these options can hold the content",
				      o->geom.fat_type == 12 ? "12" : o->geom.fat_type == 16 ? "16" :
				      o->geom.fat_type == 32 ? "32" : "");
			goto fail;
		}
		uint64_t margin = o->margin_bytes ? o->margin_bytes : p->min_size / 100 * o->margin_percent;
		uint64_t sz = (p->min_size + margin + (1u << 20) - 1) & ~(uint64_t)((1u << 20) - 1);
		unsigned tries = 0;
		while (!fits(p, sz, NULL) && tries++ < 256)
			sz += 1u << 20;
		if (!fits(p, sz, &p->g)) {
			r = diag_fail(d, -ENOSPC, "cannot find a volume size that holds the content");
			goto fail;
		}
		p->size = sz;
	}
	if (o->media)
		p->g.media = o->media;
	allocate(p);
	struct out_of_range oor = { 0 };
	find_out_of_range(t->root, &oor);
	if (p->has_label && o->epoch < FAT_FIRST_TIME)
		oor.nearly++;
	if (p->has_label && o->epoch > FAT_LAST_TIME + 1)
		oor.nlate++;
	if (oor.nearly)
		warn_clamped(o, oor.early, oor.nearly, oor.early ? oor.early->mtime : o->epoch,
			     "1980-01-01 00:00:00", d);
	if (oor.nlate)
		warn_clamped(o, oor.late, oor.nlate, oor.late ? oor.late->mtime : o->epoch,
			     "2107-12-31 23:59:58", d);
	*ret = p;
	return 0;
fail:
	fat_plan_free(p);
	return r;
}

uint64_t fat_plan_size(const struct fat_plan *p)
{
	return p->size;
}

const struct fat_geom *fat_plan_geom(const struct fat_plan *p)
{
	return &p->g;
}

uint32_t fat_plan_used_clusters(const struct fat_plan *p)
{
	return p->used;
}

uint64_t fat_plan_min_size(const struct fat_plan *p)
{
	return p->min_size;
}

void fat_plan_set_hidden_sectors(struct fat_plan *p, uint32_t n)
{
	p->o.hidden_sectors = n;
}

void fat_plan_free(struct fat_plan *p)
{
	if (!p)
		return;
	free(p->objs);
	free(p->dirs);
	free(p);
}
