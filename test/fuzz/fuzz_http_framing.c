/* Fuzz target: lookupd's request framing (lookupd/framing.c) on what
 * civetweb's real parser makes of the input.
 *
 * The input is what a client sent, as it fills civetweb's request buffer.
 * civetweb_request runs civetweb 1.15's own code on it up to lookupd's
 * begin_request callback (in place, as on the connection's buffer), then
 * framing_scan and framing_refused decide as they do in http.c. Checked
 * against the raw bytes, which civetweb never saw untouched:
 *
 *  - framing_refused answers 0, 400 or 431 with a reason, 431 exactly
 *    when there are more fields than max_headers (or MG_MAX_HEADERS,
 *    when civetweb may have dropped some), and never 0 for a request
 *    framing_scan found unsound;
 *  - whenever framing_scan finds the request line and header section
 *    sound, the head is exactly
 *    method SP target SP "HTTP/" version CRLF, then for every field civetweb
 *    reported name ":" OWS value CRLF (OWS: the blanks civetweb skips),
 *    then CRLF, and it ends where civetweb's body starts: no byte of it
 *    was skipped without lookupd noticing (but see the gaps below);
 *  - the fields lookupd noted are the last of each name civetweb
 *    reported, and when lookupd accepts the request its Content-Length and
 *    Transfer-Encoding counts equal a count over the raw lines that knows
 *    nothing of civetweb;
 *  - an accepted Content-Length is 1 to 18 digits (trailing blanks
 *    aside), an accepted Transfer-Encoding is "chunked", and civetweb
 *    frames the body as that says: the same length, or chunked, or no
 *    body at all.
 *
 *  - lookupd's check of the raw head (lookupd/head.c), which civetweb
 *    calls through the hook lookupd/civetweb.cmake inserts, has run on
 *    every request that reaches begin_request; when it finds the head
 *    sound, framing_scan does too (with fewer than MG_MAX_HEADERS fields),
 *    their 431s agree, and none of the gaps below is there.
 *
 * Gaps that framing.c cannot close from what civetweb leaves (its public
 * API gives neither the raw head nor where it ends). They stay open in
 * the system-library build, which has no hook; in the built-in one the
 * head check refuses every head that has one (asserted where each is
 * found):
 *  G1 a blank line before the request line: read_message takes it for
 *     the whole head, parse_http_request skips it and parses what follows,
 *     so civetweb's body (and the next request) start inside the head;
 *  G2 the run of whitespace after the HTTP version is all turned into
 *     NULs by civetweb, so lookupd sees how long it is, not what it was
 *     ("\n " or "\r\r" look like CRLF: bare LF, then a line that starts
 *     with a blank, which a proxy may drop, with the Content-Length on it);
 *  G3 a section that ends in a bare LF ("\n\n"): framing_scan can only
 *     tell it from CRLF CRLF by the two bytes past the head, which are
 *     the body's (a body "\r\0" passes), or stale, or past civetweb's
 *     buffer when the head fills it. The buffer here has SLACK bytes past
 *     the input for that (NULs, as a fresh buffer holds), so ASan reports
 *     any read further. */
#include <string.h>
#include <strings.h>

#include "civetweb_request.h"
#include "framing.h"
#include "fuzz.h"
#include "head_hook.h"

/* The longest head lookupd takes (max_header_bytes at most). */
#define MAX_INPUT 65536
/* framing_scan reads up to two bytes past a head that ends in "\n\n". */
#define SLACK 2

static const int max_headers_tried[] = { 4, 32, MG_MAX_HEADERS - 1 };

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A count over the raw head that knows nothing of civetweb: lines split
 * at LF (a CR before it dropped), the request line left out, the name
 * what comes before the first ':' with blanks around it trimmed. */
static int raw_count(const char *p, size_t n, const char *name)
{
	size_t i = 0, len = strlen(name);
	int count = 0, first = 1;

	while (i < n) {
		size_t end = i, s, e;
		while (end < n && p[end] != '\n')
			end++;
		s = i;
		e = s;
		while (e < end && p[e] != ':')
			e++;
		if (!first && e < end) {
			while (s < e && blank(p[s]))
				s++;
			while (e > s && blank(p[e - 1]))
				e--;
			if (e - s == len && strncasecmp(p + s, name, len) == 0)
				count++;
		}
		first = 0;
		i = end + 1;
	}
	return count;
}

static const char *last_value(const struct mg_request_info *ri, const char *name)
{
	const char *v = NULL;

	for (int i = 0; i < ri->num_headers; i++)
		if (strcasecmp(ri->http_headers[i].name, name) == 0)
			v = ri->http_headers[i].value;
	return v;
}

static size_t trimmed_len(const char *v)
{
	size_t n = strlen(v);

	while (n > 0 && blank(v[n - 1]))
		n--;
	return n;
}

/* The head is raw[0, request_len) and buf is civetweb's copy of it after
 * parsing: offsets are the same in both. Returns 1 when it is exactly
 * what framing_scan took it for, 0 when it falls in a known gap (G2, G3),
 * which only a head the head check refused (head_ok 0) may; any other
 * difference breaks an invariant. */
static int head_exact(const char *raw, const char *buf, const struct mg_request_info *ri,
    const struct civetweb_head *head, int head_ok)
{
	size_t end = (size_t)head->request_len;
	size_t pos = (size_t)(ri->request_method - buf), target_len, vend;
	int exact = 1;

	/* Before the method only what parse_http_request skips. */
	for (size_t i = 0; i < pos; i++)
		FUZZ_ASSERT(strchr(" \t\r\n", raw[i]) != NULL);
	/* method SP target SP "HTTP/" version, each separated by one SP. */
	pos += strlen(ri->request_method);
	FUZZ_ASSERT(raw[pos] == ' ');
	pos++;
	FUZZ_ASSERT(ri->request_uri == buf + pos);
	target_len = strlen(ri->request_uri);
	if (ri->query_string != NULL) {
		FUZZ_ASSERT(ri->query_string == ri->request_uri + target_len + 1);
		FUZZ_ASSERT(raw[pos + target_len] == '?');
		target_len += 1 + strlen(ri->query_string);
	}
	pos += target_len;
	FUZZ_ASSERT(raw[pos] == ' ');
	pos++;
	FUZZ_ASSERT(memcmp(raw + pos, "HTTP/", 5) == 0);
	FUZZ_ASSERT(ri->http_version == buf + pos + 5);
	vend = pos + 5 + strlen(ri->http_version);

	if (ri->num_headers == 0) {
		/* The rest is the CRLF of the request line and the one that
		 * ends the section, all NULs now. */
		if (end - vend < 4) {
			FUZZ_ASSERT(!head_ok);
			return 0;	/* G3: "\n\n" or "\r\n\n", decided past the head */
		}
		if (end - vend != 4 || memcmp(raw + vend, "\r\n\r\n", 4) != 0) {
			FUZZ_ASSERT(!head_ok);
			return 0;	/* G2: a run of other whitespace */
		}
		return 1;
	}
	/* The request line's CRLF: two NULs now, whatever they were. */
	FUZZ_ASSERT(ri->http_headers[0].name == buf + vend + 2);
	if (memcmp(raw + vend, "\r\n", 2) != 0) {
		FUZZ_ASSERT(!head_ok);
		exact = 0;	/* G2 */
	}
	pos = vend + 2;
	for (int i = 0; i < ri->num_headers; i++) {
		const struct mg_header *f = &ri->http_headers[i];
		size_t n = strlen(f->name), v;

		FUZZ_ASSERT(f->name == buf + pos);
		FUZZ_ASSERT(n > 0);
		pos += n;
		FUZZ_ASSERT(raw[pos] == ':');
		v = (size_t)(f->value - buf);
		FUZZ_ASSERT(v > pos);
		for (pos++; pos < v; pos++)
			FUZZ_ASSERT(blank(raw[pos]));
		pos += strlen(f->value);
		if (i == ri->num_headers - 1 && raw[pos] == '\n' && pos + 2 == end) {
			FUZZ_ASSERT(!head_ok);
			return 0;	/* G3: "\n\n", decided on the byte past the head */
		}
		FUZZ_ASSERT(raw[pos] == '\r' && raw[pos + 1] == '\n');
		pos += 2;
	}
	FUZZ_ASSERT(pos + 2 == end);
	FUZZ_ASSERT(raw[pos] == '\r' && raw[pos + 1] == '\n');
	return exact;
}

/* raw[0, request_len) is the head, buf civetweb's copy; exact is what
 * head_exact found. */
static void check_accepted(const char *raw, const char *buf, const struct mg_request_info *ri,
    const struct civetweb_head *head, const struct req_headers *h, int exact)
{
	size_t m = (size_t)(ri->request_method - buf);

	FUZZ_ASSERT(h->n_content_length <= 1 && h->n_transfer_encoding <= 1);
	FUZZ_ASSERT(!(h->n_content_length && h->n_transfer_encoding));
	if (exact) {
		FUZZ_ASSERT(raw_count(raw + m, (size_t)head->request_len - m, "Content-Length") ==
		    h->n_content_length);
		FUZZ_ASSERT(raw_count(raw + m, (size_t)head->request_len - m,
		    "Transfer-Encoding") ==
		    h->n_transfer_encoding);
	}
	if (h->content_length != NULL) {
		size_t n = trimmed_len(h->content_length);
		long long len = 0;

		FUZZ_ASSERT(n >= 1 && n <= 18);
		for (size_t i = 0; i < n; i++) {
			FUZZ_ASSERT(h->content_length[i] >= '0' && h->content_length[i] <= '9');
			len = len * 10 + (h->content_length[i] - '0');
		}
		FUZZ_ASSERT(!head->is_chunked && head->content_len == len);
		FUZZ_ASSERT(ri->content_length == len);
	} else if (h->transfer_encoding != NULL) {
		FUZZ_ASSERT(trimmed_len(h->transfer_encoding) == 7 &&
		    strncasecmp(h->transfer_encoding, "chunked", 7) == 0);
		FUZZ_ASSERT(head->is_chunked);
	} else {
		FUZZ_ASSERT(!head->is_chunked && head->content_len == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_request_info ri;
	struct civetweb_head head;
	struct req_headers h, again;
	struct http_head_verdict hv;
	const char *raw = (const char *)data, *why;
	char *buf;
	int scan, section_ok, exact, head_ok, status = 0;

	if (size == 0 || size > MAX_INPUT)
		return 0;
	buf = malloc(size + SLACK);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	memset(buf + size, 0, SLACK);
	memset(&ri, 0, sizeof(ri));
	if (civetweb_request(buf, (int)size, &ri, &head) != 0)
		goto out;
	/* The hook ran on this head, before civetweb parsed it. */
	FUZZ_ASSERT(head_hook_take(SIZE_MAX, &hv) >= 0);
	head_ok = hv.status == HTTP_HEAD_OK;

	scan = framing_scan(&ri, &h);
	FUZZ_ASSERT(scan == 0 || scan == -1 || scan == -2);
	FUZZ_ASSERT(framing_scan(&ri, &again) == scan);
	section_ok = scan == 0;
	FUZZ_ASSERT(memcmp(&h, &again, sizeof(h)) == 0);
	for (size_t i = 0; i < sizeof(max_headers_tried) / sizeof(max_headers_tried[0]); i++) {
		int mh = max_headers_tried[i];
		why = NULL;
		status = framing_refused(&ri, mh, scan, &h, &why);
		FUZZ_ASSERT(status == 0 || status == 400 || status == 431);
		FUZZ_ASSERT((status == 431) ==
		    (ri.num_headers >= MG_MAX_HEADERS || ri.num_headers > mh));
		FUZZ_ASSERT((status == 0) == (why == NULL));
		FUZZ_ASSERT(status != 0 || section_ok);
		if (head_ok) {
			struct http_head_verdict limited = hv;
			FUZZ_ASSERT((http_head_limit(&limited, (size_t)mh) == HTTP_HEAD_TOO_MANY) ==
			    (status == 431));
		}
	}
	/* A sound head is one civetweb parses as it is. */
	if (head_ok && hv.fields < MG_MAX_HEADERS)
		FUZZ_ASSERT(section_ok);
	/* status is now that of the most fields lookupd can be set to take. */
	if (!section_ok)
		goto out;

	/* What lookupd noted is what civetweb reported. */
	FUZZ_ASSERT(h.connection == last_value(&ri, "Connection"));
	FUZZ_ASSERT(h.content_type == last_value(&ri, "Content-Type"));
	FUZZ_ASSERT(h.if_none_match == last_value(&ri, "If-None-Match"));
	FUZZ_ASSERT(h.if_modified_since == last_value(&ri, "If-Modified-Since"));
	FUZZ_ASSERT(h.content_length == last_value(&ri, "Content-Length"));
	FUZZ_ASSERT(h.transfer_encoding == last_value(&ri, "Transfer-Encoding"));

	/* G1: civetweb's head and what it parsed part ways; framing.c sees
	 * neither end, the head check refused the head. */
	if (head.parsed_len != head.request_len) {
		FUZZ_ASSERT(!head_ok);
		goto out;
	}
	exact = head_exact(raw, buf, &ri, &head, head_ok);
	FUZZ_ASSERT(exact || !head_ok);
	if (status == 0)
		check_accepted(raw, buf, &ri, &head, &h, exact);
out:
	free(buf);
	return 0;
}
