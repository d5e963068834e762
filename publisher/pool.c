/* The signing pool: every core signs, each thread with its own signing
 * context per CA and its own output buffer, taking jobs in small batches
 * from one shared counter. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ocsp/ca.h"
#include "ocsp/certid.h"
#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/fsutil.h"
#include "ocsp/get_key.h"
#include "ocsp/response.h"
#include "ocsp/serial.h"
#include "ocsp/signer.h"
#include "ocsp/sink.h"
#include "ocsp/status.h"

#include "publisher.h"

#define POOL_BATCH 32

struct job {
	size_t ca;
	size_t rec;
};

struct pool {
	struct pub_ca *cas;
	size_t ncas;
	struct ratecap *caps;		/* one per CA slot; shared signers share one */
	struct sink *sink;
	struct job *jobs;
	size_t njobs;
	atomic_size_t next;
	atomic_size_t done;
};

struct worker {
	struct pool *pool;
	struct signer_ctx **ctx;	/* per CA, created on first use */
	uint8_t *buf;
	pthread_t thread;
};

static void record_error(struct pub_ca *p, const char *msg)
{
	atomic_fetch_add(&p->errors, 1);
	pthread_mutex_lock(&p->lock);
	if (p->first_error[0] == '\0')
		snprintf(p->first_error, sizeof(p->first_error), "%s", msg);
	pthread_mutex_unlock(&p->lock);
}

/* Signs r once per pre-signed CertID hash; SHA-1 goes into the issuer
 * directory itself, the others into their own subdirectory. */
/* Just after a change of signer, a new response's thisUpdate is later than
 * any the previous signer gave, which is how later runs tell the two apart
 * (plan.c): backdating is shortened for at most one backdate interval. */
static void after_previous_signer(const struct pub_ca *p, int64_t now, int64_t *tu)
{
	int64_t floor = p->previous_signer_until + 1;

	if (p->previous_signer_until != 0 && *tu < floor && floor <= now)
		*tu = floor;
}

/* The response just stored as name, also under each of its GET keys. */
static int put_get_keys(struct sink *sink, struct pub_ca *p, int alg,
    const struct serial *serial, const char *name, const uint8_t *der, size_t len,
    struct err *e)
{
	struct get_key_names k;

	if (get_key_names(alg, &p->ca->hash[alg], serial, &k, e) != 0)
		return -1;
	for (size_t i = 0; i < k.n; i++)
		if (sink->ops->put_key(sink, k.name[i], p->alg_handle[alg], name, der, len, e) != 0)
			return -1;
	atomic_fetch_add_explicit(&p->get_written, k.n, memory_order_relaxed);
	atomic_fetch_add_explicit(&p->get_unstorable, k.unstorable, memory_order_relaxed);
	return 0;
}

static int sign_one(struct worker *w, struct signer_ctx *ctx, struct pub_ca *p,
    struct status_rec *r, struct err *e)
{
	char name[SERIAL_NAME_MAX + 1];
	struct single_resp s;
	struct response_opts o = { 0 };
	const uint8_t *der;
	size_t len;
	int64_t now = (int64_t)time(NULL), tu, nu;

	response_times(p->conf->validity, p->conf->backdate, r, now, &tu, &nu);
	after_previous_signer(p, now, &tu);
	/* What a CRL says holds until its nextUpdate, no longer. */
	if (nu > p->valid_until)
		nu = p->valid_until;
	if (nu <= now)
		return err_set(e, "the source's data is valid only until before now");
	serial_name(&r->serial, name);
	s.serial = &r->serial;
	s.st = r;
	s.this_update = tu;
	s.next_update = nu;
	o.produced_at = now;
	for (int alg = 0; alg < HASH_COUNT; alg++) {
		if (!((unsigned)p->conf->hashes & (1u << alg)))
			continue;
		s.alg = alg;
		s.name_hash = p->ca->hash[alg].name;
		s.key_hash = p->ca->hash[alg].key;
		atomic_fetch_add_explicit(&p->waited_ns, ratecap_take(p->cap), memory_order_relaxed);
		if (response_build(ca_signer_now(p->ca), ctx, &s, 1, &o, w->buf, RESPONSE_MAX, &der,
		    &len, e) != 0)
			return -1;
		atomic_fetch_add(&p->signatures, 1);
		if (w->pool->sink->ops->put(w->pool->sink, p->alg_handle[alg], name, der, len,
		    FS_NOSYNC, e) != 0)
			return -1;
		publish_journal_note(p, r, alg, der, len);
		if ((p->get_algs & (1u << alg)) &&
		    put_get_keys(w->pool->sink, p, alg, &r->serial, name, der, len, e) != 0)
			return -1;
	}
	r->this_update = tu;
	r->next_update = nu;
	return 0;
}

static int ensure_ctx(struct worker *w, size_t ca, struct err *e)
{
	if (w->ctx[ca] == NULL)
		w->ctx[ca] = signer_ctx_new(ca_signer_now(w->pool->cas[ca].ca)->signer, e);
	return w->ctx[ca] ? 0 : -1;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *pool = w->pool;
	struct err e;

	for (;;) {
		size_t start = atomic_fetch_add(&pool->next, POOL_BATCH);
		if (start >= pool->njobs)
			break;
		size_t end = start + POOL_BATCH < pool->njobs ? start + POOL_BATCH : pool->njobs;
		for (size_t j = start; j < end; j++) {
			struct pub_ca *p = &pool->cas[pool->jobs[j].ca];
			struct status_rec *r = &p->recs.v[pool->jobs[j].rec];
			size_t ca = pool->jobs[j].ca;
			if (ensure_ctx(w, ca, &e) != 0 || sign_one(w, w->ctx[ca], p, r, &e) != 0)
				record_error(p, e.msg);
			else
				atomic_fetch_add(&p->signed_ok, 1);
		}
		atomic_fetch_add(&pool->done, end - start);
	}
	return NULL;
}

static int make_jobs(struct pool *pool, struct err *e)
{
	size_t total = 0, k = 0;

	for (size_t c = 0; c < pool->ncas; c++)
		if (!pool->cas[c].bad_input)
			total += pool->cas[c].nsign;
	pool->jobs = malloc((total + 1) * sizeof(*pool->jobs));
	if (pool->jobs == NULL)
		return err_set(e, "out of memory");
	for (size_t c = 0; c < pool->ncas; c++) {
		if (pool->cas[c].bad_input)
			continue;
		for (size_t i = 0; i < pool->cas[c].nsign; i++) {
			pool->jobs[k].ca = c;
			pool->jobs[k].rec = pool->cas[c].sign[i];
			k++;
		}
	}
	pool->njobs = total;
	return 0;
}

static void worker_fini(struct worker *w, size_t ncas)
{
	if (w->ctx != NULL)
		for (size_t c = 0; c < ncas; c++)
			signer_ctx_free(w->ctx[c]);
	free(w->ctx);
	free(w->buf);
}

static void wait_with_progress(struct pool *pool, int show)
{
	struct progress *bar = progress_new(pool->njobs, show);
	struct timespec tick = { 0, 100 * 1000 * 1000 };

	while (atomic_load(&pool->done) < pool->njobs) {
		progress_update(bar, atomic_load(&pool->done));
		nanosleep(&tick, NULL);
	}
	progress_update(bar, pool->njobs);
	progress_done(bar);
}

/* One cap per signer with a max_sign_rate, however many CAs it signs for. */
static int caps_make(struct pool *pool, struct err *e)
{
	pool->caps = calloc(pool->ncas + 1, sizeof(*pool->caps));
	if (pool->caps == NULL)
		return err_set(e, "out of memory");
	for (size_t c = 0; c < pool->ncas; c++) {
		struct pub_ca *p = &pool->cas[c];
		const struct ca_signer *cs = p->bad_input ? NULL : ca_signer_now(p->ca);
		p->cap = NULL;
		atomic_init(&p->waited_ns, 0);
		if (cs == NULL || cs->max_sign_rate == 0)
			continue;
		for (size_t d = 0; d < c && p->cap == NULL; d++) {
			const struct pub_ca *q = &pool->cas[d];
			if (q->cap != NULL && ca_signer_now(q->ca)->signer == cs->signer)
				p->cap = q->cap;
		}
		if (p->cap == NULL) {
			p->cap = &pool->caps[c];
			ratecap_init(p->cap, cs->max_sign_rate);
		}
	}
	return 0;
}

int pool_run(struct pub_ca *cas, size_t ncas, struct sink *sink,
    unsigned nthreads, int show_progress, struct err *e)
{
	struct pool pool = { .cas = cas, .ncas = ncas, .sink = sink };
	struct worker *w = NULL;
	unsigned started = 0;
	int ret = -1;

	atomic_init(&pool.next, 0);
	atomic_init(&pool.done, 0);
	if (make_jobs(&pool, e) != 0 || caps_make(&pool, e) != 0) {
		free(pool.jobs);
		free(pool.caps);
		return -1;
	}
	if (nthreads < 1)
		nthreads = 1;
	if (pool.njobs < nthreads)
		nthreads = pool.njobs ? (unsigned)pool.njobs : 1;
	w = calloc(nthreads, sizeof(*w));
	if (w == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < nthreads; i++) {
		w[i].pool = &pool;
		w[i].ctx = calloc(ncas, sizeof(*w[i].ctx));
		w[i].buf = malloc(RESPONSE_MAX);
		if (w[i].ctx == NULL || w[i].buf == NULL) {
			err_set(e, "out of memory");
			goto out;
		}
	}
	for (; started < nthreads; started++)
		if (pthread_create(&w[started].thread, NULL, worker_main, &w[started]) != 0) {
			err_set(e, "cannot start a signing thread");
			break;
		}
	if (started > 0)
		wait_with_progress(&pool, show_progress);
	ret = started == nthreads ? 0 : -1;
out:
	for (unsigned i = 0; i < started; i++)
		pthread_join(w[i].thread, NULL);
	for (unsigned i = 0; w != NULL && i < nthreads; i++)
		worker_fini(&w[i], ncas);
	free(w);
	free(pool.jobs);
	for (size_t c = 0; c < ncas; c++) {
		cas[c].rate_wait = (double)atomic_load(&cas[c].waited_ns) / 1e9;
		cas[c].cap = NULL;
	}
	free(pool.caps);
	return ret;
}
