/* The two database engines behind source_sql.c: sql_pg.c (the only file
 * that includes libpq-fe.h) and sql_sqlite.c (the only one with sqlite3.h).
 * Each connection is used by one thread at a time. */
#ifndef OCSP_SQL_INT_H
#define OCSP_SQL_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ocsp/err.h"

/* The prepared statements of every connection. */
enum sql_stmt {
	SQL_STMT_ALL,		/* $1 issuer: every row */
	SQL_STMT_ONE,		/* $1 issuer, $2 serial (decimal) */
	SQL_STMTS
};

/* Called for each row: cols[i] (lens[i] bytes, not NUL-terminated in
 * general; NULL for SQL NULL). Returns 0 to go on, -1 to stop (e set). */
typedef int sql_row_fn(void *arg, const char *const *cols, const size_t *lens,
    size_t ncols, struct err *e);

struct sql_conn;

struct sql_engine {
	/* Checks target (a libpq URI, or a file path for SQLite) and writes
	 * the name it goes by in messages, without password. */
	int (*describe)(const char *target, char *name, size_t cap, struct err *e);
	/* Connects to target with password (NULL: none of ours) and
	 * prepares the statements, checking that each takes nparams[i]
	 * parameters and returns ncols columns; statements may run
	 * timeout_ms. -1 with a message that never holds the password. */
	int (*connect)(const char *target, const char *password,
	    const char *const query[SQL_STMTS], const int nparams[SQL_STMTS], size_t ncols,
	    int timeout_ms, struct sql_conn **out, struct err *e);
	void (*close)(struct sql_conn *c);
	/* Runs a statement with text parameters and calls fn for each row
	 * as it arrives, giving up after the connection's timeout. -1 on
	 * error (the database's or fn's): the connection is then to be
	 * closed. */
	int (*run)(struct sql_conn *c, enum sql_stmt st, const char *const *params,
	    size_t nparams, sql_row_fn *fn, void *arg, struct err *e);
};

extern const struct sql_engine sql_engine_pg;
extern const struct sql_engine sql_engine_sqlite;

/* A preset's queries (NULL for "custom": source_sql.c has the
 * configured one), and its issuer value computed from the CA (sql_issuer
 * unset). */
struct sql_preset;
const char *sql_preset_query(const struct sql_preset *p, int one);
int sql_preset_issuer(const struct sql_preset *p, X509 *ca, char *out, size_t cap,
    struct err *e);

/* Copies at most max bytes of untrusted text into out (cap bytes, NUL
 * added), anything but printable ASCII as '?', "..." when cut: for
 * values named in messages. */
void sql_text_safe(char *out, size_t cap, const char *p, size_t n, size_t max);

#endif
