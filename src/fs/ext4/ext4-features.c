/* SPDX-License-Identifier: MIT */
/*
 * ext4 feature names: mke2fs -O style lists, the per-type defaults
 * (ext2/ext3/ext4) and the list printed by `kiln plan`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/diag.h"
#include "fs/ext4/ext4-int.h"

enum { FC, FI, FR };
static const struct {
	const char *name;
	uint8_t word;
	uint32_t bit;
} feats[] = {
	{ "has_journal", FC, EXT4_COMPAT_HAS_JOURNAL },
	{ "ext_attr", FC, EXT4_COMPAT_EXT_ATTR },
	{ "dir_index", FC, EXT4_COMPAT_DIR_INDEX },
	{ "resize_inode", FC, EXT4_COMPAT_RESIZE_INODE },
	{ "filetype", FI, EXT4_INCOMPAT_FILETYPE },
	{ "extent", FI, EXT4_INCOMPAT_EXTENTS },
	{ "extents", FI, EXT4_INCOMPAT_EXTENTS },
	{ "64bit", FI, EXT4_INCOMPAT_64BIT },
	{ "flex_bg", FI, EXT4_INCOMPAT_FLEX_BG },
	{ "sparse_super", FR, EXT4_RO_COMPAT_SPARSE_SUPER },
	{ "large_file", FR, EXT4_RO_COMPAT_LARGE_FILE },
	{ "huge_file", FR, EXT4_RO_COMPAT_HUGE_FILE },
	{ "uninit_bg", FR, EXT4_RO_COMPAT_GDT_CSUM },
	{ "gdt_csum", FR, EXT4_RO_COMPAT_GDT_CSUM },
	{ "dir_nlink", FR, EXT4_RO_COMPAT_DIR_NLINK },
	{ "extra_isize", FR, EXT4_RO_COMPAT_EXTRA_ISIZE },
	{ "metadata_csum", FR, EXT4_RO_COMPAT_METADATA_CSUM },
	{ "quota", FR, EXT4_RO_COMPAT_QUOTA },
	{ "project", FR, EXT4_RO_COMPAT_PROJECT },
};

static uint32_t *fword(struct ext4_opts *o, int w)
{
	return w == FC ? &o->compat : w == FI ? &o->incompat : &o->ro_compat;
}

int ext4_features_apply(struct ext4_opts *o, const char *list, struct diag *d)
{
	const char *s = list;

	while (s && *s) {
		size_t len = strcspn(s, ", \t");
		bool off = false;
		const char *name = s;
		size_t nl = len;
		bool found = false;

		if (!len) {
			s++;
			continue;
		}
		if (*name == '^' || *name == '-') {
			off = true;
			name++;
			nl--;
		} else if (*name == '+') {
			name++;
			nl--;
		}
		if (nl == 4 && !strncmp(name, "none", 4)) {
			o->compat = o->incompat = o->ro_compat = 0;
			found = true;
		}
		for (size_t i = 0; !found && i < sizeof(feats) / sizeof(feats[0]); i++) {
			if (strlen(feats[i].name) == nl && !strncmp(feats[i].name, name, nl)) {
				uint32_t *w = fword(o, feats[i].word);
				*w = off ? *w & ~feats[i].bit : *w | feats[i].bit;
				found = true;
			}
		}
		if (!found)
			return diag_fail(d, -EINVAL, "feature \"%.*s\": unknown or not supported by kiln",
					 (int)nl, name);
		s += len;
	}
	return 0;
}

void ext4_features_default(struct ext4_opts *o, const char *fstype)
{
	o->compat = EXT4_COMPAT_EXT_ATTR | EXT4_COMPAT_DIR_INDEX | EXT4_COMPAT_RESIZE_INODE;
	o->incompat = EXT4_INCOMPAT_FILETYPE;
	o->ro_compat = EXT4_RO_COMPAT_SPARSE_SUPER | EXT4_RO_COMPAT_LARGE_FILE;
	if (!strcmp(fstype, "ext3") || !strcmp(fstype, "ext4"))
		o->compat |= EXT4_COMPAT_HAS_JOURNAL;
	if (!strcmp(fstype, "ext4")) {
		o->incompat |= EXT4_INCOMPAT_EXTENTS | EXT4_INCOMPAT_FLEX_BG | EXT4_INCOMPAT_64BIT;
		o->ro_compat |= EXT4_RO_COMPAT_HUGE_FILE | EXT4_RO_COMPAT_METADATA_CSUM |
				EXT4_RO_COMPAT_DIR_NLINK | EXT4_RO_COMPAT_EXTRA_ISIZE;
	}
}

void ext4_features_format(const struct ext4_opts *o, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		if (!strcmp(feats[i].name, "extents") || !strcmp(feats[i].name, "gdt_csum"))
			continue;
		if (*fword((struct ext4_opts *)o, feats[i].word) & feats[i].bit) {
			int w = snprintf(buf + n, len - n, "%s%s", n ? " " : "", feats[i].name);
			if (w < 0 || (size_t)w >= len - n)
				return;
			n += (size_t)w;
		}
	}
}
