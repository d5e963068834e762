#include "framing.h"

#include <string.h>
#include <strings.h>

/* Notes a field lookupd looks at; name is n bytes long. Compared by
 * length first: most fields a client sends are none of these. */
static void header_note(struct req_headers *h, const char *name, size_t n, const char *v)
{
	switch (n) {
	case 10:
		if (strcasecmp(name, "Connection") == 0)
			h->connection = v;
		return;
	case 12:
		if (strcasecmp(name, "Content-Type") == 0)
			h->content_type = v;
		return;
	case 13:
		if (strcasecmp(name, "If-None-Match") == 0)
			h->if_none_match = v;
		return;
	case 14:
		if (strcasecmp(name, "Content-Length") == 0) {
			h->content_length = v;
			h->n_content_length++;
		}
		return;
	case 17:
		if (strcasecmp(name, "If-Modified-Since") == 0) {
			h->if_modified_since = v;
		} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
			h->transfer_encoding = v;
			h->n_transfer_encoding++;
		}
		return;
	}
}

/* Finds the fields lookupd looks at, and checks that the header section
 * is what it seems. civetweb parses it in place: it ends the version and
 * each value with NULs where their CR LF was (and, before a colon, where
 * blanks were), and it stops without a word at a line it does not take
 * for a field: a folded continuation (obs-fold), a bare LF, anything past
 * MG_MAX_HEADERS. A field it never saw may be the Content-Length or
 * Connection a proxy in front did see. So the layout it leaves is read
 * back: every line must end in exactly CR LF, each field must start right
 * after the line before, and after the last one must come the CR LF that
 * ends the section. This reads civetweb 1.15's buffer (Debian's
 * package, both as source and as the system library); the integration
 * tests pin it. Returns 0 when the section is sound, -2 when the request
 * line is not, -1 when the header section is not.
 *
 * What the layout cannot show (test/fuzz/fuzz_http_framing.c, G1 to G3):
 * a blank line before the request line, which civetweb skips to parse
 * the request but takes for the whole head (so the request is answered
 * again as the next one, and a body is read from the wrong place); which
 * whitespace the NULs after the version were ("\n " passes for CR LF);
 * and whether a section ended in CR LF CR LF or in a bare "\n\n", told
 * apart only by the two bytes after it. With the built-in civetweb these
 * never get here: head.c checks the raw head before civetweb parses it
 * (the hook lookupd/civetweb.cmake inserts into get_request) and http.c
 * refuses what it refuses first. With the system library
 * (OCSP_CIVETWEB_BUILTIN off) there is no such hook, this scan is all
 * there is, and G1 to G3 stay open. */
int framing_scan(const struct mg_request_info *ri, struct req_headers *h)
{
	const char *end = ri->http_version, *target_end;

	memset(h, 0, sizeof(*h));
	if (end == NULL || ri->request_method == NULL || ri->request_uri == NULL)
		return -1;
	/* The request line the same way: civetweb ends the method and the
	 * target at a SP and turns every blank, CR and LF after it into NULs,
	 * so "GET  /" or a request line broken over two ("GET /\r\n HTTP/1.1")
	 * would read as "GET / HTTP/1.1". RFC 9112 3 has one SP between the
	 * parts: each must start right after the one before (handle_request
	 * has cut the query string off the target at its '?'). */
	target_end = ri->query_string != NULL ? ri->query_string + strlen(ri->query_string) :
	    ri->request_uri + strlen(ri->request_uri);
	if (ri->request_uri != ri->request_method + strlen(ri->request_method) + 1 ||
	    end != target_end + 1 + 5)	/* SP "HTTP/" */
		return -2;
	end += strlen(end);
	if (end[0] != '\0' || end[1] != '\0')
		return -1;
	if (ri->num_headers == 0)
		return end[2] == '\0' && end[3] == '\0' ? 0 : -1;
	for (int i = 0; i < ri->num_headers; i++) {
		const struct mg_header *f = &ri->http_headers[i];
		size_t n = strlen(f->name);
		if (f->name != end + 2)
			return -1;
		/* "Name :" (RFC 9112 5.1 requires a 400): blanks before the colon
		 * were turned into NULs, so the value starts further on. */
		if (f->name[n + 1] == '\0' && f->value != f->name + n + 1)
			return -1;
		header_note(h, f->name, n, f->value);
		end = f->value + strlen(f->value);
		if (end[0] != '\0' || end[1] != '\0')
			return -1;
	}
	/* The LF of that CR LF is a NUL too: civetweb takes any line that
	 * starts with a CR for the end ("\rContent-Length: 5" is skipped). */
	return end[2] == '\r' && end[3] == '\0' ? 0 : -1;
}

static int digits_only(const char *v)
{
	size_t n = strlen(v);

	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n == 0 || n > 18)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

static int chunked_only(const char *v)
{
	size_t n = strlen(v);

	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n == 7 && strncasecmp(v, "chunked", 7) == 0;
}

/* Framing that a proxy in front may read otherwise (RFC 9110 8.6, RFC
 * 9112 6 and 5.1) is refused before any body is read, and the connection
 * closed: returns the status (0 when the request may go on) and why. */
int framing_refused(const struct mg_request_info *ri, int max_headers, int scan,
    const struct req_headers *h, const char **why)
{
	if (ri->num_headers >= MG_MAX_HEADERS || ri->num_headers > max_headers) {
		*why = "too many header fields\n";
		return 431;
	}
	if (scan == -2) {
		*why = "malformed request line (one SP between method, target and version)\n";
		return 400;
	}
	if (scan != 0) {
		*why = "malformed header section (folded line, bare LF or blank before ':')\n";
		return 400;
	}
	if (h->n_content_length > 1 || h->n_transfer_encoding > 1) {
		*why = "repeated Content-Length or Transfer-Encoding\n";
		return 400;
	}
	if (h->n_content_length && h->n_transfer_encoding) {
		*why = "both Content-Length and Transfer-Encoding\n";
		return 400;
	}
	if (h->content_length != NULL && !digits_only(h->content_length)) {
		*why = "Content-Length is not a number\n";
		return 400;
	}
	if (h->transfer_encoding != NULL && !chunked_only(h->transfer_encoding)) {
		*why = "Transfer-Encoding other than chunked\n";
		return 400;
	}
	return 0;
}
