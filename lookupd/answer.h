/* From an OCSP request to the bytes that answer it: the pre-signed
 * response from the tree, an answer signed online (online.h), or an OCSP
 * error. Knows OCSP, the tree and the signers, not HTTP (http.c turns an
 * answer into headers). */
#ifndef LOOKUPD_ANSWER_H
#define LOOKUPD_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/certid.h"
#include "ocsp/err.h"
#include "ocsp/request.h"
#include "ocsp/response.h"
#include "ocsp/tree_reader.h"

#include "online.h"

struct answerer_opts {
	const char *tree;		/* NULL: online only */
	size_t cache_entries;
	int64_t reload_interval;
	size_t max_certs;		/* CertIDs in one request; more: malformedRequest */
	size_t online_cache_entries;
	const struct config *config;	/* its [ca] sections, for online answers */
	int stale;			/* enum answer_stale */
};

/* What a pre-signed response past its nextUpdate gets (key 'stale'):
 * tryLater, or an answer signed online when the CA's key is online (else
 * tryLater too). Never the expired response. */
enum answer_stale { ANSWER_STALE_TRYLATER = 0, ANSWER_STALE_ONLINE = 1 };

struct answerer;

/* Opens the tree (a missing or empty tree is not an error). */
int answerer_new(const struct answerer_opts *o, struct answerer **out, struct err *e);
void answerer_free(struct answerer *a);
/* For the start-up log line (NULL without a tree). */
struct tree_reader *answerer_tree(struct answerer *a);
/* Problems the tree reader found (warned about) since start: unreadable
 * issuer.meta, refused response files. Thread-safe. */
uint64_t answerer_tree_errors(struct answerer *a);
/* Picks up a new tree generation and replaced status files. */
void answerer_refresh(struct answerer *a, int64_t now);

enum answer_kind {
	ANSWER_ERROR,		/* an unsuccessful OCSP response: never cached */
	ANSWER_CACHEABLE,	/* meta holds the caching headers */
	ANSWER_NO_STORE,	/* signed for this request (a nonce): never cached */
};

/* Where an answer came from, for metrics and the access log. */
enum answer_source {
	ANSWER_SRC_NONE,	/* no lookup: malformed, or an error before one */
	ANSWER_SRC_TREE,
	ANSWER_SRC_ONLINE,	/* signed for this request */
	ANSWER_SRC_ONLINE_CACHE,
	ANSWER_SRC_NOT_FOUND,	/* nothing for it: unauthorized */
	ANSWER_SRC_STALE,	/* the tree's file was past nextUpdate: tryLater */
};

struct answer_info {
	enum answer_source source;
	int signed_online;		/* a signature was made for this request */
	int sign_error;			/* online signing failed */
	int status_unavailable;		/* online: no status data (tryLater) */
	uint64_t sign_us;		/* time online_sign took */
	int has_id;			/* the request parsed: id is its first CertID */
	struct req_certid id;
};

struct answer {
	enum answer_kind kind;
	const uint8_t *der;		/* what the client receives */
	size_t len;
	const struct signed_response *resp;	/* ANSWER_CACHEABLE: bytes and times */
	enum response_error error;	/* ANSWER_ERROR */
	/* ANSWER_CACHEABLE for one CertID: the one it answers, for the cache
	 * tags (purge.h) a CDN purges it by; tagged 0 otherwise. */
	int tagged;
	struct req_certid id;
	/* References held until answer_release. */
	const struct signed_response *tree_ref;
	const struct signed_response *online_ref;
	struct answer_info info;
};

/* Recently parsed requests: clients and caches send byte-identical
 * requests for one certificate (no nonce, one CertID), and recognising
 * them by their bytes (the POST body, or the raw GET path) saves the
 * decoding, the largest cost of an answer. Only such requests are kept;
 * anything else is always decoded. */
#define ANSWER_MEMO_SLOTS 8
#define ANSWER_MEMO_KEY_MAX 256

/* Per-thread working storage of the answer functions, kept off the small
 * worker stacks. Zero-initialise it; never share it between threads. What
 * every request touches comes first and the large arrays last, so that a
 * worker that answers the usual one-CertID GET touches few pages of it. */
struct answer_scratch {
	struct online_worker online;
	struct signed_response local;		/* an uncached online answer */
	struct {
		uint8_t kind;			/* 0: empty */
		uint16_t len;
		uint8_t key[ANSWER_MEMO_KEY_MAX];
		struct req_certid id;
	} memo[ANSWER_MEMO_SLOTS];
	struct answer_info info;		/* of the answer being decided */
	uint8_t der[GET_PATH_MAX];		/* a GET request, decoded */
	struct ocsp_request req;
};

/* Answers der (a POST body: len bytes, untrusted, at most REQUEST_MAX_DER)
 * at time now. Never fails: every outcome is an answer. */
void answer_request(struct answerer *a, const uint8_t *der, size_t len, int64_t now,
    struct answer_scratch *s, struct answer *out);

/* Answers a GET (RFC 6960 A.1): path is the raw request path, still
 * percent-encoded, prefix the configured path prefix. Returns -1, without
 * an answer, when the path is no OCSP request at all (HTTP 404). */
int answer_get(struct answerer *a, const char *path, size_t len, const char *prefix,
    int64_t now, struct answer_scratch *s, struct answer *out);

void answer_release(struct answerer *a, struct answer *ans);

/* Says that the bytes of ans (held, not yet released) were found changed
 * since they were checked: a tree file is read again by the next lookup. */
void answer_distrust(struct answerer *a, const struct answer *ans);

/* Frees what a thread's scratch acquired (signing contexts). */
void answer_scratch_fini(struct answer_scratch *s);

#endif
