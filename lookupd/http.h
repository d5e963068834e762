/* The HTTP front of lookupd: the one file that knows civetweb.
 *
 * Serves RFC 5019 / RFC 9919 GET (base64 DER in the path, at "/" and
 * under the path prefix), POST of application/ocsp-request (at "/" and at
 * the prefix), HEAD, and /healthz for load balancers. Every reply is
 * written by this file with an exact Content-Length (never chunked), so
 * keep-alive works and HTTP/1.0 clients see the connection close. */
#ifndef LOOKUPD_HTTP_H
#define LOOKUPD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"

#include "answer.h"

struct http_opts {
	const char *listen;		/* "ADDR:PORT[,ADDR:PORT...]" */
	const char *path_prefix;	/* "" or "/ocsp" (trailing '/' ignored) */
	int64_t threads;		/* one per open connection */
	size_t max_request_bytes;	/* POST body limit, at most REQUEST_MAX_DER */
	int64_t max_age;		/* longest Cache-Control max-age */
};

/* The options once checked and normalised, as http_start uses them. */
#define HTTP_PREFIX_MAX 256

struct http_conf {
	char *listen;			/* the list without blanks (owned) */
	char prefix[HTTP_PREFIX_MAX + 1];	/* "" or "/x/y", no trailing '/' */
	int64_t threads;
	size_t max_body;
	int64_t max_age;
};

/* Checks what civetweb would only refuse at start (or accept wrongly) and
 * normalises it, once: the listen list (IPv4 address or host name, ':'
 * and a port; "[v6]:PORT" only when civetweb was built with IPv6, which
 * Debian's is not), the path prefix and the body limit. */
int http_conf_init(struct http_conf *hc, const struct http_opts *o, struct err *e);
void http_conf_fini(struct http_conf *hc);

struct http_server;

/* Binds and starts the worker threads. Requests are answered 503 until
 * http_set_answerer is called. */
int http_start(const struct http_conf *hc, struct http_server **out, struct err *e);
void http_set_answerer(struct http_server *s, struct answerer *a);
/* The ports actually bound (a configured port 0 shows the one chosen),
 * as "ADDR:PORT, ..." text for the start-up log. */
void http_describe(const struct http_server *s, char *out, size_t size);
/* Stops accepting, waits for the workers, frees s. */
void http_stop(struct http_server *s);

#endif
