/* Whether a provider accepted a purge, judged by the answer its API
 * documentation gives for success rather than by the HTTP status alone:
 * Cloudflare answers errors with 200 and "success": false too.
 *
 * The answer is untrusted and is only scanned, never built into a tree:
 * one pass over the members of the top-level JSON object, values skipped
 * by their shape (strings with their escapes, nested objects and arrays
 * to PURGE_JSON_DEPTH_MAX levels), bounded by the body's length. It is
 * tolerant where that costs nothing (unknown members, any whitespace,
 * anything after the object) and strict where a guess could count a
 * failure as a success (an unterminated string, a missing ':' or ','). */
#include "purge_int.h"

#include <stdio.h>
#include <string.h>

#include "ocsp/log.h"

struct scan {
	const char *p, *end;
};

static void blanks(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' ||
	    *s->p == '\r'))
		s->p++;
}

static int at(const struct scan *s, char c)
{
	return s->p < s->end && *s->p == c;
}

/* A string from its opening quote: *raw and *n give its content as
 * written (escapes left as they are); s->p ends past the closing quote. */
static int string(struct scan *s, const char **raw, size_t *n)
{
	const char *a;

	if (!at(s, '"'))
		return -1;
	a = ++s->p;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\' && ++s->p == s->end)
			return -1;
		s->p++;
	}
	if (s->p == s->end)
		return -1;
	*raw = a;
	*n = (size_t)(s->p - a);
	s->p++;
	return 0;
}

static int delimiter(char c)
{
	return c == ',' || c == '}' || c == ']' || c == ':' || c == ' ' || c == '\t' ||
	    c == '\n' || c == '\r' || c == '"' || c == '{' || c == '[';
}

static int value(struct scan *s, int depth);

/* The members or elements after an opening '{' or '['. */
static int container(struct scan *s, int depth, char close)
{
	const char *k;
	size_t kn;

	if (depth >= PURGE_JSON_DEPTH_MAX)
		return -1;
	s->p++;
	blanks(s);
	if (at(s, close)) {
		s->p++;
		return 0;
	}
	for (;;) {
		blanks(s);
		if (close == '}') {
			if (string(s, &k, &kn) != 0)
				return -1;
			blanks(s);
			if (!at(s, ':'))
				return -1;
			s->p++;
		}
		if (value(s, depth + 1) != 0)
			return -1;
		blanks(s);
		if (at(s, ',')) {
			s->p++;
			continue;
		}
		if (!at(s, close))
			return -1;
		s->p++;
		return 0;
	}
}

/* Skips one value: a string, an object, an array, or a literal or number
 * (up to the next delimiter; its spelling is the caller's to judge). */
static int value(struct scan *s, int depth)
{
	const char *a;
	size_t n;

	blanks(s);
	if (s->p == s->end)
		return -1;
	if (*s->p == '"')
		return string(s, &a, &n);
	if (*s->p == '{')
		return container(s, depth, '}');
	if (*s->p == '[')
		return container(s, depth, ']');
	for (a = s->p; s->p < s->end && !delimiter(*s->p); s->p++)
		;
	return s->p > a ? 0 : -1;
}

int purge_json_member(const char *body, size_t len, const char *name, const char **val,
    size_t *val_len)
{
	struct scan s = { body, body + len };
	size_t want = strlen(name);

	blanks(&s);
	if (!at(&s, '{'))
		return -1;
	s.p++;
	blanks(&s);
	if (at(&s, '}'))
		return 0;
	for (;;) {
		const char *k, *v;
		size_t kn;
		blanks(&s);
		if (string(&s, &k, &kn) != 0)
			return -1;
		blanks(&s);
		if (!at(&s, ':'))
			return -1;
		s.p++;
		blanks(&s);
		v = s.p;
		if (value(&s, 1) != 0)
			return -1;
		if (kn == want && memcmp(k, name, kn) == 0) {
			*val = v;
			*val_len = (size_t)(s.p - v);
			return 1;
		}
		blanks(&s);
		if (at(&s, ',')) {
			s.p++;
			continue;
		}
		return at(&s, '}') ? 0 : -1;
	}
}

/* Whether member name of body is exactly the token want ("true", "201",
 * "\"ok\""). -1: not a JSON object. */
static int member_is(const char *body, size_t len, const char *name, const char *want)
{
	const char *v;
	size_t n;
	int r = purge_json_member(body, len, name, &v, &n);

	if (r <= 0)
		return r;
	return n == strlen(want) && memcmp(v, want, n) == 0;
}

/* Fastly's batch purge answers each surrogate key with its purge id:
 * {"key1":"108-1391560174-974124",...}; a single purge (and some
 * versions of the batch one) {"status":"ok",...}. A "status" other than
 * "ok" is a failure whatever else the answer holds. */
static int fastly_ok(const char *body, size_t len, const char *const *items, size_t n)
{
	const char *v;
	size_t vn;
	int r = purge_json_member(body, len, "status", &v, &vn);

	if (r != 0)	/* a status says it all: "ok" or not */
		return r < 0 ? -1 : vn == 4 && memcmp(v, "\"ok\"", 4) == 0;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		r = purge_json_member(body, len, items[i], &v, &vn);
		if (r <= 0 || vn < 2 || v[0] != '"')
			return r < 0 ? -1 : 0;
	}
	return 1;
}

int purge_answer_ok(enum purge_preset preset, long status, const char *body, size_t len,
    const char *const *items, size_t nitems, char *why, size_t cap)
{
	int r;

	why[0] = '\0';
	if (status < 200 || status > 299) {
		snprintf(why, cap, "HTTP status %ld", status);
		return 0;
	}
	if (len > PURGE_ANSWER_BODY_MAX) {
		snprintf(why, cap, "an answer longer than %d bytes", PURGE_ANSWER_BODY_MAX);
		return 0;
	}
	switch (preset) {
	case PURGE_GENERIC:
		return 1;
	case PURGE_CLOUDFLARE:
		r = member_is(body, len, "success", "true");
		if (r == 1)
			return 1;
		snprintf(why, cap, "HTTP status %ld, but %s", status,
		    r < 0 ? "the answer is not JSON" : "\"success\" is not true");
		return 0;
	case PURGE_FASTLY:
		r = fastly_ok(body, len, items, nitems);
		if (r == 1)
			return 1;
		snprintf(why, cap, "HTTP status %ld, but %s", status, r < 0 ?
		    "the answer is not JSON" : "neither \"status\": \"ok\" nor a purge id per key");
		return 0;
	case PURGE_AKAMAI:
		/* Fast Purge v3 accepts with 201 in the status line and the body. */
		r = status == 201 ? member_is(body, len, "httpStatus", "201") : 0;
		if (r == 1)
			return 1;
		snprintf(why, cap, "HTTP status %ld, %s", status, status != 201 ?
		    "not 201 (Created)" : r < 0 ? "and the answer is not JSON" :
		    "but \"httpStatus\" is not 201");
		return 0;
	}
	snprintf(why, cap, "internal: unknown purge preset");
	return 0;
}
