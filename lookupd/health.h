/* lookupd's readiness policy (/healthz) and the gauges of the tree it
 * serves (/metrics): what a load balancer and a dashboard need to know
 * before clients notice.
 *
 * The tree is read on its own, apart from the tree reader that answers
 * requests: its root marker (generation, publish time), every issuer's
 * issuer.meta (broken or not, the signer's notAfter) and status.idx (the
 * oldest thisUpdate and the soonest nextUpdate among the responses it
 * serves). That is read again when the marker changes (a publish, a
 * deleted tree) and at least every HEALTH_RESCAN seconds; in between a
 * check costs one stat of the marker. Not on the OCSP hot path: callers
 * are /healthz and /metrics, serialised by a lock. */
#ifndef LOOKUPD_HEALTH_H
#define LOOKUPD_HEALTH_H

#include <stdint.h>

#include "ocsp/err.h"

#include "metrics.h"

#define HEALTH_RESCAN 60

struct health_opts {
	const char *tree;		/* NULL or "": online only, no tree checks */
	int64_t stale_share;		/* percent of a response's validity; 0: off */
	int64_t stale_warning;		/* seconds before the soonest nextUpdate; 0: off */
	int64_t max_generation_age;	/* seconds since the publish; 0: off */
};

/* Workers of the HTTP front, the one asking included in busy. */
struct health_workers {
	int64_t threads;
	int64_t busy;
};

struct health;

int health_new(const struct health_opts *o, struct health **out, struct err *e);
void health_free(struct health *h);

/* The verdict at time now: returns 200 when every check passes, else 503
 * and appends to json an object {"status":"unhealthy","reasons":[...]},
 * each reason {"check":NAME,...} with NAME one of tree, issuer,
 * validity_share, stale_warning, generation_age, workers. Thread-safe. */
int health_check(struct health *h, int64_t now, const struct health_workers *w,
    struct metrics_text *json);

/* Appends the gauges of the tree and of each CA in it, and whether the
 * checks pass (ocsp_lookupd_healthy), in the text format. Thread-safe. */
void health_render(struct health *h, int64_t now, const struct health_workers *w,
    struct metrics_text *t);

/* Appends s as the inside of a JSON string (quotes not included). */
void health_json_escape(struct metrics_text *t, const char *s);

#endif
