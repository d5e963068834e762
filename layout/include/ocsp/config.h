/* Configuration shared by ocsp-publisher and ocsp-lookupd.
 *
 * One INI file (parsed by libinih) serves both programs:
 *
 *   tree = /var/lib/ocsp/tree        ; top level: the response tree
 *   [publisher]  threads = 0
 *   [lookupd]    listen = 127.0.0.1:8080, path_prefix, threads, ...
 *   [ca NAME]    issuer, index, validity, refresh, backdate, ...; its
 *                signers: signers = a, b (named below) and/or signer/key
 *   [signer NAME] certificate, key (a PEM file or a pkcs11: URI), settings
 *
 * Every key is described once in the table in config.c (type, bounds,
 * default); unknown keys and bad values are errors naming file and line.
 * Command-line flags go through the same table (config_set), so a flag
 * and a key can never disagree on what a value means. */
#ifndef OCSP_CONFIG_H
#define OCSP_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ocsp/err.h"
#include "ocsp/shard.h"

/* libinih keeps 49 characters of a section name and silently cuts the
 * rest; "[ca " leaves 45 for the name, and longer sections are refused. */
#define CONFIG_CA_NAME_MAX 45
/* "[signer " leaves 41. */
#define CONFIG_SIGNER_NAME_MAX 41
#define CONFIG_SECTION_MAX 48
#define CONFIG_MAX_CAS 4096
#define CONFIG_MAX_SIGNERS 4096
/* Signers one CA may have (named and its own together). */
#define CONFIG_CA_SIGNERS_MAX 16

enum rsa_padding { RSA_PADDING_PKCS1 = 0, RSA_PADDING_PSS = 1 };
enum responder_id { RESPONDER_ID_KEY = 0, RESPONDER_ID_NAME = 1 };

/* One signer: a certificate and its private key, and how to use them. */
struct signer_conf {
	char name[CONFIG_SIGNER_NAME_MAX + 1];	/* [signer NAME]; "" for a CA's own */
	unsigned line;
	char *certificate;		/* PEM signer certificate */
	char *key;			/* PEM private key, or a pkcs11: URI (RFC 7512) */
	char *key_passphrase_file;	/* for an encrypted PEM key */
	char *key_passphrase_env;	/* or the environment variable holding it */
	int64_t allow_readable_key;	/* accept a key file group or others can read */
	char *pin_file;			/* PKCS#11 user PIN */
	char *pkcs11_module;		/* NULL: the top-level pkcs11_module */
	int64_t rsa_padding;		/* enum rsa_padding */
	int64_t responder_id;		/* enum responder_id */
	int64_t max_sign_rate;		/* signatures a second; 0: no cap */
};

struct ca_conf {
	char name[CONFIG_CA_NAME_MAX + 1];
	unsigned line;		/* line of its section's first key, 0 on the command line */
	char *issuer;		/* PEM issuer certificate */
	char *source;		/* "index:...", "crl:..." or "sql:..." (source.h) */
	char *index;		/* after config_finish: the index file of an index: source */
	char *issued;		/* CRL source: "dir:..." or "file:..." serials issued */
	int64_t unlisted;	/* CRL source without issued: 1 answers unlisted good */
	char *crl_signer;
	char *crl_delta;
	int64_t crl_grace;
	int64_t crl_bounds_validity;	/* nextUpdate no later than the CRL's */
	int64_t fetch_timeout, fetch_connect_timeout, fetch_max_bytes;
	char *sql_preset, *sql_query, *sql_issuer;
	char *sql_password_file, *sql_password_env;
	int64_t sql_cache_ttl;
	/* Its own signers, from signer/key pairs (repeated flags give several),
	 * with the signer settings of the section. */
	struct signer_conf *own;
	size_t nown, own_cap;
	struct signer_conf own_settings;
	char *signers;		/* names of [signer] sections */
	/* After config_finish: every signer it may use, own and named. */
	const struct signer_conf *use[CONFIG_CA_SIGNERS_MAX];
	size_t nuse;
	int64_t signer_expiry_warning;	/* warn when the chosen signer expires sooner */
	int64_t validity;	/* seconds from thisUpdate to nextUpdate */
	int64_t refresh;	/* re-sign when a response is this old; 0: validity/2 */
	int64_t backdate;	/* thisUpdate this far before signing time */
	int64_t hashes;		/* CertID hashes to pre-sign: bit per enum hash_alg */
	int64_t unknown;	/* enum unknown_policy: answer for never-issued serials */
	int64_t sig_required;	/* refuse unsigned requests (sigRequired) */
	char *requestors;	/* PEM certificates trusted to sign requests */
	char *purge_base;	/* NULL: [publisher] purge_base */
};

/* Which tag headers lookupd sends with cacheable answers (purge.h). */
enum cache_tags { CACHE_TAGS_NO = 0, CACHE_TAGS_CACHE_TAG = 1, CACHE_TAGS_SURROGATE = 2,
	CACHE_TAGS_BOTH = 3 };

/* What to answer for a serial the CA never issued (RFC 6960 2.2). Never
 * "good": the CA/B Forum forbids it and it is the classic OCSP pitfall. */
enum unknown_policy {
	UNKNOWN_ANSWER_UNKNOWN = 0,
	UNKNOWN_ANSWER_REVOKED = 1,	/* the extended-revoked form, 4.4.8 */
	UNKNOWN_ANSWER_UNAUTHORIZED = 2,
};

struct config {
	char *path;		/* the file read, NULL if none */
	char *tree;		/* after config_finish: always a directory */
	char *state_dir;	/* the local tree when 'tree' names a remote target */
	char *pkcs11_module;	/* PKCS#11 module for keys that name none */
	char *cache_dir;	/* fetched CRLs and validators, between runs */

	/* [publisher] */
	int64_t pub_threads;	/* 0: one per core */
	int64_t pub_get_keys;	/* responses also under get/<GET key> */
	struct shard shard;	/* n == 0: not sharded (shard.h) */
	/* A remote copy of the tree (upload.h); after config_finish also what
	 * a 'tree' URL named. NULL: none. */
	char *upload;
	char *s3_endpoint, *s3_region, *s3_credentials_file, *s3_profile;
	int64_t s3_path_style;
	int64_t upload_concurrency, upload_retries, upload_max_age;
	/* CDN purges after a run (purge.h); active with purge or a preset. */
	char *purge;		/* generic endpoint taking PURGE / BAN */
	int64_t purge_preset;	/* enum purge_preset */
	int64_t purge_method;	/* 0 PURGE per URL, 1 BAN per tag */
	int64_t purge_by;	/* 0 URLs, 1 tags (Cloudflare, Akamai) */
	char *purge_zone;
	char *purge_credentials_file;
	char *purge_api;	/* tests only: the provider's API base URL */
	char *purge_base;	/* public base URLs of GET requests (comma-separated) */
	int64_t purge_rate;
	int64_t purge_retries;
	int64_t purge_delay;	/* seconds between the commit and the purge */
	/* Operations (metrics_file.h, journal.h). */
	char *metrics_file;		/* textfile-collector output; NULL: none */
	int64_t run_interval;		/* seconds between runs; 0: not known, no warning */
	int64_t journal_keep_runs;	/* 0: every journal file kept */
	int64_t journal_keep_days;	/* 0: no age limit */

	/* [lookupd] */
	char *listen;
	char *path_prefix;
	int64_t http_threads;
	int64_t max_request_bytes;
	int64_t max_header_bytes;	/* request line and headers */
	int64_t max_headers;		/* header fields */
	int64_t header_timeout;		/* seconds for the request line and headers */
	int64_t body_timeout;		/* seconds for a body, after its headers */
	int64_t keep_alive_timeout;	/* seconds an idle connection is kept; 0: never */
	int64_t keep_alive_requests;	/* answers on one connection before it closes */
	int64_t busy_threshold;		/* percent of threads busy above which to close */
	int64_t cache_entries;
	int64_t max_age;
	int64_t reload_interval;
	int64_t max_certs;		/* CertIDs in one request */
	int64_t online_cache_entries;	/* online answers kept until refresh */
	int64_t cache_tags;		/* enum cache_tags: tag headers on cacheable answers */
	/* lookupd's operations: metrics, readiness (/healthz), stale policy,
	 * access log. */
	char *metrics_listen;		/* NULL: /metrics on listen */
	char *access_log;		/* NULL: none; "syslog" or a file */
	int64_t stale;			/* 0 trylater, 1 online (lookupd/answer.h) */
	int64_t stale_share;		/* percent of validity: /healthz 503 past it */
	int64_t stale_warning;		/* /healthz 503 this close to a nextUpdate */
	int64_t max_generation_age;	/* /healthz 503 for an older tree; 0: off */
	/* Signals and privileges (lookupd/reload.h, lookupd/privdrop.h). */
	int64_t drain_timeout;		/* seconds in-flight requests get at a stop */
	char *user;			/* drop to this user when started as root */
	char *group;			/* and group (NULL: the user's own) */
	int64_t allow_root;		/* serve as root when no user is given */
	char *log_file;			/* NULL: stderr or syslog; reopened on SIGUSR1 */

	struct ca_conf *cas;
	size_t ncas, cas_cap;

	struct signer_conf *signers;	/* the [signer NAME] sections */
	size_t nsigners, signers_cap;
};

/* Fills c with the defaults of every non-CA key. */
int config_init(struct config *c, struct err *e);
void config_fini(struct config *c);

/* Reads an INI file into c (which config_init prepared). */
int config_load(struct config *c, const char *path, struct err *e);
/* The same from an open stream; path names it in messages. */
int config_load_stream(struct config *c, FILE *f, const char *path, struct err *e);

/* Sets one key as if read from a file; section is "", "publisher",
 * "lookupd", "ca NAME" or "signer NAME" (a new CA or signer is added on
 * first use). In a [ca], "signer" and "key" pair up: each "signer" after
 * a complete pair starts another of the CA's own signers. */
int config_set(struct config *c, const char *section, const char *key,
    const char *value, struct err *e);

/* Which program reads the configuration: the publisher needs every CA's
 * key and index, lookupd only what it answers from. ocsp-audit needs every
 * CA's source, and no key. */
enum config_user { CONFIG_PUBLISHER, CONFIG_LOOKUPD,
	CONFIG_AUDIT };

/* Checks what only the whole configuration can tell (required keys,
 * refresh shorter than validity) and fills derived defaults. */
int config_finish(struct config *c, enum config_user who, struct err *e);

/* Prints every key with its default and meaning, for --help-config. */
void config_describe(void (*line)(const char *text, void *arg), void *arg);

/* One key of the table as documentation sees it (the ocsp.conf(5) page is
 * generated from these, so it cannot drift from what the parser takes).
 * Every pointer is static: valid for the life of the program. */
struct config_key_doc {
	const char *section;	/* "" (top level), "publisher", "lookupd", "ca NAME",
				 * "signer NAME" */
	const char *name;
	const char *kind;	/* "string", "integer", "duration", "choice", "list"
				 * or "K/N" */
	int64_t min, max;	/* integer and duration bounds (seconds); 0, 0: none */
	char unit;		/* duration: the unit of a bare number ('s', 'h', 'd') */
	const char *def;	/* default as a value would be written; NULL: none */
	const char *help;
	const char *const *choices;	/* "choice": NULL-terminated; else NULL */
};

/* Calls each for every key, in table order (grouped by section, as
 * --help-config lists them). */
void config_keys_each(void (*each)(const struct config_key_doc *k, void *arg), void *arg);

#endif
