/* The HTTP front of lookupd: with framing.c (what civetweb's parser left
 * of a header section), the only code that knows civetweb.
 *
 * Serves RFC 5019 / RFC 9919 GET (base64 DER in the path, at "/" and
 * under the path prefix), POST of application/ocsp-request (at "/" and at
 * the prefix), HEAD, /healthz (readiness, health.h: 200 "ok", or 503 with
 * the reasons in JSON), /livez (liveness: 200 "ok" once serving, whatever
 * the tree's state) and /metrics (Prometheus text format 0.0.4; only on
 * metrics_listen when that is set). Every reply is
 * written with an exact Content-Length (never chunked), so keep-alive
 * works and HTTP/1.0 clients see the connection close.
 *
 * It faces the internet (or the CDN and load balancer in front), so every
 * phase of a connection has a deadline (headers, body, a client that does
 * not read), framing that a proxy could read otherwise is refused before
 * any body is read, a connection is not kept idle while most workers are
 * busy, and bytes from the tree are checked on the copy that is sent. */
#ifndef LOOKUPD_HTTP_H
#define LOOKUPD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"

#include "answer.h"

/* The [lookupd] keys the front uses, as the configuration holds them. */
struct http_opts {
	const char *listen;		/* "ADDR:PORT[,ADDR:PORT...]" */
	const char *path_prefix;	/* "" or "/ocsp" (trailing '/' ignored) */
	int64_t threads;		/* one per open connection */
	size_t max_request_bytes;	/* POST body limit, at most REQUEST_MAX_DER */
	size_t max_header_bytes;	/* request line and headers */
	int64_t max_headers;		/* header fields, below civetweb's MG_MAX_HEADERS */
	int64_t header_timeout;		/* seconds */
	int64_t body_timeout;		/* seconds */
	int64_t keep_alive_timeout;	/* seconds; 0: never keep a connection */
	int64_t keep_alive_requests;	/* answers on one connection before it closes */
	int64_t busy_threshold;		/* percent of threads */
	int64_t max_age;		/* longest Cache-Control max-age */
	int64_t cache_tags;		/* enum cache_tags */
	/* Operations: metrics, readiness, the access log. */
	const char *metrics_listen;	/* NULL or "": /metrics on listen */
	const char *access_log;		/* NULL or "": none; "syslog"; a file */
	const char *tree;		/* for /healthz and the tree gauges */
	int64_t stale_share;		/* percent */
	int64_t stale_warning;		/* seconds */
	int64_t max_generation_age;	/* seconds */
};

/* listen = systemd: serve the sockets the service manager passed
 * (LISTEN_FDS, sd_listen_fds(3)) instead of binding; http_start checks
 * them. */
#define HTTP_LISTEN_SYSTEMD "systemd"

/* The options once checked and normalised, as http_start uses them. */
#define HTTP_PREFIX_MAX 256

struct http_conf {
	char *listen;			/* the list without blanks (owned) */
	char prefix[HTTP_PREFIX_MAX + 1];	/* "" or "/x/y", no trailing '/' */
	int64_t threads;
	size_t max_body;
	size_t max_header_bytes;
	int max_headers;
	int64_t header_ms, body_ms, keep_alive_ms;
	int64_t keep_alive_requests;
	int64_t busy_limit;		/* connections held above which to close */
	int64_t max_age;
	int cache_tags;			/* enum cache_tags */
	char *metrics_listen;		/* NULL: none; else normalised (owned) */
	char *access_log;		/* NULL: none (owned) */
	char *tree;			/* NULL: none (owned) */
	int64_t stale_share, stale_warning, max_generation_age;
};

/* Checks what civetweb would only refuse at start (or accept wrongly) and
 * normalises it, once: the listen list (an IPv4 address or host name, or
 * "[IPv6 address]" when civetweb has IPv6, then ':' and a port), the path
 * prefix and the limits; metrics_listen like listen. */
int http_conf_init(struct http_conf *hc, const struct http_opts *o, struct err *e);
void http_conf_fini(struct http_conf *hc);

/* The HTTP library and what it can do, for the start-up log and --check:
 * "civetweb 1.15, built in, IPv4 and IPv6" or "... system library, IPv4
 * only". */
const char *http_library(void);

struct http_server;
struct reload;

/* Binds and starts the worker threads, which take the answerer in service
 * from live (reload.h: its values are struct answerer *, and it has a
 * reader slot per thread); requests are answered 503 while it has none.
 * Nothing is accepted until http_open: the connections wait in the
 * kernel's backlog meanwhile (lookupd drops root in between). */
int http_start(const struct http_conf *hc, struct reload *live, struct http_server **out,
    struct err *e);
void http_open(struct http_server *s);
/* Stops accepting (new connections are refused) and closes every
 * connection after its current answer, without ending the requests in
 * flight (reload_busy counts them); http_stop then ends the rest. -1 with
 * e when some listener could not be closed (it then accepts until
 * http_stop). */
int http_quiesce(struct http_server *s, struct err *e);
/* The ports actually bound (a configured port 0 shows the one chosen),
 * as "ADDR:PORT, ..." text for the start-up log. */
void http_describe(const struct http_server *s, char *out, size_t size);
/* Opens the access log file again (logrotate moved it): for the signal
 * loop, on SIGHUP and SIGUSR1. 0 without a log file; -1 (e says why, the
 * old file still in use) when it cannot be opened. */
int http_reopen_logs(struct http_server *s, struct err *e);
/* Stops accepting, waits for the workers, frees s. */
void http_stop(struct http_server *s);

#endif
