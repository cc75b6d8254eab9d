/* SPDX-License-Identifier: MIT */
#include "plan/derived-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/diag.h"
#include "base/hash.h"
#include "boot/gzip.h"
#include "plan/bootutil.h"
#include "plan/build.h"
#include "store/store.h"

/* Largest derived blob read back into memory (FIT payloads are held in
 * memory anyway; GZIP_INPUT_MAX bounds their input). */
#define DERIVED_MAX (UINT64_C(1) << 31)

/* The key of gzip'd bytes whose SHA-256 is @ih. */
static int gzip_key(const uint8_t ih[SHA256_LEN], uint8_t key[SHA256_LEN])
{
	static const char tag[] = "kiln gzip 2";
	const char *zv = zlibVersion();
	const uint32_t level = GZIP_LEVEL, block = GZIP_BLOCK;
	struct sha256_ctx c;
	int r = sha256_init(&c);

	if (r)
		return r;
	if (!(r = sha256_update(&c, tag, sizeof(tag))) && !(r = sha256_update(&c, &level, 4)) &&
	    !(r = sha256_update(&c, &block, 4)) &&
	    !(r = sha256_update(&c, zv, strlen(zv) + 1)) &&
	    !(r = sha256_update(&c, ih, SHA256_LEN)))
		r = sha256_final(&c, key);
	sha256_release(&c);
	return r;
}

/* The blob named by the record for @key, read whole; -ENOENT on a miss. */
static int load(struct store *s, const uint8_t key[SHA256_LEN], uint8_t **ret, size_t *ret_len,
		struct diag *q)
{
	struct stat st;
	uint8_t *buf = NULL;
	void *val = NULL;
	size_t len = 0, got = 0;
	int fd = -1, r;

	r = store_ac_get(s, key, &val, &len, q);
	if (r)
		return r;
	r = len == SHA256_LEN ? store_open_blob(s, val, true, &fd, q) : -ENOENT;
	free(val);
	if (r)
		return r;
	r = -ENOENT;
	if (fstat(fd, &st) || (uint64_t)st.st_size > DERIVED_MAX ||
	    !(buf = malloc(st.st_size ? (size_t)st.st_size : 1)))
		goto out;
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			goto out;
		got += (size_t)k;
	}
	*ret = buf;
	*ret_len = got;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

static void save(struct store *s, const uint8_t key[SHA256_LEN], const uint8_t *gz, size_t len,
		 struct diag *d)
{
	struct store_writer *w = NULL;
	uint8_t blob[SHA256_LEN];
	struct diag q = { .warn = d ? d->warn : NULL, .userdata = d ? d->userdata : NULL };
	int r = store_writer_new(s, &w, &q);

	if (!r)
		r = store_writer_write(w, gz, len, &q);
	if (!r)
		r = store_writer_commit(w, NULL, blob, &q);
	store_writer_free(w);
	if (!r)
		r = store_ac_put(s, key, blob, SHA256_LEN, &q);
	if (r)
		diag_warn(d, "gzip'd payload not kept in the build cache: %s",
			  q.msg[0] ? q.msg : strerror(-r));
}

int derived_gzip(struct build *b, const void *in, size_t len, uint8_t **ret, size_t *ret_len,
		 struct diag *d)
{
	struct diag q = { .warn = d ? d->warn : NULL, .userdata = d ? d->userdata : NULL };
	uint8_t ih[SHA256_LEN], key[SHA256_LEN];
	bool keyed = b->store && !sha256_buf(in, len, ih) && !gzip_key(ih, key);
	int r;

	if (keyed && !load(b->store, key, ret, ret_len, &q)) {
		diag_note(d, "gzip'd payload (%zu bytes) from the build cache", len);
		return 0;
	}
	r = gzip_buf(in, len, b->jobs, ret, ret_len);
	if (!r && keyed)
		save(b->store, key, *ret, *ret_len, d);
	return r;
}

int derived_gzip_file(struct build *b, const char *path, uint64_t max, uint8_t **ret,
		      size_t *ret_len, struct diag *d)
{
	struct diag q = { .warn = d ? d->warn : NULL, .userdata = d ? d->userdata : NULL };
	uint8_t ih[SHA256_LEN], key[SHA256_LEN], *raw;
	size_t rl;
	int fd, r;

	/* The content hash from the stat index: a hit reads nothing of the
	 * file (a kernel is most of what a no-op rebuild would read). Any
	 * failure here is a miss; reading the file reports it. */
	fd = b->store ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		struct stat st;
		bool hit = !store_file_hash(b->store, fd, path, ih, &st, &q) &&
			   (uint64_t)st.st_size <= max && !gzip_key(ih, key) &&
			   !load(b->store, key, ret, ret_len, &q);

		close(fd);
		if (hit) {
			diag_note(d, "gzip'd payload of %s from the build cache", path);
			return 0;
		}
	}
	r = boot_read_file(path, max, &raw, &rl, d);
	if (r)
		return r;
	r = derived_gzip(b, raw, rl, ret, ret_len, d);
	free(raw);
	return r;
}
