/* The response builder: status records + CertIDs + a CA's signer -> the
 * DER OCSPResponse a client receives (RFC 6960 4.2.1).
 *
 * The publisher uses it for every file and lookupd for online answers, so
 * both produce the same shape: ResponderID byKey, one SingleResponse per
 * CertID in the order given, nextUpdate always present, the delegated
 * signer certificate (alone) in certs, nothing else. The DER is written
 * directly around one signature, without OpenSSL's generic OCSP objects,
 * which would cost about a third of the signing rate. */
#ifndef OCSP_RESPONSE_H
#define OCSP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/ca.h"
#include "ocsp/certid.h"
#include "ocsp/err.h"
#include "ocsp/serial.h"
#include "ocsp/signer.h"
#include "ocsp/status.h"

/* Room for the tbsResponseData of one response; bounds the number of
 * SingleResponses a caller can ask for (about 100 bytes each with SHA-1). */
#define RESPONSE_TBS_MAX 32768
/* Room for a whole response: tbs, signature, signer certificate. */
#define RESPONSE_MAX (RESPONSE_TBS_MAX + SIGNER_MAX_SIG + 16384)

/* Nonce values are echoed as the client sent them (RFC 9654: 1..128
 * octets inside an OCTET STRING; the extension value adds its header). */
#define RESPONSE_NONCE_EXT_MAX 160

struct single_resp {
	enum hash_alg alg;
	const uint8_t *name_hash;	/* hash_len(alg) bytes */
	const uint8_t *key_hash;
	const struct serial *serial;
	const struct status_rec *st;	/* status, reason, revocation times */
	int64_t this_update;
	int64_t next_update;
};

struct response_opts {
	int64_t produced_at;
	const uint8_t *nonce;		/* the nonce extension's extnValue, or NULL */
	size_t nonce_len;
	int extended_revoke;		/* add id-pkix-ocsp-extended-revoke */
};

/* Builds a successful response signed by cs (one of a CA's signers, and
 * sc a context of its signer) into buf (cap bytes, at least RESPONSE_MAX
 * is always enough). The DER is at the end of buf: *out points into buf
 * and *out_len is its length. */
int response_build(const struct ca_signer *cs, struct signer_ctx *sc,
    const struct single_resp *s, size_t n, const struct response_opts *o,
    uint8_t *buf, size_t cap, const uint8_t **out, size_t *out_len,
    struct err *e);

/* thisUpdate and nextUpdate of a response about r signed at now, the same
 * for the publisher and for online answers: thisUpdate backdated for
 * clock skew (but never before a revocation it reports), nextUpdate
 * validity later but not past the certificate's own expiry (some clients
 * check), unless that is under an hour away. */
void response_times(int64_t validity, int64_t backdate, const struct status_rec *r,
    int64_t now, int64_t *this_update, int64_t *next_update);

/* A complete DER OCSPResponse as lookupd serves it, whether it was read
 * from a tree file or signed online: its bytes, the times it is valid for
 * and a digest that identifies the bytes (taken when they were checked;
 * HTTP validators such as an ETag are derived from it). */
#define SIGNED_RESPONSE_DIGEST 32	/* SHA-256 */

struct signed_response {
	const uint8_t *der;
	size_t len;
	int64_t this_update;
	int64_t next_update;		/* the earliest of its SingleResponses */
	uint8_t digest[SIGNED_RESPONSE_DIGEST];
	uint64_t check;			/* bytehash_check of the bytes as checked */
};

/* Fills r for len bytes at der valid from this_update to next_update, and
 * takes their digest and checksum. Returns 0, or -1 when nextUpdate is not after
 * thisUpdate. r->der is der: set it afterwards to serve other bytes with
 * the same content (a mapping of the file der was copied from). */
int signed_response_set(struct signed_response *r, const uint8_t *der, size_t len,
    int64_t this_update, int64_t next_update, struct err *e);

/* Unsuccessful responses (responseStatus only, RFC 6960 4.2.1). */
enum response_error {
	RESPONSE_MALFORMED = 1,
	RESPONSE_INTERNAL_ERROR = 2,
	RESPONSE_TRY_LATER = 3,
	RESPONSE_SIG_REQUIRED = 5,
	RESPONSE_UNAUTHORIZED = 6,
};

/* The 5-byte DER of an unsuccessful response (static storage). */
const uint8_t *response_error_der(enum response_error status, size_t *len);

#endif
