/* CDN purges: after a run commits responses whose status changed (a
 * revocation above all), the publisher asks the caches in front of the
 * responder to drop their copies, so clients see the new status within a
 * run rather than after max-age.
 *
 * What is purged is a list of items of one kind, which the provider
 * decides (purge_kind):
 *  - URLs: every GET URL a client may have fetched the response by, i.e.
 *    each GET key (get_key.h: SHA-1 and SHA-256, with and without NULL
 *    parameters) in raw base64 and percent-encoded, under each public base
 *    URL (purge_urls). POST answers are never cached by CDNs (RFC 5019
 *    6.1: a POST response is not cacheable by default), so only GET URLs.
 *  - tags: the names lookupd sends in Cache-Tag / Surrogate-Key on its
 *    cacheable answers (purge_tag): "ocsp-<issuerKeyHash hex>" per issuer
 *    and "ocsp-<issuerKeyHash hex>-<SERIAL>" per certificate, where the
 *    issuerKeyHash is the one of the request's own CertID hash (for SHA-1
 *    that is the tree's issuer directory name).
 *
 * Providers (enum purge_preset): a generic endpoint (Varnish, a caching
 * nginx) that takes "PURGE <path>" per URL, with the URL's Host, or "BAN"
 * with the tag in an X-Purge-Tag header; Cloudflare (POST
 * /client/v4/zones/ZONE/purge_cache, {"files":[...]} or {"tags":[...]},
 * Bearer token); Fastly (POST /service/ID/purge, {"surrogate_keys":[...]},
 * Fastly-Key); Akamai Fast Purge v3 (POST /ccu/v3/invalidate/url|tag/NET,
 * {"objects":[...]}, EdgeGrid-signed).
 *
 * Requests are batched to the provider's documented maximum, spaced to at
 * most `rate` a second, and a failed one (no answer, or an answer that
 * is not the provider's documented success: purge_answer_ok) is retried `retries` times with doubling back-off. Items still
 * failing stay in the queue, for purge_pending_save to keep until the next
 * run: a purge is never dropped silently.
 *
 * Credentials (an API token, key, or .edgerc section) come from a file
 * that others may not read, or the environment; they never appear in a
 * message. Only purge.c includes curl.h. */
#ifndef OCSP_PURGE_H
#define OCSP_PURGE_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/certid.h"
#include "ocsp/err.h"
#include "ocsp/serial.h"

enum purge_preset {
	PURGE_GENERIC = 0,	/* purge_endpoint, PURGE or BAN */
	PURGE_CLOUDFLARE = 1,
	PURGE_FASTLY = 2,
	PURGE_AKAMAI = 3,
};

enum purge_kind { PURGE_URL = 0, PURGE_TAG = 1 };

/* Longest item (a URL or a tag), and longest credential. */
#define PURGE_ITEM_MAX 4096
#define PURGE_SECRET_MAX 512
/* The pending file, next to the tree's marker; a dot file, so never
 * served, synced (rsync --exclude='.*') nor taken for an issuer. */
#define PURGE_PENDING_NAME ".purge-pending"
#define PURGE_PENDING_MAGIC "ocsp-purge-pending 1"
#define PURGE_PENDING_MAX (64u << 20)
/* Back-off before the first retry, doubled for each further one. */
#define PURGE_BACKOFF_MS 500
#define PURGE_RETRIES_MAX 10
#define PURGE_RATE_MAX 10000
/* The longest a purge request may take. */
#define PURGE_TIMEOUT 30

struct purge_opts {
	enum purge_preset preset;
	const char *endpoint;	/* PURGE_GENERIC: http(s) URL PURGE/BAN go to */
	int ban;		/* PURGE_GENERIC: BAN per tag instead of PURGE per URL */
	int by_tag;		/* Cloudflare, Akamai: tags instead of URLs */
	const char *zone;	/* Cloudflare zone id, Fastly service id, Akamai
				 * network (production or staging) */
	const char *credentials_file;	/* NULL: the environment */
	const char *api;	/* the provider's base URL instead of its own:
				 * for tests only (a recording server) */
	int64_t rate;		/* requests a second, 1..PURGE_RATE_MAX */
	int64_t retries;	/* 0..PURGE_RETRIES_MAX */
};

struct purge;

/* Checks o and loads the provider's credentials: Cloudflare's API token
 * (the file's one line, else CLOUDFLARE_API_TOKEN), Fastly's API key (the
 * file, else FASTLY_API_KEY), Akamai's client_token, client_secret,
 * access_token and host (the [default] section of the .edgerc file, else
 * AKAMAI_CLIENT_TOKEN, AKAMAI_CLIENT_SECRET, AKAMAI_ACCESS_TOKEN,
 * AKAMAI_HOST). Initialises libcurl (fetch.h's once). Returns 0 with *out
 * (purge_free it), or -1 (e set; it names what is missing, never a value). */
int purge_new(const struct purge_opts *o, struct purge **out, struct err *e);
/* Wipes the credentials. NULL is a no-op. */
void purge_free(struct purge *p);

/* The kind of item this provider purges. */
enum purge_kind purge_kind(const struct purge *p);

/* Queues one item (copied). An item of the other kind is not queued and
 * returns 1; an item longer than PURGE_ITEM_MAX or with control
 * characters is an error. Returns 0, 1 or -1. */
int purge_add(struct purge *p, enum purge_kind kind, const char *item, struct err *e);
/* Items queued and not yet purged. */
size_t purge_queued(const struct purge *p);

/* Every GET URL of one CertID hash (both AlgorithmIdentifier forms, raw
 * base64 and percent-encoded) under base (a trailing '/' is ignored),
 * queued with purge_add. Returns the number queued, or -1. */
int purge_add_urls(struct purge *p, const char *base, enum hash_alg alg,
    const struct issuer_hash *h, const struct serial *s, struct err *e);

/* The tag of an issuer (s NULL) or of one certificate, for CertIDs of
 * hash alg whose issuerKeyHash is key_hash (hash_len(alg) bytes), into out
 * with a NUL. Returns its length, or -1 when cap is short. */
#define PURGE_TAG_MAX (5 + 2 * HASH_MAX_LEN + 1 + SERIAL_NAME_MAX)
int purge_tag(char *out, size_t cap, enum hash_alg alg, const uint8_t *key_hash,
    const struct serial *s);

/* The tags of one certificate's answer as one header value: its issuer's
 * tag and its own, joined by sep: ',' for Cache-Tag (Cloudflare, Akamai,
 * Varnish bans), ' ' for Surrogate-Key (Fastly). lookupd sends it on its
 * cacheable answers, and the uploader attaches it to the responses it
 * sends (upload.h), so that one purge by tag reaches what either served.
 * Returns its length, or -1 when cap is short. */
#define PURGE_TAGS_MAX (2 * PURGE_TAG_MAX + 1)
int purge_tags(char *out, size_t cap, char sep, enum hash_alg alg, const uint8_t *key_hash,
    const struct serial *s);

/* What purge_send did. */
struct purge_stats {
	size_t purged;		/* items in batches the provider accepted */
	size_t failed;		/* items still queued: every try failed */
	size_t requests;	/* HTTP requests made, retries included */
	size_t retries;
};

/* Sends every queued item, batched and rate-limited, retrying failed
 * batches. Accepted items leave the queue; failed ones stay. Returns 0
 * when all were accepted, else -1 with the last failure in e (the URL
 * redacted, the provider's answer escaped and shortened). */
int purge_send(struct purge *p, struct purge_stats *st, struct err *e);

/* Adds the items of the pending file dir/PURGE_PENDING_NAME to the queue
 * (none when it does not exist). Items of the other kind (the provider
 * changed) are skipped and counted in *skipped. Returns the number added,
 * or -1 for a file that is unreadable, too large or not a pending file. */
int purge_pending_load(struct purge *p, const char *dir, size_t *skipped, struct err *e);
/* Writes the queued items to dir/PURGE_PENDING_NAME atomically (synced),
 * or removes the file when the queue is empty. Returns 0 or -1. */
int purge_pending_save(const struct purge *p, const char *dir, struct err *e);

/* ---- judging an answer (purge_answer.c; exposed for tests) ---- */

/* Kept of a provider's answer to judge it: Fastly's to a batch of 256
 * keys is about 32 KiB. A longer one is not taken for a success. */
#define PURGE_ANSWER_BODY_MAX (256 * 1024)
/* Nesting of JSON values skipped while looking for a member. */
#define PURGE_JSON_DEPTH_MAX 32

/* Finds member name (compared as written, escapes not decoded) among the
 * top-level members of the JSON object in body (len bytes, untrusted,
 * need not be NUL-terminated). Returns 1 with *val / *val_len the value's
 * text (a string with its quotes), 0 when the object has no such member,
 * -1 when body is not an object as far as it had to be read. */
int purge_json_member(const char *body, size_t len, const char *name, const char **val,
    size_t *val_len);

/* Whether the provider accepted a request, from its HTTP status and the
 * answer body (len bytes, untrusted) as each documents success:
 *  - generic (Varnish, nginx): a 2xx status;
 *  - Cloudflare: 2xx and "success": true (it answers errors with 200 and
 *    "success": false too);
 *  - Fastly: 2xx and "status": "ok", or every key of the batch (items,
 *    nitems) answered with its purge id (a string);
 *  - Akamai Fast Purge v3: 201 and "httpStatus": 201.
 * Returns 1, or 0 with why (cap bytes) saying what was wrong. */
int purge_answer_ok(enum purge_preset preset, long status, const char *body, size_t len,
    const char *const *items, size_t nitems, char *why, size_t cap);

/* EdgeGrid (EG1-HMAC-SHA256) Authorization header value for one request,
 * from the specification: signing key = base64(HMAC-SHA256(client_secret,
 * timestamp)); signed data = method, scheme, host, path with query, the
 * signed headers (none), base64(SHA-256(body)) for a POST, and the header
 * up to "nonce=...;", joined by tabs; signature = base64(HMAC-SHA256(
 * signing key, data)). timestamp is "yyyyMMddTHH:mm:ss+0000". Exposed for
 * its unit test. Returns the length written to out, or -1. */
int purge_edgegrid_auth(const char *client_token, const char *client_secret,
    const char *access_token, const char *timestamp, const char *nonce,
    const char *method, const char *url, const void *body, size_t body_len,
    char *out, size_t cap);

#endif
