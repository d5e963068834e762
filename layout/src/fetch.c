#include "ocsp/fetch.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "ocsp/array.h"
#include "ocsp/cli.h"
#include "ocsp/log.h"
#include "ocsp/timefmt.h"

#define FETCH_PROTOCOLS "http,https"
/* Longest response header line looked at; longer ones are passed over. */
#define FETCH_HEADER_MAX 8192

/* One transfer's state, shared by the callbacks. */
struct xfer {
	size_t max;
	long status;		/* of the response being received */
	int too_big;
	uint64_t announced;	/* Content-Length of the 200, 0 if none */
	uint8_t *body;
	size_t len, cap;
	char etag[FETCH_VALIDATOR_MAX + 1];
	char last_modified[FETCH_VALIDATOR_MAX + 1];
	int64_t date;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int fetch_global_init(struct err *e)
{
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return err_set(e, "libcurl: %s", curl_easy_strerror(curl_init_rc));
	return 0;
}

void fetch_result_init(struct fetch_result *r)
{
	memset(r, 0, sizeof(*r));
}

void fetch_result_fini(struct fetch_result *r)
{
	free(r->body);
	free(r->etag);
	free(r->last_modified);
	memset(r, 0, sizeof(*r));
}

char *fetch_url_redact(const char *url, char *out, size_t size)
{
	char buf[FETCH_URL_MAX + 1];
	const char *sep = strstr(url, "://"), *a, *end, *at = NULL, *colon = NULL;
	size_t n = strlen(url);

	if (sep != NULL) {
		a = sep + 3;
		end = a + strcspn(a, "/?#");
		for (const char *p = a; p < end; p++)
			if (*p == '@')
				at = p;		/* the last one ends the userinfo */
		for (const char *p = a; at != NULL && p < at && colon == NULL; p++)
			if (*p == ':')
				colon = p;
	}
	if (colon != NULL)
		snprintf(buf, sizeof(buf), "%.*s%s", (int)(colon - url), url, at);
	else
		snprintf(buf, sizeof(buf), "%s", url);
	n = strlen(buf);
	return log_escape(out, size, buf, n);
}

/* A header value that may be echoed back in a request: bounded, and
 * without control characters that would end or split a header line. */
static int header_safe(const char *v, size_t n)
{
	if (n == 0 || n > FETCH_VALIDATOR_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

/* Status lines start a new response (after a redirect, or a 100): what was
 * seen of the last one no longer applies. */
static void status_line(struct xfer *x, const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n);

	x->status = 0;
	x->announced = 0;
	x->etag[0] = x->last_modified[0] = '\0';
	x->date = 0;
	if (sp != NULL && (size_t)(sp - p) + 4 <= n) {
		long v = 0;
		for (int i = 1; i <= 3; i++) {
			if (sp[i] < '0' || sp[i] > '9')
				return;
			v = v * 10 + (sp[i] - '0');
		}
		x->status = v;
	}
}

static int name_is(const char *p, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && p[k] == ':' && strncasecmp(p, name, k) == 0;
}

static void keep(char *dst, const char *v, size_t n)
{
	if (header_safe(v, n)) {
		memcpy(dst, v, n);
		dst[n] = '\0';
	} else {
		dst[0] = '\0';	/* unusable: the next fetch is unconditional */
	}
}

/* Returns 0 to go on, -1 to abort the transfer. */
static int header_field(struct xfer *x, const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n), *v;
	size_t vn;

	if (colon == NULL)
		return 0;
	v = colon + 1;
	vn = n - (size_t)(v - p);
	while (vn > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vn--;
	}
	while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;
	if (name_is(p, n, "ETag")) {
		keep(x->etag, v, vn);
	} else if (name_is(p, n, "Last-Modified")) {
		keep(x->last_modified, v, vn);
	} else if (name_is(p, n, "Date")) {
		char d[64];
		int64_t t;
		if (vn < sizeof(d)) {
			memcpy(d, v, vn);
			d[vn] = '\0';
			if (timefmt_parse_http(d, &t) == 0)
				x->date = t;
		}
	} else if (name_is(p, n, "Content-Length") && x->status == 200) {
		char d[32], *end;
		unsigned long long len;
		if (vn == 0 || vn >= sizeof(d))
			return 0;
		memcpy(d, v, vn);
		d[vn] = '\0';
		errno = 0;
		len = strtoull(d, &end, 10);
		if (errno != 0 || *end != '\0' || d[0] == '-')
			return 0;	/* libcurl itself refuses a bad length */
		x->announced = len;
		if (len > x->max) {
			x->too_big = 1;
			return -1;
		}
	}
	return 0;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nitems, len = n;

	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0 || len > FETCH_HEADER_MAX)
		return n;
	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		status_line(x, buf, len);
		return n;
	}
	return header_field(x, buf, len) == 0 ? n : 0;
}

static size_t on_body(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	void *nb;

	/* an error page is read (to end the response cleanly) but not kept */
	if (x->status != 200)
		return n;
	if (n > x->max - x->len) {
		x->too_big = 1;
		return 0;
	}
	nb = array_grow(x->body, &x->cap, x->len + n + 1, 1);
	if (nb == NULL)
		return 0;
	x->body = nb;
	memcpy(x->body + x->len, buf, n);
	x->len += n;
	return n;
}

static int check_opts(const struct fetch_opts *o, const char *name, struct err *e)
{
	if (o->url == NULL || strlen(o->url) > FETCH_URL_MAX)
		return err_set(e, "fetch: URL missing or longer than %d bytes", FETCH_URL_MAX);
	if (strncasecmp(o->url, "http://", 7) != 0 && strncasecmp(o->url, "https://", 8) != 0)
		return err_set(e, "%s: only http:// and https:// URLs are fetched", name);
	if (o->max_bytes < 1 || o->max_bytes >= SIZE_MAX / 2)
		return err_set(e, "%s: size limit out of range", name);
	if (o->timeout < 0 || o->timeout > FETCH_TIMEOUT_MAX ||
	    o->connect_timeout < 0 || o->connect_timeout > FETCH_TIMEOUT_MAX)
		return err_set(e, "%s: timeout out of range (0 to %d seconds)", name,
		    FETCH_TIMEOUT_MAX);
	if ((o->etag != NULL && !header_safe(o->etag, strlen(o->etag))) ||
	    (o->last_modified != NULL &&
	    !header_safe(o->last_modified, strlen(o->last_modified))))
		return err_set(e, "%s: validator empty, too long or with control characters",
		    name);
	return 0;
}

/* Adds "name: value" to the request headers. */
static int add_header(struct curl_slist **h, const char *name, const char *value)
{
	char line[FETCH_VALIDATOR_MAX + 64];
	struct curl_slist *n;

	snprintf(line, sizeof(line), "%s: %s", name, value);
	n = curl_slist_append(*h, line);
	if (n == NULL)
		return -1;
	*h = n;
	return 0;
}

static int setup(CURL *c, const struct fetch_opts *o, struct xfer *x,
    struct curl_slist *hdrs, char *errbuf)
{
	char ua[64];
	long ct = o->connect_timeout ? (long)o->connect_timeout : FETCH_DEFAULT_CONNECT_TIMEOUT;
	long t = o->timeout ? (long)o->timeout : FETCH_DEFAULT_TIMEOUT;
	CURLcode rc = CURLE_OK;

	snprintf(ua, sizeof(ua), "ocsp-responder/%s", ocsp_version());
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_URL, o->url);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, FETCH_PROTOCOLS);
	SET(CURLOPT_REDIR_PROTOCOLS_STR, FETCH_PROTOCOLS);
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRECTS);
	SET(CURLOPT_CONNECTTIMEOUT, ct);
	SET(CURLOPT_TIMEOUT, t);
	SET(CURLOPT_USERAGENT, ua);
	SET(CURLOPT_ACCEPT_ENCODING, "gzip");
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, x);
#undef SET
	return rc == CURLE_OK ? 0 : -1;
}

/* The message for a failed transfer. */
static int explain(CURL *c, CURLcode rc, const struct fetch_opts *o, const struct xfer *x,
    const char *name, const char *errbuf, struct err *e)
{
	const char *what;
	long redirects = 0;

	if (x->too_big && x->announced > o->max_bytes)
		return err_set(e, "%s: larger than %zu bytes (Content-Length %llu)", name,
		    o->max_bytes, (unsigned long long)x->announced);
	if (x->too_big)
		return err_set(e, "%s: larger than %zu bytes%s", name, o->max_bytes,
		    x->announced ? "" : " (decoded)");
	curl_easy_getinfo(c, CURLINFO_REDIRECT_COUNT, &redirects);
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST: what = "cannot resolve the host name (DNS)"; break;
	case CURLE_COULDNT_RESOLVE_PROXY: what = "cannot resolve the proxy's name (DNS)"; break;
	case CURLE_COULDNT_CONNECT: what = "cannot connect"; break;
	case CURLE_OPERATION_TIMEDOUT: what = "timed out"; break;
	case CURLE_TOO_MANY_REDIRECTS:
		return err_set(e, "%s: more than %d redirects", name, FETCH_MAX_REDIRECTS);
	case CURLE_UNSUPPORTED_PROTOCOL:
		what = redirects > 0 ? "redirect to a protocol other than http or https refused" :
		    "protocol refused";
		break;
	case CURLE_PEER_FAILED_VERIFICATION: what = "TLS: the server's certificate is not trusted"; break;
	case CURLE_SSL_CONNECT_ERROR: what = "TLS handshake failed"; break;
	case CURLE_BAD_CONTENT_ENCODING: what = "bad Content-Encoding (gzip) data"; break;
	case CURLE_GOT_NOTHING: what = "the server closed the connection without answering"; break;
	case CURLE_RECV_ERROR: what = "receive error"; break;
	case CURLE_PARTIAL_FILE: what = "body shorter than announced"; break;
	default: what = curl_easy_strerror(rc); break;
	}
	if (errbuf[0] != '\0')
		return err_set(e, "%s: %s (%s)", name, what, errbuf);
	return err_set(e, "%s: %s", name, what);
}

/* Moves what the transfer collected into r. */
static int take(struct xfer *x, int status, struct fetch_result *r, const char *name,
    struct err *e)
{
	r->date = x->date;
	if (x->etag[0] != '\0' && (r->etag = strdup(x->etag)) == NULL)
		return err_set(e, "%s: out of memory", name);
	if (x->last_modified[0] != '\0' &&
	    (r->last_modified = strdup(x->last_modified)) == NULL)
		return err_set(e, "%s: out of memory", name);
	if (status == FETCH_NEW) {
		if (x->body == NULL && (x->body = malloc(1)) == NULL)
			return err_set(e, "%s: out of memory", name);
		x->body[x->len] = '\0';
		r->body = x->body;
		r->len = x->len;
		x->body = NULL;
	}
	return status;
}

int fetch_get(const struct fetch_opts *o, struct fetch_result *r, struct err *e)
{
	char name[FETCH_URL_MAX + 1], errbuf[CURL_ERROR_SIZE] = "";
	struct xfer *x = NULL;
	struct curl_slist *hdrs = NULL;
	CURL *c = NULL;
	CURLcode rc;
	long status = 0;
	int ret = -1;

	fetch_result_fini(r);
	fetch_url_redact(o->url != NULL ? o->url : "", name, sizeof(name));
	if (check_opts(o, name, e) != 0)
		return -1;
	if (fetch_global_init(e) != 0)
		return err_prefix(e, "%s", name);
	x = calloc(1, sizeof(*x));
	c = curl_easy_init();
	if (x == NULL || c == NULL) {
		err_set(e, "%s: out of memory", name);
		goto out;
	}
	x->max = o->max_bytes;
	if ((o->etag != NULL && add_header(&hdrs, "If-None-Match", o->etag) != 0) ||
	    (o->last_modified != NULL &&
	    add_header(&hdrs, "If-Modified-Since", o->last_modified) != 0) ||
	    setup(c, o, x, hdrs, errbuf) != 0) {
		err_set(e, "%s: cannot set up libcurl", name);
		goto out;
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		explain(c, rc, o, x, name, errbuf, e);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status == 304 && (o->etag != NULL || o->last_modified != NULL)) {
		ret = take(x, FETCH_NOT_MODIFIED, r, name, e);
	} else if (status == 200) {
		ret = take(x, FETCH_NEW, r, name, e);
	} else {
		char *eff = NULL, where[FETCH_URL_MAX + 1];
		curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
		if (eff != NULL && strcmp(eff, o->url) != 0) {
			fetch_url_redact(eff, where, sizeof(where));
			err_set(e, "%s: HTTP status %ld (redirected to %s)", name, status, where);
		} else {
			err_set(e, "%s: HTTP status %ld", name, status);
		}
	}
out:
	if (ret < 0)
		fetch_result_fini(r);
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	if (x != NULL)
		free(x->body);
	free(x);
	return ret;
}
