#include "ocsp/tree.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "ocsp/certid.h"
#include "ocsp/err.h"
#include "ocsp/fsutil.h"
#include "ocsp/hex.h"
#include "ocsp/timefmt.h"

#include "ini_setup.h"

/* A small appender over a fixed buffer; overflow is sticky. */
struct text {
	char *buf;
	size_t cap, len;
	int overflow;
};

static void text_add(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len) {
		t->overflow = 1;
		return;
	}
	t->len += (size_t)n;
}

static void add_time(struct text *t, const char *key, int64_t v)
{
	char iso[TIMEFMT_ISO_LEN + 1];

	if (timefmt_iso(iso, sizeof(iso), v) != 0)
		t->overflow = 1;
	else
		text_add(t, "%s = %s\n", key, iso);
}

/* Values are written bare; refuse what an INI reader would not give back
 * (a comment character, a line break, surrounding blanks). */
static int value_ok(const char *v)
{
	size_t n = strlen(v);

	if (n > 0 && (v[0] == ' ' || v[n - 1] == ' '))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] == ';' || v[i] == '#' || (unsigned char)v[i] < 0x20)
			return 0;
	return 1;
}

static void add_shard(struct text *t, const struct shard *s)
{
	char v[SHARD_TEXT_MAX + 1];

	if (s->n == 0)
		return;
	shard_format(s, v);
	text_add(t, "shard = %s\n", v);
}

int issuer_meta_format(const struct issuer_meta *m, char *buf, size_t cap,
    size_t *len, struct err *e)
{
	struct text t = { buf, cap, 0, 0 };
	char a[2 * HASH_MAX_LEN + 1], b[2 * HASH_MAX_LEN + 1];

	if (!value_ok(m->name) || !value_ok(m->subject) || !value_ok(m->signer_subject) ||
	    !value_ok(m->signer_name))
		return err_set(e, "issuer metadata value with ';', '#', a control character "
		    "or surrounding blanks");
	text_add(&t, "# Written by ocsp-publisher; format in layout/TREE.md. Do not edit.\n");
	text_add(&t, "[issuer]\nformat = %d\nname = %s\nsubject = %s\n", TREE_FORMAT,
	    m->name, m->subject);
	for (int alg = 0; alg < HASH_COUNT; alg++) {
		if (!(m->have_hash & (1u << alg)))
			continue;
		hex_lower(a, m->hash[alg].name, hash_len(alg));
		hex_lower(b, m->hash[alg].key, hash_len(alg));
		text_add(&t, "%s = %s %s\n", hash_name(alg), a, b);
	}
	text_add(&t, "\n[responses]\nhashes =");
	for (int alg = 0; alg < HASH_COUNT; alg++)
		if (m->presigned & (1u << alg))
			text_add(&t, " %s", hash_name(alg));
	if (m->get_keys != 0) {
		text_add(&t, "\nget_keys =");
		for (int alg = 0; alg < HASH_COUNT; alg++)
			if (m->get_keys & (1u << alg))
				text_add(&t, " %s", hash_name(alg));
	}
	text_add(&t, "\nsigner = %s\nsigner_subject = %s\n", m->signer_fpr, m->signer_subject);
	if (m->signer_name[0] != '\0')
		text_add(&t, "signer_name = %s\n", m->signer_name);
	if (m->signer_expires != 0)
		add_time(&t, "signer_expires", m->signer_expires);
	if (m->signer_since != 0)
		add_time(&t, "signer_since", m->signer_since);
	if (m->previous_signer_until != 0)
		add_time(&t, "previous_signer_until", m->previous_signer_until);
	if (m->previous_signer_expires != 0)
		add_time(&t, "previous_signer_expires", m->previous_signer_expires);
	text_add(&t, "validity = %" PRId64 "\nrefresh = %" PRId64 "\nbackdate = %" PRId64 "\n",
	    m->validity, m->refresh, m->backdate);
	text_add(&t, "generation = %" PRIu64 "\n", m->generation);
	add_time(&t, "published", m->published);
	text_add(&t, "count = %" PRIu64 "\n", m->count);
	add_shard(&t, &m->shard);
	if (t.overflow)
		return err_set(e, "issuer metadata does not fit in %zu bytes", cap);
	*len = t.len;
	return 0;
}

static int parse_u64(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (v[0] < '0' || v[0] > '9')
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = x;
	return 0;
}

static int parse_i64(const char *v, int64_t *out)
{
	uint64_t x;

	if (parse_u64(v, &x) != 0 || x > INT64_MAX)
		return -1;
	*out = (int64_t)x;
	return 0;
}

/* Hashes a newer publisher knows are not for us: ignored. */
static int parse_hashes(const char *v, unsigned *out)
{
	return hash_list_parse(v, out) < 0 ? -1 : 0;
}

static int parse_hash_pair(const char *v, enum hash_alg alg, struct issuer_hash *h)
{
	size_t hl = hash_len(alg);
	char a[2 * HASH_MAX_LEN + 1];

	if (strlen(v) != 4 * hl + 1 || v[2 * hl] != ' ')
		return -1;
	memcpy(a, v, 2 * hl);
	a[2 * hl] = '\0';
	return hex_decode(h->name, hl, a) == 0 && hex_decode(h->key, hl, v + 2 * hl + 1) == 0 ? 0 : -1;
}

static int copy_str(char *dst, size_t size, const char *v)
{
	if (strlen(v) >= size)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int meta_key(struct issuer_meta *m, const char *sec, const char *k, const char *v)
{
	int alg;

	if (strcmp(sec, "issuer") == 0) {
		if (strcmp(k, "format") == 0) {
			uint64_t f;
			if (parse_u64(v, &f) != 0 || f != TREE_FORMAT)
				return -1;
			m->format = (int)f;
			return 0;
		}
		if (strcmp(k, "name") == 0)
			return copy_str(m->name, sizeof(m->name), v);
		if (strcmp(k, "subject") == 0)
			return copy_str(m->subject, sizeof(m->subject), v);
		alg = hash_from_name(k);
		if (alg < 0)
			return 0;	/* a key a newer publisher added */
		if (parse_hash_pair(v, alg, &m->hash[alg]) != 0)
			return -1;
		m->have_hash |= 1u << alg;
		return 0;
	}
	if (strcmp(sec, "responses") != 0)
		return 0;	/* a section a newer publisher added */
	if (strcmp(k, "hashes") == 0)
		return parse_hashes(v, &m->presigned);
	if (strcmp(k, "get_keys") == 0)
		return parse_hashes(v, &m->get_keys);
	if (strcmp(k, "signer") == 0)
		return copy_str(m->signer_fpr, sizeof(m->signer_fpr), v);
	if (strcmp(k, "signer_subject") == 0)
		return copy_str(m->signer_subject, sizeof(m->signer_subject), v);
	if (strcmp(k, "signer_name") == 0)
		return copy_str(m->signer_name, sizeof(m->signer_name), v);
	if (strcmp(k, "signer_expires") == 0)
		return timefmt_parse_iso(v, &m->signer_expires);
	if (strcmp(k, "signer_since") == 0)
		return timefmt_parse_iso(v, &m->signer_since);
	if (strcmp(k, "previous_signer_until") == 0)
		return timefmt_parse_iso(v, &m->previous_signer_until);
	if (strcmp(k, "previous_signer_expires") == 0)
		return timefmt_parse_iso(v, &m->previous_signer_expires);
	if (strcmp(k, "validity") == 0)
		return parse_i64(v, &m->validity);
	if (strcmp(k, "refresh") == 0)
		return parse_i64(v, &m->refresh);
	if (strcmp(k, "backdate") == 0)
		return parse_i64(v, &m->backdate);
	if (strcmp(k, "generation") == 0)
		return parse_u64(v, &m->generation);
	if (strcmp(k, "published") == 0)
		return timefmt_parse_iso(v, &m->published);
	if (strcmp(k, "count") == 0)
		return parse_u64(v, &m->count);
	if (strcmp(k, "shard") == 0)
		return shard_parse(v, &m->shard, NULL);
	/* Newer publishers may add keys; readers of format 1 skip them. */
	return 0;
}

static int on_meta(void *user, const char *sec, const char *k, const char *v)
{
	return meta_key(user, sec, k, v ? v : "") == 0;
}

int issuer_meta_parse(const char *text, struct issuer_meta *m, struct err *e)
{
	int r;

	memset(m, 0, sizeof(*m));
	config_ini_setup();
	r = ini_parse_string(text, on_meta, m);
	if (r != 0)
		return err_set(e, "line %d: bad issuer metadata", r);
	if (m->format != TREE_FORMAT || !(m->have_hash & (1u << HASH_SHA1)))
		return err_set(e, "issuer metadata lacks format %d or its sha1 hashes", TREE_FORMAT);
	return 0;
}

int issuer_meta_read(const char *path, struct issuer_meta *m, struct err *e)
{
	uint8_t *text = NULL;
	size_t len = 0;
	int r;

	if (fs_read_file(path, TREE_META_MAX, &text, &len, e) != 0)
		return -1;
	if (memchr(text, '\0', len) != NULL)
		r = err_set(e, "binary data");
	else
		r = issuer_meta_parse((const char *)text, m, e);
	free(text);
	return r == 0 ? 0 : err_prefix(e, "%s", path);
}

int tree_marker_format(const struct tree_marker *m, char *buf, size_t cap,
    size_t *len, struct err *e)
{
	struct text t = { buf, cap, 0, 0 };

	text_add(&t, "# Written last by each ocsp-publisher run; see layout/TREE.md.\n");
	text_add(&t, "[tree]\nformat = %d\ngeneration = %" PRIu64 "\n", TREE_FORMAT,
	    m->generation);
	add_time(&t, "published", m->published);
	text_add(&t, "issuers = %" PRIu64 "\n", m->issuers);
	add_shard(&t, &m->shard);
	if (t.overflow)
		return err_set(e, "tree marker does not fit");
	*len = t.len;
	return 0;
}

static int on_marker(void *user, const char *sec, const char *k, const char *v)
{
	struct tree_marker *m = user;
	uint64_t x;

	if (v == NULL)
		return 0;
	if (strcmp(sec, "tree") != 0)
		return 1;	/* a section a newer publisher added */
	if (strcmp(k, "format") == 0)
		return parse_u64(v, &x) == 0 && x == TREE_FORMAT && (m->format = (int)x);
	if (strcmp(k, "generation") == 0)
		return parse_u64(v, &m->generation) == 0;
	if (strcmp(k, "published") == 0)
		return timefmt_parse_iso(v, &m->published) == 0;
	if (strcmp(k, "issuers") == 0)
		return parse_u64(v, &m->issuers) == 0;
	if (strcmp(k, "shard") == 0)
		return shard_parse(v, &m->shard, NULL) == 0;
	return 1;
}

int tree_marker_parse(const char *text, struct tree_marker *m, struct err *e)
{
	int r;

	memset(m, 0, sizeof(*m));
	config_ini_setup();
	r = ini_parse_string(text, on_marker, m);
	if (r != 0 || m->format != TREE_FORMAT)
		return err_set(e, "bad tree marker (line %d)", r);
	return 0;
}

int tree_marker_read(const char *tree, struct tree_marker *m, struct err *e)
{
	char path[TREE_PATH_MAX];
	uint8_t *text = NULL;
	size_t len = 0;
	int r;

	if (tree_path(path, sizeof(path), tree, NULL, -1, TREE_MARKER) < 0)
		return err_set(e, "tree path too long");
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 1;
	if (fs_read_file(path, TREE_META_MAX, &text, &len, e) != 0)
		return -1;
	r = memchr(text, '\0', len) ? err_set(e, "binary data") : tree_marker_parse((char *)text, m, e);
	free(text);
	return r == 0 ? 0 : err_prefix(e, "%s", path);
}
