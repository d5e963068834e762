#include "http.h"

#include <civetweb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ocsp/hex.h"
#include "ocsp/log.h"
#include "ocsp/memguard.h"
#include "ocsp/request.h"
#include "ocsp/response.h"
#include "ocsp/timefmt.h"

/* An idle keep-alive connection holds a worker thread: long enough for a
 * client's next request, short enough not to starve the pool. */
#define KEEP_ALIVE_MS "5000"
/* A whole request (headers and body) must arrive within this. */
#define REQUEST_TIMEOUT_MS "10000"
/* Headers and body of one reply, sent with a single write. */
#define REPLY_MAX 16384
#define HEALTH_PATH "/healthz"
#define OCSP_REQUEST_TYPE "application/ocsp-request"
#define OCSP_RESPONSE_TYPE "application/ocsp-response"
/* mg_check_feature bit of an IPv6-capable build. */
#define MG_FEATURE_IPV6 8
/* The ETag is this much of the response's SHA-256, in hex: the same on
 * every node that serves the same bytes. */
#define ETAG_BYTES 10

struct http_server {
	struct mg_context *ctx;
	struct answerer *_Atomic answerer;
	char prefix[HTTP_PREFIX_MAX + 1];
	char *listen;			/* normalised: no spaces */
	size_t max_body;
	int64_t max_age;
};

/* HTTP validators of a cacheable answer (RFC 9110 8.8), derived from its
 * digest and times. */
struct validators {
	uint8_t digest[SIGNED_RESPONSE_DIGEST];	/* of the answer they describe */
	char etag[2 * ETAG_BYTES + 3];		/* quoted strong ETag */
	char last_modified[TIMEFMT_HTTP_LEN + 1];	/* thisUpdate */
	char expires[TIMEFMT_HTTP_LEN + 1];	/* nextUpdate */
};

/* Per worker thread, allocated once: civetweb's worker stacks are small
 * (100 KiB in its CMake build), and nothing here grows per request. */
struct worker {
	struct answer_scratch scratch;
	uint8_t body[REQUEST_MAX_DER + 1];
	char reply[REPLY_MAX];
	int64_t date_at;
	char date[TIMEFMT_HTTP_LEN + 1];
	struct validators last;		/* of the last answer sent, reused for the next */
};

/* The request headers lookupd looks at, found in one pass. */
struct req_headers {
	const char *connection;
	const char *content_type;
	const char *if_none_match;
	const char *if_modified_since;
};

struct hbuf {
	char *p;
	size_t len, cap;
	int overflow;
};

/* ---- checking the options ---- */

static int port_check(const char *s, size_t n)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v <= 65535 ? 0 : -1;
}

static int host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-';
}

static int addr_check(const char *s, size_t n, struct err *e)
{
	if (n == 0)
		return err_set(e, "listen: an address is needed before ':' (0.0.0.0 for all)");
	if (s[0] == '[') {
		if (!mg_check_feature(MG_FEATURE_IPV6))
			return err_set(e, "listen: '%.*s': this civetweb is built without IPv6 "
			    "(as Debian's is); listen on an IPv4 address", (int)n, s);
		if (n < 3 || s[n - 1] != ']')
			return err_set(e, "listen: '%.*s' is not [IPv6 address]", (int)n, s);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (!host_char(s[i]))
			return err_set(e, "listen: '%.*s' is not an IPv4 address or host name",
			    (int)n, s);
	return 0;
}

static int listen_item_check(const char *s, size_t n, struct err *e)
{
	size_t colon = n;

	while (colon > 0 && s[colon - 1] != ':')
		colon--;
	if (colon == 0)
		return err_set(e, "listen: '%.*s' is not ADDR:PORT", (int)n, s);
	if (port_check(s + colon, n - colon) != 0)
		return err_set(e, "listen: '%.*s' has no port between 0 and 65535", (int)n, s);
	return addr_check(s, colon - 1, e);
}

/* Checks the comma-separated list and writes it without blanks into out
 * (at least strlen(in) + 1 bytes). */
static int listen_norm(const char *in, char *out, struct err *e)
{
	size_t o = 0, i = 0;

	if (in == NULL || in[0] == '\0')
		return err_set(e, "listen: no address");
	while (in[i] != '\0') {
		size_t start, end;
		while (in[i] == ' ' || in[i] == '\t')
			i++;
		start = i;
		while (in[i] != '\0' && in[i] != ',' && in[i] != ' ' && in[i] != '\t')
			i++;
		end = i;
		while (in[i] == ' ' || in[i] == '\t')
			i++;
		if (in[i] != '\0' && in[i] != ',')
			return err_set(e, "listen: blank inside '%s'", in);
		if (listen_item_check(in + start, end - start, e) != 0)
			return -1;
		if (o > 0)
			out[o++] = ',';
		memcpy(out + o, in + start, end - start);
		o += end - start;
		if (in[i] == ',')
			i++;
	}
	out[o] = '\0';
	return 0;
}

/* "" or "/x/y" without a trailing '/'. Requests are matched against the
 * raw (still percent-encoded) path, so '%' has no place here. */
static int prefix_norm(const char *in, char out[HTTP_PREFIX_MAX + 1], struct err *e)
{
	size_t n = in ? strlen(in) : 0;

	while (n > 0 && in[n - 1] == '/')
		n--;
	if (n == 0) {
		out[0] = '\0';
		return 0;
	}
	if (in[0] != '/' || n > HTTP_PREFIX_MAX)
		return err_set(e, "path_prefix: '%s' must start with '/' and be at most %d "
		    "bytes", in, HTTP_PREFIX_MAX);
	for (size_t i = 0; i < n; i++)
		if (in[i] <= ' ' || in[i] > '~' || in[i] == '%' || in[i] == '?' ||
		    in[i] == '#' || in[i] == '\\')
			return err_set(e, "path_prefix: '%s' may only hold printable characters "
			    "other than %% ? # \\", in);
	memcpy(out, in, n);
	out[n] = '\0';
	return 0;
}

int http_conf_init(struct http_conf *hc, const struct http_opts *o, struct err *e)
{
	memset(hc, 0, sizeof(*hc));
	hc->listen = malloc(o->listen ? strlen(o->listen) + 1 : 1);
	if (hc->listen == NULL)
		return err_set(e, "out of memory");
	if (listen_norm(o->listen, hc->listen, e) != 0 ||
	    prefix_norm(o->path_prefix, hc->prefix, e) != 0)
		goto fail;
	if (o->max_request_bytes < 1 || o->max_request_bytes > REQUEST_MAX_DER) {
		err_set(e, "max_request_bytes must be 1 to %d", REQUEST_MAX_DER);
		goto fail;
	}
	hc->threads = o->threads;
	hc->max_body = o->max_request_bytes;
	hc->max_age = o->max_age;
	return 0;
fail:
	http_conf_fini(hc);
	return -1;
}

void http_conf_fini(struct http_conf *hc)
{
	free(hc->listen);
	hc->listen = NULL;
}

/* ---- building replies ---- */

static void h_add(struct hbuf *h, const char *s, size_t n)
{
	if (h->overflow || n > h->cap - h->len) {
		h->overflow = 1;
		return;
	}
	memcpy(h->p + h->len, s, n);
	h->len += n;
}

#define H_LIT(h, s) h_add((h), (s), sizeof(s) - 1)

static void h_str(struct hbuf *h, const char *s)
{
	h_add(h, s, strlen(s));
}

static void h_u64(struct hbuf *h, uint64_t v)
{
	char d[20];
	size_t n = 0;

	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	h_add(h, d + sizeof(d) - n, n);
}

/* The Date header is the same for a whole second: format it once per
 * second per worker. */
static const char *http_date(struct worker *w, int64_t now)
{
	if (w->date_at != now || w->date[0] == '\0') {
		if (timefmt_http(w->date, sizeof(w->date), now) != 0)
			w->date[0] = '\0';
		w->date_at = now;
	}
	return w->date;
}

static void h_begin(struct hbuf *h, struct worker *w, const char *status, int64_t now)
{
	h->p = w->reply;
	h->len = 0;
	h->cap = sizeof(w->reply);
	h->overflow = 0;
	H_LIT(h, "HTTP/1.1 ");
	h_str(h, status);
	H_LIT(h, "\r\nDate: ");
	h_str(h, http_date(w, now));
	H_LIT(h, "\r\n");
}

static void h_length(struct hbuf *h, size_t len)
{
	H_LIT(h, "Content-Length: ");
	h_u64(h, len);
	H_LIT(h, "\r\n");
}

/* Sends the headers in h and then body, with one write when they fit
 * together (a second small write would wait for the peer's ACK). */
static int h_send(struct mg_connection *conn, struct hbuf *h, int keep_alive,
    const void *body, size_t len)
{
	if (keep_alive)
		H_LIT(h, "Connection: keep-alive\r\n\r\n");
	else
		H_LIT(h, "Connection: close\r\n\r\n");
	if (h->overflow) {
		/* Headers are our own bounded strings: this is a bug. */
		log_error("reply headers over %zu bytes", h->cap);
		mg_send_http_error(conn, 500, "internal error\n");
		return -1;
	}
	if (len <= h->cap - h->len) {
		/* body may be a mapping of a file rewritten in place under us:
		 * answer 503 rather than die (the cache re-checks the file). */
		if (memguard_copy(h->p + h->len, body, len) != 0) {
			log_warn("a tree file shrank while being served (rewritten in place "
			    "instead of replaced by rename?); answered 503");
			mg_send_http_error(conn, 503, "try again\n");
			return -1;
		}
		return mg_write(conn, h->p, h->len + len) > 0 ? 0 : -1;
	}
	if (mg_write(conn, h->p, h->len) <= 0)
		return -1;
	return mg_write(conn, body, len) > 0 ? 0 : -1;
}

struct reply_ctx {
	struct mg_connection *conn;
	struct worker *w;
	int64_t now;
	int head;		/* HEAD: headers only */
	int keep_alive;
};

static int send_text(const struct reply_ctx *rc, int code, const char *status,
    const char *extra, const char *text)
{
	struct hbuf h;
	size_t len = strlen(text);

	h_begin(&h, rc->w, status, rc->now);
	H_LIT(&h, "Content-Type: text/plain\r\nCache-Control: no-store\r\n");
	h_length(&h, len);
	if (extra != NULL)
		h_str(&h, extra);
	h_send(rc->conn, &h, rc->keep_alive, text, rc->head ? 0 : len);
	return code;
}

/* OCSP errors travel in a 200 (RFC 6960 A.1), and an answer signed for
 * one request echoes its nonce: no shared cache may keep either (a
 * tryLater or unauthorized would outlive its cause), and a conditional
 * request cannot match them. */
static int send_uncacheable(const struct reply_ctx *rc, const struct answer *ans)
{
	struct hbuf h;

	h_begin(&h, rc->w, "200 OK", rc->now);
	H_LIT(&h, "Content-Type: " OCSP_RESPONSE_TYPE "\r\nCache-Control: no-store\r\n");
	h_length(&h, ans->len);
	h_send(rc->conn, &h, rc->keep_alive, ans->der, rc->head ? 0 : ans->len);
	return 200;
}

/* The validators of r; the bytes a worker served last are usually the
 * bytes it serves next, so they are formatted once for a run of them. */
static const struct validators *validators_of(struct worker *w,
    const struct signed_response *r)
{
	struct validators *v = &w->last;

	if (v->etag[0] != '\0' && memcmp(v->digest, r->digest, sizeof(v->digest)) == 0)
		return v;
	memcpy(v->digest, r->digest, sizeof(v->digest));
	if (timefmt_http(v->last_modified, sizeof(v->last_modified), r->this_update) != 0)
		v->last_modified[0] = '\0';
	if (timefmt_http(v->expires, sizeof(v->expires), r->next_update) != 0)
		v->expires[0] = '\0';
	v->etag[0] = '"';
	hex_lower(v->etag + 1, r->digest, ETAG_BYTES);
	v->etag[1 + 2 * ETAG_BYTES] = '"';
	v->etag[2 + 2 * ETAG_BYTES] = '\0';
	return v;
}

/* RFC 5019 section 6 / RFC 9919: freshness never past nextUpdate. */
static void h_caching(struct hbuf *h, const struct signed_response *r,
    const struct validators *v, int64_t now, int64_t max_age)
{
	int64_t age = r->next_update - now;

	if (age > max_age)
		age = max_age;
	if (age < 0)
		age = 0;
	H_LIT(h, "Last-Modified: ");
	h_str(h, v->last_modified);
	H_LIT(h, "\r\nExpires: ");
	h_str(h, v->expires);
	H_LIT(h, "\r\nETag: ");
	h_str(h, v->etag);
	H_LIT(h, "\r\nCache-Control: max-age=");
	h_u64(h, (uint64_t)age);
	H_LIT(h, ", public, no-transform, must-revalidate\r\n");
}

static int send_presigned(const struct reply_ctx *rc, const struct signed_response *r,
    const struct validators *v, int not_modified, int64_t max_age)
{
	struct hbuf h;

	h_begin(&h, rc->w, not_modified ? "304 Not Modified" : "200 OK", rc->now);
	if (!not_modified) {
		H_LIT(&h, "Content-Type: " OCSP_RESPONSE_TYPE "\r\n");
		h_length(&h, r->len);
	}
	h_caching(&h, r, v, rc->now, max_age);
	h_send(rc->conn, &h, rc->keep_alive, r->der,
	    rc->head || not_modified ? 0 : r->len);
	return not_modified ? 304 : 200;
}

/* ---- reading requests ---- */

static void headers_find(const struct mg_request_info *ri, struct req_headers *h)
{
	memset(h, 0, sizeof(*h));
	for (int i = 0; i < ri->num_headers; i++) {
		const char *n = ri->http_headers[i].name, *v = ri->http_headers[i].value;
		if (strcasecmp(n, "Connection") == 0)
			h->connection = v;
		else if (strcasecmp(n, "Content-Type") == 0)
			h->content_type = v;
		else if (strcasecmp(n, "If-None-Match") == 0)
			h->if_none_match = v;
		else if (strcasecmp(n, "If-Modified-Since") == 0)
			h->if_modified_since = v;
	}
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Calls fn on each comma-separated element of a header value, without
 * surrounding blanks; stops at the first one fn accepts. */
static int list_any(const char *v, int (*fn)(const char *s, size_t n, const void *arg),
    const void *arg)
{
	while (*v != '\0') {
		const char *s, *end;
		while (is_blank(*v) || *v == ',')
			v++;
		s = v;
		while (*v != '\0' && *v != ',')
			v++;
		end = v;
		while (end > s && is_blank(end[-1]))
			end--;
		if (end > s && fn(s, (size_t)(end - s), arg))
			return 1;
	}
	return 0;
}

static int token_is(const char *s, size_t n, const void *arg)
{
	return strlen(arg) == n && strncasecmp(s, arg, n) == 0;
}

/* Same decision as civetweb's own (which then keeps or closes the
 * connection): a Connection header decides, else HTTP/1.1 keeps it. */
static int wants_keep_alive(const struct mg_request_info *ri, const struct req_headers *h)
{
	if (h->connection != NULL)
		return list_any(h->connection, token_is, "keep-alive");
	return ri->http_version != NULL && strcmp(ri->http_version, "1.1") == 0;
}

/* If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ is
 * ignored, the opaque tags compare octet by octet. */
static int etag_is(const char *s, size_t n, const void *arg)
{
	if (n >= 2 && s[0] == 'W' && s[1] == '/') {
		s += 2;
		n -= 2;
	}
	return (n == 1 && s[0] == '*') || (strlen(arg) == n && memcmp(s, arg, n) == 0);
}

/* RFC 9110 13.2.2: If-None-Match, when present, overrides If-Modified-Since. */
static int is_not_modified(const struct req_headers *h, const struct signed_response *r,
    const struct validators *v)
{
	int64_t since;

	if (h->if_none_match != NULL)
		return list_any(h->if_none_match, etag_is, v->etag);
	if (h->if_modified_since != NULL &&
	    timefmt_parse_http(h->if_modified_since, &since) == 0)
		return r->this_update <= since;
	return 0;
}

/* A missing Content-Type is accepted: some clients send none. */
static int content_type_ok(const char *v)
{
	size_t n;

	if (v == NULL)
		return 1;
	while (is_blank(*v))
		v++;
	for (n = 0; v[n] != '\0' && v[n] != ';' && !is_blank(v[n]); n++)
		;
	return n == sizeof(OCSP_REQUEST_TYPE) - 1 && strncasecmp(v, OCSP_REQUEST_TYPE, n) == 0;
}

enum body_status { BODY_OK, BODY_TOO_BIG, BODY_ERROR };

/* Reads the whole body (Content-Length or chunked) into buf, at most max
 * bytes: one more byte than allowed is enough to know it is too big. */
static enum body_status read_body(struct mg_connection *conn,
    const struct mg_request_info *ri, uint8_t *buf, size_t max, size_t *len)
{
	size_t got = 0;

	*len = 0;
	if (ri->content_length > (long long)max)
		return BODY_TOO_BIG;
	for (;;) {
		int n = mg_read(conn, buf + got, max + 1 - got);
		if (n == 0)
			break;
		if (n < 0)
			return BODY_ERROR;
		got += (size_t)n;
		if (got > max)
			return BODY_TOO_BIG;
	}
	*len = got;
	return BODY_OK;
}

/* POST goes to "/" or to the prefix (with or without a trailing '/'). */
static int is_post_path(const struct http_server *s, const char *path)
{
	size_t n = strlen(path), pl = strlen(s->prefix);

	while (n > 0 && path[n - 1] == '/')
		n--;
	return n == 0 || (n == pl && memcmp(path, s->prefix, pl) == 0);
}

static int send_answer(const struct reply_ctx *rc, struct http_server *s,
    struct answerer *a, const struct req_headers *h, struct answer *ans, int is_get)
{
	int code;

	if (ans->kind == ANSWER_CACHEABLE) {
		const struct validators *v = validators_of(rc->w, ans->resp);
		code = send_presigned(rc, ans->resp, v, is_get && is_not_modified(h, ans->resp, v),
		    s->max_age);
	} else
		code = send_uncacheable(rc, ans);
	answer_release(a, ans);
	return code;
}

static int serve_get(const struct reply_ctx *rc, struct http_server *s,
    struct answerer *a, const struct req_headers *h, const char *path)
{
	struct answer ans;

	if (answer_get(a, path, strlen(path), s->prefix, rc->now, &rc->w->scratch, &ans) != 0)
		return send_text(rc, 404, "404 Not Found", NULL, "not found\n");
	return send_answer(rc, s, a, h, &ans, 1);
}

static int serve_post(const struct reply_ctx *rc, struct http_server *s,
    struct answerer *a, const struct req_headers *h, const char *path, size_t len)
{
	struct answer ans;

	if (!is_post_path(s, path))
		return send_text(rc, 404, "404 Not Found", NULL, "not found\n");
	if (!content_type_ok(h->content_type))
		return send_text(rc, 415, "415 Unsupported Media Type", NULL,
		    "expected Content-Type: " OCSP_REQUEST_TYPE "\n");
	answer_request(a, rc->w->body, len, rc->now, &rc->w->scratch, &ans);
	return send_answer(rc, s, a, h, &ans, 0);
}

enum method { M_GET, M_HEAD, M_POST, M_OTHER };

static enum method method_of(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return M_GET;
	if (strcmp(m, "POST") == 0)
		return M_POST;
	if (strcmp(m, "HEAD") == 0)
		return M_HEAD;
	return M_OTHER;
}

static int route(struct mg_connection *conn, struct http_server *s, struct worker *w,
    const struct mg_request_info *ri)
{
	struct answerer *a = atomic_load_explicit(&s->answerer, memory_order_acquire);
	const char *path = ri->local_uri_raw ? ri->local_uri_raw : "";
	enum method m = method_of(ri->request_method);
	struct req_headers h;
	struct reply_ctx rc = { conn, w, (int64_t)time(NULL), m == M_HEAD, 0 };
	size_t len = 0;

	headers_find(ri, &h);
	rc.keep_alive = wants_keep_alive(ri, &h);
	/* Any body is read first: what is left unread would be parsed as
	 * the next request, and a body too large closes the connection. */
	switch (read_body(conn, ri, w->body, s->max_body, &len)) {
	case BODY_TOO_BIG:
		mg_send_http_error(conn, 413, "request body over %zu bytes\n", s->max_body);
		return 413;
	case BODY_ERROR:
		mg_send_http_error(conn, 400, "request body incomplete\n");
		return 400;
	default:
		break;
	}
	if (strcmp(path, HEALTH_PATH) == 0 && (m == M_POST || m == M_OTHER))
		return send_text(&rc, 405, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
		    "method not allowed\n");
	if (m == M_OTHER)
		return send_text(&rc, 405, "405 Method Not Allowed", "Allow: GET, HEAD, POST\r\n",
		    "method not allowed\n");
	/* Bound but the tree not open yet: a load balancer must wait too. */
	if (a == NULL)
		return send_text(&rc, 503, "503 Service Unavailable", "Retry-After: 1\r\n",
		    "starting\n");
	if (strcmp(path, HEALTH_PATH) == 0)
		return send_text(&rc, 200, "200 OK", NULL, "ok\n");
	if (m == M_POST)
		return serve_post(&rc, s, a, &h, path, len);
	return serve_get(&rc, s, a, &h, path);
}

/* civetweb's "handle everything" hook: every request is ours, so civetweb
 * never looks for a handler or a file. */
static int on_request(struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	struct worker *w = mg_get_thread_pointer(conn);

	if (w == NULL) {
		mg_send_http_error(conn, 503, "out of memory\n");
		return 503;
	}
	return route(conn, ri->user_data, w, ri);
}

static void *on_thread_start(const struct mg_context *ctx, int type)
{
	struct worker *w;

	if (type != 1)		/* 1: a worker serving connections */
		return NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		log_error("no memory for a worker thread; it answers 503");
	return w;
}

static void on_thread_exit(const struct mg_context *ctx, int type, void *p)
{
	struct worker *w = p;

	if (w != NULL)
		answer_scratch_fini(&w->scratch);
	free(w);
}

/* civetweb's messages about a client connection can quote what the
 * client sent and are the client's problem: debug level. Its own
 * (cannot bind, cannot accept) come on a connection without a peer
 * address: warnings. */
static int on_log(const struct mg_connection *conn, const char *msg)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	char esc[512];

	log_escape(esc, sizeof(esc), msg, strlen(msg));
	if (ri == NULL || ri->remote_addr[0] == '\0')
		log_warn("civetweb: %s", esc);
	else
		log_debug("civetweb: %s", esc);
	return 1;
}

int http_start(const struct http_conf *hc, struct http_server **out, struct err *e)
{
	struct mg_callbacks cb;
	struct mg_init_data init;
	struct mg_error_data mgerr;
	char threads[24], mgmsg[256] = "";
	unsigned mgcode = 0;
	struct http_server *s;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->listen = strdup(hc->listen)) == NULL) {
		free(s);
		return err_set(e, "out of memory");
	}
	memcpy(s->prefix, hc->prefix, sizeof(s->prefix));
	s->max_body = hc->max_body;
	s->max_age = hc->max_age;
	atomic_init(&s->answerer, NULL);
	snprintf(threads, sizeof(threads), "%lld", (long long)hc->threads);
	const char *options[] = {
		"listening_ports", s->listen,
		"num_threads", threads,
		"enable_keep_alive", "yes",
		"keep_alive_timeout_ms", KEEP_ALIVE_MS,
		"request_timeout_ms", REQUEST_TIMEOUT_MS,
		/* The GET path is percent-decoded once, by get_path_decode,
		 * from local_uri_raw; civetweb would decode it in place. */
		"decode_url", "no",
		"tcp_nodelay", "1",
		/* Accept absolute-form targets (RFC 9112 3.2.2) whatever the
		 * host name; civetweb would drop them unanswered. */
		"enable_auth_domain_check", "no",
		"enable_directory_listing", "no",
		NULL
	};
	memset(&cb, 0, sizeof(cb));
	cb.begin_request = on_request;
	cb.init_thread = on_thread_start;
	cb.exit_thread = on_thread_exit;
	cb.log_message = on_log;
	init.callbacks = &cb;
	init.user_data = s;
	init.configuration_options = options;
	mgerr.code = &mgcode;
	mgerr.text = mgmsg;
	mgerr.text_buffer_size = sizeof(mgmsg);
	mg_init_library(0);
	s->ctx = mg_start2(&init, &mgerr);
	if (s->ctx == NULL) {
		err_set(e, "cannot serve on %s: %s", s->listen, mgmsg[0] ? mgmsg : "civetweb failed");
		http_stop(s);
		return -1;
	}
	*out = s;
	return 0;
}

void http_set_answerer(struct http_server *s, struct answerer *a)
{
	atomic_store_explicit(&s->answerer, a, memory_order_release);
}

void http_describe(const struct http_server *s, char *out, size_t size)
{
	struct mg_server_port ports[32];
	int n = mg_get_server_ports(s->ctx, 32, ports);
	size_t o = 0;
	const char *p = s->listen;

	out[0] = '\0';
	for (int i = 0; i < n && *p != '\0' && o < size; i++) {
		const char *end = strchr(p, ','), *colon;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		for (colon = p + len; colon > p && colon[-1] != ':'; colon--)
			;
		int w = snprintf(out + o, size - o, "%s%.*s%d", o ? ", " : "",
		    (int)(colon - p), p, ports[i].port);
		if (w < 0 || (size_t)w >= size - o)
			break;
		o += (size_t)w;
		p += len + (end != NULL);
	}
}

void http_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	if (s->ctx != NULL)
		mg_stop(s->ctx);
	mg_exit_library();
	free(s->listen);
	free(s);
}
