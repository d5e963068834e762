/* lookupd/reload.c: a value is released exactly when no reader can reach
 * it (a table of steps), and under threads no reader ever sees a
 * released value (a stress run; ASan would also see the use after free). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "check.h"
#include "reload.h"

#define LIVE 0x4c495645u

struct value {
	unsigned magic;
	int id;
};

static atomic_int released;
static int released_ids[64];

static void release(void *v, void *arg)
{
	struct value *x = v;
	int n = atomic_fetch_add(&released, 1);

	(void)arg;
	if (n < 64)
		released_ids[n] = x->id;
	x->magic = 0;
	free(x);
}

static struct value *value_new(int id)
{
	struct value *v = malloc(sizeof(*v));

	v->magic = LIVE;
	v->id = id;
	return v;
}

static void publish(struct reload *r, int id)
{
	struct err e;

	CHECK_EQ(reload_publish(r, value_new(id), NULL, &e), 0);
}

static void steps(void)
{
	struct reload *r;
	struct reload_reader *a, *b;
	struct value *v;
	struct err e;
	int drop;

	check_case("steps");
	CHECK_EQ(reload_new(2, release, &r, &e), 0);
	a = reload_join(r);
	b = reload_join(r);
	CHECK(a != NULL && b != NULL && a != b);
	CHECK(reload_join(r) == NULL);		/* only two slots */
	CHECK(reload_enter(NULL, &drop) == NULL);

	/* Before any value: NULL, and nobody is held. */
	CHECK(reload_enter(a, &drop) == NULL);
	CHECK_EQ(reload_busy(r), 1);
	reload_leave(a, 0);
	CHECK_EQ(reload_busy(r), 0);

	/* A reader pinned before the first value still protects it. */
	CHECK(reload_enter(a, &drop) == NULL);
	publish(r, 1);
	reload_leave(a, 0);

	/* A reader inside holds the value it entered with. */
	v = reload_enter(a, &drop);
	CHECK(v != NULL && v->id == 1 && !drop);
	publish(r, 2);
	CHECK_EQ(reload_collect(r), 1);
	CHECK_EQ(atomic_load(&released), 0);
	CHECK_EQ(v->magic, LIVE);
	/* Another reader entering now gets the new one. */
	v = reload_enter(b, &drop);
	CHECK(v != NULL && v->id == 2);
	reload_leave(b, 0);
	reload_leave(a, 0);
	CHECK_EQ(reload_collect(r), 0);
	CHECK_EQ(atomic_load(&released), 1);
	CHECK_EQ(released_ids[0], 1);

	/* Replaced during a section: the reader is told so before it leaves. */
	v = reload_enter(b, &drop);
	CHECK(!reload_stale(b));
	publish(r, 20);
	CHECK(reload_stale(b));
	reload_leave(b, 0);
	CHECK_EQ(reload_collect(r), 0);
	CHECK_EQ(released_ids[1], 2);
	CHECK(!reload_stale(NULL));

	/* State kept across sections holds its value until the next one. */
	v = reload_enter(b, &drop);
	CHECK(v->id == 20 && !drop);
	reload_leave(b, 1);
	publish(r, 3);
	CHECK_EQ(reload_collect(r), 1);		/* b keeps state of 20 */
	v = reload_enter(b, &drop);
	CHECK(v->id == 3 && drop);		/* told to drop it, 20 still alive */
	CHECK_EQ(reload_collect(r), 1);
	reload_leave(b, 1);			/* now keeps state of 3 */
	CHECK_EQ(reload_collect(r), 0);
	CHECK_EQ(released_ids[2], 20);
	v = reload_enter(b, &drop);
	CHECK(v->id == 3 && !drop);		/* same value: nothing to drop */
	reload_leave(b, 0);
	CHECK(((struct value *)reload_current(r))->id == 3);

	/* At the end: the current value and any retired one are released. */
	publish(r, 4);
	CHECK(reload_enter(a, &drop) != NULL);	/* holds 4 */
	publish(r, 5);
	reload_leave(a, 0);
	reload_free(r);
	CHECK_EQ(atomic_load(&released), 6);
	reload_free(NULL);
}

#define READERS 4
#define VALUES 2000

static atomic_int stop;
static atomic_int bad;

static void *reader(void *arg)
{
	struct reload *r = arg;
	struct reload_reader *rd = reload_join(r);
	unsigned long n = 0;
	int kept = -1, drop;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct value *v = reload_enter(rd, &drop);
		if (drop)
			kept = -1;
		if (v != NULL && v->magic != LIVE)
			atomic_fetch_add(&bad, 1);
		/* Every third section keeps state made from its value. */
		int keep = v != NULL && ++n % 3 == 0;
		if (keep)
			kept = v->id;
		reload_leave(rd, keep);
	}
	(void)kept;
	return NULL;
}

static void stress(void)
{
	pthread_t t[READERS];
	struct reload *r;
	struct err e;

	check_case("stress");
	atomic_store(&released, 0);
	CHECK_EQ(reload_new(READERS, release, &r, &e), 0);
	for (int i = 0; i < READERS; i++)
		pthread_create(&t[i], NULL, reader, r);
	for (int i = 0; i < VALUES; i++) {
		publish(r, 100 + i);
		reload_collect(r);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < READERS; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(atomic_load(&bad), 0);
	CHECK_EQ(reload_busy(r), 0);
	reload_free(r);
	CHECK_EQ(atomic_load(&released), VALUES);
}

static int reopened;

static int reopen_ok(void *arg, struct err *e)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int reopen_bad(void *arg, struct err *e)
{
	(void)arg;
	return err_set(e, "no such file");
}

static void reopen(void)
{
	struct err e;
	int i;

	check_case("reopen");
	CHECK_EQ(reload_on_reopen(reopen_ok, &reopened, "one", &e), 0);
	CHECK_EQ(reload_on_reopen(reopen_bad, NULL, "two", &e), 0);
	CHECK_EQ(reload_reopen_all(), 1);
	CHECK_EQ(reopened, 1);
	for (i = 2; i < RELOAD_REOPEN_MAX; i++)
		CHECK_EQ(reload_on_reopen(reopen_ok, &reopened, "more", &e), 0);
	CHECK_EQ(reload_on_reopen(reopen_ok, &reopened, "too many", &e), -1);
	CHECK_EQ(reload_reopen_all(), 1);
	CHECK_EQ(reopened, 1 + RELOAD_REOPEN_MAX - 1);
}

int main(void)
{
	steps();
	stress();
	reopen();
	return check_done();
}
