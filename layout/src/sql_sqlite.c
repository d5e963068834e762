/* SQLite for the SQL source: the database file opened read-only, one
 * connection per thread at a time, rows stepped one by one. The only file
 * that includes sqlite3.h. */
#include "sql_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "ocsp/source_sql.h"

struct sql_conn {
	sqlite3 *db;
	sqlite3_stmt *st[SQL_STMTS];
	int timeout_ms;
	int64_t deadline;	/* CLOCK_MONOTONIC ms; the running statement's */
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Interrupts a statement past its deadline: SQLite has no statement
 * timeout of its own. */
static int past_deadline(void *arg)
{
	const struct sql_conn *c = arg;

	return mono_ms() > c->deadline;
}

static int lite_describe(const char *target, char *name, size_t cap, struct err *e)
{
	int n;

	if (target[0] == '\0')
		return err_set(e, "sqlite: no database file named");
	n = snprintf(name, cap, "sql:sqlite:%s", target);
	if (n < 0 || (size_t)n >= cap)
		return err_set(e, "sqlite: the file name is too long");
	return 0;
}

static void lite_close(struct sql_conn *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < SQL_STMTS; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_close(c->db);
	free(c);
}

static int lite_prepare(struct sql_conn *c, int i, const char *q, int nparams,
    size_t ncols, struct err *e)
{
	if (sqlite3_prepare_v3(c->db, q, -1, SQLITE_PREPARE_PERSISTENT, &c->st[i], NULL) !=
	    SQLITE_OK)
		return err_set(e, "query: %s", sqlite3_errmsg(c->db));
	if (c->st[i] == NULL)
		return err_set(e, "the query is empty");
	if (sqlite3_bind_parameter_count(c->st[i]) != nparams)
		return err_set(e, "the query takes %d parameters where %d are expected",
		    sqlite3_bind_parameter_count(c->st[i]), nparams);
	if ((size_t)sqlite3_column_count(c->st[i]) != ncols)
		return err_set(e, "the query returns %d columns where %zu are expected",
		    sqlite3_column_count(c->st[i]), ncols);
	return 0;
}

static int lite_connect(const char *target, const char *password,
    const char *const query[SQL_STMTS], const int nparams[SQL_STMTS], size_t ncols,
    int timeout_ms, struct sql_conn **out, struct err *e)
{
	struct sql_conn *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return err_set(e, "out of memory");
	c->timeout_ms = timeout_ms;
	/* No URI interpretation, no creation, no shared mutex: each
	 * connection serves one thread at a time. */
	if (sqlite3_open_v2(target, &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		err_set(e, "%s", c->db ? sqlite3_errmsg(c->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(c->db, 1);
	/* A writer holding the lock is waited for, as long as a statement. */
	sqlite3_busy_timeout(c->db, timeout_ms);
	for (int i = 0; i < SQL_STMTS; i++)
		if (lite_prepare(c, i, query[i], nparams[i], ncols, e) != 0)
			goto fail;
	*out = c;
	return 0;
fail:
	lite_close(c);
	return -1;
}

static int lite_step_all(struct sql_conn *c, sqlite3_stmt *st, sql_row_fn *fn, void *arg,
    struct err *e)
{
	const char *cols[SQL_COLS];
	size_t lens[SQL_COLS];
	int n = sqlite3_column_count(st), rc;

	if (n < 0 || n > SQL_COLS)
		return err_set(e, "%d columns", n);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++) {
			/* The type first: column_text converts. */
			if (sqlite3_column_type(st, i) == SQLITE_NULL) {
				cols[i] = NULL;
				lens[i] = 0;
				continue;
			}
			cols[i] = (const char *)sqlite3_column_text(st, i);
			lens[i] = (size_t)sqlite3_column_bytes(st, i);
			if (cols[i] == NULL)
				return err_set(e, "out of memory");
		}
		if (fn(arg, cols, lens, (size_t)n, e) != 0)
			return -1;
	}
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_INTERRUPT)
		return err_set(e, "no answer within %d ms", c->timeout_ms);
	return err_set(e, "%s", sqlite3_errmsg(c->db));
}

static int lite_run(struct sql_conn *c, enum sql_stmt which, const char *const *params,
    size_t nparams, sql_row_fn *fn, void *arg, struct err *e)
{
	sqlite3_stmt *st = c->st[which];
	int ret = -1;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (size_t i = 0; i < nparams; i++) {
		if (sqlite3_bind_text(st, (int)i + 1, params[i], -1, SQLITE_TRANSIENT) !=
		    SQLITE_OK)
			return err_set(e, "%s", sqlite3_errmsg(c->db));
	}
	c->deadline = mono_ms() + c->timeout_ms;
	sqlite3_progress_handler(c->db, 1000, past_deadline, c);
	ret = lite_step_all(c, st, fn, arg, e);
	sqlite3_progress_handler(c->db, 0, NULL, NULL);
	sqlite3_reset(st);
	return ret;
}

const struct sql_engine sql_engine_sqlite = {
	lite_describe,
	lite_connect,
	lite_close,
	lite_run,
};
