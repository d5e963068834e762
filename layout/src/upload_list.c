/* A ListObjectsV2 response (upload.h): only what a listing of our prefix
 * needs (keys, ETags, sizes, the continuation token), read by a scanner of
 * tags that never recurses. S3 escapes '<' and '&' in text, so the next
 * '<' after a start tag ends its text. */
#include "ocsp/upload.h"

#include <string.h>

#include "ocsp/err.h"

#define ROOT "ListBucketResult"
/* Tag names we look at are short; a longer one is skipped whole. */
#define TAG_MAX 64

/* Appends code point cp as UTF-8; 0 or -1 when it does not fit or is not
 * a character XML allows (NUL, surrogates, past U+10FFFF). */
static int put_utf8(unsigned long cp, char *out, size_t cap, size_t *o)
{
	unsigned char b[4];
	size_t n;

	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return -1;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (*o + n > cap)
		return -1;
	memcpy(out + *o, b, n);
	*o += n;
	return 0;
}

/* "&#123;" or "&#x7B;" (the text between '&' and ';' is p, n). */
static int char_ref(const char *p, size_t n, unsigned long *cp)
{
	int hex = n > 1 && (p[1] == 'x' || p[1] == 'X');
	size_t i = hex ? 2 : 1;
	unsigned long v = 0;

	if (n <= i || n > i + 8)
		return -1;
	for (; i < n; i++) {
		int d = p[i] >= '0' && p[i] <= '9' ? p[i] - '0' :
		    hex && p[i] >= 'a' && p[i] <= 'f' ? p[i] - 'a' + 10 :
		    hex && p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * (hex ? 16 : 10) + (unsigned long)d;
	}
	*cp = v;
	return 0;
}

/* Unescapes text (p, n) into out (cap bytes, NUL added); the length or -1. */
static long unescape(const char *p, size_t n, char *out, size_t cap)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
	};
	size_t o = 0;

	if (cap == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *semi;
		size_t en;
		unsigned long cp;
		int found = 0;
		if (p[i] == '\0')
			return -1;
		if (p[i] != '&') {
			if (o + 1 >= cap)
				return -1;
			out[o++] = p[i];
			continue;
		}
		semi = memchr(p + i + 1, ';', n - i - 1);
		if (semi == NULL)
			return -1;
		en = (size_t)(semi - (p + i + 1));
		for (size_t k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
			if (strlen(ents[k].name) == en && memcmp(ents[k].name, p + i + 1, en) == 0) {
				if (o + 1 >= cap)
					return -1;
				out[o++] = ents[k].c;
				found = 1;
			}
		if (!found && (en == 0 || p[i + 1] != '#' || char_ref(p + i + 1, en, &cp) != 0 ||
		    put_utf8(cp, out, cap - 1, &o) != 0))
			return -1;
		i += en + 1;
	}
	out[o] = '\0';
	return (long)o;
}

struct cursor {
	const char *p, *end;
};

/* The next tag: its name (without '<', '/' marks an end tag) in name.
 * Processing instructions, comments and declarations come back as "?"
 * or "!". Returns 1, 0 at the end, -1 for a tag never closed. */
static int next_tag(struct cursor *c, const char **name, size_t *name_len)
{
	const char *lt = memchr(c->p, '<', (size_t)(c->end - c->p)), *gt, *q;

	if (lt == NULL)
		return 0;
	gt = memchr(lt, '>', (size_t)(c->end - lt));
	if (gt == NULL)
		return -1;
	q = lt + 1;
	*name = q;
	while (q < gt && *q != ' ' && *q != '\t' && *q != '\r' && *q != '\n' && *q != '/')
		q++;
	if (q == lt + 1 && q < gt && *q == '/') {
		q++;
		while (q < gt && *q != ' ' && *q != '\t' && *q != '\r' && *q != '\n')
			q++;
	}
	*name_len = (size_t)(q - *name);
	c->p = gt + 1;
	return 1;
}

static int is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && memcmp(name, want, n) == 0;
}

/* The text of the element whose start tag the cursor just passed, up to
 * its end tag "</tag>": (p, n) point into the document. */
static int text_of(struct cursor *c, const char *tag, const char **p, size_t *n)
{
	const char *lt = memchr(c->p, '<', (size_t)(c->end - c->p));
	size_t tl = strlen(tag);

	if (lt == NULL || (size_t)(c->end - lt) < tl + 3 || lt[1] != '/' ||
	    memcmp(lt + 2, tag, tl) != 0 || lt[2 + tl] != '>')
		return -1;
	*p = c->p;
	*n = (size_t)(lt - c->p);
	c->p = lt + tl + 3;
	return 0;
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* One field of <Contents>, whose start tag name (n bytes) was just read. */
static int contents_field(struct cursor *c, const char *name, size_t n,
    struct upload_list_item *it, int *have_key, struct err *e)
{
	const char *t;
	size_t tn;
	long k;
	char etag[UPLOAD_ETAG_MAX + 3];

	if (is(name, n, "Key")) {
		if (text_of(c, "Key", &t, &tn) != 0 ||
		    (k = unescape(t, tn, it->key, sizeof(it->key))) < 0)
			return err_set(e, "listing: a <Key> that is unterminated, too long or badly "
			    "escaped");
		it->raw = t;
		it->raw_len = tn;
		it->key_len = (size_t)k;
		*have_key = 1;
	} else if (is(name, n, "ETag")) {
		if (text_of(c, "ETag", &t, &tn) != 0 ||
		    (k = unescape(t, tn, etag, sizeof(etag))) < 0)
			return err_set(e, "listing: a bad <ETag>");
		if (k >= 2 && etag[0] == '"' && etag[k - 1] == '"') {
			memcpy(it->etag, etag + 1, (size_t)k - 2);
			it->etag[k - 2] = '\0';
		} else if (k <= UPLOAD_ETAG_MAX) {
			memcpy(it->etag, etag, (size_t)k + 1);
		} else {
			return err_set(e, "listing: an <ETag> too long");
		}
	} else if (is(name, n, "Size")) {
		if (text_of(c, "Size", &t, &tn) != 0 || parse_u64(t, tn, &it->size) != 0)
			return err_set(e, "listing: a bad <Size>");
	}
	return 0;
}

static int top_field(struct cursor *c, const char *name, size_t n,
    struct upload_list_page *pg, struct err *e)
{
	const char *t;
	size_t tn;

	if (is(name, n, "IsTruncated")) {
		if (text_of(c, "IsTruncated", &t, &tn) != 0)
			return err_set(e, "listing: a bad <IsTruncated>");
		pg->truncated = tn == 4 && memcmp(t, "true", 4) == 0;
	} else if (is(name, n, "NextContinuationToken")) {
		if (text_of(c, "NextContinuationToken", &t, &tn) != 0 ||
		    unescape(t, tn, pg->token, sizeof(pg->token)) < 0)
			return err_set(e, "listing: a continuation token that is too long or badly "
			    "escaped");
	}
	return 0;
}

int upload_s3_list_parse(const char *xml, size_t len, struct upload_list_page *pg,
    int (*each)(void *arg, const struct upload_list_item *it, struct err *e), void *arg,
    struct err *e)
{
	struct cursor c = { xml, xml + len };
	struct upload_list_item it;
	const char *name;
	size_t n;
	int r, in_root = 0, in_contents = 0, have_key = 0, root_seen = 0;

	memset(pg, 0, sizeof(*pg));
	if (len > UPLOAD_LIST_BODY_MAX)
		return err_set(e, "listing larger than %zu bytes", UPLOAD_LIST_BODY_MAX);
	while ((r = next_tag(&c, &name, &n)) == 1) {
		if (n > 0 && (name[0] == '?' || name[0] == '!'))
			continue;
		if (!in_root) {
			if (root_seen || !is(name, n, ROOT))
				return err_set(e, "listing: not a ListBucketResult");
			in_root = root_seen = 1;
		} else if (is(name, n, "/" ROOT)) {
			in_root = 0;
		} else if (!in_contents && is(name, n, "Contents")) {
			in_contents = 1;
			have_key = 0;
			memset(&it, 0, sizeof(it));
		} else if (in_contents && is(name, n, "/Contents")) {
			in_contents = 0;
			if (!have_key)
				return err_set(e, "listing: a <Contents> without a <Key>");
			if (each(arg, &it, e) != 0)
				return -1;
			pg->n++;
		} else if (in_contents) {
			if (contents_field(&c, name, n, &it, &have_key, e) != 0)
				return -1;
		} else if (top_field(&c, name, n, pg, e) != 0) {
			return -1;
		}
	}
	if (r < 0 || in_contents)
		return err_set(e, "listing: cut short");
	if (!root_seen)
		return err_set(e, "listing: not a ListBucketResult");
	if (pg->truncated && pg->token[0] == '\0')
		return err_set(e, "listing: truncated without a continuation token");
	return 0;
}
