#include "watchdog.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A real-time signal nothing else in the process uses. */
#define WATCHDOG_SIGNAL (SIGRTMIN + 2)

struct watchdog {
	struct watchdog_slot *slots;
	size_t nslots;
	atomic_size_t used;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;			/* under lock */
};

int64_t watchdog_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Does nothing: being delivered is what interrupts the wait. */
static void on_signal(int sig)
{
	(void)sig;
}

static void round_of(struct watchdog *wd)
{
	size_t n = atomic_load_explicit(&wd->used, memory_order_acquire);
	int64_t now = watchdog_now_ms();

	if (n > wd->nslots)
		n = wd->nslots;
	for (size_t i = 0; i < n; i++) {
		/* Acquire: the slot's thread was written before it was armed. */
		int64_t d = atomic_load_explicit(&wd->slots[i].deadline_ms, memory_order_acquire);
		if (d != 0 && now > d)
			pthread_kill(wd->slots[i].thread, WATCHDOG_SIGNAL);
	}
}

static void *watch(void *arg)
{
	struct watchdog *wd = arg;
	struct timespec until;

	pthread_mutex_lock(&wd->lock);
	while (!wd->stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += WATCHDOG_ROUND_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&wd->wake, &wd->lock, &until) == ETIMEDOUT &&
		    !wd->stopping) {
			pthread_mutex_unlock(&wd->lock);
			round_of(wd);
			pthread_mutex_lock(&wd->lock);
		}
	}
	pthread_mutex_unlock(&wd->lock);
	return NULL;
}

int watchdog_start(size_t slots, struct watchdog **out, struct err *e)
{
	struct watchdog *wd = calloc(1, sizeof(*wd));
	struct sigaction sa;

	*out = NULL;
	if (wd == NULL || (wd->slots = calloc(slots ? slots : 1, sizeof(*wd->slots))) == NULL) {
		free(wd);
		return err_set(e, "out of memory");
	}
	wd->nslots = slots;
	atomic_init(&wd->used, 0);
	for (size_t i = 0; i < slots; i++)
		atomic_init(&wd->slots[i].deadline_ms, 0);
	pthread_mutex_init(&wd->lock, NULL);
	pthread_cond_init(&wd->wake, NULL);
	/* No SA_RESTART: the interrupted call must fail, not resume. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(WATCHDOG_SIGNAL, &sa, NULL) != 0 ||
	    pthread_create(&wd->thread, NULL, watch, wd) != 0) {
		err_set(e, "cannot start the watchdog: %s", strerror(errno));
		pthread_cond_destroy(&wd->wake);
		pthread_mutex_destroy(&wd->lock);
		free(wd->slots);
		free(wd);
		return -1;
	}
	*out = wd;
	return 0;
}

void watchdog_stop(struct watchdog *wd)
{
	if (wd == NULL)
		return;
	pthread_mutex_lock(&wd->lock);
	wd->stopping = 1;
	pthread_cond_signal(&wd->wake);
	pthread_mutex_unlock(&wd->lock);
	pthread_join(wd->thread, NULL);
	pthread_cond_destroy(&wd->wake);
	pthread_mutex_destroy(&wd->lock);
	free(wd->slots);
	free(wd);
}

struct watchdog_slot *watchdog_join(struct watchdog *wd)
{
	size_t i;

	if (wd == NULL)
		return NULL;
	i = atomic_fetch_add_explicit(&wd->used, 1, memory_order_acq_rel);
	if (i >= wd->nslots)
		return NULL;
	wd->slots[i].thread = pthread_self();
	return &wd->slots[i];
}

void watchdog_arm(struct watchdog_slot *s, int64_t deadline_ms)
{
	if (s != NULL)
		atomic_store_explicit(&s->deadline_ms, deadline_ms, memory_order_release);
}

void watchdog_disarm(struct watchdog_slot *s)
{
	if (s != NULL)
		atomic_store_explicit(&s->deadline_ms, 0, memory_order_relaxed);
}
