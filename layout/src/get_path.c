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

/* Percent-decodes in into out (same capacity). Returns the length, or -1
 * for a broken escape. */
static long percent_decode(const char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (in[i] != '%') {
			out[o++] = in[i];
			continue;
		}
		if (i + 2 >= n)
			return -1;
		int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
		if (hi < 0 || lo < 0)
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	return (long)o;
}

static int b64_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
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
	char buf[GET_PATH_MAX];
	size_t start, pad = 0;
	long n;

	if (path_len > GET_PATH_MAX)
		return GET_PATH_MALFORMED;
	start = strip_prefix(path, path_len, prefix);
	while (start < path_len && path[start] == '/')
		start++;
	if (start == path_len)
		return GET_PATH_NOT_REQUEST;
	n = percent_decode(path + start, path_len - start, buf);
	if (n < 0)
		return GET_PATH_MALFORMED;
	/* Anything outside the base64 alphabets is some other resource. '='
	 * may only end the string. */
	for (long i = 0; i < n; i++) {
		if (buf[i] == '=') {
			pad++;
			continue;
		}
		if (b64val(buf[i]) < 0)
			return GET_PATH_NOT_REQUEST;
		if (pad > 0)
			return GET_PATH_MALFORMED;
	}
	if (pad > 2)
		return GET_PATH_MALFORMED;
	if (b64_decode(buf, (size_t)n, out, cap, out_len) != 0)
		return GET_PATH_MALFORMED;
	return GET_PATH_OK;
}
