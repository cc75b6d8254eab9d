/* SPDX-License-Identifier: MIT */
#ifndef KILN_PKG_RELEASE_H
#define KILN_PKG_RELEASE_H

/*
 * A repository's Release file (the signed part of InRelease) and gpgv's
 * verdict on its signature. Pure parsers, no I/O (fuzzed by fuzz_lock).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hash.h"

struct diag;

#define RELEASE_MAX_FILES 100000

struct release_file {
	char *path;                 /* relative to the dists/SUITE directory */
	uint64_t size;
	uint8_t sha256[SHA256_LEN];
};

struct release {
	char *date;                 /* Date, as written */
	int64_t date_t;             /* parsed */
	int64_t valid_until;        /* -1: none */
	struct release_file *files; /* the SHA256 field */
	unsigned nfiles;
};

/*
 * release_parse - parse Release text. Date is required (apt requires it
 * too); only the SHA256 list is kept (MD5Sum/SHA1 are not trusted).
 * Returns 0, -EINVAL (the message names the line), -E2BIG, -ENOMEM.
 */
int release_parse(const char *buf, size_t len, const char *name, struct release *ret,
		  struct diag *d);
void release_release(struct release *r);

/* The entry for @path, or NULL. */
const struct release_file *release_find(const struct release *r, const char *path);

/* release_parse_date - RFC 2822 date as in Release ("Sat, 10 Jun 2023
 * 08:53:31 UTC"). 0 or -EINVAL. */
int release_parse_date(const char *s, int64_t *ret);

/*
 * gpgv's --status-fd output judged with apt's rules: trusted only if
 * some signature is GOODSIG + VALIDSIG with a strong digest, and no
 * signature is BADSIG. Otherwise -EPERM with the reason in @d (bad
 * signature, unknown key, expired or revoked key, weak digest).
 */
int release_check_gpgv_status(const char *buf, size_t len, const char *keyring, struct diag *d);

#endif
