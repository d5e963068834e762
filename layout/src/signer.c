#include "ocsp/signer.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ocsp/fsutil.h"
#include "ocsp/pem.h"

enum sig_kind { SIG_DIGEST_THEN_SIGN, SIG_ONESHOT };

struct signer {
	X509 *cert;
	EVP_PKEY *key;
	enum sig_kind kind;
	EVP_MD *md;		/* digest for SIG_DIGEST_THEN_SIGN, fetched once */
	const uint8_t *algid;
	size_t algid_len;
	char desc[32];
};

struct signer_ctx {
	const struct signer *s;
	EVP_PKEY_CTX *pctx;	/* reused for every signature */
	EVP_MD_CTX *mctx;	/* the digest, or Ed25519's one-shot signing */
};

static const uint8_t alg_rsa_sha256[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86,
	0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
static const uint8_t alg_ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
	0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t alg_ecdsa_sha384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
	0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
static const uint8_t alg_ecdsa_sha512[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
	0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 };
static const uint8_t alg_ed25519[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };

/* Never prompt: a key that needs a passphrase is an error here. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	int *asked = u;

	*asked = 1;
	return -1;
}

static int load_key(const char *path, EVP_PKEY **out, struct err *e)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *bio;
	int asked = 0;

	if (fs_read_file(path, PEM_FILE_MAX, &pem, &len, e) != 0)
		return -1;
	bio = BIO_new_mem_buf(pem, (int)len);
	*out = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_password, &asked) : NULL;
	BIO_free(bio);
	OPENSSL_cleanse(pem, len);
	free(pem);
	if (*out == NULL && asked)
		return err_set(e, "%s: the key is encrypted; give an unencrypted PEM key", path);
	if (*out == NULL)
		return err_ssl(e, "%s: no PEM private key", path);
	return 0;
}

static int choose_algorithm(struct signer *s, struct err *e)
{
	int bits = EVP_PKEY_get_bits(s->key);

	switch (EVP_PKEY_get_base_id(s->key)) {
	case EVP_PKEY_RSA:
		s->kind = SIG_DIGEST_THEN_SIGN;
		s->md = EVP_MD_fetch(NULL, "SHA256", NULL);
		s->algid = alg_rsa_sha256;
		s->algid_len = sizeof(alg_rsa_sha256);
		snprintf(s->desc, sizeof(s->desc), "RSA %d", bits);
		return s->md ? 0 : err_ssl(e, "no SHA-256 digest available");
	case EVP_PKEY_EC:
		/* The digest follows the curve size, as the CA/B Forum asks
		 * (P-256 with SHA-256, P-384 with SHA-384, P-521 with SHA-512). */
		s->kind = SIG_DIGEST_THEN_SIGN;
		if (bits <= 256) {
			s->md = EVP_MD_fetch(NULL, "SHA256", NULL);
			s->algid = alg_ecdsa_sha256;
			s->algid_len = sizeof(alg_ecdsa_sha256);
		} else if (bits <= 384) {
			s->md = EVP_MD_fetch(NULL, "SHA384", NULL);
			s->algid = alg_ecdsa_sha384;
			s->algid_len = sizeof(alg_ecdsa_sha384);
		} else {
			s->md = EVP_MD_fetch(NULL, "SHA512", NULL);
			s->algid = alg_ecdsa_sha512;
			s->algid_len = sizeof(alg_ecdsa_sha512);
		}
		snprintf(s->desc, sizeof(s->desc), "ECDSA P-%d", bits);
		return s->md ? 0 : err_ssl(e, "no SHA-2 digest available");
	case EVP_PKEY_ED25519:
		s->kind = SIG_ONESHOT;
		s->algid = alg_ed25519;
		s->algid_len = sizeof(alg_ed25519);
		snprintf(s->desc, sizeof(s->desc), "Ed25519");
		return 0;
	default:
		return err_set(e, "unsupported key type (use RSA, ECDSA or Ed25519)");
	}
}

int signer_load_pem(const char *cert_path, const char *key_path,
    struct signer **out, struct err *e)
{
	struct signer *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return err_set(e, "out of memory");
	if (pem_read_cert(cert_path, &s->cert, e) != 0 || load_key(key_path, &s->key, e) != 0)
		goto fail;
	if (X509_check_private_key(s->cert, s->key) != 1) {
		err_ssl(e, "%s: the key does not match the signer certificate %s",
		    key_path, cert_path);
		goto fail;
	}
	if (choose_algorithm(s, e) != 0) {
		err_prefix(e, "%s", key_path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	signer_free(s);
	return -1;
}

void signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	EVP_MD_free(s->md);
	free(s);
}

X509 *signer_cert(const struct signer *s)
{
	return s->cert;
}

const uint8_t *signer_algid(const struct signer *s, size_t *len)
{
	*len = s->algid_len;
	return s->algid;
}

const char *signer_key_desc(const struct signer *s)
{
	return s->desc;
}

struct signer_ctx *signer_ctx_new(const struct signer *s, struct err *e)
{
	struct signer_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	c->s = s;
	c->mctx = EVP_MD_CTX_new();
	if (c->mctx == NULL)
		goto fail;
	if (s->kind == SIG_ONESHOT)
		return c;
	c->pctx = EVP_PKEY_CTX_new(s->key, NULL);
	if (c->pctx == NULL || EVP_PKEY_sign_init(c->pctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(c->pctx, s->md) <= 0)
		goto fail;
	if (EVP_PKEY_get_base_id(s->key) == EVP_PKEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(c->pctx, RSA_PKCS1_PADDING) <= 0)
		goto fail;
	return c;
fail:
	err_ssl(e, "cannot set up a signing context");
	signer_ctx_free(c);
	return NULL;
}

void signer_ctx_free(struct signer_ctx *c)
{
	if (c == NULL)
		return;
	EVP_PKEY_CTX_free(c->pctx);
	EVP_MD_CTX_free(c->mctx);
	free(c);
}

int signer_sign(struct signer_ctx *c, const uint8_t *tbs, size_t tbs_len,
    uint8_t *sig, size_t *sig_len, struct err *e)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	size_t len = SIGNER_MAX_SIG;

	if (c->s->kind == SIG_ONESHOT) {
		if (EVP_DigestSignInit(c->mctx, NULL, NULL, NULL, c->s->key) <= 0 ||
		    EVP_DigestSign(c->mctx, sig, &len, tbs, tbs_len) <= 0)
			return err_ssl(e, "signing failed");
		*sig_len = len;
		return 0;
	}
	if (!EVP_DigestInit_ex2(c->mctx, c->s->md, NULL) ||
	    !EVP_DigestUpdate(c->mctx, tbs, tbs_len) ||
	    !EVP_DigestFinal_ex(c->mctx, md, &md_len) ||
	    EVP_PKEY_sign(c->pctx, sig, &len, md, md_len) <= 0)
		return err_ssl(e, "signing failed");
	*sig_len = len;
	return 0;
}
