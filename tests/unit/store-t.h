/* SPDX-License-Identifier: MIT */
#ifndef KILN_TESTS_STORE_T_H
#define KILN_TESTS_STORE_T_H

/* What the store's unit tests (test_store*.c) share: a store under
 * $TMPDIR, warnings counted, blobs written and found. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "base/hash.h"
#include "store/store.h"
#include "t.h"

static char root[256];
static int warnings;

static void on_warn(void *u, const char *msg)
{
	warnings++;
	fprintf(stderr, "  warning: %s\n", msg);
}

static struct diag dg(void)
{
	struct diag d = { .warn = on_warn };
	return d;
}

static void rm_rf(const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd))
		fprintf(stderr, "rm -rf %s failed\n", path);
}

static struct store *fresh(uint64_t limit)
{
	struct diag d = dg();
	struct store *s = NULL;

	rm_rf(root);
	CHECK(store_open(&s, root, limit, &d) == 0);
	return s;
}

static int count_dir(const char *sub)
{
	char p[512];
	struct dirent *e;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	DIR *dp = opendir(p);
	if (!dp)
		return -1;
	while ((e = readdir(dp)))
		n += e->d_name[0] != '.';
	closedir(dp);
	return n;
}

static void blob_path(const uint8_t h[SHA256_LEN], char out[512])
{
	char hex[65];

	hex_encode(h, SHA256_LEN, hex);
	snprintf(out, 512, "%s/cas/%.2s/%s", root, hex, hex);
}

static int put(struct store *s, const void *buf, size_t len, const uint8_t *expect,
	       uint8_t h[SHA256_LEN])
{
	struct diag d = dg();
	struct store_writer *w;
	int ret = store_writer_new(s, &w, &d);

	if (ret)
		return ret;
	ret = store_writer_write(w, buf, len, &d);
	if (!ret)
		ret = store_writer_commit(w, expect, h, &d);
	store_writer_free(w);
	return ret;
}

/* store_t_init - the store's root for test @name: below a directory of
 * its own (@parent, created; the test removes it at the end). */
static void store_t_init(const char *name, char parent[256])
{
	const char *tmp = getenv("TMPDIR");

	snprintf(parent, 256, "%s/kiln-test-%s.%ld", tmp ? tmp : "/tmp", name, (long)getpid());
	snprintf(root, sizeof(root), "%.200s/store", parent);
	mkdir(parent, 0755);
}

#endif
