/* URL mode: a responder (lookupd, a CDN in front of a tree) asked as
 * clients ask it, for every certificate of the source: GET twice (the
 * answer and its validators must be stable, as a cache sees them) and
 * POST once, and a few serials the CA never issued, which must not come
 * back good. The one file of ocsp-audit that includes curl.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ocsp/get_key.h"
#include "ocsp/timefmt.h"

#include "audit.h"

#define AUDIT_URL_MAX 4096
#define CONTENT_TYPE "application/ocsp-response"

struct job {
	uint32_t ca;
	uint8_t alg;
	size_t rec;			/* SIZE_MAX: a probe */
	struct serial probe;
};

struct worker {
	void *curl;
	struct audit_reply a, b;
};

struct url_audit {
	struct audit_run *r;
	struct job *jobs;
	size_t njobs;
	struct worker *w;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct audit_reply *r = arg;
	size_t n = size * nmemb;

	if (n > r->cap - r->len) {
		r->too_big = 1;
		return 0;	/* stops the transfer */
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	return n;
}

static void keep_header(char *out, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	if (n >= AUDIT_HEADER_MAX)
		n = AUDIT_HEADER_MAX - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	static const struct { const char *name; size_t off; } wanted[] = {
		{ "content-type", offsetof(struct audit_reply, content_type) },
		{ "cache-control", offsetof(struct audit_reply, cache_control) },
		{ "last-modified", offsetof(struct audit_reply, last_modified) },
		{ "expires", offsetof(struct audit_reply, expires) },
		{ "etag", offsetof(struct audit_reply, etag) },
	};
	struct audit_reply *r = arg;
	size_t n = size * nmemb;
	const char *colon = memchr(p, ':', n);

	if (colon == NULL)
		return n;
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		size_t k = strlen(wanted[i].name);
		if ((size_t)(colon - p) == k && strncasecmp(p, wanted[i].name, k) == 0)
			keep_header((char *)r + wanted[i].off, colon + 1, n - k - 1);
	}
	return n;
}

static void reply_reset(struct audit_reply *r)
{
	uint8_t *body = r->body;
	size_t cap = r->cap;

	memset(r, 0, sizeof(*r));
	r->body = body;
	r->cap = cap;
}

void audit_s3_auth_wipe(struct audit_s3_auth *a)
{
	OPENSSL_cleanse(a, sizeof(*a));
}

void audit_fetch_free(void *handle)
{
	curl_easy_cleanup(handle);
}

int audit_fetch(void **handle, const char *url, const uint8_t *post, size_t post_len,
    const struct audit_s3_auth *auth, int64_t timeout, struct audit_reply *r,
    struct err *e)
{
	/* S3 signs the payload's SHA-256: that of nothing, for a GET. */
	static const char empty_sha256[] = "x-amz-content-sha256: "
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	struct curl_slist *h = NULL;
	CURL *c = *handle;
	CURLcode rc;

	reply_reset(r);
	if (c == NULL && (c = *handle = curl_easy_init()) == NULL)
		return err_set(e, "curl_easy_init failed");
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (post != NULL) {
		h = curl_slist_append(h, "Content-Type: application/ocsp-request");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)post_len);
	}
	if (auth != NULL) {
		h = curl_slist_append(h, empty_sha256);
		if (auth->token_header[0])
			h = curl_slist_append(h, auth->token_header);
		curl_easy_setopt(c, CURLOPT_AWS_SIGV4, auth->sigv4);
		curl_easy_setopt(c, CURLOPT_USERPWD, auth->userpwd);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	/* libcurl keeps a copy of the credentials in the handle until reset. */
	if (auth != NULL)
		curl_easy_setopt(c, CURLOPT_USERPWD, NULL);
	if (r->too_big)
		return err_set(e, "the answer is over %zu bytes", r->cap);
	if (rc != CURLE_OK)
		return err_set(e, "%s", curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
}

static void tell(void *arg, enum audit_kind k, const char *what)
{
	const struct audit_where *w = arg;

	audit_out_finding(w->r->out, w->a->name, w->serial, w->what, k, what);
}

/* Tells one HTTP finding; returns 1, to be counted. */
static int http_finding(const struct audit_where *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int http_finding(const struct audit_where *w, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	audit_out_finding(w->r->out, w->a->name, w->serial, w->what, AUDIT_HTTP, msg);
	return 1;
}

/* The caching headers must not outlive the response or misdate it
 * (RFC 5019 6.2): Expires at most nextUpdate, max-age not past it.
 * Returns the number of findings. */
int audit_http_caching(const struct audit_where *w, const struct audit_reply *r,
    const struct audit_seen *s, const struct audit_policy *p)
{
	int64_t now = p->now, skew = p->skew;
	int64_t age, t;
	int n = 0, m;

	if (!s->successful || s->next_update == 0)
		return 0;
	m = audit_max_age(r->cache_control, strlen(r->cache_control), &age);
	if (m < 0)
		n += http_finding(w, "Cache-Control '%s' has a malformed max-age", r->cache_control);
	/* One second for the time between the answer and this check. */
	if (m > 0 && now + age > s->next_update + 1)
		n += http_finding(w, "max-age=%lld runs %lld s past nextUpdate", (long long)age,
		    (long long)(now + age - s->next_update));
	/* Older than thisUpdate, it would let a cache revalidate an older
	 * response as current; a static origin gives the file's time, which
	 * is later than the backdated thisUpdate, and is fine. */
	if (r->last_modified[0] && (timefmt_parse_http(r->last_modified, &t) != 0 ||
	    t < s->this_update || t > now + skew))
		n += http_finding(w, "Last-Modified '%s' is before thisUpdate or in the future",
		    r->last_modified);
	if (r->expires[0] && (timefmt_parse_http(r->expires, &t) != 0 || t > s->next_update))
		n += http_finding(w, "Expires '%s' is after nextUpdate", r->expires);
	return n;
}

/* Status and Content-Type (exactly, as nginx and NSS compare it). */
int audit_http_head(const struct audit_where *w, const struct audit_reply *r)
{
	if (r->status != 200)
		return http_finding(w, "HTTP status %ld", r->status);
	if (strcmp(r->content_type, CONTENT_TYPE) != 0)
		return http_finding(w, "Content-Type '%s', not " CONTENT_TYPE, r->content_type);
	return 0;
}

static int ask(struct url_audit *u, struct worker *wk, struct audit_ca *a,
    const struct audit_expect *x, const char *url, const uint8_t *post, size_t post_len,
    struct audit_reply *r, struct audit_seen *seen, struct audit_where *w)
{
	struct audit_sink s = { tell, w };
	struct err e;
	int n;

	if (audit_fetch(&wk->curl, url, post, post_len, NULL, u->r->timeout, r, &e) != 0) {
		audit_out_finding(u->r->out, a->name, x->serial, w->what, AUDIT_UNCHECKED, e.msg);
		return 1;
	}
	n = audit_http_head(w, r);
	if (r->status == 200)
		n += audit_check(a, &u->r->policy, x, r->body, r->len, seen, &s);
	return n;
}

/* GET twice: a cache may keep either answer, so both must be one. */
static int check_get(struct url_audit *u, struct worker *wk, struct audit_ca *a,
    const struct audit_expect *x, const char *url, struct audit_where *w)
{
	struct audit_seen seen;
	struct err e;
	int same, n = ask(u, wk, a, x, url, NULL, 0, &wk->a, &seen, w);

	if (wk->a.status != 200)
		return n;
	n += audit_http_caching(w, &wk->a, &seen, &u->r->policy);
	if (audit_fetch(&wk->curl, url, NULL, 0, NULL, u->r->timeout, &wk->b, &e) != 0) {
		audit_out_finding(u->r->out, a->name, x->serial, w->what, AUDIT_UNCHECKED, e.msg);
		return n + 1;
	}
	same = wk->a.len == wk->b.len && memcmp(wk->a.body, wk->b.body, wk->a.len) == 0;
	if (strcmp(wk->a.etag, wk->b.etag) != 0 && same)
		n += http_finding(w, "ETag changed between two fetches of the same bytes ('%s', '%s')",
		    wk->a.etag, wk->b.etag);
	if (wk->a.etag[0] && strcmp(wk->a.etag, wk->b.etag) == 0 && !same)
		n += http_finding(w, "the same ETag '%s' for different bytes", wk->a.etag);
	return n;
}

static int build_urls(const char *base, const uint8_t *der, size_t len, char *get,
    size_t cap)
{
	char b64[GET_KEY_B64_MAX + 1], pct[GET_KEY_PCT_MAX + 1];
	size_t bl = strlen(base);

	if (get_key_base64(der, len, b64, sizeof(b64)) < 0 ||
	    get_key_percent(b64, pct, sizeof(pct)) < 0)
		return -1;
	int n = snprintf(get, cap, "%s%s%s", base, bl && base[bl - 1] == '/' ? "" : "/", pct);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static void url_job(void *arg, unsigned worker, size_t i)
{
	struct url_audit *u = arg;
	struct worker *wk = &u->w[worker];
	const struct job *j = &u->jobs[i];
	struct audit_ca *a = &u->r->cas[j->ca];
	const struct status_rec *rec = j->rec == SIZE_MAX ? NULL : &a->recs.v[j->rec];
	const struct serial *sn = rec ? &rec->serial : &j->probe;
	struct audit_expect x = { (enum hash_alg)j->alg, sn, rec };
	uint8_t der[GET_KEY_DER_MAX];
	char get[AUDIT_URL_MAX], post_where[AUDIT_URL_MAX + 8], get_where[AUDIT_URL_MAX + 8];
	struct audit_where w = { u->r, a, sn, get_where };
	size_t len;
	struct err e;
	int n = 0;

	if (get_key_request(x.alg, GET_KEY_ALGID_NULL, a->ca->hash[x.alg].name,
	    a->ca->hash[x.alg].key, sn, der, sizeof(der), &len, &e) != 0 ||
	    build_urls(u->r->url, der, len, get, sizeof(get)) != 0) {
		audit_out_finding(u->r->out, a->name, sn, u->r->url, AUDIT_UNCHECKED,
		    "no request can be made for this serial");
		audit_out_checked(u->r->out, 0);
		return;
	}
	snprintf(get_where, sizeof(get_where), "GET %s", get);
	snprintf(post_where, sizeof(post_where), "POST %s", u->r->url);
	if (u->r->get)
		n += check_get(u, wk, a, &x, get, &w);
	if (u->r->post) {
		struct audit_seen seen;
		w.what = post_where;
		n += ask(u, wk, a, &x, u->r->url, der, len, &wk->a, &seen, &w);
	}
	audit_out_checked(u->r->out, n == 0);
}

/* A serial of 16 random octets, as CAs make them, that the source lacks. */
static int probe_serial(const struct audit_ca *a, struct serial *s)
{
	uint8_t b[16];

	for (int tries = 0; tries < 16; tries++) {
		if (RAND_bytes(b, sizeof(b)) != 1)
			return -1;
		b[0] = (b[0] & 0x7f) | 0x40;	/* positive, sixteen octets */
		if (serial_from_bytes(s, b, sizeof(b)) == 0 && status_list_find(&a->recs, s) == NULL)
			return 0;
	}
	return -1;
}

static int plan(struct url_audit *u, struct err *e)
{
	size_t n = 0;

	for (size_t c = 0; c < u->r->ncas; c++) {
		const struct audit_ca *a = &u->r->cas[c];
		for (int alg = 0; alg < HASH_COUNT; alg++)
			if (a->algs & (1u << alg))
				n += a->recs.n + (a->source_lists_all ? u->r->probes : 0);
	}
	u->jobs = calloc(n ? n : 1, sizeof(*u->jobs));
	if (u->jobs == NULL)
		return err_set(e, "out of memory");
	for (size_t c = 0; c < u->r->ncas; c++) {
		const struct audit_ca *a = &u->r->cas[c];
		for (int alg = 0; alg < HASH_COUNT; alg++) {
			if (!(a->algs & (1u << alg)))
				continue;
			for (size_t i = 0; i < a->recs.n; i++)
				u->jobs[u->njobs++] = (struct job){ (uint32_t)c, (uint8_t)alg, i, { 0 } };
			for (unsigned p = 0; a->source_lists_all && p < u->r->probes; p++) {
				struct job *j = &u->jobs[u->njobs];
				*j = (struct job){ (uint32_t)c, (uint8_t)alg, SIZE_MAX, { 0 } };
				if (probe_serial(a, &j->probe) != 0)
					return err_set(e, "no random serial could be made");
				u->njobs++;
			}
		}
	}
	return 0;
}

int audit_url_init(struct err *e)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_set(e, "libcurl could not be initialised");
	return 0;
}

int audit_url(struct audit_run *r, struct err *e)
{
	struct url_audit u = { r, NULL, 0, NULL };
	int ret = -1;

	u.w = calloc(r->threads, sizeof(*u.w));
	if (u.w == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < r->threads; i++) {
		u.w[i].a.cap = u.w[i].b.cap = AUDIT_RESPONSE_MAX;
		if ((u.w[i].a.body = malloc(AUDIT_RESPONSE_MAX)) == NULL ||
		    (u.w[i].b.body = malloc(AUDIT_RESPONSE_MAX)) == NULL) {
			err_set(e, "out of memory");
			goto out;
		}
	}
	if (plan(&u, e) != 0 || audit_pool_run(u.njobs, r->threads, url_job, &u, e) != 0)
		goto out;
	ret = 0;
out:
	for (unsigned i = 0; u.w && i < r->threads; i++) {
		audit_fetch_free(u.w[i].curl);
		free(u.w[i].a.body);
		free(u.w[i].b.body);
	}
	free(u.w);
	free(u.jobs);
	return ret;
}
