/* SPDX-License-Identifier: MIT */
/* A RAUC bundle signed again with a fixed signing time (see rauc-sign.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/diag.h"
#include "base/endian.h"
#include "plan/rauc-sign.h"
#include "plan/rauc-verity.h"

#define CHUNK (1u << 16)

/* The last OpenSSL error's text, or @dflt. */
static const char *ossl_reason(const char *dflt)
{
	unsigned long e = ERR_peek_last_error();
	const char *s = e ? ERR_reason_error_string(e) : NULL;

	return s ? s : dflt;
}

/* A key that asks for a passphrase fails instead of prompting. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int load_certs(const char *file, STACK_OF(X509) *to, X509 **ret_first, struct diag *d)
{
	BIO *b = BIO_new_file(file, "r");
	X509 *x;
	int n = 0;

	if (!b)
		return diag_fail(d, -errno ? -errno : -EINVAL, "%s: cannot open", file);
	while ((x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL))) {
		if (ret_first && !n)
			*ret_first = x;
		else if (!sk_X509_push(to, x)) {
			X509_free(x);
			BIO_free(b);
			return diag_fail(d, -ENOMEM, "out of memory");
		}
		n++;
	}
	BIO_free(b);
	ERR_clear_error();
	return n ? 0 : diag_fail(d, -EINVAL, "%s: no PEM certificate", file);
}

static int load_key(const char *file, EVP_PKEY **ret, struct diag *d)
{
	BIO *b = BIO_new_file(file, "r");

	if (!b)
		return diag_fail(d, -errno ? -errno : -EINVAL, "%s: cannot open", file);
	*ret = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	if (*ret)
		return 0;
	ERR_clear_error();
	return diag_fail(d, -ENOKEY, "%s: not a PEM private key kiln can read without a passphrase",
			 file);
}

/* Feed @len bytes of @fd from 0 (or the buffer @mem) through the CMS's digest. */
static int feed(BIO *cmsbio, int fd, const void *mem, uint64_t len, const char *path,
		struct diag *d)
{
	uint8_t buf[CHUNK];

	if (mem)
		return BIO_write(cmsbio, mem, (int)len) == (int)len ? 0 :
			diag_fail(d, -EIO, "%s: signing: %s", path, ossl_reason("write"));
	for (uint64_t off = 0; off < len;) {
		size_t want = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
		ssize_t got = pread(fd, buf, want, (off_t)off);

		if (got <= 0)
			return diag_fail(d, got < 0 ? -errno : -EIO, "%s: read: %s", path,
					 got < 0 ? strerror(errno) : "short read");
		if (BIO_write(cmsbio, buf, (int)got) != (int)got)
			return diag_fail(d, -EIO, "%s: signing: %s", path, ossl_reason("write"));
		off += (uint64_t)got;
	}
	return 0;
}

/* Sign @len bytes (file @fd or @mem) into a new CMS; detached unless @mem. */
static int sign(CMS_ContentInfo **ret, X509 *cert, EVP_PKEY *key, STACK_OF(X509) *chain,
		int64_t epoch, int fd, const void *mem, uint64_t len, const char *path,
		struct diag *d)
{
	unsigned flags = CMS_BINARY | CMS_NOSMIMECAP | (mem ? 0 : CMS_DETACHED);
	CMS_ContentInfo *cms = CMS_sign(cert, key, chain, NULL, flags | CMS_PARTIAL);
	CMS_SignerInfo *si;
	ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)epoch);
	BIO *cmsbio = NULL;
	int r = -EINVAL;

	if (!cms || !t || !(si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0)))
		goto fail;
	/* Present before signing, so OpenSSL does not add the clock's. */
	if (!CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, t->type, t, -1))
		goto fail;
	if (!(cmsbio = CMS_dataInit(cms, NULL)))
		goto fail;
	if ((r = feed(cmsbio, fd, mem, len, path, d)))
		goto out;
	r = -EINVAL;
	if (BIO_flush(cmsbio) <= 0 || !CMS_dataFinal(cms, cmsbio))
		goto fail;
	BIO_free_all(cmsbio);
	ASN1_TIME_free(t);
	*ret = cms;
	return 0;
fail:
	r = diag_fail(d, r, "%s: signing: %s", path, ossl_reason("failed"));
out:
	BIO_free_all(cmsbio);
	ASN1_TIME_free(t);
	CMS_ContentInfo_free(cms);
	return r;
}

/* The bundle's trailer: its CMS (DER), parsed, and where it starts. */
static int read_cms(int fd, const char *path, uint64_t *ret_at, CMS_ContentInfo **ret,
		    struct diag *d)
{
	struct stat st;
	uint8_t len8[8], *der = NULL;
	const unsigned char *p;
	uint64_t n, size;
	int r = 0;

	if (fstat(fd, &st))
		return diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	size = (uint64_t)st.st_size;
	if (size < 8 || pread(fd, len8, 8, (off_t)(size - 8)) != 8)
		return diag_fail(d, -EINVAL, "%s: no signature size at the end", path);
	n = get_be64(len8);
	if (!n || n > RAUC_CMS_MAX || n > size - 8)
		return diag_fail(d, -EINVAL, "%s: signature size %llu out of range", path,
				 (unsigned long long)n);
	der = malloc(n);
	if (!der)
		return diag_fail(d, -ENOMEM, "out of memory");
	if (pread(fd, der, n, (off_t)(size - 8 - n)) != (ssize_t)n) {
		r = diag_fail(d, -EIO, "%s: cannot read the signature", path);
		goto out;
	}
	p = der;
	*ret = d2i_CMS_ContentInfo(NULL, &p, (long)n);
	if (!*ret)
		r = diag_fail(d, -EINVAL, "%s: the signature is not a CMS structure", path);
	*ret_at = size - 8 - n;
out:
	free(der);
	return r;
}

static int write_cms(int fd, const char *path, uint64_t at, CMS_ContentInfo *cms,
		     struct diag *d)
{
	unsigned char *der = NULL;
	int n = i2d_CMS_ContentInfo(cms, &der);
	uint8_t len8[8];
	int r = 0;

	if (n <= 0)
		return diag_fail(d, -ENOMEM, "%s: cannot encode the signature", path);
	put_be64(len8, (uint64_t)n);
	if (pwrite(fd, der, (size_t)n, (off_t)at) != n ||
	    pwrite(fd, len8, 8, (off_t)(at + (uint64_t)n)) != 8 ||
	    ftruncate(fd, (off_t)(at + (uint64_t)n + 8)))
		r = diag_fail(d, -errno ? -errno : -EIO, "%s: %s", path, strerror(errno));
	OPENSSL_free(der);
	return r;
}

int rauc_resign(const char *path, const char *cert, const char *key, char *const *inter,
		unsigned ninter, int64_t epoch, const uint8_t verity_salt[RAUC_VERITY_SALT],
		struct diag *d)
{
	CMS_ContentInfo *old = NULL, *cms = NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	ASN1_OCTET_STRING **content;
	X509 *signer = NULL;
	EVP_PKEY *pkey = NULL;
	uint64_t at = 0;
	int fd, r;

	if (!chain)
		return diag_fail(d, -ENOMEM, "out of memory");
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	r = read_cms(fd, path, &at, &old, d);
	if (!r)
		r = load_certs(cert, chain, &signer, d);
	for (unsigned i = 0; !r && i < ninter; i++)
		r = load_certs(inter[i], chain, NULL, d);
	if (!r)
		r = load_key(key, &pkey, d);
	if (r)
		goto out;
	/* verity and crypt bundles embed the manifest; plain ones sign the payload. */
	content = CMS_get0_content(old);
	if (content && *content) {
		const char *m = (const char *)ASN1_STRING_get0_data(*content);
		size_t len = (size_t)ASN1_STRING_length(*content);
		char *resalted = NULL;

		r = rauc_verity_resalt(fd, path, at, m, len, verity_salt, &resalted, &len, d);
		if (!r)
			r = sign(&cms, signer, pkey, chain, epoch, -1, resalted ? resalted : m, len,
				 path, d);
		free(resalted);
	} else {
		r = sign(&cms, signer, pkey, chain, epoch, fd, NULL, at, path, d);
	}
	if (!r)
		r = write_cms(fd, path, at, cms, d);
out:
	ERR_clear_error();
	CMS_ContentInfo_free(cms);
	CMS_ContentInfo_free(old);
	EVP_PKEY_free(pkey);
	X509_free(signer);
	sk_X509_pop_free(chain, X509_free);
	if (fd >= 0 && close(fd) && !r)
		r = diag_fail(d, -errno, "%s: %s", path, strerror(errno));
	return r;
}
