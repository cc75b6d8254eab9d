/* SPDX-License-Identifier: MIT */
#ifndef KILN_PLAN_RAUC_SIGN_H
#define KILN_PLAN_RAUC_SIGN_H

/*
 * `rauc bundle` (rauc 1.8) signs with OpenSSL's CMS, whose signed
 * attributes hold the signing time: the wall clock. kiln signs the
 * bundle again, the same way (sha256, no S/MIME capabilities, signer
 * certificate and intermediates included) but with the signing time set
 * to SOURCE_DATE_EPOCH, so that with an RSA key (PKCS#1 v1.5 signatures
 * are a function of the key and the data) the bundle is a function of
 * its inputs.
 */

#include <stdint.h>

#include "plan/rauc-verity.h"

struct diag;

/* Largest CMS kiln reads back from a bundle (rauc's: a few KiB). */
#define RAUC_CMS_MAX (1u << 20)

/*
 * rauc_resign - replace the CMS signature of bundle @path by one made
 * with @cert and @key (PEM files) and the certificates of the PEM files
 * @inter[0..@ninter), signing time @epoch. A detached signature (the
 * `plain` format) covers the bundle's bytes before it; an embedded one
 * (`verity`, `crypt`) signs the content rauc signed (the manifest), in
 * the `verity` format after its hash tree was made again with
 * @verity_salt (rauc-verity.h).
 * The bundle's last 8 bytes (the signature's length, big-endian) are
 * rewritten and the file truncated after them.
 *
 * Returns 0; -EINVAL (no CMS signature at the end of @path, a verity
 * manifest or tree kiln cannot read, a certificate that does not load,
 * or signing fails), -ENOKEY (a key that does not load without a
 * passphrase), -ENOMEM, -errno of a read or write; the path in @d.
 */
int rauc_resign(const char *path, const char *cert, const char *key, char *const *inter,
		unsigned ninter, int64_t epoch, const uint8_t verity_salt[RAUC_VERITY_SALT],
		struct diag *d);

#endif
