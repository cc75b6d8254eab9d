/* SPDX-License-Identifier: MIT */
#include "plan/bootutil.h"
#include "plan/vars.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/diag.h"
#include "io/sink.h"
#include "plan/build.h"
#include "plan/image.h"
#include "plan/trees-def.h"

#define EXPAND_MAX (16u << 20)

char *boot_input_path(struct build *b, const char *name)
{
	size_t n;
	char *s;

	if (name[0] == '/')
		return strdup(name);
	n = strlen(b->paths.inputpath) + strlen(name) + 2;
	s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s", b->paths.inputpath, name);
	return s;
}

int boot_read_range(const char *path, uint64_t off, void *buf, size_t len, struct diag *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t done = 0;
	int r = 0;

	if (fd < 0)
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	while (done < len) {
		ssize_t n = pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0) {
			r = diag_fail(d, -EIO, "%s: shorter than expected (changed while reading?)",
				      path);
			break;
		}
		done += (size_t)n;
	}
	close(fd);
	return r;
}

int boot_read_file(const char *path, uint64_t max, uint8_t **ret, size_t *ret_len,
		   struct diag *d)
{
	struct stat st;
	uint8_t *buf;
	int r;

	if (stat(path, &st))
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return diag_fail(d, -EINVAL, "%s: not a regular file", path);
	if ((uint64_t)st.st_size > max)
		return diag_fail(d, -EFBIG, "%s: %llu bytes, more than the %llu allowed", path,
				 (unsigned long long)st.st_size, (unsigned long long)max);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return diag_fail(d, -ENOMEM, "out of memory");
	r = boot_read_range(path, 0, buf, (size_t)st.st_size, d);
	if (r) {
		free(buf);
		return r;
	}
	buf[st.st_size] = 0;
	*ret = buf;
	*ret_len = (size_t)st.st_size;
	return 0;
}

int boot_expand(struct build *b, const char *in, size_t inlen, const char *what,
		unsigned *ret_pending, char **ret, size_t *ret_len, struct diag *d)
{
	char bad[160];
	int r = ret_pending ? vars_expand_pending(b, in, inlen, ret_pending, ret, ret_len, bad,
						  sizeof(bad))
			    : vars_expand(b, in, inlen, ret, ret_len, bad, sizeof(bad));

	switch (r) {
	case 0:
		return 0;
	case -ENOENT:
		return diag_fail(d, r, "%s: ${%s} is not defined (not in vars, not in the environment; $${ for U-Boot's own ${)",
				 what, bad);
	case -EINVAL:
		return diag_fail(d, r, "%s: malformed variable reference \"%s\" (write ${NAME}; $${ for U-Boot's own ${)",
				 what, bad);
	case -E2BIG:
		return diag_fail(d, r, "%s: expanded text too large", what);
	default:
		return vars_ref_fail(r, what, bad, d) ?: diag_fail(d, r, "out of memory");
	}
}

int boot_image_bytes(struct build *b, struct image *c, uint64_t max, uint8_t **ret,
		     struct diag *d)
{
	struct sink *m = NULL;
	const uint8_t *data;
	uint64_t len;
	uint8_t *buf;
	size_t n;
	int r;

	if (c->size > max)
		return diag_fail(d, -EFBIG, "image '%s': %llu bytes, more than the %llu kiln reads into memory",
				 c->name, (unsigned long long)c->size, (unsigned long long)max);
	if (c->input_only) {
		r = boot_read_file(c->outfile, max, &buf, &n, d);
		if (r)
			return r;
		if (n != c->size) {
			free(buf);
			return diag_fail(d, -EIO, "%s: size changed since planning", c->outfile);
		}
		*ret = buf;
		return 0;
	}
	/* Its own inputs must exist already: not images of this run. */
	for (unsigned k = 0; k < c->ndeps; k++)
		if (c->deps[k].img && !c->deps[k].img->input_only)
			return diag_fail(d, -EINVAL,
					 "image '%s' is needed at plan time but is made from image '%s' of this run",
					 c->name, c->deps[k].img->name);
	buf = calloc(1, c->size ? c->size : 1);
	if (!buf || sink_mem_new(&m, c->size)) {
		free(buf);
		return diag_fail(d, -ENOMEM, "out of memory");
	}
	r = c->handler->generate(b, c, m, d);
	if (r) {
		if (d && !d->err)
			diag_fail(d, r, "%s", strerror(-r));
		diag_context(d, "image '%s'", c->name);
		goto out;
	}
	data = sink_mem_data(m, &len);
	memcpy(buf, data, len < c->size ? len : c->size);
	*ret = buf;
	buf = NULL;
out:
	sink_release(m);
	free(buf);
	return r;
}
