/* lookupd's metrics: request counters kept per worker thread and summed
 * only when /metrics is scraped, and the Prometheus text exposition
 * format 0.0.4 they (and health.c's gauges) are written in.
 *
 * The hot path touches only the calling worker's own shard, with relaxed
 * atomic adds: no lock, no cache line shared with another worker. A
 * scrape reads every shard with relaxed loads, so a sum may miss an add
 * that is under way, never tear one. Knows neither HTTP nor civetweb. */
#ifndef LOOKUPD_METRICS_H
#define LOOKUPD_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"

enum metrics_method { METRICS_GET, METRICS_HEAD, METRICS_POST, METRICS_OTHER,
	METRICS_METHODS };

/* The OCSP responseStatus in a reply (none: not an OCSP reply). */
enum metrics_ocsp { METRICS_OCSP_NONE, METRICS_OCSP_SUCCESSFUL, METRICS_OCSP_MALFORMED,
	METRICS_OCSP_INTERNAL, METRICS_OCSP_TRY_LATER, METRICS_OCSP_SIG_REQUIRED,
	METRICS_OCSP_UNAUTHORIZED, METRICS_OCSPS };

/* Where an OCSP answer came from. not_found: nothing for it (unauthorized
 * from the tree's side), stale: the tree's file was past nextUpdate and
 * tryLater was answered, none: no lookup (malformed, or no OCSP at all). */
enum metrics_source { METRICS_SRC_NONE, METRICS_SRC_TREE, METRICS_SRC_ONLINE,
	METRICS_SRC_ONLINE_CACHE, METRICS_SRC_NOT_FOUND, METRICS_SRC_STALE, METRICS_SOURCES };

/* Requests refused before they were answered; the connection closes. */
enum metrics_refusal { METRICS_REFUSED_BAD_REQUEST, METRICS_REFUSED_HEADERS_TOO_LARGE,
	METRICS_REFUSED_BODY_TOO_LARGE, METRICS_REFUSED_BODY_TIMEOUT, METRICS_REFUSALS };

/* The HTTP statuses lookupd sends, one slot each, and one for any other. */
#define METRICS_CODES 12
/* Finite histogram buckets; the +Inf one is the count. */
#define METRICS_BUCKETS 14

/* Upper bounds of the histogram buckets, in microseconds. */
extern const uint64_t metrics_bucket_us[METRICS_BUCKETS];

struct metrics_hist {
	_Atomic uint64_t bucket[METRICS_BUCKETS + 1];	/* not cumulative; last: above all */
	_Atomic uint64_t sum_us;
};

/* One worker's counters. Aligned so that two workers never share a line. */
struct metrics_shard {
	_Alignas(64) _Atomic uint64_t requests[METRICS_METHODS][METRICS_CODES][METRICS_OCSPS];
	_Atomic uint64_t sources[METRICS_SOURCES];
	struct metrics_hist latency;
	_Atomic uint64_t bytes;
	_Atomic uint64_t connections;
	_Atomic uint64_t timed_out;		/* closed before a whole request came */
	_Atomic uint64_t refused[METRICS_REFUSALS];
	_Atomic uint64_t signatures;		/* online */
	_Atomic uint64_t sign_errors;
	struct metrics_hist sign_latency;
	_Atomic uint64_t status_unavailable;	/* online: no status data (tryLater) */
};

/* One request, as the HTTP front saw it. */
struct metrics_request {
	enum metrics_method method;
	int code;			/* HTTP status sent */
	enum metrics_ocsp ocsp;
	enum metrics_source source;
	uint64_t duration_us;
	uint64_t bytes;			/* head and body written */
	int refusal;			/* enum metrics_refusal, or -1 */
	uint64_t sign_us;		/* time signing online, when signed */
	int signed_online;
	int sign_error;
	int status_unavailable;
};

struct metrics;

/* Room for nshards workers; more take a shard that is shared (still
 * atomic, then with contention). */
int metrics_new(size_t nshards, struct metrics **out, struct err *e);
void metrics_free(struct metrics *m);
/* A shard for the calling worker, valid until metrics_free. Thread-safe. */
struct metrics_shard *metrics_shard_take(struct metrics *m);

/* CLOCK_MONOTONIC in microseconds, for durations. */
uint64_t metrics_now_us(void);

void metrics_count_request(struct metrics_shard *s, const struct metrics_request *r);
/* A connection ended; requests: how many were answered on it. */
void metrics_count_connection(struct metrics_shard *s, int64_t requests);

/* ---- the text format ---- */

/* Longest exposition: 4096 CAs with a few gauges each fit in it. */
#define METRICS_TEXT_MAX (8u << 20)

/* A growing text (malloc'd), at most METRICS_TEXT_MAX bytes; running out
 * of memory or room is sticky (failed), checked once at the end. */
struct metrics_text {
	char *p;
	size_t len, cap;
	int failed;
};

void metrics_text_init(struct metrics_text *t);
void metrics_text_fini(struct metrics_text *t);
void metrics_text_add(struct metrics_text *t, const char *s, size_t n);
void metrics_text_str(struct metrics_text *t, const char *s);
/* "# HELP name help" (help escaped as the format says) and "# TYPE name type". */
void metrics_text_family(struct metrics_text *t, const char *name, const char *type,
    const char *help);
/* One sample: name, labels (key, value pairs ending with NULL, or NULL
 * for none; values escaped: \\ \" \n), and the value. */
void metrics_text_u64(struct metrics_text *t, const char *name, const char *const *labels,
    uint64_t v);
void metrics_text_i64(struct metrics_text *t, const char *name, const char *const *labels,
    int64_t v);
/* A value in seconds from microseconds, without losing any. */
void metrics_text_us(struct metrics_text *t, const char *name, const char *const *labels,
    uint64_t us);
/* A histogram family from buckets summed over shards (not cumulative,
 * METRICS_BUCKETS + 1 of them): _bucket with le up to "+Inf", _sum, _count. */
void metrics_text_histogram(struct metrics_text *t, const char *name, const char *help,
    const uint64_t *bucket, uint64_t sum_us);

/* Appends every counter of m, summed over its shards. */
void metrics_render(struct metrics *m, struct metrics_text *t);

/* Label values, for tests and the access log. */
const char *metrics_method_name(enum metrics_method m);
const char *metrics_ocsp_name(enum metrics_ocsp o);
const char *metrics_source_name(enum metrics_source s);

#endif
