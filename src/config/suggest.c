/* SPDX-License-Identifier: MIT */
#include "config/suggest.h"

#include <string.h>

#define MAX_WORD 64 /* longer names are never typos worth guessing */

/* Optimal string alignment distance, capped at @cap + 1. */
static unsigned distance(const char *a, const char *b, unsigned cap)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[3][MAX_WORD + 1];

	if (la > MAX_WORD || lb > MAX_WORD)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (size_t j = 0; j <= lb; j++)
		row[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned *cur = row[i % 3], *prev = row[(i - 1) % 3], *pp = row[(i + 1) % 3];

		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = prev[j - 1] + cost;

			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
	}
	return row[la % 3][lb];
}

static unsigned allowed(const char *word)
{
	size_t n = strlen(word);

	return n >= 12 ? 3 : n >= 5 ? 2 : 1;
}

void suggest_init(struct suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->dist = allowed(word) + 1;
}

void suggest_try(struct suggest *s, const char *name)
{
	unsigned d;

	if (!name || !*name || !strcmp(name, s->word))
		return;
	d = distance(s->word, name, s->dist - 1);
	if (d < s->dist) {
		s->best = name;
		s->dist = d;
	}
}

const char *suggest_best(const struct suggest *s)
{
	return s->best;
}
