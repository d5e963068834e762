#include "ocsp/request.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

/* The nonce extension value should be an OCTET STRING of 1..128 octets
 * (RFC 9654). Some old clients put the bare octets there; accept those
 * within the same bounds, since the client compares what it sent. */
static int copy_nonce(OCSP_REQUEST *req, struct ocsp_request *r, struct err *e)
{
	int idx = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1);
	X509_EXTENSION *ext;
	const ASN1_OCTET_STRING *value;
	const unsigned char *p, *q;
	size_t n, inner;
	long len;
	int tag, class;

	if (idx < 0)
		return 0;
	if (OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, idx) >= 0)
		return err_set(e, "more than one nonce");
	ext = OCSP_REQUEST_get_ext(req, idx);
	value = X509_EXTENSION_get_data(ext);
	p = q = ASN1_STRING_get0_data(value);
	n = (size_t)ASN1_STRING_length(value);
	inner = n;
	if (n > 0 && !(ASN1_get_object(&q, &len, &tag, &class, (long)n) & 0x80) &&
	    tag == V_ASN1_OCTET_STRING && class == V_ASN1_UNIVERSAL &&
	    (size_t)(q - p) + (size_t)len == n)
		inner = (size_t)len;
	ERR_clear_error();
	if (inner < REQUEST_NONCE_MIN || inner > REQUEST_NONCE_MAX || n > sizeof(r->nonce))
		return err_set(e, "nonce of %zu octets (allowed %d to %d)", inner,
		    REQUEST_NONCE_MIN, REQUEST_NONCE_MAX);
	memcpy(r->nonce, p, n);
	r->nonce_len = n;
	r->has_nonce = 1;
	return 0;
}

int request_parse(const uint8_t *der, size_t len, size_t max_certs,
    struct ocsp_request *r, struct err *e)
{
	const unsigned char *p = der;
	OCSP_REQUEST *req;
	int count, ret = REQUEST_MALFORMED;

	r->n = 0;
	r->has_nonce = 0;
	r->nonce_len = 0;
	r->is_signed = 0;
	r->signed_req = NULL;
	if (max_certs > REQUEST_MAX_CERTS)
		max_certs = REQUEST_MAX_CERTS;
	if (len == 0 || len > REQUEST_MAX_DER)
		return err_set(e, "request of %zu bytes", len), REQUEST_MALFORMED;
	req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	if (req == NULL) {
		ERR_clear_error();
		return err_set(e, "not a DER OCSP request"), REQUEST_MALFORMED;
	}
	if ((size_t)(p - der) != len) {
		err_set(e, "trailing bytes after the request");
		goto out;
	}
	count = OCSP_request_onereq_count(req);
	if (count <= 0) {
		err_set(e, "request lists no certificate");
		goto out;
	}
	if ((size_t)count > max_certs) {
		err_set(e, "request lists %d certificates (at most %zu)", count, max_certs);
		ret = REQUEST_TOO_MANY;
		goto out;
	}
	for (int i = 0; i < count; i++)
		if (certid_from_ocsp(OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i)),
		    &r->id[i], e) != 0)
			goto out;
	r->n = (size_t)count;
	if (copy_nonce(req, r, e) != 0)
		goto out;
	r->is_signed = OCSP_request_is_signed(req);
	if (r->is_signed) {
		r->signed_req = req;
		req = NULL;
	}
	ret = REQUEST_OK;
out:
	OCSP_REQUEST_free(req);
	return ret;
}

void request_release(struct ocsp_request *r)
{
	OCSP_REQUEST_free(r->signed_req);
	r->signed_req = NULL;
}

int request_verify(const struct ocsp_request *r, X509_STORE *store, struct err *e)
{
	int ok = 0;

	if (!r->is_signed || r->signed_req == NULL)
		err_set(e, "the request is not signed");
	else if (OCSP_request_verify(r->signed_req, NULL, store, 0) == 1)
		ok = 1;
	else
		err_ssl(e, "the request's signature does not verify with a trusted requestor");
	ERR_clear_error();
	return ok;
}
