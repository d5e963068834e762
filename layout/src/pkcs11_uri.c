#include "ocsp/pkcs11_uri.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "ocsp/hex.h"

#define SCHEME "pkcs11:"
#define SCHEME_LEN 7
/* Longest attribute name quoted in a message. */
#define NAME_MAX_QUOTED 32

enum part { PART_PATH, PART_QUERY };

/* One attribute this parser knows: where it goes and how it is stored. */
struct attr {
	const char *name;
	enum part part;
	int bytes;		/* raw bytes (id) rather than text */
	size_t offset;		/* of the field in struct pkcs11_uri */
	size_t size;		/* of the field; text keeps a byte for the NUL */
};

#define FIELD(f) offsetof(struct pkcs11_uri, f), sizeof(((struct pkcs11_uri *)0)->f)

static const struct attr attrs[] = {
	{ "token", PART_PATH, 0, FIELD(token) },
	{ "manufacturer", PART_PATH, 0, FIELD(manufacturer) },
	{ "model", PART_PATH, 0, FIELD(model) },
	{ "serial", PART_PATH, 0, FIELD(serial) },
	{ "object", PART_PATH, 0, FIELD(object) },
	{ "id", PART_PATH, 1, FIELD(id) },
	{ "type", PART_PATH, 0, FIELD(type) },
	{ "pin-source", PART_QUERY, 0, FIELD(pin_source) },
	{ "pin-value", PART_QUERY, 0, FIELD(pin_value) },
	{ "module-name", PART_QUERY, 0, FIELD(module_name) },
	{ "module-path", PART_QUERY, 0, FIELD(module_path) },
};
#define NATTRS (sizeof(attrs) / sizeof(attrs[0]))

/* RFC 7512 attributes that select modules or slots: refused with their own
 * message, since ignoring them would widen the match. */
static const char *const unsupported[] = {
	"library-manufacturer", "library-description", "library-version",
	"slot-manufacturer", "slot-description", "slot-id",
};

static const char *const types[] = { "private", "public", "cert", "secret-key", "data" };

struct parse {
	const char *uri;
	struct pkcs11_uri *out;
	unsigned seen;			/* bit per attrs[] entry */
	uint8_t buf[PKCS11_URI_MAX];	/* one decoded value; may be a PIN */
	struct err *e;
};

/* A byte that may appear unescaped in a value: printable ASCII but '#',
 * which would start a fragment. The separators were split off already. */
static int raw_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '#';
}

static int name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Percent-decodes [v, end) into ps->buf; *len gets the length. */
static int decode(struct parse *ps, const char *v, const char *end, size_t *len)
{
	size_t n = 0;

	for (const char *p = v; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '%') {
			int hi = end - p > 2 ? hex_value(p[1]) : -1;
			int lo = hi >= 0 ? hex_value(p[2]) : -1;
			if (lo < 0)
				return err_set(ps->e, "pkcs11 URI: bad percent-escape at offset %zu "
				    "(a '%%' must be followed by two hex digits)",
				    (size_t)(p - ps->uri));
			ps->buf[n++] = (uint8_t)(hi << 4 | lo);
			p += 2;
		} else if (!raw_ok(c)) {
			return err_set(ps->e, "pkcs11 URI: character 0x%02x at offset %zu must "
			    "be percent-encoded", c, (size_t)(p - ps->uri));
		} else {
			ps->buf[n++] = c;
		}
	}
	*len = n;
	return 0;
}

static const struct attr *attr_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NATTRS; i++)
		if (strlen(attrs[i].name) == len && memcmp(attrs[i].name, name, len) == 0)
			return &attrs[i];
	return NULL;
}

static int is_unsupported(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (strlen(unsupported[i]) == len && memcmp(unsupported[i], name, len) == 0)
			return 1;
	return 0;
}

/* Stores the decoded value of a into its field. */
static int store(struct parse *ps, const struct attr *a, size_t len)
{
	uint8_t *field = (uint8_t *)ps->out + a->offset;

	if (len == 0)
		return err_set(ps->e, "pkcs11 URI: attribute '%s' has an empty value", a->name);
	if (a->bytes) {
		if (len > a->size)
			return err_set(ps->e, "pkcs11 URI: attribute '%s' is longer than %zu bytes",
			    a->name, a->size);
		memcpy(field, ps->buf, len);
		ps->out->id_len = len;
		ps->out->have_id = 1;
		return 0;
	}
	if (len > a->size - 1)
		return err_set(ps->e, "pkcs11 URI: attribute '%s' is longer than %zu bytes",
		    a->name, a->size - 1);
	for (size_t i = 0; i < len; i++)
		if (ps->buf[i] < 0x20 || ps->buf[i] == 0x7f)
			return err_set(ps->e, "pkcs11 URI: attribute '%s' contains a control "
			    "character (byte %zu of its value)", a->name, i);
	memcpy(field, ps->buf, len);
	field[len] = '\0';
	return 0;
}

/* One "name=value" in [s, end). */
static int attribute(struct parse *ps, const char *s, const char *end, enum part part)
{
	const char *eq = memchr(s, '=', (size_t)(end - s));
	size_t off = (size_t)(s - ps->uri), nlen, vlen = 0;
	const struct attr *a;

	if (s == end)
		return err_set(ps->e, "pkcs11 URI: empty attribute at offset %zu", off);
	if (eq == NULL)
		eq = end;
	nlen = (size_t)(eq - s);
	for (size_t i = 0; i < nlen; i++)
		if (!name_char((unsigned char)s[i]))
			return err_set(ps->e, "pkcs11 URI: bad attribute name at offset %zu "
			    "(lowercase letters, digits and '-' only)", off);
	if (nlen == 0 || nlen > NAME_MAX_QUOTED)
		return err_set(ps->e, "pkcs11 URI: bad attribute name at offset %zu", off);
	a = attr_find(s, nlen);
	if (a == NULL) {
		if (is_unsupported(s, nlen))
			return err_set(ps->e, "pkcs11 URI: attribute '%.*s' is not supported",
			    (int)nlen, s);
		return err_set(ps->e, "pkcs11 URI: unknown %s attribute '%.*s'",
		    part == PART_PATH ? "path" : "query", (int)nlen, s);
	}
	if (a->part != part)
		return err_set(ps->e, "pkcs11 URI: '%s' belongs in the %s", a->name,
		    a->part == PART_PATH ? "path (before '?')" : "query (after '?')");
	if (eq == end)
		return err_set(ps->e, "pkcs11 URI: attribute '%s' has no value ('%s=...')",
		    a->name, a->name);
	if (ps->seen & (1u << (a - attrs)))
		return err_set(ps->e, "pkcs11 URI: attribute '%s' given twice", a->name);
	ps->seen |= 1u << (a - attrs);
	if (decode(ps, eq + 1, end, &vlen) != 0)
		return -1;
	return store(ps, a, vlen);
}

/* The attributes of one part, [s, end), separated by sep. */
static int attributes(struct parse *ps, const char *s, const char *end, char sep,
    enum part part)
{
	for (;;) {
		const char *next = memchr(s, sep, (size_t)(end - s));
		if (next == NULL)
			next = end;
		if (attribute(ps, s, next, part) != 0)
			return -1;
		if (next == end)
			return 0;
		s = next + 1;
	}
}

static int check_type(const struct pkcs11_uri *u, struct err *e)
{
	if (u->type[0] == '\0')
		return 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(u->type, types[i]) == 0)
			return 0;
	return err_set(e, "pkcs11 URI: type '%s' is not one of private, public, cert, "
	    "secret-key, data", u->type);
}

/* Only files: "file:PATH", "file:///PATH" or a plain path. */
static int check_pin_source(const struct pkcs11_uri *u, struct err *e)
{
	const char *s = u->pin_source, *p;
	size_t scheme;

	if (s[0] == '\0')
		return 0;
	if (s[0] == '|')
		return err_set(e, "pkcs11 URI: pin-source: commands ('|...') are not "
		    "supported; use file:PATH");
	if (strncmp(s, "file://", 7) == 0 && s[7] != '/')
		return err_set(e, "pkcs11 URI: pin-source: a file: URI with a host is not "
		    "supported; use file:/PATH");
	if (strncmp(s, "file:", 5) != 0) {
		/* RFC 3986: a letter, then letters, digits, '+', '-' or '.'. */
		scheme = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789+.-");
		if (scheme > 0 && s[scheme] == ':' && strchr("+.-0123456789", s[0]) == NULL)
			return err_set(e, "pkcs11 URI: pin-source: '%.*s:' is not supported; "
			    "use file:PATH or a path", (int)(scheme > 16 ? 16 : scheme), s);
	}
	p = pkcs11_uri_pin_file(u);
	if (p == NULL || p[0] == '\0')
		return err_set(e, "pkcs11 URI: pin-source names no file");
	return 0;
}

int pkcs11_uri_parse(const char *uri, struct pkcs11_uri *out, struct err *e)
{
	struct parse *ps = NULL;
	const char *end, *query;
	size_t len;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	len = strnlen(uri, PKCS11_URI_MAX + 1);
	if (len > PKCS11_URI_MAX) {
		err_set(e, "pkcs11 URI: longer than %d bytes", PKCS11_URI_MAX);
		goto out;
	}
	if (len < SCHEME_LEN || strncasecmp(uri, SCHEME, SCHEME_LEN) != 0) {
		err_set(e, "pkcs11 URI: does not start with 'pkcs11:'");
		goto out;
	}
	ps = OPENSSL_zalloc(sizeof(*ps));
	if (ps == NULL) {
		err_set(e, "pkcs11 URI: out of memory");
		goto out;
	}
	ps->uri = uri;
	ps->out = out;
	ps->e = e;
	end = uri + len;
	query = memchr(uri + SCHEME_LEN, '?', len - SCHEME_LEN);
	/* "pkcs11:" alone is a valid URI that matches everything. */
	if (query != uri + SCHEME_LEN && uri + SCHEME_LEN != end &&
	    attributes(ps, uri + SCHEME_LEN, query ? query : end, ';', PART_PATH) != 0)
		goto out;
	if (query != NULL && attributes(ps, query + 1, end, '&', PART_QUERY) != 0)
		goto out;
	if (check_type(out, e) != 0 || check_pin_source(out, e) != 0)
		goto out;
	ret = 0;
out:
	if (ps != NULL)
		OPENSSL_clear_free(ps, sizeof(*ps));
	if (ret != 0)
		pkcs11_uri_wipe(out);
	return ret;
}

const char *pkcs11_uri_pin_file(const struct pkcs11_uri *u)
{
	const char *s = u->pin_source;

	if (s[0] == '\0')
		return NULL;
	if (strncmp(s, "file://", 7) == 0)
		return s + 7;
	if (strncmp(s, "file:", 5) == 0)
		return s + 5;
	return s;
}

/* A bounded writer for pkcs11_uri_describe. */
struct out {
	char *p;
	size_t size, used;
	int over;
};

/* Copies what fits; the rest sets over. */
static void put(struct out *o, const char *s, size_t n)
{
	size_t room = o->size - 1 - o->used;

	if (n > room) {
		o->over = 1;
		n = room;
	}
	memcpy(o->p + o->used, s, n);
	o->used += n;
}

static void put_value(struct out *o, const uint8_t *v, size_t n, int all)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		char esc[3] = { '%', hex[v[i] >> 4], hex[v[i] & 15] };
		unsigned char c = v[i];
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != '\0' && strchr("-._~:@!$'()*+,/", c));
		if (plain && !all)
			put(o, (const char *)&v[i], 1);
		else
			put(o, esc, 3);
	}
}

void pkcs11_uri_describe(const struct pkcs11_uri *u, char *out, size_t out_size)
{
	struct out o = { out, out_size, 0, 0 };
	int first = 1;

	if (out_size == 0)
		return;
	put(&o, SCHEME, SCHEME_LEN);
	for (size_t i = 0; i < NATTRS; i++) {
		const struct attr *a = &attrs[i];
		const uint8_t *v = (const uint8_t *)u + a->offset;
		size_t n = a->bytes ? (u->have_id ? u->id_len : 0) : strlen((const char *)v);
		if (a->part != PART_PATH || n == 0)
			continue;
		if (!first)
			put(&o, ";", 1);
		first = 0;
		put(&o, a->name, strlen(a->name));
		put(&o, "=", 1);
		put_value(&o, v, n, a->bytes);
	}
	out[o.used] = '\0';
	if (o.over && o.used >= 3)
		memcpy(out + o.used - 3, "...", 3);
}

void pkcs11_uri_wipe(struct pkcs11_uri *u)
{
	OPENSSL_cleanse(u, sizeof(*u));
}
