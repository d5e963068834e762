/* The tree reader's cache of validated response files, and its API. A
 * cached file is served by reference (its mapping) until it is found to
 * have changed; refused files are cached too (marked bad), so a broken
 * file is parsed and warned about once per change, not once per request. */
#include "ocsp/tree_reader.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocsp/cache.h"
#include "ocsp/fsutil.h"
#include "ocsp/serial.h"
#include "ocsp/tree.h"

#include "tree_int.h"

/* Each cached response is one mapping; leave the other half of
 * vm.max_map_count to the heap, thread stacks and libraries. */
#define MAP_COUNT_SHARE 2
/* Issuer directory, CertID hash, serial length and serial. */
#define KEY_MAX (TREE_ISSUER_DIR_LEN + 2 + SERIAL_MAX)

struct entry {
	struct cache_node node;
	uint8_t key[KEY_MAX];
	/* When the file was last compared with the tree, and against which
	 * issuer table: the thread that moves them on re-checks. */
	_Atomic int64_t checked;
	_Atomic uint64_t epoch;
	atomic_int suspect;		/* its bytes changed under the mapping */
	int bad;			/* refused file, kept so it is not parsed again */
	/* Refused, but the same file (same inode) was good just before: it is
	 * being rewritten in place, and is looked at again at every lookup
	 * for up to an interval from bad_since, before it counts as bad. */
	int changing;
	int64_t bad_since;
	struct tree_file file;
};

struct tree_reader {
	char *root;
	int64_t interval;
	struct tree_warn w;		/* root and the warning callback */
	struct tree_issuers issuers;
	int issuers_ok;
	struct cache *cache;
};

#define warnf(t, ...) tree_warnf(&(t)->w, __VA_ARGS__)

static struct entry *entry_of(const struct cache_node *n)
{
	return (struct entry *)((char *)n - offsetof(struct entry, node));
}

static void entry_destroy(struct cache_node *n)
{
	struct entry *e = entry_of(n);

	tree_file_unmap(&e->file);
	free(e);
}

static size_t key_make(uint8_t key[KEY_MAX], const struct issuer *is,
    const struct req_certid *id)
{
	memcpy(key, is->dir, TREE_ISSUER_DIR_LEN);
	key[TREE_ISSUER_DIR_LEN] = (uint8_t)id->alg;
	key[TREE_ISSUER_DIR_LEN + 1] = id->serial.len;
	memcpy(key + TREE_ISSUER_DIR_LEN + 2, id->serial.b, id->serial.len);
	return TREE_ISSUER_DIR_LEN + 2 + id->serial.len;
}

static enum tree_lookup entry_status(const struct entry *e, const struct req_certid *id)
{
	return e->bad || !certid_same_issuer(&e->file.id, id) ? TREE_BAD_FILE : TREE_FOUND;
}

/* Maps and checks one file. Returns the entry (marked bad when the file
 * was refused for a reason that lasts until it changes, so that it is
 * not parsed again), or NULL with *r set when there is nothing to cache:
 * no such file, or a failure that may pass. */
static struct entry *entry_load(const struct tree_reader *t, const char *path,
    const uint8_t *key, size_t key_len, uint64_t h, const struct req_certid *id,
    int64_t now, uint64_t epoch, enum tree_lookup *r)
{
	struct entry *e = calloc(1, sizeof(*e));
	struct err err;
	int lasting = 0;

	*r = TREE_BAD_FILE;
	if (e == NULL) {
		warnf(t, "%s: out of memory", path);
		return NULL;
	}
	memcpy(e->key, key, key_len);
	cache_node_init(&e->node, e->key, key_len, h);
	atomic_init(&e->checked, now);
	atomic_init(&e->epoch, epoch);
	atomic_init(&e->suspect, 0);
	switch (tree_file_load(&e->file, path, id, &lasting, &err)) {
	case TREE_FILE_OK:
		*r = TREE_FOUND;
		return e;
	case TREE_FILE_NONE:
		*r = TREE_NO_SERIAL;
		break;
	case TREE_FILE_BAD:
		warnf(t, "%s: refused: %s", path, err.msg);
		break;
	}
	if (*r != TREE_BAD_FILE || !lasting || !e->file.sig.exists) {
		free(e);
		return NULL;
	}
	e->bad = 1;
	return e;
}

/* Another thread loaded the same file meanwhile: share its entry (unless
 * that one is the entry found wanting). */
static int same_file(const struct cache_node *cur, const struct cache_node *fresh, void *old)
{
	return cur != old && !atomic_load_explicit(&entry_of(cur)->suspect, memory_order_relaxed) &&
	    file_sig_eq(&entry_of(cur)->file.sig, &entry_of(fresh)->file.sig);
}

/* A refused file is being written, not broken, while it was written
 * within the interval, or for an interval after a good file turned into
 * it: it gets tryLater and is looked at again at every lookup. The mtime
 * catches what the entry cannot remember: a rewrite in place that passed
 * through a state not kept (an empty file), or was first seen torn. */
static int entry_settling(const struct tree_reader *t, const struct entry *e, int64_t now)
{
	return e->bad && ((e->changing && now - e->bad_since <= t->interval) ||
	    e->file.sig.mtime_s >= now - t->interval);
}

/* Whether e may be served without looking at the file: checked against
 * this table within the interval. Otherwise this thread claims the
 * re-check; threads that find it claimed serve e meanwhile, a complete
 * response at most one interval older (two threads may both re-check in
 * a close race: that costs a stat, nothing more). */
static int entry_fresh(const struct tree_reader *t, struct entry *e, uint64_t epoch,
    int64_t now)
{
	int64_t checked = atomic_load_explicit(&e->checked, memory_order_relaxed);

	if (atomic_load_explicit(&e->suspect, memory_order_relaxed) || entry_settling(t, e, now))
		return 0;
	if (atomic_load_explicit(&e->epoch, memory_order_relaxed) == epoch &&
	    !tree_due(now, checked + t->interval, t->interval))
		return 1;
	if (!atomic_compare_exchange_strong(&e->checked, &checked, now))
		return 1;
	atomic_store_explicit(&e->epoch, epoch, memory_order_relaxed);
	return 0;
}

static int same_inode(const struct file_sig *a, const struct file_sig *b)
{
	return a->exists && b->exists && a->dev == b->dev && a->ino == b->ino;
}

/* What the cache holds for key is missing or due for a look at the file:
 * compare the file with it, load it again if it changed. Out of line, so
 * that the path it builds is not on the stack of every cached answer
 * (thousands of workers pay for each page of stack they touch). */
static __attribute__((noinline)) enum tree_lookup entry_recheck(struct tree_reader *t,
    const struct issuer_table *tab, const struct issuer *is, const struct req_certid *id,
    int64_t now, const uint8_t *key, size_t key_len, uint64_t h, struct cache_node *n,
    struct entry **out)
{
	char path[TREE_PATH_MAX];
	struct entry *e = n ? entry_of(n) : NULL, *fresh;
	struct file_sig sig;
	enum tree_lookup r;

	if (tree_response_path(path, sizeof(path), t->root, is->dir, id->alg, &id->serial) < 0) {
		cache_release(t->cache, n);
		return TREE_NO_SERIAL;
	}
	if (e != NULL && !atomic_load_explicit(&e->suspect, memory_order_relaxed)) {
		file_sig_get(path, 0, &sig);
		if (sig.exists && file_sig_eq(&sig, &e->file.sig)) {
			*out = e;
			return entry_status(e, id);
		}
	}
	fresh = entry_load(t, path, key, key_len, h, id, now, tab->epoch, &r);
	if (fresh != NULL && fresh->bad && e != NULL && same_inode(&e->file.sig, &fresh->file.sig) &&
	    (!e->bad || e->changing)) {
		fresh->changing = 1;
		fresh->bad_since = e->changing ? e->bad_since : now;
	}
	if (fresh != NULL) {
		*out = entry_of(cache_insert(t->cache, &fresh->node, same_file, n));
		r = entry_status(*out, id);
	} else {
		/* Gone, or failing for now: forget what was cached for it. */
		if (n != NULL)
			cache_remove(t->cache, n);
		*out = NULL;
	}
	cache_release(t->cache, n);
	return r;
}

static enum tree_lookup cache_lookup(struct tree_reader *t,
    const struct issuer_table *tab, const struct issuer *is,
    const struct req_certid *id, int64_t now, struct entry **out)
{
	uint8_t key[KEY_MAX];
	size_t key_len = key_make(key, is, id);
	uint64_t h = cache_hash(t->cache, key, key_len);
	struct cache_node *n = cache_get(t->cache, key, key_len, h);
	struct entry *e = n ? entry_of(n) : NULL;

	if (e != NULL && entry_fresh(t, e, tab->epoch, now)) {
		*out = e;
		return entry_status(e, id);
	}
	return entry_recheck(t, tab, is, id, now, key, key_len, h, n, out);
}

enum tree_lookup tree_reader_lookup(struct tree_reader *t,
    const struct req_certid *id, int64_t now, const struct signed_response **out)
{
	struct issuer_table *tab = tree_issuers_get(&t->issuers, now);
	const struct issuer *is = issuer_table_find(tab, id);
	struct entry *e = NULL;
	enum tree_lookup r;

	*out = NULL;
	if (is == NULL)
		r = TREE_NO_ISSUER;
	else if (!(is->presigned & (1u << id->alg)))
		r = TREE_NO_HASH;
	else if (!id->serial_ok)
		r = TREE_NO_SERIAL;
	else
		r = cache_lookup(t, tab, is, id, now, &e);
	issuer_table_put(tab);
	if (r == TREE_FOUND && now >= e->file.resp.next_update)
		r = TREE_STALE;
	/* A file caught mid-rewrite is not a broken one, for a while; nor is
	 * one that failed for a reason that may pass (no descriptor, no
	 * memory: no entry was kept). */
	if (r == TREE_BAD_FILE && (e == NULL || entry_settling(t, e, now)))
		r = TREE_CHANGING;
	if (r != TREE_FOUND) {
		cache_release(t->cache, e ? &e->node : NULL);
		return r;
	}
	*out = &e->file.resp;
	return TREE_FOUND;
}

void tree_reader_release(struct tree_reader *t, const struct signed_response *r)
{
	if (r != NULL)
		cache_release(t->cache, &((struct entry *)((const char *)r -
		    offsetof(struct entry, file.resp)))->node);
}

void tree_reader_distrust(struct tree_reader *t, const struct signed_response *r)
{
	if (r != NULL)
		atomic_store_explicit(&((struct entry *)((const char *)r -
		    offsetof(struct entry, file.resp)))->suspect, 1, memory_order_relaxed);
}

void tree_reader_refresh(struct tree_reader *t, int64_t now)
{
	tree_issuers_refresh(&t->issuers, now);
}

void tree_reader_stats(struct tree_reader *t, struct tree_reader_stats *s)
{
	struct issuer_table *tab = tree_issuers_current(&t->issuers);

	s->generation = tab->generation;
	s->issuers = tab->n;
	s->cached = cache_count(t->cache);
	s->capacity = cache_capacity(t->cache);
	issuer_table_put(tab);
}

static size_t map_count_limit(void)
{
	char buf[32];
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
	unsigned long long v = 0;
	char *end;

	if (f == NULL)
		return SIZE_MAX;
	if (fgets(buf, sizeof(buf), f) != NULL) {
		errno = 0;
		v = strtoull(buf, &end, 10);
		if (errno != 0 || end == buf)
			v = 0;
	}
	fclose(f);
	return v == 0 ? SIZE_MAX : (size_t)(v / MAP_COUNT_SHARE);
}

int tree_reader_open(const struct tree_reader_opts *o, struct tree_reader **out,
    struct err *e)
{
	struct cache_opts co = { o->cache_entries, entry_destroy };
	struct tree_reader *t;
	size_t limit = map_count_limit();

	*out = NULL;
	if (o->root == NULL || o->root[0] == '\0')
		return err_set(e, "no tree directory");
	if (strlen(o->root) > TREE_ROOT_MAX)
		return err_set(e, "tree path longer than %d bytes", TREE_ROOT_MAX);
	if (o->reload_interval < 1)
		return err_set(e, "reload interval under one second");
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return err_set(e, "out of memory");
	t->interval = o->reload_interval;
	t->root = strdup(o->root);
	if (t->root == NULL) {
		err_set(e, "out of memory");
		goto fail;
	}
	t->w = (struct tree_warn){ t->root, o->warn, o->warn_arg };
	if (co.capacity > limit)
		co.capacity = limit;
	if (co.capacity < 1)
		co.capacity = 1;
	if (cache_new(&co, &t->cache, e) != 0)
		goto fail;
	t->issuers_ok = 1;
	if (tree_issuers_init(&t->issuers, &t->w, t->interval, e) != 0)
		goto fail;
	*out = t;
	return 0;
fail:
	tree_reader_close(t);
	return -1;
}

void tree_reader_close(struct tree_reader *t)
{
	if (t == NULL)
		return;
	cache_free(t->cache);
	if (t->issuers_ok)
		tree_issuers_fini(&t->issuers);
	free(t->root);
	free(t);
}
