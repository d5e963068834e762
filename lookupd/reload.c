#include "reload.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ocsp/log.h"

/* Gens start above 0 (a pin of 0 means "none"), and the first value gets
 * a gen above the initial one, so that a reader that pinned before the
 * first publish still protects it. */
#define GEN_NONE 1

/* Each reader's slot on a cache line of its own: a worker's store at every
 * request must not make the others' lines bounce. */
#define CACHE_LINE 64

struct reload_reader {
	alignas(CACHE_LINE) _Atomic uint64_t pin;	/* 0: nothing pinned */
	atomic_int inside;		/* in a section now */
	struct reload *owner;
	uint64_t gen;			/* the reader's own: gen of the value entered */
	uint64_t kept;			/* the reader's own: gen of kept state, 0: none */
};

struct node {
	void *value, *arg;
	uint64_t gen;
	struct node *next;		/* on the retired list */
};

struct reload {
	struct node *_Atomic cur;
	_Atomic uint64_t gen;
	struct node *retired;		/* the writer's own */
	reload_release_fn *release;
	struct reload_reader *readers;
	size_t nreaders;
	atomic_size_t used;
};

int reload_new(size_t readers, reload_release_fn *release, struct reload **out,
    struct err *e)
{
	struct reload *r = calloc(1, sizeof(*r));
	size_t n = readers ? readers : 1;

	*out = NULL;
	if (r == NULL)
		return err_set(e, "out of memory");
	r->readers = aligned_alloc(CACHE_LINE, n * sizeof(*r->readers));
	if (r->readers == NULL) {
		free(r);
		return err_set(e, "out of memory");
	}
	memset(r->readers, 0, n * sizeof(*r->readers));
	for (size_t i = 0; i < n; i++) {
		atomic_init(&r->readers[i].pin, 0);
		atomic_init(&r->readers[i].inside, 0);
		r->readers[i].owner = r;
	}
	r->nreaders = readers;
	r->release = release;
	atomic_init(&r->cur, NULL);
	atomic_init(&r->gen, GEN_NONE);
	atomic_init(&r->used, 0);
	*out = r;
	return 0;
}

static void node_release(struct reload *r, struct node *n)
{
	r->release(n->value, n->arg);
	free(n);
}

void reload_free(struct reload *r)
{
	struct node *n;

	if (r == NULL)
		return;
	if ((n = atomic_load(&r->cur)) != NULL)
		node_release(r, n);
	while ((n = r->retired) != NULL) {
		r->retired = n->next;
		node_release(r, n);
	}
	free(r->readers);
	free(r);
}

struct reload_reader *reload_join(struct reload *r)
{
	size_t i = atomic_fetch_add(&r->used, 1);

	return i < r->nreaders ? &r->readers[i] : NULL;
}

void *reload_enter(struct reload_reader *rd, int *drop)
{
	struct node *n;

	*drop = 0;
	if (rd == NULL)
		return NULL;
	/* A reader that kept state is still pinned at its value, which is no
	 * newer than anything it can load now. */
	if (rd->kept == 0)
		atomic_store(&rd->pin, atomic_load(&rd->owner->gen));
	atomic_store_explicit(&rd->inside, 1, memory_order_relaxed);
	n = atomic_load(&rd->owner->cur);
	rd->gen = n != NULL ? n->gen : 0;
	*drop = rd->kept != 0 && rd->kept != rd->gen;
	return n != NULL ? n->value : NULL;
}

void reload_leave(struct reload_reader *rd, int keep)
{
	if (rd == NULL)
		return;
	/* Release: whatever the reader read of the value comes before the
	 * writer's scan sees the pin move. */
	rd->kept = keep && rd->gen != 0 ? rd->gen : 0;
	atomic_store_explicit(&rd->pin, rd->kept, memory_order_release);
	atomic_store_explicit(&rd->inside, 0, memory_order_release);
}

int reload_stale(const struct reload_reader *rd)
{
	return rd != NULL && rd->gen != 0 &&
	    rd->gen != atomic_load_explicit(&rd->owner->gen, memory_order_relaxed);
}

size_t reload_busy(const struct reload *r)
{
	size_t n = atomic_load(&((struct reload *)r)->used), busy = 0;

	if (n > r->nreaders)
		n = r->nreaders;
	for (size_t i = 0; i < n; i++)
		busy += atomic_load_explicit(&r->readers[i].inside, memory_order_acquire) != 0;
	return busy;
}

int reload_publish(struct reload *r, void *value, void *arg, struct err *e)
{
	struct node *n = calloc(1, sizeof(*n)), *old;

	if (n == NULL)
		return err_set(e, "out of memory");
	n->value = value;
	n->arg = arg;
	n->gen = atomic_load(&r->gen) + 1;
	/* The pointer first, then the gen: see reload.h. */
	old = atomic_exchange(&r->cur, n);
	atomic_store(&r->gen, n->gen);
	if (old != NULL) {
		old->next = r->retired;
		r->retired = old;
	}
	return 0;
}

void *reload_current(const struct reload *r)
{
	struct node *n = atomic_load(&((struct reload *)r)->cur);

	return n != NULL ? n->value : NULL;
}

/* The lowest pin of any reader (UINT64_MAX when none is pinned): values
 * of a gen below it are out of every reader's reach. */
static uint64_t lowest_pin(struct reload *r)
{
	size_t n = atomic_load(&r->used);
	uint64_t low = UINT64_MAX;

	if (n > r->nreaders)
		n = r->nreaders;
	for (size_t i = 0; i < n; i++) {
		uint64_t p = atomic_load(&r->readers[i].pin);
		if (p != 0 && p < low)
			low = p;
	}
	return low;
}

size_t reload_collect(struct reload *r)
{
	uint64_t low;
	struct node **pp = &r->retired, *n;
	size_t left = 0;

	if (r->retired == NULL)
		return 0;
	low = lowest_pin(r);
	while ((n = *pp) != NULL) {
		if (n->gen < low) {
			*pp = n->next;
			node_release(r, n);
		} else {
			pp = &n->next;
			left++;
		}
	}
	return left;
}

/* ---- log files ---- */

static struct {
	reload_reopen_fn *fn;
	void *arg;
	const char *what;
} reopeners[RELOAD_REOPEN_MAX];
static size_t nreopeners;

int reload_on_reopen(reload_reopen_fn *fn, void *arg, const char *what, struct err *e)
{
	if (nreopeners == RELOAD_REOPEN_MAX)
		return err_set(e, "more than %d log files to reopen", RELOAD_REOPEN_MAX);
	reopeners[nreopeners].fn = fn;
	reopeners[nreopeners].arg = arg;
	reopeners[nreopeners].what = what;
	nreopeners++;
	return 0;
}

int reload_reopen_all(void)
{
	int failed = 0;
	struct err e;

	for (size_t i = 0; i < nreopeners; i++) {
		if (reopeners[i].fn(reopeners[i].arg, &e) == 0) {
			log_info("reopened %s", reopeners[i].what);
			continue;
		}
		log_error("cannot reopen %s: %s; still writing to the old one",
		    reopeners[i].what, e.msg);
		failed++;
	}
	return failed;
}
