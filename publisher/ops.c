/* Journal, metrics and the expiry warning of a publisher run (ops.h). */
#include "ops.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocsp/ca.h"
#include "ocsp/hex.h"
#include "ocsp/log.h"
#include "ocsp/status.h"
#include "ocsp/timefmt.h"

#include "metrics_file.h"

int ops_journal_open(struct ops *ops, const struct config *c, struct pub_ca *cas,
    uint64_t generation, int64_t start)
{
	struct err e;

	if (journal_writer_open(c->tree, generation, start, &ops->journal, &e) != 0) {
		log_error("journal: %s", e.msg);
		return -1;
	}
	for (size_t i = 0; i < c->ncas; i++)
		if (!cas[i].bad_input && publish_journal_prepare(&cas[i], &e) != 0) {
			log_error("journal: %s", e.msg);
			return -1;
		}
	return 0;
}

static int run_result(const struct config *c, const struct pub_ca *cas, int failed)
{
	size_t ok = 0;

	for (size_t i = 0; i < c->ncas; i++)
		ok += publish_ca_result(&cas[i]) == JOURNAL_OK;
	return ok == 0 ? JOURNAL_FAILED : ok == c->ncas && !failed ? JOURNAL_OK : JOURNAL_PARTIAL;
}

int ops_journal_commit(struct ops *ops, const struct config *c, const struct pub_ca *cas,
    int failed)
{
	struct err e;
	uint64_t seq = 0;

	if (ops->journal == NULL)
		return failed ? 0 : -1;	/* its opening failed, and said so */
	for (size_t i = 0; i < c->ncas; i++)
		if (publish_journal_write(ops->journal, &cas[i], publish_ca_result(&cas[i]), &e) != 0)
			goto fail;
	if (journal_writer_commit(ops->journal, (int64_t)time(NULL), run_result(c, cas, failed),
	    &seq, &e) != 0)
		goto fail;
	journal_writer_free(ops->journal);
	ops->journal = NULL;
	ops->journal_written = 1;
	return 0;
fail:
	log_error("journal: %s; this run has no journal", e.msg);
	journal_writer_free(ops->journal);
	ops->journal = NULL;
	return -1;
}

/* Responses of p that expire before the run after this one. */
static size_t count_expiring(const struct pub_ca *p, int64_t before, int64_t *soonest)
{
	size_t n = 0;

	*soonest = INT64_MAX;
	if (p->bad_input)
		return 0;
	for (size_t i = 0; i < p->recs.n; i++) {
		int64_t nu = p->recs.v[i].next_update;
		if (nu <= 0 || nu >= before)
			continue;
		n++;
		if (nu < *soonest)
			*soonest = nu;
	}
	return n;
}

static void warn_expiring(const struct config *c, const struct pub_ca *cas)
{
	int64_t before = (int64_t)time(NULL) + c->run_interval, soonest;
	char when[TIMEFMT_ISO_LEN + 1];

	for (size_t i = 0; i < c->ncas; i++) {
		size_t n = count_expiring(&cas[i], before, &soonest);
		if (n == 0)
			continue;
		if (timefmt_iso(when, sizeof(when), soonest) != 0)
			snprintf(when, sizeof(when), "?");
		log_warn("ca %s: %zu response%s expire%s before the next run (run_interval %" PRId64
		    " s), the first at %s: run more often, or lower refresh or raise validity",
		    cas[i].conf->name, n, n == 1 ? "" : "s", n == 1 ? "s" : "", c->run_interval, when);
	}
}

void ops_after_commit(struct ops *ops, const struct config *c, const struct pub_ca *cas,
    int quiet)
{
	struct err e;
	size_t pruned = 0;

	if (c->run_interval > 0)
		warn_expiring(c, cas);
	if (!ops->journal_written || (c->journal_keep_runs == 0 && c->journal_keep_days == 0))
		return;
	if (journal_prune(c->tree, (uint64_t)c->journal_keep_runs, (uint64_t)c->journal_keep_days,
	    (int64_t)time(NULL), &pruned, &e) != 0)
		log_error("journal retention: %s", e.msg);
	else if (pruned > 0 && !quiet)
		printf("journal: %zu old file%s removed (retention), the chain is anchored\n", pruned,
		    pruned == 1 ? "" : "s");
}

static void fill_ca(struct metrics_ca *m, const struct pub_ca *p, const struct config *c,
    int committed)
{
	int result = publish_ca_result(p);
	int64_t soonest;

	memset(m, 0, sizeof(*m));
	m->name = p->conf->name;
	m->ok = result == JOURNAL_OK && committed;
	m->signed_ = atomic_load(&p->signed_ok);
	m->unchanged = p->unchanged;
	m->removed = p->committed ? p->nremoved : 0;
	m->errors = atomic_load(&p->errors);
	if (p->bad_input || (result == JOURNAL_FAILED && m->errors == 0))
		m->errors++;
	if (p->ca != NULL)
		m->signer_not_after = ca_signer_now(p->ca)->not_after;
	if (c->run_interval > 0)
		m->expiring = count_expiring(p, (int64_t)time(NULL) + c->run_interval, &soonest);
}

void ops_metrics(struct ops *ops, const struct config *c, const struct pub_ca *cas,
    const struct ops_outcome *out)
{
	struct metrics_run run = { (int64_t)time(NULL), out->duration, out->sign_secs, 0,
	    out->exit_code, c->run_interval > 0 };
	struct metrics_ca *m;
	struct err e;

	(void)ops;
	if (c->metrics_file == NULL)
		return;
	m = calloc(c->ncas + 1, sizeof(*m));
	if (m == NULL) {
		log_error("metrics: out of memory");
		return;
	}
	for (size_t i = 0; i < c->ncas; i++) {
		fill_ca(&m[i], &cas[i], c, out->committed);
		run.signatures += atomic_load(&cas[i].signatures);
	}
	if (metrics_file_write(c->metrics_file, c->tree, &run, m, c->ncas, &e) != 0)
		log_error("%s", e.msg);
	free(m);
}

void ops_fini(struct ops *ops)
{
	journal_writer_free(ops->journal);
	ops->journal = NULL;
}

/* ---- --journal-verify ---- */

struct show {
	int quiet;
	const struct serial *serial;
	size_t matches;
};

static void time_or_q(char *out, size_t size, int64_t t)
{
	if (timefmt_iso(out, size, t) != 0)
		snprintf(out, size, "?");
}

static void show_entry(void *arg, const struct journal_run *run, const struct journal_line *l)
{
	struct show *s = arg;
	char start[TIMEFMT_ISO_LEN + 1], tu[TIMEFMT_ISO_LEN + 1], nu[TIMEFMT_ISO_LEN + 1];
	char name[SERIAL_NAME_MAX + 1], h[2 * JOURNAL_SHA256_LEN + 1];
	const char *reason;

	if (s->serial == NULL || serial_cmp(s->serial, &l->serial) != 0)
		return;
	s->matches++;
	time_or_q(start, sizeof(start), run->start);
	serial_name(&l->serial, name);
	if (l->tag == JOURNAL_REMOVED) {
		printf("run %" PRIu64 " (generation %" PRIu64 ", %s): ca %s removed %s\n", run->seq,
		    run->generation, start, l->ca, name);
		return;
	}
	time_or_q(tu, sizeof(tu), l->this_update);
	time_or_q(nu, sizeof(nu), l->next_update);
	reason = l->status == CERT_REVOKED ? status_reason_name(l->reason) : NULL;
	printf("run %" PRIu64 " (generation %" PRIu64 ", %s): ca %s signed %s %s%s%s "
	    "thisUpdate %s nextUpdate %s signer %s", run->seq, run->generation, start, l->ca, name,
	    l->status == CERT_GOOD ? "good" : l->status == CERT_REVOKED ? "revoked" : "unknown",
	    reason ? " " : "", reason ? reason : "", tu, nu, l->signer);
	for (int alg = 0; alg < HASH_COUNT; alg++)
		if (l->algs & (1u << alg)) {
			hex_lower(h, l->der_sha256[alg], JOURNAL_SHA256_LEN);
			printf(" %s-response-sha256 %s", hash_name(alg), h);
		}
	printf("\n");
}

static void show_run(void *arg, const struct journal_run *run)
{
	struct show *s = arg;
	char start[TIMEFMT_ISO_LEN + 1], end[TIMEFMT_ISO_LEN + 1];

	if (s->quiet || s->serial != NULL || run->result < 0)
		return;
	time_or_q(start, sizeof(start), run->start);
	time_or_q(end, sizeof(end), run->end);
	printf("run %" PRIu64 " (%s): generation %" PRIu64 ", %s .. %s, %s, %" PRIu64 " signed, %"
	    PRIu64 " removed\n", run->seq, run->name, run->generation, start, end,
	    journal_result_name(run->result), run->n_signed, run->n_removed);
}

static void show_problem(void *arg, const char *msg)
{
	(void)arg;
	log_error("journal: %s", msg);
}

int ops_journal_verify(const struct config *c, int quiet, const struct serial *serial)
{
	struct show s = { quiet, serial, 0 };
	struct journal_visit v = { show_entry, show_run, show_problem, &s };
	struct journal_summary sum;
	char head[2 * JOURNAL_SHA256_LEN + 1];
	struct err e;
	int r = journal_verify(c->tree, &v, &sum, &e);

	if (r != 0 && sum.problems == 0) {
		log_error("journal: %s", e.msg);
		return 3;
	}
	hex_lower(head, sum.head, sizeof(sum.head));
	if (r != 0) {
		log_error("%s", e.msg);
		return 2;
	}
	if (!quiet)
		printf("journal of %s: %zu file%s, runs %" PRIu64 "..%" PRIu64 "%s, chain intact; "
		    "newest file's SHA-256 %s%s\n", c->tree, sum.files, sum.files == 1 ? "" : "s",
		    sum.first_seq, sum.last_seq, sum.anchored ? " (older runs pruned, anchored)" : "",
		    head, serial != NULL && s.matches == 0 ? "; nothing for that serial" : "");
	return 0;
}
