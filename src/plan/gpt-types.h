/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_GPT_TYPES_H
#define KILN_PLAN_GPT_TYPES_H

/* genimage's GPT partition type shortcuts (`partition-type-uuid = "L"`,
 * "esp", "root-arm64", ...), case-insensitive. */

/* The type UUID string for @shortcut, or NULL if it names none. */
const char *gpt_type_lookup(const char *shortcut);

#endif
