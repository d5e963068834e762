#include "answer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocsp/log.h"
#include "ocsp/serial.h"

/* A few warnings of a kind per WARN_EVERY seconds: a stale tree or a
 * broken file is hit by every request for it, and the log must stay
 * readable. Problems in the tree are each found once per file, so a few
 * more of them get through. */
#define WARN_EVERY 10
#define STALE_BURST 1
#define TREE_BURST 5

struct ratelimit {
	pthread_mutex_t lock;
	unsigned burst;			/* warnings allowed per window */
	int64_t window;			/* start of the current window */
	unsigned used;			/* warnings logged in it */
	unsigned long skipped;		/* held back since the last one logged */
};

struct answerer {
	struct tree_reader *tree;
	size_t max_certs;
	struct ratelimit stale_warn;
	struct ratelimit tree_warn;
};

/* Why the tree could not answer: what the online signer will look at. */
enum no_tree {
	NO_TREE_SEVERAL,	/* more than one CertID */
	NO_TREE_ISSUER,
	NO_TREE_HASH,
	NO_TREE_SERIAL,
	NO_TREE_STALE,
	NO_TREE_BAD_FILE,
};

static void ratelimit_init(struct ratelimit *rl, unsigned burst)
{
	pthread_mutex_init(&rl->lock, NULL);
	rl->burst = burst;
	rl->window = INT64_MIN / 2;
}

/* Returns 1 when a message may be logged now; *skipped gets how many were
 * held back since the last one. Only reached when something is wrong, so
 * a lock costs nothing that matters. */
static int ratelimit_pass(struct ratelimit *rl, int64_t now, unsigned long *skipped)
{
	int pass;

	pthread_mutex_lock(&rl->lock);
	if (now - rl->window >= WARN_EVERY || now < rl->window) {
		rl->window = now;
		rl->used = 0;
	}
	pass = rl->used < rl->burst;
	if (pass) {
		rl->used++;
		*skipped = rl->skipped;
		rl->skipped = 0;
	} else {
		rl->skipped++;
	}
	pthread_mutex_unlock(&rl->lock);
	return pass;
}

/* " (N similar warnings held back)", or nothing. */
static const char *held_back(char *buf, size_t size, unsigned long skipped)
{
	buf[0] = '\0';
	if (skipped > 0)
		snprintf(buf, size, " (%lu similar warnings held back)", skipped);
	return buf;
}

static void on_tree_warning(void *arg, const char *msg)
{
	struct answerer *a = arg;
	unsigned long skipped = 0;

	char more[64];

	if (ratelimit_pass(&a->tree_warn, (int64_t)time(NULL), &skipped))
		log_warn("tree: %s%s", msg, held_back(more, sizeof(more), skipped));
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
	ratelimit_init(&a->stale_warn, STALE_BURST);
	ratelimit_init(&a->tree_warn, TREE_BURST);
	if (tree_reader_open(&to, &a->tree, e) != 0) {
		free(a);
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
	pthread_mutex_destroy(&a->stale_warn.lock);
	pthread_mutex_destroy(&a->tree_warn.lock);
	free(a);
}

struct tree_reader *answerer_tree(struct answerer *a)
{
	return a->tree;
}

static void answer_error(struct answer *out, enum response_error status)
{
	out->presigned = NULL;
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
	    hash_name(id->alg), key, held_back(more, sizeof(more), skipped));
}

/* Where the tree cannot answer. Online signing (a later issue) belongs
 * here: with a signer for the issuer and its status index it will sign
 * what the tree lacks. Until then: unauthorized for what this responder
 * has nothing for (RFC 6960 2.3), tryLater for an expired pre-signed
 * response (it is being refreshed), internalError for a broken file.
 * id is the request's only CertID, NULL when it has several. */
static void answer_without_tree(struct answerer *a, const struct req_certid *id,
    enum no_tree why, int64_t now, struct answer *out)
{
	switch (why) {
	case NO_TREE_STALE:
		warn_stale(a, id, now);
		answer_error(out, RESPONSE_TRY_LATER);
		return;
	case NO_TREE_BAD_FILE:
		/* The tree reader warned when it refused the file. */
		answer_error(out, RESPONSE_INTERNAL_ERROR);
		return;
	default:
		answer_error(out, RESPONSE_UNAUTHORIZED);
		return;
	}
}

static enum no_tree no_tree_reason(enum tree_lookup r)
{
	switch (r) {
	case TREE_NO_ISSUER: return NO_TREE_ISSUER;
	case TREE_NO_HASH: return NO_TREE_HASH;
	case TREE_STALE: return NO_TREE_STALE;
	case TREE_BAD_FILE: return NO_TREE_BAD_FILE;
	default: return NO_TREE_SERIAL;
	}
}

enum memo_kind { MEMO_EMPTY, MEMO_DER, MEMO_GET_PATH };

static size_t memo_slot(const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	return (h ^ h >> 16) % ANSWER_MEMO_SLOTS;
}

static const struct req_certid *memo_find(const struct answer_scratch *s,
    enum memo_kind kind, const void *key, size_t len)
{
	size_t slot;

	if (len == 0 || len > ANSWER_MEMO_KEY_MAX)
		return NULL;
	slot = memo_slot(key, len);
	if (s->memo[slot].kind != kind || s->memo[slot].len != len ||
	    memcmp(s->memo[slot].key, key, len) != 0)
		return NULL;
	return &s->memo[slot].id;
}

static void memo_put(struct answer_scratch *s, enum memo_kind kind, const void *key,
    size_t len, const struct req_certid *id)
{
	size_t slot;

	if (len == 0 || len > ANSWER_MEMO_KEY_MAX)
		return;
	slot = memo_slot(key, len);
	s->memo[slot].kind = (uint8_t)kind;
	s->memo[slot].len = (uint16_t)len;
	memcpy(s->memo[slot].key, key, len);
	s->memo[slot].id = *id;
}

/* Parses der. Returns its only CertID, or NULL with *out filled when the
 * request is answered already (malformed, several CertIDs). *memo says
 * whether the request may be recognised by its bytes next time: a nonce
 * or a signature is for whoever answers online to look at. */
static const struct req_certid *request_certid(struct answerer *a, const uint8_t *der,
    size_t len, int64_t now, struct answer_scratch *s, struct answer *out, int *memo)
{
	struct ocsp_request *req = &s->req;
	struct err e;
	int pr = request_parse(der, len, a->max_certs, req, &e);

	*memo = 0;
	/* Over max_certs is refused as malformed, as the key documents. */
	if (pr != REQUEST_OK) {
		log_debug("malformed request: %s", e.msg);
		answer_error(out, RESPONSE_MALFORMED);
		return NULL;
	}
	/* A pre-signed file holds exactly one SingleResponse. */
	if (req->n != 1) {
		answer_without_tree(a, NULL, NO_TREE_SEVERAL, now, out);
		return NULL;
	}
	*memo = !req->has_nonce && !req->is_signed;
	return &req->id[0];
}

/* A nonce does not stop the pre-signed answer: the client decides whether
 * it insists on one. */
static void answer_certid(struct answerer *a, const struct req_certid *id, int64_t now,
    struct answer *out)
{
	const struct tree_response *resp = NULL;
	enum tree_lookup r = tree_reader_lookup(a->tree, id, now, &resp);

	if (r != TREE_FOUND) {
		answer_without_tree(a, id, no_tree_reason(r), now, out);
		return;
	}
	out->presigned = resp;
	out->der = resp->der;
	out->len = resp->len;
	out->error = 0;
}

void answer_request(struct answerer *a, const uint8_t *der, size_t len, int64_t now,
    struct answer_scratch *s, struct answer *out)
{
	const struct req_certid *id = memo_find(s, MEMO_DER, der, len);
	int memo;

	if (id == NULL) {
		id = request_certid(a, der, len, now, s, out, &memo);
		if (id == NULL)
			return;
		if (memo)
			memo_put(s, MEMO_DER, der, len, id);
	}
	answer_certid(a, id, now, out);
}

int answer_get(struct answerer *a, const char *path, size_t len, const char *prefix,
    int64_t now, struct answer_scratch *s, struct answer *out)
{
	const struct req_certid *id = memo_find(s, MEMO_GET_PATH, path, len);
	size_t n = 0;
	int g, memo;

	if (id == NULL) {
		g = get_path_decode(path, len, prefix, s->der, sizeof(s->der), &n);
		if (g == GET_PATH_NOT_REQUEST)
			return -1;
		if (g != GET_PATH_OK) {
			answer_malformed(out);
			return 0;
		}
		id = request_certid(a, s->der, n, now, s, out, &memo);
		if (id == NULL)
			return 0;
		if (memo)
			memo_put(s, MEMO_GET_PATH, path, len, id);
	}
	answer_certid(a, id, now, out);
	return 0;
}

void answer_release(struct answerer *a, struct answer *ans)
{
	if (ans->presigned != NULL)
		tree_response_release(a->tree, ans->presigned);
	ans->presigned = NULL;
	ans->der = NULL;
	ans->len = 0;
}
