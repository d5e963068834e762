/* The status of one CA's certificates as lookupd sees it for online
 * answers. From the CA's source when it can be asked live (a database, a
 * CRL lookupd fetches itself: source.h), so a revocation is answered
 * without waiting for a publish run; else, and while a live source is
 * down, from the status index the publisher wrote into the tree (so online
 * answers say what the pre-signed files say), else from the source read
 * whole (an index file: online-only operation, no tree).
 *
 * Lookups are thread-safe. status_view_reload, called from one thread
 * every reload interval, picks up a replaced file (the publisher and
 * openssl ca replace them by rename) or a renewed CRL without blocking
 * lookups; data that cannot be read keeps the previous data in service. */
#ifndef OCSP_STATUS_VIEW_H
#define OCSP_STATUS_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"
#include "ocsp/serial.h"
#include "ocsp/status.h"

#include "ocsp/source.h"

struct status_view_opts {
	const char *status_index;	/* <tree>/<issuer>/status.idx, or NULL */
	struct source *source;		/* the CA's source, or NULL; the view owns it */
	/* A live source that cannot be read at first is an outage, the tree
	 * serving meanwhile; strict (lookupd --check) makes it an error. */
	int strict;
	/* A live source went down or came back (one call each way). */
	void (*outage)(void *arg, int down, const char *msg);
	void *arg;
};

struct status_view;

/* Creates the view and loads what exists now. A missing status index is
 * not an error (the view falls back to the source, or has no data until a
 * publish arrives); a broken file is. The source is the view's even when
 * this fails. */
int status_view_new(const struct status_view_opts *o, struct status_view **out,
    struct err *e);
void status_view_free(struct status_view *v);

enum status_find {
	STATUS_FOUND,		/* *out filled */
	STATUS_ABSENT,		/* the CA never issued this serial */
	STATUS_NO_DATA,		/* nothing loaded: no status index, no index file;
				 * or the live source is down and the serial is
				 * not in the status index */
};

enum status_find status_view_find(struct status_view *v, const struct serial *s,
    int64_t now, struct status_rec *out);

/* Whether the tree's pre-signed response for s may be served: always,
 * unless a live source (up) says otherwise than the status index it was
 * signed from (a revocation since the last publish run). */
int status_view_tree_agrees(struct status_view *v, const struct serial *s, int64_t now);

/* Whether answers come from a live source, which changes without a reload:
 * online answers are then kept no longer than ttl (its cache's). */
int status_view_live(const struct status_view *v, int64_t *ttl);

/* The latest nextUpdate an answer from the source's data may carry (a
 * CRL's nextUpdate); INT64_MAX when it sets none. */
int64_t status_view_valid_until(const struct status_view *v);

/* Reloads when the status index or the source changed since the last load
 * (or when a status index appeared). Returns 1 when new data is in
 * service, 0 when nothing changed, -1 (old data kept) on error. */
int status_view_reload(struct status_view *v, int64_t now, struct err *e);

/* Changes with every load: answers derived from older data are stale. */
uint64_t status_view_epoch(struct status_view *v);

/* Which source is in service, for logs: "status index", the source's
 * name, "live <name> (status index while it is down)" or "none". */
const char *status_view_source(struct status_view *v, char *buf, size_t n);

#endif
