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
	add_ext(c, issuer, NID_basic_constraints, o->ca ? "critical,CA:TRUE" :
	    "critical,CA:FALSE");
	if (o->key_usage != NULL) {
		if (o->key_usage[0] != '\0')
			add_ext(c, issuer, NID_key_usage, o->key_usage);
	} else {
		add_ext(c, issuer, NID_key_usage, o->ca ?
		    "critical,keyCertSign,cRLSign,digitalSignature" :
		    "critical,digitalSignature");
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

static ASN1_INTEGER *integer_of(const uint8_t *b, size_t n, long v, int neg)
{
	BIGNUM *bn = b ? BN_bin2bn(b, (int)n, NULL) : BN_new();
	ASN1_INTEGER *ai;

	if (bn == NULL || (b == NULL && !BN_set_word(bn, (unsigned long)v)))
		die("integer");
	BN_set_negative(bn, neg);
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	if (ai == NULL)
		die("integer");
	BN_free(bn);
	return ai;
}

/* A critical or not extension with an OID from the private arc of nobody,
 * whose value is a NULL. */
static X509_EXTENSION *unknown_ext(int critical)
{
	static const unsigned char null_der[] = { 0x05, 0x00 };
	ASN1_OBJECT *o = OBJ_txt2obj("1.3.6.1.4.1.55555.1", 1);
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;

	if (o == NULL || v == NULL || !ASN1_OCTET_STRING_set(v, null_der, 2))
		die("extension");
	ext = X509_EXTENSION_create_by_OBJ(NULL, o, critical, v);
	if (ext == NULL)
		die("extension");
	ASN1_OBJECT_free(o);
	ASN1_OCTET_STRING_free(v);
	return ext;
}

static X509_REVOKED *crl_entry(const struct pki_crl_entry *en)
{
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *sn = integer_of(en->serial, en->serial_len, en->serial_long, en->neg);
	ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)en->revoked_at);

	if (r == NULL || t == NULL || !X509_REVOKED_set_serialNumber(r, sn) ||
	    !X509_REVOKED_set_revocationDate(r, t))
		die("CRL entry");
	if (en->reason >= 0) {
		ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
		if (e == NULL || !ASN1_ENUMERATED_set(e, en->reason) ||
		    !X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0))
			die("reasonCode");
		ASN1_ENUMERATED_free(e);
	}
	if (en->hold_nid != 0 && !X509_REVOKED_add1_ext_i2d(r, NID_hold_instruction_code,
	    OBJ_nid2obj(en->hold_nid), 0, 0))
		die("holdInstructionCode");
	if (en->invalidity != 0) {
		ASN1_GENERALIZEDTIME *g = ASN1_GENERALIZEDTIME_set(NULL, (time_t)en->invalidity);
		if (g == NULL || !X509_REVOKED_add1_ext_i2d(r, NID_invalidity_date, g, 0, 0))
			die("invalidityDate");
		ASN1_GENERALIZEDTIME_free(g);
	}
	if (en->cert_issuer != NULL) {
		GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
		GENERAL_NAME *g = GENERAL_NAME_new();
		if (gens == NULL || g == NULL)
			die("certificateIssuer");
		g->type = GEN_DIRNAME;
		g->d.directoryName = X509_NAME_dup(en->cert_issuer);
		if (g->d.directoryName == NULL || !sk_GENERAL_NAME_push(gens, g) ||
		    !X509_REVOKED_add1_ext_i2d(r, NID_certificate_issuer, gens, 1, 0))
			die("certificateIssuer");
		GENERAL_NAMES_free(gens);
	}
	if (en->unknown_critical) {
		X509_EXTENSION *ext = unknown_ext(1);
		if (!X509_REVOKED_add_ext(r, ext, -1))
			die("entry extension");
		X509_EXTENSION_free(ext);
	}
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	return r;
}

static void crl_idp(X509_CRL *c, const struct pki_crl_opts *o)
{
	ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();

	if (idp == NULL)
		die("issuingDistributionPoint");
	idp->indirectCRL = o->idp_indirect ? 0xff : 0;
	idp->onlyuser = o->idp_only_user ? 0xff : 0;
	idp->onlyCA = o->idp_only_ca ? 0xff : 0;
	idp->onlyattr = o->idp_only_attr ? 0xff : 0;
	if (o->idp_some_reasons) {
		idp->onlysomereasons = ASN1_BIT_STRING_new();
		/* keyCompromise only */
		if (idp->onlysomereasons == NULL ||
		    !ASN1_BIT_STRING_set_bit(idp->onlysomereasons, 1, 1))
			die("onlySomeReasons");
	}
	if (!X509_CRL_add1_ext_i2d(c, NID_issuing_distribution_point, idp, 1, 0))
		die("issuingDistributionPoint");
	ISSUING_DIST_POINT_free(idp);
}

static void crl_int_ext(X509_CRL *c, int nid, long v, int critical)
{
	ASN1_INTEGER *ai = integer_of(NULL, 0, v, 0);

	if (!X509_CRL_add1_ext_i2d(c, nid, ai, critical, 0))
		die("CRL extension");
	ASN1_INTEGER_free(ai);
}

X509_CRL *pki_crl(const struct pki_crl_opts *o)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)o->this_update);
	const EVP_MD *md = EVP_PKEY_get_base_id(o->key) == EVP_PKEY_ED25519 ?
	    NULL : EVP_sha256();

	if (c == NULL || t == NULL ||
	    !X509_CRL_set_version(c, o->version1 ? X509_CRL_VERSION_1 : X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(c, o->issuer) || !X509_CRL_set1_lastUpdate(c, t))
		die("CRL fields");
	if (o->next_update != 0) {
		ASN1_TIME_free(t);
		t = ASN1_TIME_set(NULL, (time_t)o->next_update);
		if (t == NULL || !X509_CRL_set1_nextUpdate(c, t))
			die("nextUpdate");
	}
	if (o->number >= 0)
		crl_int_ext(c, NID_crl_number, o->number, 0);
	if (o->delta_base >= 0)
		crl_int_ext(c, NID_delta_crl, o->delta_base, 1);
	if (o->idp)
		crl_idp(c, o);
	if (o->unknown_critical || o->unknown_noncritical) {
		X509_EXTENSION *ext = unknown_ext(o->unknown_critical);
		if (!X509_CRL_add_ext(c, ext, -1))
			die("CRL extension");
		X509_EXTENSION_free(ext);
	}
	for (size_t i = 0; i < o->n; i++)
		if (!X509_CRL_add0_revoked(c, crl_entry(&o->entries[i])))
			die("CRL entry");
	if (!X509_CRL_sign(c, o->key, md))
		die("CRL signature");
	ASN1_TIME_free(t);
	return c;
}

uint8_t *pki_crl_der(X509_CRL *crl, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509_CRL(crl, &der);
	uint8_t *copy;

	if (n <= 0)
		die("CRL encoding");
	copy = malloc((size_t)n);
	if (copy == NULL)
		die("out of memory");
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return copy;
}
