/* Request framing: what civetweb's parser left of a request's header
 * section, read back to find what it skipped without a word, and whether
 * the request may go on (RFC 9110 8.6, RFC 9112 5.1 and 6). Knows
 * civetweb 1.15's in-place layout and nothing of sockets or replies
 * (http.c sends the refusal). */
#ifndef LOOKUPD_FRAMING_H
#define LOOKUPD_FRAMING_H

#include <civetweb.h>

/* The request headers lookupd looks at, found in one pass. */
struct req_headers {
	const char *connection;
	const char *content_type;
	const char *if_none_match;
	const char *if_modified_since;
	const char *content_length;
	const char *transfer_encoding;
	int n_content_length;
	int n_transfer_encoding;
};

/* Fills h from ri's fields and returns 0 when the request line and the
 * header section are what they seem (see framing.c): -2 when the request
 * line is not, -1 when civetweb skipped part of the header section. */
int framing_scan(const struct mg_request_info *ri, struct req_headers *h);

/* Framing that a proxy in front may read otherwise is refused before any
 * body is read, and the connection closed: returns the status (0 when the
 * request may go on, else 400 or 431) and sets *why to the reason, a line
 * of text for the reply's body. max_headers is the most header fields a
 * request may have (below MG_MAX_HEADERS); scan is what framing_scan
 * returned. */
int framing_refused(const struct mg_request_info *ri, int max_headers, int scan,
    const struct req_headers *h, const char **why);

#endif
