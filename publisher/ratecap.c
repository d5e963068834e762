/* max_sign_rate: a shared HSM must not be monopolised by one big refresh.
 * Signatures are given start times one interval apart, whatever thread
 * asks; a thread whose slot is in the future sleeps until it comes. */
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "publisher.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void ratecap_init(struct ratecap *r, int64_t per_second)
{
	r->interval_ns = per_second > 0 ? 1000000000LL / per_second : 0;
	atomic_init(&r->next_ns, 0);
}

int64_t ratecap_take(struct ratecap *r)
{
	int64_t t, slot, start;
	struct timespec ts;

	if (r == NULL || r->interval_ns == 0)
		return 0;
	t = now_ns();
	slot = atomic_load_explicit(&r->next_ns, memory_order_relaxed);
	do {
		/* An idle spell earns no burst: the next slot is never in the past. */
		start = slot > t ? slot : t;
	} while (!atomic_compare_exchange_weak(&r->next_ns, &slot, start + r->interval_ns));
	if (start <= t)
		return 0;
	ts.tv_sec = (time_t)((start - t) / 1000000000LL);
	ts.tv_nsec = (long)((start - t) % 1000000000LL);
	while (nanosleep(&ts, &ts) != 0)
		;
	return start - t;
}
