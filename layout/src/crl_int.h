/* Inside the CRL module: the parsed CRL that crl.c (parsing, checking)
 * and crl_entries.c (entries, deltas) share, and the small helpers both
 * use. */
#ifndef OCSP_CRL_INT_H
#define OCSP_CRL_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "ocsp/crl.h"

/*
 * OpenSSL's d2i_X509_CRL decodes every entry into a dozen allocations
 * (about 430 bytes an entry, measured: 430 MB for a million), so the CRL
 * is split here instead: a small DER reader finds the signed part and the
 * list of entries; OpenSSL decodes a copy of the CRL without its entries
 * (the "skeleton": issuer, times, extensions, signature), the signature is
 * checked over the signed bytes as received, and crl_records decodes the
 * entries one at a time with d2i_X509_REVOKED.
 */
struct crl {
	char name[CRL_NAME_MAX + 1];
	uint8_t *der;
	size_t der_len;
	const uint8_t *tbs;		/* the signed part, inside der */
	size_t tbs_len;
	const uint8_t *revoked;		/* revokedCertificates' content */
	size_t revoked_len;
	size_t entries;
	X509_CRL *x;			/* the skeleton */
	int v2;
	int64_t this_update, next_update;
	int has_next;
	int has_number, is_delta;
	struct serial number, base;
	struct crl_scope scope;
	uint8_t sha256[32];
};

/* One DER TLV: tag, content v[0..vlen), whole encoding len bytes. */
struct tlv {
	uint8_t tag;
	const uint8_t *p, *v;
	size_t vlen, len;
};

/* Reads the TLV at p[0..n). DER only: one-byte tags, definite lengths in
 * their shortest form, content within n. Returns 0 or -1. */
int crl_tlv_read(const uint8_t *p, size_t n, struct tlv *t);
/* A name or an OID for messages, escaped, into out. */
const char *crl_name_str(const X509_NAME *n, char *out, size_t size);
const char *crl_oid_str(const ASN1_OBJECT *o, char *out, size_t size);
/* Frees what X509V3_EXT_d2i returned for ext. */
void crl_ext_value_free(X509_EXTENSION *ext, void *v);

#endif
