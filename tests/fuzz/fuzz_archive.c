/* SPDX-License-Identifier: MIT */
/* Fuzz target: archive layers (tar/cpio, compressed or not, with and
 * without follow-symlinks, and .deb) over arbitrary bytes, then the same
 * bytes as a device table and an fs_config file. Member data is
 * discarded (spill without a file). */
#include <stdint.h>
#include <stdlib.h>

#include "base/diag.h"
#include "fs/spill.h"
#include "fs/tree-archive.h"
#include "fs/tree-tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int kind = 0; kind < 3; kind++) {
		struct tree *t;
		struct spill sp;
		struct spill_region reg = { 0 };
		struct diag d = { 0 };

		if (tree_new(&t, 1700000000))
			return 0;
		if (spill_init(&sp, NULL)) {
			tree_free(t);
			return 0;
		}
		struct tree_archive_opts o = {
			.kind = kind == 2 ? TREE_ARCHIVE_DEB : TREE_ARCHIVE_AUTO,
			.dest = kind ? "opt" : "",
			.policy = TREE_CONFLICT_REPLACE,
			.spill = &sp,
			.region = &reg,
			.name = "fuzz",
			.follow_symlinks = kind == 1,
			.threads = 2, /* xz in several blocks: fs/xz-read.c's threads */
		};
		tree_add_archive_mem(t, data, size, &o, &d);
		diag_clear(&d);
		if (!kind) {
			tree_apply_device_table(t, (const char *)data, size, "table", 0, &d);
			diag_clear(&d);
			tree_apply_fs_config(t, (const char *)data, size, "fs_config", &d);
		}
		tree_finish(t);
		spill_release(&sp);
		tree_free(t);
	}
	return 0;
}
