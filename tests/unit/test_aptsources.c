/* SPDX-License-Identifier: MIT */
/* Unit tests: the machine's Debian mirror from synthetic apt sources
 * (one-line sources.list, deb822 .sources, apt's reading order). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "pkg/aptsources.h"
#include "t.h"

static char root[256];

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void rm(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	unlink(p);
}

/* The url read, or "" on an error (whose errno goes to *err). */
static char *url(int *err)
{
	static char buf[512];
	struct diag d = { 0 };
	char *u = NULL;

	*err = pkg_apt_sources_url(root, &u, &d);
	snprintf(buf, sizeof(buf), "%s", u ? u : "");
	free(u);
	return buf;
}

static void test_sources(void)
{
	char p[512];
	int e;

	snprintf(root, sizeof(root), "/tmp/kiln-aptsrc-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	snprintf(p, sizeof(p), "%s/etc", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/apt", root);
	mkdir(p, 0755);
	CHECK(!strcmp(url(&e), "") && e == -ENOENT);
	snprintf(p, sizeof(p), "%s/etc/apt/sources.list.d", root);
	mkdir(p, 0755);

	/* Debian 12's default: deb822, security second. */
	put("etc/apt/sources.list.d/debian.sources",
	    "Types: deb\n# a comment\nURIs: http://mirror.example/debian/\n"
	    "Suites: bookworm bookworm-updates\nComponents: main\n"
	    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
	    "Types: deb\nURIs: http://mirror.example/debian-security\n"
	    "Suites: bookworm-security\nComponents: main\n");
	CHECK(!strcmp(url(&e), "http://mirror.example/debian") && e == 0);

	/* Security first, disabled and deb-src-only stanzas are skipped. */
	put("etc/apt/sources.list.d/debian.sources",
	    "Types: deb\nURIs: http://s.example/debian-security\nSuites: bookworm-security\n\n"
	    "Types: deb\nURIs: http://sec.example/x\nSuites: bookworm-security\n\n"
	    "Enabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm\n\n"
	    "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n\n"
	    "types: deb-src deb\nuris: http://a.example/d http://b.example/d\nsuites: bookworm");
	CHECK(!strcmp(url(&e), "http://a.example/d") && e == 0);

	/* sources.list comes before sources.list.d; options and comments. */
	put("etc/apt/sources.list",
	    "# deb http://commented.example/debian bookworm main\n"
	    "deb-src http://src.example/debian bookworm main\n"
	    "deb http://security.mirror.example/debian-security bookworm-security main\n"
	    "deb [arch=arm64 signed-by=/k.gpg] http://one.example/debian bookworm main\n");
	CHECK(!strcmp(url(&e), "http://one.example/debian") && e == 0);

	/* sources.list.d: by name, not readdir order; *.list too; others not. */
	put("etc/apt/sources.list", "\n");
	put("etc/apt/sources.list.d/00-local.list", "deb file:///srv/repo ./\n");
	put("etc/apt/sources.list.d/000.save", "deb http://ignored.example/debian bookworm main\n");
	CHECK(!strcmp(url(&e), "file:///srv/repo") && e == 0);

	rm("etc/apt/sources.list.d/00-local.list");
	rm("etc/apt/sources.list.d/000.save");
	rm("etc/apt/sources.list.d/debian.sources");
	rm("etc/apt/sources.list");
	CHECK(!strcmp(url(&e), "") && e == -ENOENT);
	snprintf(p, sizeof(p), "%s/etc/apt/sources.list.d", root);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/etc/apt", root);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/etc", root);
	rmdir(p);
	rmdir(root);
}

int main(void)
{
	T_RUN(test_sources);
	return T_DONE();
}
