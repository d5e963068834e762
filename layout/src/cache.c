#include "ocsp/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ocsp/bytehash.h"

/* Buckets a shard starts with; they double as entries arrive. */
#define FIRST_BUCKETS 16
/* The low bits of a hash choose the shard, the ones above the bucket. */
#define SHARD_BITS 6

struct shard {
	_Alignas(64) pthread_mutex_t lock;
	struct cache_node **bucket;
	size_t nbuckets;		/* a power of two */
	size_t max_buckets;
	struct cache_node lru;		/* sentinel: lru_next is the most recent */
	size_t count, cap;
};

struct cache {
	struct bytehash_key key;
	cache_destroy_fn *destroy;
	size_t capacity;
	size_t nshards;
	atomic_size_t count;
	struct shard *shards;
};

_Static_assert(CACHE_MAX_SHARDS <= 1u << SHARD_BITS, "shard bits");

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p *= 2;
	return p;
}

static struct shard *shard_of(const struct cache *c, uint64_t h)
{
	return &c->shards[h & (c->nshards - 1)];
}

static struct cache_node **bucket_of(struct shard *sh, uint64_t h)
{
	return &sh->bucket[(h >> SHARD_BITS) & (sh->nbuckets - 1)];
}

static struct cache_node *shard_find(struct shard *sh, const void *key, size_t len,
    uint64_t h)
{
	for (struct cache_node *n = *bucket_of(sh, h); n != NULL; n = n->chain)
		if (n->hash == h && n->key_len == len && memcmp(n->key, key, len) == 0)
			return n;
	return NULL;
}

static void lru_unlink(struct cache_node *n)
{
	n->lru_prev->lru_next = n->lru_next;
	n->lru_next->lru_prev = n->lru_prev;
}

static void lru_front(struct shard *sh, struct cache_node *n)
{
	n->lru_next = sh->lru.lru_next;
	n->lru_prev = &sh->lru;
	sh->lru.lru_next->lru_prev = n;
	sh->lru.lru_next = n;
}

/* Takes n out of the shard; the caller drops the cache's reference once
 * the lock is released. */
static void shard_unlink(struct cache *c, struct shard *sh, struct cache_node *n)
{
	struct cache_node **pp = bucket_of(sh, n->hash);

	while (*pp != n)
		pp = &(*pp)->chain;
	*pp = n->chain;
	lru_unlink(n);
	n->linked = 0;
	sh->count--;
	atomic_fetch_sub_explicit(&c->count, 1, memory_order_relaxed);
}

/* Doubles the buckets when there are more entries than buckets. Out of
 * memory only leaves the chains longer. */
static void shard_grow(struct shard *sh)
{
	size_t n = sh->nbuckets * 2;
	struct cache_node **b, **old = sh->bucket;

	if (sh->count <= sh->nbuckets || sh->nbuckets >= sh->max_buckets)
		return;
	b = calloc(n, sizeof(*b));
	if (b == NULL)
		return;
	sh->bucket = b;
	sh->nbuckets = n;
	for (size_t i = 0; i < n / 2; i++) {
		struct cache_node *e = old[i], *next;
		for (; e != NULL; e = next) {
			struct cache_node **to = bucket_of(sh, e->hash);
			next = e->chain;
			e->chain = *to;
			*to = e;
		}
	}
	free(old);
}

static void shard_link(struct cache *c, struct shard *sh, struct cache_node *n)
{
	struct cache_node **b = bucket_of(sh, n->hash);

	atomic_fetch_add_explicit(&n->refs, 1, memory_order_relaxed);
	n->chain = *b;
	*b = n;
	lru_front(sh, n);
	n->linked = 1;
	sh->count++;
	atomic_fetch_add_explicit(&c->count, 1, memory_order_relaxed);
	shard_grow(sh);
}

uint64_t cache_hash(const struct cache *c, const void *key, size_t len)
{
	return bytehash_keyed(&c->key, key, len);
}

void cache_node_init(struct cache_node *n, const void *key, size_t len, uint64_t hash)
{
	memset(n, 0, sizeof(*n));
	n->key = key;
	n->key_len = len;
	n->hash = hash;
	atomic_init(&n->refs, 1);
}

struct cache_node *cache_get(struct cache *c, const void *key, size_t len, uint64_t hash)
{
	struct shard *sh = shard_of(c, hash);
	struct cache_node *n;

	pthread_mutex_lock(&sh->lock);
	n = shard_find(sh, key, len, hash);
	if (n != NULL) {
		atomic_fetch_add_explicit(&n->refs, 1, memory_order_relaxed);
		lru_unlink(n);
		lru_front(sh, n);
	}
	pthread_mutex_unlock(&sh->lock);
	return n;
}

struct cache_node *cache_insert(struct cache *c, struct cache_node *fresh,
    cache_keep_fn *keep, void *arg)
{
	struct shard *sh = shard_of(c, fresh->hash);
	struct cache_node *cur, *victim = NULL;

	pthread_mutex_lock(&sh->lock);
	cur = shard_find(sh, fresh->key, fresh->key_len, fresh->hash);
	if (cur != NULL && keep != NULL && keep(cur, fresh, arg)) {
		atomic_fetch_add_explicit(&cur->refs, 1, memory_order_relaxed);
		lru_unlink(cur);
		lru_front(sh, cur);
		pthread_mutex_unlock(&sh->lock);
		cache_release(c, fresh);
		return cur;
	}
	if (cur != NULL)
		shard_unlink(c, sh, cur);
	else if (sh->count >= sh->cap && (victim = sh->lru.lru_prev) != &sh->lru)
		shard_unlink(c, sh, victim);
	else
		victim = NULL;
	shard_link(c, sh, fresh);
	pthread_mutex_unlock(&sh->lock);
	cache_release(c, cur);
	cache_release(c, victim);
	return fresh;
}

void cache_remove(struct cache *c, struct cache_node *n)
{
	struct shard *sh = shard_of(c, n->hash);
	int was = 0;

	pthread_mutex_lock(&sh->lock);
	if (n->linked) {
		shard_unlink(c, sh, n);
		was = 1;
	}
	pthread_mutex_unlock(&sh->lock);
	if (was)
		cache_release(c, n);
}

void cache_release(struct cache *c, struct cache_node *n)
{
	if (n != NULL && atomic_fetch_sub_explicit(&n->refs, 1, memory_order_acq_rel) == 1)
		c->destroy(n);
}

size_t cache_count(const struct cache *c)
{
	return atomic_load_explicit(&c->count, memory_order_relaxed);
}

size_t cache_capacity(const struct cache *c)
{
	return c->capacity;
}

static int shards_init(struct cache *c, struct err *e)
{
	size_t per;

	c->nshards = 1;
	while (c->nshards < CACHE_MAX_SHARDS &&
	    c->capacity / (c->nshards * 2) >= CACHE_MIN_PER_SHARD)
		c->nshards *= 2;
	per = (c->capacity + c->nshards - 1) / c->nshards;
	c->shards = aligned_alloc(64, c->nshards * sizeof(*c->shards));
	if (c->shards == NULL)
		return err_set(e, "out of memory");
	memset(c->shards, 0, c->nshards * sizeof(*c->shards));
	for (size_t i = 0; i < c->nshards; i++) {
		struct shard *sh = &c->shards[i];
		pthread_mutex_init(&sh->lock, NULL);
		sh->lru.lru_next = sh->lru.lru_prev = &sh->lru;
		sh->cap = per;
		sh->max_buckets = pow2_at_least(per);
		sh->nbuckets = sh->max_buckets < FIRST_BUCKETS ? sh->max_buckets : FIRST_BUCKETS;
		sh->bucket = calloc(sh->nbuckets, sizeof(*sh->bucket));
		if (sh->bucket == NULL)
			return err_set(e, "out of memory");
	}
	return 0;
}

int cache_new(const struct cache_opts *o, struct cache **out, struct err *e)
{
	struct cache *c;

	*out = NULL;
	if (o->capacity < 1 || o->destroy == NULL)
		return err_set(e, "cache: no capacity or no destroy function");
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return err_set(e, "out of memory");
	c->capacity = o->capacity;
	c->destroy = o->destroy;
	atomic_init(&c->count, 0);
	if (bytehash_key_random(&c->key, e) != 0 || shards_init(c, e) != 0) {
		cache_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; c->shards != NULL && i < c->nshards; i++) {
		struct shard *sh = &c->shards[i];
		while (sh->bucket != NULL && sh->lru.lru_next != &sh->lru) {
			struct cache_node *n = sh->lru.lru_next;
			shard_unlink(c, sh, n);
			cache_release(c, n);
		}
		free(sh->bucket);
		pthread_mutex_destroy(&sh->lock);
	}
	free(c->shards);
	free(c);
}
