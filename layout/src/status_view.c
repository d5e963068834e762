#include "ocsp/status_view.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocsp/fsutil.h"
#include "ocsp/status_index.h"

struct snapshot {
	struct status_index *si;	/* from the tree, or */
	struct status_list list;	/* the source read whole */
	int from_source;
	int loaded;
};

struct status_view {
	char *status_index;
	struct source *source;
	int live;			/* the source is asked for each serial */
	void (*outage)(void *arg, int down, const char *msg);
	void *arg;
	pthread_rwlock_t lock;		/* readers: lookups; writer: the swap */
	struct snapshot cur;
	struct file_sig si_id;
	int source_read;		/* the source's data is in cur.list */
	atomic_uint_fast64_t epoch;
	atomic_int down;		/* the live source failed its last lookup */
};

static void note_outage(struct status_view *v, int down, const struct err *e);

static void snapshot_fini(struct snapshot *s)
{
	status_index_close(s->si);
	status_list_fini(&s->list);
	memset(s, 0, sizeof(*s));
}

/* The status index if there is one, else the source read whole, unless it
 * is asked live: then lookups go to it, and this is what serves while it
 * is down. */
static int load(struct status_view *v, const struct file_sig *si_id, int64_t now,
    struct snapshot *out, struct err *e)
{
	int r;

	memset(out, 0, sizeof(*out));
	status_list_init(&out->list);
	if (si_id->exists) {
		r = status_index_open(v->status_index, &out->si, e);
		if (r < 0)
			return -1;
		out->loaded = r == 0;
		if (out->loaded)
			return 0;
	}
	if (v->source == NULL || v->live)
		return 0;
	if (source_read(v->source, now, &out->list, e) != 0) {
		status_list_fini(&out->list);
		return -1;
	}
	out->from_source = 1;
	out->loaded = 1;
	return 0;
}

/* Whether the source has anything new: a live one reloads what it keeps
 * (a CRL); one read whole, while there is no status index, is read again
 * when it says it changed. */
static int source_changed(struct status_view *v, const struct file_sig *si_id, int64_t now,
    struct err *e)
{
	int r;

	if (v->source == NULL)
		return 0;
	if ((r = source_refresh(v->source, now, e)) < 0)
		return -1;
	if (v->live)
		return r;
	return !si_id->exists && (r > 0 || !v->source_read);
}

int status_view_reload(struct status_view *v, int64_t now, struct err *e)
{
	struct file_sig si_id;
	struct snapshot next, old;
	int changed, failed;
	struct err le;

	if (v->status_index != NULL)
		file_sig_get(v->status_index, 1, &si_id);
	else
		memset(&si_id, 0, sizeof(si_id));
	/* A live source that fails keeps what it had; the status index,
	 * which serves while it is down, is loaded all the same. */
	if ((changed = source_changed(v, &si_id, now, e)) < 0 && !v->live)
		return -1;
	failed = changed < 0;
	if (failed)
		changed = 0;
	if (file_sig_eq(&si_id, &v->si_id) && !changed)
		return failed ? -1 : 0;
	if (!file_sig_eq(&si_id, &v->si_id) || !v->live) {
		if (load(v, &si_id, now, &next, failed ? &le : e) != 0)
			return -1;
		pthread_rwlock_wrlock(&v->lock);
		old = v->cur;
		v->cur = next;
		pthread_rwlock_unlock(&v->lock);
		snapshot_fini(&old);
		v->source_read = next.from_source;
		v->si_id = si_id;
	}
	atomic_fetch_add(&v->epoch, 1);
	return failed ? -1 : 1;
}

int status_view_new(const struct status_view_opts *o, struct status_view **out,
    struct err *e)
{
	struct status_view *v = calloc(1, sizeof(*v));
	int64_t ttl;

	*out = NULL;
	if (v == NULL) {
		source_close(o->source);
		return err_set(e, "out of memory");
	}
	pthread_rwlock_init(&v->lock, NULL);
	status_list_init(&v->cur.list);
	atomic_init(&v->epoch, 1);
	atomic_init(&v->down, 0);
	v->source = o->source;
	v->live = v->source != NULL && source_is_live(v->source, &ttl);
	v->outage = o->outage;
	v->arg = o->arg;
	if (o->status_index && (v->status_index = strdup(o->status_index)) == NULL) {
		status_view_free(v);
		return err_set(e, "out of memory");
	}
	/* Force the first load: no file has this identity. */
	v->si_id.exists = -1;
	if (status_view_reload(v, (int64_t)time(NULL), e) < 0) {
		if (o->strict || !v->live) {
			status_view_free(v);
			return -1;
		}
		/* A CRL server or database down at start: the tree serves, and
		 * the source is asked again at the next reloads. */
		note_outage(v, 1, e);
	}
	*out = v;
	return 0;
}

void status_view_free(struct status_view *v)
{
	if (v == NULL)
		return;
	snapshot_fini(&v->cur);
	pthread_rwlock_destroy(&v->lock);
	source_close(v->source);
	free(v->status_index);
	free(v);
}

/* From what was loaded: the status index or the source read whole. */
static enum status_find snapshot_find(struct status_view *v, const struct serial *s,
    struct status_rec *out)
{
	enum status_find r = STATUS_NO_DATA;

	pthread_rwlock_rdlock(&v->lock);
	if (v->cur.loaded && v->cur.from_source) {
		const struct status_rec *rec = status_list_find(&v->cur.list, s);
		r = rec ? STATUS_FOUND : STATUS_ABSENT;
		if (rec)
			*out = *rec;
	} else if (v->cur.loaded) {
		r = status_index_find(v->cur.si, s, out) ? STATUS_FOUND : STATUS_ABSENT;
	}
	pthread_rwlock_unlock(&v->lock);
	return r;
}

/* Tells of an outage once as it starts and once as it ends. */
static void note_outage(struct status_view *v, int down, const struct err *e)
{
	if (atomic_exchange(&v->down, down) == down || v->outage == NULL)
		return;
	v->outage(v->arg, down, down ? e->msg : source_name(v->source));
}

/* The live source's answer; -1 when it is down. */
static int live_find(struct status_view *v, const struct serial *s, int64_t now,
    struct status_rec *out, enum status_find *r)
{
	struct err e = { "" };

	switch (source_lookup(v->source, s, now, out, &e)) {
	case SOURCE_FOUND:
		*r = STATUS_FOUND;
		break;
	case SOURCE_UNLISTED_GOOD:
		memset(out, 0, sizeof(*out));
		out->serial = *s;
		out->status = CERT_GOOD;
		out->reason = REASON_NONE;
		*r = STATUS_FOUND;
		break;
	case SOURCE_ABSENT:
		*r = STATUS_ABSENT;
		break;
	default:
		note_outage(v, 1, &e);
		return -1;
	}
	note_outage(v, 0, &e);
	return 0;
}

enum status_find status_view_find(struct status_view *v, const struct serial *s,
    int64_t now, struct status_rec *out)
{
	enum status_find r;

	if (!v->live)
		return snapshot_find(v, s, out);
	if (live_find(v, s, now, out, &r) == 0)
		return r;
	/* Down: the status index holds what was signed at the last run, not
	 * what the CA issued since; a serial it lacks may be a certificate
	 * issued a minute ago, not one never issued (unknown, or revoked
	 * under that policy). */
	r = snapshot_find(v, s, out);
	return r == STATUS_FOUND ? r : STATUS_NO_DATA;
}

int status_view_tree_agrees(struct status_view *v, const struct serial *s, int64_t now)
{
	struct status_rec live, signed_from;
	enum status_find r, t;

	if (!v->live || live_find(v, s, now, &live, &r) != 0)
		return 1;
	t = snapshot_find(v, s, &signed_from);
	if (r != t)
		return 0;
	return r != STATUS_FOUND || !status_differs(&live, &signed_from);
}

int status_view_live(const struct status_view *v, int64_t *ttl)
{
	return v->live && source_is_live(v->source, ttl);
}

int64_t status_view_valid_until(const struct status_view *v)
{
	return v->source != NULL ? source_valid_until(v->source) : INT64_MAX;
}

uint64_t status_view_epoch(struct status_view *v)
{
	return atomic_load(&v->epoch);
}

const char *status_view_source(struct status_view *v, char *buf, size_t n)
{
	pthread_rwlock_rdlock(&v->lock);
	if (v->live)
		snprintf(buf, n, "live %s%s", source_name(v->source),
		    v->cur.loaded ? " (the status index while it is down)" : "");
	else if (!v->cur.loaded)
		snprintf(buf, n, "none");
	else if (v->cur.from_source)
		snprintf(buf, n, "%s", source_name(v->source));
	else
		snprintf(buf, n, "status index");
	pthread_rwlock_unlock(&v->lock);
	return buf;
}
