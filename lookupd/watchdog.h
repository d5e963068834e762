/* The watchdog: interrupts a worker that is past its deadline while it
 * waits for a client.
 *
 * civetweb reads a request body until all of it has arrived, and only a
 * silence longer than its request timeout ends the wait: a client that
 * trickles a byte now and then holds the worker as long as it likes. A
 * worker arms its slot before such a wait; the watchdog, a thread of its
 * own, sends it WATCHDOG_SIGNAL once the deadline has passed (and again at
 * each round until the slot is disarmed), which makes the poll() civetweb
 * waits in fail, and the read return. The signal's handler does nothing. */
#ifndef LOOKUPD_WATCHDOG_H
#define LOOKUPD_WATCHDOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"

/* How often the watchdog looks: a deadline is enforced this late at most. */
#define WATCHDOG_ROUND_MS 100

struct watchdog_slot {
	_Atomic int64_t deadline_ms;	/* monotonic; 0: not armed */
	pthread_t thread;
};

struct watchdog;

/* Installs the signal's handler and starts the thread, with room for
 * slots workers. */
int watchdog_start(size_t slots, struct watchdog **out, struct err *e);
/* Stops the thread and frees the slots (every worker is gone by then). */
void watchdog_stop(struct watchdog *wd);

/* Gives the calling thread a slot, or NULL when all are taken (it then
 * goes without: its waits are bounded by civetweb's timeouts only). */
struct watchdog_slot *watchdog_join(struct watchdog *wd);

void watchdog_arm(struct watchdog_slot *s, int64_t deadline_ms);
void watchdog_disarm(struct watchdog_slot *s);

/* The clock deadlines are in (CLOCK_MONOTONIC, milliseconds). */
int64_t watchdog_now_ms(void);

#endif
