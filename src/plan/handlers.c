/* SPDX-License-Identifier: MIT */
/* The table of image types. Adding a type = one file + one line here. */
#include <string.h>

#include "plan/image.h"

extern const struct image_handler file_handler;
extern const struct image_handler ext2_handler, ext3_handler, ext4_handler;
extern const struct image_handler vfat_handler;
extern const struct image_handler hdimage_handler;
extern const struct image_handler flash_image_handler;
extern const struct image_handler ubootenv_handler, bootscript_handler, cpio_handler, fit_handler;
extern const struct image_handler squashfs_handler;
extern const struct image_handler android_sparse_handler;
extern const struct image_handler tar_handler;
extern const struct image_handler erofs_handler;
extern const struct image_handler verity_handler, verity_sig_handler;
extern const struct image_handler fip_handler;
extern const struct image_handler mdraid_handler;
extern const struct image_handler qemu_handler;
extern const struct image_handler custom_handler;
extern const struct image_handler btrfs_handler, f2fs_handler, ubifs_handler, jffs2_handler;
extern const struct image_handler iso_handler, rauc_handler;
extern const struct image_handler ubi_handler, cramfs_handler;

const struct image_handler *const image_handlers[] = {
	&file_handler,
	&ext2_handler, &ext3_handler, &ext4_handler,
	&vfat_handler,
	&hdimage_handler,
	&flash_image_handler,
	&ubootenv_handler, &bootscript_handler, &cpio_handler, &fit_handler,
	&squashfs_handler,
	&android_sparse_handler,
	&tar_handler,
	&erofs_handler,
	&verity_handler, &verity_sig_handler,
	&fip_handler,
	&mdraid_handler,
	&qemu_handler,
	&custom_handler,
	&btrfs_handler, &f2fs_handler, &ubifs_handler, &jffs2_handler,
	&iso_handler, &rauc_handler,
	&ubi_handler, &cramfs_handler,
	NULL,
};

const struct image_handler *image_handler_find(const char *type)
{
	for (unsigned i = 0; image_handlers[i]; i++)
		if (!strcmp(image_handlers[i]->type, type))
			return image_handlers[i];
	return NULL;
}
