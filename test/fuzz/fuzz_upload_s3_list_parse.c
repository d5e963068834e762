/* upload_s3_list_parse: a ListObjectsV2 page from the S3 endpoint, which
 * decides what the uploader deletes. Every key it gives lies within the
 * input (raw), unescapes to what a second, naive decoder makes of raw, and
 * is within S3's bounds; the token and ETags are bounded and NUL-free; a
 * truncated page always has a token. */
#include <stdlib.h>
#include <string.h>

#include "ocsp/upload.h"
#include "fuzz.h"

struct ctx {
	const char *in;
	size_t len, n;
};

/* The reference: one entity at a time, code points as UTF-8 (the parser's
 * bounds are checked by the caller). Returns the length or -1. */
static long naive(const char *p, size_t n, char *out, size_t cap)
{
	size_t o = 0, i = 0;

	while (i < n) {
		unsigned long cp;
		if (p[i] != '&') {
			if (o + 1 >= cap)
				return -1;
			out[o++] = p[i++];
			continue;
		}
		const char *semi = memchr(p + i, ';', n - i);
		if (semi == NULL)
			return -1;
		size_t en = (size_t)(semi - p - i - 1);
		const char *s = p + i + 1;
		if (en == 3 && memcmp(s, "amp", 3) == 0) cp = '&';
		else if (en == 2 && memcmp(s, "lt", 2) == 0) cp = '<';
		else if (en == 2 && memcmp(s, "gt", 2) == 0) cp = '>';
		else if (en == 4 && memcmp(s, "quot", 4) == 0) cp = '"';
		else if (en == 4 && memcmp(s, "apos", 4) == 0) cp = '\'';
		else if (en >= 2 && s[0] == '#') {
			char buf[16];
			char *end;
			int hex = s[1] == 'x' || s[1] == 'X';
			if (en - 1 - (size_t)hex > 8 || en - 1 - (size_t)hex == 0)
				return -1;
			memcpy(buf, s + 1 + hex, en - 1 - (size_t)hex);
			buf[en - 1 - (size_t)hex] = '\0';
			if (buf[0] == '+' || buf[0] == '-' || buf[0] == ' ')
				return -1;
			cp = strtoul(buf, &end, hex ? 16 : 10);
			if (*end != '\0')
				return -1;
		} else
			return -1;
		unsigned char b[4];
		size_t k;
		if (cp < 0x80) { b[0] = (unsigned char)cp; k = 1; }
		else if (cp < 0x800) { b[0] = (unsigned char)(0xc0 | cp >> 6); b[1] = (unsigned char)(0x80 | (cp & 63)); k = 2; }
		else if (cp < 0x10000) { b[0] = (unsigned char)(0xe0 | cp >> 12); b[1] = (unsigned char)(0x80 | (cp >> 6 & 63)); b[2] = (unsigned char)(0x80 | (cp & 63)); k = 3; }
		else { b[0] = (unsigned char)(0xf0 | cp >> 18); b[1] = (unsigned char)(0x80 | (cp >> 12 & 63)); b[2] = (unsigned char)(0x80 | (cp >> 6 & 63)); b[3] = (unsigned char)(0x80 | (cp & 63)); k = 4; }
		if (o + k >= cap)
			return -1;
		memcpy(out + o, b, k);
		o += k;
		i += en + 2;
	}
	out[o] = '\0';
	return (long)o;
}

static int each(void *arg, const struct upload_list_item *it, struct err *e)
{
	struct ctx *c = arg;
	static char ref[UPLOAD_S3_KEY_MAX * 4 + 8];
	long n;

	(void)e;
	FUZZ_ASSERT(it->raw >= c->in && it->raw_len <= c->len &&
	    (size_t)(it->raw - c->in) <= c->len - it->raw_len);
	FUZZ_ASSERT(it->key_len <= UPLOAD_S3_KEY_MAX && strlen(it->key) == it->key_len);
	FUZZ_ASSERT(it->key_len <= it->raw_len);
	FUZZ_ASSERT(memchr(it->raw, '<', it->raw_len) == NULL);
	n = naive(it->raw, it->raw_len, ref, sizeof(ref));
	FUZZ_ASSERT(n == (long)it->key_len && memcmp(ref, it->key, it->key_len) == 0);
	FUZZ_ASSERT(strlen(it->etag) <= UPLOAD_ETAG_MAX);
	c->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = { (const char *)data, size, 0 };
	struct upload_list_page pg;
	struct err e;

	if (size > 1 << 16)
		return 0;
	e.msg[0] = '\0';
	if (upload_s3_list_parse((const char *)data, size, &pg, each, &c, &e) != 0) {
		FUZZ_ASSERT(e.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(pg.n == c.n);
	FUZZ_ASSERT(strlen(pg.token) <= UPLOAD_S3_TOKEN_MAX);
	FUZZ_ASSERT(!pg.truncated || pg.token[0] != '\0');
	return 0;
}
