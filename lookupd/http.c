#include "http.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "ocsp/bytehash.h"
#include "ocsp/hex.h"
#include "ocsp/log.h"
#include "ocsp/memguard.h"
#include "ocsp/ratelimit.h"
#include "ocsp/request.h"
#include "ocsp/response.h"
#include "ocsp/serial.h"

#include "access_log.h"
#include "framing.h"
#include "listeners.h"
#ifdef OCSP_CIVETWEB_BUILTIN
#include "head_hook.h"
#endif
#include "health.h"
#include "metrics.h"
#include "reload.h"
#include "reply.h"
#include "watchdog.h"

#define HEALTH_PATH "/healthz"
#define LIVE_PATH "/livez"
#define METRICS_PATH "/metrics"
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
/* Ports mg_get_server_ports reports at most (listen and metrics_listen). */
#define PORTS_MAX 64
/* mg_check_feature bit of an IPv6-capable build. */
#define MG_FEATURE_IPV6 8
/* Warnings about bytes that changed under their mapping, per window. */
#define TORN_BURST 3
/* Connections accepted but not yet taken by a worker; a full queue leaves
 * the rest in the kernel's listen backlog. */
#define CONNECTION_QUEUE 1024
#define LISTEN_BACKLOG 4096

struct http_server {
	struct mg_context *ctx;
	struct reload *live;		/* the answerer in service (reload.h) */
	struct http_conf conf;		/* listen owned */
	/* Accepting starts at http_open: civetweb's master thread waits in
	 * its start callback until then. */
	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cond;
	int gate_open;			/* under gate_lock */
	struct listeners listeners;	/* the descriptors civetweb listens on */
	atomic_int draining;		/* answers close their connections */
	atomic_long busy;		/* connections a worker holds now */
	struct ratelimit torn_warn;
	struct watchdog *watchdog;	/* ends body waits past their deadline */
	struct metrics *metrics;
	struct health *health;
	struct access_log *access_log;	/* NULL: none */
	/* The ports of metrics_listen once bound (a port 0 resolved): /metrics
	 * is answered there only, and nothing else is. */
	int metrics_port[PORTS_MAX];
	size_t nmetrics_ports;
};

/* What a request got, for its metrics and access log line. */
struct outcome {
	enum metrics_ocsp ocsp;
	uint64_t bytes;
	int refusal;			/* enum metrics_refusal, or -1 */
	struct answer_info info;	/* an OCSP answer's; source NONE otherwise */
};

/* Per worker thread, in anonymous mapped memory: pages a worker never
 * touches cost nothing, and most of these bytes are touched rarely (a
 * large body, a large answer), while thousands of workers may wait for
 * connections. Nothing here grows per request. */
struct worker {
	struct watchdog_slot *slot;	/* NULL: no watchdog for this one */
	struct metrics_shard *ms;	/* this worker's counters */
	struct outcome out;		/* of the request being answered */
	struct reload_reader *reader;	/* NULL: no slot, answers 503 */
	int64_t requests;		/* answered on the connection it holds */
	struct reply_memo memo;
	struct answer_scratch scratch;
	char reply[REPLY_MAX];
	uint8_t body[REQUEST_MAX_DER + 1];
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

static int ipv6_check(const char *s, size_t n, struct err *e)
{
	char text[INET6_ADDRSTRLEN];
	struct in6_addr a;

	if (!mg_check_feature(MG_FEATURE_IPV6))
		return err_set(e, "listen: '%.*s': this lookupd's civetweb has no IPv6 (it was "
		    "built with the system library, as Debian builds it); listen on an IPv4 "
		    "address, or build with Debian's civetweb source (contrib/install-deps.sh)",
		    (int)n, s);
	if (n < 3 || s[n - 1] != ']' || n - 2 >= sizeof(text))
		return err_set(e, "listen: '%.*s' is not [IPv6 address]", (int)n, s);
	memcpy(text, s + 1, n - 2);
	text[n - 2] = '\0';
	if (inet_pton(AF_INET6, text, &a) != 1)
		return err_set(e, "listen: '%.*s' is not an IPv6 address", (int)n, s);
	return 0;
}

static int addr_check(const char *s, size_t n, struct err *e)
{
	if (n == 0)
		return err_set(e, "listen: an address is needed before ':' (0.0.0.0 for all "
		    "IPv4 addresses, [::] for all IPv6 ones)");
	if (s[0] == '[')
		return ipv6_check(s, n, e);
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

static int dup_opt(char **out, const char *in, struct err *e)
{
	*out = NULL;
	if (in == NULL || in[0] == '\0')
		return 0;
	if ((*out = strdup(in)) == NULL)
		return err_set(e, "out of memory");
	return 0;
}

/* metrics_listen, checked as listen is; the access log and health keys. */
static int ops_conf_init(struct http_conf *hc, const struct http_opts *o, struct err *e)
{
	if (o->metrics_listen != NULL && o->metrics_listen[0] != '\0') {
		if ((hc->metrics_listen = malloc(strlen(o->metrics_listen) + 1)) == NULL)
			return err_set(e, "out of memory");
		if (listen_norm(o->metrics_listen, hc->metrics_listen, e) != 0)
			return err_prefix(e, "metrics_listen");
	}
	if (dup_opt(&hc->access_log, o->access_log, e) != 0 ||
	    dup_opt(&hc->tree, o->tree, e) != 0)
		return -1;
	hc->stale_share = o->stale_share;
	hc->stale_warning = o->stale_warning;
	hc->max_generation_age = o->max_generation_age;
	return 0;
}

int http_conf_init(struct http_conf *hc, const struct http_opts *o, struct err *e)
{
	memset(hc, 0, sizeof(*hc));
	hc->listen = malloc(o->listen ? strlen(o->listen) + 1 : 1);
	if (hc->listen == NULL)
		return err_set(e, "out of memory");
	if (o->listen != NULL && strcmp(o->listen, HTTP_LISTEN_SYSTEMD) == 0)
		memcpy(hc->listen, HTTP_LISTEN_SYSTEMD, sizeof(HTTP_LISTEN_SYSTEMD));
	else if (listen_norm(o->listen, hc->listen, e) != 0)
		goto fail;
	if (prefix_norm(o->path_prefix, hc->prefix, e) != 0)
		goto fail;
	if (o->max_request_bytes < 1 || o->max_request_bytes > REQUEST_MAX_DER) {
		err_set(e, "max_request_bytes must be 1 to %d", REQUEST_MAX_DER);
		goto fail;
	}
	/* civetweb keeps MG_MAX_HEADERS fields and drops the rest without a
	 * word, so a request that fills them all may have had more. */
	if (o->max_headers < 1 || o->max_headers >= MG_MAX_HEADERS) {
		err_set(e, "max_headers must be 1 to %d", MG_MAX_HEADERS - 1);
		goto fail;
	}
	hc->threads = o->threads;
	hc->max_body = o->max_request_bytes;
	hc->max_header_bytes = o->max_header_bytes;
	hc->max_headers = (int)o->max_headers;
	hc->header_ms = o->header_timeout * 1000;
	hc->body_ms = o->body_timeout * 1000;
	hc->keep_alive_ms = o->keep_alive_timeout * 1000;
	hc->keep_alive_requests = o->keep_alive_requests;
	hc->busy_limit = o->threads * o->busy_threshold / 100;
	hc->max_age = o->max_age;
	hc->cache_tags = (int)o->cache_tags;
	if (ops_conf_init(hc, o, e) != 0)
		goto fail;
	return 0;
fail:
	http_conf_fini(hc);
	return -1;
}

void http_conf_fini(struct http_conf *hc)
{
	free(hc->listen);
	free(hc->metrics_listen);
	free(hc->access_log);
	free(hc->tree);
	hc->listen = NULL;
	hc->metrics_listen = NULL;
	hc->access_log = NULL;
	hc->tree = NULL;
}

const char *http_library(void)
{
	static char text[96];

#ifdef OCSP_CIVETWEB_BUILTIN
	const char *how = "built in";
#else
	const char *how = "the system library";
#endif
	snprintf(text, sizeof(text), "civetweb %s (%s), %s", mg_version(), how,
	    mg_check_feature(MG_FEATURE_IPV6) ? "IPv4 and IPv6" : "IPv4 only");
	return text;
}

/* ---- reading requests ---- */

enum body_status { BODY_OK, BODY_TOO_BIG, BODY_ERROR, BODY_SLOW };

/* Reads the whole body (Content-Length or chunked) into buf, at most max
 * bytes: one more byte than allowed is enough to know it is too big. The
 * whole body must arrive within body_timeout: civetweb would wait for a
 * trickled body as long as it trickles, so the watchdog interrupts the
 * wait at the deadline. */
static enum body_status read_body(const struct http_server *s, struct worker *w,
    struct mg_connection *conn, const struct mg_request_info *ri, size_t *len)
{
	int64_t deadline = watchdog_now_ms() + s->conf.body_ms;
	size_t got = 0, max = s->conf.max_body;
	enum body_status r = BODY_OK;

	*len = 0;
	if (ri->content_length > (long long)max)
		return BODY_TOO_BIG;
	watchdog_arm(w->slot, deadline);
	for (;;) {
		int n = mg_read(conn, w->body + got, max + 1 - got);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
		if (watchdog_now_ms() > deadline) {
			r = BODY_SLOW;
			break;
		}
		if (n < 0) {
			r = BODY_ERROR;
			break;
		}
		if (got > max) {
			r = BODY_TOO_BIG;
			break;
		}
	}
	watchdog_disarm(w->slot);
	*len = got;
	return r;
}

/* ---- sending replies ---- */

struct reply_ctx {
	struct mg_connection *conn;
	struct http_server *s;
	struct worker *w;
	int64_t now;
	int head;		/* HEAD: headers only */
	int keep_alive;		/* the client asked to keep it, and there are workers to spare */
};

/* Whether the connection is kept after this answer: the client's wish
 * (civetweb's own rule: a Connection header decides, else HTTP/1.1 keeps
 * it), unless most workers hold a connection, when an idle one would stop
 * a fresh client from being served. */
static int keep_alive_of(const struct http_server *s, const struct worker *w,
    const struct mg_request_info *ri, const struct req_headers *h)
{
	int wanted = h->connection != NULL ? reply_list_has(h->connection, "keep-alive") :
	    ri->http_version != NULL && strcmp(ri->http_version, "1.1") == 0;

	return wanted && s->conf.keep_alive_ms > 0 &&
	    w->requests < s->conf.keep_alive_requests &&
	    atomic_load_explicit(&s->busy, memory_order_relaxed) <= s->conf.busy_limit;
}

/* Ends the head, adds the body, sends it in one write. The body is copied
 * first: it may be a mapping that someone truncates or rewrites in place
 * (memguard.h), and when check is given the copy must still have the
 * checksum its bytes had when they were validated. Returns 0 when sent,
 * 1 when nothing was sent because the body was not what was checked, -1
 * when the client went away. */
static int send_reply(const struct reply_ctx *rc, struct reply *r, const void *body,
    size_t len, const uint64_t *check)
{
	reply_end_head(r, rc->keep_alive);
	if (!rc->keep_alive)
		mg_disable_connection_keep_alive(rc->conn);
	if (r->overflow || len > r->cap - r->len) {
		/* Our own bounded strings and bodies: this is a bug. */
		log_error("reply of %zu + %zu bytes over %zu", r->len, len, r->cap);
		mg_send_http_error(rc->conn, 500, "internal error\n");
		return -1;
	}
	if (len > 0 && (memguard_copy(r->p + r->len, body, len) != 0 ||
	    (check != NULL && bytehash_check(r->p + r->len, len) != *check)))
		return 1;
	if (mg_write(rc->conn, r->p, r->len + len) == (int)(r->len + len)) {
		rc->w->out.bytes += r->len + len;
		return 0;
	}
	/* The client went away, or took nothing for header_timeout: whatever
	 * it sent next must not be answered on a connection half written. */
	mg_disable_connection_keep_alive(rc->conn);
	return -1;
}

static void reply_start(struct reply *r, const struct reply_ctx *rc, const char *status)
{
	reply_begin(r, rc->w->reply, sizeof(rc->w->reply), &rc->w->memo, status, rc->now);
}

static int send_text(const struct reply_ctx *rc, int code, const char *status,
    const char *extra, const char *text)
{
	struct reply r;
	size_t len = strlen(text);

	reply_start(&r, rc, status);
	REPLY_LIT(&r, "Content-Type: text/plain\r\nCache-Control: no-store\r\n");
	reply_length(&r, len);
	if (extra != NULL)
		reply_str(&r, extra);
	send_reply(rc, &r, text, rc->head ? 0 : len, NULL);
	return code;
}

/* The responseStatus of what is sent: an unsuccessful response is the
 * five bytes response_error_der makes (SEQUENCE { ENUMERATED status }),
 * anything longer a successful one. */
static enum metrics_ocsp ocsp_status_of(const uint8_t *der, size_t len)
{
	if (len != 5 || der[2] != 0x0a)
		return METRICS_OCSP_SUCCESSFUL;
	switch (der[4]) {
	case RESPONSE_MALFORMED: return METRICS_OCSP_MALFORMED;
	case RESPONSE_INTERNAL_ERROR: return METRICS_OCSP_INTERNAL;
	case RESPONSE_TRY_LATER: return METRICS_OCSP_TRY_LATER;
	case RESPONSE_SIG_REQUIRED: return METRICS_OCSP_SIG_REQUIRED;
	case RESPONSE_UNAUTHORIZED: return METRICS_OCSP_UNAUTHORIZED;
	default: return METRICS_OCSP_NONE;
	}
}

/* OCSP errors travel in a 200 (RFC 6960 A.1), and an answer signed for
 * one request echoes its nonce: no shared cache may keep either (a
 * tryLater or unauthorized would outlive its cause), and a conditional
 * request cannot match them. */
static int send_uncacheable(const struct reply_ctx *rc, const uint8_t *der, size_t len)
{
	struct reply r;

	rc->w->out.ocsp = ocsp_status_of(der, len);
	reply_start(&r, rc, "200 OK");
	REPLY_LIT(&r, "Content-Type: " REPLY_OCSP_RESPONSE "\r\nCache-Control: no-store\r\n");
	reply_length(&r, len);
	send_reply(rc, &r, der, rc->head ? 0 : len, NULL);
	return 200;
}

static void warn_torn(struct http_server *s, int64_t now)
{
	unsigned long skipped = 0;
	char more[64];

	if (ratelimit_pass(&s->torn_warn, now, &skipped))
		log_warn("a tree file changed while being served (rewritten in place instead of "
		    "replaced by rename?); answered tryLater, and it is read again%s",
		    ratelimit_held_back(more, sizeof(more), skipped));
}

static int send_cacheable(const struct reply_ctx *rc, struct answerer *a,
    const struct answer *ans, const struct req_headers *h, int is_get)
{
	const struct signed_response *resp = ans->resp;
	const struct validators *v = reply_validators(&rc->w->memo, resp);
	int not_modified = is_get &&
	    reply_not_modified(h->if_none_match, h->if_modified_since, resp, v);
	struct reply r;
	size_t der_len;
	const uint8_t *der;

	rc->w->out.ocsp = METRICS_OCSP_SUCCESSFUL;
	reply_start(&r, rc, not_modified ? "304 Not Modified" : "200 OK");
	if (!not_modified) {
		REPLY_LIT(&r, "Content-Type: " REPLY_OCSP_RESPONSE "\r\n");
		reply_length(&r, resp->len);
	}
	reply_caching(&r, resp, v, rc->now, rc->s->conf.max_age);
	if (ans->tagged)
		reply_cache_tags(&r, &ans->id, rc->s->conf.cache_tags);
	if (send_reply(rc, &r, resp->der, rc->head || not_modified ? 0 : resp->len,
	    &resp->check) != 1)
		return not_modified ? 304 : 200;
	/* The bytes changed since they were validated: never send them, and
	 * never with caching headers. */
	warn_torn(rc->s, rc->now);
	answer_distrust(a, ans);
	der = response_error_der(RESPONSE_TRY_LATER, &der_len);
	return send_uncacheable(rc, der, der_len);
}

/* ---- routing ---- */

/* POST goes to "/" or to the prefix (with or without a trailing '/'). */
static int is_post_path(const struct http_server *s, const char *path)
{
	size_t n = strlen(path), pl = strlen(s->conf.prefix);

	while (n > 0 && path[n - 1] == '/')
		n--;
	return n == 0 || (n == pl && memcmp(path, s->conf.prefix, pl) == 0);
}

static int send_answer(const struct reply_ctx *rc, struct answerer *a,
    const struct req_headers *h, struct answer *ans, int is_get)
{
	int code;

	rc->w->out.info = ans->info;
	if (ans->kind == ANSWER_CACHEABLE)
		code = send_cacheable(rc, a, ans, h, is_get);
	else
		code = send_uncacheable(rc, ans->der, ans->len);
	answer_release(a, ans);
	return code;
}

static int serve_get(const struct reply_ctx *rc, struct answerer *a,
    const struct req_headers *h, const char *path)
{
	struct answer ans;

	if (answer_get(a, path, strlen(path), rc->s->conf.prefix, rc->now, &rc->w->scratch,
	    &ans) != 0)
		return send_text(rc, 404, "404 Not Found", NULL, "not found\n");
	return send_answer(rc, a, h, &ans, 1);
}

static int serve_post(const struct reply_ctx *rc, struct answerer *a,
    const struct req_headers *h, const char *path, size_t len)
{
	struct answer ans;

	if (!is_post_path(rc->s, path))
		return send_text(rc, 404, "404 Not Found", NULL, "not found\n");
	if (!reply_request_type_ok(h->content_type))
		return send_text(rc, 415, "415 Unsupported Media Type", NULL,
		    "expected Content-Type: " REPLY_OCSP_REQUEST "\n");
	answer_request(a, rc->w->body, len, rc->now, &rc->w->scratch, &ans);
	return send_answer(rc, a, h, &ans, 0);
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

/* A refusal before the body: the connection closes, so nothing unread is
 * taken for the next request. */
static int refuse(struct reply_ctx *rc, int code, const char *status, const char *why)
{
	rc->keep_alive = 0;
	rc->w->out.refusal = code == 431 ? METRICS_REFUSED_HEADERS_TOO_LARGE :
	    code == 413 ? METRICS_REFUSED_BODY_TOO_LARGE :
	    code == 408 ? METRICS_REFUSED_BODY_TIMEOUT : METRICS_REFUSED_BAD_REQUEST;
	return send_text(rc, code, status, NULL, why);
}

/* The verdict on the head as the client sent it (head.c), which civetweb
 * gave lookupd's check before parsing it (head_hook.c): what its in-place
 * parse hides from framing_scan (framing.c, G1 to G3) is refused here.
 * The system library has no such call, and framing.c is all there is. */
static int head_refused(const struct http_server *s, const char **why)
{
#ifdef OCSP_CIVETWEB_BUILTIN
	struct http_head_verdict v;
	int status = head_hook_take((size_t)s->conf.max_headers, &v);

	if (status < 0) {
		log_error("civetweb did not have the request head checked (built without "
		    "lookupd's hook?); the request is refused");
		*why = "internal error\n";
		return 500;
	}
	*why = v.reason;
	return status;
#else
	(void)s;
	(void)why;
	return 0;
#endif
}

static const char *refusal_status(int code)
{
	switch (code) {
	case 431:
		return "431 Request Header Fields Too Large";
	case 500:
		return "500 Internal Server Error";
	default:
		return "400 Bad Request";
	}
}

/* ---- operations: /metrics, /healthz, /livez ---- */

/* A reply whose body may be larger than a worker's buffer (a scrape of
 * thousands of CAs): the head from the buffer, then the body. */
static int send_text_body(const struct reply_ctx *rc, int code, const char *status,
    const char *type, const struct metrics_text *t, const char *what)
{
	struct reply r;
	size_t len = t->len;

	if (t->failed) {
		log_error("%s: out of memory or over %u bytes", what, METRICS_TEXT_MAX);
		return send_text(rc, 500, "500 Internal Server Error", NULL, "internal error\n");
	}
	reply_start(&r, rc, status);
	REPLY_LIT(&r, "Content-Type: ");
	reply_str(&r, type);
	REPLY_LIT(&r, "\r\nCache-Control: no-store\r\n");
	reply_length(&r, len);
	if (send_reply(rc, &r, NULL, 0, NULL) != 0 || rc->head || len == 0)
		return code;
	if (mg_write(rc->conn, t->p, len) == (int)len)
		rc->w->out.bytes += len;
	else
		mg_disable_connection_keep_alive(rc->conn);
	return code;
}

static struct health_workers workers_now(const struct http_server *s)
{
	struct health_workers w = { s->conf.threads,
	    atomic_load_explicit(&s->busy, memory_order_relaxed) };

	return w;
}

static int serve_health(const struct reply_ctx *rc)
{
	struct health_workers w = workers_now(rc->s);
	struct metrics_text t;
	int code;

	metrics_text_init(&t);
	code = health_check(rc->s->health, rc->now, &w, &t);
	if (code == 200)
		code = send_text(rc, 200, "200 OK", NULL, "ok\n");
	else
		code = send_text_body(rc, 503, "503 Service Unavailable", "application/json", &t,
		    HEALTH_PATH);
	metrics_text_fini(&t);
	return code;
}

static int serve_metrics(const struct reply_ctx *rc, struct answerer *a)
{
	struct health_workers w = workers_now(rc->s);
	struct metrics_text t;
	int code;

	metrics_text_init(&t);
	metrics_render(rc->s->metrics, &t);
	metrics_text_family(&t, "ocsp_lookupd_tree_errors_total", "counter", "Problems the "
	    "tree reader warned about: an unreadable issuer.meta, a refused response file.");
	metrics_text_u64(&t, "ocsp_lookupd_tree_errors_total", NULL,
	    a != NULL ? answerer_tree_errors(a) : 0);
	health_render(rc->s->health, rc->now, &w, &t);
	code = send_text_body(rc, 200, "200 OK", METRICS_TYPE, &t, METRICS_PATH);
	metrics_text_fini(&t);
	return code;
}

static int on_metrics_port(const struct http_server *s, int port)
{
	for (size_t i = 0; i < s->nmetrics_ports; i++)
		if (s->metrics_port[i] == port)
			return 1;
	return 0;
}

static int is_ops_path(const char *path)
{
	return strcmp(path, HEALTH_PATH) == 0 || strcmp(path, LIVE_PATH) == 0 ||
	    strcmp(path, METRICS_PATH) == 0;
}

/* The operations paths, on their own listener or the public one; returns
 * 0 for a request that is none of theirs. */
static int route_ops(struct reply_ctx *rc, struct answerer *a, const char *path, int port)
{
	int metrics_only = rc->s->nmetrics_ports > 0;
	int here = on_metrics_port(rc->s, port);

	if (here && !is_ops_path(path))
		return send_text(rc, 404, "404 Not Found", NULL, "not found\n");
	if (strcmp(path, METRICS_PATH) == 0) {
		if (metrics_only && !here)
			return send_text(rc, 404, "404 Not Found", NULL, "not found\n");
		return serve_metrics(rc, a);
	}
	if (!is_ops_path(path))
		return 0;
	/* Bound but the tree not open yet: a load balancer must wait too. */
	if (a == NULL)
		return send_text(rc, 503, "503 Service Unavailable", "Retry-After: 1\r\n",
		    "starting\n");
	if (strcmp(path, LIVE_PATH) == 0)
		return send_text(rc, 200, "200 OK", NULL, "ok\n");
	return serve_health(rc);
}

/* The answerer in service for this request, until on_request_end
 * (reload.h: no lock, a store to the worker's own slot). Signing contexts
 * this worker made from a replaced one are dropped first, while that one
 * is still alive for it. */
static struct answerer *worker_enter(struct worker *w)
{
	int drop;
	struct answerer *a = reload_enter(w->reader, &drop);

	if (drop)
		answer_scratch_fini(&w->scratch);
	return a;
}

static int route(struct mg_connection *conn, struct http_server *s, struct worker *w,
    const struct mg_request_info *ri)
{
	struct answerer *a = worker_enter(w);
	const char *path = ri->local_uri_raw ? ri->local_uri_raw : "";
	enum method m = method_of(ri->request_method);
	struct req_headers h;
	struct reply_ctx rc = { conn, s, w, (int64_t)time(NULL), m == M_HEAD, 0 };
	const char *why = NULL;
	size_t len = 0;
	int refused, code;

	int scan = framing_scan(ri, &h);

	w->requests++;
	rc.keep_alive = keep_alive_of(s, w, ri, &h);
	if ((refused = head_refused(s, &why)) == 0)
		refused = framing_refused(ri, s->conf.max_headers, scan, &h, &why);
	if (refused != 0)
		return refuse(&rc, refused, refusal_status(refused), why);
	/* Any body is read first: what is left unread would be parsed as
	 * the next request, and a body too large closes the connection. */
	switch (read_body(s, w, conn, ri, &len)) {
	case BODY_TOO_BIG:
		return refuse(&rc, 413, "413 Content Too Large", "request body too large\n");
	case BODY_SLOW:
		return refuse(&rc, 408, "408 Request Timeout", "request body too slow\n");
	case BODY_ERROR:
		return refuse(&rc, 400, "400 Bad Request", "request body incomplete\n");
	default:
		break;
	}
	if (is_ops_path(path) && (m == M_POST || m == M_OTHER))
		return send_text(&rc, 405, "405 Method Not Allowed", "Allow: GET, HEAD\r\n",
		    "method not allowed\n");
	if (m == M_OTHER)
		return send_text(&rc, 405, "405 Method Not Allowed", "Allow: GET, HEAD, POST\r\n",
		    "method not allowed\n");
	if ((code = route_ops(&rc, a, path, ri->server_port)) != 0)
		return code;
	/* Bound but the tree not open yet: a load balancer must wait too. */
	if (a == NULL)
		return send_text(&rc, 503, "503 Service Unavailable", "Retry-After: 1\r\n",
		    "starting\n");
	if (m == M_POST)
		return serve_post(&rc, a, &h, path, len);
	return serve_get(&rc, a, &h, path);
}

/* ---- civetweb's callbacks ---- */

static enum metrics_source source_of(enum answer_source s)
{
	switch (s) {
	case ANSWER_SRC_TREE: return METRICS_SRC_TREE;
	case ANSWER_SRC_ONLINE: return METRICS_SRC_ONLINE;
	case ANSWER_SRC_ONLINE_CACHE: return METRICS_SRC_ONLINE_CACHE;
	case ANSWER_SRC_NOT_FOUND: return METRICS_SRC_NOT_FOUND;
	case ANSWER_SRC_STALE: return METRICS_SRC_STALE;
	default: return METRICS_SRC_NONE;
	}
}

static enum metrics_method metrics_method_of(const char *m)
{
	switch (method_of(m)) {
	case M_GET: return METRICS_GET;
	case M_HEAD: return METRICS_HEAD;
	case M_POST: return METRICS_POST;
	default: return METRICS_OTHER;
	}
}

/* The access log line: issuer and serial as the request named them. */
static void log_access(struct access_log *l, const struct mg_request_info *ri,
    const struct outcome *o, int code, uint64_t us)
{
	char issuer[2 * HASH_MAX_LEN + 1], serial[SERIAL_NAME_MAX + 1];
	struct access_entry e = { (int64_t)time(NULL), ri->remote_addr, ri->request_method,
	    NULL, NULL, code, o->ocsp != METRICS_OCSP_NONE ? metrics_ocsp_name(o->ocsp) : NULL,
	    o->info.source != ANSWER_SRC_NONE ? metrics_source_name(source_of(o->info.source)) :
	    NULL, us };

	if (o->info.has_id && o->info.id.alg >= 0) {
		hex_lower(issuer, o->info.id.key_hash, hash_len(o->info.id.alg));
		e.issuer = issuer;
	}
	if (o->info.has_id && o->info.id.serial_ok) {
		serial_name(&o->info.id.serial, serial);
		e.serial = serial;
	}
	access_log_write(l, &e);
}

static void request_done(struct http_server *s, struct worker *w,
    const struct mg_request_info *ri, int code, uint64_t us)
{
	const struct outcome *o = &w->out;
	struct metrics_request mr = {
		.method = metrics_method_of(ri->request_method),
		.code = code,
		.ocsp = o->ocsp,
		.source = source_of(o->info.source),
		.duration_us = us,
		.bytes = o->bytes,
		.refusal = o->refusal,
		.sign_us = o->info.sign_us,
		.signed_online = o->info.signed_online,
		.sign_error = o->info.sign_error,
		.status_unavailable = o->info.status_unavailable,
	};

	metrics_count_request(w->ms, &mr);
	if (s->access_log != NULL)
		log_access(s->access_log, ri, o, code, us);
}

/* civetweb's "handle everything" hook: every request is ours, so civetweb
 * never looks for a handler or a file. */
static int on_request(struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	struct worker *w = mg_get_thread_pointer(conn);

	uint64_t t0;
	int code;

	if (w == NULL) {
		mg_send_http_error(conn, 503, "out of memory\n");
		return 503;
	}
	t0 = metrics_now_us();
	memset(&w->out, 0, sizeof(w->out));
	w->out.refusal = -1;
	code = route(conn, ri->user_data, w, ri);
	request_done(ri->user_data, w, ri, code, metrics_now_us() - t0);
	return code;
}

/* A worker holds a connection from here to on_connection_closed: the
 * count decides whether answers keep their connection. */
static int on_connection(const struct mg_connection *conn, void **data)
{
	struct http_server *s = mg_get_user_data(mg_get_context(conn));
	struct worker *w = mg_get_thread_pointer(conn);

	atomic_fetch_add_explicit(&s->busy, 1, memory_order_relaxed);
	if (w != NULL)
		w->requests = 0;
	return 0;
}

/* Every request civetweb hands to on_request ends here (and a few it
 * refused itself, for which leaving again is harmless). */
static void on_request_end(const struct mg_connection *conn, int status)
{
	struct http_server *s = mg_get_user_data(mg_get_context(conn));
	struct worker *w = mg_get_thread_pointer(conn);

	if (w != NULL) {
		int keep = w->scratch.online.nctx > 0 || w->scratch.online.buf != NULL;
		/* Contexts of a replaced configuration go now, while it is
		 * still alive for this worker. */
		if (keep && reload_stale(w->reader)) {
			answer_scratch_fini(&w->scratch);
			keep = 0;
		}
		reload_leave(w->reader, keep);
	}
	/* Stopping: the answer was complete; the client reconnects elsewhere
	 * (civetweb's own object, which this callback only sees as const). */
	if (atomic_load_explicit(&s->draining, memory_order_relaxed))
		mg_disable_connection_keep_alive((struct mg_connection *)conn);
}

static void on_connection_closed(const struct mg_connection *conn)
{
	struct http_server *s = mg_get_user_data(mg_get_context(conn));
	struct worker *w = mg_get_thread_pointer(conn);

	if (w != NULL)
		metrics_count_connection(w->ms, w->requests);
	atomic_fetch_sub_explicit(&s->busy, 1, memory_order_relaxed);
}

static void *on_thread_start(const struct mg_context *ctx, int type)
{
	struct http_server *s = mg_get_user_data(ctx);
	struct worker *w;

	if (type == 0) {	/* the master thread: it accepts once the gate opens */
		pthread_mutex_lock(&s->gate_lock);
		while (!s->gate_open)
			pthread_cond_wait(&s->gate_cond, &s->gate_lock);
		pthread_mutex_unlock(&s->gate_lock);
		return NULL;
	}
	if (type != 1)		/* 1: a worker serving connections */
		return NULL;
	w = mmap(NULL, sizeof(struct worker), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED) {
		log_error("no memory for a worker thread; it answers 503");
		return NULL;
	}
	w->slot = watchdog_join(s->watchdog);
	w->ms = metrics_shard_take(s->metrics);
	w->reader = reload_join(s->live);
	if (w->reader == NULL)
		log_error("no answerer slot for a worker thread; it answers 503");
	return w;
}

static void on_thread_exit(const struct mg_context *ctx, int type, void *p)
{
	struct worker *w = p;

	if (w == NULL)
		return;
	answer_scratch_fini(&w->scratch);
	munmap(w, sizeof(*w));
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

/* ---- the server ---- */

/* The metrics, readiness and access log parts of the server. */
static int ops_start(struct http_server *s, const struct http_conf *hc, struct err *e)
{
	struct health_opts ho = { hc->tree, hc->stale_share, hc->stale_warning,
	    hc->max_generation_age };

	if (metrics_new((size_t)hc->threads, &s->metrics, e) != 0 ||
	    health_new(&ho, &s->health, e) != 0 ||
	    access_log_open(hc->access_log, &s->access_log, e) != 0)
		return -1;
	return 0;
}

static size_t list_items(const char *list)
{
	size_t n = 1;

	for (; *list != '\0'; list++)
		n += *list == ',';
	return n;
}

/* Which bound ports are metrics_listen's: they come after listen's, in
 * order. A port both lists bind (on two addresses) could not tell its
 * requests apart: refused. */
static int metrics_ports_find(struct http_server *s, struct err *e)
{
	struct mg_server_port ports[PORTS_MAX];
	int n = mg_get_server_ports(s->ctx, PORTS_MAX, ports);
	size_t pub = list_items(s->conf.listen);

	if (s->conf.metrics_listen == NULL)
		return 0;
	if (n < 0 || (size_t)n != pub + list_items(s->conf.metrics_listen))
		return err_set(e, "metrics_listen: cannot tell its ports from listen's");
	for (size_t i = pub; i < (size_t)n; i++) {
		for (size_t j = 0; j < pub; j++)
			if (ports[j].port == ports[i].port)
				return err_set(e, "metrics_listen: port %d is also one of listen's",
				    ports[i].port);
		s->metrics_port[s->nmetrics_ports++] = ports[i].port;
	}
	return 0;
}

static void find_listeners(struct http_server *s)
{
	struct mg_server_port ports[LISTENERS_MAX];
	int n = mg_get_server_ports(s->ctx, LISTENERS_MAX, ports), p[LISTENERS_MAX];

	for (int i = 0; i < n; i++)
		p[i] = ports[i].port;
	listeners_find(&s->listeners, p, n < 0 ? 0 : n);
}

static void gate_open(struct http_server *s)
{
	pthread_mutex_lock(&s->gate_lock);
	s->gate_open = 1;
	pthread_cond_broadcast(&s->gate_cond);
	pthread_mutex_unlock(&s->gate_lock);
}

int http_start(const struct http_conf *hc, struct reload *live, struct http_server **out,
    struct err *e)
{
	struct mg_callbacks cb;
	struct mg_init_data init;
	struct mg_error_data mgerr;
	char threads[24], header_ms[24], keep_ms[24], bufsize[24], queue[24], backlog[24];
	char mgmsg[256] = "";
	unsigned mgcode = 0;
	struct http_server *s;
	char *ports = NULL;

	size_t passed = 0;

	*out = NULL;
	/* Socket activation: civetweb has no call that takes a socket, so it
	 * binds a loopback placeholder per passed socket, and the passed ones
	 * take the placeholders' descriptors (listeners.h) before the gate
	 * opens: civetweb then accepts on them, none the wiser. */
	if (strcmp(hc->listen, HTTP_LISTEN_SYSTEMD) == 0 &&
	    listeners_passed(&passed, mg_check_feature(MG_FEATURE_IPV6), e) != 0)
		return -1;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(e, "out of memory");
	s->conf = *hc;
	/* Owned by hc: only listen is copied, the rest is read in ops_start. */
	s->conf.access_log = s->conf.tree = NULL;
	s->conf.metrics_listen = NULL;
	s->conf.listen = passed ? listeners_placeholders(passed) : strdup(hc->listen);
	if (s->conf.listen == NULL || (hc->metrics_listen != NULL &&
	    (s->conf.metrics_listen = strdup(hc->metrics_listen)) == NULL)) {
		free(s->conf.listen);
		free(s);
		return err_set(e, "out of memory");
	}
	s->live = live;
	pthread_mutex_init(&s->gate_lock, NULL);
	pthread_cond_init(&s->gate_cond, NULL);
	listeners_init(&s->listeners);
	atomic_init(&s->draining, 0);
	atomic_init(&s->busy, 0);
	ratelimit_init(&s->torn_warn, TORN_BURST);
	mg_init_library(0);	/* http_stop's mg_exit_library balances it */
	if (watchdog_start((size_t)hc->threads, &s->watchdog, e) != 0 ||
	    ops_start(s, hc, e) != 0) {
		http_stop(s);
		return -1;
	}
	/* One context serves both lists: the metrics listener shares the
	 * workers, and is told apart by its port. */
	if (s->conf.metrics_listen != NULL) {
		size_t n = strlen(s->conf.listen) + 1 + strlen(s->conf.metrics_listen) + 1;
		if ((ports = malloc(n)) == NULL) {
			http_stop(s);
			return err_set(e, "out of memory");
		}
		snprintf(ports, n, "%s,%s", s->conf.listen, s->conf.metrics_listen);
	}
	snprintf(threads, sizeof(threads), "%lld", (long long)hc->threads);
	snprintf(header_ms, sizeof(header_ms), "%lld", (long long)hc->header_ms);
	snprintf(keep_ms, sizeof(keep_ms), "%lld", (long long)hc->keep_alive_ms);
	snprintf(bufsize, sizeof(bufsize), "%zu", hc->max_header_bytes);
	snprintf(queue, sizeof(queue), "%d", CONNECTION_QUEUE);
	snprintf(backlog, sizeof(backlog), "%d", LISTEN_BACKLOG);
	const char *options[] = {
		"listening_ports", ports != NULL ? ports : s->conf.listen,
		"num_threads", threads,
		"enable_keep_alive", hc->keep_alive_ms > 0 ? "yes" : "no",
		/* A whole request line and header section must arrive within
		 * this, and each wait for a client to read or send more ends
		 * after it: a slow client holds a worker this long at most. */
		"request_timeout_ms", header_ms,
		"keep_alive_timeout_ms", keep_ms,
		"max_request_size", bufsize,
		"connection_queue", queue,
		"listen_backlog", backlog,
		/* The GET path is percent-decoded once, by get_path_decode,
		 * from local_uri_raw; civetweb would decode it in place. */
		"decode_url", "no",
		"tcp_nodelay", "1",
		/* Accept absolute-form targets (RFC 9112 3.2.2) whatever the
		 * host name; civetweb would drop them unanswered. */
		"enable_auth_domain_check", "no",
		NULL
	};
	memset(&cb, 0, sizeof(cb));
	cb.begin_request = on_request;
	cb.init_connection = on_connection;
	cb.connection_closed = on_connection_closed;
	cb.end_request = on_request_end;
	cb.init_thread = on_thread_start;
	cb.exit_thread = on_thread_exit;
	cb.log_message = on_log;
	init.callbacks = &cb;
	init.user_data = s;
	init.configuration_options = options;
	mgerr.code = &mgcode;
	mgerr.text = mgmsg;
	mgerr.text_buffer_size = sizeof(mgmsg);
	s->ctx = mg_start2(&init, &mgerr);
	if (s->ctx == NULL) {
		err_set(e, "cannot serve on %s: %s", ports != NULL ? ports : s->conf.listen,
		    mgmsg[0] ? mgmsg : "civetweb failed");
		free(ports);
		http_stop(s);
		return -1;
	}
	free(ports);
	if (metrics_ports_find(s, e) != 0) {
		http_stop(s);
		return -1;
	}
	find_listeners(s);
	if (passed > 0 && listeners_inherit(&s->listeners, passed, e) != 0) {
		http_stop(s);
		return -1;
	}
	*out = s;
	return 0;
}

void http_open(struct http_server *s)
{
	gate_open(s);
}

/* civetweb has no call to stop accepting without also ending the
 * requests in flight: listeners.h does it under it. */
int http_quiesce(struct http_server *s, struct err *e)
{
	atomic_store_explicit(&s->draining, 1, memory_order_relaxed);
	return listeners_quiesce(&s->listeners, e);
}

void http_describe(const struct http_server *s, char *out, size_t size)
{
	struct mg_server_port ports[32];
	int n = mg_get_server_ports(s->ctx, 32, ports);
	size_t o = 0;
	const char *p = s->conf.listen;

	/* civetweb knows only the placeholders' addresses. */
	if (s->listeners.inherited > 0) {
		listeners_describe(&s->listeners, out, size);
		if (strlen(out) + sizeof(" (from systemd)") <= size)
			memcpy(out + strlen(out), " (from systemd)", sizeof(" (from systemd)"));
		return;
	}
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
	for (size_t i = 0; i < s->nmetrics_ports && o < size; i++) {
		int w = snprintf(out + o, size - o, "%s%d", i == 0 ? " (/metrics on port " : ", ",
		    s->metrics_port[i]);
		if (w < 0 || (size_t)w >= size - o)
			break;
		o += (size_t)w;
	}
	if (s->nmetrics_ports > 0 && o + 1 < size) {
		out[o++] = ')';
		out[o] = '\0';
	}
}

int http_reopen_logs(struct http_server *s, struct err *e)
{
	return access_log_reopen(s->access_log, e);
}

void http_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	/* A master thread still at the gate would never see the stop. */
	gate_open(s);
	if (s->ctx != NULL)
		mg_stop(s->ctx);
	mg_exit_library();
	listeners_fini(&s->listeners);
	pthread_cond_destroy(&s->gate_cond);
	pthread_mutex_destroy(&s->gate_lock);
	watchdog_stop(s->watchdog);
	ratelimit_fini(&s->torn_warn);
	/* After mg_stop: no worker counts or logs any more. */
	metrics_free(s->metrics);
	health_free(s->health);
	access_log_free(s->access_log);
	free(s->conf.listen);
	free(s->conf.metrics_listen);
	free(s);
}
