/* The OCSP request parser (RFC 6960 4.1), for untrusted input.
 *
 * The DER is decoded once, by OpenSSL with a hard size limit, then copied
 * into a fixed-size structure so that nothing later depends on OpenSSL
 * objects and nothing grows with what a client sends. The one exception is
 * a signed request: its decoded form is kept for request_verify, which
 * needs to know the CA (from the CertIDs) before it can check it. */
#ifndef OCSP_REQUEST_H
#define OCSP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ocsp.h>
#include <openssl/x509_vfy.h>

#include "ocsp/certid.h"
#include "ocsp/err.h"
#include "ocsp/response.h"

/* Hard limits whatever the configuration says. */
#define REQUEST_MAX_DER 65536
#define REQUEST_MAX_CERTS 64
/* RFC 9654: a nonce is 1..128 octets. */
#define REQUEST_NONCE_MIN 1
#define REQUEST_NONCE_MAX 128

/* The CertIDs come last: most requests name one, and the rest of the
 * array is then never touched (a page untouched costs no memory). */
struct ocsp_request {
	size_t n;
	int has_nonce;
	int is_signed;			/* carries an optionalSignature */
	OCSP_REQUEST *signed_req;	/* the decoded request when signed, or NULL */
	size_t nonce_len;
	uint8_t nonce[RESPONSE_NONCE_EXT_MAX];	/* extnValue, to echo as is */
	struct req_certid id[REQUEST_MAX_CERTS];
};

enum request_status {
	REQUEST_OK = 0,
	REQUEST_MALFORMED = -1,		/* answer malformedRequest */
	REQUEST_TOO_MANY = -2,		/* more than max_certs CertIDs */
};

/* Parses der (len bytes, at most REQUEST_MAX_DER) into r, allowing at
 * most max_certs (<= REQUEST_MAX_CERTS) CertIDs. Returns an
 * enum request_status; e explains any failure. A successfully parsed
 * signed request holds its decoded form until request_release. */
int request_parse(const uint8_t *der, size_t len, size_t max_certs,
    struct ocsp_request *r, struct err *e);

/* Frees what request_parse kept (a signed request's decoded form). Safe
 * to call more than once, and on any request request_parse filled. */
void request_release(struct ocsp_request *r);

/* Checks a parsed signed request (RFC 6960 4.1.2): its signature with the
 * requestor certificate it carries, and that certificate's chain against
 * store (trusted requestors or their CAs). Returns 1 when it verifies,
 * 0 when the request is unsigned or does not verify (e says why). */
int request_verify(const struct ocsp_request *r, X509_STORE *store, struct err *e);

/* GET requests (RFC 6960 A.1, RFC 9919): the path is a base64 DER request,
 * possibly after a path prefix. */
enum get_path_status {
	GET_PATH_OK = 0,
	GET_PATH_NOT_REQUEST = -1,	/* not an OCSP request at all: 404 */
	GET_PATH_MALFORMED = -2,	/* looks like one but does not decode */
};

/* Longest GET path accepted. Clients switch to POST above 255 bytes, so
 * this leaves room for percent-encoding and prefixes, nothing more. */
#define GET_PATH_MAX 8192

/* Turns the raw (not yet percent-decoded) request path into DER. prefix is
 * the configured path prefix ("" or "/ocsp"); the request may sit under it
 * or directly under "/". Percent-decoding happens exactly once; raw or
 * encoded '+', '/' and '=', a '+' turned into a space, missing padding,
 * repeated slashes before the base64, and the URL-safe alphabet are all
 * accepted. Writes at most cap bytes to out. */
int get_path_decode(const char *path, size_t path_len, const char *prefix,
    uint8_t *out, size_t cap, size_t *out_len);

#endif
