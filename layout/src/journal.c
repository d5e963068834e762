/* The journal's line format (JOURNAL.md). Every field is parsed, then
 * written back and compared with what was read: whatever the parser
 * accepts is canonical, so an edit cannot hide in a second spelling of
 * the same value, and the fuzz target can demand exact round trips. */
#include "ocsp/journal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocsp/hex.h"
#include "ocsp/status.h"
#include "ocsp/timefmt.h"

static const char *const tags[] = {
	[JOURNAL_HEADER] = "ocsp-journal", [JOURNAL_RUN] = "run", [JOURNAL_PREV] = "prev",
	[JOURNAL_ANCHOR_LINE] = "anchor", [JOURNAL_SIGNED] = "signed",
	[JOURNAL_REMOVED] = "removed", [JOURNAL_CA] = "ca", [JOURNAL_END] = "end",
};
#define NTAGS (sizeof(tags) / sizeof(tags[0]))

static const char *const results[] = { "ok", "partial", "failed", "bad-input" };
static const char *const statuses[] = { "good", "revoked", "unknown" };

/* Fields per tag, the tag included: a line with more or fewer is refused. */
static const unsigned nfields[] = {
	[JOURNAL_HEADER] = 2, [JOURNAL_RUN] = 4, [JOURNAL_PREV] = 2,
	[JOURNAL_ANCHOR_LINE] = 3, [JOURNAL_SIGNED] = 9, [JOURNAL_REMOVED] = 3,
	[JOURNAL_CA] = 7, [JOURNAL_END] = 5,
};
#define FIELDS_MAX 9
/* Longest field: the hash list, four "name=<64 hex>" joined by commas. */
#define FIELD_MAX 300

const char *journal_result_name(int result)
{
	return result >= 0 && (size_t)result < sizeof(results) / sizeof(results[0]) ?
	    results[result] : "?";
}

struct field {
	const char *p;
	size_t n;
};

/* Splits on single spaces; an empty field (two spaces, a space at either
 * end) is an error, as is a field count other than want. */
static int split(const char *s, size_t n, struct field *f, unsigned *count, struct err *e)
{
	size_t start = 0;
	unsigned k = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != ' ')
			continue;
		if (i == start)
			return err_set(e, "empty field (two spaces, or a space at an end)");
		if (k == FIELDS_MAX)
			return err_set(e, "more than %d fields", FIELDS_MAX);
		f[k].p = s + start;
		f[k].n = i - start;
		k++;
		start = i + 1;
	}
	*count = k;
	return 0;
}

static int field_is(const struct field *f, const char *word)
{
	return f->n == strlen(word) && memcmp(f->p, word, f->n) == 0;
}

static int pick(const struct field *f, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (field_is(f, words[i]))
			return (int)i;
	return -1;
}

/* A decimal number without sign or leading zeros, at most max. */
static int get_u64(const struct field *f, uint64_t max, uint64_t *v, const char *what,
    struct err *e)
{
	uint64_t x = 0;

	if (f->n == 0 || f->n > 20 || (f->n > 1 && f->p[0] == '0'))
		return err_set(e, "%s: not a canonical number", what);
	for (size_t i = 0; i < f->n; i++) {
		unsigned d = (unsigned)(unsigned char)f->p[i] - '0';
		if (d > 9 || x > (max - d) / 10)
			return err_set(e, "%s: not a number up to %" PRIu64, what, max);
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

static int get_time(const struct field *f, int64_t *t, const char *what, struct err *e)
{
	char s[TIMEFMT_ISO_LEN + 1], back[TIMEFMT_ISO_LEN + 1];

	if (f->n != TIMEFMT_ISO_LEN)
		return err_set(e, "%s: not a time YYYY-MM-DDTHH:MM:SSZ", what);
	memcpy(s, f->p, f->n);
	s[f->n] = '\0';
	if (timefmt_parse_iso(s, t) != 0 || timefmt_iso(back, sizeof(back), *t) != 0 ||
	    strcmp(back, s) != 0)
		return err_set(e, "%s: not a valid time YYYY-MM-DDTHH:MM:SSZ", what);
	return 0;
}

/* Lowercase hex of exactly n bytes. */
static int get_hex(const char *p, size_t len, uint8_t *out, size_t n, const char *what,
    struct err *e)
{
	char s[2 * JOURNAL_SHA256_LEN + 1];

	if (len != 2 * n || len >= sizeof(s))
		return err_set(e, "%s: not %zu hex digits", what, 2 * n);
	for (size_t i = 0; i < len; i++)
		if (p[i] >= 'A' && p[i] <= 'F')
			return err_set(e, "%s: uppercase hex", what);
	memcpy(s, p, len);	/* hex_decode reads a whole string */
	s[len] = '\0';
	if (hex_decode(out, n, s) != 0)
		return err_set(e, "%s: not %zu hex digits", what, 2 * n);
	return 0;
}

/* CA names as config.c allows them. */
static int ca_name_ok(const char *p, size_t n)
{
	if (n == 0 || n > CONFIG_CA_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

static int get_ca(const struct field *f, char *out, struct err *e)
{
	if (!ca_name_ok(f->p, f->n))
		return err_set(e, "not a CA name");
	memcpy(out, f->p, f->n);
	out[f->n] = '\0';
	return 0;
}

static int get_serial(const struct field *f, struct serial *s, struct err *e)
{
	char name[SERIAL_NAME_MAX + 1];

	if (f->n > SERIAL_NAME_MAX)
		return err_set(e, "serial: more than %d hex digits", SERIAL_NAME_MAX);
	memcpy(name, f->p, f->n);
	name[f->n] = '\0';
	if (!serial_name_valid(name) || serial_from_hex(s, name, f->n, e) != 0)
		return err_set(e, "serial: not as the tree names it (uppercase hex, even)");
	return 0;
}

static int get_status(const struct field *st, const struct field *rs, struct journal_line *l,
    struct err *e)
{
	int s = pick(st, statuses, 3), r;

	if (s < 0)
		return err_set(e, "status: not good, revoked or unknown");
	l->status = (uint8_t)s;
	l->reason = REASON_NONE;
	if (field_is(rs, "-"))
		return 0;
	r = s == CERT_REVOKED ? status_reason_from_name(rs->p, rs->n) : -1;
	if (r < 0 || r == REASON_NONE)
		return err_set(e, "reason: '-' or a revocation reason of a revoked certificate");
	l->reason = (uint8_t)r;
	return 0;
}

/* sha1=<hex>[,sha256=<hex>...], in the order of enum hash_alg. */
static int get_hashes(const struct field *f, struct journal_line *l, struct err *e)
{
	size_t i = 0;
	int last = -1;

	while (i < f->n) {
		size_t eq = i, end;
		int alg = -1;
		while (eq < f->n && f->p[eq] != '=')
			eq++;
		for (int a = last + 1; a < HASH_COUNT && alg < 0; a++)
			if (strlen(hash_name(a)) == eq - i && memcmp(hash_name(a), f->p + i, eq - i) == 0)
				alg = a;
		if (alg < 0 || eq == f->n)
			return err_set(e, "hashes: not name=<sha256 hex>, names in order, each once");
		end = eq + 1;
		while (end < f->n && f->p[end] != ',')
			end++;
		if (get_hex(f->p + eq + 1, end - eq - 1, l->der_sha256[alg], JOURNAL_SHA256_LEN,
		    "hashes", e) != 0)
			return -1;
		l->algs |= 1u << alg;
		last = alg;
		i = end + 1;
		if (end + 1 == f->n)
			return err_set(e, "hashes: a comma at the end");
	}
	return l->algs ? 0 : err_set(e, "hashes: none");
}

static int get_result(const struct field *f, int allow_partial, int allow_bad, int *r,
    struct err *e)
{
	int x = pick(f, results, sizeof(results) / sizeof(results[0]));

	if (x < 0 || (x == JOURNAL_PARTIAL && !allow_partial) ||
	    (x == JOURNAL_BAD_INPUT && !allow_bad))
		return err_set(e, "result: not one this line can have");
	*r = x;
	return 0;
}

static int parse_signed(const struct field *f, struct journal_line *l, struct err *e)
{
	uint8_t fpr[JOURNAL_SHA256_LEN];

	if (get_ca(&f[1], l->ca, e) != 0 || get_serial(&f[2], &l->serial, e) != 0 ||
	    get_status(&f[3], &f[4], l, e) != 0 ||
	    get_time(&f[5], &l->this_update, "thisUpdate", e) != 0 ||
	    get_time(&f[6], &l->next_update, "nextUpdate", e) != 0 ||
	    get_hex(f[7].p, f[7].n, fpr, sizeof(fpr), "signer", e) != 0)
		return -1;
	memcpy(l->signer, f[7].p, f[7].n);
	l->signer[f[7].n] = '\0';
	return get_hashes(&f[8], l, e);
}

static int parse_counts(const struct field *f, unsigned n, uint64_t *const *out, struct err *e)
{
	for (unsigned i = 0; i < n; i++)
		if (get_u64(&f[i], JOURNAL_COUNT_MAX, out[i], "count", e) != 0)
			return -1;
	return 0;
}

static int parse_fields(const struct field *f, struct journal_line *l, struct err *e)
{
	uint64_t v;

	switch (l->tag) {
	case JOURNAL_HEADER:
		if (get_u64(&f[1], 1000, &v, "format", e) != 0)
			return -1;
		if (v != JOURNAL_FORMAT)
			return err_set(e, "journal format %" PRIu64 " (this program reads %d)", v,
			    JOURNAL_FORMAT);
		l->format = (unsigned)v;
		return 0;
	case JOURNAL_RUN:
		if (get_u64(&f[1], JOURNAL_SEQ_MAX, &l->seq, "run number", e) != 0 || l->seq == 0)
			return err_set(e, "run number: 1 to %llu", (unsigned long long)JOURNAL_SEQ_MAX);
		if (get_u64(&f[2], UINT64_MAX, &l->generation, "generation", e) != 0)
			return -1;
		return get_time(&f[3], &l->time, "start", e);
	case JOURNAL_PREV:
		if (field_is(&f[1], "none"))
			return 0;
		l->has_hash = 1;
		return get_hex(f[1].p, f[1].n, l->hash, JOURNAL_SHA256_LEN, "prev", e);
	case JOURNAL_ANCHOR_LINE:
		if (get_u64(&f[1], JOURNAL_SEQ_MAX, &l->seq, "anchor", e) != 0 || l->seq == 0)
			return err_set(e, "anchor: a run number from 1");
		l->has_hash = 1;
		return get_hex(f[2].p, f[2].n, l->hash, JOURNAL_SHA256_LEN, "anchor", e);
	case JOURNAL_SIGNED:
		return parse_signed(f, l, e);
	case JOURNAL_REMOVED:
		return get_ca(&f[1], l->ca, e) != 0 ? -1 : get_serial(&f[2], &l->serial, e);
	case JOURNAL_CA: {
		uint64_t *const c[] = { &l->n_signed, &l->n_unchanged, &l->n_removed, &l->n_errors };
		if (get_ca(&f[1], l->ca, e) != 0 || get_result(&f[2], 0, 1, &l->result, e) != 0)
			return -1;
		return parse_counts(f + 3, 4, c, e);
	}
	case JOURNAL_END: {
		uint64_t *const c[] = { &l->n_signed, &l->n_removed };
		if (get_time(&f[1], &l->time, "end", e) != 0 ||
		    get_result(&f[2], 1, 0, &l->result, e) != 0)
			return -1;
		return parse_counts(f + 3, 2, c, e);
	}
	}
	return err_set(e, "internal: tag %d", (int)l->tag);
}

int journal_line_parse(const char *s, size_t n, struct journal_line *l, struct err *e)
{
	struct field f[FIELDS_MAX];
	unsigned count = 0;
	int tag;

	memset(l, 0, sizeof(*l));
	if (n > JOURNAL_LINE_MAX)
		return err_set(e, "line longer than %d bytes", JOURNAL_LINE_MAX);
	if (memchr(s, '\0', n) != NULL)
		return err_set(e, "NUL byte in line");
	if (split(s, n, f, &count, e) != 0)
		return -1;
	for (unsigned i = 0; i < count; i++)
		if (f[i].n > FIELD_MAX)
			return err_set(e, "field longer than %d bytes", FIELD_MAX);
	tag = pick(&f[0], tags, NTAGS);
	if (tag < 0)
		return err_set(e, "unknown line '%.*s'", (int)(f[0].n > 20 ? 20 : f[0].n), f[0].p);
	l->tag = (enum journal_tag)tag;
	if (count != nfields[tag])
		return err_set(e, "%s line: %u fields, not %u", tags[tag], count, nfields[tag]);
	return parse_fields(f, l, e);
}

/* ---- formatting ---- */

struct out {
	char *p;
	size_t size, len;
	int over;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->over || o->len + n >= o->size) {
		o->over = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, " ", 1);
	put(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	puts_(o, s);
}

static int put_time(struct out *o, int64_t t, struct err *e)
{
	char s[TIMEFMT_ISO_LEN + 1];

	if (timefmt_iso(s, sizeof(s), t) != 0)
		return err_set(e, "a time outside 1950..9999");
	puts_(o, s);
	return 0;
}

static void put_hash(struct out *o, const uint8_t *h)
{
	char s[2 * JOURNAL_SHA256_LEN + 1];

	hex_lower(s, h, JOURNAL_SHA256_LEN);
	puts_(o, s);
}

static int put_ca(struct out *o, const char *ca, struct err *e)
{
	if (!ca_name_ok(ca, strnlen(ca, CONFIG_CA_NAME_MAX + 1)))
		return err_set(e, "not a CA name");
	puts_(o, ca);
	return 0;
}

static void put_serial(struct out *o, const struct serial *s)
{
	char name[SERIAL_NAME_MAX + 1];

	serial_name(s, name);
	puts_(o, name);
}

static int put_signed(struct out *o, const struct journal_line *l, struct err *e)
{
	const char *reason = l->status == CERT_REVOKED ? status_reason_name(l->reason) : NULL;
	uint8_t fpr[JOURNAL_SHA256_LEN];
	int first = 1;

	if (put_ca(o, l->ca, e) != 0)
		return -1;
	put_serial(o, &l->serial);
	if (l->status > CERT_UNKNOWN)
		return err_set(e, "status %u", l->status);
	puts_(o, statuses[l->status]);
	puts_(o, reason ? reason : "-");
	if (put_time(o, l->this_update, e) != 0 || put_time(o, l->next_update, e) != 0)
		return -1;
	if (strlen(l->signer) != 2 * JOURNAL_SHA256_LEN ||
	    hex_decode(fpr, sizeof(fpr), l->signer) != 0)
		return err_set(e, "signer: not a SHA-256 in hex");
	put_hash(o, fpr);	/* lowercase, as the parser wants it */
	if ((l->algs & ((1u << HASH_COUNT) - 1)) == 0)
		return err_set(e, "no CertID hash");
	put(o, " ", 1);
	for (int alg = 0; alg < HASH_COUNT; alg++) {
		char h[2 * JOURNAL_SHA256_LEN + 1];
		if (!(l->algs & (1u << alg)))
			continue;
		if (!first)
			put(o, ",", 1);
		first = 0;
		put(o, hash_name(alg), strlen(hash_name(alg)));
		put(o, "=", 1);
		hex_lower(h, l->der_sha256[alg], JOURNAL_SHA256_LEN);
		put(o, h, 2 * JOURNAL_SHA256_LEN);
	}
	return 0;
}

static int put_fields(struct out *o, const struct journal_line *l, struct err *e)
{
	switch (l->tag) {
	case JOURNAL_HEADER:
		put_u64(o, l->format);
		return 0;
	case JOURNAL_RUN:
		put_u64(o, l->seq);
		put_u64(o, l->generation);
		return put_time(o, l->time, e);
	case JOURNAL_PREV:
		if (l->has_hash)
			put_hash(o, l->hash);
		else
			puts_(o, "none");
		return 0;
	case JOURNAL_ANCHOR_LINE:
		put_u64(o, l->seq);
		put_hash(o, l->hash);
		return 0;
	case JOURNAL_SIGNED:
		return put_signed(o, l, e);
	case JOURNAL_REMOVED:
		if (put_ca(o, l->ca, e) != 0)
			return -1;
		put_serial(o, &l->serial);
		return 0;
	case JOURNAL_CA:
		if (put_ca(o, l->ca, e) != 0)
			return -1;
		puts_(o, journal_result_name(l->result));
		put_u64(o, l->n_signed);
		put_u64(o, l->n_unchanged);
		put_u64(o, l->n_removed);
		put_u64(o, l->n_errors);
		return 0;
	case JOURNAL_END:
		if (put_time(o, l->time, e) != 0)
			return -1;
		puts_(o, journal_result_name(l->result));
		put_u64(o, l->n_signed);
		put_u64(o, l->n_removed);
		return 0;
	}
	return err_set(e, "internal: tag %d", (int)l->tag);
}

int journal_line_format(const struct journal_line *l, char *out, size_t size, size_t *len,
    struct err *e)
{
	struct out o = { out, size, 0, 0 };

	if (size == 0 || (unsigned)l->tag >= NTAGS)
		return err_set(e, "internal: journal line tag %d", (int)l->tag);
	out[0] = '\0';
	put(&o, tags[l->tag], strlen(tags[l->tag]));
	if (put_fields(&o, l, e) != 0)
		return -1;
	if (o.len > JOURNAL_LINE_MAX)
		o.over = 1;
	put(&o, "\n", 1);
	if (o.over)
		return err_set(e, "journal line longer than %d bytes", JOURNAL_LINE_MAX);
	*len = o.len;
	return 0;
}
