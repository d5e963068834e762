/* The issuer table of the tree reader: every <tree>/<issuer>/issuer.meta,
 * indexed per CertID hash algorithm by issuer key hash. Immutable once
 * built; readers hold a reference while they use it, and a new one
 * replaces it when a publish lands (the root or its marker changed). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ocsp/array.h"
#include "ocsp/certid.h"
#include "ocsp/err.h"
#include "ocsp/fsutil.h"
#include "ocsp/tree.h"

#include "tree_int.h"

void tree_warnf(const struct tree_warn *w, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX + 128];
	va_list ap;

	if (w->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->warn(w->arg, msg);
}

static void issuer_table_free(struct issuer_table *tab)
{
	if (tab == NULL)
		return;
	for (int a = 0; a < HASH_COUNT; a++)
		free(tab->slot[a]);
	free(tab->v);
	free(tab);
}

void issuer_table_put(struct issuer_table *tab)
{
	if (atomic_fetch_sub_explicit(&tab->refs, 1, memory_order_acq_rel) == 1)
		issuer_table_free(tab);
}

/* The key hash is a digest, so its first bytes are as good as any hash. */
static size_t slot_start(const uint8_t *key_hash, size_t mask)
{
	uint64_t v;

	memcpy(&v, key_hash, sizeof(v));
	return (size_t)(v ^ v >> 29) & mask;
}

static int issuer_matches(const struct issuer *is, int alg, const uint8_t *name,
    const uint8_t *key)
{
	size_t hl = hash_len(alg);

	return memcmp(is->hash[alg].key, key, hl) == 0 &&
	    memcmp(is->hash[alg].name, name, hl) == 0;
}

const struct issuer *issuer_table_find(const struct issuer_table *tab,
    const struct req_certid *id)
{
	size_t i;

	if (id->alg < 0 || id->alg >= HASH_COUNT || tab->n == 0)
		return NULL;
	for (i = slot_start(id->key_hash, tab->mask); tab->slot[id->alg][i] != 0;
	    i = (i + 1) & tab->mask) {
		const struct issuer *is = &tab->v[tab->slot[id->alg][i] - 1];
		if (issuer_matches(is, id->alg, id->name_hash, id->key_hash))
			return is;
	}
	return NULL;
}

static int table_index(const struct tree_warn *t, struct issuer_table *tab)
{
	size_t nslots = 8;

	while (nslots < 2 * tab->n)
		nslots *= 2;
	tab->mask = nslots - 1;
	for (int a = 0; a < HASH_COUNT; a++) {
		tab->slot[a] = calloc(nslots, sizeof(uint32_t));
		if (tab->slot[a] == NULL)
			return -1;
		for (size_t k = 0; k < tab->n; k++) {
			const struct issuer *is = &tab->v[k];
			size_t i = slot_start(is->hash[a].key, tab->mask);
			int dup = 0;
			if (!(is->have_hash & (1u << a)))
				continue;
			for (; tab->slot[a][i] != 0 && !dup; i = (i + 1) & tab->mask)
				dup = issuer_matches(&tab->v[tab->slot[a][i] - 1], a,
				    is->hash[a].name, is->hash[a].key);
			if (dup)
				tree_warnf(t, "%s/%s: same %s CertID hashes as another issuer; "
				    "ignored for them", t->root, is->dir, hash_name(a));
			else
				tab->slot[a][i] = (uint32_t)k + 1;
		}
	}
	return 0;
}

/* Reads one issuer directory; 1 when it has no issuer.meta yet (a
 * publish in progress), -1 when it is unusable (and says why). */
static int issuer_load(const struct tree_warn *t, const char *dir, struct issuer *out)
{
	char path[TREE_PATH_MAX], keydir[TREE_ISSUER_DIR_LEN + 1];
	struct issuer_meta m;
	struct stat st;
	struct err e;

	if (tree_path(path, sizeof(path), t->root, dir, HASH_SHA1, TREE_ISSUER_META) < 0)
		return -1;
	if (stat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
		return 1;
	if (issuer_meta_read(path, &m, &e) != 0) {
		tree_warnf(t, "%s; issuer skipped", e.msg);
		return -1;
	}
	tree_issuer_dir(keydir, m.hash[HASH_SHA1].key);
	if (strcmp(keydir, dir) != 0) {
		tree_warnf(t, "%s: describes issuer key %s, not its directory; skipped", path, keydir);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out->dir, dir, sizeof(out->dir));
	out->have_hash = m.have_hash;
	out->presigned = m.presigned & m.have_hash;
	memcpy(out->hash, m.hash, sizeof(out->hash));
	return 0;
}

static int issuer_cmp(const void *a, const void *b)
{
	return strcmp(((const struct issuer *)a)->dir, ((const struct issuer *)b)->dir);
}

static int table_add(const struct tree_warn *t, struct issuer_table *tab,
    size_t *cap, const char *name)
{
	struct issuer is;

	if (!tree_issuer_dir_valid(name) || issuer_load(t, name, &is) != 0)
		return 0;
	if (tab->n == TREE_MAX_ISSUERS) {
		tree_warnf(t, "%s: more than %d issuers; %s and later ones skipped",
		    t->root, TREE_MAX_ISSUERS, name);
		return 0;
	}
	struct issuer *v = array_grow(tab->v, cap, tab->n + 1, sizeof(*v));
	if (v == NULL)
		return -1;
	tab->v = v;
	tab->v[tab->n++] = is;
	return 0;
}

/* Scans the root into a new table (one reference held by the caller). A
 * missing root gives an empty table; any other failure gives NULL, so that
 * the old table stays in use. */
static struct issuer_table *issuer_table_build(const struct tree_warn *t)
{
	struct issuer_table *tab = calloc(1, sizeof(*tab));
	struct tree_marker marker;
	struct dirent *de;
	struct err e;
	size_t cap = 0;
	DIR *d = NULL;

	if (tab == NULL)
		goto fail;
	atomic_init(&tab->refs, 1);
	d = opendir(t->root);
	if (d == NULL && errno != ENOENT) {
		tree_warnf(t, "%s: %s", t->root, strerror(errno));
		goto fail;
	}
	while (d != NULL && (errno = 0, de = readdir(d)) != NULL)
		if (table_add(t, tab, &cap, de->d_name) != 0)
			goto fail;
	if (d != NULL && errno != 0) {
		tree_warnf(t, "%s: %s", t->root, strerror(errno));
		goto fail;
	}
	if (tab->n > 1)
		qsort(tab->v, tab->n, sizeof(*tab->v), issuer_cmp);
	if (table_index(t, tab) != 0)
		goto fail;
	int r = tree_marker_read(t->root, &marker, &e);
	if (r == 0)
		tab->generation = marker.generation;
	else if (r < 0 && d != NULL)
		tree_warnf(t, "%s", e.msg);
	if (d != NULL)
		closedir(d);
	return tab;
fail:
	if (d != NULL)
		closedir(d);
	issuer_table_free(tab);
	return NULL;
}

/* ---- the table in service ---- */

struct issuer_table *tree_issuers_current(struct tree_issuers *s)
{
	struct issuer_table *tab;

	pthread_mutex_lock(&s->table_lock);
	tab = s->table;
	atomic_fetch_add_explicit(&tab->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&s->table_lock);
	return tab;
}

/* Called with reload_lock held. The signatures are taken before the scan,
 * so a publish that lands during it is seen by the next check. */
static void refresh_locked(struct tree_issuers *s, int64_t now, int force)
{
	char marker[TREE_PATH_MAX];
	struct file_sig rs, ms;
	struct issuer_table *tab, *old;

	atomic_store_explicit(&s->next_check, now + s->interval, memory_order_relaxed);
	file_sig_get(s->w->root, 1, &rs);
	if (tree_path(marker, sizeof(marker), s->w->root, NULL, -1, TREE_MARKER) < 0)
		memset(&ms, 0, sizeof(ms));
	else
		file_sig_get(marker, 1, &ms);
	if (!force && file_sig_eq(&rs, &s->root_sig) && file_sig_eq(&ms, &s->marker_sig))
		return;
	tab = issuer_table_build(s->w);
	if (tab == NULL)
		return;
	s->root_sig = rs;
	s->marker_sig = ms;
	tab->epoch = ++s->epoch;
	pthread_mutex_lock(&s->table_lock);
	old = s->table;
	s->table = tab;
	pthread_mutex_unlock(&s->table_lock);
	if (old != NULL)
		issuer_table_put(old);
}

void tree_issuers_refresh(struct tree_issuers *s, int64_t now)
{
	pthread_mutex_lock(&s->reload_lock);
	refresh_locked(s, now, 0);
	pthread_mutex_unlock(&s->reload_lock);
}

struct issuer_table *tree_issuers_get(struct tree_issuers *s, int64_t now)
{
	if (tree_due(now, atomic_load_explicit(&s->next_check, memory_order_relaxed),
	    s->interval) && pthread_mutex_trylock(&s->reload_lock) == 0) {
		if (tree_due(now, atomic_load_explicit(&s->next_check, memory_order_relaxed),
		    s->interval))
			refresh_locked(s, now, 0);
		pthread_mutex_unlock(&s->reload_lock);
	}
	return tree_issuers_current(s);
}

int tree_issuers_init(struct tree_issuers *s, const struct tree_warn *w,
    int64_t interval, struct err *e)
{
	memset(s, 0, sizeof(*s));
	s->w = w;
	s->interval = interval;
	pthread_mutex_init(&s->table_lock, NULL);
	pthread_mutex_init(&s->reload_lock, NULL);
	/* An empty table first, so that lookups never see NULL. */
	s->table = calloc(1, sizeof(*s->table));
	if (s->table == NULL)
		return err_set(e, "out of memory");
	atomic_init(&s->table->refs, 1);
	pthread_mutex_lock(&s->reload_lock);
	refresh_locked(s, (int64_t)time(NULL), 1);
	pthread_mutex_unlock(&s->reload_lock);
	return 0;
}

void tree_issuers_fini(struct tree_issuers *s)
{
	if (s->w == NULL)
		return;		/* never initialised */
	if (s->table != NULL)
		issuer_table_put(s->table);
	s->table = NULL;
	pthread_mutex_destroy(&s->table_lock);
	pthread_mutex_destroy(&s->reload_lock);
}
