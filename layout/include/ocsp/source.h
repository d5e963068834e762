/* Status sources: where one CA's certificate status comes from.
 *
 * A [ca] names its source as a string, the same after "source =" in the
 * config and on the command line:
 *   index:/path        the index file of `openssl ca` (source_index.h)
 *   crl:/path | crl:http(s)://...   a CRL, DER or PEM (crl.h, fetch.h),
 *                      with an issued-serial list (issued.h) for "good"
 *   sql:CONN           a CA database (source_sql.h): CONN is a libpq URI
 *                      (postgresql://user@host:port/db) or sqlite:/path
 * The old "index = FILE" key is "source = index:FILE".
 *
 * Every source gives the same records (status.h), so the publisher, the
 * status index and lookupd's online answers say the same whatever the
 * source. The publisher reads all of them (source_read); lookupd asks for
 * one serial (source_lookup) when a source can be asked live. Sources
 * never print: warnings go through the callback, errors into struct err,
 * naming the source (and line or row) but never a password. */
#ifndef OCSP_SOURCE_H
#define OCSP_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ocsp/err.h"
#include "ocsp/serial.h"
#include "ocsp/status.h"

/* Longest source string ("crl:https://..."); longer ones are refused. */
#define SOURCE_SPEC_MAX 4096

enum source_kind {
	SOURCE_INDEX = 0,
	SOURCE_CRL = 1,
	SOURCE_SQL = 2,
};

/* A source string split into its kind and the rest (pointing into the
 * string given). */
struct source_spec {
	enum source_kind kind;
	const char *where;	/* path, URL or connection string */
	size_t where_len;
};

/* Splits s ("index:/p", "crl:...", "sql:..."). -1 with a message for an
 * empty or unknown kind, an empty location, or one too long. */
int source_spec_parse(const char *s, struct source_spec *out, struct err *e);

/* A source's own warnings (an expiring CRL, unlisted = good, a database
 * that came back). */
struct source_warn {
	void (*fn)(void *arg, const char *msg);
	void *arg;
};

/* What opening a source may need besides its string; the CA section's
 * keys. Strings may be NULL (not configured). */
struct source_conf {
	const char *source;		/* the source string */
	X509 *issuer;			/* the CA: verifies CRLs, names it in SQL */
	/* CRL sources */
	const char *issued;		/* "dir:/path" or "file:/path": serials issued */
	int unlisted_good;		/* no list: unlisted serials are good (online) */
	int64_t crl_grace;		/* seconds a CRL may be used past nextUpdate */
	const char *crl_signer;		/* PEM certificate of an indirect CRL signer */
	const char *crl_delta;		/* a delta CRL's file or URL, applied on top */
	const char *cache_dir;		/* where fetched CRLs and validators are kept */
	int64_t fetch_timeout;		/* seconds for a whole fetch */
	int64_t fetch_connect_timeout;
	int64_t fetch_max_bytes;
	/* SQL sources */
	const char *sql_preset;		/* "openxpki", "ejbca" or NULL: sql_query */
	const char *sql_query;		/* a query returning the status columns */
	const char *sql_issuer;		/* the issuer column's value; NULL: from issuer */
	const char *sql_password_file;	/* else the URI's, or sql_password_env */
	const char *sql_password_env;
	int64_t sql_cache_ttl;		/* seconds a live answer is kept (lookupd) */
	struct source_warn warn;
	/* The caller tells of a live source's outages itself (lookupd's
	 * status view): warn is not called when it goes down or comes back. */
	int outages_told;
	/* SQL: open even when the database cannot be reached now (lookupd,
	 * which answers from the tree meanwhile): down until it answers. */
	int open_down;
};

struct source;
struct ca_conf;
struct config;

/* Fills c from a CA's section (its source keys) and the top level's
 * cache_dir; issuer and warn are the caller's. Strings point into ca. */
void source_conf_of_ca(struct source_conf *c, const struct ca_conf *ca,
    const char *cache_dir, X509 *issuer, const struct source_warn *warn);

/* Wipes and unsets the environment variables named by sql_password_env,
 * once every CA's source is open (two may share one; each source keeps
 * its own copy, for reconnecting). */
void source_env_wipe(const struct config *c);

/* Opens the source (connects, or reads nothing yet; a CRL is fetched on
 * the first read). -1 with a message naming the source. */
int source_open(const struct source_conf *c, struct source **out, struct err *e);
void source_close(struct source *s);

/* Every record, sorted by serial, without duplicates, into out (which the
 * caller initialised). Rows are taken one at a time: memory is that of
 * the records, never of the whole result or file. -1 on any error
 * (unreachable, corrupt, wrongly signed, expired, a malformed row or
 * line: named), and then out must be discarded. */
int source_read(struct source *s, int64_t now, struct status_list *out, struct err *e);

enum source_find {
	SOURCE_FOUND,		/* *out filled */
	SOURCE_ABSENT,		/* the source does not know the serial */
	SOURCE_UNLISTED_GOOD,	/* not listed, and unlisted = good: answer good */
	SOURCE_NOT_LIVE,	/* this source is not asked live: use the tree */
	SOURCE_DOWN,		/* could not be asked now (e says why) */
};

/* One serial, for lookupd, from the source itself (an SQL source: through
 * a cache of sql_cache_ttl seconds; a CRL: from the last loaded CRL).
 * Thread-safe. */
enum source_find source_lookup(struct source *s, const struct serial *serial,
    int64_t now, struct status_rec *out, struct err *e);

/* For lookupd: reloads what changed (a CRL whose nextUpdate is near or
 * that was replaced, an issued list that changed). Returns 1 when new data
 * is in service, 0 when nothing changed, -1 (old data kept) on error. */
int source_refresh(struct source *s, int64_t now, struct err *e);

/* The latest nextUpdate a response built from the last read may carry
 * (a CRL's nextUpdate); INT64_MAX when the source sets no bound. */
int64_t source_valid_until(const struct source *s);

/* For messages: "index:/path", "crl:URL", "sql:postgresql://u@h/db",
 * never with a password. */
const char *source_name(const struct source *s);

enum source_kind source_kind_of(const struct source *s);

/* Whether source_lookup asks the source itself (a database, a CRL kept in
 * memory); *ttl gets how long an answer may be reused (0: until
 * source_refresh says there is new data). */
int source_is_live(const struct source *s, int64_t *ttl);

#endif
