/* SPDX-License-Identifier: MIT */
/* The machine's Debian mirror, read from its apt sources (aptsources.h). */
#include "pkg/aptsources.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"

#define MAX_SOURCES_FILE (1u << 20)
#define MAX_SOURCES_DIR 1024

static int read_small(const char *path, char **ret, struct diag *d)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		r = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		close(fd);
		return r;
	}
	if (st.st_size > MAX_SOURCES_FILE) {
		close(fd);
		return diag_fail(d, -EFBIG, "%s: over 1 MiB: not an apt sources file", path);
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (r) {
		free(buf);
		return diag_fail(d, r, "%s: %s", path, strerror(-r));
	}
	buf[len] = 0;
	*ret = buf;
	return 0;
}

static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || strchr(" \t", p[-1])) && (!p[n] || strchr(" \t\n", p[n])))
			return true;
	return false;
}

/* Every suite of a whitespace-separated list ends in "-security". */
static bool all_security(const char *suites)
{
	char buf[1024];
	char *save, *s;
	bool any = false;

	snprintf(buf, sizeof(buf), "%s", suites);
	for (s = strtok_r(buf, " \t", &save); s; s = strtok_r(NULL, " \t", &save)) {
		size_t n = strlen(s);
		if (n < 9 || strcmp(s + n - 9, "-security"))
			return false;
		any = true;
	}
	return any;
}

static int take(const char *uri, size_t n, char **ret)
{
	while (n && uri[n - 1] == '/')
		n--;
	if (!n)
		return 0;
	if (!(*ret = strndup(uri, n)))
		return -ENOMEM;
	return 1;
}

/* Lines of a one-line sources.list: "deb [opts] URI SUITE COMP...". */
static int scan_list(char *text, char **ret)
{
	char *save, *line;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#'), *uri, *end, *suite;
		if (hash)
			*hash = 0;
		line += strspn(line, " \t");
		if (strncmp(line, "deb", 3) || !strchr(" \t", line[3]) || !line[3])
			continue;
		uri = line + 4 + strspn(line + 4, " \t");
		if (*uri == '[') { /* options: [arch=arm64 signed-by=...] */
			if (!(uri = strchr(uri, ']')))
				continue;
			uri++;
			uri += strspn(uri, " \t");
		}
		end = uri + strcspn(uri, " \t");
		suite = end + strspn(end, " \t");
		if (end == uri || all_security(suite))
			continue;
		*end = 0;
		if (strstr(uri, "security"))
			continue;
		int r = take(uri, (size_t)(end - uri), ret);
		if (r)
			return r;
	}
	return 0;
}

/* A field of a deb822 stanza (field names are case-insensitive). */
static const char *field(char *const *lines, unsigned n, const char *name)
{
	size_t k = strlen(name);

	for (unsigned i = 0; i < n; i++)
		if (!strncasecmp(lines[i], name, k) && lines[i][k] == ':')
			return lines[i] + k + 1 + strspn(lines[i] + k + 1, " \t");
	return NULL;
}

static int stanza(char *const *lines, unsigned n, char **ret)
{
	const char *types = field(lines, n, "Types"), *uris = field(lines, n, "URIs");
	const char *suites = field(lines, n, "Suites"), *en = field(lines, n, "Enabled");

	if (!types || !uris || !has_word(types, "deb") || (en && !strncasecmp(en, "no", 2)) ||
	    (suites && all_security(suites)))
		return 0;
	for (const char *u = uris; *u;) {
		size_t len = strcspn(u, " \t");
		bool sec = false;
		for (size_t i = 0; i + 8 <= len && !sec; i++)
			sec = !strncmp(u + i, "security", 8);
		if (len && !sec)
			return take(u, len, ret);
		u += len;
		u += strspn(u, " \t");
	}
	return 0;
}

/* deb822 .sources: stanzas separated by blank lines, '#' comments. */
static int scan_sources(char *text, char **ret)
{
	char *lines[64];
	unsigned n = 0;
	int r = 0;

	for (char *p = text; p && !r;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		bool blank = !p[strspn(p, " \t\r")];
		if (blank) {
			r = stanza(lines, n, ret);
			n = 0;
		} else if (p[0] != '#' && p[0] != ' ' && p[0] != '\t' && n < 64) {
			lines[n++] = p; /* continuation lines carry no field we read */
		}
		p = nl ? nl + 1 : NULL;
	}
	return r ? r : stanza(lines, n, ret);
}

static int scan_file(const char *path, bool deb822, char **ret, struct diag *d)
{
	char *text = NULL;
	int r = read_small(path, &text, d);

	if (r == -ENOENT || r == -EINVAL)
		return 0; /* absent or not a regular file: apt skips it too */
	if (r)
		return diag_fail(d, r, "%s: %s", path, strerror(-r));
	r = deb822 ? scan_sources(text, ret) : scan_list(text, ret);
	free(text);
	return r < 0 ? diag_fail(d, r, "out of memory") : r;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int pkg_apt_sources_url(const char *root, char **ret_url, struct diag *d)
{
	char path[4096], *names[MAX_SOURCES_DIR], *url = NULL;
	unsigned n = 0;
	struct dirent *e;
	DIR *dir;
	int r;

	snprintf(path, sizeof(path), "%s/etc/apt/sources.list", root);
	if ((r = scan_file(path, false, &url, d)))
		goto done;
	snprintf(path, sizeof(path), "%s/etc/apt/sources.list.d", root);
	if (!(dir = opendir(path)))
		goto done;
	while ((e = readdir(dir)) && n < MAX_SOURCES_DIR) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' ||
		    !((len > 5 && !strcmp(e->d_name + len - 5, ".list")) ||
		      (len > 8 && !strcmp(e->d_name + len - 8, ".sources"))))
			continue;
		if (!(names[n] = strdup(e->d_name))) {
			r = diag_fail(d, -ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(dir);
	/* apt reads sources.list.d in name order, not readdir's. */
	qsort(names, n, sizeof(*names), by_name);
	for (unsigned i = 0; i < n && !r; i++) {
		size_t len = strlen(names[i]);
		snprintf(path, sizeof(path), "%s/etc/apt/sources.list.d/%s", root, names[i]);
		r = scan_file(path, len > 8 && !strcmp(names[i] + len - 8, ".sources"), &url, d);
	}
	for (unsigned i = 0; i < n; i++)
		free(names[i]);
done:
	if (r > 0) {
		*ret_url = url;
		return 0;
	}
	if (r < 0)
		return r;
	return diag_fail(d, -ENOENT, "no Debian mirror in %s/etc/apt/sources.list or %s/etc/apt/"
			 "sources.list.d/ (a `deb` entry other than the security archive)",
			 root, root);
}
