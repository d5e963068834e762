/* Keys and certificates made in memory with OpenSSL for the unit tests:
 * CAs, delegated responders, broken signers, and OCSP requests. Every
 * helper exits the program when OpenSSL fails, since no test can go on. */
#ifndef OCSP_TEST_PKI_H
#define OCSP_TEST_PKI_H

#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

enum pki_key_type { PKI_EC256, PKI_EC384, PKI_RSA2048, PKI_ED25519 };

EVP_PKEY *pki_key(enum pki_key_type type);

struct pki_cert_opts {
	const char *cn;
	EVP_PKEY *key;		/* the subject's key (public half used) */
	X509 *issuer;		/* NULL: self-signed with key */
	EVP_PKEY *issuer_key;
	long serial;
	int64_t not_before, not_after;	/* absolute, seconds since the epoch */
	int ca;			/* basicConstraints CA:TRUE, keyCertSign */
	int ocsp_signing;	/* extendedKeyUsage id-kp-OCSPSigning */
	int server_auth;	/* extendedKeyUsage serverAuth */
	int nocheck;		/* id-pkix-ocsp-nocheck */
	const char *key_usage;	/* keyUsage as openssl.cnf spells it; NULL:
				   from ca; "" none */
};

X509 *pki_cert(const struct pki_cert_opts *o);

/* One revoked entry of a test CRL. */
struct pki_crl_entry {
	const uint8_t *serial;	/* big-endian magnitude; NULL: serial_long */
	size_t serial_len;
	long serial_long;
	int neg;		/* a negative serial number */
	int64_t revoked_at;
	int reason;		/* CRLReason, or -1: no reasonCode (0 is a reason) */
	int hold_nid;		/* NID_hold_instruction_*, 0 none */
	int64_t invalidity;	/* 0 none */
	X509_NAME *cert_issuer;	/* certificateIssuer (critical), NULL none */
	int unknown_critical;	/* a critical extension nobody knows */
};

/* A test CRL, signed by key in the entries' order (never sorted). */
struct pki_crl_opts {
	const X509_NAME *issuer;
	EVP_PKEY *key;
	int64_t this_update, next_update;	/* next_update 0: none */
	int version1;		/* a v1 CRL (extensions are still added) */
	long number;		/* cRLNumber, -1 none */
	long delta_base;	/* deltaCRLIndicator, -1 none */
	int idp;		/* an issuingDistributionPoint with: */
	int idp_indirect, idp_only_user, idp_only_ca, idp_only_attr, idp_some_reasons;
	int unknown_critical;	/* a critical CRL extension nobody knows */
	int unknown_noncritical;
	const struct pki_crl_entry *entries;
	size_t n;
};

X509_CRL *pki_crl(const struct pki_crl_opts *o);
/* DER of crl (malloc'd). */
uint8_t *pki_crl_der(X509_CRL *crl, size_t *len);

/* Write PEM files to path (from check_tmp_path); return path.
 * pass non-NULL encrypts the key (PKCS#8 with AES-256-CBC, or the
 * traditional "Proc-Type: 4,ENCRYPTED" form when traditional is set). */
const char *pki_write_cert(X509 *cert, const char *path);
const char *pki_write_key(EVP_PKEY *key, const char *path, const char *pass,
    int traditional);

/* A CertID for serial (given as a long) of a certificate issued by
 * issuer, hashed with md. */
OCSP_CERTID *pki_certid(const EVP_MD *md, X509 *issuer, long serial);
/* Same with the serial as big-endian magnitude bytes (negative when neg). */
OCSP_CERTID *pki_certid_bytes(const EVP_MD *md, X509 *issuer,
    const uint8_t *serial, size_t n, int neg);

/* DER of req (malloc'd). */
uint8_t *pki_request_der(OCSP_REQUEST *req, size_t *len);

#endif
