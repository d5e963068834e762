#include "answer.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocsp/bytehash.h"
#include "ocsp/ca.h"
#include "ocsp/config.h"
#include "ocsp/hex.h"
#include "ocsp/log.h"
#include "ocsp/ratelimit.h"
#include "ocsp/serial.h"
#include "ocsp/tree_reader.h"

#include "metrics.h"
#include "online_cache.h"

/* A few warnings of a kind per window: a stale tree or a broken file is
 * hit by every request for it. Problems in the tree are each found once
 * per file, so a few more of them get through. */
#define STALE_BURST 1
#define TREE_BURST 5

struct answerer {
	struct tree_reader *tree;	/* NULL: no tree (online only) */
	struct online *online;		/* the configured CAs */
	struct online_cache *cache;	/* online answers without nonce */
	size_t max_certs;
	int stale;			/* enum answer_stale */
	atomic_uint_fast64_t tree_errors;
	struct bytehash_key memo_key;	/* requests are remembered by their bytes */
	struct ratelimit stale_warn;
	struct ratelimit tree_warn;
	struct ratelimit sign_warn;
};

static void on_tree_warning(void *arg, const char *msg)
{
	struct answerer *a = arg;
	unsigned long skipped = 0;

	char more[64];

	atomic_fetch_add_explicit(&a->tree_errors, 1, memory_order_relaxed);
	if (ratelimit_pass(&a->tree_warn, (int64_t)time(NULL), &skipped))
		log_warn("tree: %s%s", msg, ratelimit_held_back(more, sizeof(more), skipped));
}

int answerer_new(const struct answerer_opts *o, struct answerer **out, struct err *e)
{
	struct answerer *a = calloc(1, sizeof(*a));
	struct tree_reader_opts to = {
		.root = o->tree,
		.cache_entries = o->cache_entries,
		.reload_interval = o->reload_interval,
		.warn = on_tree_warning,
		.warn_arg = a,
	};

	*out = NULL;
	if (a == NULL)
		return err_set(e, "out of memory");
	a->max_certs = o->max_certs;
	a->stale = o->stale;
	atomic_init(&a->tree_errors, 0);
	ratelimit_init(&a->stale_warn, STALE_BURST);
	ratelimit_init(&a->tree_warn, TREE_BURST);
	ratelimit_init(&a->sign_warn, STALE_BURST);
	if (bytehash_key_random(&a->memo_key, e) != 0 ||
	    (o->tree != NULL && tree_reader_open(&to, &a->tree, e) != 0) ||
	    online_new(o->config, o->tree, 0, &a->online, e) != 0 ||
	    online_cache_new(o->online_cache_entries, &a->cache, e) != 0) {
		answerer_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

void answerer_free(struct answerer *a)
{
	if (a == NULL)
		return;
	tree_reader_close(a->tree);
	online_cache_free(a->cache);
	online_free(a->online);
	ratelimit_fini(&a->stale_warn);
	ratelimit_fini(&a->tree_warn);
	ratelimit_fini(&a->sign_warn);
	free(a);
}

struct tree_reader *answerer_tree(struct answerer *a)
{
	return a->tree;
}

uint64_t answerer_tree_errors(struct answerer *a)
{
	return atomic_load_explicit(&a->tree_errors, memory_order_relaxed);
}

void answerer_refresh(struct answerer *a, int64_t now)
{
	if (a->tree != NULL)
		tree_reader_refresh(a->tree, now);
	online_refresh(a->online, now);
}

static void answer_error(struct answer *out, enum response_error status)
{
	memset(out, 0, sizeof(*out));
	out->kind = ANSWER_ERROR;
	out->error = status;
	out->der = response_error_der(status, &out->len);
}

static void answer_malformed(struct answer *out)
{
	answer_error(out, RESPONSE_MALFORMED);
}

static void warn_stale(struct answerer *a, const struct req_certid *id, int64_t now)
{
	char serial[SERIAL_NAME_MAX + 1], key[2 * HASH_MAX_LEN + 1], more[64];
	unsigned long skipped = 0;

	if (!ratelimit_pass(&a->stale_warn, now, &skipped))
		return;
	serial_name(&id->serial, serial);
	hex_lower(key, id->key_hash, hash_len(id->alg));
	log_warn("the pre-signed response for serial %s (issuer key %s %s) is past its "
	    "nextUpdate; answering tryLater until the publisher replaces it%s", serial,
	    hash_name(id->alg), key, ratelimit_held_back(more, sizeof(more), skipped));
}

/* Offline answers for what the tree cannot answer and no key online can
 * sign: unauthorized for what this responder has nothing for (RFC 6960
 * 2.3), tryLater for an expired pre-signed response (it is being
 * refreshed) or a good file caught being rewritten in place, internalError
 * for a broken file (the tree reader warned). */
static void answer_offline(struct answerer *a, const struct req_certid *id,
    enum tree_lookup r, int64_t now, struct answer_info *info, struct answer *out)
{
	switch (r) {
	case TREE_STALE:
		info->source = ANSWER_SRC_STALE;
		warn_stale(a, id, now);
		answer_error(out, RESPONSE_TRY_LATER);
		return;
	case TREE_CHANGING:
		answer_error(out, RESPONSE_TRY_LATER);
		return;
	case TREE_BAD_FILE:
		answer_error(out, RESPONSE_INTERNAL_ERROR);
		return;
	default:
		info->source = ANSWER_SRC_NOT_FOUND;
		answer_error(out, RESPONSE_UNAUTHORIZED);
		return;
	}
}

static void answer_cacheable(struct answer *out, const struct signed_response *resp)
{
	memset(out, 0, sizeof(*out));
	out->kind = ANSWER_CACHEABLE;
	out->der = resp->der;
	out->len = resp->len;
	out->resp = resp;
}

enum memo_kind { MEMO_EMPTY, MEMO_DER, MEMO_GET_PATH };

static size_t memo_slot(const struct answerer *a, const void *key, size_t len)
{
	return bytehash_keyed(&a->memo_key, key, len) % ANSWER_MEMO_SLOTS;
}

static const struct req_certid *memo_find(const struct answerer *a,
    const struct answer_scratch *s, enum memo_kind kind, const void *key, size_t len)
{
	size_t slot;

	if (len == 0 || len > ANSWER_MEMO_KEY_MAX)
		return NULL;
	slot = memo_slot(a, key, len);
	if (s->memo[slot].kind != kind || s->memo[slot].len != len ||
	    memcmp(s->memo[slot].key, key, len) != 0)
		return NULL;
	return &s->memo[slot].id;
}

static void memo_put(const struct answerer *a, struct answer_scratch *s,
    enum memo_kind kind, const void *key, size_t len, const struct req_certid *id)
{
	size_t slot;

	if (len == 0 || len > ANSWER_MEMO_KEY_MAX)
		return;
	slot = memo_slot(a, key, len);
	s->memo[slot].kind = (uint8_t)kind;
	s->memo[slot].len = (uint16_t)len;
	memcpy(s->memo[slot].key, key, len);
	s->memo[slot].id = *id;
}

/* Parses der into s->req. Returns 0, or -1 with *out filled when the
 * request is malformed. *memo says whether the request may be recognised
 * by its bytes next time: a nonce or a signature is for whoever answers
 * online to look at, and several CertIDs never go there. */
static int request_decode(struct answerer *a, const uint8_t *der, size_t len,
    struct answer_scratch *s, struct answer *out, int *memo)
{
	struct ocsp_request *req = &s->req;
	struct err e;
	int pr = request_parse(der, len, a->max_certs, req, &e);

	*memo = 0;
	/* Over max_certs is refused as malformed, as the key documents. */
	if (pr != REQUEST_OK) {
		log_debug("malformed request: %s", e.msg);
		answer_error(out, RESPONSE_MALFORMED);
		return -1;
	}
	*memo = req->n == 1 && !req->has_nonce && !req->is_signed;
	return 0;
}

/* A remembered request is one CertID, no nonce, no signature. */
static void request_from_memo(struct answer_scratch *s, const struct req_certid *id)
{
	s->req.n = 1;
	s->req.id[0] = *id;
	s->req.has_nonce = 0;
	s->req.nonce_len = 0;
	s->req.is_signed = 0;
	s->req.signed_req = NULL;
}

/* The one CA every CertID of req names, or NULL (several CAs or none). */
static const struct online_ca *request_ca(struct answerer *a, const struct ocsp_request *req)
{
	const struct online_ca *oc = online_find(a->online, &req->id[0]);

	for (size_t i = 1; oc != NULL && i < req->n; i++)
		if (online_find(a->online, &req->id[i]) != oc)
			return NULL;
	return oc;
}

/* sig_required (RFC 6960 4.2.2.3): an unsigned request gets sigRequired,
 * one whose signature does not verify with a trusted requestor gets
 * unauthorized. */
static int signature_refused(const struct online_ca *oc, const struct ocsp_request *req,
    struct answer *out)
{
	struct err e;

	if (oc == NULL || !oc->conf->sig_required)
		return 0;
	if (!req->is_signed) {
		answer_error(out, RESPONSE_SIG_REQUIRED);
		return 1;
	}
	if (request_verify(req, oc->requestors, &e))
		return 0;
	log_debug("ca %s: %s", oc->conf->name, e.msg);
	answer_error(out, RESPONSE_UNAUTHORIZED);
	return 1;
}

static void warn_signing(struct answerer *a, const struct online_ca *oc, int64_t now,
    const char *why)
{
	char more[64];
	unsigned long skipped = 0;

	if (ratelimit_pass(&a->sign_warn, now, &skipped))
		log_error("ca %s: online signing failed: %s; answering from the tree while it "
		    "fails%s", oc->conf->name, why, ratelimit_held_back(more, sizeof(more), skipped));
}

/* online_sign, and how long it took (for the signing latency metric). */
static enum online_status sign_timed(const struct online_ca *oc,
    const struct ocsp_request *req, int64_t now, struct answer_scratch *s,
    struct online_answer *on, struct err *e)
{
	uint64_t t0 = metrics_now_us();
	enum online_status r = online_sign(oc, req, now, &s->online, on, e);

	s->info.sign_us = metrics_now_us() - t0;
	s->info.signed_online = r == ONLINE_SIGNED;
	return r;
}

/* Signs (or takes from the cache) an answer for req, whose CertIDs all
 * name oc, a CA with its key online. Returns -1, with nothing in out,
 * when signing failed (logged): the caller answers as without a key. */
static int answer_online(struct answerer *a, const struct online_ca *oc,
    struct answer_scratch *s, int64_t now, struct answer *out)
{
	const struct ocsp_request *req = &s->req;
	uint64_t epoch = online_epoch(oc);
	const struct signed_response *hit;
	struct online_answer on;
	struct err e;

	if (!req->has_nonce && (hit = online_cache_get(a->cache, req, epoch, now)) != NULL) {
		s->info.source = ANSWER_SRC_ONLINE_CACHE;
		answer_cacheable(out, hit);
		out->online_ref = hit;
		return 0;
	}
	switch (sign_timed(oc, req, now, s, &on, &e)) {
	case ONLINE_UNAUTHORIZED:
		s->info.source = ANSWER_SRC_NOT_FOUND;
		answer_error(out, RESPONSE_UNAUTHORIZED);
		return 0;
	case ONLINE_TRY_LATER:
		s->info.status_unavailable = 1;
		answer_error(out, RESPONSE_TRY_LATER);
		return 0;
	case ONLINE_ERROR:
		s->info.sign_error = 1;
		warn_signing(a, oc, now, e.msg);
		return -1;
	case ONLINE_SIGNED:
		s->info.source = ANSWER_SRC_ONLINE;
		break;
	}
	if (req->has_nonce) {
		memset(out, 0, sizeof(*out));
		out->kind = ANSWER_NO_STORE;
		out->der = on.der;
		out->len = on.len;
		return 0;
	}
	hit = online_cache_put(a->cache, req, on.epoch, on.der, on.len, on.this_update,
	    on.next_update, on.refresh_at);
	if (hit != NULL) {
		answer_cacheable(out, hit);
		out->online_ref = hit;
		return 0;
	}
	/* No cache: the same headers, from the worker's own copy. */
	if (signed_response_set(&s->local, on.der, on.len, on.this_update, on.next_update,
	    &e) != 0)
		answer_error(out, RESPONSE_INTERNAL_ERROR);
	else
		answer_cacheable(out, &s->local);
	return 0;
}

/* The tree's response for req's one CertID, when it has one: *r says
 * what the tree found. */
static int tree_answered(struct answerer *a, const struct ocsp_request *req, int64_t now,
    enum tree_lookup *r, struct answer_info *info, struct answer *out)
{
	const struct signed_response *resp = NULL;

	*r = TREE_NO_ISSUER;
	if (a->tree != NULL)
		*r = tree_reader_lookup(a->tree, &req->id[0], now, &resp);
	if (*r != TREE_FOUND)
		return 0;
	answer_cacheable(out, resp);
	info->source = ANSWER_SRC_TREE;
	out->tree_ref = resp;
	return 1;
}

/* Whether the tree's response may answer req's one CertID: unless the CA's
 * live source (a database) says otherwise than the status it was signed
 * from, and a key is online to say it instead. */
static int tree_current(const struct online_ca *oc, int key, const struct ocsp_request *req,
    int64_t now)
{
	if (!key || oc->view == NULL || !req->id[0].serial_ok)
		return 1;
	return status_view_tree_agrees(oc->view, &req->id[0].serial, now);
}

/* The decision, once the request is decoded into s->req:
 * - one CertID, and no nonce for a CA whose key is online: the tree first,
 *   if it agrees with the CA's live source when it has one;
 * - what the tree cannot answer, a nonce, several CertIDs: signed online
 *   when the CA's key is online;
 * - otherwise the offline answer. Without a key online a nonce request
 *   gets the pre-signed response; the client decides whether it insists. */
static void answer_decoded(struct answerer *a, struct answer_scratch *s, int64_t now,
    struct answer *out)
{
	const struct ocsp_request *req = &s->req;
	const struct online_ca *oc = request_ca(a, req);
	int key = oc != NULL && ca_signer_now(oc->ca) != NULL;
	enum tree_lookup r = TREE_NO_ISSUER;

	if (signature_refused(oc, req, out))
		return;
	if (req->n == 1 && !(req->has_nonce && key) && tree_current(oc, key, req, now) &&
	    tree_answered(a, req, now, &r, &s->info, out))
		goto tag;
	/* A file past nextUpdate is never served; the policy says whether a
	 * key online signs in its place. */
	if (r == TREE_STALE && (!key || a->stale == ANSWER_STALE_TRYLATER)) {
		answer_offline(a, &req->id[0], r, now, &s->info, out);
		return;
	}
	if (key && answer_online(a, oc, s, now, out) == 0)
		goto tag;
	if (key) {
		/* Signing failed (a token gone): the tree's response when it has
		 * one (the nonce is the client's to insist on), else tryLater,
		 * never unauthorized for what the CA could answer a moment ago. */
		if (req->n == 1 && req->has_nonce && tree_answered(a, req, now, &r, &s->info,
		    out))
			return;
		answer_error(out, RESPONSE_TRY_LATER);
		return;
	}
	if (req->n == 1) {
		answer_offline(a, &req->id[0], r, now, &s->info, out);
	} else {
		s->info.source = ANSWER_SRC_NOT_FOUND;
		answer_error(out, RESPONSE_UNAUTHORIZED);
	}
	return;
tag:
	if (out->kind == ANSWER_CACHEABLE && req->n == 1 && req->id[0].alg >= 0 &&
	    req->id[0].serial_ok) {
		out->tagged = 1;
		out->id = req->id[0];
	}
}

static void info_reset(struct answer_info *info)
{
	info->source = ANSWER_SRC_NONE;
	info->signed_online = 0;
	info->sign_error = 0;
	info->status_unavailable = 0;
	info->sign_us = 0;
	info->has_id = 0;
}

/* The decision, and what it was made from, for metrics and the access
 * log (out's info: the answer functions above clear out as they fill it). */
static void answer_decoded_noted(struct answerer *a, struct answer_scratch *s, int64_t now,
    struct answer *out)
{
	answer_decoded(a, s, now, out);
	if (s->req.n > 0) {
		s->info.has_id = 1;
		s->info.id = s->req.id[0];
	}
	out->info = s->info;
}

void answer_request(struct answerer *a, const uint8_t *der, size_t len, int64_t now,
    struct answer_scratch *s, struct answer *out)
{
	const struct req_certid *id = memo_find(a, s, MEMO_DER, der, len);
	int memo;

	info_reset(&s->info);
	if (id != NULL) {
		request_from_memo(s, id);
	} else {
		if (request_decode(a, der, len, s, out, &memo) != 0)
			return;
		if (memo)
			memo_put(a, s, MEMO_DER, der, len, &s->req.id[0]);
	}
	answer_decoded_noted(a, s, now, out);
	request_release(&s->req);
}

int answer_get(struct answerer *a, const char *path, size_t len, const char *prefix,
    int64_t now, struct answer_scratch *s, struct answer *out)
{
	const struct req_certid *id = memo_find(a, s, MEMO_GET_PATH, path, len);
	size_t n = 0;
	int g, memo;

	info_reset(&s->info);
	if (id != NULL) {
		request_from_memo(s, id);
	} else {
		g = get_path_decode(path, len, prefix, s->der, sizeof(s->der), &n);
		if (g == GET_PATH_NOT_REQUEST)
			return -1;
		if (g != GET_PATH_OK) {
			answer_malformed(out);
			return 0;
		}
		if (request_decode(a, s->der, n, s, out, &memo) != 0)
			return 0;
		if (memo)
			memo_put(a, s, MEMO_GET_PATH, path, len, &s->req.id[0]);
	}
	answer_decoded_noted(a, s, now, out);
	request_release(&s->req);
	return 0;
}

void answer_release(struct answerer *a, struct answer *ans)
{
	if (ans->tree_ref != NULL)
		tree_reader_release(a->tree, ans->tree_ref);
	if (ans->online_ref != NULL)
		online_cache_release(a->cache, ans->online_ref);
	memset(ans, 0, sizeof(*ans));
}

void answer_distrust(struct answerer *a, const struct answer *ans)
{
	if (ans->tree_ref != NULL)
		tree_reader_distrust(a->tree, ans->tree_ref);
}

void answer_scratch_fini(struct answer_scratch *s)
{
	online_worker_fini(&s->online);
}
