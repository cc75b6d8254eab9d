/* SPDX-License-Identifier: MIT */
/*
 * `mdraid`: genimage's type, one member of a Linux md RAID1 array
 * (part/mdraid.h): a v1.2 superblock, a bitmap superblock and the
 * `image` from 1 MiB on. A member with `parent` takes the array (UUID,
 * label, time, devices, size, data) from that other mdraid image and the
 * next free role. Unlike genimage, no id or time is random or the wall
 * clock: UUIDs come from the seed, the time from SOURCE_DATE_EPOCH.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "config/cfgutil.h"
#include "io/sink.h"
#include "part/mdraid.h"
#include "plan/build.h"
#include "plan/image.h"

struct mdraid_priv {
	char *image, *parent; /* dependency names, or NULL */
	long role;            /* -1: automatic */
	long devices, timestamp;
	bool array_uuid_set, device_uuid_set;
	struct md_member m;
	struct image *data;   /* resolved in setup (the parent's, with parent) */
	uint32_t last_role;   /* roles handed to members naming this one parent */
};

static cfg_opt_t mdraid_cfg_opts[] = {
	CFG_STR("label", "any:42", CFGF_NONE),
	CFG_INT("level", 1, CFGF_NONE),
	CFG_INT("devices", 1, CFGF_NONE),
	CFG_INT("role", -1, CFGF_NONE),
	CFG_INT("timestamp", -1, CFGF_NONE),
	CFG_STR("raid-uuid", NULL, CFGF_NONE),
	CFG_STR("disk-uuid", NULL, CFGF_NONE),
	CFG_STR("image", NULL, CFGF_NONE),
	CFG_STR("parent", NULL, CFGF_NONE),
	CFG_END()
};

static int get_uuid(cfg_t *sec, const char *key, struct uuid *ret, bool *ret_set, struct diag *d)
{
	const char *s = cfg_getstr(sec, key);

	*ret_set = false;
	if (!s)
		return 0;
	if (uuid_parse(s, ret))
		return cfg_fail(sec, key, s, -EINVAL, d, "not a UUID");
	*ret_set = true;
	return 0;
}

static int mdraid_parse(struct build *b, struct image *img, cfg_t *sec, struct diag *d)
{
	struct mdraid_priv *p = calloc(1, sizeof(*p));
	const char *label = cfg_getstr(sec, "label");
	long level = cfg_getint(sec, "level");
	char v[32];
	int r;

	if (!p)
		return diag_fail(d, -ENOMEM, "out of memory");
	img->priv = p;
	if (level != 1) {
		snprintf(v, sizeof(v), "%ld", level);
		return cfg_fail(sec, "level", v, -EINVAL, d, "only RAID level 1 is supported");
	}
	p->devices = cfg_getint(sec, "devices");
	if (p->devices < 1 || p->devices > MD_MAX_DEVICES) {
		snprintf(v, sizeof(v), "%ld", p->devices);
		return cfg_fail(sec, "devices", v, -EINVAL, d, "must be 1 to %d", MD_MAX_DEVICES);
	}
	p->role = cfg_getint(sec, "role");
	if (p->role < -1 || p->role >= MD_MAX_DEVICES) {
		snprintf(v, sizeof(v), "%ld", p->role);
		return cfg_fail(sec, "role", v, -EINVAL, d, "must be 0 to %d (or -1: automatic)",
				MD_MAX_DEVICES - 1);
	}
	p->timestamp = cfg_getint(sec, "timestamp");
	if (p->timestamp < -1) {
		snprintf(v, sizeof(v), "%ld", p->timestamp);
		return cfg_fail(sec, "timestamp", v, -EINVAL, d, "must be >= 0 (or -1: SOURCE_DATE_EPOCH)");
	}
	if (label && strlen(label) > 31)
		return cfg_fail(sec, "label", label, -EINVAL, d, "longer than 31 bytes");
	snprintf(p->m.name, sizeof(p->m.name), "%s", label ? label : "");
	r = get_uuid(sec, "raid-uuid", &p->m.array_uuid, &p->array_uuid_set, d);
	if (!r)
		r = get_uuid(sec, "disk-uuid", &p->m.device_uuid, &p->device_uuid_set, d);
	if (r)
		return r;
	if (cfg_dup_str(sec, "image", &p->image) || cfg_dup_str(sec, "parent", &p->parent))
		return diag_fail(d, -ENOMEM, "out of memory");
	if ((p->image && image_depend(img, p->image)) || (p->parent && image_depend(img, p->parent)))
		return diag_fail(d, -ENOMEM, "out of memory");
	return 0;
}

static int mdraid_setup(struct build *b, struct image *img, struct diag *d)
{
	struct mdraid_priv *p = img->priv;
	uint64_t need;
	int r;

	if (p->parent) {
		struct image *par = image_dep(img, p->parent);
		struct mdraid_priv *pp;

		if (!par || par->handler != img->handler)
			return diag_fail(d, -EINVAL, "parent '%s' is not an mdraid image", p->parent);
		pp = par->priv;
		if (pp->parent)
			return diag_fail(d, -EINVAL, "parent '%s' has a parent itself", p->parent);
		/* The array is the parent's; only this member's id and role differ. */
		p->m.array_uuid = pp->m.array_uuid;
		memcpy(p->m.name, pp->m.name, sizeof(p->m.name));
		p->m.ctime = pp->m.ctime;
		p->m.devices = pp->m.devices;
		p->data = pp->data;
		if (img->size_set && img->size != par->size)
			return diag_fail(d, -EINVAL, "size %llu differs from parent '%s' (%llu)",
					 (unsigned long long)img->size, p->parent,
					 (unsigned long long)par->size);
		img->size = par->size;
		p->m.role = p->role >= 0 ? (uint32_t)p->role : ++pp->last_role;
	} else {
		if (!p->array_uuid_set)
			uuid_derive(&img->seed, "mdraid-array-uuid", 0, &p->m.array_uuid);
		p->m.ctime = p->timestamp >= 0 ? (uint64_t)p->timestamp : (uint64_t)b->epoch;
		p->m.devices = (uint32_t)p->devices;
		p->m.role = p->role >= 0 ? (uint32_t)p->role : 0;
		if (p->image) {
			p->data = image_dep(img, p->image);
			if (!p->data)
				return diag_fail(d, -ENOENT, "input image '%s' unknown", p->image);
			need = p->data->size + MD_DATA_OFFSET;
			if (!img->size_set)
				img->size = (need + MD_ALIGN - 1) / MD_ALIGN * MD_ALIGN;
			else if (img->size < need)
				return diag_fail(d, -ENOSPC, "size %llu cannot hold '%s' (%llu bytes) after the 1 MiB header",
						 (unsigned long long)img->size, p->image,
						 (unsigned long long)p->data->size);
		} else if (!img->size_set) {
			return diag_fail(d, -EINVAL, "neither `image` nor `size` given");
		}
	}
	if (!p->device_uuid_set)
		uuid_derive(&img->seed, "mdraid-device-uuid", 0, &p->m.device_uuid);
	p->m.size = img->size;
	r = md_member_check(&p->m, d);
	if (r)
		image_diag_prefix(img, d);
	return r;
}

static int mdraid_generate(struct build *b, struct image *img, struct sink *out, struct diag *d)
{
	struct mdraid_priv *p = img->priv;
	uint32_t len = md_sb_bytes(p->m.devices);
	uint8_t *sb = malloc(len), bm[256];
	int r, fd;

	if (!sb)
		return diag_fail(d, -ENOMEM, "out of memory");
	md_sb_encode(&p->m, sb);
	md_bitmap_encode(&p->m, bm);
	r = sink_pwrite(out, sb, len, MD_SUPER_OFFSET);
	free(sb);
	if (!r)
		r = sink_pwrite(out, bm, sizeof(bm), MD_BITMAP_OFFSET);
	if (r)
		return diag_fail(d, r, "writing the md superblock: %s", strerror(-r));
	if (!p->data || !p->data->size)
		return 0;
	fd = open(p->data->outfile, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", p->data->outfile, strerror(errno));
	/* A genimage-mode disk file may end before its size; the rest is zeros. */
	r = sink_copy_fd(out, MD_DATA_OFFSET, fd, 0,
			 p->data->file_size ? p->data->file_size : p->data->size,
			 p->data->outfile, d);
	close(fd);
	return r;
}

static void mdraid_describe(const struct image *img, void (*line)(void *, const char *), void *ud)
{
	const struct mdraid_priv *p = img->priv;
	char s[256], a[37], u[37];

	uuid_format(&p->m.array_uuid, a);
	uuid_format(&p->m.device_uuid, u);
	snprintf(s, sizeof(s), "mdraid RAID1 v1.2 '%s': array %s, device %s, role %u of %u, data %s at 1 MiB",
		 p->m.name, a, u, p->m.role, p->m.devices,
		 p->data ? p->data->name : "(none)");
	line(ud, s);
}

static void mdraid_release(struct image *img)
{
	struct mdraid_priv *p = img->priv;

	if (!p)
		return;
	free(p->image);
	free(p->parent);
	free(p);
	img->priv = NULL;
}

const struct image_handler mdraid_handler = {
	.type = "mdraid",
	.opts = mdraid_cfg_opts,
	.parse = mdraid_parse,
	.setup = mdraid_setup,
	.generate = mdraid_generate,
	.describe = mdraid_describe,
	.release = mdraid_release,
};
