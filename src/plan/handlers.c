/* SPDX-License-Identifier: MIT */
/* The table of image types. Adding a type = one file + one line here. */
#include <string.h>

#include "plan/image.h"

extern const struct image_handler file_handler;

const struct image_handler *const image_handlers[] = {
	&file_handler,
	NULL,
};

const struct image_handler *image_handler_find(const char *type)
{
	for (unsigned i = 0; image_handlers[i]; i++)
		if (!strcmp(image_handlers[i]->type, type))
			return image_handlers[i];
	return NULL;
}
