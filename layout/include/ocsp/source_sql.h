/* A CA database as a status source: PostgreSQL (libpq) or SQLite.
 *
 * The source string is "sql:CONN" (source.h); CONN is
 *   postgresql://user@host:port/db?... | postgres://...   a libpq URI
 *   sqlite:/path/to.db                                     opened read-only
 *
 * What is asked comes from a preset, a table of data rather than code:
 * the query for all of one issuer's rows, the query for one serial, and
 * how each column's text becomes a status record.
 *
 * Every query returns the same seven columns, by position:
 *   1 serial      the certificate serial, in decimal
 *   2 status      the CA's own status value
 *   3 revoked_at  revocation time            (NULL when not revoked)
 *   4 reason      revocation reason          (NULL: none)
 *   5 invalidity  key compromise time        (NULL: none)
 *   6 not_after   certificate expiry         (NULL: not known)
 *   7 hold        hold instruction           (NULL: not set)
 * and takes the issuer as its one parameter ($1; the look-up query also
 * the serial in decimal as $2).
 *
 * Presets (sql_preset = ...):
 *   openxpki  table certificate, issuer_identifier = the CA row's identifier:
 *             base64url without padding of the SHA-1 of the issuer's DER
 *             certificate. status ISSUED good; REVOKED and
 *             CRL_ISSUANCE_PENDING revoked; HOLD revoked, certificateHold;
 *             UNKNOWN skipped (not taken as issued: OCSP "unknown").
 *             reason_code by name (openssl's spelling, any case);
 *             times in epoch seconds; hold_instruction_code an OID
 *             (1.2.840.10040.2.1-3) or its name (holdInstructionNone ...).
 *   ejbca     table CertificateData, issuerDN = the issuer's DN as EJBCA
 *             writes it (CertTools.stringToBCDNString, see sql_issuer_ejbca).
 *             status 20 active, 21 notified about expiration: good;
 *             40 revoked; 60 archived (expired and kept): revoked unless
 *             revocationReason is -1 (none) or 8 (removeFromCRL), as
 *             EJBCA's own OCSP answers; 0 unassigned and 10 inactive are
 *             skipped (never active: "unknown"); anything else is an
 *             error. revocationReason -1 none, else the RFC 5280 code;
 *             times in milliseconds (revocationDate -1: none).
 *   NULL      sql_query: the operator's query returning the seven columns
 *             by position, with $1 (or ? in SQLite) for the issuer, whose
 *             value is sql_issuer or else the issuer's subject as
 *             OpenSSL prints RFC 2253 names. Values: serial decimal (or
 *             hex after "0x"); status good | revoked | hold | unknown
 *             (skipped); times epoch seconds; reason an RFC 5280 code or
 *             its name; hold as for openxpki. For live look-ups the query
 *             is wrapped as SELECT * FROM (query) WHERE serial = $2, so
 *             its first column must be named serial.
 * sql_issuer overrides the issuer value of every preset.
 *
 * Good rows carry no revocation data (their revocation columns are still
 * checked). A revoked row without a revocation time, a serial that is not
 * a decimal number, an unknown status or reason, or a time that is not a
 * number stops the read with a message naming the source and the row.
 *
 * Password, first found: the file sql_password_file (one line, secret.h),
 * the environment variable sql_password_env (copied at open: the caller
 * may clear the environment afterwards), the URI's own (or libpq's
 * PGPASSWORD / .pgpass). It is kept for reconnecting, wiped at close,
 * never in a message: sql_source_name is the URI without it.
 *
 * Threads: sql_source_lookup may be called from many threads at once;
 * open, read and close from one. */
#ifndef OCSP_SOURCE_SQL_H
#define OCSP_SOURCE_SQL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ocsp/err.h"
#include "ocsp/serial.h"
#include "ocsp/source.h"
#include "ocsp/status.h"

/* Columns of every query, in this order. */
enum sql_col {
	SQL_COL_SERIAL,
	SQL_COL_STATUS,
	SQL_COL_REVOKED_AT,
	SQL_COL_REASON,
	SQL_COL_INVALIDITY,
	SQL_COL_NOT_AFTER,
	SQL_COL_HOLD,
	SQL_COLS
};

/* Longest column value taken from a row; a longer one is a malformed row. */
#define SQL_VALUE_MAX 256
/* Longest issuer value (an EJBCA DN) and connection string. */
#define SQL_ISSUER_MAX 1024
#define SQL_CONN_MAX 2048
/* Longest database password (file or environment). */
#define SQL_PASSWORD_MAX 1024
/* Longest custom query. */
#define SQL_QUERY_MAX 8192

/* Connections for live look-ups, at most, per source. */
#define SQL_MAX_CONNECTIONS 4
/* Seconds libpq may take to connect, unless the URI says connect_timeout. */
#define SQL_CONNECT_TIMEOUT 5
/* A look-up's query, and a whole read, may run this long (milliseconds);
 * SQLite waits as long for a writer's lock. */
#define SQL_LOOKUP_TIMEOUT_MS 2000
#define SQL_READ_TIMEOUT_MS (30 * 60 * 1000)
/* Live answers kept, and for how long unless sql_cache_ttl says. */
#define SQL_CACHE_ENTRIES 65536
#define SQL_CACHE_TTL_DEFAULT 5
/* After a failure the database is not asked again for 1 s, doubling up
 * to this many seconds while it stays down: look-ups answer SOURCE_DOWN
 * meanwhile, without waiting. */
#define SQL_BACKOFF_MAX 30

struct sql_preset;
struct sql_source;

/* The preset called name ("openxpki", "ejbca", or "custom" for the one
 * taking sql_query), or NULL. Static storage. */
const struct sql_preset *sql_preset_find(const char *name);
const char *sql_preset_name(const struct sql_preset *p);

/* Converts one row (cols[i] of lens[i] bytes, NULL for SQL NULL; ncols
 * must be SQL_COLS) into r, serial and status fields only (times of the
 * pre-signed response and line are left zero). Returns 0 for a record, 1
 * for a row the preset skips (not issued, e.g. OpenXPKI's UNKNOWN), -1
 * with a message naming the column for a malformed row. Pure: for the
 * fuzz target and the sources alike. */
int sql_row_parse(const struct sql_preset *p, const char *const *cols, const size_t *lens,
    size_t ncols, struct status_rec *r, struct err *e);

/* Issuer values as the presets compare them, computed from the CA's
 * certificate, NUL-terminated into out (cap bytes). Return 0 or -1. */
/* OpenXPKI's identifier: base64url, no padding, of SHA-1(DER). */
int sql_issuer_openxpki(X509 *ca, char *out, size_t cap, struct err *e);
/* EJBCA's issuerDN: the subject's attributes (single-valued RDNs, types
 * EJBCA knows) in EJBCA's default order (E, UID, CN, SN, GIVENNAME,
 * INITIALS, SURNAME, T, OU, O, L, ST, DC, C and the rarer ones), each type
 * as CeSecoreNameStyle spells it, values escaped as BouncyCastle does,
 * joined by "," without spaces: "CN=Test CA,O=Example,C=SE". Other
 * attribute types or multi-valued RDNs are refused (set sql_issuer). */
int sql_issuer_ejbca(X509 *ca, char *out, size_t cap, struct err *e);

/* Opens the source: conn is what follows "sql:" (NUL-terminated). Reads
 * the password, connects once (checking the queries: their parameter and
 * column counts), and sets up the look-up cache. -1 with a message naming
 * the source (never the password); when the connection fails and
 * source_conf's open_down is set, 0 instead with the source down (as after
 * a failed look-up: health, back-off) and e saying why. */
int sql_source_open(const struct source_conf *c, const char *conn, struct sql_source **out,
    struct err *e);
/* Closes every connection and wipes the password. NULL is a no-op. */
void sql_source_close(struct sql_source *s);

/* Every row of this issuer, streamed (PostgreSQL single-row mode, SQLite
 * stepping) and converted one at a time, appended to out (initialised by
 * the caller), then sorted (a duplicate serial is an error). -1 on any
 * error, out to be discarded. Ignores the look-up back-off. */
int sql_source_read(struct sql_source *s, struct status_list *out, struct err *e);

/* One serial, for lookupd, through the cache (answers of either kind are
 * kept sql_cache_ttl seconds, measured by now). SOURCE_FOUND (*out
 * filled), SOURCE_ABSENT (no row, or one the preset skips), or
 * SOURCE_DOWN with e saying why: the database is unreachable or failed,
 * or the row is malformed; never an answer it did not give. Thread-safe. */
enum source_find sql_source_lookup(struct sql_source *s, const struct serial *serial,
    int64_t now, struct status_rec *out, struct err *e);

/* For logging an outage once: outages counts the times the database went
 * down (a look-up failed after one had worked, or the first failed), down
 * is non-zero while it is. The source also calls its warn callback (which
 * must then be thread-safe) once when an outage starts and once when the
 * database answers again, unless source_conf's outages_told says the
 * caller logs them itself. */
struct sql_health {
	uint64_t outages;
	int down;
};
void sql_source_health(struct sql_source *s, struct sql_health *out);

/* "sql:postgresql://user@host:port/db" or "sql:sqlite:/path", without
 * password or query parameters. Valid until close. */
const char *sql_source_name(const struct sql_source *s);

#endif
