/* What ocsp-audit reads from HTTP answers' headers: untrusted text from
 * a responder or a CDN, parsed within its length. */
#include <string.h>
#include <strings.h>

#include "audit.h"

/* More than a year is no OCSP answer's lifetime; it also bounds the value
 * long before an int64_t could overflow. */
#define AUDIT_MAX_AGE_MAX (366 * 86400)

int audit_max_age(const char *v, size_t n, int64_t *out)
{
	const char *end = v + n, *p = v;
	int found = 0;

	while (p < end) {
		const char *tok = p, *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		p = comma ? comma + 1 : end;
		while (tok < stop && (*tok == ' ' || *tok == '\t'))
			tok++;
		if ((size_t)(stop - tok) < 8 || strncasecmp(tok, "max-age=", 8) != 0)
			continue;
		if (found)
			return -1;
		tok += 8;
		int64_t x = 0;
		const char *d = tok;
		while (d < stop && *d >= '0' && *d <= '9') {
			x = x * 10 + (*d - '0');
			if (x > AUDIT_MAX_AGE_MAX)
				return -1;
			d++;
		}
		while (d < stop && (*d == ' ' || *d == '\t'))
			d++;
		if (d == tok || d != stop)
			return -1;
		*out = x;
		found = 1;
	}
	return found;
}
