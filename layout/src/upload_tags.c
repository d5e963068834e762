/* The cache tags of an uploaded response: the ones lookupd sets on its
 * answer to the same CertID (purge_tags), so that a CDN caching the
 * object store, or the origin, is purged by tag like one caching lookupd.
 * They are taken from the response's own CertID rather than from the
 * object's name: a tree name, a GET key and a WebDAV copy of get/ all
 * carry the bytes of one response, and its CertID is the request's. */
#include "upload_int.h"

#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "ocsp/certid.h"
#include "ocsp/purge.h"

int upload_response_tags(const uint8_t *der, size_t len, struct upload_req *r,
    struct err *e)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	struct req_certid id;
	int ret = -1;

	r->cache_tag[0] = r->surrogate_key[0] = '\0';
	if (len == 0 || len > UPLOAD_TAGS_DER_MAX ||
	    (resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL || p != der + len ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL || OCSP_resp_count(bs) < 1) {
		err_set(e, "not a successful DER OCSP response");
		goto out;
	}
	if (certid_from_ocsp(OCSP_SINGLERESP_get0_id(OCSP_resp_get0(bs, 0)), &id, e) != 0)
		goto out;
	if (id.alg < 0 || !id.serial_ok) {
		err_set(e, "a CertID lookupd cannot answer (hash or serial)");
		goto out;
	}
	if (purge_tags(r->cache_tag, sizeof(r->cache_tag), ',', id.alg, id.key_hash,
	    &id.serial) < 0 ||
	    purge_tags(r->surrogate_key, sizeof(r->surrogate_key), ' ', id.alg, id.key_hash,
	    &id.serial) < 0) {
		err_set(e, "internal: cache tags too long");
		goto out;
	}
	ret = 0;
out:
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return ret;
}
