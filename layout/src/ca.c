#include "ocsp/ca.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ocsp/der.h"
#include "ocsp/hex.h"
#include "ocsp/pem.h"
#include "ocsp/timefmt.h"

/* Writes name in RFC 2253 form, keeping only printable ASCII other than
 * ';' and '#' so that it can sit in a metadata file and a log line. */
static void name_text(X509_NAME *name, char *out, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int n = 0;

	out[0] = '\0';
	if (bio == NULL)
		return;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0)
		n = BIO_read(bio, out, (int)size - 1);
	BIO_free(bio);
	if (n < 0)
		n = 0;
	out[n] = '\0';
	for (int i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f ||
		    out[i] == ';' || out[i] == '#')
			out[i] = '?';
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
	if (out[0] == ' ')
		out[0] = '?';
}

int ca_open(const char *issuer_path, struct ca **out, struct err *e)
{
	struct ca *ca = calloc(1, sizeof(*ca));

	if (ca == NULL)
		return err_set(e, "out of memory");
	if (pem_read_cert(issuer_path, &ca->issuer, e) != 0)
		goto fail;
	for (int alg = 0; alg < HASH_COUNT; alg++)
		if (certid_issuer_hash(ca->issuer, alg, &ca->hash[alg], e) != 0)
			goto fail;
	tree_issuer_dir(ca->dir, ca->hash[HASH_SHA1].key);
	name_text(X509_get_subject_name(ca->issuer), ca->subject, sizeof(ca->subject));
	*out = ca;
	return 0;
fail:
	ca_free(ca);
	return -1;
}

void ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->issuer);
	signer_free(ca->signer);
	free(ca->certs);
	free(ca);
}

static int same_key(X509 *a, X509 *b)
{
	return EVP_PKEY_eq(X509_get0_pubkey(a), X509_get0_pubkey(b)) == 1;
}

/* A delegated responder: issued and signed by the CA, with OCSPSigning. */
static int check_delegated(struct ca *ca, X509 *cert, struct err *e)
{
	if (X509_check_issued(ca->issuer, cert) != X509_V_OK)
		return err_set(e, "the signer certificate was not issued by %s", ca->subject);
	if (X509_verify(cert, X509_get0_pubkey(ca->issuer)) != 1)
		return err_ssl(e, "the signer certificate's signature does not verify with the key of %s",
		    ca->subject);
	if (!(X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(cert) & XKU_OCSP_SIGN))
		return err_set(e, "the signer certificate lacks the id-kp-OCSPSigning "
		    "extended key usage, so clients will not accept it for %s", ca->subject);
	if (X509_get_ext_by_NID(cert, NID_id_pkix_OCSP_noCheck, -1) < 0)
		snprintf(ca->warning, sizeof(ca->warning), "the delegated signer certificate has no "
		    "id-pkix-ocsp-nocheck extension (the CA/B Forum requires it)");
	return 0;
}

/* Encodes [0] EXPLICIT SEQUENCE { cert } once, for every response. */
static int encode_certs(struct ca *ca, X509 *cert, struct err *e)
{
	uint8_t *der = NULL;
	int n = i2d_X509(cert, &der);
	size_t cap;
	struct der d;

	if (n <= 0)
		return err_ssl(e, "cannot encode the signer certificate");
	cap = (size_t)n + 16;
	ca->certs = malloc(cap);
	if (ca->certs == NULL) {
		OPENSSL_free(der);
		return err_set(e, "out of memory");
	}
	der_init(&d, ca->certs, cap);
	der_raw(&d, der, (size_t)n);
	der_wrap(&d, DER_SEQUENCE, 0);
	der_wrap(&d, DER_CTX0, 0);
	OPENSSL_free(der);
	ca->certs_len = der_len(&d);
	memmove(ca->certs, der_data(&d), ca->certs_len);
	return 0;
}

static int check_validity(struct ca *ca, X509 *cert, int64_t now, int64_t validity,
    struct err *e)
{
	int64_t nb, na;

	if (timefmt_from_asn1(X509_get0_notBefore(cert), &nb) != 0 ||
	    timefmt_from_asn1(X509_get0_notAfter(cert), &na) != 0)
		return err_set(e, "the signer certificate %s has unreadable validity dates",
		    ca->signer_subject);
	if (now < nb)
		return err_set(e, "the signer certificate %s is not valid yet", ca->signer_subject);
	if (now >= na)
		return err_set(e, "the signer certificate %s has expired", ca->signer_subject);
	if (na < now + validity && ca->warning[0] == '\0')
		snprintf(ca->warning, sizeof(ca->warning), "the signer certificate expires "
		    "before the responses it signs now; clients will reject them after that");
	ca->signer_not_after = na;
	return 0;
}

static int fingerprint(struct ca *ca, X509 *cert, struct err *e)
{
	uint8_t md[32];
	unsigned int n = 0;

	if (!X509_digest(cert, EVP_sha256(), md, &n) || n != 32)
		return err_ssl(e, "cannot hash the signer certificate");
	hex_lower(ca->signer_fpr, md, 32);
	return 0;
}

int ca_attach_signer(struct ca *ca, struct signer *signer, int64_t now,
    int64_t validity, struct err *e)
{
	X509 *cert = signer_cert(signer);
	unsigned int n = 0;
	int self = X509_cmp(cert, ca->issuer) == 0 ||
	    (same_key(cert, ca->issuer) &&
	    X509_NAME_cmp(X509_get_subject_name(cert), X509_get_subject_name(ca->issuer)) == 0);

	ca->warning[0] = '\0';
	name_text(X509_get_subject_name(cert), ca->signer_subject, sizeof(ca->signer_subject));
	if (!self && check_delegated(ca, cert, e) != 0)
		goto fail;
	if (check_validity(ca, cert, now, validity, e) != 0 || fingerprint(ca, cert, e) != 0)
		goto fail;
	if (!X509_pubkey_digest(cert, EVP_sha1(), ca->responder_key_hash, &n) || n != 20) {
		err_ssl(e, "cannot hash the signer key");
		goto fail;
	}
	if (!self && encode_certs(ca, cert, e) != 0)
		goto fail;
	ca->signer = signer;
	return 0;
fail:
	signer_free(signer);
	return -1;
}

int ca_load_conf(const struct ca_conf *conf, int64_t now, struct ca **out,
    struct err *e)
{
	struct signer *signer = NULL;

	*out = NULL;
	if (ca_open(conf->issuer, out, e) != 0)
		return -1;
	if (conf->key == NULL)
		return 0;
	if (signer_load_pem(conf->signer, conf->key, &signer, e) != 0 ||
	    ca_attach_signer(*out, signer, now, conf->validity, e) != 0) {
		ca_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
