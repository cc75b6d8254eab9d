/* SPDX-License-Identifier: MIT */
#ifndef KILN_PKG_NET_H
#define KILN_PKG_NET_H

/* Internal to src/pkg: getting bytes from a repository and checking
 * signatures. */

#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"

struct diag;
struct pkg_net_opts;
struct store;

/*
 * pkg_local_path - the host path of @url when it is local (file://PATH
 * or a plain path), malloc'd; NULL when it is remote (or out of memory:
 * *ret_err is set then).
 */
char *pkg_local_path(const char *url, int *ret_err);

/* pkg_url_join - "@base/@rel" (one slash between), malloc'd or NULL. */
char *pkg_url_join(const char *base, const char *rel);

/*
 * pkg_get - the whole of @url in memory (NUL terminated, at most @max
 * bytes). -ENOENT when the server or file system says it does not exist
 * (the diag is still set: callers may try another name); other errors
 * name the URL.
 */
int pkg_get(const char *url, uint64_t max, const struct pkg_net_opts *o, char **ret,
	    size_t *ret_len, struct diag *d);

/* pkg_net_stall_time - o->stall_time or its default (seconds). */
long pkg_net_stall_time(const struct pkg_net_opts *o);

/* One file to download into the store. */
struct pkg_dl {
	const char *url;
	uint64_t size;
	const uint8_t *sha256;
};

/*
 * pkg_download - put every file of @v into @s, at most o->parallel at
 * once, each verified (size, SHA-256) before it enters the store. A
 * transfer that fails transiently (connection lost, stalled for
 * o->stall_time, HTTP 408, 429 or 5xx) is tried again up to o->retries
 * times after a pause (1 s, doubling, or the server's Retry-After; at
 * most 60 s), resuming with a Range request; a server that answers it
 * with the whole file is read again from the start, which is not another
 * attempt. Stops at the first failure (others in flight are aborted,
 * nothing partial is kept) and names its URL: -EIO, -ENOENT (404, 410),
 * -EBADMSG (size or SHA-256 differs from @v), -ENOMEM, store errors.
 */
int pkg_download(const struct pkg_dl *v, unsigned n, struct store *s,
		 const struct pkg_net_opts *o, struct diag *d);

/*
 * pkg_gpgv - check @data against @sig (detached; Release.gpg), or the
 * clearsigned @data itself when @sig is NULL (InRelease), with gpgv and
 * only @keyring. On success *ret_signed is the text that was signed
 * (malloc'd, NUL terminated). -EPERM when not trusted, naming @what and
 * gpgv's reason.
 */
int pkg_gpgv(const char *gpgv, const char *keyring, const char *what, const void *data,
	     size_t dlen, const void *sig, size_t siglen, char **ret_signed, size_t *ret_len,
	     struct diag *d);

/* pkg_decompress - @buf (xz, gzip, zstd or plain, by @name's suffix) into a
 * malloc'd NUL-terminated buffer of at most @max bytes. */
int pkg_decompress(const char *name, const void *buf, size_t len, uint64_t max, char **ret,
		   size_t *ret_len, struct diag *d);

#endif
