/* A CA database as a status source (source_sql.h): the connection string
 * and password, the read of all rows, and lookupd's live look-ups through
 * the one cache, a small pool of connections and a back-off that keeps a
 * database that is down from being hammered. The engines are sql_pg.c
 * and sql_sqlite.c; what is asked and how rows read is sql_preset.c. */
#include "ocsp/source_sql.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "ocsp/cache.h"
#include "ocsp/secret.h"
#include "sql_int.h"

#define SQLITE_PREFIX "sqlite:"
#define NAME_MAX_LEN (SQL_CONN_MAX + 32)

/* A live answer: found (with the record) or absent, until expires. */
struct entry {
	struct cache_node node;
	int64_t expires;
	int found;
	struct status_rec rec;
	uint8_t key[1 + SERIAL_MAX];
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sql_conn *idle[SQL_MAX_CONNECTIONS];
	size_t nidle, nopen;
	/* The database's health, under mu. */
	int down;
	int64_t retry_at, backoff;
	uint64_t outages;
};

struct sql_source {
	const struct sql_engine *eng;
	const struct sql_preset *preset;
	char *target;			/* URI (which may hold a password) or path */
	char *password;			/* ours, or NULL */
	char *query[SQL_STMTS];
	int nparams[SQL_STMTS];
	char issuer[SQL_ISSUER_MAX];
	char name[NAME_MAX_LEN];
	int64_t ttl;
	struct source_warn warn;
	int outages_told;		/* by the caller: no warnings of ours */
	struct cache *cache;
	struct pool pool;
};

static void wipe_free(char *p)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

static char *dup_bounded(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	char *p;

	if (n > max || (p = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* The password, first found: file, environment (a copy: the caller may
 * clear the variable once every source is open), else none of ours. */
static int password_load(struct sql_source *s, const struct source_conf *c, struct err *e)
{
	char *buf;
	const char *v;

	if (c->sql_password_file != NULL) {
		if ((buf = malloc(SQL_PASSWORD_MAX + 3)) == NULL)
			return err_set(e, "out of memory");
		if (secret_read("sql_password_file", c->sql_password_file, buf,
		    SQL_PASSWORD_MAX, e) < 0) {
			free(buf);
			return -1;
		}
		s->password = buf;
		return 0;
	}
	if (c->sql_password_env == NULL)
		return 0;
	if ((v = getenv(c->sql_password_env)) == NULL || v[0] == '\0')
		return err_set(e, "the environment has no %s (sql_password_env)",
		    c->sql_password_env);
	if ((s->password = dup_bounded(v, SQL_PASSWORD_MAX)) == NULL)
		return err_set(e, "%s is longer than %d bytes, or out of memory",
		    c->sql_password_env, SQL_PASSWORD_MAX);
	return 0;
}

/* The custom query for one serial: the configured one, filtered. The
 * operator's text, not a value: values stay parameters. */
static char *wrap_one(const char *q)
{
	static const char head[] = "SELECT * FROM (", tail[] = ") AS ocsp_q WHERE serial = $2";
	size_t n = strlen(q);
	char *p;

	while (n > 0 && (q[n - 1] == ';' || q[n - 1] == ' ' || q[n - 1] == '\n' ||
	    q[n - 1] == '\t' || q[n - 1] == '\r'))
		n--;
	if ((p = malloc(sizeof(head) + n + sizeof(tail))) == NULL)
		return NULL;
	memcpy(p, head, sizeof(head) - 1);
	memcpy(p + sizeof(head) - 1, q, n);
	memcpy(p + sizeof(head) - 1 + n, tail, sizeof(tail));
	return p;
}

static int queries_set(struct sql_source *s, const struct source_conf *c, struct err *e)
{
	const char *name = c->sql_preset ? c->sql_preset : "custom";

	if ((s->preset = sql_preset_find(name)) == NULL)
		return err_set(e, "sql_preset '%s' is not openxpki or ejbca", name);
	s->nparams[SQL_STMT_ALL] = 1;
	s->nparams[SQL_STMT_ONE] = 2;
	if (c->sql_preset != NULL) {
		if (c->sql_query != NULL)
			return err_set(e, "sql_query and sql_preset exclude each other");
		s->query[SQL_STMT_ALL] = strdup(sql_preset_query(s->preset, 0));
		s->query[SQL_STMT_ONE] = strdup(sql_preset_query(s->preset, 1));
	} else {
		if (c->sql_query == NULL || c->sql_query[0] == '\0')
			return err_set(e, "neither sql_preset nor sql_query is set");
		if (strnlen(c->sql_query, SQL_QUERY_MAX + 1) > SQL_QUERY_MAX)
			return err_set(e, "sql_query is longer than %d bytes", SQL_QUERY_MAX);
		s->query[SQL_STMT_ALL] = strdup(c->sql_query);
		s->query[SQL_STMT_ONE] = wrap_one(c->sql_query);
	}
	if (s->query[SQL_STMT_ALL] == NULL || s->query[SQL_STMT_ONE] == NULL)
		return err_set(e, "out of memory");
	return 0;
}

static int issuer_set(struct sql_source *s, const struct source_conf *c, struct err *e)
{
	if (c->sql_issuer != NULL) {
		size_t n = strnlen(c->sql_issuer, sizeof(s->issuer));
		if (n == 0 || n >= sizeof(s->issuer))
			return err_set(e, "sql_issuer is empty or longer than %zu bytes",
			    sizeof(s->issuer) - 1);
		memcpy(s->issuer, c->sql_issuer, n + 1);
		return 0;
	}
	if (c->issuer == NULL)
		return err_set(e, "no issuer certificate to compute the issuer value from");
	return sql_preset_issuer(s->preset, c->issuer, s->issuer, sizeof(s->issuer), e);
}

static void entry_destroy(struct cache_node *n)
{
	free((char *)n - offsetof(struct entry, node));
}

static int conn_new(struct sql_source *s, int timeout_ms, struct sql_conn **out,
    struct err *e)
{
	return s->eng->connect(s->target, s->password, (const char *const *)s->query,
	    s->nparams, SQL_COLS, timeout_ms, out, e);
}

static int target_set(struct sql_source *s, const char *conn, struct err *e)
{
	const char *t = conn;

	if (strnlen(conn, SQL_CONN_MAX + 1) > SQL_CONN_MAX)
		return err_set(e, "sql: the connection string is longer than %d bytes",
		    SQL_CONN_MAX);
	s->eng = &sql_engine_pg;
	if (strncmp(conn, SQLITE_PREFIX, strlen(SQLITE_PREFIX)) == 0) {
		s->eng = &sql_engine_sqlite;
		t = conn + strlen(SQLITE_PREFIX);
	}
	if (s->eng->describe(t, s->name, sizeof(s->name), e) != 0)
		return err_prefix(e, "sql");
	if ((s->target = strdup(t)) == NULL)
		return err_set(e, "out of memory");
	return 0;
}

static void health_failed(struct sql_source *s, int64_t now, const struct err *e);

int sql_source_open(const struct source_conf *c, const char *conn, struct sql_source **out,
    struct err *e)
{
	struct sql_source *s = calloc(1, sizeof(*s));
	struct cache_opts co = { SQL_CACHE_ENTRIES, entry_destroy };
	struct sql_conn *first = NULL;

	*out = NULL;
	if (s == NULL)
		return err_set(e, "out of memory");
	pthread_mutex_init(&s->pool.mu, NULL);
	pthread_cond_init(&s->pool.cv, NULL);
	s->warn = c->warn;
	s->outages_told = c->outages_told;
	s->ttl = c->sql_cache_ttl > 0 ? c->sql_cache_ttl : SQL_CACHE_TTL_DEFAULT;
	if (target_set(s, conn, e) != 0)
		goto fail;
	if (queries_set(s, c, e) != 0 || issuer_set(s, c, e) != 0 ||
	    password_load(s, c, e) != 0 || cache_new(&co, &s->cache, e) != 0) {
		err_prefix(e, "%s", s->name);
		goto fail;
	}
	if (conn_new(s, SQL_LOOKUP_TIMEOUT_MS, &first, e) != 0) {
		err_prefix(e, "%s", s->name);
		if (!c->open_down)
			goto fail;
		/* Down from the start: asked again after the back-off, and every
		 * new connection checks the queries as this one would have. */
		health_failed(s, (int64_t)time(NULL), e);
	} else {
		s->pool.idle[s->pool.nidle++] = first;
		s->pool.nopen = 1;
	}
	*out = s;
	return 0;
fail:
	sql_source_close(s);
	return -1;
}

void sql_source_close(struct sql_source *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->pool.nidle; i++)
		s->eng->close(s->pool.idle[i]);
	cache_free(s->cache);
	for (int i = 0; i < SQL_STMTS; i++)
		free(s->query[i]);
	wipe_free(s->password);
	wipe_free(s->target);
	pthread_cond_destroy(&s->pool.cv);
	pthread_mutex_destroy(&s->pool.mu);
	free(s);
}

const char *sql_source_name(const struct sql_source *s)
{
	return s->name;
}

/* Reading everything. */

struct read_ctx {
	const struct sql_preset *preset;
	struct status_list *out;
	uint32_t rows;
};

static int read_row(void *arg, const char *const *cols, const size_t *lens, size_t ncols,
    struct err *e)
{
	struct read_ctx *x = arg;
	struct status_rec r, *slot;
	char serial[64];
	int rc;

	if (x->rows == UINT32_MAX)
		return err_set(e, "more than %u rows", UINT32_MAX - 1);
	x->rows++;
	rc = sql_row_parse(x->preset, cols, lens, ncols, &r, e);
	if (rc < 0) {
		if (ncols > 0 && cols[0] != NULL) {
			sql_text_safe(serial, sizeof(serial), cols[0], lens[0], 50);
			return err_prefix(e, "row %u (serial %s)", x->rows, serial);
		}
		return err_prefix(e, "row %u", x->rows);
	}
	if (rc == 1)
		return 0;
	if ((slot = status_list_push(x->out)) == NULL)
		return err_set(e, "out of memory at row %u", x->rows);
	*slot = r;
	slot->line = x->rows;
	return 0;
}

int sql_source_read(struct sql_source *s, struct status_list *out, struct err *e)
{
	struct read_ctx x = { s->preset, out, 0 };
	const char *params[1] = { s->issuer };
	struct sql_conn *conn = NULL;
	int ret = -1;

	/* Its own connection: a read may take minutes, a look-up must not. */
	if (conn_new(s, SQL_READ_TIMEOUT_MS, &conn, e) != 0)
		goto out;
	if (s->eng->run(conn, SQL_STMT_ALL, params, 1, read_row, &x, e) != 0)
		goto out;
	ret = status_list_sort(out, s->name, e);
	/* status_list_sort names the source itself. */
	s->eng->close(conn);
	return ret;
out:
	s->eng->close(conn);
	return err_prefix(e, "%s", s->name);
}

/* Live look-ups. */

static size_t key_of(const struct serial *serial, uint8_t *key)
{
	key[0] = serial->len;
	memcpy(key + 1, serial->b, serial->len);
	return 1 + (size_t)serial->len;
}

/* A cached answer still fresh at now: 1 (filled), else 0. */
static int cached(struct sql_source *s, const struct serial *serial, int64_t now,
    struct status_rec *out, enum source_find *found)
{
	uint8_t key[1 + SERIAL_MAX];
	size_t n = key_of(serial, key);
	struct cache_node *node = cache_get(s->cache, key, n, cache_hash(s->cache, key, n));
	struct entry *en;
	int hit = 0;

	if (node == NULL)
		return 0;
	en = (struct entry *)((char *)node - offsetof(struct entry, node));
	if (now < en->expires) {
		*found = en->found ? SOURCE_FOUND : SOURCE_ABSENT;
		if (en->found)
			*out = en->rec;
		hit = 1;
	}
	cache_release(s->cache, node);
	return hit;
}

static void remember(struct sql_source *s, const struct serial *serial, int64_t now,
    int found, const struct status_rec *r)
{
	struct entry *en = calloc(1, sizeof(*en));
	size_t n;

	if (en == NULL)
		return;		/* not cached: asked again next time */
	n = key_of(serial, en->key);
	en->expires = now + s->ttl;
	en->found = found;
	if (found)
		en->rec = *r;
	cache_node_init(&en->node, en->key, n, cache_hash(s->cache, en->key, n));
	cache_release(s->cache, cache_insert(s->cache, &en->node, NULL, NULL));
}

static void warn(struct sql_source *s, const char *what, const char *detail)
{
	char msg[ERR_MSG_MAX + NAME_MAX_LEN + 64];

	if (s->warn.fn == NULL)
		return;
	snprintf(msg, sizeof(msg), "%s: %s%s%s", s->name, what, detail ? ": " : "",
	    detail ? detail : "");
	s->warn.fn(s->warn.arg, msg);
}

/* The database failed at now: down, the idle connections (likely dead
 * too) closed, and the next try put off. */
static void health_failed(struct sql_source *s, int64_t now, const struct err *e)
{
	struct sql_conn *stale[SQL_MAX_CONNECTIONS];
	size_t nstale;
	int started = 0;

	pthread_mutex_lock(&s->pool.mu);
	if (!s->pool.down) {
		s->pool.down = 1;
		s->pool.outages++;
		s->pool.backoff = 1;
		started = 1;
	} else if (now >= s->pool.retry_at) {
		/* A retry failed; a look-up begun before the outage is no news. */
		s->pool.backoff = s->pool.backoff * 2 > SQL_BACKOFF_MAX ? SQL_BACKOFF_MAX :
		    s->pool.backoff * 2;
	}
	s->pool.retry_at = now + s->pool.backoff;
	nstale = s->pool.nidle;
	memcpy(stale, s->pool.idle, nstale * sizeof(stale[0]));
	s->pool.nidle = 0;
	s->pool.nopen -= nstale;
	pthread_cond_broadcast(&s->pool.cv);
	pthread_mutex_unlock(&s->pool.mu);
	for (size_t i = 0; i < nstale; i++)
		s->eng->close(stale[i]);
	if (started && !s->outages_told)
		warn(s, "database down, no live answers until it is back", e->msg);
}

static void health_ok(struct sql_source *s)
{
	int back = 0;

	pthread_mutex_lock(&s->pool.mu);
	if (s->pool.down) {
		s->pool.down = 0;
		s->pool.backoff = 0;
		back = 1;
	}
	pthread_mutex_unlock(&s->pool.mu);
	if (back && !s->outages_told)
		warn(s, "database answers again", NULL);
}

void sql_source_health(struct sql_source *s, struct sql_health *out)
{
	pthread_mutex_lock(&s->pool.mu);
	out->outages = s->pool.outages;
	out->down = s->pool.down;
	pthread_mutex_unlock(&s->pool.mu);
}

/* A connection for one look-up: an idle one, a new one while fewer than
 * SQL_MAX_CONNECTIONS are open, else the next one given back (each holder
 * is bounded by the statement timeout). NULL with e set when the
 * database is in back-off or cannot be reached. */
static struct sql_conn *conn_get(struct sql_source *s, int64_t now, int *connect_failed,
    struct err *e)
{
	struct sql_conn *c = NULL;

	*connect_failed = 0;
	pthread_mutex_lock(&s->pool.mu);
	for (;;) {
		if (s->pool.down && now < s->pool.retry_at) {
			err_set(e, "database down; next attempt in %lld s",
			    (long long)(s->pool.retry_at - now));
			pthread_mutex_unlock(&s->pool.mu);
			return NULL;
		}
		if (s->pool.nidle > 0) {
			c = s->pool.idle[--s->pool.nidle];
			pthread_mutex_unlock(&s->pool.mu);
			return c;
		}
		if (s->pool.nopen < SQL_MAX_CONNECTIONS)
			break;
		pthread_cond_wait(&s->pool.cv, &s->pool.mu);
	}
	s->pool.nopen++;
	pthread_mutex_unlock(&s->pool.mu);
	if (conn_new(s, SQL_LOOKUP_TIMEOUT_MS, &c, e) == 0)
		return c;
	*connect_failed = 1;
	pthread_mutex_lock(&s->pool.mu);
	s->pool.nopen--;
	pthread_cond_signal(&s->pool.cv);
	pthread_mutex_unlock(&s->pool.mu);
	return NULL;
}

/* Gives c back, or closes it (broken: after any error). */
static void conn_put(struct sql_source *s, struct sql_conn *c, int broken)
{
	pthread_mutex_lock(&s->pool.mu);
	if (broken) {
		s->pool.nopen--;
	} else {
		s->pool.idle[s->pool.nidle++] = c;
		c = NULL;
	}
	pthread_cond_signal(&s->pool.cv);
	pthread_mutex_unlock(&s->pool.mu);
	if (c != NULL)
		s->eng->close(c);
}

struct one_ctx {
	const struct sql_preset *preset;
	struct status_rec rec;
	int rows, skipped, row_error;
};

static int one_row(void *arg, const char *const *cols, const size_t *lens, size_t ncols,
    struct err *e)
{
	struct one_ctx *x = arg;
	int rc;

	if (++x->rows > 1) {
		x->row_error = 1;
		return err_set(e, "the serial has more than one row");
	}
	rc = sql_row_parse(x->preset, cols, lens, ncols, &x->rec, e);
	if (rc < 0) {
		x->row_error = 1;
		return -1;
	}
	x->skipped = rc == 1;
	return 0;
}

enum source_find sql_source_lookup(struct sql_source *s, const struct serial *serial,
    int64_t now, struct status_rec *out, struct err *e)
{
	char dec[SERIAL_DECIMAL_MAX + 1];
	const char *params[2] = { s->issuer, dec };
	struct one_ctx x;
	struct sql_conn *c;
	enum source_find found;
	int connect_failed;

	memset(&x, 0, sizeof(x));
	x.preset = s->preset;
	if (cached(s, serial, now, out, &found))
		return found;
	if ((c = conn_get(s, now, &connect_failed, e)) == NULL) {
		if (connect_failed)
			health_failed(s, now, e);
		err_prefix(e, "%s", s->name);
		return SOURCE_DOWN;
	}
	serial_to_decimal(serial, dec);
	if (s->eng->run(c, SQL_STMT_ONE, params, 2, one_row, &x, e) != 0) {
		conn_put(s, c, 1);
		/* A malformed row is the data's fault, not an outage; either
		 * way there is no answer to give. */
		if (x.row_error)
			err_prefix(e, "serial %s", dec);
		else
			health_failed(s, now, e);
		err_prefix(e, "%s", s->name);
		return SOURCE_DOWN;
	}
	conn_put(s, c, 0);
	health_ok(s);
	found = x.rows == 1 && !x.skipped ? SOURCE_FOUND : SOURCE_ABSENT;
	if (found == SOURCE_FOUND)
		*out = x.rec;
	remember(s, serial, now, found == SOURCE_FOUND, &x.rec);
	return found;
}
