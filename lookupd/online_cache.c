#include "online_cache.h"

#include <stdlib.h>
#include <string.h>

#include "ocsp/cache.h"
#include "ocsp/certid.h"
#include "ocsp/serial.h"

/* CertID key: algorithm, both hashes, serial length and serial. */
#define KEY_ONE (1 + 2 * HASH_MAX_LEN + 1 + SERIAL_MAX)
#define KEY_MAX (REQUEST_MAX_CERTS * KEY_ONE)

struct entry {
	struct cache_node node;
	struct signed_response resp;
	uint64_t epoch;
	int64_t refresh_at;
	uint8_t bytes[];		/* the key, then the DER */
};

struct online_cache {
	struct cache *cache;
};

static struct entry *entry_of(const void *p, size_t offset)
{
	return (struct entry *)((char *)p - offset);
}

static void entry_destroy(struct cache_node *n)
{
	free(entry_of(n, offsetof(struct entry, node)));
}

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

int online_cache_new(size_t entries, struct online_cache **out, struct err *e)
{
	struct cache_opts co = { entries, entry_destroy };
	struct online_cache *c;

	*out = NULL;
	if (entries == 0)
		return 0;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return err_set(e, "out of memory");
	if (cache_new(&co, &c->cache, e) != 0) {
		free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void online_cache_free(struct online_cache *c)
{
	if (c == NULL)
		return;
	cache_free(c->cache);
	free(c);
}

const struct signed_response *online_cache_get(struct online_cache *c,
    const struct ocsp_request *req, uint64_t epoch, int64_t now)
{
	uint8_t key[KEY_MAX];
	size_t len;
	struct cache_node *n;
	struct entry *e;

	if (c == NULL)
		return NULL;
	len = make_key(req, key);
	n = cache_get(c->cache, key, len, cache_hash(c->cache, key, len));
	if (n == NULL)
		return NULL;
	e = entry_of(n, offsetof(struct entry, node));
	if (e->epoch != epoch || now >= e->refresh_at || now >= e->resp.next_update) {
		/* Stale: the put that follows the signing replaces it. */
		cache_release(c->cache, n);
		return NULL;
	}
	return &e->resp;
}

const struct signed_response *online_cache_put(struct online_cache *c,
    const struct ocsp_request *req, uint64_t epoch, const uint8_t *der, size_t len,
    int64_t this_update, int64_t next_update, int64_t refresh_at)
{
	uint8_t key[KEY_MAX];
	size_t key_len;
	struct entry *e;
	struct err err;

	if (c == NULL)
		return NULL;
	key_len = make_key(req, key);
	e = malloc(sizeof(*e) + key_len + len);
	if (e == NULL)
		return NULL;
	memcpy(e->bytes, key, key_len);
	memcpy(e->bytes + key_len, der, len);
	e->epoch = epoch;
	e->refresh_at = refresh_at;
	if (signed_response_set(&e->resp, e->bytes + key_len, len, this_update, next_update,
	    &err) != 0) {
		free(e);
		return NULL;
	}
	cache_node_init(&e->node, e->bytes, key_len, cache_hash(c->cache, key, key_len));
	cache_insert(c->cache, &e->node, NULL, NULL);
	return &e->resp;
}

void online_cache_release(struct online_cache *c, const struct signed_response *r)
{
	if (r != NULL)
		cache_release(c->cache, &entry_of(r, offsetof(struct entry, resp))->node);
}
