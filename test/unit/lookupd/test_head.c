/* lookupd's check of a raw request head (lookupd/head.c): sound heads
 * with the spans of their parts, every way a head is refused (the
 * request-smuggling gaps G1 to G3 of framing.c among them) with the
 * offset that decided it, the field limit, every byte value in every
 * part against the RFCs' character sets, the hook civetweb calls
 * (head_hook.c), and what one typical head costs. */
#include "head.h"
#include "head_hook.h"

#include <stdint.h>
#include <time.h>

#include "check.h"

#define L(s) s, sizeof(s) - 1
#define ANY SIZE_MAX	/* where: not checked */

struct head_case {
	const char *name;
	const char *head;
	size_t len;
	size_t max_fields;
	int status;
	const char *why;	/* part of the reason */
	size_t where;
	size_t fields;		/* unless a 400 */
};

static const struct head_case cases[] = {
	/* Sound. */
	{ "one field", L("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 32, 0, NULL, 0, 1 },
	{ "no field (HTTP/1.0)", L("GET /abc HTTP/1.0\r\n\r\n"), 32, 0, NULL, 0, 0 },
	{ "empty value, OWS, HTAB, obs-text",
	    L("POST /x?y=1 HTTP/1.1\r\nA:\r\nB: \t\r\nC:\tv w\t \r\nD: \x80\xff\r\n\r\n"),
	    32, 0, NULL, 0, 4 },
	{ "absolute form, pct-encoded", L("GET http://h:80/a%2Fb%3d HTTP/1.1\r\nHost: h\r\n\r\n"),
	    32, 0, NULL, 0, 1 },
	{ "any token method", L("M-SEARCH * HTTP/1.1\r\n\r\n"), 32, 0, NULL, 0, 0 },
	{ "HTTP/2.0 is grammar (civetweb answers 505)", L("GET / HTTP/2.0\r\n\r\n"),
	    32, 0, NULL, 0, 0 },

	/* G1: empty lines before the request line. */
	{ "G1 CRLF first", L("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), 32, 400,
	    "empty line before", 0, 0 },
	{ "G1 civetweb's whole head", L("\r\n\r\n"), 32, 400, "empty line before", 0, 0 },
	{ "G1 bare LF first", L("\nGET / HTTP/1.1\r\n\r\n"), 32, 400, "empty line before", 0, 0 },
	{ "G1 civetweb's head \\n\\n", L("\n\n"), 32, 400, "empty line before", 0, 0 },
	/* G2: what follows the version. */
	{ "G2 LF SP after the version", L("GET / HTTP/1.1\n Content-Length: 5\r\n\r\n"), 32,
	    400, "bare CR or LF", 14, 0 },
	{ "G2 CR CR after the version", L("GET / HTTP/1.1\r\rHost: x\r\n\r\n"), 32, 400,
	    "bare CR or LF", 14, 0 },
	{ "G2 SP after the version", L("GET / HTTP/1.1 \r\n\r\n"), 32, 400,
	    "malformed HTTP version", 14, 0 },
	{ "G2 LF CR LF ends it", L("GET / HTTP/1.1\n\r\n"), 32, 400, "bare CR or LF", 14, 0 },
	/* G3: a bare "\n\n" or "\r\n\n" at the end. */
	{ "G3 field then \\n\\n", L("GET / HTTP/1.1\r\nHost: x\n\n"), 32, 400,
	    "bare CR or LF", 23, 0 },
	{ "G3 CRLF then LF", L("GET / HTTP/1.1\r\nHost: x\r\n\n"), 32, 400,
	    "bare CR or LF", 25, 0 },
	{ "G3 no field, \\r\\n\\n", L("GET / HTTP/1.1\r\n\n"), 32, 400, "bare CR or LF", 16, 0 },

	/* The request line. */
	{ "two SPs", L("GET  / HTTP/1.1\r\n\r\n"), 32, 400, "request target", 4, 0 },
	{ "HTAB for SP", L("GET\t/ HTTP/1.1\r\n\r\n"), 32, 400, "method", 3, 0 },
	{ "SP first", L(" GET / HTTP/1.1\r\n\r\n"), 32, 400, "method", 0, 0 },
	{ "no target", L("GET HTTP/1.1\r\n\r\n"), 32, 400, "request target", 12, 0 },
	{ "broken over two lines", L("GET / \r\nHTTP/1.1\r\n\r\n"), 32, 400,
	    "HTTP version", 6, 0 },
	{ "'#' in the target", L("GET /a#b HTTP/1.1\r\n\r\n"), 32, 400, "request target", 6, 0 },
	{ "bad %XX", L("GET /a%zz HTTP/1.1\r\n\r\n"), 32, 400, "request target", 6, 0 },
	{ "% at the end", L("GET /a% HTTP/1.1\r\n\r\n"), 32, 400, "request target", 6, 0 },
	{ "obs-text in the target", L("GET /\xe9 HTTP/1.1\r\n\r\n"), 32, 400,
	    "request target", 5, 0 },
	{ "lower-case version", L("GET / http/1.1\r\n\r\n"), 32, 400, "HTTP version", 6, 0 },
	{ "HTTP/1.10", L("GET / HTTP/1.10\r\n\r\n"), 32, 400, "HTTP version", 14, 0 },
	{ "HTTP/1", L("GET / HTTP/1\r\n\r\n"), 32, 400, "HTTP version", 6, 0 },

	/* The header section. */
	{ "obs-fold", L("GET / HTTP/1.1\r\nA: a\r\n Content-Length: 5\r\n\r\n"), 32, 400,
	    "obs-fold", 22, 0 },
	{ "HTAB fold", L("GET / HTTP/1.1\r\nA: a\r\n\tb\r\n\r\n"), 32, 400, "obs-fold", 22, 0 },
	{ "blank before ':'", L("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), 32, 400,
	    "field name", 20, 0 },
	{ "no name", L("GET / HTTP/1.1\r\n: x\r\n\r\n"), 32, 400, "field name", 16, 0 },
	{ "no colon", L("GET / HTTP/1.1\r\nHost\r\n\r\n"), 32, 400, "field name", 20, 0 },
	{ "'@' in a name", L("GET / HTTP/1.1\r\nA@b: x\r\n\r\n"), 32, 400, "field name", 17, 0 },
	{ "bare CR in a value", L("GET / HTTP/1.1\r\nA: a\rb\r\n\r\n"), 32, 400,
	    "bare CR or LF", 20, 0 },
	{ "bare LF in a value", L("GET / HTTP/1.1\r\nA: a\nb\r\n\r\n"), 32, 400,
	    "bare CR or LF", 20, 0 },
	{ "line that starts with CR", L("GET / HTTP/1.1\r\nA: a\r\n\rContent-Length: 5\r\n\r\n"),
	    32, 400, "bare CR or LF", 22, 0 },
	{ "NUL in a value", L("GET / HTTP/1.1\r\nA: a\0b\r\n\r\n"), 32, 400,
	    "control character", 20, 0 },
	{ "DEL in a value", L("GET / HTTP/1.1\r\nA: a\x7f\r\n\r\n"), 32, 400,
	    "control character", 20, 0 },
	{ "ends after the fields", L("GET / HTTP/1.1\r\nA: a\r\n"), 32, 400,
	    "does not end in CR LF CR LF", 22, 0 },
	{ "ends in a value", L("GET / HTTP/1.1\r\nA: a"), 32, 400,
	    "does not end in CR LF CR LF", 20, 0 },
	{ "ends in the version", L("GET / HTTP/1."), 32, 400, "HTTP version", 6, 0 },
	{ "ends in the empty line", L("GET / HTTP/1.1\r\n\r"), 32, 400,
	    "bare CR or LF", 16, 0 },
	{ "a second request after it", L("GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"), 32,
	    400, "after the end", 18, 0 },
	{ "nothing", "", 0, 32, 400, "method", 0, 0 },

	/* The field limit: all fields counted, malformed beats too many. */
	{ "3 fields, at most 3", L("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), 3,
	    0, NULL, 0, 3 },
	{ "3 fields, at most 2", L("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), 2,
	    431, "too many", 0, 3 },
	{ "3 fields, none allowed", L("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), 0,
	    431, "too many", 0, 3 },
	{ "too many, and a fold after", L("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n C: 3\r\n\r\n"), 1,
	    400, "obs-fold", 28, 0 },
};

static void check_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct head_case *c = &cases[i];
		struct http_head_verdict v;

		check_case("%s", c->name);
		CHECK_EQ(http_head_check(c->head, c->len, c->max_fields, &v), c->status);
		CHECK_EQ(v.status, c->status);
		if (c->why != NULL)
			CHECK_CONTAINS(v.reason, c->why);
		else
			CHECK(v.reason == NULL);
		if (c->status == HTTP_HEAD_BAD) {
			if (c->where != ANY)
				CHECK_EQ(v.where, c->where);
		} else {
			CHECK_EQ(v.fields, c->fields);
		}
		if (v.reason != NULL)
			CHECK(v.reason[strlen(v.reason) - 1] == '\n');
	}
	check_case_clear();
}

static int span_is(const char *head, struct http_head_span s, const char *want)
{
	return s.len == strlen(want) && memcmp(head + s.off, want, s.len) == 0;
}

/* Where every part is, OWS around the value left out of it. */
static void check_spans(void)
{
	static const char head[] = "POST /a?b HTTP/1.1\r\nHost: x.example\r\nX-E:\r\n"
	    "X-W: \t a  b \t\r\nX-F: 1\r\n\r\n";
	struct http_head_field f[2];
	struct http_head_verdict v;

	check_case("spans");
	CHECK_EQ(http_head_parse(head, sizeof(head) - 1, 2, &v, f), 431);
	CHECK_EQ(v.fields, 4);
	CHECK(span_is(head, v.method, "POST"));
	CHECK(span_is(head, v.target, "/a?b"));
	CHECK(span_is(head, v.version, "HTTP/1.1"));
	CHECK(span_is(head, f[0].line, "Host: x.example"));
	CHECK(span_is(head, f[0].name, "Host"));
	CHECK(span_is(head, f[0].value, "x.example"));
	CHECK(span_is(head, f[1].line, "X-E:"));
	CHECK(span_is(head, f[1].name, "X-E"));
	CHECK_EQ(f[1].value.len, 0);
	CHECK_EQ(f[1].value.off, f[1].line.off + 4);

	struct http_head_field g[4];
	CHECK_EQ(http_head_parse(head, sizeof(head) - 1, 4, &v, g), 0);
	CHECK(span_is(head, g[2].line, "X-W: \t a  b \t"));
	CHECK(span_is(head, g[2].value, "a  b"));
	CHECK(span_is(head, g[3].value, "1"));
	/* The limit applied afterwards is the limit applied at once. */
	CHECK_EQ(http_head_limit(&v, 4), 0);
	CHECK_EQ(http_head_limit(&v, 3), 431);
	CHECK_CONTAINS(v.reason, "too many");
	check_case_clear();
}

static int tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int target_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("-._~:/?[]@!$&'()*+,;=", c) != NULL);
}

static int value_char(int c)
{
	return (c > 0x20 && c < 0x7f) || c >= 0x80;
}

/* Every byte in every part: head.c's table against the RFCs' sets. */
static void check_bytes(void)
{
	static const char method[] = "GxT / HTTP/1.1\r\n\r\n", target[] = "GET /x HTTP/1.1\r\n\r\n",
	    name[] = "GET / HTTP/1.1\r\nAxB: 1\r\n\r\n", value[] = "GET / HTTP/1.1\r\nA: 1x2\r\n\r\n";
	char h[64];
	struct http_head_verdict v;

	for (int c = 0; c < 256; c++) {
		check_case("byte 0x%02x", c);
		memcpy(h, method, sizeof(method));
		h[1] = (char)c;
		CHECK_EQ(http_head_check(h, sizeof(method) - 1, 32, &v) == 0, tchar(c));
		memcpy(h, target, sizeof(target));
		h[5] = (char)c;
		CHECK_EQ(http_head_check(h, sizeof(target) - 1, 32, &v) == 0, target_char(c));
		memcpy(h, name, sizeof(name));
		h[17] = (char)c;
		/* "A:B: 1" is the field A. */
		CHECK_EQ(http_head_check(h, sizeof(name) - 1, 32, &v) == 0, tchar(c) || c == ':');
		/* Inside a value: a field-vchar, SP or HTAB. */
		memcpy(h, value, sizeof(value));
		h[20] = (char)c;
		CHECK_EQ(http_head_check(h, sizeof(value) - 1, 32, &v) == 0,
		    value_char(c) || c == ' ' || c == '\t');
	}
	check_case_clear();
}

/* The hook: the verdict of the head civetweb gave, once, limit applied. */
static void check_hook(void)
{
	static const char head[] = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n";
	struct http_head_verdict v;

	check_case("hook");
	CHECK_EQ(head_hook_take(32, &v), -1);
	ocsp_civetweb_head(head, (int)sizeof(head) - 1);
	CHECK_EQ(head_hook_take(1, &v), 431);
	CHECK_EQ(v.fields, 2);
	CHECK_EQ(head_hook_take(32, &v), -1);
	ocsp_civetweb_head(head, (int)sizeof(head) - 1);
	CHECK_EQ(head_hook_take(2, &v), 0);
	/* A verdict not taken is replaced by the next head's. */
	ocsp_civetweb_head("\r\n\r\n", 4);
	ocsp_civetweb_head(head, (int)sizeof(head) - 1);
	CHECK_EQ(head_hook_take(32, &v), 0);
	ocsp_civetweb_head(head, 0);
	CHECK_EQ(head_hook_take(32, &v), 400);
	ocsp_civetweb_head(head, -1);
	CHECK_EQ(head_hook_take(32, &v), 400);
	check_case_clear();
}

/* A GET as openssl ocsp and curl send it: informational, not a bound. */
static void measure(void)
{
	static const char head[] = "GET /MFMwUTBPME0wSzAJBgUrDgMCGgUABBQpHpIHBGJvn2Lkl%2BwQf4Kz"
	    "ObS6rAQUdgb3nbCyoS%2BDzbKxVZr9tBwIfiUCEhEhgDdDmHZqAudsp14ILamJCw%3D%3D HTTP/1.1\r\n"
	    "Host: ocsp.example.com\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
	enum { ROUNDS = 200000 };
	struct http_head_verdict v;
	struct timespec t0, t1;
	int ok = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < ROUNDS; i++) {
		/* The compiler must not see the same input every time. */
		__asm__ volatile("" : : "r"(head) : "memory");
		ok += http_head_check(head, sizeof(head) - 1, 32, &v) == 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_EQ(ok, ROUNDS);
	printf("http_head_check: %.1f ns per head of %zu bytes, 3 fields\n",
	    ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / ROUNDS,
	    sizeof(head) - 1);
}

int main(void)
{
	check_cases();
	check_spans();
	check_bytes();
	check_hook();
	measure();
	return check_done();
}
