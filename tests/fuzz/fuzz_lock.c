/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the parsers of locked packages (src/pkg). The first byte
 * picks one: kiln.lock (what parses must format and parse back to the
 * same text), a Release file, gpgv's status lines, a Packages index
 * (libsolv plus kiln's Size reader).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/diag.h"
#include "pkg/pkg.h"
#include "pkg/release.h"
#include "pkg/solve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void lock_roundtrip(const char *buf, size_t len)
{
	struct pkg_lock l = { 0 }, l2 = { 0 };
	struct diag d = { 0 };
	char *t1 = NULL, *t2 = NULL;
	size_t n1 = 0, n2 = 0;

	if (pkg_lock_parse(buf, len, "fuzz", &l, &d))
		return;
	if (pkg_lock_format(&l, &t1, &n1))
		goto out;
	if (pkg_lock_parse(t1, n1, "fuzz", &l2, &d))
		abort(); /* kiln must read what it writes */
	if (pkg_lock_format(&l2, &t2, &n2) || n1 != n2 || memcmp(t1, t2, n1))
		abort();
	for (unsigned i = 0; i < l.nlayers; i++)
		if (pkg_lock_find_layer(&l, l.layers[i].tree, l.layers[i].index) == NULL)
			abort();
out:
	free(t1);
	free(t2);
	pkg_lock_release(&l);
	pkg_lock_release(&l2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { 0 };

	if (!size)
		return 0;
	const char *buf = (const char *)data + 1;
	size_t len = size - 1;

	switch (data[0] % 4) {
	case 0:
		lock_roundtrip(buf, len);
		break;
	case 1: {
		struct release r;
		if (!release_parse(buf, len, "fuzz", &r, &d)) {
			for (unsigned i = 0; i < r.nfiles; i++)
				if (release_find(&r, r.files[i].path) == NULL)
					abort();
			release_release(&r);
		}
		break;
	}
	case 2:
		release_check_gpgv_status(buf, len, "keyring", &d);
		break;
	case 3: {
		static const char *const archs[] = { "arm64", "armhf" };
		static const char *const pkgs[] = { "a" };
		struct pkg_pool *p;
		struct pkg_layer_req lr = { .tree = "t", .index = 1, .packages = pkgs,
					    .npackages = 1, .cfgfile = "fuzz", .line = 1 };
		struct pkg_lock_layer out = { 0 };
		if (pkg_pool_new(archs, 2, &p, &d))
			break;
		if (!pkg_pool_add(p, buf, len, "fuzz", &d) &&
		    !pkg_pool_solve(p, &lr, 0, "fuzz", &out, &d)) {
			struct pkg_lock l = { .layers = &out, .nlayers = 1 };
			char *t;
			size_t n;
			struct pkg_lock_repo repo = { .name = "r", .url = "u", .date = "d" };
			l.repos = &repo;
			l.nrepos = 1;
			if (!pkg_lock_format(&l, &t, &n))
				free(t);
		}
		for (unsigned i = 0; i < out.npkgs; i++) {
			free(out.pkgs[i].name);
			free(out.pkgs[i].version);
			free(out.pkgs[i].arch);
			free(out.pkgs[i].filename);
		}
		free(out.pkgs);
		pkg_pool_free(p);
		break;
	}
	}
	return 0;
}
