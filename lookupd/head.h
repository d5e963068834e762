/* A request head checked as the client sent it: the request line and the
 * header section, up to and including the CR LF CR LF that ends them,
 * against RFC 9112's grammar, strictly. It runs on the raw bytes, before
 * civetweb parses them in place (head_hook.c): what civetweb would skip
 * or misread without a word (see framing.c, G1 to G3) is refused here
 * instead. Knows HTTP/1.1's syntax and nothing of civetweb or sockets.
 *
 * The grammar taken (RFC 9112 2.1, 3, 5; RFC 9110 5.5, 5.6.2, 5.6.3):
 *   head         = request-line *( field-line CRLF ) CRLF
 *   request-line = method SP request-target SP HTTP-version CRLF
 *   method       = token
 *   request-target = 1*( unreserved / sub-delims / pct-encoded
 *                        / ":" / "@" / "/" / "?" / "[" / "]" )
 *                  (RFC 3986's characters; which form it has is
 *                  civetweb's and lookupd's business)
 *   HTTP-version = "HTTP/" DIGIT "." DIGIT
 *   field-line   = field-name ":" OWS field-value OWS
 *   field-name   = token
 *   field-value  = *( field-vchar / SP / HTAB ), starting and ending
 *                  with a field-vchar (VCHAR or obs-text)
 * Refused with it (400): an empty line before the request line (RFC 9112
 * 2.2 lets a server skip one; civetweb would take it for the whole head,
 * G1), obs-fold, a bare CR or LF anywhere (G2, G3), whitespace between a
 * field name and its colon, any control character or DEL outside the
 * CR LFs and the OWS, bytes after the CR LF CR LF. */
#ifndef LOOKUPD_HEAD_H
#define LOOKUPD_HEAD_H

#include <stddef.h>
#include <stdint.h>	/* SIZE_MAX: no field limit */

/* The statuses a head gets: it may go on, it is malformed, it has more
 * header fields than allowed (RFC 6585 5). */
#define HTTP_HEAD_OK 0
#define HTTP_HEAD_BAD 400
#define HTTP_HEAD_TOO_MANY 431

/* "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3). */
#define HTTP_HEAD_NAME "HTTP/"
#define HTTP_HEAD_NAME_LEN 5
#define HTTP_HEAD_VERSION_LEN (HTTP_HEAD_NAME_LEN + 3)

/* Where a part of the head is: len bytes from head + off. */
struct http_head_span {
	size_t off, len;
};

/* One field line, without its CR LF: name ":" OWS value OWS. value has
 * no whitespace at either end, so the OWS around it is what lies
 * between the colon and value, and between value and the end of line. */
struct http_head_field {
	struct http_head_span line;
	struct http_head_span name;
	struct http_head_span value;
};

struct http_head_verdict {
	int status;		/* HTTP_HEAD_OK, HTTP_HEAD_BAD or HTTP_HEAD_TOO_MANY */
	const char *reason;	/* NULL when OK; else a static line ending in '\n',
				 * for the reply's body */
	size_t where;		/* a 400: the offset of the byte that decided it
				 * (len when the head ended too early) */
	/* Unless the status is HTTP_HEAD_BAD: the request line's parts
	 * (version is the whole HTTP-version, "HTTP/1.1") and how many
	 * field lines the section has (all of them, also past the limit). */
	struct http_head_span method, target, version;
	size_t fields;
};

/* Checks the len bytes at head, which must be exactly a request head
 * (civetweb's conn->request_len bytes of conn->buf) and allow at most
 * max_fields header fields (SIZE_MAX: no limit). Fills *v and returns
 * v->status. A 400 for anything malformed, whatever max_fields is; else
 * 431 when there are more than max_fields fields. Reads nothing outside
 * [head, head + len), writes nothing but *v, allocates nothing; one pass. */
int http_head_check(const char *head, size_t len, size_t max_fields,
    struct http_head_verdict *v);

/* The same, and when fields is not NULL it gets the first
 * min(v->fields, max_fields) field lines (room for max_fields is needed)
 * unless the status is HTTP_HEAD_BAD. */
int http_head_parse(const char *head, size_t len, size_t max_fields,
    struct http_head_verdict *v, struct http_head_field *fields);

/* Applies a field limit to a verdict checked with a larger one (or
 * none): an OK head with more than max_fields fields becomes a 431. A
 * 400 stays a 400. Returns v->status. */
int http_head_limit(struct http_head_verdict *v, size_t max_fields);

#endif
