/* The upload engine: libcurl's multi interface, a fixed number of easy
 * handles (so at most that many transfers at once, and connections are
 * reused through the multi handle's pool), retries with backoff. S3
 * requests are signed by libcurl (CURLOPT_AWS_SIGV4). */
#include "upload_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "ocsp/array.h"
#include "ocsp/cli.h"
#include "ocsp/fetch.h"
#include "ocsp/hex.h"
#include "ocsp/log.h"

#define UPLOAD_PROTOCOLS "http,https"
#define BACKOFF_MAX_MS 10000
/* Kept of an error response's body, for its S3 <Code>. */
#define SNIPPET_MAX 512
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct slot {
	CURL *easy;
	int busy;
	size_t job;
	unsigned attempt;
	struct upload_req req;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	char snippet[SNIPPET_MAX + 1];
	size_t snippet_len;
	char *resp;			/* GET: the whole body */
	size_t resp_len, resp_cap;
	int resp_too_big;
};

/* A job waiting for its next attempt. */
struct retry {
	size_t job;
	unsigned attempt;
	int64_t due_ms;
};

struct upload_http {
	const struct upload_target *t;
	CURLM *multi;
	struct slot *slots;
	unsigned nslots, retries;
	struct retry *wait;		/* grows: a freed slot may fail its next job too */
	size_t nwait, wait_cap;
	char sigv4[16 + UPLOAD_REGION_MAX];
	char ua[64];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct upload_http *upload_http_new(const struct upload_target *t, unsigned concurrency,
    unsigned retries, struct err *e)
{
	struct upload_http *h;

	if (fetch_global_init(e) != 0)
		return NULL;
	if (concurrency < 1)
		concurrency = 1;
	h = calloc(1, sizeof(*h));
	if (h == NULL || (h->slots = calloc(concurrency, sizeof(*h->slots))) == NULL ||
	    (h->multi = curl_multi_init()) == NULL)
		goto oom;
	h->t = t;
	h->nslots = concurrency;
	h->retries = retries;
	for (unsigned i = 0; i < concurrency; i++)
		if ((h->slots[i].easy = curl_easy_init()) == NULL)
			goto oom;
	/* Each easy handle keeps its own connection; the pool takes over when
	 * handles leave the multi handle, so keep it as large. */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)concurrency);
	snprintf(h->sigv4, sizeof(h->sigv4), "aws:amz:%s:s3", t->region);
	snprintf(h->ua, sizeof(h->ua), "ocsp-responder/%s", ocsp_version());
	return h;
oom:
	err_set(e, "out of memory (upload engine)");
	upload_http_free(h);
	return NULL;
}

void upload_http_free(struct upload_http *h)
{
	if (h == NULL)
		return;
	for (unsigned i = 0; h->slots != NULL && i < h->nslots; i++) {
		struct slot *s = &h->slots[i];
		if (s->easy != NULL) {
			if (s->busy)
				curl_multi_remove_handle(h->multi, s->easy);
			curl_easy_cleanup(s->easy);
		}
		curl_slist_free_all(s->hdrs);
		free(s->req.body);
		free(s->resp);
	}
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	free(h->slots);
	free(h->wait);
	free(h);
}

/* A GET's body, kept whole up to UPLOAD_LIST_BODY_MAX. */
static int keep_body(struct slot *s, const char *buf, size_t n)
{
	if (n > UPLOAD_LIST_BODY_MAX - s->resp_len) {
		s->resp_too_big = 1;
		return -1;
	}
	if (s->resp_len + n + 1 > s->resp_cap) {
		size_t cap = s->resp_cap ? s->resp_cap : 65536;
		char *p;
		while (cap < s->resp_len + n + 1)
			cap *= 2;
		if ((p = realloc(s->resp, cap)) == NULL)
			return -1;
		s->resp = p;
		s->resp_cap = cap;
	}
	memcpy(s->resp + s->resp_len, buf, n);
	s->resp_len += n;
	s->resp[s->resp_len] = '\0';
	return 0;
}

static size_t on_body(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct slot *s = arg;
	size_t n = size * nmemb, room = SNIPPET_MAX - s->snippet_len;

	if (s->req.method == UPLOAD_GET && keep_body(s, buf, n) != 0)
		return 0;	/* libcurl ends the transfer with a write error */
	if (room > n)
		room = n;
	memcpy(s->snippet + s->snippet_len, buf, room);
	s->snippet_len += room;
	s->snippet[s->snippet_len] = '\0';
	return n;
}

static int add(struct curl_slist **l, const char *line)
{
	struct curl_slist *n = curl_slist_append(*l, line);

	if (n == NULL)
		return -1;
	*l = n;
	return 0;
}

/* A response's cache tags. S3 gives back only x-amz-meta-* of what a PUT
 * carried (signed with the rest: libcurl signs every header it is
 * given), so the CDN maps those to its purge header (contrib/cdn); a
 * WebDAV origin gets the headers themselves, which a server that keeps
 * them may serve (nginx's dav module does not: contrib/cdn). */
static int tag_headers(const struct upload_http *h, struct slot *s, char *line,
    size_t size)
{
	int s3 = h->t->kind == UPLOAD_S3;

	if (s->req.cache_tag[0] == '\0')
		return 0;
	snprintf(line, size, "%s: %s", s3 ? "x-amz-meta-cache-tag" : "Cache-Tag",
	    s->req.cache_tag);
	if (add(&s->hdrs, line) != 0)
		return -1;
	snprintf(line, size, "%s: %s", s3 ? "x-amz-meta-surrogate-key" : "Surrogate-Key",
	    s->req.surrogate_key);
	return add(&s->hdrs, line);
}

static int headers(struct upload_http *h, struct slot *s)
{
	char line[UPLOAD_TOKEN_MAX + 64], hex[65];

	if (s->req.method == UPLOAD_PUT) {
		snprintf(line, sizeof(line), "Content-Type: %s", s->req.content_type);
		if (add(&s->hdrs, line) != 0)
			return -1;
		snprintf(line, sizeof(line), "Cache-Control: %s", s->req.cache_control);
		if (add(&s->hdrs, line) != 0)
			return -1;
		if (tag_headers(h, s, line, sizeof(line)) != 0)
			return -1;
	}
	if (h->t->kind != UPLOAD_S3)
		return 0;
	/* libcurl 7.88 neither adds this header nor hashes a streamed body;
	 * given here, it is signed with the rest. */
	if (s->req.method == UPLOAD_PUT)
		hex_lower(hex, s->req.sha256, 32);
	else
		snprintf(hex, sizeof(hex), "%s", EMPTY_SHA256);
	snprintf(line, sizeof(line), "x-amz-content-sha256: %s", hex);
	if (add(&s->hdrs, line) != 0)
		return -1;
	if (h->t->token[0] != '\0') {
		snprintf(line, sizeof(line), "x-amz-security-token: %s", h->t->token);
		if (add(&s->hdrs, line) != 0)
			return -1;
	}
	return 0;
}

static int unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~';
}

/* name as S3's canonical URI has it: every byte but unreserved ones and
 * '/' as %XX (upper case), an empty segment left empty. libcurl 7.88
 * signs the path as given, and S3 (and s3rver) decode the path once and
 * encode each segment so: the two agree. WebDAV servers decode it alike. */
static int name_encode(const char *name, char *out, size_t cap)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *name != '\0'; name++) {
		unsigned char c = (unsigned char)*name;
		int plain = unreserved(c) || c == '/';
		if (o + (plain ? 1 : 3) + 1 > cap)
			return -1;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hexd[c >> 4];
			out[o++] = hexd[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

static int setup(struct upload_http *h, struct slot *s)
{
	char url[UPLOAD_URL_MAX + UPLOAD_QUERY_STR_MAX + 3 * UPLOAD_NAME_MAX + 8];
	char enc[3 * UPLOAD_NAME_MAX + 8];
	CURL *c = s->easy;
	CURLcode rc = CURLE_OK;
	int n;

	if (s->req.method == UPLOAD_GET) {
		n = snprintf(url, sizeof(url), "%s?%s", h->t->bucket_url, s->req.query);
	} else {
		if (name_encode(s->req.name, enc, sizeof(enc)) != 0)
			return -1;
		n = snprintf(url, sizeof(url), "%s%s", h->t->base, enc);
	}
	if (n < 0 || (size_t)n >= sizeof(url))
		return -1;
	curl_easy_reset(c);
	s->errbuf[0] = '\0';
	s->snippet_len = 0;
	s->snippet[0] = '\0';
	s->resp_len = 0;
	s->resp_too_big = 0;
	if (headers(h, s) != 0)
		return -1;
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PRIVATE, s);
	SET(CURLOPT_ERRORBUFFER, s->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, UPLOAD_PROTOCOLS);
	SET(CURLOPT_CONNECTTIMEOUT, (long)UPLOAD_CONNECT_TIMEOUT);
	SET(CURLOPT_TIMEOUT, (long)UPLOAD_TIMEOUT);
	SET(CURLOPT_USERAGENT, h->ua);
	SET(CURLOPT_HTTPHEADER, s->hdrs);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, s);
	if (s->req.method == UPLOAD_PUT) {
		/* The body as POST fields under the PUT method: libcurl sends
		 * "Expect: 100-continue" (one more round trip) for an upload of any
		 * size but for POST fields only past 1 MiB, and removing the header
		 * instead ("Expect:") breaks its SigV4 signature. */
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->req.len);
		SET(CURLOPT_POSTFIELDS, s->req.len ? (const char *)s->req.body : "");
		SET(CURLOPT_CUSTOMREQUEST, "PUT");
	} else if (s->req.method == UPLOAD_GET) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		SET(CURLOPT_CUSTOMREQUEST, s->req.method == UPLOAD_DELETE ? "DELETE" : "MKCOL");
	}
	if (h->t->kind == UPLOAD_S3) {
		SET(CURLOPT_AWS_SIGV4, h->sigv4);
		SET(CURLOPT_USERNAME, h->t->key_id);
		SET(CURLOPT_PASSWORD, h->t->secret);
	} else {
		/* A WebDAV origin's password may sit in ~/.netrc, never in argv. */
		SET(CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	}
#undef SET
	return rc == CURLE_OK ? 0 : -1;
}

static const char *method_name(enum upload_method m)
{
	return m == UPLOAD_PUT ? "PUT" : m == UPLOAD_DELETE ? "DELETE" :
	    m == UPLOAD_GET ? "GET" : "MKCOL";
}

/* The <Code> of an S3 error document, if the body has one. */
static void s3_code(const struct slot *s, char *out, size_t size)
{
	const char *a = strstr(s->snippet, "<Code>"), *b;

	out[0] = '\0';
	if (a == NULL || (b = strstr(a + 6, "</Code>")) == NULL)
		return;
	log_escape(out, size, a + 6, (size_t)(b - a - 6));
}

/* A message cut at size is still worth reading. */
static void say(char *msg, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *msg, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
}

static int status_ok(enum upload_method m, long st)
{
	if (st >= 200 && st <= 299)
		return 1;
	return (m == UPLOAD_DELETE && st == 404) || (m == UPLOAD_MKCOL && st == 405);
}

static int status_retryable(long st)
{
	return st == 408 || st == 429 || (st >= 500 && st <= 599);
}

/* 1 done, 0 failed for good, -1 worth another try; msg says why not. */
static int outcome(struct upload_http *h, struct slot *s, CURLcode rc, char *msg,
    size_t size)
{
	long st = 0;
	char code[96];

	if (rc != CURLE_OK && s->resp_too_big) {
		say(msg, size, "GET %s?%s: a listing larger than %zu bytes", h->t->bucket_url,
		    s->req.query, UPLOAD_LIST_BODY_MAX);
		return 0;
	}
	if (rc != CURLE_OK) {
		say(msg, size, "%s %s%s: %s%s%s%s", method_name(s->req.method), h->t->shown,
		    s->req.name, curl_easy_strerror(rc), s->errbuf[0] ? " (" : "", s->errbuf,
		    s->errbuf[0] ? ")" : "");
		return rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL ? 0 : -1;
	}
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &st);
	if (status_ok(s->req.method, st))
		return 1;
	s3_code(s, code, sizeof(code));
	say(msg, size, "%s %s%s: HTTP status %ld%s%s%s", method_name(s->req.method),
	    h->t->shown, s->req.name, st, code[0] ? " (" : "", code, code[0] ? ")" : "");
	return status_retryable(st) ? -1 : 0;
}

static void release(struct slot *s)
{
	curl_slist_free_all(s->hdrs);
	s->hdrs = NULL;
	free(s->req.body);
	s->req.body = NULL;
	s->busy = 0;
}

/* Starts job on a free slot; 0, or -1 after reporting the job failed. */
static int start(struct upload_http *h, struct slot *s, const struct upload_batch *b,
    size_t job, unsigned attempt)
{
	struct err e;

	memset(&s->req, 0, sizeof(s->req));
	if (b->prepare(b->arg, job, &s->req, &e) != 0) {
		free(s->req.body);
		s->req.body = NULL;
		b->done(b->arg, job, 0, e.msg);
		return -1;
	}
	s->job = job;
	s->attempt = attempt;
	s->busy = 1;
	if (setup(h, s) != 0 || curl_multi_add_handle(h->multi, s->easy) != CURLM_OK) {
		release(s);
		b->done(b->arg, job, 0, "cannot set up libcurl (out of memory?)");
		return -1;
	}
	return 0;
}

static int64_t backoff_ms(unsigned attempt)
{
	int64_t d = UPLOAD_BACKOFF_MS;

	for (unsigned i = 1; i < attempt && d < BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > BACKOFF_MAX_MS)
		d = BACKOFF_MAX_MS;
	/* A little spread, so that retries after an outage do not all land at once. */
	return d + (int64_t)(rand() % (int)(d / 4 + 1));
}

struct run_state {
	size_t next;		/* first job never started */
	size_t failed_in_row;
	size_t give_up;
	int stop;
};

static void finished(struct upload_http *h, struct slot *s, CURLcode rc,
    const struct upload_batch *b, struct run_state *rs)
{
	char msg[ERR_MSG_MAX];
	int r = outcome(h, s, rc, msg, sizeof(msg));
	size_t job = s->job;
	unsigned attempt = s->attempt;
	struct retry *w;

	if (r == 1 && s->req.method == UPLOAD_GET && b->got != NULL &&
	    b->got(b->arg, job, s->resp ? s->resp : "", s->resp_len, msg, sizeof(msg)) != 0)
		r = 0;
	curl_multi_remove_handle(h->multi, s->easy);
	release(s);
	if (r < 0 && attempt < h->retries && !rs->stop &&
	    (w = array_grow(h->wait, &h->wait_cap, h->nwait + 1, sizeof(*w))) != NULL) {
		h->wait = w;
		h->wait[h->nwait].job = job;
		h->wait[h->nwait].attempt = attempt + 1;
		h->wait[h->nwait].due_ms = now_ms() + backoff_ms(attempt + 1);
		h->nwait++;
		return;
	}
	if (r == 1) {
		rs->failed_in_row = 0;
	} else if (++rs->failed_in_row >= rs->give_up) {
		rs->stop = 1;
	}
	b->done(b->arg, job, r == 1, msg);
}

/* Fills free slots: due retries first, then new jobs. Returns the time
 * until the next retry falls due (ms, -1 if none waits). */
static int64_t fill(struct upload_http *h, const struct upload_batch *b, struct run_state *rs)
{
	int64_t t = now_ms(), wait = -1;

	for (unsigned i = 0; i < h->nslots && !rs->stop; i++) {
		struct slot *s = &h->slots[i];
		size_t w, best = h->nwait;
		if (s->busy)
			continue;
		for (w = 0; w < h->nwait; w++)
			if (h->wait[w].due_ms <= t && (best == h->nwait ||
			    h->wait[w].due_ms < h->wait[best].due_ms))
				best = w;
		if (best < h->nwait) {
			struct retry r = h->wait[best];
			h->wait[best] = h->wait[--h->nwait];
			start(h, s, b, r.job, r.attempt);
		} else if (rs->next < b->n) {
			start(h, s, b, rs->next++, 0);
		}
	}
	for (size_t w = 0; w < h->nwait; w++) {
		int64_t d = h->wait[w].due_ms - t;
		if (d < 0)
			d = 0;
		if (wait < 0 || d < wait)
			wait = d;
	}
	return wait;
}

static int any_busy(const struct upload_http *h)
{
	for (unsigned i = 0; i < h->nslots; i++)
		if (h->slots[i].busy)
			return 1;
	return 0;
}

size_t upload_http_run(struct upload_http *h, const struct upload_batch *b)
{
	struct run_state rs = { 0, 0, h->nslots > UPLOAD_GIVE_UP_MIN ? h->nslots :
	    UPLOAD_GIVE_UP_MIN, 0 };
	int running = 0;

	h->nwait = 0;
	for (;;) {
		int64_t wait = fill(h, b, &rs);
		CURLMsg *m;
		int left;

		if (!any_busy(h) && (rs.stop || (h->nwait == 0 && rs.next >= b->n)))
			break;
		curl_multi_perform(h->multi, &running);
		while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
			struct slot *s = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			finished(h, s, m->data.result, b, &rs);
		}
		if (running > 0 || wait >= 0)
			curl_multi_poll(h->multi, NULL, 0, running > 0 ? (wait >= 0 && wait < 1000 ?
			    (int)wait : 1000) : (int)(wait < 1000 ? wait : 1000), NULL);
	}
	return (b->n - rs.next) + h->nwait;
}
