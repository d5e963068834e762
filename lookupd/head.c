#include "head.h"

#include <stdint.h>
#include <string.h>

/* What each byte may be, one bit per role: a tchar (RFC 9110 5.6.2, the
 * method and field names), a request-target character (RFC 3986: the
 * unreserved, sub-delims, gen-delims but '#', and '%'), a field-vchar
 * (VCHAR or obs-text, RFC 9110 5.5), a blank (SP, HTAB). One table
 * look-up per byte keeps the pass cheap; test_head checks it against the
 * RFCs' definitions for all 256 bytes. */
#define C_TCHAR 1
#define C_TARGET 2
#define C_VCHAR 4
#define C_BLANK 8

static const unsigned char byte_class[256] = {
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  8,  0,  0,  0,  0,  0,  0,	/* 0x00 */
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,	/* 0x10 */
	 8,  7,  4,  5,  7,  7,  7,  7,  6,  6,  7,  7,  6,  7,  7,  6,	/* 0x20 */
	 7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  6,  6,  4,  6,  4,  6,	/* 0x30 */
	 6,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,	/* 0x40 */
	 7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  6,  4,  6,  5,  7,	/* 0x50 */
	 5,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,	/* 0x60 */
	 7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  4,  5,  4,  7,  0,	/* 0x70 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,	/* 0x80 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,	/* 0x90 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,	/* 0xa0 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,	/* 0xb0 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,	/* 0xc0 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,	/* 0xd0 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,	/* 0xe0 */
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,	/* 0xf0 */
};

static const char WHY_EMPTY_LINE[] = "empty line before the request line\n";
static const char WHY_METHOD[] = "malformed method (a token, then one SP)\n";
static const char WHY_TARGET[] = "malformed request target (RFC 3986 characters, then one SP)\n";
static const char WHY_VERSION[] = "malformed HTTP version (HTTP/x.y, then CR LF)\n";
static const char WHY_BARE[] = "bare CR or LF (every line must end in CR LF)\n";
static const char WHY_FOLD[] = "folded header line (obs-fold)\n";
static const char WHY_NAME[] = "malformed field name (a token, then ':' with no blank before it)\n";
static const char WHY_VALUE[] = "control character in a field value\n";
static const char WHY_SHORT[] = "header section does not end in CR LF CR LF\n";
static const char WHY_AFTER[] = "bytes after the end of the header section\n";
static const char WHY_TOO_MANY[] = "too many header fields\n";

/* The head being checked: p[0, len), read at pos and never past len. */
struct scan {
	const unsigned char *p;
	size_t len, pos;
};

static int bad(struct http_head_verdict *v, size_t where, const char *why)
{
	v->status = HTTP_HEAD_BAD;
	v->reason = why;
	v->where = where;
	return HTTP_HEAD_BAD;
}

static int is(const struct scan *s, size_t at, unsigned char c)
{
	return at < s->len && s->p[at] == c;
}

static size_t run_of(struct scan *s, unsigned cls)
{
	size_t start = s->pos;

	while (s->pos < s->len && (byte_class[s->p[s->pos]] & cls))
		s->pos++;
	return s->pos - start;
}

static int hex_digit(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* At a line's end: CR LF is taken; a lone CR or LF, or anything else, is
 * why this line is refused (other is the reason for anything else). */
static const char *line_end(struct scan *s, const char *other)
{
	if (is(s, s->pos, '\r') && is(s, s->pos + 1, '\n')) {
		s->pos += 2;
		return NULL;
	}
	if (s->pos >= s->len)
		return WHY_SHORT;
	if (s->p[s->pos] == '\r' || s->p[s->pos] == '\n')
		return WHY_BARE;
	return other;
}

/* The request-target: RFC 3986's characters, each '%' followed by two
 * hex digits (so that one decoding, get_path_decode's, is all there is). */
static size_t target_run(struct scan *s)
{
	size_t start = s->pos;

	while (s->pos < s->len && (byte_class[s->p[s->pos]] & C_TARGET)) {
		if (s->p[s->pos] == '%' && !(s->pos + 2 < s->len &&
		    hex_digit(s->p[s->pos + 1]) && hex_digit(s->p[s->pos + 2])))
			break;
		s->pos += s->p[s->pos] == '%' ? 3 : 1;
	}
	return s->pos - start;
}

static int digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int request_line(struct scan *s, struct http_head_verdict *v)
{
	const unsigned char *ver;
	const char *why;

	if (is(s, 0, '\r') || is(s, 0, '\n'))
		return bad(v, 0, WHY_EMPTY_LINE);
	v->method.off = s->pos;
	if ((v->method.len = run_of(s, C_TCHAR)) == 0 || !is(s, s->pos, ' '))
		return bad(v, s->pos, WHY_METHOD);
	v->target.off = ++s->pos;
	if ((v->target.len = target_run(s)) == 0 || !is(s, s->pos, ' '))
		return bad(v, s->pos, WHY_TARGET);
	v->version.off = ++s->pos;
	v->version.len = HTTP_HEAD_VERSION_LEN;
	if (s->len - s->pos < HTTP_HEAD_VERSION_LEN)
		return bad(v, s->pos, WHY_VERSION);
	ver = s->p + s->pos + HTTP_HEAD_NAME_LEN;	/* DIGIT "." DIGIT */
	if (memcmp(s->p + s->pos, HTTP_HEAD_NAME, HTTP_HEAD_NAME_LEN) != 0 ||
	    !digit(ver[0]) || ver[1] != '.' || !digit(ver[2]))
		return bad(v, s->pos, WHY_VERSION);
	s->pos += HTTP_HEAD_VERSION_LEN;
	if ((why = line_end(s, WHY_VERSION)) != NULL)
		return bad(v, s->pos, why);
	return HTTP_HEAD_OK;
}

/* One field line and its CR LF, from s->pos; f gets where its parts are. */
static int field_line(struct scan *s, struct http_head_verdict *v, struct http_head_field *f)
{
	const char *why;
	size_t vend;

	f->line.off = f->name.off = s->pos;
	if (byte_class[s->p[s->pos]] & C_BLANK)
		return bad(v, s->pos, WHY_FOLD);
	if (s->p[s->pos] == '\n')
		return bad(v, s->pos, WHY_BARE);
	if ((f->name.len = run_of(s, C_TCHAR)) == 0 || !is(s, s->pos, ':'))
		return bad(v, s->pos, WHY_NAME);
	s->pos++;
	run_of(s, C_BLANK);
	f->value.off = s->pos;
	/* The value and the OWS after it in one run; the value ends at its
	 * last field-vchar. */
	run_of(s, C_VCHAR | C_BLANK);
	for (vend = s->pos; vend > f->value.off && (byte_class[s->p[vend - 1]] & C_BLANK); vend--)
		;
	f->value.len = vend - f->value.off;
	f->line.len = s->pos - f->line.off;
	if ((why = line_end(s, WHY_VALUE)) != NULL)
		return bad(v, s->pos, why);
	return HTTP_HEAD_OK;
}

int http_head_limit(struct http_head_verdict *v, size_t max_fields)
{
	if (v->status == HTTP_HEAD_OK && v->fields > max_fields) {
		v->status = HTTP_HEAD_TOO_MANY;
		v->reason = WHY_TOO_MANY;
	}
	return v->status;
}

int http_head_parse(const char *head, size_t len, size_t max_fields,
    struct http_head_verdict *v, struct http_head_field *fields)
{
	struct scan s = { (const unsigned char *)head, len, 0 };
	struct http_head_field scratch;
	const char *why;

	memset(v, 0, sizeof(*v));
	if (request_line(&s, v) != HTTP_HEAD_OK)
		return v->status;
	/* Every field line starts with a byte that is not CR; the empty
	 * line that ends the section is the only one that does. */
	while (s.pos < s.len && s.p[s.pos] != '\r') {
		struct http_head_field *f = fields != NULL && v->fields < max_fields ?
		    &fields[v->fields] : &scratch;
		if (field_line(&s, v, f) != HTTP_HEAD_OK)
			return v->status;
		v->fields++;
	}
	if ((why = line_end(&s, WHY_SHORT)) != NULL)
		return bad(v, s.pos, why);
	if (s.pos != s.len)
		return bad(v, s.pos, WHY_AFTER);
	return http_head_limit(v, max_fields);
}

int http_head_check(const char *head, size_t len, size_t max_fields,
    struct http_head_verdict *v)
{
	return http_head_parse(head, len, max_fields, v, NULL);
}
