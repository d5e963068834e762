/* One HTTP(S) GET, for CRLs: libcurl's easy interface behind a small,
 * bounded contract.
 *
 *  - Only http and https, also for redirects (at most FETCH_MAX_REDIRECTS;
 *    a redirect to file://, ftp:// ... is refused). Credentials in the URL
 *    are not sent on to another host after a redirect (libcurl's default).
 *  - The body is capped at max_bytes of DECODED data: the transfer stops as
 *    soon as the cap is passed, and before any body byte when the
 *    Content-Length of the 200 announces more (that length is of the
 *    encoded body, so a gzip'd body announcing more than the cap is
 *    refused even if it would have fitted). Content-Encoding gzip is
 *    asked for and decoded.
 *  - Conditional: validators of the previous fetch (ETag, Last-Modified)
 *    go out as If-None-Match / If-Modified-Since, and a 304 is reported as
 *    FETCH_NOT_MODIFIED. Any final status but 200 and 304 is an error.
 *  - Proxies: libcurl's defaults, i.e. the environment's http_proxy,
 *    https_proxy (or HTTPS_PROXY), all_proxy and no_proxy are honoured
 *    (not HTTP_PROXY in capitals, which CGI programs cannot trust); nothing
 *    else is configured. TLS peers are verified against the system's CA
 *    store (libcurl's default).
 *  - Messages name the URL without the password of its userinfo, and say
 *    what failed: DNS, connect, TLS, timeout, HTTP status, too large,
 *    protocol refused, too many redirects.
 *  - Thread-safe: libcurl is initialised once (pthread_once) and never
 *    cleaned up; each call has its own handle. Signals are not used
 *    (CURLOPT_NOSIGNAL): name resolution then cannot be interrupted by the
 *    timeout unless libcurl uses its threaded resolver (Debian's does). */
#ifndef OCSP_FETCH_H
#define OCSP_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"

#define FETCH_MAX_REDIRECTS 5
/* Longest URL, and longest validator kept or sent (a longer ETag or
 * Last-Modified from a server is ignored: the next fetch is then
 * unconditional). */
#define FETCH_URL_MAX 4096
#define FETCH_VALIDATOR_MAX 512
/* Used when fetch_opts leaves a timeout at 0. */
#define FETCH_DEFAULT_CONNECT_TIMEOUT 10
#define FETCH_DEFAULT_TIMEOUT 60
/* Longest timeout accepted, in seconds. */
#define FETCH_TIMEOUT_MAX 86400

struct fetch_opts {
	const char *url;		/* http:// or https:// */
	int64_t connect_timeout;	/* seconds; 0: FETCH_DEFAULT_CONNECT_TIMEOUT */
	int64_t timeout;		/* seconds for the whole fetch; 0: default */
	size_t max_bytes;		/* cap on the decoded body, at least 1 */
	const char *etag;		/* from the previous fetch, or NULL */
	const char *last_modified;	/* ditto, sent back verbatim */
};

enum fetch_status {
	FETCH_NEW = 0,		/* 200: body and validators filled */
	FETCH_NOT_MODIFIED = 1,	/* 304 to the validators sent */
};

/* What a fetch returns; every pointer malloc'd, NULL when absent. */
struct fetch_result {
	uint8_t *body;		/* NUL-terminated (not counted in len) */
	size_t len;
	char *etag;		/* as the server sent it, quotes and W/ included */
	char *last_modified;
	int64_t date;		/* the response's Date header, 0 if none */
};

void fetch_result_init(struct fetch_result *r);
/* Frees and clears; r may have been filled in part. */
void fetch_result_fini(struct fetch_result *r);

/* GETs o->url. r must be initialised and is overwritten (fini'd first).
 * Returns FETCH_NEW or FETCH_NOT_MODIFIED (then body is NULL), or -1 with
 * a message naming the URL (its password left out). */
int fetch_get(const struct fetch_opts *o, struct fetch_result *r, struct err *e);

/* Initialises libcurl once for the process (thread-safe, never cleaned
 * up): every user of libcurl calls this before its first handle. Returns
 * 0, or -1 with libcurl's reason. */
int fetch_global_init(struct err *e);

/* url with the password of its userinfo left out ("https://u:pw@h/p" ->
 * "https://u@h/p"), bytes outside printable ASCII escaped, truncated to
 * size - 1 bytes; always NUL-terminated. Returns out. */
char *fetch_url_redact(const char *url, char *out, size_t size);

/* A persistent cache for programs that run from cron (the publisher), so
 * validators survive between runs. One file per URL in dir, named
 * "fetch-" and the SHA-256 of the URL in hex, holding the validators, the
 * Date and the body; written atomically (fs_write_atomic, synced), so a
 * reader sees the old copy or the new one, never a mix of the two.
 *
 * fetch_cache_load: 1 with r filled from the cached copy, 0 when nothing
 * is cached, -1 when the file is unreadable, damaged or larger than
 * max_bytes (named). r is overwritten. */
int fetch_cache_load(const char *dir, const char *url, size_t max_bytes,
    struct fetch_result *r, struct err *e);
/* Stores r (body and validators) for url; creates dir (0755) if needed. */
int fetch_cache_store(const char *dir, const char *url, const struct fetch_result *r,
    struct err *e);

/* fetch_get through the cache in dir: the cached validators are sent (the
 * ones in o are ignored), a 200 is stored before it is returned, and on a
 * 304 the cached body comes back with FETCH_NOT_MODIFIED (validators
 * refreshed when the server sent new ones). A cache file that cannot be
 * read is ignored (the fetch is then unconditional, and replaces it); one
 * that cannot be written is an error, since every later run would fetch
 * the whole body again unnoticed. */
int fetch_get_cached(const char *dir, const struct fetch_opts *o, struct fetch_result *r,
    struct err *e);

#endif
