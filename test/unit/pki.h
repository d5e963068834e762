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
};

X509 *pki_cert(const struct pki_cert_opts *o);

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
