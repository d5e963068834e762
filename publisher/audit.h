/* ocsp-audit internals: every published response checked against its
 * signer, its freshness and its status source.
 *
 *   audit_main.c   flags, configuration, which mode, exit status
 *   audit_check.c  one response: strict parse, CertID, signer, times, status
 *   audit_tree.c   a local tree: every certificate's files, and stray files
 *   audit_url.c    a responder URL: GET (twice) and POST per serial, headers;
 *                  the HTTP fetch the store mode uses too (the one curl.h)
 *   audit_store.c  the S3 bucket or WebDAV origin the publisher uploads to
 *   audit_http.c   header values (Cache-Control) of untrusted answers
 *   audit_report.c findings: lines or JSON, counts per kind, the exit status
 *   audit_pool.c   the threads that run jobs of any of the modes
 *
 * Nothing here prints except audit_report.c (the report) and main. */
#ifndef AUDIT_H
#define AUDIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ocsp/ca.h"
#include "ocsp/certid.h"
#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/serial.h"
#include "ocsp/status.h"

/* Exit status (documented in --help and the README). With findings of
 * several kinds, the highest applies: a worse defect is never hidden by a
 * milder one. */
enum audit_exit {
	AUDIT_EXIT_CLEAN = 0,
	AUDIT_EXIT_USAGE = 1,		/* usage or configuration error; nothing checked */
	AUDIT_EXIT_INCOMPLETE = 2,	/* something could not be checked (a source,
					 * a CA, a fetch failed) */
	AUDIT_EXIT_POLICY = 3,		/* too old, validity out of bounds, HTTP headers */
	AUDIT_EXIT_COVERAGE = 4,	/* a certificate without a response, a stray file */
	AUDIT_EXIT_STALE = 5,		/* expired, or not yet valid */
	AUDIT_EXIT_WRONG = 6,		/* says other than the source; good for a
					 * never-issued serial */
	AUDIT_EXIT_INVALID = 7,		/* malformed, CertID mismatch, bad or
					 * unauthorised signature */
};

/* Kinds of finding, each with its name (in lines and JSON) and exit class. */
enum audit_kind {
	AUDIT_MALFORMED = 0,	/* not strict DER, trailing bytes, not one SingleResponse */
	AUDIT_CERTID,		/* answers another certificate, issuer or hash */
	AUDIT_SIGNATURE,	/* does not verify, or signer not authorised / not valid */
	AUDIT_STATUS,		/* status, revocation time or reason not the source's */
	AUDIT_NEVER_ISSUED,	/* good for a serial the CA never issued */
	AUDIT_EXPIRED,		/* nextUpdate past */
	AUDIT_NOT_YET_VALID,	/* thisUpdate or producedAt in the future beyond the skew */
	AUDIT_MISSING,		/* a certificate of the source without a response */
	AUDIT_STRAY,		/* a response without a certificate in the source */
	AUDIT_AGE,		/* older than refresh + slack */
	AUDIT_VALIDITY,		/* nextUpdate - thisUpdate out of bounds, or no nextUpdate */
	AUDIT_HTTP,		/* HTTP status or headers inconsistent with the response */
	AUDIT_UNCHECKED,	/* could not be checked: unreadable, unreachable */
	AUDIT_KIND_COUNT
};

const char *audit_kind_name(enum audit_kind k);
enum audit_exit audit_kind_exit(enum audit_kind k);

/* ---- policy ---- */

/* CA/Browser Forum BR 4.9.10: a response is valid for at most 10 days, and
 * (for a responder that must follow the BRs) for at least 8 hours. */
#define AUDIT_VALIDITY_MAX (10 * 86400)
#define AUDIT_VALIDITY_MIN_BR (8 * 3600)

struct audit_policy {
	int64_t now;
	int64_t skew;		/* thisUpdate/producedAt may be this far ahead */
	int64_t slack;		/* age beyond refresh allowed (the publisher's schedule) */
	int br;			/* also enforce the BRs' 8-hour minimum */
};

/* ---- one CA ---- */

/* A signer certificate once judged for a CA, so that a million responses
 * by one responder cost one chain check, not a million. */
#define AUDIT_SIGNER_MEMO 16
struct audit_signer_memo {
	uint8_t fpr[32];	/* SHA-256 of the certificate */
	int ok;
	char why[ERR_MSG_MAX];
};

struct audit_ca {
	const struct ca_conf *conf;
	const char *name;
	struct ca *ca;			/* issuer certificate, hashes, tree directory */
	EVP_PKEY *key;			/* the issuer's public key (borrowed from ca) */
	uint8_t key_sha1[20];		/* byKey of the CA signing for itself */
	struct status_list recs;	/* the source, sorted by serial */
	int64_t refresh;		/* of the tree's issuer.meta, else the config's */
	unsigned algs;			/* CertID hashes to check: bit per enum hash_alg */
	int source_lists_all;		/* a serial not in recs was never issued */
	int loaded;			/* issuer and source read: audit it */
	pthread_mutex_t lock;		/* guards memo */
	struct audit_signer_memo memo[AUDIT_SIGNER_MEMO];
	size_t nmemo;
};

/* Opens conf's issuer and reads its source at now (the source's warnings
 * go to log_warn). -1 with e set; a->ca is then NULL or loaded. */
int audit_ca_load(struct audit_ca *a, const struct ca_conf *conf, const char *cache_dir,
    int64_t now, struct err *e);
void audit_ca_fini(struct audit_ca *a);

/* ---- findings (audit_report.c) ---- */

struct audit_out;

/* Where the report goes: lines (text) or one JSON document (json). */
struct audit_out *audit_out_new(FILE *f, int json);
/* Records one finding: ca and serial may be NULL, where is a path or URL. */
void audit_out_finding(struct audit_out *o, const char *ca, const struct serial *serial,
    const char *where, enum audit_kind k, const char *what);
/* Counts one response (or probe) checked, and whether it was found clean. */
void audit_out_checked(struct audit_out *o, int clean);
/* Writes the summary (and closes the JSON) and returns the exit status. */
enum audit_exit audit_out_finish(struct audit_out *o, double secs);
void audit_out_free(struct audit_out *o);

/* ---- one response (audit_check.c) ---- */

/* What a response should be. st NULL: a serial the CA never issued (it
 * must not be good; any other answer, or an unsuccessful response, is
 * fine). */
struct audit_expect {
	enum hash_alg alg;
	const struct serial *serial;
	const struct status_rec *st;
};

/* What was found in it, for the HTTP checks of URL mode. */
struct audit_seen {
	int successful;			/* a successful basic response was parsed */
	int cert_status;		/* V_OCSP_CERTSTATUS_*, -1 when not parsed */
	int64_t produced_at, this_update, next_update;	/* 0 when absent */
};

/* Receives each finding of one check. */
struct audit_sink {
	void (*fn)(void *arg, enum audit_kind k, const char *what);
	void *arg;
};

/* The longest response read or fetched (OpenSSL's client takes 100 KiB). */
#define AUDIT_RESPONSE_MAX (100 * 1024)

/* Checks len bytes at der against x for CA a under policy p, telling each
 * finding to s; fills seen (may be NULL). Returns the number of findings.
 * Thread-safe (a's memo is locked). */
int audit_check(struct audit_ca *a, const struct audit_policy *p,
    const struct audit_expect *x, const uint8_t *der, size_t len, struct audit_seen *seen,
    const struct audit_sink *s);

/* ---- modes ---- */

struct audit_run {
	struct audit_ca *cas;
	size_t ncas;
	const char *tree;		/* tree mode */
	const char *url;		/* URL mode */
	int get, post;			/* URL mode: which methods */
	unsigned probes;		/* URL mode: never-issued serials asked per CA */
	int64_t timeout;		/* URL mode: seconds per request */
	struct audit_policy policy;
	unsigned threads;
	struct audit_out *out;
};

struct upload_opts;

/* Each returns 0, or -1 when it could not run at all (e says why);
 * findings go to r->out. audit_store reads the S3 bucket or WebDAV origin
 * the publisher uploads to (upload.h) as a tree: o names it. */
int audit_tree(struct audit_run *r, struct err *e);
int audit_url(struct audit_run *r, struct err *e);
int audit_store(struct audit_run *r, const struct upload_opts *o, struct err *e);

/* ---- HTTP (audit_url.c, the one file of ocsp-audit that includes curl.h) ---- */

/* Header values kept; a longer one is cut (and then will not match). */
#define AUDIT_HEADER_MAX 256

/* One answer: the body (at most cap bytes, in caller storage) and the
 * headers the checks look at. */
struct audit_reply {
	long status;
	uint8_t *body;
	size_t cap, len;
	int too_big;
	char content_type[AUDIT_HEADER_MAX];
	char cache_control[AUDIT_HEADER_MAX];
	char last_modified[AUDIT_HEADER_MAX];
	char expires[AUDIT_HEADER_MAX];
	char etag[AUDIT_HEADER_MAX];
};

/* AWS Signature V4 for S3 requests; secrets, wiped by audit_s3_auth_wipe. */
struct audit_s3_auth {
	char sigv4[128];		/* "aws:amz:REGION:s3" */
	char userpwd[300];		/* key id ':' secret */
	char token_header[4200];	/* "x-amz-security-token: ..." or "" */
};
void audit_s3_auth_wipe(struct audit_s3_auth *a);

/* One request on *handle (a libcurl handle made on first use, one per
 * thread; audit_fetch_free releases it): GET, or POST of post_len bytes
 * as application/ocsp-request. 0 with r filled, or -1 with e saying why
 * nothing came back (r->too_big: more than r->cap). */
int audit_fetch(void **handle, const char *url, const uint8_t *post, size_t post_len,
    const struct audit_s3_auth *auth, int64_t timeout, struct audit_reply *r,
    struct err *e);
void audit_fetch_free(void *handle);

/* Where a finding about an answer is: the CA, serial and "METHOD URL". */
struct audit_where {
	struct audit_run *r;
	const struct audit_ca *a;
	const struct serial *serial;
	const char *what;
};
/* Status 200 and Content-Type; the findings told, their number returned. */
int audit_http_head(const struct audit_where *w, const struct audit_reply *r);
/* Caching headers against the response seen; the number of findings. */
int audit_http_caching(const struct audit_where *w, const struct audit_reply *r,
    const struct audit_seen *s, const struct audit_policy *p);
/* Once, before any thread: libcurl's global set-up. */
int audit_url_init(struct err *e);

/* Runs job(arg, worker, i) for i in [0, n) on threads threads; worker is
 * 0..threads-1, for per-thread state. Returns 0, or -1 when no thread
 * could be started (then nothing ran). */
int audit_pool_run(size_t n, unsigned threads, void (*job)(void *arg, unsigned worker,
    size_t i), void *arg, struct err *e);

/* Cache-Control's max-age of a header value of n bytes (need not end in a
 * NUL): 1 and *out set, 0 when it has none, -1 when it is malformed (a
 * second max-age, a value not a number or over a year). */
int audit_max_age(const char *v, size_t n, int64_t *out);

#endif
