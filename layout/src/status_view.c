#include "ocsp/status_view.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ocsp/fsutil.h"
#include "ocsp/source_index.h"
#include "ocsp/status_index.h"

struct snapshot {
	struct status_index *si;	/* from the tree, or */
	struct status_list list;	/* from the index file */
	int from_index;
	int loaded;
};

struct status_view {
	char *status_index;
	char *index;
	pthread_rwlock_t lock;		/* readers: lookups; writer: the swap */
	struct snapshot cur;
	struct file_sig si_id, index_id;
	atomic_uint_fast64_t epoch;
};

/* A source that is not configured is one that does not exist. */
static void sig_of(const char *path, struct file_sig *s)
{
	if (path != NULL)
		file_sig_get(path, 1, s);
	else
		memset(s, 0, sizeof(*s));
}

static void snapshot_fini(struct snapshot *s)
{
	status_index_close(s->si);
	status_list_fini(&s->list);
	memset(s, 0, sizeof(*s));
}

/* Loads the status index if there is one, else the index file. */
static int load(struct status_view *v, const struct file_sig *si_id,
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
	if (v->index == NULL)
		return 0;
	if (source_index_read(v->index, &out->list, e) != 0) {
		status_list_fini(&out->list);
		return -1;
	}
	out->from_index = 1;
	out->loaded = 1;
	return 0;
}

int status_view_reload(struct status_view *v, struct err *e)
{
	struct file_sig si_id, index_id;
	struct snapshot next, old;

	sig_of(v->status_index, &si_id);
	sig_of(v->index, &index_id);
	/* The index file matters only while there is no status index. */
	if (file_sig_eq(&si_id, &v->si_id) &&
	    (si_id.exists || file_sig_eq(&index_id, &v->index_id)))
		return 0;
	if (load(v, &si_id, &next, e) != 0)
		return -1;
	pthread_rwlock_wrlock(&v->lock);
	old = v->cur;
	v->cur = next;
	pthread_rwlock_unlock(&v->lock);
	snapshot_fini(&old);
	v->si_id = si_id;
	v->index_id = index_id;
	atomic_fetch_add(&v->epoch, 1);
	return 1;
}

int status_view_new(const struct status_view_opts *o, struct status_view **out,
    struct err *e)
{
	struct status_view *v = calloc(1, sizeof(*v));

	*out = NULL;
	if (v == NULL)
		return err_set(e, "out of memory");
	pthread_rwlock_init(&v->lock, NULL);
	status_list_init(&v->cur.list);
	atomic_init(&v->epoch, 1);
	if ((o->status_index && (v->status_index = strdup(o->status_index)) == NULL) ||
	    (o->index && (v->index = strdup(o->index)) == NULL)) {
		status_view_free(v);
		return err_set(e, "out of memory");
	}
	/* Force the first load: no file has this identity. */
	v->si_id.exists = -1;
	if (status_view_reload(v, e) < 0) {
		status_view_free(v);
		return -1;
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
	free(v->status_index);
	free(v->index);
	free(v);
}

enum status_find status_view_find(struct status_view *v, const struct serial *s,
    struct status_rec *out)
{
	enum status_find r = STATUS_NO_DATA;

	pthread_rwlock_rdlock(&v->lock);
	if (v->cur.loaded && v->cur.from_index) {
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

uint64_t status_view_epoch(struct status_view *v)
{
	return atomic_load(&v->epoch);
}

const char *status_view_source(struct status_view *v)
{
	const char *src;

	pthread_rwlock_rdlock(&v->lock);
	src = !v->cur.loaded ? "none" : v->cur.from_index ? "index file" : "status index";
	pthread_rwlock_unlock(&v->lock);
	return src;
}
