#include "ocsp/request.h"

#include <stdint.h>
#include <string.h>

#include "ocsp/hex.h"

/* 0..63 for a base64 character of either alphabet, -1 otherwise. */
static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-' || c == ' ')	/* ' ': a '+' a decoder spoiled */
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* The percent-decoded characters of a path, one at a time: decoding into
 * a copy would put a buffer as long as the longest path on a worker's
 * stack, and thousands of workers pay for every page of stack they touch. */
struct pct {
	const char *s;
	size_t n, i;
};

enum { PCT_END = -1, PCT_BROKEN = -2 };

static int pct_next(struct pct *p)
{
	int hi, lo;

	if (p->i >= p->n)
		return PCT_END;
	if (p->s[p->i] != '%')
		return (unsigned char)p->s[p->i++];
	if (p->i + 2 >= p->n)
		return PCT_BROKEN;
	hi = hex_value(p->s[p->i + 1]);
	lo = hex_value(p->s[p->i + 2]);
	if (hi < 0 || lo < 0)
		return PCT_BROKEN;
	p->i += 3;
	return hi << 4 | lo;
}

/* Decodes the first count characters of p (base64 of either alphabet,
 * checked already) into out. */
static int b64_decode(struct pct *p, size_t count, uint8_t *out, size_t cap,
    size_t *out_len)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	if (count % 4 == 1)
		return -1;
	p->i = 0;
	for (size_t k = 0; k < count; k++) {
		acc = acc << 6 | (uint32_t)b64val((char)pct_next(p));
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*out_len = o;
	return 0;
}

static size_t strip_prefix(const char *path, size_t n, const char *prefix)
{
	size_t pl = prefix ? strlen(prefix) : 0;

	while (pl > 0 && prefix[pl - 1] == '/')	/* "/ocsp/" means "/ocsp" */
		pl--;
	if (pl > 0 && n >= pl && memcmp(path, prefix, pl) == 0 &&
	    (n == pl || path[pl] == '/'))
		return pl;
	return 0;
}

int get_path_decode(const char *path, size_t path_len, const char *prefix,
    uint8_t *out, size_t cap, size_t *out_len)
{
	struct pct p;
	size_t start, pad = 0, count = 0;
	int c;

	if (path_len > GET_PATH_MAX)
		return GET_PATH_MALFORMED;
	start = strip_prefix(path, path_len, prefix);
	while (start < path_len && path[start] == '/')
		start++;
	if (start == path_len)
		return GET_PATH_NOT_REQUEST;
	p = (struct pct){ path + start, path_len - start, 0 };
	/* A broken escape anywhere makes the path malformed, whatever else. */
	while ((c = pct_next(&p)) >= 0)
		;
	if (c == PCT_BROKEN)
		return GET_PATH_MALFORMED;
	/* Anything outside the base64 alphabets is some other resource. '='
	 * may only end the string. */
	p.i = 0;
	while ((c = pct_next(&p)) >= 0) {
		if (c == '=') {
			pad++;
			continue;
		}
		if (b64val((char)c) < 0)
			return GET_PATH_NOT_REQUEST;
		if (pad > 0)
			return GET_PATH_MALFORMED;
		count++;
	}
	if (pad > 2)
		return GET_PATH_MALFORMED;
	if (b64_decode(&p, count, out, cap, out_len) != 0)
		return GET_PATH_MALFORMED;
	return GET_PATH_OK;
}
