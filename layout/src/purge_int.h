/* Internals of the purge module, shared by its two files:
 *   purge.c          the queue, the pending file, the HTTP transport (curl)
 *   purge_presets.c  the request each provider documents, and EdgeGrid */
#ifndef OCSP_PURGE_INT_H
#define OCSP_PURGE_INT_H

#include <stddef.h>

#include "ocsp/err.h"
#include "ocsp/fetch.h"
#include "ocsp/purge.h"

#define PURGE_HEADER_MAX 1024
#define PURGE_HEADERS 4

struct purge_akamai {
	char client_token[PURGE_SECRET_MAX + 3];
	char client_secret[PURGE_SECRET_MAX + 3];
	char access_token[PURGE_SECRET_MAX + 3];
	char host[PURGE_SECRET_MAX + 3];
};

struct purge {
	enum purge_preset preset;
	int ban, by_tag;
	char *endpoint, *zone, *api;
	int64_t rate, retries;
	char secret[PURGE_SECRET_MAX + 3];	/* Cloudflare token, Fastly key */
	struct purge_akamai ak;
	char **item;			/* the queue, all of purge_kind */
	size_t n, cap;
};

/* One HTTP request of a batch. Headers are whole lines "Name: value";
 * those holding a credential are flagged so no message shows them. */
struct purge_req {
	const char *method;
	char url[FETCH_URL_MAX + 1];
	char hdr[PURGE_HEADERS][PURGE_HEADER_MAX];
	size_t nhdr;
	char *body;			/* malloc'd JSON, or NULL */
	size_t len;
	/* The queue's items this request purges (for judging the answer). */
	const char *const *items;
	size_t nitems;
};

/* Builds the request for the queued items from first on: as many as the
 * provider takes in one request (*count is set, at least 1). Returns 0 or
 * -1 (e set). The caller frees r->body. */
int purge_preset_request(const struct purge *p, size_t first, size_t *count,
    struct purge_req *r, struct err *e);

#endif
