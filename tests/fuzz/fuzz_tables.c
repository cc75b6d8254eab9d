/* SPDX-License-Identifier: MIT */
/* Fuzz target: genext2fs device tables and Android fs_config files,
 * each applied to a small tree that already holds the usual entries
 * (so 'f' lines and fs_config paths find something to change). */
#include <stdint.h>
#include <sys/stat.h>

#include "base/diag.h"
#include "fs/tree-tables.h"
#include "fs/tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int seed_tree(struct tree **ret)
{
	static const char *const dirs[] = { "bin", "dev", "etc", "system/bin", "var/log" };
	static const char *const files[] = { "bin/busybox", "etc/passwd", "system/bin/sh" };
	struct tree_attr dir = { .mode = S_IFDIR | 0755 }, reg = { .mode = S_IFREG | 0644 };
	struct tree_attr lnk = { .mode = S_IFLNK | 0777, .link = "busybox" };
	struct tree *t;

	if (tree_new(&t, 1700000000))
		return -1;
	for (unsigned i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (tree_add(t, dirs[i], &dir, TREE_CONFLICT_REPLACE, 0, NULL, NULL))
			goto fail;
	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (tree_add(t, files[i], &reg, TREE_CONFLICT_REPLACE, 0, NULL, NULL))
			goto fail;
	if (tree_add(t, "bin/sh", &lnk, TREE_CONFLICT_REPLACE, 0, NULL, NULL))
		goto fail;
	*ret = t;
	return 0;
fail:
	tree_free(t);
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int kind = 0; kind < 2; kind++) {
		struct tree *t;
		struct diag d = { 0 };

		if (seed_tree(&t))
			return 0;
		if (kind == 0)
			tree_apply_device_table(t, (const char *)data, size, "devtable", 1, &d);
		else
			tree_apply_fs_config(t, (const char *)data, size, "fs_config", &d);
		tree_finish(t);
		tree_free(t);
	}
	return 0;
}
