/* The one cache: hits and misses on exact byte keys, least-recently-used
 * eviction, replacement and the keep rule, entries that outlive their
 * eviction while held, buckets that grow, and several threads at once. */
#include "ocsp/cache.h"

#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define MAGIC 0x0c5ca11e

struct item {
	struct cache_node node;
	unsigned magic;
	int value;
	uint8_t key[16];
};

static atomic_int live;

static struct item *item_of(struct cache_node *n)
{
	return (struct item *)((char *)n - offsetof(struct item, node));
}

static void destroy(struct cache_node *n)
{
	struct item *it = item_of(n);

	it->magic = 0;
	free(it);
	atomic_fetch_sub(&live, 1);
}

static size_t key_of(int k, uint8_t out[16])
{
	return (size_t)snprintf((char *)out, 16, "key%d", k);
}

static struct item *item_new(struct cache *c, int k, int value)
{
	struct item *it = calloc(1, sizeof(*it));
	size_t n;

	if (it == NULL)
		exit(2);
	n = key_of(k, it->key);
	it->magic = MAGIC;
	it->value = value;
	cache_node_init(&it->node, it->key, n, cache_hash(c, it->key, n));
	atomic_fetch_add(&live, 1);
	return it;
}

/* The value cached under k, or -1. */
static int lookup(struct cache *c, int k)
{
	uint8_t key[16];
	size_t n = key_of(k, key);
	struct cache_node *node = cache_get(c, key, n, cache_hash(c, key, n));
	int v;

	if (node == NULL)
		return -1;
	v = item_of(node)->magic == MAGIC ? item_of(node)->value : -2;
	cache_release(c, node);
	return v;
}

static void put(struct cache *c, int k, int value)
{
	struct item *it = item_new(c, k, value);

	cache_release(c, cache_insert(c, &it->node, NULL, NULL));
}

static struct cache *cache_of(size_t capacity)
{
	struct cache_opts o = { capacity, destroy };
	struct cache *c = NULL;
	struct err e;

	CHECK_EQ(cache_new(&o, &c, &e), 0);
	if (c == NULL)
		exit(2);
	return c;
}

static void test_basics(void)
{
	struct cache *c = cache_of(100);
	struct cache_opts none = { 0, destroy };
	struct cache *bad = NULL;
	struct err e;

	CHECK_EQ(cache_new(&none, &bad, &e), -1);
	CHECK(bad == NULL);
	CHECK_EQ(lookup(c, 1), -1);
	put(c, 1, 10);
	put(c, 2, 20);
	CHECK_EQ(lookup(c, 1), 10);
	CHECK_EQ(lookup(c, 2), 20);
	CHECK_EQ(lookup(c, 3), -1);
	CHECK_EQ(cache_count(c), 2);
	CHECK_EQ(cache_capacity(c), 100);

	/* A key is its bytes: a prefix is another key. */
	uint8_t k[16];
	size_t n = key_of(1, k);
	CHECK(cache_get(c, k, n - 1, cache_hash(c, k, n - 1)) == NULL);

	/* Replacing: the new value is served, the old one goes. */
	put(c, 1, 11);
	CHECK_EQ(lookup(c, 1), 11);
	CHECK_EQ(cache_count(c), 2);
	CHECK_EQ(atomic_load(&live), 2);
	cache_free(c);
	CHECK_EQ(atomic_load(&live), 0);
}

static void test_lru(void)
{
	/* 16 is one shard, so the order below is the whole cache's. */
	struct cache *c = cache_of(CACHE_MIN_PER_SHARD);

	for (int i = 0; i < CACHE_MIN_PER_SHARD; i++)
		put(c, i, i);
	CHECK_EQ(lookup(c, 0), 0);		/* 0 is now the most recent */
	put(c, 100, 100);			/* evicts 1, the least recent */
	CHECK_EQ(lookup(c, 1), -1);
	CHECK_EQ(lookup(c, 0), 0);
	CHECK_EQ(lookup(c, 2), 2);
	CHECK_EQ(cache_count(c), CACHE_MIN_PER_SHARD);
	CHECK_EQ(atomic_load(&live), CACHE_MIN_PER_SHARD);
	cache_free(c);
	CHECK_EQ(atomic_load(&live), 0);
}

/* An entry held by a caller survives its eviction, its replacement and
 * its removal, and goes with the caller's last release. */
static void test_held(void)
{
	struct cache *c = cache_of(CACHE_MIN_PER_SHARD);
	struct item *held = item_new(c, 0, 7);
	struct cache_node *got;

	got = cache_insert(c, &held->node, NULL, NULL);
	CHECK(got == &held->node);
	for (int i = 1; i <= CACHE_MIN_PER_SHARD; i++)
		put(c, i, i);
	CHECK_EQ(lookup(c, 0), -1);		/* evicted */
	CHECK_EQ(held->magic, MAGIC);		/* still ours */
	CHECK_EQ(held->value, 7);
	CHECK_EQ(atomic_load(&live), CACHE_MIN_PER_SHARD + 1);
	cache_release(c, &held->node);
	CHECK_EQ(atomic_load(&live), CACHE_MIN_PER_SHARD);

	/* Replaced while held. */
	got = cache_get(c, held->key, 0, 0);	/* a miss: nothing under "" */
	CHECK(got == NULL);
	uint8_t k[16];
	size_t n = key_of(3, k);
	got = cache_get(c, k, n, cache_hash(c, k, n));
	CHECK(got != NULL);
	put(c, 3, 33);
	CHECK_EQ(item_of(got)->value, 3);
	CHECK_EQ(lookup(c, 3), 33);
	cache_release(c, got);

	/* Removed while held, and removing twice is harmless. */
	got = cache_get(c, k, n, cache_hash(c, k, n));
	cache_remove(c, got);
	cache_remove(c, got);
	CHECK_EQ(lookup(c, 3), -1);
	CHECK_EQ(item_of(got)->value, 33);
	cache_release(c, got);
	cache_free(c);
	CHECK_EQ(atomic_load(&live), 0);
}

static int keep_odd(const struct cache_node *cur, const struct cache_node *fresh, void *arg)
{
	int *calls = arg;

	(*calls)++;
	return item_of((struct cache_node *)cur)->value % 2 == 1;
}

static void test_keep(void)
{
	struct cache *c = cache_of(100);
	int calls = 0;
	struct item *a = item_new(c, 1, 1), *b = item_new(c, 1, 2), *d;
	struct cache_node *got;

	cache_release(c, cache_insert(c, &a->node, keep_odd, &calls));
	CHECK_EQ(calls, 0);			/* nothing there to keep */
	got = cache_insert(c, &b->node, keep_odd, &calls);
	CHECK_EQ(calls, 1);
	CHECK(got == &a->node);			/* 1 is odd: kept, b released */
	CHECK_EQ(atomic_load(&live), 1);
	cache_release(c, got);
	put(c, 2, 4);
	d = item_new(c, 2, 6);
	got = cache_insert(c, &d->node, keep_odd, &calls);
	CHECK(got == &d->node);			/* 4 is even: replaced */
	cache_release(c, got);
	CHECK_EQ(lookup(c, 2), 6);
	cache_free(c);
	CHECK_EQ(atomic_load(&live), 0);
}

/* A large capacity costs nothing until used, then every entry is found. */
static void test_large(void)
{
	enum { N = 50000 };
	struct cache *c = cache_of(10000000);
	int missing = 0;

	for (int i = 0; i < N; i++)
		put(c, i, i);
	for (int i = 0; i < N; i++)
		missing += lookup(c, i) != i;
	CHECK_EQ(missing, 0);
	CHECK_EQ(cache_count(c), N);
	cache_free(c);
	CHECK_EQ(atomic_load(&live), 0);
}

struct worker {
	struct cache *c;
	unsigned seed;
	atomic_int *bad;
};

#define THREADS 4
#define ROUNDS 20000
#define KEYS 300

/* Each thread reads, replaces and removes shared keys, holding what it
 * reads for a moment; a value is always the key's own, and a held entry
 * is never freed under its holder (ASan and TSan watch that). */
static void *hammer(void *arg)
{
	struct worker *w = arg;
	uint8_t key[16];

	for (int i = 0; i < ROUNDS; i++) {
		int k = (int)(rand_r(&w->seed) % KEYS);
		size_t n = key_of(k, key);
		uint64_t h = cache_hash(w->c, key, n);
		struct cache_node *node;
		switch (rand_r(&w->seed) % 4) {
		case 0:
			put(w->c, k, k);
			break;
		case 1:
			node = cache_get(w->c, key, n, h);
			if (node != NULL) {
				cache_remove(w->c, node);
				cache_release(w->c, node);
			}
			break;
		default:
			node = cache_get(w->c, key, n, h);
			if (node == NULL)
				break;
			if (item_of(node)->magic != MAGIC || item_of(node)->value != k)
				atomic_fetch_add(w->bad, 1);
			cache_release(w->c, node);
		}
	}
	return NULL;
}

static void test_threads(void)
{
	struct cache *c = cache_of(128);	/* smaller than the key set: evictions */
	struct worker w[THREADS];
	pthread_t t[THREADS];
	atomic_int bad = 0;

	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ c, (unsigned)i * 7919u + 1, &bad };
		CHECK_EQ(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(atomic_load(&bad), 0);
	CHECK(cache_count(c) <= 128 + CACHE_MAX_SHARDS);
	CHECK_EQ(atomic_load(&live), (int)cache_count(c));	/* nothing held, nothing leaked */
	cache_free(c);
	CHECK_EQ(atomic_load(&live), 0);
}

int main(void)
{
	test_basics();
	test_lru();
	test_held();
	test_keep();
	test_large();
	test_threads();
	return check_done();
}
