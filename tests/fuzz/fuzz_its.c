/* SPDX-License-Identifier: MIT */
/* Fuzz target: the .its parser; for what parses and validates, FIT
 * layout and writing into memory, then the inspect decoder must find
 * exactly the planned size and every hash correct (abort otherwise).
 * /incbin/ resolves to one 1000-byte temporary file. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/diag.h"
#include "boot/dtree.h"
#include "boot/fit.h"
#include "boot/its.h"
#include "io/sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char incbin_path[64];

static int resolve(void *ud, const char *name, char **ret_path, uint64_t *ret_len,
		   struct diag *d)
{
	(void)ud;
	if (!strcmp(name, "missing") || !incbin_path[0])
		return diag_fail(d, -ENOENT, "no such file");
	*ret_path = strdup(incbin_path);
	*ret_len = 1000;
	return *ret_path ? 0 : -ENOMEM;
}

static void make_incbin(void)
{
	char tmpl[] = "/tmp/kiln-fuzz-its-XXXXXX";
	uint8_t buf[1000];
	int fd = mkstemp(tmpl);

	if (fd < 0)
		return;
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 31);
	if (write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
		snprintf(incbin_path, sizeof(incbin_path), "%s", tmpl);
	close(fd);
}

static void cleanup(void)
{
	if (incbin_path[0])
		unlink(incbin_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dt_node *root = NULL;
	struct diag d = { 0 };
	struct fit_layout l;
	struct fit_summary s;
	struct sink *m = NULL;
	uint64_t len;

	if (!incbin_path[0]) {
		make_incbin();
		atexit(cleanup);
	}
	if (its_parse((const char *)data, size, "fuzz.its", resolve, NULL, &root, &d))
		return 0;
	if (fit_check(root, "fuzz.its", &d) || fit_finalize(root, 1700000000) ||
	    fit_plan(root, size & 1, &l, &d) || l.total > (8u << 20))
		goto out;
	if (sink_mem_new(&m, l.total) || fit_write(root, &l, m, &d))
		abort(); /* planned, so writing must work */
	const uint8_t *out = sink_mem_data(m, &len);
	if (len != l.total || fit_inspect(out, (size_t)len, NULL, NULL, NULL, &s) ||
	    s.bad_hashes || s.bad_data || s.bad_refs)
		abort();
out:
	sink_release(m);
	dt_node_free(root);
	return 0;
}
