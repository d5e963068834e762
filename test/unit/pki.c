#include "pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static void die(const char *what)
{
	fprintf(stderr, "test setup failed: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(2);
}

EVP_PKEY *pki_key(enum pki_key_type type)
{
	EVP_PKEY *k = NULL;

	switch (type) {
	case PKI_EC256: k = EVP_EC_gen("P-256"); break;
	case PKI_EC384: k = EVP_EC_gen("P-384"); break;
	case PKI_RSA2048: k = EVP_RSA_gen(2048); break;
	case PKI_ED25519: k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
	}
	if (k == NULL)
		die("key generation");
	return k;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL || !X509_add_ext(cert, ext, -1))
		die(value);
	X509_EXTENSION_free(ext);
}

X509 *pki_cert(const struct pki_cert_opts *o)
{
	X509 *c = X509_new();
	X509 *issuer;
	X509_NAME *name = X509_NAME_new();
	EVP_PKEY *signing_key = o->issuer ? o->issuer_key : o->key;
	const EVP_MD *md = EVP_PKEY_get_base_id(signing_key) == EVP_PKEY_ED25519 ?
	    NULL : EVP_sha256();
	char eku[64] = "";

	if (c == NULL || name == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)o->cn, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"OCSP unit tests", -1, -1, 0))
		die("certificate name");
	issuer = o->issuer ? o->issuer : c;
	if (!X509_set_version(c, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(c), o->serial) ||
	    !X509_set_subject_name(c, name) ||
	    !X509_set_issuer_name(c, X509_get_subject_name(issuer)) ||
	    !ASN1_TIME_set(X509_getm_notBefore(c), (time_t)o->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(c), (time_t)o->not_after) ||
	    !X509_set_pubkey(c, o->key))
		die("certificate fields");
	X509_NAME_free(name);
	add_ext(c, issuer, NID_subject_key_identifier, "hash");
	if (o->issuer != NULL)
		add_ext(c, issuer, NID_authority_key_identifier, "keyid:always");
	if (o->ca) {
		add_ext(c, issuer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c, issuer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
	} else {
		add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(c, issuer, NID_key_usage, "critical,digitalSignature");
	}
	if (o->ocsp_signing)
		snprintf(eku, sizeof(eku), "OCSPSigning");
	if (o->server_auth)
		snprintf(eku + strlen(eku), sizeof(eku) - strlen(eku), "%sserverAuth",
		    eku[0] ? "," : "");
	if (eku[0] != '\0')
		add_ext(c, issuer, NID_ext_key_usage, eku);
	if (o->nocheck)
		add_ext(c, issuer, NID_id_pkix_OCSP_noCheck, "ignored");
	if (!X509_sign(c, signing_key, md))
		die("certificate signature");
	return c;
}

const char *pki_write_cert(X509 *cert, const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || !PEM_write_X509(f, cert) || fclose(f) != 0)
		die(path);
	return path;
}

const char *pki_write_key(EVP_PKEY *key, const char *path, const char *pass,
    int traditional)
{
	BIO *bio = BIO_new_file(path, "w");
	const EVP_CIPHER *cipher = pass ? EVP_aes_256_cbc() : NULL;
	int ok;

	if (bio == NULL)
		die(path);
	if (traditional)
		ok = PEM_write_bio_PrivateKey_traditional(bio, key, cipher,
		    (unsigned char *)pass, pass ? (int)strlen(pass) : 0, NULL, NULL);
	else
		ok = PEM_write_bio_PKCS8PrivateKey(bio, key, cipher, (char *)pass,
		    pass ? (int)strlen(pass) : 0, NULL, NULL);
	if (!ok || BIO_free(bio) != 1)
		die(path);
	/* As the openssl CLI writes private keys; the signer refuses others. */
	if (chmod(path, 0600) != 0)
		die(path);
	return path;
}

OCSP_CERTID *pki_certid_bytes(const EVP_MD *md, X509 *issuer,
    const uint8_t *serial, size_t n, int neg)
{
	BIGNUM *bn = BN_bin2bn(serial, (int)n, NULL);
	ASN1_INTEGER *ai;
	OCSP_CERTID *id;

	if (bn == NULL)
		die("serial");
	BN_set_negative(bn, neg);
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	if (ai == NULL)
		die("serial");
	id = OCSP_cert_id_new(md, X509_get_subject_name(issuer),
	    X509_get0_pubkey_bitstr(issuer), ai);
	if (id == NULL)
		die("CertID");
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return id;
}

OCSP_CERTID *pki_certid(const EVP_MD *md, X509 *issuer, long serial)
{
	uint8_t b[8];
	unsigned long v = serial < 0 ? -(unsigned long)serial : (unsigned long)serial;

	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
	return pki_certid_bytes(md, issuer, b, 8, serial < 0);
}

uint8_t *pki_request_der(OCSP_REQUEST *req, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_OCSP_REQUEST(req, &der);
	uint8_t *copy;

	if (n <= 0)
		die("request encoding");
	copy = malloc((size_t)n);
	if (copy == NULL)
		die("out of memory");
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return copy;
}
