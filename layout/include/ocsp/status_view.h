/* The status of one CA's certificates as lookupd sees it for online
 * answers: the status index the publisher wrote into the tree when there
 * is one (so online answers say what the pre-signed files say), else the
 * CA's own index file (online-only operation, no tree).
 *
 * Lookups are cheap and thread-safe. status_view_reload, called from one
 * thread every reload interval, picks up a replaced file (the publisher
 * and openssl ca replace them by rename) without blocking lookups; a file
 * that cannot be read keeps the previous data in service. */
#ifndef OCSP_STATUS_VIEW_H
#define OCSP_STATUS_VIEW_H

#include <stdint.h>

#include "ocsp/err.h"
#include "ocsp/serial.h"
#include "ocsp/status.h"

struct status_view_opts {
	const char *status_index;	/* <tree>/<issuer>/status.idx, or NULL */
	const char *index;		/* openssl ca index file, or NULL */
};

struct status_view;

/* Creates the view and loads what exists now. A missing status index is
 * not an error (the view falls back to the index file, or has no data
 * until a publish arrives); a broken file is. */
int status_view_new(const struct status_view_opts *o, struct status_view **out,
    struct err *e);
void status_view_free(struct status_view *v);

enum status_find {
	STATUS_FOUND,		/* *out filled */
	STATUS_ABSENT,		/* the CA never issued this serial */
	STATUS_NO_DATA,		/* nothing loaded: no status index, no index file */
};

enum status_find status_view_find(struct status_view *v, const struct serial *s,
    struct status_rec *out);

/* Reloads when the source file was replaced or changed since the last
 * load (or when a status index appeared). Returns 1 when new data is in
 * service, 0 when nothing changed, -1 (old data kept) on error. */
int status_view_reload(struct status_view *v, struct err *e);

/* Changes with every load: answers derived from older data are stale. */
uint64_t status_view_epoch(struct status_view *v);

/* Which source is in service, for logs: "status index", "index file" or
 * "none". */
const char *status_view_source(struct status_view *v);

#endif
