/* The operations side of a publisher run: the audit journal (journal.h,
 * JOURNAL.md), the textfile metrics (metrics_file.h) and the warning
 * about responses that expire before the next run. main.c calls these at
 * fixed points of the run; each logs what went wrong itself. */
#ifndef PUBLISHER_OPS_H
#define PUBLISHER_OPS_H

#include <stdint.h>

#include "ocsp/config.h"
#include "ocsp/journal.h"
#include "ocsp/serial.h"

#include "publisher.h"

struct ops {
	struct journal_writer *journal;	/* open from the plan to the commit */
	int journal_written;
};

/* After the plan: opens the run's journal and makes room for the hashes
 * of what each CA will sign. -1 (logged): the run must fail. */
int ops_journal_open(struct ops *ops, const struct config *c, struct pub_ca *cas,
    uint64_t generation, int64_t start);
/* After every CA's commit, before the root marker: writes what was
 * committed and puts the journal in place. failed: the run already failed. */
int ops_journal_commit(struct ops *ops, const struct config *c, const struct pub_ca *cas,
    int failed);
/* After the marker: journal retention, and the warning about responses
 * that expire before the next run (run_interval). */
void ops_after_commit(struct ops *ops, const struct config *c, const struct pub_ca *cas,
    int quiet);

struct ops_outcome {
	int exit_code;
	double duration, sign_secs;
	int committed;			/* the marker was written */
};

/* At the end of a run that got as far as loading: the metrics file, when
 * one is configured (logged on error). */
void ops_metrics(struct ops *ops, const struct config *c, const struct pub_ca *cas,
    const struct ops_outcome *out);
void ops_fini(struct ops *ops);

/* --journal-verify: checks the chain of c->tree and prints its runs (or,
 * with serial, what each run signed or removed for it). Returns the exit
 * status: 0 intact, 2 broken, 3 unreadable. */
int ops_journal_verify(const struct config *c, int quiet, const struct serial *serial);

#endif
