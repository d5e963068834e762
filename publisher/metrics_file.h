/* The publisher's metrics for node_exporter's textfile collector: one
 * file in the Prometheus text format 0.0.4, replaced atomically after each
 * run (a temp file ".NAME.tmp" beside it, which the collector, reading
 * only *.prom, never sees half-written).
 *
 * Per-run values are gauges (a textfile has no counters that survive the
 * process). The last success of each CA is kept across runs in the tree,
 * in TREE/.last-success, so that a failed run keeps the time of the one
 * before: that is what an alert on staleness needs. */
#ifndef PUBLISHER_METRICS_FILE_H
#define PUBLISHER_METRICS_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/config.h"
#include "ocsp/err.h"

#define METRICS_STATE_FILE ".last-success"
/* The state file: one "<ca> <seconds>" line per CA, each at most this long. */
#define METRICS_STATE_LINE_MAX (CONFIG_CA_NAME_MAX + 24)
#define METRICS_STATE_MAX ((size_t)CONFIG_MAX_CAS * (METRICS_STATE_LINE_MAX + 1))

struct metrics_ca {
	const char *name;
	int ok;				/* committed (or nothing to do) without error */
	uint64_t signed_, unchanged, removed, errors;
	int64_t signer_not_after;	/* 0: not known (its input was bad) */
	uint64_t expiring;		/* responses left expiring before the next run */
	int64_t last_success;		/* filled in by metrics_file_write; 0: never */
};

struct metrics_run {
	int64_t end;			/* wall clock, seconds */
	double duration;		/* whole run, seconds */
	double sign_secs;		/* in the signing pool */
	uint64_t signatures;		/* responses signed (one per pre-signed hash) */
	int exit_code;
	int run_interval_set;		/* expiring counts mean something */
};

/* Reads TREE/.last-success, sets each ok CA's time to run->end and writes
 * it back (atomically) when one changed, fills cas[i].last_success, then
 * writes the metrics to path. An unreadable state file is an error only
 * for the state (the metrics still go out, naming no old successes). */
int metrics_file_write(const char *path, const char *tree, const struct metrics_run *run,
    struct metrics_ca *cas, size_t n, struct err *e);

/* Parses the state file's text (len bytes) and calls found for each line.
 * -1 for a line that is not "<ca> <seconds>". */
int metrics_state_parse(const char *text, size_t len,
    void (*found)(void *arg, const char *ca, int64_t t), void *arg, struct err *e);

#endif
