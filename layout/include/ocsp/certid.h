/* CertID hash algorithms and the issuer hashes a CertID carries.
 *
 * A CertID names the issuer by two hashes made with the same algorithm:
 * of the DER of the issuer's subject name and of its subjectPublicKey bits
 * (RFC 6960 4.1.1; the BIT STRING content without the unused-bits byte). */
#ifndef OCSP_CERTID_H
#define OCSP_CERTID_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "ocsp/err.h"
#include "ocsp/serial.h"

enum hash_alg {
	HASH_SHA1 = 0,
	HASH_SHA256 = 1,
	HASH_SHA384 = 2,
	HASH_SHA512 = 3,
	HASH_COUNT
};

#define HASH_MAX_LEN 64

/* Digest length in bytes. */
size_t hash_len(enum hash_alg alg);
/* Lowercase name as used in configuration and metadata ("sha256"). */
const char *hash_name(enum hash_alg alg);
/* Returns the algorithm for a name, or -1. */
int hash_from_name(const char *name);
/* Parses a list of hash names separated by blanks or commas into a mask
 * (bit per enum hash_alg). Returns how many names are not known hashes,
 * or -1 for a name too long to be one. */
int hash_list_parse(const char *v, unsigned *mask);
/* Returns the algorithm for an OpenSSL NID, or -1 for any other. */
int hash_from_nid(int nid);
/* The DER AlgorithmIdentifier a CertID with this hash carries. SHA-1 is
 * written with NULL parameters (what every client sends and compares);
 * the SHA-2 family too, as OpenSSL does. */
const uint8_t *hash_algid_der(enum hash_alg alg, size_t *len);
const EVP_MD *hash_md(enum hash_alg alg);

/* The two issuer hashes of one algorithm. */
struct issuer_hash {
	uint8_t name[HASH_MAX_LEN];
	uint8_t key[HASH_MAX_LEN];
};

/* Computes name and key hashes of issuer for alg. Returns 0 or -1. */
int certid_issuer_hash(X509 *issuer, enum hash_alg alg,
    struct issuer_hash *out, struct err *e);

/* A CertID as a request names it, or a response file answers it. */
struct req_certid {
	int alg;			/* enum hash_alg, or -1 if not supported */
	uint8_t name_hash[HASH_MAX_LEN];
	uint8_t key_hash[HASH_MAX_LEN];
	struct serial serial;
	int serial_ok;			/* 0 for negative or over-long serials */
};

/* Copies an OpenSSL CertID into out: a hash we do not support gets alg -1
 * (and no hashes), a serial we cannot name gets serial_ok 0. Returns 0,
 * or -1 for a CertID with parts missing or hashes of the wrong length. */
int certid_from_ocsp(const OCSP_CERTID *cid, struct req_certid *out, struct err *e);

/* Non-zero when a and b name the same issuer with the same hash (a must
 * have a supported one). */
int certid_same_issuer(const struct req_certid *a, const struct req_certid *b);

#endif
