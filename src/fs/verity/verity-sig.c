/* SPDX-License-Identifier: MIT */
/* The DPS verity signature JSON (verity-sig.h), signed with libcrypto's
 * CMS: no openssl program, no signing time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/diag.h"
#include "base/hash.h"
#include "fs/verity/verity-sig.h"

struct verity_signer {
	X509 *cert;
	EVP_PKEY *key;
	char fingerprint[2 * SHA256_LEN + 1];
};

static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *s = e ? ERR_reason_error_string(e) : NULL;

	return s ? s : "unknown OpenSSL error";
}

static BIO *open_file(const char *path, struct diag *d)
{
	BIO *b = BIO_new_file(path, "rb");

	if (!b)
		diag_fail(d, -ENOENT, "%s: cannot be read", path);
	return b;
}

int verity_signer_load(struct verity_signer **ret, const char *cert_path, const char *key_path,
		       struct diag *d)
{
	struct verity_signer *s = calloc(1, sizeof(*s));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	BIO *b;
	int r = -EINVAL;

	if (!s)
		return diag_fail(d, -ENOMEM, "out of memory");
	ERR_clear_error();
	if (!(b = open_file(cert_path, d))) {
		r = -ENOENT;
		goto fail;
	}
	s->cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (!s->cert && BIO_reset(b) == 0)
		s->cert = d2i_X509_bio(b, NULL);
	BIO_free(b);
	if (!s->cert) {
		diag_fail(d, -EINVAL, "%s: not an X.509 certificate (PEM or DER)", cert_path);
		goto fail;
	}
	if (!(b = open_file(key_path, d))) {
		r = -ENOENT;
		goto fail;
	}
	s->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	if (!s->key && BIO_reset(b) == 0)
		s->key = d2i_PrivateKey_bio(b, NULL);
	BIO_free(b);
	if (!s->key) {
		diag_fail(d, -EINVAL, "%s: not an unencrypted private key (PEM or DER)", key_path);
		goto fail;
	}
	if (X509_check_private_key(s->cert, s->key) != 1) {
		diag_fail(d, -EINVAL, "%s: not the private key of the certificate %s", key_path,
			  cert_path);
		goto fail;
	}
	if (X509_digest(s->cert, EVP_sha256(), md, &mdlen) != 1 || mdlen != SHA256_LEN) {
		diag_fail(d, -EIO, "%s: fingerprint: %s", cert_path, ssl_reason());
		r = -EIO;
		goto fail;
	}
	hex_encode(md, mdlen, s->fingerprint);
	*ret = s;
	return 0;
fail:
	verity_signer_free(s);
	return r;
}

int verity_sig_json(struct verity_signer *s, const char *root_hex, char **ret, size_t *ret_len,
		    struct diag *d)
{
	static const char fmt[] = "{\"rootHash\":\"%s\",\"certificateFingerprint\":\"%s\",\"signature\":\"%s\"}";
	BIO *in = NULL, *der = NULL;
	CMS_ContentInfo *cms = NULL;
	unsigned char *b64 = NULL;
	const unsigned char *p;
	char *json = NULL;
	long dlen;
	int n, r = -EIO;

	ERR_clear_error();
	in = BIO_new_mem_buf(root_hex, (int)strlen(root_hex));
	der = BIO_new(BIO_s_mem());
	if (!in || !der)
		goto ssl;
	/* openssl cms -sign -binary -noattr: detached, the hex as is. */
	cms = CMS_sign(s->cert, s->key, NULL, in, CMS_DETACHED | CMS_BINARY | CMS_NOATTR);
	if (!cms || i2d_CMS_bio(der, cms) != 1)
		goto ssl;
	dlen = BIO_get_mem_data(der, (char **)&p);
	if (dlen <= 0 || dlen > (1 << 20))
		goto ssl;
	b64 = malloc((size_t)(dlen + 2) / 3 * 4 + 1);
	if (!b64) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	EVP_EncodeBlock(b64, p, (int)dlen);
	n = snprintf(NULL, 0, fmt, root_hex, s->fingerprint, (char *)b64);
	json = malloc((size_t)n + 1);
	if (!json) {
		r = diag_fail(d, -ENOMEM, "out of memory");
		goto out;
	}
	snprintf(json, (size_t)n + 1, fmt, root_hex, s->fingerprint, (char *)b64);
	*ret = json;
	*ret_len = (size_t)n;
	json = NULL;
	r = 0;
	goto out;
ssl:
	r = diag_fail(d, -EIO, "signing the root hash: %s", ssl_reason());
out:
	free(json);
	free(b64);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(der);
	return r;
}

void verity_signer_free(struct verity_signer *s)
{
	if (!s)
		return;
	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	free(s);
}
