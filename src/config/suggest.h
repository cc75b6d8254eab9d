/* SPDX-License-Identifier: MIT */
#ifndef KILN_CONFIG_SUGGEST_H
#define KILN_CONFIG_SUGGEST_H

/*
 * "Did you mean": the known name closest to a misspelt one, by edit
 * distance (insert, delete, substitute, swap two neighbours). Feed every
 * known name to suggest_try(), then ask suggest_best().
 */

#include <stddef.h>

struct suggest {
	const char *word;
	const char *best;
	unsigned dist;
};

void suggest_init(struct suggest *s, const char *word);
void suggest_try(struct suggest *s, const char *name);
/* The closest name, or NULL when none is close enough to be a typo
 * (at most 1 edit for short words, 2 from 5 letters, 3 from 12). */
const char *suggest_best(const struct suggest *s);

#endif
