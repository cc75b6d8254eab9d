/* SPDX-License-Identifier: MIT */
/* Device table limits (found while fuzzing: a few short lines with
 * count = 65536 each made millions of nodes). */
#include <errno.h>
#include <string.h>

#include "base/diag.h"
#include "fs/tree-tables.h"
#include "fs/tree.h"
#include "t.h"

static void test_devtable_node_cap(void)
{
	struct tree *t;
	struct diag d = { 0 };
	/* 65000 + 600 > TREE_DEVTABLE_MAX_NODES (65536) */
	const char *tab = "/a/n c 600 0 0 1 0 0 0 65000\n# comment\n/d/n c 600 0 0 1 0 0 0 600\n";

	CHECK(tree_new(&t, 1000) == 0);
	CHECK(tree_apply_device_table(t, tab, strlen(tab), "tab", 0, &d) == -E2BIG);
	CHECK(strstr(d.msg, "tab:3: \"/d/n\": the table makes more than 65536 nodes") != NULL);
	CHECK(tree_lookup(t, "a/n64999") != NULL && tree_lookup(t, "d") == NULL);
	tree_free(t);
}

int main(void)
{
	T_RUN(test_devtable_node_cap);
	return T_DONE();
}
