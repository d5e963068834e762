/* Replies as bytes, and what they depend on in a request's headers: the
 * status line, headers and body of every answer lookupd sends, built in
 * one buffer so that they leave in one write; HTTP validators and caching
 * headers (RFC 9110, RFC 5019 section 6 / RFC 9919); conditional requests.
 * Knows HTTP, not civetweb (http.c sends what is built here). */
#ifndef LOOKUPD_REPLY_H
#define LOOKUPD_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/certid.h"
#include "ocsp/response.h"
#include "ocsp/timefmt.h"

/* Our own headers are bounded strings: this is room to spare. */
#define REPLY_HEAD_MAX 2048
/* The largest body: a tree file (at most 100 KiB, what OpenSSL's client
 * accepts) or an online answer (RESPONSE_MAX). */
#define REPLY_BODY_MAX (100 * 1024)
#define REPLY_MAX (REPLY_HEAD_MAX + REPLY_BODY_MAX)

#define REPLY_OCSP_REQUEST "application/ocsp-request"
#define REPLY_OCSP_RESPONSE "application/ocsp-response"

/* The ETag is this much of the response's SHA-256, in hex: the same on
 * every node that serves the same bytes. */
#define REPLY_ETAG_BYTES 10

/* HTTP validators of a cacheable answer (RFC 9110 8.8), derived from its
 * digest and times. */
struct validators {
	uint8_t digest[SIGNED_RESPONSE_DIGEST];	/* of the answer they describe */
	char etag[2 * REPLY_ETAG_BYTES + 3];	/* quoted strong ETag */
	char last_modified[TIMEFMT_HTTP_LEN + 1];	/* thisUpdate */
	char expires[TIMEFMT_HTTP_LEN + 1];	/* nextUpdate */
};

/* What a worker keeps between replies: the Date of the current second and
 * the validators of the last answer, which is usually the next one too. */
struct reply_memo {
	int64_t date_at;
	char date[TIMEFMT_HTTP_LEN + 1];
	struct validators last;
};

/* A reply being built in a caller's buffer; overflow is sticky and checked
 * once, when it is sent. */
struct reply {
	char *p;
	size_t len, cap;
	int overflow;
};

/* Starts "HTTP/1.1 <status>" with a Date header. */
void reply_begin(struct reply *r, char *buf, size_t cap, struct reply_memo *m,
    const char *status, int64_t now);
void reply_add(struct reply *r, const void *s, size_t n);
void reply_str(struct reply *r, const char *s);
#define REPLY_LIT(r, s) reply_add((r), (s), sizeof(s) - 1)
void reply_length(struct reply *r, size_t len);
/* Connection (keep-alive or close) and the blank line that ends the head. */
void reply_end_head(struct reply *r, int keep_alive);

/* The validators of resp, formatted once per run of the same bytes. */
const struct validators *reply_validators(struct reply_memo *m,
    const struct signed_response *resp);
/* Last-Modified, Expires, ETag and a Cache-Control whose max-age is never
 * past nextUpdate (and at most max_age). */
void reply_caching(struct reply *r, const struct signed_response *resp,
    const struct validators *v, int64_t now, int64_t max_age);

/* The cache tags of the answer for id (purge.h: the issuer's and the
 * certificate's), as Cache-Tag (comma-separated: Cloudflare, Akamai,
 * Varnish bans) and/or Surrogate-Key (space-separated: Fastly), as
 * which (enum cache_tags) says. */
void reply_cache_tags(struct reply *r, const struct req_certid *id, int which);

/* RFC 9110 13.2.2: whether a GET with these If-None-Match and
 * If-Modified-Since values (either NULL) may get 304. */
int reply_not_modified(const char *if_none_match, const char *if_modified_since,
    const struct signed_response *resp, const struct validators *v);

/* A Content-Type an OCSP POST may carry (none at all is accepted: some
 * clients send none). */
int reply_request_type_ok(const char *content_type);

/* Whether a Connection header's value lists token (case-insensitive). */
int reply_list_has(const char *value, const char *token);

#endif
