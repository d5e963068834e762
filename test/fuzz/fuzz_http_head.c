/* Fuzz target: lookupd's check of a raw request head (lookupd/head.c),
 * against RFC 9112's grammar written out again here, and against what
 * civetweb's own parser (civetweb_request.c, civetweb.c compiled in)
 * makes of the same bytes.
 *
 * The input is taken for a whole head, as civetweb's get_request hands
 * conn->request_len bytes to the hook. Checked:
 *  - the verdict is 0, 400 or 431, with a reason exactly when not 0, and
 *    a 400's offset inside the input; 431 exactly when the head is sound
 *    and has more fields than the limit, for every limit tried; the hook
 *    (ocsp_civetweb_head, head_hook_take) gives the same verdict;
 *  - whenever the head is sound, method SP target SP version CRLF, then
 *    each field line with its CRLF, then CRLF, is exactly the input; each
 *    part is what the grammar says (method and names tchars, the target
 *    RFC 3986 characters with well-formed %XX, the version HTTP/D.D, the
 *    blanks around each value only SP or HTAB and none at its ends, the
 *    value no CTL or DEL);
 *  - and civetweb agrees: it finds the head to end exactly where the input
 *    does (unless an HTAB makes it refuse the whole request), parses it
 *    all (unless it does not know the method) and reports the same
 *    method, target, version and, up to MG_MAX_HEADERS, every field name
 *    and value, at the very same offsets (its values keep the blanks
 *    after them). */
#include <stdint.h>
#include <string.h>

#include "civetweb_request.h"
#include "fuzz.h"
#include "head.h"
#include "head_hook.h"

#define MAX_INPUT 16384
/* A field line takes 4 bytes at least ("a:" CR LF): room for them all. */
#define MAX_FIELDS (MAX_INPUT / 4)
/* civetweb_request may read a little past the head (as on its buffer). */
#define SLACK 4

static const size_t limits_tried[] = { 0, 1, 4, 32, 63, SIZE_MAX };

static struct http_head_field fields[MAX_FIELDS];
static char rebuilt[MAX_INPUT];
static char buf[MAX_INPUT + SLACK];

static int tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int hexdig(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void all_tchars(const unsigned char *p, struct http_head_span s)
{
	FUZZ_ASSERT(s.len > 0);
	for (size_t i = 0; i < s.len; i++)
		FUZZ_ASSERT(tchar(p[s.off + i]));
}

static void target_ok(const unsigned char *p, struct http_head_span s)
{
	FUZZ_ASSERT(s.len > 0);
	for (size_t i = s.off; i < s.off + s.len; i++) {
		unsigned char c = p[i];
		if (c == '%') {
			FUZZ_ASSERT(i + 2 < s.off + s.len && hexdig(p[i + 1]) && hexdig(p[i + 2]));
			i += 2;
			continue;
		}
		FUZZ_ASSERT((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~:/?[]@!$&'()*+,;=", c) != NULL);
	}
}

static void field_ok(const unsigned char *p, const struct http_head_field *f)
{
	size_t line_end = f->line.off + f->line.len, v_end = f->value.off + f->value.len;

	FUZZ_ASSERT(f->name.off == f->line.off);
	all_tchars(p, f->name);
	FUZZ_ASSERT(p[f->name.off + f->name.len] == ':');
	FUZZ_ASSERT(f->value.off >= f->name.off + f->name.len + 1 && v_end <= line_end);
	for (size_t i = f->name.off + f->name.len + 1; i < f->value.off; i++)
		FUZZ_ASSERT(blank(p[i]));
	for (size_t i = v_end; i < line_end; i++)
		FUZZ_ASSERT(blank(p[i]));
	if (f->value.len > 0)
		FUZZ_ASSERT(!blank(p[f->value.off]) && !blank(p[v_end - 1]));
	for (size_t i = f->value.off; i < v_end; i++)
		FUZZ_ASSERT(p[i] == ' ' || p[i] == '\t' || (p[i] > 0x20 && p[i] != 0x7f));
}

static size_t put(size_t o, const unsigned char *p, struct http_head_span s)
{
	FUZZ_ASSERT(o + s.len <= sizeof(rebuilt));
	memcpy(rebuilt + o, p + s.off, s.len);
	return o + s.len;
}

static size_t put_lit(size_t o, const char *lit)
{
	size_t n = strlen(lit);

	FUZZ_ASSERT(o + n <= sizeof(rebuilt));
	memcpy(rebuilt + o, lit, n);
	return o + n;
}

/* The head rebuilt from its parts: the input again, byte for byte. */
static void round_trip(const unsigned char *p, size_t size, const struct http_head_verdict *v)
{
	size_t o = 0;

	all_tchars(p, v->method);
	target_ok(p, v->target);
	FUZZ_ASSERT(v->version.len == 8 && memcmp(p + v->version.off, "HTTP/", 5) == 0);
	FUZZ_ASSERT(p[v->version.off + 5] >= '0' && p[v->version.off + 5] <= '9' &&
	    p[v->version.off + 6] == '.' &&
	    p[v->version.off + 7] >= '0' && p[v->version.off + 7] <= '9');
	o = put(o, p, v->method);
	o = put_lit(o, " ");
	o = put(o, p, v->target);
	o = put_lit(o, " ");
	o = put(o, p, v->version);
	o = put_lit(o, "\r\n");
	for (size_t i = 0; i < v->fields; i++) {
		const struct http_head_field *f = &fields[i];
		struct http_head_span before = { f->name.off + f->name.len + 1,
		    f->value.off - (f->name.off + f->name.len + 1) };
		struct http_head_span after = { f->value.off + f->value.len,
		    f->line.off + f->line.len - (f->value.off + f->value.len) };
		field_ok(p, f);
		o = put(o, p, f->name);
		o = put_lit(o, ":");
		o = put(o, p, before);
		o = put(o, p, f->value);
		o = put(o, p, after);
		o = put_lit(o, "\r\n");
	}
	o = put_lit(o, "\r\n");
	FUZZ_ASSERT(o == size && memcmp(rebuilt, p, size) == 0);
}

static int span_is(const char *s, const unsigned char *p, struct http_head_span sp)
{
	return s != NULL && strlen(s) == sp.len && memcmp(s, p + sp.off, sp.len) == 0;
}

/* civetweb on the same bytes, in place in buf. */
static void civetweb_agrees(const unsigned char *p, size_t size,
    const struct http_head_verdict *v)
{
	struct mg_request_info ri;
	struct civetweb_head head;
	char method[64] = "";
	int has_tab = memchr(p, '\t', size) != NULL, n;

	memcpy(buf, p, size);
	memset(buf + size, 0, SLACK);
	memset(&ri, 0, sizeof(ri));
	civetweb_request(buf, (int)size, &ri, &head);
	/* get_http_header_len refuses an HTAB (not isprint); the head ends
	 * where the input does, at its only empty line. */
	if (has_tab) {
		FUZZ_ASSERT(head.request_len == -1);
		return;
	}
	FUZZ_ASSERT(head.request_len == (int)size);
	if (v->method.len < sizeof(method)) {
		memcpy(method, p + v->method.off, v->method.len);
		method[v->method.len] = '\0';
	}
	if (!civetweb_method_known(method)) {
		FUZZ_ASSERT(head.parsed_len < 0);
		return;
	}
	FUZZ_ASSERT(head.parsed_len == (int)size);
	FUZZ_ASSERT(ri.request_method == buf + v->method.off);
	FUZZ_ASSERT(span_is(ri.request_method, p, v->method));
	FUZZ_ASSERT(ri.request_uri == buf + v->target.off);
	if (ri.query_string != NULL) {
		/* handle_request's split, undone. */
		FUZZ_ASSERT(ri.query_string[-1] == '\0');
		((char *)ri.query_string)[-1] = '?';
	}
	FUZZ_ASSERT(span_is(ri.request_uri, p, v->target));
	FUZZ_ASSERT(ri.http_version == buf + v->version.off + 5);
	FUZZ_ASSERT(memcmp(ri.http_version, p + v->version.off + 5, 3) == 0 &&
	    ri.http_version[3] == '\0');
	n = v->fields < MG_MAX_HEADERS ? (int)v->fields : MG_MAX_HEADERS;
	FUZZ_ASSERT(ri.num_headers == n);
	for (int i = 0; i < n; i++) {
		const struct http_head_field *f = &fields[i];
		struct http_head_span raw_value = { f->value.off,
		    f->line.off + f->line.len - f->value.off };
		FUZZ_ASSERT(ri.http_headers[i].name == buf + f->name.off);
		FUZZ_ASSERT(span_is(ri.http_headers[i].name, p, f->name));
		FUZZ_ASSERT(ri.http_headers[i].value == buf + f->value.off);
		FUZZ_ASSERT(span_is(ri.http_headers[i].value, p, raw_value));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head_verdict v, w;
	int status;

	if (size > MAX_INPUT)
		return 0;
	status = http_head_parse((const char *)data, size, SIZE_MAX, &v, fields);
	FUZZ_ASSERT(status == v.status);
	FUZZ_ASSERT(status == HTTP_HEAD_OK || status == HTTP_HEAD_BAD);
	FUZZ_ASSERT((status == HTTP_HEAD_OK) == (v.reason == NULL));
	FUZZ_ASSERT(status == HTTP_HEAD_OK || v.where <= size);
	for (size_t i = 0; i < sizeof(limits_tried) / sizeof(limits_tried[0]); i++) {
		size_t limit = limits_tried[i];
		int s = http_head_check((const char *)data, size, limit, &w);
		FUZZ_ASSERT(s == w.status && (s == 0) == (w.reason == NULL));
		FUZZ_ASSERT(s == (status == HTTP_HEAD_BAD ? HTTP_HEAD_BAD :
		    v.fields > limit ? HTTP_HEAD_TOO_MANY : HTTP_HEAD_OK));
		FUZZ_ASSERT(s == HTTP_HEAD_BAD ? w.where == v.where : w.fields == v.fields);
		ocsp_civetweb_head((const char *)data, (int)size);
		FUZZ_ASSERT(head_hook_take(limit, &w) == s && w.status == s);
		FUZZ_ASSERT(head_hook_take(limit, &w) == -1);
	}
	if (status != HTTP_HEAD_OK)
		return 0;
	FUZZ_ASSERT(v.fields <= MAX_FIELDS);
	round_trip(data, size, &v);
	civetweb_agrees(data, size, &v);
	return 0;
}
