/* Inside the uploader: the transfer engine (upload_http.c, the one file
 * besides fetch.c that includes curl.h) and what upload.c gives it. */
#ifndef UPLOAD_INT_H
#define UPLOAD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"
#include "ocsp/purge.h"
#include "ocsp/upload.h"

enum upload_method { UPLOAD_PUT, UPLOAD_DELETE, UPLOAD_MKCOL, UPLOAD_GET };

/* A listing's query: list-type, prefix, continuation-token, each encoded. */
#define UPLOAD_QUERY_STR_MAX (64 + 3 * (UPLOAD_URL_MAX + UPLOAD_S3_TOKEN_MAX))

/* One transfer of a job. */
struct upload_req {
	enum upload_method method;
	/* Appended to the target's base, each byte but A-Z a-z 0-9 - . _ ~ and
	 * '/' %-encoded (S3's canonical URI, so libcurl signs what S3
	 * computes); MKCOL: ends in '/'. */
	char name[UPLOAD_NAME_MAX + 2];
	/* GET: the bucket's URL with "?" and this (an upload_s3_query). */
	char query[UPLOAD_QUERY_STR_MAX];
	uint8_t *body;			/* PUT: malloc'd, owned by the engine once given */
	size_t len;
	uint8_t sha256[32];		/* of the body (S3 signs it) */
	const char *content_type;	/* static strings */
	char cache_control[96];
	/* Responses: purge_tags with ',' and with ' ', sent as S3 metadata
	 * (x-amz-meta-cache-tag, x-amz-meta-surrogate-key) or, to a WebDAV
	 * origin, as the Cache-Tag and Surrogate-Key request headers. "" for
	 * the other objects. */
	char cache_tag[PURGE_TAGS_MAX + 1];
	char surrogate_key[PURGE_TAGS_MAX + 1];
};

/* Responses are read whole (upload.c's UPLOAD_OBJECT_MAX). */
#define UPLOAD_TAGS_DER_MAX (1024 * 1024)

/* Fills r's cache_tag and surrogate_key from the CertID of the first
 * SingleResponse of the DER OCSPResponse der (len bytes, untrusted: it is
 * parsed, not verified). Returns 0, or -1 (e set, both left "") for bytes
 * that are not a successful response with a CertID lookupd can answer. */
int upload_response_tags(const uint8_t *der, size_t len, struct upload_req *r,
    struct err *e);

/* A list of jobs. prepare fills the request of job i (called again for
 * each retry); a job it fails (-1, e) is reported failed without a
 * transfer. done reports each job's outcome once: ok, or not with the
 * message of its last attempt. Both are called from the thread running
 * upload_http_run. */
struct upload_batch {
	size_t n;
	int (*prepare)(void *arg, size_t i, struct upload_req *r, struct err *e);
	void (*done)(void *arg, size_t i, int ok, const char *msg);
	void *arg;
	/* GET: the response body (at most UPLOAD_LIST_BODY_MAX), before done
	 * reports success; a non-zero return makes the job fail with msg. */
	int (*got)(void *arg, size_t i, const char *body, size_t len, char *msg, size_t size);
};

struct upload_http;

/* A multi handle with concurrency easy handles for target t (which must
 * outlive it). */
struct upload_http *upload_http_new(const struct upload_target *t, unsigned concurrency,
    unsigned retries, struct err *e);
/* Runs every job of b. Returns how many were not tried because the
 * target looked down (UPLOAD_GIVE_UP_MIN failures in a row, or
 * concurrency if more); done is not called for those. */
size_t upload_http_run(struct upload_http *h, const struct upload_batch *b);
void upload_http_free(struct upload_http *h);

#endif
