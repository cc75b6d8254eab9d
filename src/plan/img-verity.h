/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_IMG_VERITY_H
#define KILN_PLAN_IMG_VERITY_H

/* What `verity-sig` needs of a `verity` image. */

#include "plan/image.h"

extern const struct image_handler verity_handler;

/*
 * verity_image_root_hash - the lowercase hex root hash of verity image
 * @img (65 bytes with the NUL) once it is known: after its generate, or
 * after setup when its data is an input file. -EAGAIN before.
 */
int verity_image_root_hash(const struct image *img, char out[65]);

#endif
