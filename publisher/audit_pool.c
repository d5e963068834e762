/* Threads for the audit: jobs are taken in small batches from one shared
 * counter, as the signing pool does, so a slow file or URL holds up only
 * its own thread. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "audit.h"

#define AUDIT_POOL_BATCH 16
#define AUDIT_THREADS_MAX 1024

struct pool {
	size_t n;
	void (*job)(void *arg, unsigned worker, size_t i);
	void *arg;
	atomic_size_t next;
};

struct worker {
	struct pool *p;
	unsigned id;
	pthread_t t;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->p;

	for (;;) {
		size_t i = atomic_fetch_add(&p->next, AUDIT_POOL_BATCH);
		if (i >= p->n)
			break;
		size_t end = i + AUDIT_POOL_BATCH < p->n ? i + AUDIT_POOL_BATCH : p->n;
		for (; i < end; i++)
			p->job(p->arg, w->id, i);
	}
	return NULL;
}

int audit_pool_run(size_t n, unsigned threads, void (*job)(void *arg, unsigned worker,
    size_t i), void *arg, struct err *e)
{
	struct pool p = { n, job, arg, 0 };
	struct worker *w;
	unsigned started = 0;

	if (threads == 0)
		threads = 1;
	if (threads > AUDIT_THREADS_MAX)
		threads = AUDIT_THREADS_MAX;
	w = calloc(threads, sizeof(*w));
	if (w == NULL)
		return err_set(e, "out of memory");
	for (unsigned i = 0; i < threads; i++) {
		w[i].p = &p;
		w[i].id = i;
		if (pthread_create(&w[i].t, NULL, work, &w[i]) != 0)
			break;
		started++;
	}
	/* Fewer threads than asked still finish every job. */
	for (unsigned i = 0; i < started; i++)
		pthread_join(w[i].t, NULL);
	free(w);
	if (started == 0)
		return err_set(e, "no thread could be started");
	return 0;
}
