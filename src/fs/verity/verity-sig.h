/* SPDX-License-Identifier: MIT */
#ifndef KILN_FS_VERITY_SIG_H
#define KILN_FS_VERITY_SIG_H

/*
 * The verity signature partition of the Discoverable Partitions
 * Specification, as genimage's verity-sig writes it: one JSON object
 *
 *   {"rootHash":"HEX","certificateFingerprint":"HEX","signature":"BASE64"}
 *
 * NUL-padded to a multiple of 4096 bytes. The signature is a detached
 * PKCS#7/CMS SignedData over the root hash's hex string (no newline),
 * with the signer's certificate and no signed attributes (no signing
 * time: `openssl cms -sign -noattr -binary`, what systemd checks);
 * the fingerprint is sha256 of the certificate's DER.
 */

#include <stddef.h>
#include <stdint.h>

struct diag;
struct verity_signer;

/*
 * verity_signer_load - read an X.509 certificate and its private key
 * (PEM or DER files). Errors: -EINVAL naming the file that does not
 * parse, or when the key does not belong to the certificate; -errno
 * when a file cannot be read.
 */
int verity_signer_load(struct verity_signer **ret, const char *cert_path, const char *key_path,
		       struct diag *d);

/*
 * verity_sig_json - the JSON object (not padded, no NUL) for @root_hex,
 * malloc'd into *ret with its length. RSA signatures are deterministic;
 * ECDSA ones are not (OpenSSL draws a random nonce). -EIO with
 * OpenSSL's reason when signing fails.
 */
int verity_sig_json(struct verity_signer *s, const char *root_hex, char **ret, size_t *ret_len,
		    struct diag *d);

void verity_signer_free(struct verity_signer *s);

#endif
