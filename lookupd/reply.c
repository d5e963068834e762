#include "reply.h"

#include <string.h>
#include <strings.h>

#include "ocsp/config.h"
#include "ocsp/hex.h"
#include "ocsp/purge.h"

void reply_add(struct reply *r, const void *s, size_t n)
{
	if (r->overflow || n > r->cap - r->len) {
		r->overflow = 1;
		return;
	}
	memcpy(r->p + r->len, s, n);
	r->len += n;
}

void reply_str(struct reply *r, const char *s)
{
	reply_add(r, s, strlen(s));
}

static void reply_u64(struct reply *r, uint64_t v)
{
	char d[20];
	size_t n = 0;

	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	reply_add(r, d + sizeof(d) - n, n);
}

/* The Date header is the same for a whole second: formatted once a second. */
static const char *memo_date(struct reply_memo *m, int64_t now)
{
	if (m->date_at != now || m->date[0] == '\0') {
		if (timefmt_http(m->date, sizeof(m->date), now) != 0)
			m->date[0] = '\0';
		m->date_at = now;
	}
	return m->date;
}

void reply_begin(struct reply *r, char *buf, size_t cap, struct reply_memo *m,
    const char *status, int64_t now)
{
	r->p = buf;
	r->len = 0;
	r->cap = cap;
	r->overflow = 0;
	REPLY_LIT(r, "HTTP/1.1 ");
	reply_str(r, status);
	REPLY_LIT(r, "\r\nDate: ");
	reply_str(r, memo_date(m, now));
	REPLY_LIT(r, "\r\n");
}

void reply_length(struct reply *r, size_t len)
{
	REPLY_LIT(r, "Content-Length: ");
	reply_u64(r, len);
	REPLY_LIT(r, "\r\n");
}

void reply_end_head(struct reply *r, int keep_alive)
{
	if (keep_alive)
		REPLY_LIT(r, "Connection: keep-alive\r\n\r\n");
	else
		REPLY_LIT(r, "Connection: close\r\n\r\n");
}

const struct validators *reply_validators(struct reply_memo *m,
    const struct signed_response *resp)
{
	struct validators *v = &m->last;

	if (v->etag[0] != '\0' && memcmp(v->digest, resp->digest, sizeof(v->digest)) == 0)
		return v;
	memcpy(v->digest, resp->digest, sizeof(v->digest));
	if (timefmt_http(v->last_modified, sizeof(v->last_modified), resp->this_update) != 0)
		v->last_modified[0] = '\0';
	if (timefmt_http(v->expires, sizeof(v->expires), resp->next_update) != 0)
		v->expires[0] = '\0';
	v->etag[0] = '"';
	hex_lower(v->etag + 1, resp->digest, REPLY_ETAG_BYTES);
	v->etag[1 + 2 * REPLY_ETAG_BYTES] = '"';
	v->etag[2 + 2 * REPLY_ETAG_BYTES] = '\0';
	return v;
}

void reply_caching(struct reply *r, const struct signed_response *resp,
    const struct validators *v, int64_t now, int64_t max_age)
{
	int64_t age = resp->next_update - now;

	if (age > max_age)
		age = max_age;
	if (age < 0)
		age = 0;
	REPLY_LIT(r, "Last-Modified: ");
	reply_str(r, v->last_modified);
	REPLY_LIT(r, "\r\nExpires: ");
	reply_str(r, v->expires);
	REPLY_LIT(r, "\r\nETag: ");
	reply_str(r, v->etag);
	REPLY_LIT(r, "\r\nCache-Control: max-age=");
	reply_u64(r, (uint64_t)age);
	REPLY_LIT(r, ", public, no-transform, must-revalidate\r\n");
}

void reply_cache_tags(struct reply *r, const struct req_certid *id, int which)
{
	char v[PURGE_TAGS_MAX + 1];

	if ((which & CACHE_TAGS_CACHE_TAG) &&
	    purge_tags(v, sizeof(v), ',', id->alg, id->key_hash, &id->serial) >= 0) {
		REPLY_LIT(r, "Cache-Tag: ");
		reply_str(r, v);
		REPLY_LIT(r, "\r\n");
	}
	if ((which & CACHE_TAGS_SURROGATE) &&
	    purge_tags(v, sizeof(v), ' ', id->alg, id->key_hash, &id->serial) >= 0) {
		REPLY_LIT(r, "Surrogate-Key: ");
		reply_str(r, v);
		REPLY_LIT(r, "\r\n");
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

int reply_list_has(const char *value, const char *token)
{
	return list_any(value, token_is, token);
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

/* If-None-Match, when present, overrides If-Modified-Since. */
int reply_not_modified(const char *if_none_match, const char *if_modified_since,
    const struct signed_response *resp, const struct validators *v)
{
	int64_t since;

	if (if_none_match != NULL)
		return list_any(if_none_match, etag_is, v->etag);
	if (if_modified_since != NULL && timefmt_parse_http(if_modified_since, &since) == 0)
		return resp->this_update <= since;
	return 0;
}

int reply_request_type_ok(const char *v)
{
	size_t n;

	if (v == NULL)
		return 1;
	while (is_blank(*v))
		v++;
	for (n = 0; v[n] != '\0' && v[n] != ';' && !is_blank(v[n]); n++)
		;
	return n == sizeof(REPLY_OCSP_REQUEST) - 1 && strncasecmp(v, REPLY_OCSP_REQUEST, n) == 0;
}
