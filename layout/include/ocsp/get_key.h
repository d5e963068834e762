/* GET keys: the names under which a pre-signed response can be found by a
 * server that knows nothing of OCSP (a web server, an object store, a CDN).
 *
 * A client's GET (RFC 6960 A.1, RFC 9919) appends the base64 of its DER
 * OCSPRequest to the responder URL. For the canonical request (one CertID,
 * no version, requestor, extensions or signature) that path is a function
 * of the issuer hashes, the serial and the hash algorithm, so the publisher
 * can store the response under it. Two encodings of the hash
 * AlgorithmIdentifier are in use (with NULL parameters: OpenSSL, NSS,
 * mozilla::pkix, GnuTLS, Go, Java; without: RFC 5754's recommendation for
 * SHA-2), so each CertID has two requests and two keys.
 *
 * In a tree the keys live under <tree>/get/ (layout/TREE.md). */
#ifndef OCSP_GET_KEY_H
#define OCSP_GET_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/certid.h"
#include "ocsp/err.h"
#include "ocsp/serial.h"

#define GET_KEY_DIR "get"
/* The canonical request with a SHA-512 CertID and a 32-octet serial with a
 * sign octet is 197 octets (lengths above 127 take the two-octet form). */
#define GET_KEY_DER_MAX 256
#define GET_KEY_B64_MAX (4 * ((GET_KEY_DER_MAX + 2) / 3))
/* Each of '+', '/', '=' may become three characters. */
#define GET_KEY_PCT_MAX (3 * GET_KEY_B64_MAX)

enum get_key_algid {
	GET_KEY_ALGID_NULL = 0,		/* 30 xx 06 .. 05 00 */
	GET_KEY_ALGID_ABSENT = 1,	/* 30 xx 06 .. */
	GET_KEY_ALGID_COUNT
};

/* Builds the canonical OCSPRequest for one CertID into out (cap bytes),
 * sets *len. name_hash and key_hash are hash_len(alg) bytes. Returns 0, or
 * -1 (e set) for a bad algorithm or serial, or a buffer too small. */
int get_key_request(enum hash_alg alg, enum get_key_algid form,
    const uint8_t *name_hash, const uint8_t *key_hash, const struct serial *s,
    uint8_t *out, size_t cap, size_t *len, struct err *e);

/* Standard base64 (RFC 4648 section 4, padded, no line breaks) of len
 * bytes into out with a NUL. Returns the length, or -1 if cap is short. */
int get_key_base64(const uint8_t *der, size_t len, char *out, size_t cap);

/* The percent-encoded form clients send (nginx, NSS, Java): '+', '/' and
 * '=' as %2B, %2F, %3D. Returns the length, or -1 if cap is short. */
int get_key_percent(const char *b64, char *out, size_t cap);

/* How a store maps a request path to a name. */
enum get_key_store {
	/* As a file system or an HTTP server in front of one: '/' separates
	 * directories and an empty segment ("//") is no segment (the kernel
	 * resolves "a//b" as "a/b", and nginx's merge_slashes does the same). */
	GET_KEY_STORE_RAW = 0,
	/* The same after a decoder that turned '+' into a space (form
	 * decoding applied to a path: Amazon S3 does it to object keys). */
	GET_KEY_STORE_PLUS_SPACE = 1,
	GET_KEY_STORE_COUNT
};

/* Longest part of a name between '/'s: a file name (NAME_MAX, 255) with
 * room for the temp file's ".NAME.tmp". Only SHA-512 requests (264
 * characters) can have longer ones. */
#define GET_KEY_SEGMENT_MAX 250

/* The name under <tree>/get/ that a request path b64 (raw base64) reaches
 * in a store of kind how, into out with a NUL. Returns its length; 0 when
 * no file can be reached by it (a '/' at the end names a directory, or a
 * part is longer than GET_KEY_SEGMENT_MAX); -1 when out is short or b64 is
 * not base64. */
int get_key_store_path(const char *b64, enum get_key_store how, char *out, size_t cap);

/* Every store name of one CertID: both AlgorithmIdentifier forms, each as
 * raw and as plus-as-space, without duplicates. */
#define GET_KEY_NAMES_MAX (GET_KEY_ALGID_COUNT * GET_KEY_STORE_COUNT)
struct get_key_names {
	size_t n;
	size_t unstorable;	/* keys no file can be reached by (see above) */
	char name[GET_KEY_NAMES_MAX][GET_KEY_B64_MAX + 1];
};

/* Fills out for the CertID (alg, hash, s). Returns 0 or -1 (e set). */
int get_key_names(enum hash_alg alg, const struct issuer_hash *hash,
    const struct serial *s, struct get_key_names *out, struct err *e);

/* Every object name of one CertID in an object store (Amazon S3 and what
 * copies it), which keeps a request path's bytes as the key: '//' and a
 * '/' at the end stay, nothing is unstorable. Per AlgorithmIdentifier
 * form the raw base64, and, when it holds '+', the same with each '+' as a
 * space (S3 decodes a literal '+' in a path to a space before the lookup;
 * %2B to '+', which the raw name answers). unstorable is 0. Returns 0 or
 * -1 (e set). */
int get_key_object_names(enum hash_alg alg, const struct issuer_hash *hash,
    const struct serial *s, struct get_key_names *out, struct err *e);

#endif
