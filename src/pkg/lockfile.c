/* SPDX-License-Identifier: MIT */
/*
 * kiln.lock: deterministic text, one line per fact, written whole
 * (temp + fsync + rename) and read strictly (docs/config/packages.md):
 *
 *   kiln-lock 1
 *   request SHA256                          hash of the config's request
 *   repository NAME URL
 *   release SHA256 DATE...                  of the repository above
 *   layer INDEX TREE...
 *   package NAME VERSION ARCH REPO SIZE SHA256 FILENAME
 */
#include "pkg/pkg.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/diag.h"

#define LOCK_MAX_BYTES (256u << 20)

void pkg_lock_release(struct pkg_lock *l)
{
	for (unsigned i = 0; i < l->nrepos; i++) {
		free(l->repos[i].name);
		free(l->repos[i].url);
		free(l->repos[i].date);
	}
	free(l->repos);
	for (unsigned i = 0; i < l->nlayers; i++) {
		struct pkg_lock_layer *y = &l->layers[i];
		for (unsigned k = 0; k < y->npkgs; k++) {
			free(y->pkgs[k].name);
			free(y->pkgs[k].version);
			free(y->pkgs[k].arch);
			free(y->pkgs[k].filename);
		}
		free(y->pkgs);
		free(y->tree);
	}
	free(l->layers);
	memset(l, 0, sizeof(*l));
}

const struct pkg_lock_layer *pkg_lock_find_layer(const struct pkg_lock *l, const char *tree,
						 unsigned index)
{
	for (unsigned i = 0; i < l->nlayers; i++)
		if (l->layers[i].index == index && !strcmp(l->layers[i].tree, tree))
			return &l->layers[i];
	return NULL;
}

/* ---- request hash ---- */

static int h_str(struct sha256_ctx *c, const char *tag, const char *s)
{
	int r = sha256_update(c, tag, strlen(tag) + 1);
	return r ? r : sha256_update(c, s ? s : "", s ? strlen(s) + 1 : 1);
}

static int h_strv(struct sha256_ctx *c, const char *tag, const char *const *v, unsigned n)
{
	int r = 0;
	char num[32];

	snprintf(num, sizeof(num), "%u", n);
	r = h_str(c, tag, num);
	for (unsigned i = 0; i < n && !r; i++)
		r = h_str(c, tag, v[i]);
	return r;
}

int pkg_request_hash(const struct pkg_request *req, uint8_t out[SHA256_LEN])
{
	struct sha256_ctx c;
	char num[32];
	int r = sha256_init(&c);

	if (r)
		return r;
	r = h_str(&c, "kiln-lock", "1");
	for (unsigned i = 0; i < req->nrepos && !r; i++) {
		const struct pkg_repo *p = &req->repos[i];
		if ((r = h_str(&c, "repository", p->name)) || (r = h_str(&c, "url", p->url_spec ? p->url_spec : p->url)) ||
		    (r = h_str(&c, "suite", p->suite)) ||
		    (r = h_strv(&c, "components", p->components, p->ncomponents)) ||
		    (r = h_strv(&c, "architectures", p->archs, p->narchs)) ||
		    (r = h_str(&c, "keyring", p->keyring)) ||
		    (r = h_str(&c, "allow-expired", p->allow_expired ? "1" : "0")))
			break;
	}
	for (unsigned i = 0; i < req->nlayers && !r; i++) {
		const struct pkg_layer_req *y = &req->layers[i];
		snprintf(num, sizeof(num), "%u", y->index);
		if ((r = h_str(&c, "tree", y->tree)) || (r = h_str(&c, "layer", num)) ||
		    (r = h_str(&c, "repository", req->repos[y->repo].name)) ||
		    (r = h_strv(&c, "packages", y->packages, y->npackages)) ||
		    (r = h_strv(&c, "exclude", y->exclude, y->nexclude)) ||
		    (r = h_str(&c, "recommends", y->recommends ? "1" : "0")))
			break;
	}
	if (!r)
		r = sha256_final(&c, out);
	sha256_release(&c);
	return r;
}

/* ---- text ---- */

int pkg_lock_format(const struct pkg_lock *l, char **ret, size_t *ret_len)
{
	struct buf s = { 0 };
	char hex[2 * SHA256_LEN + 1];

	hex_encode(l->request, SHA256_LEN, hex);
	buf_printf(&s, "# kiln.lock: the packages `kiln lock` resolved for this config; `kiln fetch`"
		  " downloads them.\n# Written by kiln; do not edit.\nkiln-lock 1\nrequest %s\n", hex);
	for (unsigned i = 0; i < l->nrepos; i++) {
		hex_encode(l->repos[i].release_sha256, SHA256_LEN, hex);
		buf_printf(&s, "repository %s %s\nrelease %s %s\n", l->repos[i].name, l->repos[i].url,
			  hex, l->repos[i].date);
	}
	for (unsigned i = 0; i < l->nlayers; i++) {
		const struct pkg_lock_layer *y = &l->layers[i];
		buf_printf(&s, "layer %u %s\n", y->index, y->tree);
		for (unsigned k = 0; k < y->npkgs; k++) {
			const struct pkg_locked *p = &y->pkgs[k];
			hex_encode(p->sha256, SHA256_LEN, hex);
			buf_printf(&s, "package %s %s %s %s %" PRIu64 " %s %s\n", p->name, p->version,
				  p->arch, l->repos[p->repo].name, p->size, hex, p->filename);
		}
	}
	if (s.err) {
		free(s.p);
		return s.err;
	}
	*ret = s.p;
	*ret_len = s.len;
	return 0;
}

/* Split @line at single spaces into at most @max fields; the last field
 * takes the rest of the line. Returns the count. */
static unsigned split(char *line, char **f, unsigned max)
{
	unsigned n = 0;
	char *p = line;

	while (n < max) {
		f[n++] = p;
		if (n == max)
			break;
		char *sp = strchr(p, ' ');
		if (!sp)
			break;
		*sp = 0;
		p = sp + 1;
	}
	return n;
}

static bool good_token(const char *s)
{
	return *s && !strchr(s, ' ');
}

static int parse_hex(const char *s, uint8_t out[SHA256_LEN])
{
	return hex_decode(s, strlen(s), out, SHA256_LEN);
}

static int parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return 0;
}

static void *grow(void *v, unsigned n, size_t elem)
{
	/* Grow by doubling when n is a power of two (or 0). */
	if (n & (n - 1))
		return v;
	return realloc(v, (n ? 2 * (size_t)n : 4) * elem);
}

static int parse_line(struct pkg_lock *l, char *line, bool *seen_magic, bool *seen_req)
{
	char *f[8];
	unsigned n = split(line, f, 8);

	if (!strcmp(f[0], "kiln-lock")) {
		if (n != 2 || strcmp(f[1], "1") || *seen_magic)
			return -EINVAL;
		*seen_magic = true;
		return 0;
	}
	if (!*seen_magic)
		return -EINVAL;
	if (!strcmp(f[0], "request")) {
		if (n != 2 || *seen_req || parse_hex(f[1], l->request))
			return -EINVAL;
		*seen_req = true;
		return 0;
	}
	if (!strcmp(f[0], "repository")) {
		if (n != 3 || !good_token(f[1]) || !good_token(f[2]) || l->nrepos >= PKG_MAX_REPOS)
			return -EINVAL;
		for (unsigned i = 0; i < l->nrepos; i++)
			if (!strcmp(l->repos[i].name, f[1]))
				return -EINVAL;
		void *nv = grow(l->repos, l->nrepos, sizeof(*l->repos));
		if (!nv)
			return -ENOMEM;
		l->repos = nv;
		struct pkg_lock_repo *p = &l->repos[l->nrepos];
		memset(p, 0, sizeof(*p));
		l->nrepos++;
		if (!(p->name = strdup(f[1])) || !(p->url = strdup(f[2])))
			return -ENOMEM;
		return 0;
	}
	if (!strcmp(f[0], "release")) {
		/* release SHA DATE...: the date keeps its spaces. */
		if (n < 3 || !l->nrepos || l->repos[l->nrepos - 1].date)
			return -EINVAL;
		struct pkg_lock_repo *p = &l->repos[l->nrepos - 1];
		if (parse_hex(f[1], p->release_sha256))
			return -EINVAL;
		for (unsigned i = 3; i < n; i++)
			f[i][-1] = ' ';
		if (!*f[2] || !(p->date = strdup(f[2])))
			return *f[2] ? -ENOMEM : -EINVAL;
		return 0;
	}
	if (!strcmp(f[0], "layer")) {
		uint64_t idx;
		if (n < 3 || parse_u64(f[1], &idx) || !idx || idx > PKG_MAX_LAYERS ||
		    l->nlayers >= PKG_MAX_LAYERS)
			return -EINVAL;
		for (unsigned i = 3; i < n; i++)
			f[i][-1] = ' ';
		if (!*f[2] || pkg_lock_find_layer(l, f[2], (unsigned)idx))
			return -EINVAL;
		void *nv = grow(l->layers, l->nlayers, sizeof(*l->layers));
		if (!nv)
			return -ENOMEM;
		l->layers = nv;
		struct pkg_lock_layer *y = &l->layers[l->nlayers];
		memset(y, 0, sizeof(*y));
		l->nlayers++;
		y->index = (unsigned)idx;
		return (y->tree = strdup(f[2])) ? 0 : -ENOMEM;
	}
	if (!strcmp(f[0], "package")) {
		if (n != 8 || !l->nlayers)
			return -EINVAL;
		for (unsigned i = 1; i < 8; i++)
			if (!good_token(f[i]))
				return -EINVAL;
		unsigned repo = l->nrepos;
		for (unsigned i = 0; i < l->nrepos; i++)
			if (!strcmp(l->repos[i].name, f[4]))
				repo = i;
		struct pkg_lock_layer *y = &l->layers[l->nlayers - 1];
		unsigned total = 0;
		for (unsigned i = 0; i < l->nlayers; i++)
			total += l->layers[i].npkgs;
		if (repo == l->nrepos || total >= PKG_MAX_PACKAGES || strstr(f[7], ".."))
			return -EINVAL;
		struct pkg_locked p = { .repo = repo };
		if (parse_u64(f[5], &p.size) || parse_hex(f[6], p.sha256))
			return -EINVAL;
		void *nv = grow(y->pkgs, y->npkgs, sizeof(*y->pkgs));
		if (!nv)
			return -ENOMEM;
		y->pkgs = nv;
		p.name = strdup(f[1]);
		p.version = strdup(f[2]);
		p.arch = strdup(f[3]);
		p.filename = strdup(f[7]);
		y->pkgs[y->npkgs++] = p;
		if (!p.name || !p.version || !p.arch || !p.filename)
			return -ENOMEM;
		return 0;
	}
	return -EINVAL;
}

int pkg_lock_parse(const char *buf, size_t len, const char *name, struct pkg_lock *ret,
		   struct diag *d)
{
	struct pkg_lock l = { 0 };
	const char *p = buf, *end = buf + len;
	bool magic = false, req = false;
	unsigned lineno = 0;
	int r = 0;

	if (len > LOCK_MAX_BYTES)
		return diag_fail(d, -E2BIG, "%s: larger than %u bytes", name, LOCK_MAX_BYTES);
	while (p < end && !r) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		lineno++;
		if (n && *p != '#') {
			char *line = strndup(p, n);
			if (!line)
				return pkg_lock_release(&l), diag_fail(d, -ENOMEM, "out of memory");
			r = memchr(p, 0, n) ? -EINVAL : parse_line(&l, line, &magic, &req);
			free(line);
		}
		p = nl ? nl + 1 : end;
	}
	if (!r && (!magic || !req))
		r = -EINVAL, lineno = 0;
	for (unsigned i = 0; !r && i < l.nrepos; i++)
		if (!l.repos[i].date)
			r = -EINVAL, lineno = 0;
	if (r) {
		pkg_lock_release(&l);
		if (r == -ENOMEM)
			return diag_fail(d, r, "out of memory");
		if (!lineno)
			return diag_fail(d, r, "%s: incomplete lock (run `kiln lock`)", name);
		return diag_fail(d, r, "%s:%u: malformed line (run `kiln lock` to rewrite the lock)",
				 name, lineno);
	}
	*ret = l;
	return 0;
}

int pkg_lock_load(const char *path, struct pkg_lock *ret, struct diag *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	char *buf;

	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > LOCK_MAX_BYTES) {
		close(fd);
		return diag_fail(d, -EINVAL, "%s: not a regular file of at most %u bytes", path,
				 LOCK_MAX_BYTES);
	}
	buf = malloc((size_t)sb.st_size + 1);
	ssize_t k = buf ? read(fd, buf, (size_t)sb.st_size) : -1;
	close(fd);
	if (k != sb.st_size) {
		free(buf);
		return diag_fail(d, -EIO, "%s: read error", path);
	}
	int r = pkg_lock_parse(buf, (size_t)k, path, ret, d);
	free(buf);
	return r;
}

int pkg_lock_write(const struct pkg_lock *l, const char *path, struct diag *d)
{
	char *text, *tmp;
	size_t len;
	int r = pkg_lock_format(l, &text, &len), fd;

	if (r)
		return diag_fail(d, r, "out of memory");
	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		free(text);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		r = diag_fail(d, -errno, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	const char *p = text;
	size_t left = len;
	while (left && !r) {
		ssize_t k = write(fd, p, left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			r = diag_fail(d, k < 0 ? -errno : -EIO, "%s: %s", tmp,
				      k < 0 ? strerror(errno) : "short write");
		else
			p += k, left -= (size_t)k;
	}
	if (!r && (fchmod(fd, 0644) || fsync(fd)))
		r = diag_fail(d, -errno, "%s: %s", tmp, strerror(errno));
	if (close(fd) && !r)
		r = diag_fail(d, -errno, "%s: %s", tmp, strerror(errno));
	if (!r && rename(tmp, path))
		r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (r)
		unlink(tmp);
out:
	free(tmp);
	free(text);
	return r;
}
