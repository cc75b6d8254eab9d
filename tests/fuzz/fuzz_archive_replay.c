/* SPDX-License-Identifier: MIT */
/* Fuzz target: archive replay logs. Whatever the bytes, when a read
 * succeeds, replaying its log (and the log recorded for a sibling layer
 * with other filters) into a fresh tree must succeed and give the tree a
 * direct read gives; anything else aborts. Data is discarded. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "fs/spill.h"
#include "fs/tree-archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct dump {
	char *s;
	size_t len;
};

static int dump_node(struct tree_node *n, void *ud)
{
	struct dump *dm = ud;
	char line[160];
	char *p = tree_path(n), *hl = n->hardlink ? tree_path(n->hardlink) : NULL;
	int k = snprintf(line, sizeof(line), "%o %u:%u %llu %lld %u,%u %u %u %u|",
			 n->mode, n->uid, n->gid, (unsigned long long)n->size,
			 (long long)n->mtime, n->rdev_major, n->rdev_minor, n->nlink, n->layer,
			 n->nxattrs);
	size_t add = (size_t)k + strlen(p ? p : "") + strlen(hl ? hl : "") +
		     strlen(n->link ? n->link : "") + 4;
	char *ns = realloc(dm->s, dm->len + add);
	if (!ns)
		abort();
	dm->s = ns;
	dm->len += (size_t)snprintf(dm->s + dm->len, add, "%s%s>%s>%s\n", line, p ? p : "",
				    hl ? hl : "", n->link ? n->link : "");
	free(p);
	free(hl);
	return 0;
}

static char *dump(struct tree *t)
{
	struct dump dm = { 0 };

	tree_finish(t);
	tree_walk(t, dump_node, &dm);
	return dm.s ? dm.s : strdup("");
}

/* Import into a fresh tree; returns its dump, or NULL on failure. */
static char *import(const uint8_t *data, size_t size, const struct tree_archive_opts *o)
{
	struct tree *t;
	struct diag d = { 0 };
	char *s = NULL;

	if (tree_new(&t, 1700000000))
		abort();
	if (tree_add_layer(t, "l") != 0)
		abort();
	if (!tree_add_archive_mem(t, data, size, o, &d))
		s = dump(t);
	tree_free(t);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const inc[] = { "*", "*/*" };
	static const char *const sinc[] = { "*/*/*", "usr/*" };

	for (int kind = 0; kind < 2; kind++) {
		struct spill sp;
		struct spill_region reg = { 0 }, sreg = { 0 };
		struct tree_archive_log *log = NULL, *slog = NULL;
		if (spill_init(&sp, NULL))
			return 0;
		struct tree_archive_sibling sib = { .include = sinc, .ninclude = 2, .log = &slog };
		struct tree_archive_opts o = {
			.kind = kind ? TREE_ARCHIVE_DEB : TREE_ARCHIVE_AUTO,
			.dest = "opt",
			.policy = TREE_CONFLICT_REPLACE,
			.spill = &sp,
			.region = &reg,
			.name = "fuzz",
			.follow_symlinks = true,
			.include = inc,
			.ninclude = 2,
			.log = &log,
			.siblings = &sib,
			.nsiblings = 1,
		};
		char *a = import(data, size, &o), *b = NULL, *c = NULL, *e = NULL;
		if (a) {
			/* Replays ignore the bytes. */
			if (!log || !slog || !(b = import(NULL, 0, &o)) || strcmp(a, b))
				abort();
			struct tree_archive_opts so = {
				.kind = o.kind, .dest = "x", .policy = TREE_CONFLICT_KEEP_FIRST,
				.spill = &sp, .region = &sreg, .name = "fuzz", .include = sinc,
				.ninclude = 2, .log = &slog,
			};
			c = import(NULL, 0, &so);
			so.log = NULL;
			e = import(data, size, &so);
			if ((c == NULL) != (e == NULL) || (c && strcmp(c, e)))
				abort();
		}
		free(a);
		free(b);
		free(c);
		free(e);
		tree_archive_log_free(log);
		tree_archive_log_free(slog);
		spill_release(&sp);
	}
	return 0;
}
