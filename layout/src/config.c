#include "ocsp/config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "ocsp/array.h"
#include "ocsp/certid.h"
#include "ocsp/duration.h"
#include "ocsp/source.h"
#include "ini_setup.h"

enum section_kind { SEC_TOP, SEC_PUBLISHER, SEC_LOOKUPD, SEC_CA, SEC_SIGNER };
/* KEY_OWN_CERT and KEY_OWN_KEY are a [ca]'s signer and key: they pair up
 * into the CA's own signers. */
/* KEY_SOURCE: source, and its shorthands index, crl and sql, all setting
 * a CA's source string (source.h). */
/* KEY_SHARD: "K/N" into a struct shard (shard.h). */
enum key_type { KEY_STRING, KEY_INT, KEY_DURATION, KEY_CHOICE, KEY_HASHES, KEY_SOURCE,
	KEY_OWN_CERT, KEY_OWN_KEY, KEY_SHARD };

struct key_def {
	enum section_kind section;
	const char *name;
	enum key_type type;
	int64_t min, max;
	char unit;		/* default unit of a bare duration */
	const char *def;	/* default, parsed like a value; NULL: none */
	size_t offset;		/* in struct config, ca_conf (SEC_CA) or signer_conf */
	const char *help;
	const char *const *choices;	/* KEY_CHOICE: the value stored is the index */
};

static const char *const yes_no[] = { "no", "yes", NULL };
static const char *const unknown_answers[] = { "unknown", "revoked", "unauthorized", NULL };
static const char *const paddings[] = { "pkcs1", "pss", NULL };
static const char *const responder_ids[] = { "key", "name", NULL };
static const char *const unlisted_answers[] = { "policy", "good", NULL };
/* In the order of enum purge_preset and enum cache_tags. */
static const char *const purge_presets[] = { "generic", "cloudflare", "fastly", "akamai",
	NULL };
static const char *const purge_methods[] = { "purge", "ban", NULL };
static const char *const purge_bys[] = { "url", "tag", NULL };
static const char *const cache_tag_kinds[] = { "no", "cache-tag", "surrogate-key", "both",
	NULL };
/* In the order of enum answer_stale (lookupd/answer.h). */
static const char *const stale_policies[] = { "trylater", "online", NULL };

#define TOP(f) offsetof(struct config, f)
#define CA(f) offsetof(struct ca_conf, f)
#define SIG(f) offsetof(struct signer_conf, f)
#define DAY 86400

static const struct key_def keys[] = {
	{ SEC_TOP, "tree", KEY_STRING, 0, 0, 0, NULL, TOP(tree),
	  "directory of the response tree", NULL },
	{ SEC_TOP, "state_dir", KEY_STRING, 0, 0, 0, NULL, TOP(state_dir),
	  "the local response tree when 'tree' is an s3:// or http(s):// URL (the "
	  "publisher's state; that URL becomes the 'upload' target)", NULL },
	{ SEC_TOP, "pkcs11_module", KEY_STRING, 0, 0, 0, NULL, TOP(pkcs11_module),
	  "PKCS#11 module for pkcs11: keys that name none (default: p11-kit's proxy)",
	  NULL },
	{ SEC_TOP, "cache_dir", KEY_STRING, 0, 0, 0, NULL, TOP(cache_dir),
	  "where fetched CRLs and their validators are kept between runs, so a fetch "
	  "can be conditional (default: none, every run fetches all)", NULL },

	{ SEC_PUBLISHER, "threads", KEY_INT, 0, 1024, 0, "0", TOP(pub_threads),
	  "signing threads; 0 uses every core", NULL },
	{ SEC_PUBLISHER, "get_keys", KEY_CHOICE, 0, 0, 0, "no", TOP(pub_get_keys),
	  "also store every response under get/, at the paths of clients' GET requests "
	  "for it (SHA-1 and every other pre-signed hash), for web servers, object "
	  "stores and CDNs without lookupd (see TREE.md)", yes_no },
	{ SEC_PUBLISHER, "shard", KEY_SHARD, 0, 0, 0, NULL, TOP(shard),
	  "K/N: this run publishes only the certificates of shard K of N (1 <= K <= N <= "
	  "1024; by SHA-256 of the serial), with its own local tree, uploading beside "
	  "the other shards into one target (TREE.md, Shards)", NULL },
	{ SEC_PUBLISHER, "upload", KEY_STRING, 0, 0, 0, NULL, TOP(upload),
	  "after each run, mirror the tree to s3://bucket/prefix or an http(s):// "
	  "WebDAV / PUT origin (status.idx stays local)", NULL },
	{ SEC_PUBLISHER, "s3_endpoint", KEY_STRING, 0, 0, 0, NULL, TOP(s3_endpoint),
	  "S3 endpoint URL, scheme://host[:port] (default: AWS for the region)", NULL },
	{ SEC_PUBLISHER, "s3_region", KEY_STRING, 0, 0, 0, NULL, TOP(s3_region),
	  "S3 signing region (default: AWS_REGION, else us-east-1)", NULL },
	{ SEC_PUBLISHER, "s3_path_style", KEY_CHOICE, 0, 0, 0, "no", TOP(s3_path_style),
	  "address buckets as endpoint/bucket/ (yes) rather than bucket.endpoint/ (no; "
	  "an IP-address endpoint is always path-style)", yes_no },
	{ SEC_PUBLISHER, "s3_credentials_file", KEY_STRING, 0, 0, 0, NULL,
	  TOP(s3_credentials_file), "AWS shared-credentials file (default: "
	  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment)", NULL },
	{ SEC_PUBLISHER, "s3_profile", KEY_STRING, 0, 0, 0, NULL, TOP(s3_profile),
	  "its profile (default: AWS_PROFILE, else default)", NULL },
	{ SEC_PUBLISHER, "upload_concurrency", KEY_INT, 1, 256, 0, "16",
	  TOP(upload_concurrency), "uploads in flight at once", NULL },
	{ SEC_PUBLISHER, "upload_retries", KEY_INT, 0, 20, 0, "3", TOP(upload_retries),
	  "retries of a failed upload (backoff from 0.2 s, doubling)", NULL },
	{ SEC_PUBLISHER, "upload_max_age", KEY_DURATION, 0, 10 * DAY, 's', "1h",
	  TOP(upload_max_age), "longest Cache-Control max-age of an uploaded response "
	  "(never past its nextUpdate)", NULL },
	{ SEC_PUBLISHER, "purge", KEY_STRING, 0, 0, 0, NULL, TOP(purge),
	  "after a run, purge what changed status from a cache at this URL (Varnish, a "
	  "caching nginx): PURGE per GET URL, or BAN per tag (purge_method)", NULL },
	{ SEC_PUBLISHER, "purge_preset", KEY_CHOICE, 0, 0, 0, "generic", TOP(purge_preset),
	  "the CDN's purge API instead: cloudflare, fastly or akamai (Fast Purge v3)",
	  purge_presets },
	{ SEC_PUBLISHER, "purge_method", KEY_CHOICE, 0, 0, 0, "purge", TOP(purge_method),
	  "generic endpoint: purge (PURGE per URL) or ban (BAN per tag, in X-Purge-Tag)",
	  purge_methods },
	{ SEC_PUBLISHER, "purge_by", KEY_CHOICE, 0, 0, 0, "url", TOP(purge_by),
	  "cloudflare, akamai: purge by url or by tag (Fastly always purges surrogate keys)",
	  purge_bys },
	{ SEC_PUBLISHER, "purge_zone", KEY_STRING, 0, 0, 0, NULL, TOP(purge_zone),
	  "Cloudflare zone id, Fastly service id, or Akamai network (production, staging)",
	  NULL },
	{ SEC_PUBLISHER, "purge_credentials_file", KEY_STRING, 0, 0, 0, NULL,
	  TOP(purge_credentials_file), "Cloudflare API token or Fastly API key (one line), or "
	  "an Akamai .edgerc ([default]); else CLOUDFLARE_API_TOKEN, FASTLY_API_KEY, "
	  "AKAMAI_CLIENT_TOKEN/_CLIENT_SECRET/_ACCESS_TOKEN/_HOST", NULL },
	{ SEC_PUBLISHER, "purge_api", KEY_STRING, 0, 0, 0, NULL, TOP(purge_api),
	  "for tests only: the provider API's base URL (a local recording server)", NULL },
	{ SEC_PUBLISHER, "purge_base", KEY_STRING, 0, 0, 0, NULL, TOP(purge_base),
	  "public base URLs of the responder as in the AIA extension (comma-separated), "
	  "under which GET URLs are purged; a [ca] may give its own", NULL },
	{ SEC_PUBLISHER, "purge_delay", KEY_DURATION, 0, 3600, 's', "2s", TOP(purge_delay),
	  "wait this long after the commit before purging, so that lookupd (its "
	  "reload_interval) or a sync to the origin has the new responses when the cache "
	  "fetches again; else the cache may take the old answer once more", NULL },
	{ SEC_PUBLISHER, "purge_rate", KEY_INT, 1, 10000, 0, "10", TOP(purge_rate),
	  "most purge requests a second", NULL },
	{ SEC_PUBLISHER, "purge_retries", KEY_INT, 0, 10, 0, "3", TOP(purge_retries),
	  "retries of a failed purge request within a run (back-off from 0.5 s, doubling); "
	  "what still fails is kept in <tree>/.purge-pending for the next run", NULL },
	/* Operations: the textfile metrics, the staleness warning and the audit
	 * journal's retention (JOURNAL.md). */
	{ SEC_PUBLISHER, "metrics_file", KEY_STRING, 0, 0, 0, NULL, TOP(metrics_file),
	  "after each run, write Prometheus metrics (text format 0.0.4) to this file, "
	  "atomically, for node_exporter's textfile collector (name it *.prom)", NULL },
	{ SEC_PUBLISHER, "run_interval", KEY_DURATION, 0, 30 * DAY, 's', "0",
	  TOP(run_interval), "how often the publisher is run (its timer): warn when a "
	  "response left in place expires before the next run; 0: no warning", NULL },
	{ SEC_PUBLISHER, "journal_keep_runs", KEY_INT, 0, 1000000000, 0, "0",
	  TOP(journal_keep_runs), "audit journal files kept (one per run; the newest "
	  "always); 0: no limit", NULL },
	{ SEC_PUBLISHER, "journal_keep_days", KEY_INT, 0, 36500, 0, "0",
	  TOP(journal_keep_days), "audit journal files older than this many days are "
	  "removed (the newest never); 0: no limit", NULL },

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
	{ SEC_LOOKUPD, "cache_tags", KEY_CHOICE, 0, 0, 0, "no", TOP(cache_tags),
	  "tag cacheable answers for purges by tag: cache-tag (Cloudflare, Akamai, Varnish "
	  "BAN), surrogate-key (Fastly), both, or no", cache_tag_kinds },
	/* lookupd's operations: metrics, readiness, stale policy, access log. */
	{ SEC_LOOKUPD, "metrics_listen", KEY_STRING, 0, 0, 0, NULL, TOP(metrics_listen),
	  "ADDR:PORT[,...] where /metrics (Prometheus text format) is answered, and "
	  "only there (e.g. 127.0.0.1:9102); default: on listen", NULL },
	{ SEC_LOOKUPD, "access_log", KEY_STRING, 0, 0, 0, NULL, TOP(access_log),
	  "one line per request to this file (reopened on SIGHUP and SIGUSR1) or to "
	  "'syslog'; default: none", NULL },
	{ SEC_LOOKUPD, "stale", KEY_CHOICE, 0, 0, 0, "online", TOP(stale),
	  "what a request gets when the tree's response is past nextUpdate: online (signed "
	  "now when the CA's key is online, else tryLater) or trylater; never the expired "
	  "response", stale_policies },
	{ SEC_LOOKUPD, "stale_share", KEY_INT, 0, 100, 0, "90", TOP(stale_share),
	  "/healthz answers 503 while a CA has a response past this percent of its validity "
	  "(0: no such check)", NULL },
	{ SEC_LOOKUPD, "stale_warning", KEY_DURATION, 0, 10 * DAY, 's', "1h",
	  TOP(stale_warning), "/healthz answers 503 while a CA has a response this close "
	  "to (or past) its nextUpdate (0: no such check)", NULL },
	{ SEC_LOOKUPD, "max_generation_age", KEY_DURATION, 0, 365 * DAY, 's', "0",
	  TOP(max_generation_age), "/healthz answers 503 when the tree served was "
	  "published longer ago than this (0: no such check)", NULL },
	/* Signals and privileges (lookupd/reload.h, lookupd/privdrop.h). */
	{ SEC_LOOKUPD, "drain_timeout", KEY_DURATION, 0, 600, 's', "10s", TOP(drain_timeout),
	  "at SIGTERM or SIGINT, requests in flight get this long to be answered before "
	  "the connections are closed", NULL },
	{ SEC_LOOKUPD, "user", KEY_STRING, 0, 0, 0, NULL, TOP(user),
	  "started as root: once bound, with the keys read and the tree open, run as this "
	  "user (a name or a number); SIGHUP then reads keys as this user", NULL },
	{ SEC_LOOKUPD, "group", KEY_STRING, 0, 0, 0, NULL, TOP(group),
	  "and this group (default: the user's own); supplementary groups are dropped",
	  NULL },
	{ SEC_LOOKUPD, "allow_root", KEY_CHOICE, 0, 0, 0, "no", TOP(allow_root),
	  "serve as root when started as root without 'user' (no: refuse to start)",
	  yes_no },
	{ SEC_LOOKUPD, "log_file", KEY_STRING, 0, 0, 0, NULL, TOP(log_file),
	  "append the log to this file instead of stderr (reopened on SIGUSR1, for "
	  "logrotate)", NULL },

	{ SEC_CA, "issuer", KEY_STRING, 0, 0, 0, NULL, CA(issuer),
	  "PEM certificate of the issuing CA", NULL },
	{ SEC_CA, "signer", KEY_OWN_CERT, 0, 0, 0, NULL, 0,
	  "PEM certificate that signs responses (the CA or a delegated responder); "
	  "with key, one of the CA's own signers (repeat the pair for more)", NULL },
	{ SEC_CA, "key", KEY_OWN_KEY, 0, 0, 0, NULL, 0,
	  "its private key: a PEM file (plain or encrypted) or a pkcs11: URI", NULL },
	{ SEC_CA, "signers", KEY_STRING, 0, 0, 0, NULL, CA(signers),
	  "[signer NAME] sections that may sign for this CA (comma-separated); the "
	  "valid one with the newest notBefore signs", NULL },
	{ SEC_CA, "signer_expiry_warning", KEY_DURATION, 0, 365 * DAY, 'd', "14d",
	  CA(signer_expiry_warning), "warn at every run while the chosen signer "
	  "expires within this", NULL },
	{ SEC_CA, "source", KEY_SOURCE, 0, 0, 0, NULL, CA(source),
	  "where the status comes from: index:FILE (openssl ca), crl:FILE|URL (with "
	  "'issued'), sql:postgresql://user@host:port/db or sql:sqlite:/path (with "
	  "sql_preset or sql_query); .gz files are read as they are", NULL },
	{ SEC_CA, "index", KEY_SOURCE, 0, 0, 0, NULL, CA(source),
	  "openssl ca index file with the certificates' status (source = index:FILE)",
	  NULL },
	{ SEC_CA, "crl", KEY_SOURCE, 0, 0, 0, NULL, CA(source),
	  "a CRL file or http(s) URL as the status (source = crl:...)", NULL },
	{ SEC_CA, "sql", KEY_SOURCE, 0, 0, 0, NULL, CA(source),
	  "a CA database as the status (source = sql:...)", NULL },
	{ SEC_CA, "issued", KEY_STRING, 0, 0, 0, NULL, CA(issued),
	  "serials the CA issued, for a CRL source: dir:DIR of certificates or file:FILE "
	  "of hex serials, one a line (reloaded when it changes)", NULL },
	{ SEC_CA, "unlisted", KEY_CHOICE, 0, 0, 0, "policy", CA(unlisted),
	  "a CRL source without 'issued': serials not on the CRL follow 'unknown' "
	  "(policy), or are answered good online (good; warned about at every start)",
	  unlisted_answers },
	{ SEC_CA, "crl_signer", KEY_STRING, 0, 0, 0, NULL, CA(crl_signer),
	  "PEM certificate that signs the CRL when it is not the CA (issued by it, with "
	  "cRLSign)", NULL },
	{ SEC_CA, "crl_delta", KEY_STRING, 0, 0, 0, NULL, CA(crl_delta),
	  "a delta CRL (file or URL) applied on top of the CRL", NULL },
	{ SEC_CA, "crl_grace", KEY_DURATION, 0, 7 * DAY, 'h', "0", CA(crl_grace),
	  "use a CRL this long past its nextUpdate (default: refuse it)", NULL },
	{ SEC_CA, "crl_bounds_validity", KEY_CHOICE, 0, 0, 0, "yes", CA(crl_bounds_validity),
	  "a response's nextUpdate is no later than the CRL's (yes); no lets 'validity' "
	  "alone decide", yes_no },
	{ SEC_CA, "fetch_timeout", KEY_DURATION, 1, 3600, 's', "60s", CA(fetch_timeout),
	  "longest fetch of a CRL URL, all of it", NULL },
	{ SEC_CA, "fetch_connect_timeout", KEY_DURATION, 1, 300, 's', "10s",
	  CA(fetch_connect_timeout), "longest wait to connect to a CRL URL", NULL },
	{ SEC_CA, "fetch_max_bytes", KEY_INT, 1024, 4294967296LL, 0, "268435456",
	  CA(fetch_max_bytes), "largest CRL accepted (bytes, after decompression)", NULL },
	{ SEC_CA, "sql_preset", KEY_STRING, 0, 0, 0, NULL, CA(sql_preset),
	  "the CA product's schema: openxpki or ejbca", NULL },
	{ SEC_CA, "sql_query", KEY_STRING, 0, 0, 0, NULL, CA(sql_query),
	  "instead of a preset: a query returning the status columns (see README)", NULL },
	{ SEC_CA, "sql_issuer", KEY_STRING, 0, 0, 0, NULL, CA(sql_issuer),
	  "the issuer column's value for this CA (default: derived from 'issuer' as the "
	  "preset's product writes it)", NULL },
	{ SEC_CA, "sql_password_file", KEY_STRING, 0, 0, 0, NULL, CA(sql_password_file),
	  "file holding the database password (else sql_password_env, else the URI's)",
	  NULL },
	{ SEC_CA, "sql_password_env", KEY_STRING, 0, 0, 0, NULL, CA(sql_password_env),
	  "environment variable holding the database password", NULL },
	{ SEC_CA, "sql_cache_ttl", KEY_DURATION, 0, 3600, 's', "5s", CA(sql_cache_ttl),
	  "lookupd: how long an answer read live from the database is reused", NULL },
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
	{ SEC_CA, "purge_base", KEY_STRING, 0, 0, 0, NULL, CA(purge_base),
	  "this CA's public responder base URLs for purges (default [publisher] purge_base)",
	  NULL },

	/* A [signer]'s keys; all but certificate and key may also be given in a
	 * [ca], for its own signers. */
	{ SEC_SIGNER, "certificate", KEY_STRING, 0, 0, 0, NULL, SIG(certificate),
	  "PEM signer certificate (the CA or a delegated responder); the file may hold one per "
	  "CA this key signs for, and renewals", NULL },
	{ SEC_SIGNER, "key", KEY_STRING, 0, 0, 0, NULL, SIG(key),
	  "its private key: a PEM file, or a pkcs11: URI such as "
	  "pkcs11:token=ocsp;object=signer1;type=private", NULL },
	{ SEC_SIGNER, "key_passphrase_file", KEY_STRING, 0, 0, 0, NULL,
	  SIG(key_passphrase_file), "file holding the passphrase of an encrypted PEM key",
	  NULL },
	{ SEC_SIGNER, "key_passphrase_env", KEY_STRING, 0, 0, 0, NULL,
	  SIG(key_passphrase_env), "environment variable holding that passphrase", NULL },
	{ SEC_SIGNER, "allow_readable_key", KEY_CHOICE, 0, 0, 0, "no",
	  SIG(allow_readable_key), "accept a key file that group or others may read",
	  yes_no },
	{ SEC_SIGNER, "pin_file", KEY_STRING, 0, 0, 0, NULL, SIG(pin_file),
	  "file holding the PKCS#11 user PIN (else the URI's pin-source)", NULL },
	{ SEC_SIGNER, "pkcs11_module", KEY_STRING, 0, 0, 0, NULL, SIG(pkcs11_module),
	  "PKCS#11 module of this key (default: the top-level pkcs11_module)", NULL },
	{ SEC_SIGNER, "rsa_padding", KEY_CHOICE, 0, 0, 0, "pkcs1", SIG(rsa_padding),
	  "RSA signatures: pkcs1 (sha256WithRSAEncryption) or pss (RSASSA-PSS, SHA-256)",
	  paddings },
	{ SEC_SIGNER, "responder_id", KEY_CHOICE, 0, 0, 0, "key", SIG(responder_id),
	  "ResponderID: key (the SHA-1 of the signer's key) or name (its subject)",
	  responder_ids },
	{ SEC_SIGNER, "max_sign_rate", KEY_INT, 0, 1000000, 0, "0", SIG(max_sign_rate),
	  "most signatures a second the publisher asks of this key; 0: no cap", NULL },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *section_label(enum section_kind k)
{
	switch (k) {
	case SEC_TOP: return "";
	case SEC_PUBLISHER: return "publisher";
	case SEC_LOOKUPD: return "lookupd";
	case SEC_SIGNER: return "signer NAME";
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

static int apply_defaults(enum section_kind sec, void *base, struct err *e);
static int set_source(const struct key_def *k, void *base, const char *value,
    struct err *e);
static int set_own(const struct key_def *k, void *base, const char *value,
    struct err *e);

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
	case KEY_SOURCE:
		return set_source(k, base, value, e);
	case KEY_OWN_CERT:
	case KEY_OWN_KEY:
		return set_own(k, base, value, e);
	case KEY_SHARD:
		return shard_parse(value, (struct shard *)((char *)base + k->offset), e);
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

static int set_string(char **slot, const char *value, struct err *e)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return err_set(e, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

/* source takes "kind:where"; index, crl and sql take the where of their
 * kind. Either way the source string is checked now, so a typo is named
 * with its line. The last key given wins, as for any key. */
static int set_source(const struct key_def *k, void *base, const char *value,
    struct err *e)
{
	char **slot = (char **)((char *)base + k->offset);
	int shorthand = strcmp(k->name, "source") != 0;
	size_t n = strlen(k->name) + 1 + strlen(value) + 1;
	struct source_spec spec;
	char *s = malloc(n);

	if (s == NULL)
		return err_set(e, "out of memory");
	if (shorthand)
		snprintf(s, n, "%s:%s", k->name, value);
	else
		snprintf(s, n, "%s", value);
	if (source_spec_parse(s, &spec, e) != 0) {
		free(s);
		return err_prefix(e, "%s", k->name);
	}
	free(*slot);
	*slot = s;
	return 0;
}

/* The CA's own signer that a "signer" (cert) or "key" fills: the last one
 * while it lacks that part, else a new one. */
static int set_own(const struct key_def *k, void *base, const char *value,
    struct err *e)
{
	struct ca_conf *ca = base;
	int cert = k->type == KEY_OWN_CERT;
	struct signer_conf *v;

	if (ca->nown > 0) {
		v = &ca->own[ca->nown - 1];
		if ((cert ? v->certificate : v->key) == NULL)
			return set_string(cert ? &v->certificate : &v->key, value, e);
	}
	if (ca->nown == CONFIG_CA_SIGNERS_MAX)
		return err_set(e, "%s: more than %d signers for one CA", k->name,
		    CONFIG_CA_SIGNERS_MAX);
	v = array_grow(ca->own, &ca->own_cap, ca->nown + 1, sizeof(*v));
	if (v == NULL)
		return err_set(e, "out of memory");
	ca->own = v;
	v = &ca->own[ca->nown];
	memset(v, 0, sizeof(*v));
	v->line = ca->line;
	if (apply_defaults(SEC_SIGNER, v, e) != 0)
		return -1;
	ca->nown++;
	return set_string(cert ? &v->certificate : &v->key, value, e);
}

int config_init(struct config *c, struct err *e)
{
	memset(c, 0, sizeof(*c));
	if (apply_defaults(SEC_PUBLISHER, c, e) != 0 || apply_defaults(SEC_LOOKUPD, c, e) != 0)
		return -1;
	return 0;
}

static void signer_conf_fini(struct signer_conf *sc)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].section == SEC_SIGNER && keys[i].type == KEY_STRING)
			free(*(char **)((char *)sc + keys[i].offset));
}

static void ca_conf_fini(struct ca_conf *ca)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].section == SEC_CA && keys[i].type == KEY_STRING)
			free(*(char **)((char *)ca + keys[i].offset));
	free(ca->source);
	free(ca->index);
	for (size_t i = 0; i < ca->nown; i++)
		signer_conf_fini(&ca->own[i]);
	free(ca->own);
	signer_conf_fini(&ca->own_settings);
}

void config_fini(struct config *c)
{
	for (size_t i = 0; i < NKEYS; i++)
		if ((keys[i].section == SEC_TOP || keys[i].section == SEC_PUBLISHER ||
		    keys[i].section == SEC_LOOKUPD) && keys[i].type == KEY_STRING)
			free(*(char **)((char *)c + keys[i].offset));
	for (size_t i = 0; i < c->ncas; i++)
		ca_conf_fini(&c->cas[i]);
	free(c->cas);
	for (size_t i = 0; i < c->nsigners; i++)
		signer_conf_fini(&c->signers[i]);
	free(c->signers);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

static int valid_name(const char *name, size_t max)
{
	size_t n = strlen(name);

	if (n == 0 || n > max)
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
	if (!valid_name(name, CONFIG_CA_NAME_MAX)) {
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
	if (apply_defaults(SEC_CA, v, e) != 0 || apply_defaults(SEC_SIGNER, &v->own_settings, e) != 0)
		return NULL;
	c->ncas++;
	return v;
}

static struct signer_conf *find_or_add_signer(struct config *c, const char *name,
    unsigned line, struct err *e)
{
	struct signer_conf *v;

	for (size_t i = 0; i < c->nsigners; i++)
		if (strcmp(c->signers[i].name, name) == 0)
			return &c->signers[i];
	if (!valid_name(name, CONFIG_SIGNER_NAME_MAX)) {
		err_set(e, "signer name '%s' must be 1 to %d letters, digits, '-', '_' or '.'",
		    name, CONFIG_SIGNER_NAME_MAX);
		return NULL;
	}
	if (c->nsigners == CONFIG_MAX_SIGNERS) {
		err_set(e, "more than %d signers", CONFIG_MAX_SIGNERS);
		return NULL;
	}
	v = array_grow(c->signers, &c->signers_cap, c->nsigners + 1, sizeof(*v));
	if (v == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	c->signers = v;
	v = &c->signers[c->nsigners];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->line = line;
	if (apply_defaults(SEC_SIGNER, v, e) != 0)
		return NULL;
	c->nsigners++;
	return v;
}

static int parse_section(const char *section, enum section_kind *kind,
    const char **name, struct err *e)
{
	if (section[0] == '\0')
		*kind = SEC_TOP;
	else if (strcmp(section, "publisher") == 0)
		*kind = SEC_PUBLISHER;
	else if (strcmp(section, "lookupd") == 0)
		*kind = SEC_LOOKUPD;
	else if (strncmp(section, "ca ", 3) == 0) {
		*kind = SEC_CA;
		*name = section + 3;
		while (**name == ' ')
			(*name)++;
	} else if (strncmp(section, "signer ", 7) == 0) {
		*kind = SEC_SIGNER;
		*name = section + 7;
		while (**name == ' ')
			(*name)++;
	} else
		return err_set(e, "unknown section [%s] (expected [publisher], [lookupd], "
		    "[ca NAME] or [signer NAME])", section);
	return 0;
}

static const struct key_def *key_find(enum section_kind kind, const char *key)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].section == kind && strcmp(keys[i].name, key) == 0)
			return &keys[i];
	return NULL;
}

static int set_at_line(struct config *c, const char *section, const char *key,
    const char *value, unsigned line, struct err *e)
{
	enum section_kind kind = SEC_TOP;
	const struct key_def *k;
	const char *name = NULL;
	void *base = c;

	if (parse_section(section, &kind, &name, e) != 0)
		return -1;
	if (kind == SEC_SIGNER) {
		struct signer_conf *sc = find_or_add_signer(c, name, line, e);
		if (sc == NULL)
			return -1;
		base = sc;
	} else if (kind == SEC_CA) {
		struct ca_conf *ca = find_or_add_ca(c, name, line, e);
		if (ca == NULL)
			return -1;
		base = ca;
		/* A signer's settings in a [ca] are for the CA's own signers. */
		if (key_find(SEC_CA, key) == NULL && (k = key_find(SEC_SIGNER, key)) != NULL &&
		    strcmp(key, "certificate") != 0 && strcmp(key, "key") != 0)
			return set_value(k, &ca->own_settings, value, e);
	}
	if ((k = key_find(kind, key)) != NULL)
		return set_value(k, base, value, e);
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
	FILE *f = fopen(path, "r");
	int r;

	if (f == NULL)
		return err_set(e, "%s: %s", path, strerror(errno));
	r = config_load_stream(c, f, path, e);
	fclose(f);
	return r;
}

int config_load_stream(struct config *c, FILE *f, const char *path, struct err *e)
{
	struct load_ctx lc = { c, f, 0, 1, e, 0 };
	int r;

	config_ini_setup();
	r = ini_parse_stream(counting_reader, &lc, on_key, &lc);
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

/* The settings of a [ca] apply to every signer of its own. */
static int own_settings_apply(struct ca_conf *ca, struct signer_conf *sc, struct err *e)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_def *k = &keys[i];
		if (k->section != SEC_SIGNER || strcmp(k->name, "certificate") == 0 ||
		    strcmp(k->name, "key") == 0)
			continue;
		if (k->type == KEY_STRING) {
			const char *v = *(char **)((char *)&ca->own_settings + k->offset);
			if (v != NULL && set_string((char **)((char *)sc + k->offset), v, e) != 0)
				return -1;
		} else {
			*(int64_t *)((char *)sc + k->offset) =
			    *(int64_t *)((char *)&ca->own_settings + k->offset);
		}
	}
	return 0;
}

/* Adds the [signer] sections named in the CA's signers list to its use. */
static int resolve_signers(const char *where, struct config *c, struct ca_conf *ca,
    struct err *e)
{
	const char *v = ca->signers;

	while (v != NULL && *v != '\0') {
		size_t n;
		const struct signer_conf *found = NULL;
		while (*v == ' ' || *v == ',' || *v == '\t')
			v++;
		n = strcspn(v, " ,\t");
		if (n == 0)
			break;
		for (size_t i = 0; i < c->nsigners && found == NULL; i++)
			if (strlen(c->signers[i].name) == n && strncmp(c->signers[i].name, v, n) == 0)
				found = &c->signers[i];
		if (found == NULL)
			return err_set(e, "%s:%u: [ca %s] signers: there is no [signer %.*s]",
			    where, ca->line, ca->name, (int)n, v);
		for (size_t i = 0; i < ca->nuse; i++)
			if (ca->use[i] == found)
				found = NULL;
		if (found != NULL && ca->nuse == CONFIG_CA_SIGNERS_MAX)
			return err_set(e, "%s:%u: [ca %s] has more than %d signers", where, ca->line,
			    ca->name, CONFIG_CA_SIGNERS_MAX);
		if (found != NULL)
			ca->use[ca->nuse++] = found;
		v += n;
	}
	return 0;
}

static int finish_signers(struct config *c, const char *where, struct err *e)
{
	for (size_t i = 0; i < c->nsigners; i++) {
		const struct signer_conf *sc = &c->signers[i];
		if (sc->certificate == NULL || sc->key == NULL)
			return err_set(e, "%s:%u: [signer %s] needs both 'certificate' and 'key'",
			    where, sc->line, sc->name);
	}
	return 0;
}

/* What only the whole section tells about its source: the keys that go
 * with each kind, and index, which lookupd reads when there is no tree. */
static int finish_source(const char *where, struct ca_conf *ca, struct err *e)
{
	struct source_spec spec;

	free(ca->index);
	ca->index = NULL;
	if (ca->source == NULL)
		return 0;
	if (source_spec_parse(ca->source, &spec, e) != 0)
		return err_prefix(e, "%s:%u: [ca %s] source", where, ca->line, ca->name);
	if (spec.kind == SOURCE_INDEX && (ca->index = strndup(spec.where, spec.where_len)) == NULL)
		return err_set(e, "out of memory");
	if (spec.kind != SOURCE_CRL && (ca->issued || ca->crl_signer || ca->crl_delta))
		return err_set(e, "%s:%u: [ca %s] 'issued', 'crl_signer' and 'crl_delta' go with "
		    "a crl: source", where, ca->line, ca->name);
	if (spec.kind == SOURCE_CRL && ca->issued && ca->unlisted)
		return err_set(e, "%s:%u: [ca %s] has both 'issued' and 'unlisted = good': with "
		    "a list, unlisted serials are not issued", where, ca->line, ca->name);
	if (spec.kind != SOURCE_SQL && (ca->sql_preset || ca->sql_query || ca->sql_issuer ||
	    ca->sql_password_file || ca->sql_password_env))
		return err_set(e, "%s:%u: [ca %s] the sql_ keys go with an sql: source", where,
		    ca->line, ca->name);
	if (spec.kind == SOURCE_SQL && (ca->sql_preset == NULL) == (ca->sql_query == NULL))
		return err_set(e, "%s:%u: [ca %s] an sql: source needs either 'sql_preset' "
		    "(openxpki or ejbca) or 'sql_query'", where, ca->line, ca->name);
	if (ca->sql_preset && strcmp(ca->sql_preset, "openxpki") != 0 &&
	    strcmp(ca->sql_preset, "ejbca") != 0)
		return err_set(e, "%s:%u: [ca %s] sql_preset: '%s' is not one of openxpki, ejbca",
		    where, ca->line, ca->name, ca->sql_preset);
	return 0;
}

static int finish_ca(struct config *c, struct ca_conf *ca, enum config_user who,
    struct err *e)
{
	const char *where = c->path ? c->path : "command line";

	if (ca->issuer == NULL)
		return err_set(e, "%s:%u: [ca %s] has no 'issuer'", where, ca->line, ca->name);
	if ((who == CONFIG_PUBLISHER || who == CONFIG_AUDIT) && ca->source == NULL)
		return err_set(e, "%s:%u: [ca %s] has no 'source' (or 'index', 'crl', 'sql')",
		    where, ca->line, ca->name);
	if (finish_source(where, ca, e) != 0)
		return -1;
	ca->nuse = 0;
	for (size_t i = 0; i < ca->nown; i++) {
		struct signer_conf *sc = &ca->own[i];
		if (sc->key == NULL)
			return err_set(e, "%s:%u: [ca %s] has no 'key' for its signer %s", where,
			    ca->line, ca->name, sc->certificate);
		if (sc->certificate == NULL)
			return err_set(e, "%s:%u: [ca %s] has no 'signer' for its key %s", where,
			    ca->line, ca->name, sc->key);
		if (own_settings_apply(ca, sc, e) != 0)
			return -1;
		ca->use[ca->nuse++] = sc;
	}
	if (resolve_signers(where, c, ca, e) != 0)
		return -1;
	if (who == CONFIG_PUBLISHER && ca->nuse == 0)
		return err_set(e, "%s:%u: [ca %s] has no 'signer' (give 'signer' and 'key', or "
		    "'signers')", where, ca->line, ca->name);
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

static int is_remote(const char *s)
{
	return strncasecmp(s, "s3://", 5) == 0 || strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0;
}

/* 'tree' may name the remote target (--out s3://...): then the local
 * tree, which the publisher needs as its state, is state_dir. */
static int finish_tree(struct config *c, struct err *e)
{
	const char *where = c->path ? c->path : "command line";

	if (c->upload != NULL && !is_remote(c->upload))
		return err_set(e, "%s: upload: '%s' is not an s3:// or http(s):// URL", where,
		    c->upload);
	if (c->tree == NULL || !is_remote(c->tree)) {
		if (c->state_dir != NULL && (c->tree == NULL || strcmp(c->state_dir, c->tree) != 0))
			return err_set(e, "%s: state_dir goes with a 'tree' (or --out) that is an "
			    "s3:// or http(s):// URL; with a directory, that is the tree", where);
		return 0;
	}
	if (c->state_dir == NULL)
		return err_set(e, "%s: the tree is a remote target; give the local tree (the "
		    "publisher's state) as state_dir or --state DIR", where);
	if (c->upload != NULL && strcmp(c->upload, c->tree) != 0)
		return err_set(e, "%s: both 'tree' and 'upload' name a remote target; give one",
		    where);
	free(c->upload);
	c->upload = c->tree;
	c->tree = strdup(c->state_dir);
	if (c->tree == NULL)
		return err_set(e, "out of memory");
	return 0;
}

int config_finish(struct config *c, enum config_user who, struct err *e)
{
	if (finish_tree(c, e) != 0)
		return -1;
	if (finish_signers(c, c->path ? c->path : "command line", e) != 0)
		return -1;
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
		snprintf(buf, sizeof(buf), "  %-22s %s%s%s%s", k->name, k->help,
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

/* The key table for documentation (config_keys_each in config.h). */
static const char *key_kind(enum key_type t)
{
	switch (t) {
	case KEY_INT: return "integer";
	case KEY_DURATION: return "duration";
	case KEY_CHOICE: return "choice";
	case KEY_HASHES: return "list";
	case KEY_SHARD: return "K/N";
	default: return "string";
	}
}

void config_keys_each(void (*each)(const struct config_key_doc *k, void *arg), void *arg)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_def *k = &keys[i];
		struct config_key_doc d = {
			.section = section_label(k->section), .name = k->name,
			.kind = key_kind(k->type), .min = k->min, .max = k->max,
			.unit = k->unit, .def = k->def, .help = k->help,
			.choices = k->type == KEY_CHOICE ? k->choices : NULL,
		};
		each(&d, arg);
	}
}
