#include "ocsp/config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "ocsp/array.h"
#include "ocsp/certid.h"
#include "ocsp/duration.h"
#include "ini_setup.h"

enum section_kind { SEC_TOP, SEC_PUBLISHER, SEC_LOOKUPD, SEC_CA };
enum key_type { KEY_STRING, KEY_INT, KEY_DURATION, KEY_CHOICE, KEY_HASHES };

struct key_def {
	enum section_kind section;
	const char *name;
	enum key_type type;
	int64_t min, max;
	char unit;		/* default unit of a bare duration */
	const char *def;	/* default, parsed like a value; NULL: none */
	size_t offset;		/* in struct config, or struct ca_conf for SEC_CA */
	const char *help;
	const char *const *choices;	/* KEY_CHOICE: the value stored is the index */
};

static const char *const yes_no[] = { "no", "yes", NULL };
static const char *const unknown_answers[] = { "unknown", "revoked", "unauthorized", NULL };

#define TOP(f) offsetof(struct config, f)
#define CA(f) offsetof(struct ca_conf, f)
#define DAY 86400

static const struct key_def keys[] = {
	{ SEC_TOP, "tree", KEY_STRING, 0, 0, 0, NULL, TOP(tree),
	  "directory of the response tree", NULL },

	{ SEC_PUBLISHER, "threads", KEY_INT, 0, 1024, 0, "0", TOP(pub_threads),
	  "signing threads; 0 uses every core", NULL },

	{ SEC_LOOKUPD, "listen", KEY_STRING, 0, 0, 0, "127.0.0.1:8080", TOP(listen),
	  "ADDR:PORT to serve on (several separated by commas)", NULL },
	{ SEC_LOOKUPD, "path_prefix", KEY_STRING, 0, 0, 0, "", TOP(path_prefix),
	  "URL path of the responder as in the AIA extension, e.g. /ocsp", NULL },
	{ SEC_LOOKUPD, "threads", KEY_INT, 1, 16384, 0, "2048", TOP(http_threads),
	  "HTTP worker threads (one per open connection; about 20 KiB of memory each "
	  "idle, 50 KiB once used)", NULL },
	{ SEC_LOOKUPD, "max_request_bytes", KEY_INT, 256, 65536, 0, "16384",
	  TOP(max_request_bytes), "largest POST body accepted (413 above)", NULL },
	{ SEC_LOOKUPD, "max_header_bytes", KEY_INT, 1024, 65536, 0, "16384",
	  TOP(max_header_bytes), "longest request line and headers (civetweb answers 400 "
	  "above)", NULL },
	{ SEC_LOOKUPD, "max_headers", KEY_INT, 4, 63, 0, "32", TOP(max_headers),
	  "most header fields in a request (431 above)", NULL },
	{ SEC_LOOKUPD, "header_timeout", KEY_DURATION, 1, 60, 's', "3s", TOP(header_timeout),
	  "the request line and headers must arrive within this (408 or close); "
	  "also the longest wait for a client to take an answer", NULL },
	{ SEC_LOOKUPD, "body_timeout", KEY_DURATION, 1, 60, 's', "3s", TOP(body_timeout),
	  "a request body must arrive within this after its headers (408)", NULL },
	{ SEC_LOOKUPD, "keep_alive_timeout", KEY_DURATION, 0, 300, 's', "5s",
	  TOP(keep_alive_timeout), "an idle keep-alive connection is closed after this; "
	  "0 closes every connection after its answer", NULL },
	{ SEC_LOOKUPD, "keep_alive_requests", KEY_INT, 1, 1000000, 0, "100",
	  TOP(keep_alive_requests), "requests answered on one connection before it is "
	  "closed (as nginx's keepalive_requests): bounds what a client that pipelines "
	  "and never reads can have written for it", NULL },
	{ SEC_LOOKUPD, "busy_threshold", KEY_INT, 0, 100, 0, "75", TOP(busy_threshold),
	  "percent of the threads holding a connection above which answers close theirs "
	  "(Connection: close) instead of keeping it idle", NULL },
	{ SEC_LOOKUPD, "cache_entries", KEY_INT, 16, 1000000, 0, "16384",
	  TOP(cache_entries), "pre-signed responses kept mapped in memory", NULL },
	{ SEC_LOOKUPD, "max_age", KEY_DURATION, 0, 10 * DAY, 's', "1h", TOP(max_age),
	  "longest Cache-Control max-age (never past nextUpdate)", NULL },
	{ SEC_LOOKUPD, "reload_interval", KEY_DURATION, 1, 3600, 's', "1s",
	  TOP(reload_interval), "how often to look for a newly published tree", NULL },
	{ SEC_LOOKUPD, "max_certs", KEY_INT, 1, 64, 0, "16", TOP(max_certs),
	  "most certificates in one request (more: malformedRequest)", NULL },
	{ SEC_LOOKUPD, "online_cache_entries", KEY_INT, 0, 10000000, 0, "65536",
	  TOP(online_cache_entries), "online answers kept until their refresh point", NULL },

	{ SEC_CA, "issuer", KEY_STRING, 0, 0, 0, NULL, CA(issuer),
	  "PEM certificate of the issuing CA", NULL },
	{ SEC_CA, "signer", KEY_STRING, 0, 0, 0, NULL, CA(signer),
	  "PEM certificate that signs responses (the CA or a delegated responder)", NULL },
	{ SEC_CA, "key", KEY_STRING, 0, 0, 0, NULL, CA(key),
	  "PEM private key of the signer (unencrypted)", NULL },
	{ SEC_CA, "index", KEY_STRING, 0, 0, 0, NULL, CA(index),
	  "openssl ca index file with the certificates' status", NULL },
	{ SEC_CA, "validity", KEY_DURATION, 3600, 10 * DAY, 'd', "4d", CA(validity),
	  "nextUpdate - thisUpdate (bare number: days; at most 10 days)", NULL },
	{ SEC_CA, "refresh", KEY_DURATION, 0, 10 * DAY, 'd', "0", CA(refresh),
	  "re-sign responses this old; 0 means half the validity", NULL },
	{ SEC_CA, "backdate", KEY_DURATION, 0, DAY, 's', "1h", CA(backdate),
	  "thisUpdate this far before the signing time, for client clock skew", NULL },
	{ SEC_CA, "hashes", KEY_HASHES, 0, 0, 0, "sha1", CA(hashes),
	  "CertID hashes to pre-sign (sha1 always; add sha256, sha384, sha512)", NULL },
	{ SEC_CA, "unknown", KEY_CHOICE, 0, 0, 0, "unknown", CA(unknown),
	  "answer for serials never issued: unknown, revoked or unauthorized",
	  unknown_answers },
	{ SEC_CA, "sig_required", KEY_CHOICE, 0, 0, 0, "no", CA(sig_required),
	  "answer sigRequired to requests not signed by a trusted requestor", yes_no },
	{ SEC_CA, "requestors", KEY_STRING, 0, 0, 0, NULL, CA(requestors),
	  "PEM certificates (or their CAs) allowed to sign requests", NULL },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *section_label(enum section_kind k)
{
	switch (k) {
	case SEC_TOP: return "";
	case SEC_PUBLISHER: return "publisher";
	case SEC_LOOKUPD: return "lookupd";
	default: return "ca NAME";
	}
}

static int set_choice(const struct key_def *k, void *base, const char *value,
    struct err *e)
{
	char list[128] = "";
	size_t used = 0;

	for (int i = 0; k->choices[i] != NULL; i++) {
		if (strcmp(k->choices[i], value) == 0) {
			*(int64_t *)((char *)base + k->offset) = i;
			return 0;
		}
		int n = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
		    k->choices[i]);
		if (n > 0 && (size_t)n < sizeof(list) - used)
			used += (size_t)n;
	}
	return err_set(e, "%s: '%s' is not one of %s", k->name, value, list);
}

/* A list of CertID hash names separated by commas or spaces; SHA-1 is
 * always included, since every client may ask with it. */
static int set_hashes(const struct key_def *k, void *base, const char *value,
    struct err *e)
{
	unsigned mask;

	if (hash_list_parse(value, &mask) != 0)
		return err_set(e, "%s: '%s' lists an unknown hash (use sha1, sha256, "
		    "sha384, sha512)", k->name, value);
	*(int64_t *)((char *)base + k->offset) = mask | 1u << HASH_SHA1;
	return 0;
}

static int set_value(const struct key_def *k, void *base, const char *value,
    struct err *e)
{
	char *end;
	long long v;
	int64_t d;

	switch (k->type) {
	case KEY_STRING: {
		char **slot = (char **)((char *)base + k->offset);
		char *copy = strdup(value);
		if (copy == NULL)
			return err_set(e, "out of memory");
		free(*slot);
		*slot = copy;
		return 0;
	}
	case KEY_INT:
		errno = 0;
		v = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0')
			return err_set(e, "%s: '%s' is not a whole number", k->name, value);
		if (v < k->min || v > k->max)
			return err_set(e, "%s: %lld is outside %lld..%lld", k->name, v,
			    (long long)k->min, (long long)k->max);
		*(int64_t *)((char *)base + k->offset) = v;
		return 0;
	case KEY_DURATION:
		if (duration_parse(value, k->unit, &d) != 0)
			return err_set(e, "%s: '%s' is not a duration (a number with s, m, h or d)",
			    k->name, value);
		if (d < k->min || d > k->max) {
			char lo[32], hi[32];
			duration_format(lo, sizeof(lo), k->min);
			duration_format(hi, sizeof(hi), k->max);
			return err_set(e, "%s: '%s' is outside %s..%s", k->name, value, lo, hi);
		}
		*(int64_t *)((char *)base + k->offset) = d;
		return 0;
	case KEY_CHOICE:
		return set_choice(k, base, value, e);
	case KEY_HASHES:
		return set_hashes(k, base, value, e);
	}
	return err_set(e, "internal: bad key type");
}

static int apply_defaults(enum section_kind sec, void *base, struct err *e)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].section == sec && keys[i].def != NULL &&
		    set_value(&keys[i], base, keys[i].def, e) != 0)
			return -1;
	return 0;
}

int config_init(struct config *c, struct err *e)
{
	memset(c, 0, sizeof(*c));
	if (apply_defaults(SEC_PUBLISHER, c, e) != 0 || apply_defaults(SEC_LOOKUPD, c, e) != 0)
		return -1;
	return 0;
}

static void ca_conf_fini(struct ca_conf *ca)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].section == SEC_CA && keys[i].type == KEY_STRING)
			free(*(char **)((char *)ca + keys[i].offset));
}

void config_fini(struct config *c)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].section != SEC_CA && keys[i].type == KEY_STRING)
			free(*(char **)((char *)c + keys[i].offset));
	for (size_t i = 0; i < c->ncas; i++)
		ca_conf_fini(&c->cas[i]);
	free(c->cas);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

static int valid_ca_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > CONFIG_CA_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '_' ||
		    name[i] == '.'))
			return 0;
	return 1;
}

static struct ca_conf *find_or_add_ca(struct config *c, const char *name,
    unsigned line, struct err *e)
{
	struct ca_conf *v;

	for (size_t i = 0; i < c->ncas; i++)
		if (strcmp(c->cas[i].name, name) == 0)
			return &c->cas[i];
	if (!valid_ca_name(name)) {
		err_set(e, "CA name '%s' must be 1 to %d letters, digits, '-', '_' or '.'",
		    name, CONFIG_CA_NAME_MAX);
		return NULL;
	}
	if (c->ncas == CONFIG_MAX_CAS) {
		err_set(e, "more than %d CAs", CONFIG_MAX_CAS);
		return NULL;
	}
	v = array_grow(c->cas, &c->cas_cap, c->ncas + 1, sizeof(*v));
	if (v == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	c->cas = v;
	v = &c->cas[c->ncas];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->line = line;
	if (apply_defaults(SEC_CA, v, e) != 0)
		return NULL;
	c->ncas++;
	return v;
}

static int parse_section(const char *section, enum section_kind *kind,
    const char **ca_name, struct err *e)
{
	if (section[0] == '\0')
		*kind = SEC_TOP;
	else if (strcmp(section, "publisher") == 0)
		*kind = SEC_PUBLISHER;
	else if (strcmp(section, "lookupd") == 0)
		*kind = SEC_LOOKUPD;
	else if (strncmp(section, "ca ", 3) == 0) {
		*kind = SEC_CA;
		*ca_name = section + 3;
		while (**ca_name == ' ')
			(*ca_name)++;
	} else
		return err_set(e, "unknown section [%s] (expected [publisher], [lookupd] "
		    "or [ca NAME])", section);
	return 0;
}

static int set_at_line(struct config *c, const char *section, const char *key,
    const char *value, unsigned line, struct err *e)
{
	enum section_kind kind;
	const char *ca_name = NULL;
	void *base = c;

	if (parse_section(section, &kind, &ca_name, e) != 0)
		return -1;
	if (kind == SEC_CA) {
		struct ca_conf *ca = find_or_add_ca(c, ca_name, line, e);
		if (ca == NULL)
			return -1;
		base = ca;
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].section == kind && strcmp(keys[i].name, key) == 0)
			return set_value(&keys[i], base, value, e);
	if (kind == SEC_TOP)
		return err_set(e, "unknown key '%s' at the top level", key);
	return err_set(e, "unknown key '%s' in [%s]", key, section);
}

int config_set(struct config *c, const char *section, const char *key,
    const char *value, struct err *e)
{
	return set_at_line(c, section, key, value, 0, e);
}

/* inih reports only the line of the first error, and this build of it
 * does not pass line numbers to the handler, so the reader counts them. */
struct load_ctx {
	struct config *c;
	FILE *f;
	unsigned line;		/* the line being read */
	int at_line_start;	/* a long line arrives in several pieces */
	struct err *e;
	int failed;
};

static char *counting_reader(char *str, int num, void *stream)
{
	struct load_ctx *lc = stream;
	char *r = fgets(str, num, lc->f);
	size_t n;

	if (r == NULL)
		return NULL;
	if (lc->at_line_start)
		lc->line++;
	n = strlen(r);
	lc->at_line_start = n > 0 && r[n - 1] == '\n';
	return r;
}

static int on_key(void *user, const char *section, const char *name,
    const char *value)
{
	struct load_ctx *lc = user;

	if (lc->failed)
		return 0;
	if (strlen(section) > CONFIG_SECTION_MAX) {
		err_set(lc->e, "section name longer than %d characters", CONFIG_SECTION_MAX);
		lc->failed = 1;
		return 0;
	}
	if (set_at_line(lc->c, section, name, value ? value : "", lc->line, lc->e) != 0) {
		lc->failed = 1;
		return 0;
	}
	return 1;
}

int config_load(struct config *c, const char *path, struct err *e)
{
	struct load_ctx lc = { c, NULL, 0, 1, e, 0 };
	int r;

	lc.f = fopen(path, "r");
	if (lc.f == NULL)
		return err_set(e, "%s: %s", path, strerror(errno));
	config_ini_setup();
	r = ini_parse_stream(counting_reader, &lc, on_key, &lc);
	fclose(lc.f);
	if (r == 0) {
		free(c->path);
		c->path = strdup(path);
		return 0;
	}
	if (r < 0)
		return err_set(e, "%s: cannot read the file", path);
	if (!lc.failed)
		err_set(e, "syntax error (expected [section] or key = value)");
	return err_prefix(e, "%s:%u", path, lc.line);	/* inih counts a long line's pieces */
}

static int finish_ca(const struct config *c, struct ca_conf *ca,
    enum config_user who, struct err *e)
{
	static const char *required[] = { "issuer", "signer", "key", "index" };
	const char *where = c->path ? c->path : "command line";
	size_t nrequired = who == CONFIG_PUBLISHER ? 4 : 1;

	for (size_t i = 0; i < nrequired; i++) {
		for (size_t k = 0; k < NKEYS; k++) {
			if (keys[k].section != SEC_CA || strcmp(keys[k].name, required[i]) != 0)
				continue;
			if (*(char **)((char *)ca + keys[k].offset) == NULL)
				return err_set(e, "%s:%u: [ca %s] has no '%s'", where, ca->line,
				    ca->name, required[i]);
		}
	}
	if ((ca->signer == NULL) != (ca->key == NULL))
		return err_set(e, "%s:%u: [ca %s] needs both 'signer' and 'key', or neither",
		    where, ca->line, ca->name);
	if (ca->sig_required && ca->requestors == NULL)
		return err_set(e, "%s:%u: [ca %s] sig_required needs 'requestors' (the "
		    "certificates trusted to sign requests)", where, ca->line, ca->name);
	if (ca->refresh == 0)
		ca->refresh = ca->validity / 2;
	if (ca->refresh >= ca->validity)
		return err_set(e, "%s:%u: [ca %s] refresh must be shorter than validity",
		    where, ca->line, ca->name);
	if (ca->backdate * 2 > ca->validity)
		return err_set(e, "%s:%u: [ca %s] backdate must be at most half the validity",
		    where, ca->line, ca->name);
	return 0;
}

int config_finish(struct config *c, enum config_user who, struct err *e)
{
	for (size_t i = 0; i < c->ncas; i++)
		if (finish_ca(c, &c->cas[i], who, e) != 0)
			return -1;
	return 0;
}

void config_describe(void (*line)(const char *text, void *arg), void *arg)
{
	char buf[512];
	enum section_kind last = (enum section_kind)-1;

	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_def *k = &keys[i];
		if (k->section != last) {
			snprintf(buf, sizeof(buf), k->section == SEC_TOP ? "(top level)" : "[%s]",
			    section_label(k->section));
			line(buf, arg);
			last = k->section;
		}
		snprintf(buf, sizeof(buf), "  %-18s %s%s%s%s", k->name, k->help,
		    k->def ? " (default " : "", k->def ? k->def : "", k->def ? ")" : "");
		line(buf, arg);
	}
}

static void ini_setup_once(void)
{
	ini_stop_on_first_error = 1;
	ini_allow_multiline = 0;	/* an indented "key = v" is a key, not a continuation */
	ini_use_stack = 0;
	ini_allow_realloc = 1;	/* lines start at 200 bytes and grow to this: */
	ini_max_line = 8192;
}

void config_ini_setup(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, ini_setup_once);
}
