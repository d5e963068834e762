#include "online_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS 16
#define BUCKETS_PER_SHARD 1024
/* CertID key: algorithm, both hashes, serial length and serial. */
#define KEY_ONE (1 + 2 * HASH_MAX_LEN + 1 + SERIAL_MAX)
#define KEY_MAX (REQUEST_MAX_CERTS * KEY_ONE)

struct entry {
	struct tree_response resp;	/* first: callers see only this */
	atomic_int refs;		/* the cache's own plus each caller's */
	uint64_t hash;
	uint64_t epoch;
	int64_t refresh_at;
	struct entry *next;		/* bucket chain */
	struct entry *newer, *older;	/* LRU list */
	size_t key_len;
	uint8_t *key;
	uint8_t *der;
};

struct shard {
	pthread_mutex_t lock;
	struct entry *bucket[BUCKETS_PER_SHARD];
	struct entry *newest, *oldest;
	size_t count, cap;
};

struct online_cache {
	struct shard shard[SHARDS];
};

static size_t make_key(const struct ocsp_request *req, uint8_t *key)
{
	size_t o = 0;

	for (size_t i = 0; i < req->n; i++) {
		const struct req_certid *id = &req->id[i];
		size_t hl = hash_len(id->alg);
		key[o++] = (uint8_t)id->alg;
		memcpy(key + o, id->name_hash, hl);
		memcpy(key + o + hl, id->key_hash, hl);
		o += 2 * hl;
		key[o++] = id->serial.len;
		memcpy(key + o, id->serial.b, id->serial.len);
		o += id->serial.len;
	}
	return o;
}

static uint64_t key_hash(const uint8_t *key, size_t len)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

struct online_cache *online_cache_new(size_t entries)
{
	struct online_cache *c;

	if (entries == 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < SHARDS; i++) {
		pthread_mutex_init(&c->shard[i].lock, NULL);
		c->shard[i].cap = entries / SHARDS + 1;
	}
	return c;
}

static void entry_put(struct entry *e)
{
	if (atomic_fetch_sub(&e->refs, 1) != 1)
		return;
	free(e->key);
	free(e->der);
	free(e);
}

void online_cache_free(struct online_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < SHARDS; i++) {
		struct entry *e = c->shard[i].newest;
		while (e != NULL) {
			struct entry *next = e->older;
			entry_put(e);
			e = next;
		}
		pthread_mutex_destroy(&c->shard[i].lock);
	}
	free(c);
}

static void lru_unlink(struct shard *sh, struct entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		sh->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		sh->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void lru_front(struct shard *sh, struct entry *e)
{
	e->older = sh->newest;
	e->newer = NULL;
	if (sh->newest)
		sh->newest->newer = e;
	sh->newest = e;
	if (sh->oldest == NULL)
		sh->oldest = e;
}

/* Unlinks e from its bucket and the LRU list; the caller drops the
 * cache's reference (outside the lock when it can). */
static void shard_remove(struct shard *sh, struct entry *e)
{
	struct entry **p = &sh->bucket[e->hash % BUCKETS_PER_SHARD];

	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	lru_unlink(sh, e);
	sh->count--;
}

static struct entry *shard_find(struct shard *sh, uint64_t h, const uint8_t *key,
    size_t len)
{
	for (struct entry *e = sh->bucket[h % BUCKETS_PER_SHARD]; e; e = e->next)
		if (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0)
			return e;
	return NULL;
}

const struct tree_response *online_cache_get(struct online_cache *c,
    const struct ocsp_request *req, uint64_t epoch, int64_t now)
{
	uint8_t key[KEY_MAX];
	size_t len;
	uint64_t h;
	struct shard *sh;
	struct entry *e;

	if (c == NULL)
		return NULL;
	len = make_key(req, key);
	h = key_hash(key, len);
	sh = &c->shard[(h >> 32) % SHARDS];
	pthread_mutex_lock(&sh->lock);
	e = shard_find(sh, h, key, len);
	if (e != NULL && (e->epoch != epoch || now >= e->refresh_at)) {
		e = NULL;	/* stale: the next put replaces it */
	} else if (e != NULL) {
		atomic_fetch_add(&e->refs, 1);
		lru_unlink(sh, e);
		lru_front(sh, e);
	}
	pthread_mutex_unlock(&sh->lock);
	return e ? &e->resp : NULL;
}

static struct entry *entry_new(const uint8_t *key, size_t key_len, uint64_t h,
    uint64_t epoch, const uint8_t *der, size_t len, int64_t this_update,
    int64_t next_update, int64_t refresh_at)
{
	struct entry *e = calloc(1, sizeof(*e));
	struct err err;

	if (e == NULL || (e->key = malloc(key_len)) == NULL || (e->der = malloc(len)) == NULL)
		goto fail;
	memcpy(e->key, key, key_len);
	memcpy(e->der, der, len);
	e->key_len = key_len;
	e->hash = h;
	e->epoch = epoch;
	e->refresh_at = refresh_at;
	e->resp.der = e->der;
	e->resp.len = len;
	if (tree_response_describe(&e->resp, this_update, next_update, &err) != 0)
		goto fail;
	atomic_init(&e->refs, 2);	/* the cache's and the caller's */
	return e;
fail:
	if (e != NULL) {
		free(e->key);
		free(e->der);
	}
	free(e);
	return NULL;
}

const struct tree_response *online_cache_put(struct online_cache *c,
    const struct ocsp_request *req, uint64_t epoch, const uint8_t *der, size_t len,
    int64_t this_update, int64_t next_update, int64_t refresh_at)
{
	uint8_t key[KEY_MAX];
	size_t key_len;
	uint64_t h;
	struct shard *sh;
	struct entry *e, *old, *evicted = NULL;

	if (c == NULL)
		return NULL;
	key_len = make_key(req, key);
	h = key_hash(key, key_len);
	e = entry_new(key, key_len, h, epoch, der, len, this_update, next_update, refresh_at);
	if (e == NULL)
		return NULL;
	sh = &c->shard[(h >> 32) % SHARDS];
	pthread_mutex_lock(&sh->lock);
	old = shard_find(sh, h, key, key_len);
	if (old != NULL)
		shard_remove(sh, old);
	else if (sh->count >= sh->cap && (evicted = sh->oldest) != NULL)
		shard_remove(sh, evicted);
	e->next = sh->bucket[h % BUCKETS_PER_SHARD];
	sh->bucket[h % BUCKETS_PER_SHARD] = e;
	lru_front(sh, e);
	sh->count++;
	pthread_mutex_unlock(&sh->lock);
	if (old != NULL)
		entry_put(old);
	if (evicted != NULL)
		entry_put(evicted);
	return &e->resp;
}

void online_cache_release(struct online_cache *c, const struct tree_response *r)
{
	if (r != NULL)
		entry_put((struct entry *)(void *)r);
}
