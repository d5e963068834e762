/* The status-source seam: a source string chooses an implementation, and
 * each kind is a small table of what it can do. The index file is read
 * here; CRLs and databases have files of their own. */
#include "ocsp/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ocsp/config.h"
#include "ocsp/fsutil.h"
#include "ocsp/source_index.h"
#include "ocsp/source_sql.h"
#include "source_int.h"

static const struct {
	const char *prefix;
	enum source_kind kind;
} kinds[] = {
	{ "index:", SOURCE_INDEX },
	{ "crl:", SOURCE_CRL },
	{ "sql:", SOURCE_SQL },
};

int source_spec_parse(const char *s, struct source_spec *out, struct err *e)
{
	size_t n = strnlen(s, SOURCE_SPEC_MAX + 1);

	if (n > SOURCE_SPEC_MAX)
		return err_set(e, "longer than %d characters", SOURCE_SPEC_MAX);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t p = strlen(kinds[i].prefix);
		if (strncmp(s, kinds[i].prefix, p) != 0)
			continue;
		if (n == p)
			return err_set(e, "'%s' names no %s", s, i == 0 ? "file" :
			    i == 1 ? "file or URL" : "database");
		out->kind = kinds[i].kind;
		out->where = s + p;
		out->where_len = n - p;
		return 0;
	}
	return err_set(e, "'%.64s' is not index:FILE, crl:FILE|URL or sql:CONNECTION", s);
}

void source_conf_of_ca(struct source_conf *c, const struct ca_conf *ca,
    const char *cache_dir, X509 *issuer, const struct source_warn *warn)
{
	memset(c, 0, sizeof(*c));
	c->source = ca->source;
	c->issuer = issuer;
	c->issued = ca->issued;
	c->unlisted_good = ca->unlisted == 1;
	c->crl_grace = ca->crl_grace;
	c->crl_signer = ca->crl_signer;
	c->crl_delta = ca->crl_delta;
	c->cache_dir = cache_dir;
	c->fetch_timeout = ca->fetch_timeout;
	c->fetch_connect_timeout = ca->fetch_connect_timeout;
	c->fetch_max_bytes = ca->fetch_max_bytes;
	c->sql_preset = ca->sql_preset;
	c->sql_query = ca->sql_query;
	c->sql_issuer = ca->sql_issuer;
	c->sql_password_file = ca->sql_password_file;
	c->sql_password_env = ca->sql_password_env;
	c->sql_cache_ttl = ca->sql_cache_ttl;
	if (warn != NULL)
		c->warn = *warn;
}

void source_env_wipe(const struct config *c)
{
	for (size_t i = 0; i < c->ncas; i++) {
		const char *name = c->cas[i].sql_password_env;
		char *v = name ? getenv(name) : NULL;
		if (v != NULL) {
			OPENSSL_cleanse(v, strlen(v));
			unsetenv(name);
		}
	}
}

/* The index of openssl ca: read whole at every run; lookupd reads it
 * through the status view (status_view.h), not live, again whenever the
 * file is replaced or changed. */
struct index_source {
	char *path;
	struct file_sig sig;
};

static int index_refresh(void *impl, int64_t now, struct err *e)
{
	struct index_source *is = impl;
	struct file_sig sig;

	file_sig_get(is->path, 1, &sig);
	if (file_sig_eq(&sig, &is->sig))
		return 0;
	is->sig = sig;
	return 1;
}

static int index_read(void *impl, int64_t now, struct status_list *out, struct err *e)
{
	struct index_source *is = impl;

	return source_index_read(is->path, out, e);
}

static void index_close(void *impl)
{
	struct index_source *is = impl;

	if (is == NULL)
		return;
	free(is->path);
	free(is);
}

static const struct source_ops index_ops = {
	.read = index_read,
	.refresh = index_refresh,
	.close = index_close,
};

static int index_open(const struct source_conf *c, const struct source_spec *spec,
    struct source *s, struct err *e)
{
	struct index_source *is = calloc(1, sizeof(*is));

	if (is == NULL || (is->path = strndup(spec->where, spec->where_len)) == NULL) {
		free(is);
		return err_set(e, "out of memory");
	}
	/* No file has this identity: the first refresh says "changed". */
	is->sig.exists = -1;
	s->ops = &index_ops;
	s->impl = is;
	return 0;
}

static int open_kind(const struct source_conf *c, const struct source_spec *spec,
    struct source *s, struct err *e)
{
	switch (spec->kind) {
	case SOURCE_INDEX:
		return index_open(c, spec, s, e);
	case SOURCE_CRL:
		return source_crl_open(c, spec, s, e);
	case SOURCE_SQL:
		return source_sql_open(c, spec, s, e);
	}
	return err_set(e, "internal: unknown source kind");
}

int source_open(const struct source_conf *c, struct source **out, struct err *e)
{
	struct source_spec spec;
	struct source *s;

	*out = NULL;
	if (c->source == NULL)
		return err_set(e, "no source");
	if (source_spec_parse(c->source, &spec, e) != 0)
		return err_prefix(e, "source");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_set(e, "out of memory");
	s->kind = spec.kind;
	s->valid_until = INT64_MAX;
	if (open_kind(c, &spec, s, e) != 0) {
		free(s->name);
		free(s);
		return -1;
	}
	if (s->name == NULL && (s->name = strdup(c->source)) == NULL) {
		source_close(s);
		return err_set(e, "out of memory");
	}
	*out = s;
	return 0;
}

void source_close(struct source *s)
{
	if (s == NULL)
		return;
	if (s->ops != NULL && s->ops->close != NULL)
		s->ops->close(s->impl);
	free(s->name);
	free(s);
}

/* Names the source in e, unless its module did. Returns -1. */
static int name_error(const struct source *s, struct err *e)
{
	if (s->ops->self_named)
		return -1;
	return err_prefix(e, "%s", s->name);
}

int source_read(struct source *s, int64_t now, struct status_list *out, struct err *e)
{
	if (s->ops->read(s->impl, now, out, e) != 0)
		return name_error(s, e);
	if (s->ops->valid_until != NULL)
		s->valid_until = s->ops->valid_until(s->impl);
	return 0;
}

enum source_find source_lookup(struct source *s, const struct serial *serial,
    int64_t now, struct status_rec *out, struct err *e)
{
	enum source_find r;

	if (s->ops->lookup == NULL)
		return SOURCE_NOT_LIVE;
	r = s->ops->lookup(s->impl, serial, now, out, e);
	if (r == SOURCE_DOWN)
		name_error(s, e);
	return r;
}

int source_refresh(struct source *s, int64_t now, struct err *e)
{
	int r;

	if (s->ops->refresh == NULL)
		return 0;
	if ((r = s->ops->refresh(s->impl, now, e)) < 0)
		return name_error(s, e);
	if (r > 0 && s->ops->valid_until != NULL)
		s->valid_until = s->ops->valid_until(s->impl);
	return r;
}

int64_t source_valid_until(const struct source *s)
{
	return s->valid_until;
}

const char *source_name(const struct source *s)
{
	return s->name;
}

enum source_kind source_kind_of(const struct source *s)
{
	return s->kind;
}

int source_is_live(const struct source *s, int64_t *ttl)
{
	*ttl = s->live_ttl;
	return s->ops->lookup != NULL;
}

/* A CA database (source_sql.c): asked live, through its cache. */
static int sql_read(void *impl, int64_t now, struct status_list *out, struct err *e)
{
	return sql_source_read(impl, out, e);
}

static enum source_find sql_lookup(void *impl, const struct serial *serial, int64_t now,
    struct status_rec *out, struct err *e)
{
	return sql_source_lookup(impl, serial, now, out, e);
}

static void sql_close(void *impl)
{
	sql_source_close(impl);
}

static const struct source_ops sql_ops = {
	.read = sql_read,
	.lookup = sql_lookup,
	.close = sql_close,
	.self_named = 1,
};

int source_sql_open(const struct source_conf *c, const struct source_spec *spec,
    struct source *s, struct err *e)
{
	struct sql_source *sq;

	/* spec->where is the rest of c->source: NUL-terminated. */
	if (sql_source_open(c, spec->where, &sq, e) != 0)
		return -1;
	/* Already "sql:...", without the password the source string may hold. */
	if ((s->name = strdup(sql_source_name(sq))) == NULL) {
		sql_source_close(sq);
		return err_set(e, "out of memory");
	}
	s->ops = &sql_ops;
	s->impl = sq;
	s->live_ttl = c->sql_cache_ttl;
	return 0;
}
