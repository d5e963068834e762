/* What changes while lookupd runs: the configuration a SIGHUP replaces
 * under the workers' feet, and the log files a SIGUSR1 reopens.
 *
 * A new configuration becomes a new value (an answerer and the
 * configuration it points into) that the workers pick up at their next
 * request, without a lock on the request path: a worker announces the
 * oldest value it may still touch in a slot of its own (its pin) and then
 * reads the current value through one atomic pointer. The main thread
 * publishes a new value, keeps the old one on a retired list and frees it
 * only once no pin can reach it any more (a quiescent point: every worker
 * between requests, or in a request that started after the swap). The
 * request path costs one store to the worker's own cache line and two
 * atomic loads; the writer's wait costs the workers nothing.
 *
 * Why the order is safe (all pin and pointer accesses are seq_cst):
 *   reader: g = load(gen); store(pin, g); v = load(cur)
 *   writer: exchange(cur, new value with gen g+1); store(gen, g+1);
 *           free a value of gen k once every pin is 0 or > k.
 * A reader that still got the old value (gen k) loaded it before the
 * exchange, so it read gen <= k before that and its pin (<= k) was stored
 * before the writer's scan, which therefore waits for it. A pin above k
 * was taken after the new gen was stored, after the exchange: that reader
 * can only have loaded the new value.
 *
 * A worker also keeps per-thread state made from a value across requests
 * (signing contexts for a CA's key): it says so when it leaves, its pin
 * then stays on that value, and at its next request reload_enter tells it
 * to drop that state, while the old value is still alive for it; one in a
 * request during the swap drops it before leaving (reload_stale). A worker
 * that kept such state before the swap and does not serve again keeps the
 * old value alive until it does (reload_collect says how many are held):
 * a bounded cost, never a dangling pointer. */
#ifndef LOOKUPD_RELOAD_H
#define LOOKUPD_RELOAD_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"

struct reload;
struct reload_reader;

/* Frees a value once no reader can reach it: value and arg as given to
 * reload_publish. Called by reload_collect and reload_free only, in the
 * writer's thread. */
typedef void reload_release_fn(void *value, void *arg);

/* Room for readers readers (one per worker thread). */
int reload_new(size_t readers, reload_release_fn *release, struct reload **out,
    struct err *e);
/* Frees the current value and every retired one: every reader must be
 * gone (the workers stopped). NULL is a no-op. */
void reload_free(struct reload *r);

/* A slot for the calling thread, or NULL when all are taken (that thread
 * must not read values). Thread-safe. */
struct reload_reader *reload_join(struct reload *r);

/* Starts a read-side section and returns the current value (NULL before
 * the first reload_publish). *drop is set when the reader said it kept
 * state from an older value (reload_leave): it must drop that state now,
 * before leaving; the older value is still alive until then. rd may be
 * NULL: then NULL is returned. */
void *reload_enter(struct reload_reader *rd, int *drop);
/* Ends the section. keep: the reader keeps per-thread state made from the
 * value it entered with, which then stays alive until its next section. */
void reload_leave(struct reload_reader *rd, int keep);
/* Inside a section: whether the value entered has been replaced since
 * (state made from it is better dropped before leaving, so that the old
 * value is not kept alive by a reader that may not serve again soon). */
int reload_stale(const struct reload_reader *rd);
/* Readers inside a section now (requests in flight), for the drain. */
size_t reload_busy(const struct reload *r);

/* Writer side, one thread: makes value current (arg goes to the release
 * function with it) and retires the one before. Returns 0, or -1 when out
 * of memory (nothing changed; the caller still owns value). */
int reload_publish(struct reload *r, void *value, void *arg, struct err *e);
/* The current value (writer side). */
void *reload_current(const struct reload *r);
/* Frees the retired values no reader can reach; returns how many are
 * still retired (held by a reader in a long request, or by one that kept
 * state and has not served since). */
size_t reload_collect(struct reload *r);

/* ---- log files ---- */

/* Reopens one log file (after logrotate moved it away); on failure says
 * why in e and keeps writing where it did. */
typedef int reload_reopen_fn(void *arg, struct err *e);

#define RELOAD_REOPEN_MAX 8

/* Registers a log file for SIGUSR1 (the daemon's log, the access log).
 * Call from the main thread before serving. Returns 0, or -1 when
 * RELOAD_REOPEN_MAX are registered. */
int reload_on_reopen(reload_reopen_fn *fn, void *arg, const char *what, struct err *e);
/* Calls every registered function (the main thread, at SIGUSR1); returns
 * how many failed, each logged with what it reopens. */
int reload_reopen_all(void);

#endif
