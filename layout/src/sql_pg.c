/* PostgreSQL for the SQL source, through libpq: statements prepared once
 * per connection, results taken in single-row mode so that memory is one
 * row whatever the table holds, and every wait bounded on the client side
 * too, since a server that vanished never sends its statement timeout.
 * The only file that includes libpq-fe.h. */
#include "sql_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "ocsp/source_sql.h"

struct sql_conn {
	PGconn *pg;
	int timeout_ms;
};

static const char *const stmt_name[SQL_STMTS] = { "ocsp_all", "ocsp_one" };

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libpq's messages run over lines ("FATAL:  ...\nDETAIL: ..."): the first
 * one, on one line of ours. */
static int pg_err(struct err *e, const char *what, const char *msg)
{
	size_t n = msg ? strcspn(msg, "\n") : 0;

	if (n == 0)
		return err_set(e, "%s failed", what);
	return err_set(e, "%s: %.*s", what, (int)n, msg);
}

static int is_uri(const char *t)
{
	return strncmp(t, "postgresql://", 13) == 0 || strncmp(t, "postgres://", 11) == 0;
}

static const char *opt(const PQconninfoOption *o, const char *key)
{
	for (; o->keyword != NULL; o++)
		if (strcmp(o->keyword, key) == 0)
			return o->val && o->val[0] ? o->val : NULL;
	return NULL;
}

static int pg_describe(const char *target, char *name, size_t cap, struct err *e)
{
	PQconninfoOption *o;
	char *msg = NULL;
	const char *user, *host, *port, *db;
	int n;

	if (!is_uri(target))
		return err_set(e, "not a postgresql:// or postgres:// URI");
	/* libpq's reason may quote the URI, password and all: not passed on. */
	if ((o = PQconninfoParse(target, &msg)) == NULL) {
		PQfreemem(msg);
		return err_set(e, "not a valid libpq connection URI");
	}
	user = opt(o, "user");
	host = opt(o, "host");
	port = opt(o, "port");
	db = opt(o, "dbname");
	n = snprintf(name, cap, "sql:postgresql://%s%s%s%s%s/%s", user ? user : "",
	    user ? "@" : "", host ? host : "", port ? ":" : "", port ? port : "",
	    db ? db : "");
	PQconninfoFree(o);
	if (n < 0 || (size_t)n >= cap)
		return err_set(e, "the connection URI is too long");
	return 0;
}

static void pg_close(struct sql_conn *c)
{
	if (c == NULL)
		return;
	PQfinish(c->pg);
	free(c);
}

static int pg_prepare(PGconn *pg, int i, const char *q, int nparams, size_t ncols,
    struct err *e)
{
	PGresult *r = PQprepare(pg, stmt_name[i], q, nparams, NULL);
	int ret = -1;

	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_err(e, "query", PQresultErrorMessage(r));
		goto out;
	}
	PQclear(r);
	r = PQdescribePrepared(pg, stmt_name[i]);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		pg_err(e, "query", PQresultErrorMessage(r));
	else if (PQnparams(r) != nparams)
		err_set(e, "the query takes %d parameters where %d are expected",
		    PQnparams(r), nparams);
	else if ((size_t)PQnfields(r) != ncols)
		err_set(e, "the query returns %d columns where %zu are expected",
		    PQnfields(r), ncols);
	else
		ret = 0;
out:
	PQclear(r);
	return ret;
}

static int pg_connect(const char *target, const char *password,
    const char *const query[SQL_STMTS], const int nparams[SQL_STMTS], size_t ncols,
    int timeout_ms, struct sql_conn **out, struct err *e)
{
	char ct[16], opts[64];
	/* In order: what the URI may override, the URI, what overrides it
	 * (our password, from a file or the environment). */
	const char *kw[] = { "connect_timeout", "options", "application_name", "dbname",
	    password ? "password" : NULL, NULL };
	const char *val[] = { ct, opts, "ocsp-responder", target, password, NULL };
	struct sql_conn *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return err_set(e, "out of memory");
	c->timeout_ms = timeout_ms;
	snprintf(ct, sizeof(ct), "%d", SQL_CONNECT_TIMEOUT);
	/* The server's own bound; ours in pg_wait covers a silent server. */
	snprintf(opts, sizeof(opts), "-c statement_timeout=%d", timeout_ms);
	c->pg = PQconnectdbParams(kw, val, 1);
	if (c->pg == NULL) {
		err_set(e, "out of memory");
		goto fail;
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		pg_err(e, "connect", PQerrorMessage(c->pg));
		goto fail;
	}
	for (int i = 0; i < SQL_STMTS; i++)
		if (pg_prepare(c->pg, i, query[i], nparams[i], ncols, e) != 0)
			goto fail;
	*out = c;
	return 0;
fail:
	pg_close(c);
	return -1;
}

/* Waits until a result can be taken without blocking, or the deadline
 * passes (the query is then cancelled). */
static int pg_wait(struct sql_conn *c, int64_t deadline, struct err *e)
{
	struct pollfd pfd = { PQsocket(c->pg), POLLIN, 0 };

	while (PQisBusy(c->pg)) {
		int64_t left = deadline - mono_ms();
		int r;
		if (left <= 0) {
			char buf[256];
			PGcancel *cancel = PQgetCancel(c->pg);
			if (cancel != NULL) {
				PQcancel(cancel, buf, sizeof(buf));
				PQfreeCancel(cancel);
			}
			return err_set(e, "no answer within %d ms", c->timeout_ms);
		}
		r = poll(&pfd, 1, (int)(left > 1000 ? 1000 : left));
		if (r < 0 && errno != EINTR)
			return err_set(e, "poll: %s", strerror(errno));
		if (r > 0 && PQconsumeInput(c->pg) == 0)
			return pg_err(e, "read", PQerrorMessage(c->pg));
	}
	return 0;
}

static int pg_row(PGresult *r, sql_row_fn *fn, void *arg, struct err *e)
{
	const char *cols[SQL_COLS];
	size_t lens[SQL_COLS];
	int n = PQnfields(r);

	if (n < 0 || n > SQL_COLS)
		return err_set(e, "%d columns", n);
	for (int i = 0; i < n; i++) {
		int null = PQgetisnull(r, 0, i);
		cols[i] = null ? NULL : PQgetvalue(r, 0, i);
		lens[i] = null ? 0 : (size_t)PQgetlength(r, 0, i);
	}
	return fn(arg, cols, lens, (size_t)n, e);
}

static int pg_run(struct sql_conn *c, enum sql_stmt which, const char *const *params,
    size_t nparams, sql_row_fn *fn, void *arg, struct err *e)
{
	int64_t deadline = mono_ms() + c->timeout_ms;
	PGresult *r;
	int ret = 0;

	if (!PQsendQueryPrepared(c->pg, stmt_name[which], (int)nparams, params, NULL, NULL, 0))
		return pg_err(e, "query", PQerrorMessage(c->pg));
	if (!PQsetSingleRowMode(c->pg))
		return err_set(e, "libpq refused single-row mode");
	for (;;) {
		if (pg_wait(c, deadline, e) != 0)
			return -1;
		if ((r = PQgetResult(c->pg)) == NULL)
			break;
		switch (PQresultStatus(r)) {
		case PGRES_SINGLE_TUPLE:
			if (ret == 0 && pg_row(r, fn, arg, e) != 0)
				ret = -1;
			break;
		case PGRES_TUPLES_OK:	/* the end, with no row of its own */
			break;
		default:
			if (ret == 0)
				ret = pg_err(e, "query", PQresultErrorMessage(r));
			break;
		}
		PQclear(r);
		/* A refused row or a failed query: the caller closes the
		 * connection, which ends the query; draining could take long. */
		if (ret != 0)
			return -1;
	}
	return ret;
}

const struct sql_engine sql_engine_pg = {
	pg_describe,
	pg_connect,
	pg_close,
	pg_run,
};
