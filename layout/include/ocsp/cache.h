/* The one cache of the system: bounded, sharded, thread-safe, of
 * reference-counted entries found by a byte key.
 *
 * The caller's entry embeds a struct cache_node and owns the key bytes
 * (they must not change while the entry lives). The cache holds one
 * reference on every entry it links; each caller holds one on every entry
 * a look-up returned, until cache_release. An entry evicted or replaced
 * while a caller holds it stays valid for that caller: destroy runs when
 * the last reference goes, and never under a lock of the cache, so it may
 * unmap or free at leisure.
 *
 * Capacity is shared out over up to CACHE_MAX_SHARDS shards, each with its
 * own lock, least-recently-used list and buckets; the buckets grow with
 * the entries they hold up to one per entry of the shard's share, so a
 * large configured capacity costs nothing until it fills. Keys are hashed
 * with SipHash under a key drawn per cache (cache_hash), since they often
 * come from clients. */
#ifndef OCSP_CACHE_H
#define OCSP_CACHE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"

#define CACHE_MAX_SHARDS 64
/* Fewer entries a shard than this and sharding only wastes memory. */
#define CACHE_MIN_PER_SHARD 16

struct cache_node {
	/* Set by cache_node_init. */
	const uint8_t *key;
	size_t key_len;
	uint64_t hash;
	atomic_uint refs;
	/* The cache's, under the shard lock. */
	struct cache_node *chain;
	struct cache_node *lru_prev, *lru_next;
	int linked;
};

/* Frees the entry that embeds n; called once, after its last release. */
typedef void cache_destroy_fn(struct cache_node *n);
/* For cache_insert: non-zero to keep cur, the entry already cached under
 * fresh's key, instead of replacing it by fresh. Runs under the shard
 * lock: it must be quick and must not call the cache. */
typedef int cache_keep_fn(const struct cache_node *cur, const struct cache_node *fresh,
    void *arg);

struct cache_opts {
	size_t capacity;		/* most entries linked at once (>= 1) */
	cache_destroy_fn *destroy;
};

struct cache;

int cache_new(const struct cache_opts *o, struct cache **out, struct err *e);
/* Drops the cache's references; entries still held by callers live on
 * until they are released (the cache must not be used for that). Call it
 * only when no caller holds an entry. */
void cache_free(struct cache *c);

/* The seeded hash of key, to pass to cache_node_init and cache_get. */
uint64_t cache_hash(const struct cache *c, const void *key, size_t len);

/* Prepares n with one reference, the caller's. */
void cache_node_init(struct cache_node *n, const void *key, size_t len, uint64_t hash);

/* The entry cached under key, with a reference for the caller, made the
 * most recently used; NULL if there is none. */
struct cache_node *cache_get(struct cache *c, const void *key, size_t len, uint64_t hash);

/* Links fresh (which the caller holds, unlinked) under its key, replacing
 * the entry there unless keep says to keep it, and evicting the least
 * recently used entry of the shard when it is full. Returns the entry now
 * cached under the key with the caller's reference: fresh, or the kept
 * entry (and then the caller's reference on fresh has been released). */
struct cache_node *cache_insert(struct cache *c, struct cache_node *fresh,
    cache_keep_fn *keep, void *arg);

/* Unlinks n if it is still cached (the caller found it out of date). The
 * caller's own reference is untouched. */
void cache_remove(struct cache *c, struct cache_node *n);

/* Drops one reference; the last one destroys the entry. NULL is a no-op. */
void cache_release(struct cache *c, struct cache_node *n);

/* Entries linked now, and the capacity. */
size_t cache_count(const struct cache *c);
size_t cache_capacity(const struct cache *c);

#endif
