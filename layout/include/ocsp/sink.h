/* Where the publisher's output goes. The publisher never writes files
 * itself: a sink receives responses and metadata per issuer directory.
 * The directory sink is the first; --dry-run uses the null sink, which
 * keeps nothing (the benchmark measures signing through it). */
#ifndef OCSP_SINK_H
#define OCSP_SINK_H

#include <stddef.h>

#include "ocsp/err.h"
#include "ocsp/fsutil.h"

#define SINK_ROOT (-1)	/* handle of the tree root */

struct sink;

struct sink_ops {
	/* Prepares an issuer directory; returns a handle >= 0 for put/remove.
	 * Called before any put, from one thread. */
	int (*open_issuer)(struct sink *s, const char *dir, struct err *e);
	/* Stores one file atomically. Safe to call from many threads. */
	int (*put)(struct sink *s, int handle, const char *name, const void *p,
	    size_t n, enum fs_sync sync, struct err *e);
	/* Removes one file; a file already gone is not an error. */
	int (*remove)(struct sink *s, int handle, const char *name, struct err *e);
	/* Stores a response also under a GET key (get_key.h: a name under
	 * get/ in which '/' separates directories), atomically. p and n are
	 * its bytes; the same response was just put as name in handle, which
	 * a sink may link to instead of copying. Safe from many threads. */
	int (*put_key)(struct sink *s, const char *key, int handle, const char *name,
	    const void *p, size_t n, struct err *e);
	/* Removes a GET key (and directories it leaves empty); a key already
	 * gone is not an error. One thread, after every put. */
	int (*remove_key)(struct sink *s, const char *key, struct err *e);
	/* Makes every put so far durable. */
	int (*sync)(struct sink *s, struct err *e);
	/* Marks the run complete (after the last commit file). */
	int (*finish)(struct sink *s, struct err *e);
	void (*free)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
};

/* Opens root (created if missing) for one publisher run: takes the tree
 * lock (fails at once if another run holds it) and clears temp files left
 * by a run that was killed. *busy is set when the lock was the problem. */
struct sink *sink_dir_new(const char *root, int *busy, struct err *e);
struct sink *sink_null_new(struct err *e);

static inline void sink_free(struct sink *s)
{
	if (s != NULL)
		s->ops->free(s);
}

#endif
