/* The cache of online answers without a nonce: a request the tree cannot
 * answer is signed once and the answer reused until its refresh point,
 * not signed again per request (an HSM or a busy core would notice).
 * Bounded (least recently used out; the layout's one cache, cache.h) and
 * keyed by the request's CertIDs, so GET and POST, and every client,
 * share an entry. An answer made from an older status (a new publish or
 * index since) is never served. */
#ifndef LOOKUPD_ONLINE_CACHE_H
#define LOOKUPD_ONLINE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"
#include "ocsp/request.h"
#include "ocsp/response.h"

struct online_cache;

/* entries 0 disables the cache: *out is NULL, and every answer is signed. */
int online_cache_new(size_t entries, struct online_cache **out, struct err *e);
void online_cache_free(struct online_cache *c);

/* A fresh answer for req's CertIDs made from status epoch (before its
 * refresh point and its nextUpdate), or NULL. The caller holds a
 * reference until online_cache_release. */
const struct signed_response *online_cache_get(struct online_cache *c,
    const struct ocsp_request *req, uint64_t epoch, int64_t now);

/* Stores a copy of der and returns a reference to it (NULL when the cache
 * is disabled or out of memory: the caller serves its own bytes). */
const struct signed_response *online_cache_put(struct online_cache *c,
    const struct ocsp_request *req, uint64_t epoch, const uint8_t *der, size_t len,
    int64_t this_update, int64_t next_update, int64_t refresh_at);

void online_cache_release(struct online_cache *c, const struct signed_response *r);

#endif
