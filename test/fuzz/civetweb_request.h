/* civetweb's own handling of a request head, from the bytes it has read
 * to lookupd's begin_request callback, without a socket (civetweb_request.c
 * compiles civetweb.c in to reach its static parser). For
 * fuzz_http_framing and fuzz_http_head. */
#ifndef FUZZ_CIVETWEB_REQUEST_H
#define FUZZ_CIVETWEB_REQUEST_H

#include <civetweb.h>

struct civetweb_head {
	int request_len;	/* the head as read_message found it: where the body starts */
	int parsed_len;		/* what parse_http_request said it parsed */
	int is_chunked;		/* civetweb's framing of the body: chunked, */
	long long content_len;	/* else this many bytes (0 without either header) */
};

/* Runs what civetweb 1.15 does with buf, data_len bytes a client sent
 * that fill its request buffer: read_message's search for the end of the
 * head, the call of lookupd's head check that lookupd/civetweb.cmake
 * inserts (ocsp_civetweb_head, whose verdict head_hook_take then has),
 * parse_http_request (in place, as on its connection buffer),
 * get_request's Transfer-Encoding and Content-Length checks,
 * process_new_connection's version and target checks and handle_request's
 * split of the query string. Returns 0 when civetweb would then call
 * lookupd's begin_request with ri, -1 when it would wait for more bytes or
 * answer by itself (400, 411, 505...). */
int civetweb_request(char *buf, int data_len, struct mg_request_info *ri,
    struct civetweb_head *head);

/* Whether parse_http_request takes method (civetweb's list of methods). */
int civetweb_method_known(const char *method);

#endif
