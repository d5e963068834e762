#include "ocsp/tree_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>

#include "ocsp/certid.h"
#include "ocsp/fsutil.h"
#include "ocsp/memguard.h"
#include "ocsp/serial.h"
#include "ocsp/tree.h"
#include "tree_int.h"

/* OpenSSL's client refuses responses over 100 KiB, so a larger file is
 * nothing a client could use. */
#define TREE_FILE_MAX (100 * 1024)
#define TREE_REL_MAX (1 + 40 + 1 + 6 + 1 + SERIAL_NAME_MAX + 1)
#define MAX_SHARDS 64
#define MIN_PER_SHARD 16
/* Each cached response is one mapping; leave the other half of
 * vm.max_map_count to the heap, thread stacks and libraries. */
#define MAP_COUNT_SHARE 2
#define ETAG_BYTES 10


/* All bytes, no padding: compared and hashed as a whole. */
struct cache_key {
	char dir[40];
	uint8_t alg;
	uint8_t serial_len;
	uint8_t serial[SERIAL_MAX];
};

struct cache_entry {
	struct cache_entry *chain;
	struct cache_entry *lru_prev, *lru_next;
	uint64_t hash;
	struct cache_key key;
	atomic_uint refs;		/* one for the cache while linked, one per holder */
	int linked;			/* the fields below up to sig: under the shard lock */
	int64_t checked;
	uint64_t epoch;
	int bad;			/* refused file, kept so it is not parsed again */
	struct file_sig sig;
	uint8_t name_hash[HASH_MAX_LEN];	/* the file's CertID */
	uint8_t key_hash[HASH_MAX_LEN];
	void *map;
	size_t map_len;
	struct tree_response resp;
};

struct shard {
	_Alignas(64) pthread_mutex_t lock;
	struct cache_entry **bucket;
	size_t mask;
	struct cache_entry lru;		/* sentinel: lru_next is the most recent */
	size_t count, cap;
};

struct tree_reader {
	char *root;
	int64_t interval;
	struct tree_warn w;		/* root and the warning callback */

	pthread_mutex_t table_lock;	/* guards taking a reference on table */
	struct issuer_table *table;

	pthread_mutex_t reload_lock;	/* one reloader; guards the sigs and epoch */
	struct file_sig root_sig, marker_sig;
	uint64_t epoch;
	_Atomic int64_t next_check;

	uint64_t seed;
	size_t nshards, capacity;
	atomic_size_t cached;
	struct shard *shards;
};

#define warnf(t, ...) tree_warnf(&(t)->w, __VA_ARGS__)

/* A check planned for time next is due at now; a clock set back by more
 * than one interval also makes it due, rather than silencing it. */
static int due(int64_t now, int64_t next, int64_t interval)
{
	return now >= next || next - now > interval;
}

/* ---- file identity ---- */


static struct issuer_table *table_get(struct tree_reader *t)
{
	struct issuer_table *tab;

	pthread_mutex_lock(&t->table_lock);
	tab = t->table;
	atomic_fetch_add_explicit(&tab->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&t->table_lock);
	return tab;
}

/* Called with reload_lock held. The signatures are taken before the scan,
 * so a publish that lands during it is seen by the next check. */
static void refresh_locked(struct tree_reader *t, int64_t now, int force)
{
	char marker[TREE_PATH_MAX];
	struct file_sig rs, ms;
	struct issuer_table *tab, *old;

	atomic_store_explicit(&t->next_check, now + t->interval, memory_order_relaxed);
	snprintf(marker, sizeof(marker), "%s/%s", t->root, TREE_MARKER);
	file_sig_get(t->root, 1, &rs);
	file_sig_get(marker, 1, &ms);
	if (!force && file_sig_eq(&rs, &t->root_sig) && file_sig_eq(&ms, &t->marker_sig))
		return;
	tab = issuer_table_build(&t->w);
	if (tab == NULL)
		return;
	t->root_sig = rs;
	t->marker_sig = ms;
	tab->epoch = ++t->epoch;
	pthread_mutex_lock(&t->table_lock);
	old = t->table;
	t->table = tab;
	pthread_mutex_unlock(&t->table_lock);
	if (old != NULL)
		issuer_table_put(old);
}

void tree_reader_refresh(struct tree_reader *t, int64_t now)
{
	pthread_mutex_lock(&t->reload_lock);
	refresh_locked(t, now, 0);
	pthread_mutex_unlock(&t->reload_lock);
}

/* From lookups: never waits for another thread's reload. */
static void refresh_lazy(struct tree_reader *t, int64_t now)
{
	if (!due(now, atomic_load_explicit(&t->next_check, memory_order_relaxed), t->interval))
		return;
	if (pthread_mutex_trylock(&t->reload_lock) != 0)
		return;
	if (due(now, atomic_load_explicit(&t->next_check, memory_order_relaxed), t->interval))
		refresh_locked(t, now, 0);
	pthread_mutex_unlock(&t->reload_lock);
}

/* ---- response files ---- */

/* The one place a response path is made. Every part is checked here: the
 * issuer directory name, a fixed hash name and serial_name()'s hex, so
 * whatever the request said, the path stays a tree name. */
static int response_path(const struct tree_reader *t, const char *dir, int alg,
    const struct serial *s, char *out, size_t cap)
{
	char name[SERIAL_NAME_MAX + 1];
	int n;

	if (s->len == 0 || s->len > SERIAL_MAX || alg < 0 || alg >= HASH_COUNT)
		return -1;
	serial_name(s, name);
	if (!serial_name_valid(name) || !tree_issuer_dir_valid(dir))
		return -1;
	if (alg == HASH_SHA1)
		n = snprintf(out, cap, "%s/%s/%s", t->root, dir, name);
	else
		n = snprintf(out, cap, "%s/%s/%s/%s", t->root, dir, hash_name(alg), name);
	return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

static int asn1_time(const ASN1_GENERALIZEDTIME *a, int64_t *out)
{
	struct tm tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static int certid_check(const OCSP_SINGLERESP *single, const struct req_certid *id,
    struct cache_entry *e, struct err *err)
{
	ASN1_OCTET_STRING *name = NULL, *key = NULL;
	ASN1_OBJECT *md = NULL;
	ASN1_INTEGER *serial = NULL;
	struct serial s;
	size_t hl = hash_len(id->alg);

	if (!OCSP_id_get0_info(&name, &md, &key, &serial,
	    (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(single)) || !name || !md || !key || !serial)
		return err_set(err, "incomplete CertID");
	if (hash_from_nid(OBJ_obj2nid(md)) != id->alg)
		return err_set(err, "CertID hash is not %s", hash_name(id->alg));
	if ((size_t)ASN1_STRING_length(name) != hl || (size_t)ASN1_STRING_length(key) != hl ||
	    memcmp(ASN1_STRING_get0_data(name), id->name_hash, hl) != 0 ||
	    memcmp(ASN1_STRING_get0_data(key), id->key_hash, hl) != 0)
		return err_set(err, "CertID names another issuer (misplaced file)");
	if (ASN1_STRING_type(serial) != V_ASN1_INTEGER ||
	    serial_from_bytes(&s, ASN1_STRING_get0_data(serial),
	    (size_t)ASN1_STRING_length(serial)) != 0 || serial_cmp(&s, &id->serial) != 0)
		return err_set(err, "CertID serial is not the file name (misplaced file)");
	memcpy(e->name_hash, id->name_hash, hl);
	memcpy(e->key_hash, id->key_hash, hl);
	return 0;
}

static int single_times(const OCSP_SINGLERESP *single, int64_t *this_update,
    int64_t *next_update, struct err *err)
{
	ASN1_GENERALIZEDTIME *thisupd = NULL, *nextupd = NULL;
	int reason;

	if (OCSP_single_get0_status((OCSP_SINGLERESP *)single, &reason, NULL, &thisupd,
	    &nextupd) < 0)
		return err_set(err, "bad certificate status");
	if (asn1_time(thisupd, this_update) != 0 || asn1_time(nextupd, next_update) != 0)
		return err_set(err, "missing or bad thisUpdate/nextUpdate");
	return 0;
}

/* The ETag is a digest of the bytes, so every node serving the same tree
 * gives the same one. */
int tree_response_describe(struct tree_response *r, int64_t this_update,
    int64_t next_update, struct err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (next_update <= this_update)
		return err_set(err, "nextUpdate is not after thisUpdate");
	r->this_update = this_update;
	r->next_update = next_update;
	if (timefmt_http(r->last_modified, sizeof(r->last_modified), this_update) != 0 ||
	    timefmt_http(r->expires, sizeof(r->expires), next_update) != 0)
		return err_set(err, "thisUpdate or nextUpdate out of range");
	if (!EVP_Digest(r->der, r->len, md, &mdlen, EVP_sha256(), NULL))
		return err_ssl(err, "SHA-256 failed");
	r->etag[0] = '"';
	hex_lower(r->etag + 1, md, ETAG_BYTES);
	r->etag[1 + 2 * ETAG_BYTES] = '"';
	r->etag[2 + 2 * ETAG_BYTES] = '\0';
	return 0;
}

/* Parses the mapped file once: exactly one SingleResponse for exactly the
 * requested CertID, with both update times. */
static int response_check(struct cache_entry *e, const struct req_certid *id,
    struct err *err)
{
	/* Parsed from a private copy: the mapping may be truncated under us
	 * (memguard.h), and OpenSSL must not be the one to touch it. */
	unsigned char *copy = malloc(e->map_len);
	const unsigned char *p = copy;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	int64_t tu = 0, nu = 0;
	int ret = -1;

	if (copy == NULL) {
		err_set(err, "out of memory");
		goto out;
	}
	if (memguard_copy(copy, e->map, e->map_len) != 0) {
		err_set(err, "the file shrank while being read (rewritten in place?)");
		goto out;
	}
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)e->map_len);
	if (resp == NULL) {
		err_ssl(err, "not a DER OCSP response");
		goto out;
	}
	if (p != copy + e->map_len) {
		err_set(err, "trailing bytes after the response");
		goto out;
	}
	if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL) {
		err_set(err, "not a successful basic OCSP response");
		goto out;
	}
	if (OCSP_resp_count(bs) != 1) {
		err_set(err, "%d SingleResponses (one expected)", OCSP_resp_count(bs));
		goto out;
	}
	e->resp.der = copy;	/* the digest for the ETag reads the copy too */
	e->resp.len = e->map_len;
	if (certid_check(OCSP_resp_get0(bs, 0), id, e, err) != 0 ||
	    single_times(OCSP_resp_get0(bs, 0), &tu, &nu, err) != 0 ||
	    tree_response_describe(&e->resp, tu, nu, err) != 0)
		goto out;
	ret = 0;
out:
	e->resp.der = e->map;
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	free(copy);
	return ret;
}

/* What a failed open means; errno is mapped to a lookup status here and
 * nowhere else. A refusal that lasts (a symbolic link, no permission) is
 * cached like a bad file; a passing shortage (descriptors, memory) is
 * not, so the file is tried again by the next request. */
static enum tree_lookup open_status(int err, int *lasting)
{
	*lasting = 0;
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return TREE_NO_SERIAL;
	case ELOOP:
	case EACCES:
	case EPERM:
	case ENXIO:
	case EISDIR:
		*lasting = 1;
		return TREE_BAD_FILE;
	default:
		return TREE_BAD_FILE;
	}
}

static int map_file(struct cache_entry *e, int fd, int *lasting, struct err *err)
{
	struct stat st;

	*lasting = 0;
	if (fstat(fd, &st) != 0)
		return err_set(err, "%s", strerror(errno));
	*lasting = 1;
	file_sig_from_stat(&e->sig, &st);
	if (!S_ISREG(st.st_mode))
		return err_set(err, "not a regular file");
	if (st.st_size <= 0 || st.st_size > TREE_FILE_MAX)
		return err_set(err, "%lld bytes (1 to %d allowed)", (long long)st.st_size,
		    TREE_FILE_MAX);
	e->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (e->map == MAP_FAILED) {
		/* ENOMEM here is usually vm.max_map_count: not the file's fault. */
		*lasting = 0;
		e->map = NULL;
		return err_set(err, "mmap: %s", strerror(errno));
	}
	e->map_len = (size_t)st.st_size;
	return 0;
}

static void entry_free(struct cache_entry *e)
{
	if (e->map != NULL)
		munmap(e->map, e->map_len);
	free(e);
}

static void entry_get(struct cache_entry *e)
{
	atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
}

static void entry_put(struct cache_entry *e)
{
	if (e != NULL && atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
		entry_free(e);
}

/* Maps and checks one file. Returns the entry (possibly marked bad, so it
 * is not parsed again until it changes), or NULL with *r set when there is
 * nothing to cache: no such file, or a failure that may pass. */
static struct cache_entry *entry_load(const struct tree_reader *t, const char *path,
    const struct cache_key *k, uint64_t h, const struct req_certid *id,
    int64_t now, uint64_t epoch, enum tree_lookup *r)
{
	struct cache_entry *e = calloc(1, sizeof(*e));
	struct err err;
	int fd, lasting = 0;

	*r = TREE_BAD_FILE;
	if (e == NULL) {
		warnf(t, "%s: out of memory", path);
		return NULL;
	}
	e->key = *k;
	e->hash = h;
	e->checked = now;
	e->epoch = epoch;
	atomic_init(&e->refs, 1);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		*r = open_status(errno, &lasting);
		if (*r == TREE_NO_SERIAL) {
			free(e);
			return NULL;
		}
		err_set(&err, "%s", errno == ELOOP ? "a symbolic link" : strerror(errno));
		if (lasting)
			file_sig_get(path, 0, &e->sig);
		goto bad;
	}
	if (map_file(e, fd, &lasting, &err) != 0 || response_check(e, id, &err) != 0) {
		close(fd);
		goto bad;
	}
	close(fd);
	*r = TREE_FOUND;
	return e;
bad:
	warnf(t, "%s: refused: %s", path, err.msg);
	e->bad = 1;
	if (e->map != NULL)
		munmap(e->map, e->map_len);
	e->map = NULL;
	if (!lasting || !e->sig.exists) {
		free(e);
		return NULL;
	}
	return e;
}

/* ---- the cache ---- */

static void key_make(struct cache_key *k, const struct issuer *is,
    const struct req_certid *id)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->dir, is->dir, sizeof(k->dir));
	k->alg = (uint8_t)id->alg;
	k->serial_len = id->serial.len;
	memcpy(k->serial, id->serial.b, id->serial.len);
}

/* FNV-1a with a per-process seed, since the serial comes from the
 * client; the issuer is a digest, so a few of its bytes are enough. */
static uint64_t key_hash(const struct tree_reader *t, const struct cache_key *k)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ t->seed, dir;

	memcpy(&dir, k->dir, sizeof(dir));
	h = (h ^ dir) * 0x100000001b3ULL;
	h = (h ^ k->alg) * 0x100000001b3ULL;
	for (size_t i = 0; i < k->serial_len; i++)
		h = (h ^ k->serial[i]) * 0x100000001b3ULL;
	return h ^ h >> 32;
}

static struct shard *shard_of(const struct tree_reader *t, uint64_t h)
{
	return &t->shards[h & (t->nshards - 1)];
}

static struct cache_entry **bucket_of(struct shard *sh, uint64_t h)
{
	return &sh->bucket[(h >> 6) & sh->mask];
}

static struct cache_entry *shard_find(struct shard *sh, uint64_t h,
    const struct cache_key *k)
{
	for (struct cache_entry *e = *bucket_of(sh, h); e != NULL; e = e->chain)
		if (e->hash == h && memcmp(&e->key, k, sizeof(*k)) == 0)
			return e;
	return NULL;
}

static void lru_unlink(struct cache_entry *e)
{
	e->lru_prev->lru_next = e->lru_next;
	e->lru_next->lru_prev = e->lru_prev;
}

static void lru_front(struct shard *sh, struct cache_entry *e)
{
	e->lru_next = sh->lru.lru_next;
	e->lru_prev = &sh->lru;
	sh->lru.lru_next->lru_prev = e;
	sh->lru.lru_next = e;
}

/* Takes e out of the shard; the caller drops the cache's reference once
 * the lock is released (unmapping is not done under the lock). */
static void shard_unlink(struct tree_reader *t, struct shard *sh, struct cache_entry *e)
{
	struct cache_entry **pp = bucket_of(sh, e->hash);

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	lru_unlink(e);
	e->linked = 0;
	sh->count--;
	atomic_fetch_sub_explicit(&t->cached, 1, memory_order_relaxed);
}

/* Links e (taking a reference for the cache); returns the evicted least
 * recently used entry, if any, for the caller to release. */
static struct cache_entry *shard_insert(struct tree_reader *t, struct shard *sh,
    struct cache_entry *e)
{
	struct cache_entry *victim = NULL, **b = bucket_of(sh, e->hash);

	if (sh->count >= sh->cap) {
		victim = sh->lru.lru_prev;
		shard_unlink(t, sh, victim);
	}
	entry_get(e);
	e->chain = *b;
	*b = e;
	lru_front(sh, e);
	e->linked = 1;
	sh->count++;
	atomic_fetch_add_explicit(&t->cached, 1, memory_order_relaxed);
	return victim;
}

static enum tree_lookup entry_status(const struct cache_entry *e,
    const struct req_certid *id)
{
	size_t hl = hash_len(id->alg);

	if (e->bad || memcmp(e->name_hash, id->name_hash, hl) != 0 ||
	    memcmp(e->key_hash, id->key_hash, hl) != 0)
		return TREE_BAD_FILE;
	return TREE_FOUND;
}

/* Puts a freshly loaded entry (or the news that the file is gone) into the
 * shard, replacing old. Returns the entry to use, with a reference. */
static struct cache_entry *shard_update(struct tree_reader *t, struct shard *sh,
    const struct cache_key *k, uint64_t h, struct cache_entry *old,
    struct cache_entry *fresh)
{
	struct cache_entry *cur, *gone = NULL, *victim = NULL, *use = fresh;

	pthread_mutex_lock(&sh->lock);
	cur = shard_find(sh, h, k);
	if (fresh != NULL && cur != NULL && cur != old && file_sig_eq(&cur->sig, &fresh->sig)) {
		/* Another thread loaded the same file meanwhile: share it. */
		entry_get(cur);
		use = cur;
	} else if (cur != NULL && (fresh != NULL || cur == old)) {
		shard_unlink(t, sh, cur);
		gone = cur;
	}
	if (use == fresh && fresh != NULL)
		victim = shard_insert(t, sh, fresh);
	pthread_mutex_unlock(&sh->lock);
	if (use != fresh)
		entry_put(fresh);
	entry_put(gone);
	entry_put(victim);
	return use;
}

static enum tree_lookup cache_lookup(struct tree_reader *t,
    const struct issuer_table *tab, const struct issuer *is,
    const struct req_certid *id, int64_t now, struct cache_entry **out)
{
	char path[TREE_PATH_MAX];
	struct cache_key k;
	struct cache_entry *e, *fresh;
	struct file_sig sig;
	enum tree_lookup r;
	uint64_t h;
	struct shard *sh;

	key_make(&k, is, id);
	h = key_hash(t, &k);
	sh = shard_of(t, h);
	pthread_mutex_lock(&sh->lock);
	e = shard_find(sh, h, &k);
	if (e != NULL) {
		entry_get(e);
		lru_unlink(e);
		lru_front(sh, e);
		if (e->epoch == tab->epoch && !due(now, e->checked + t->interval, t->interval)) {
			pthread_mutex_unlock(&sh->lock);
			*out = e;
			return entry_status(e, id);
		}
		/* This thread re-checks; the others keep serving e meanwhile,
		 * a complete response at most one interval older. */
		e->checked = now;
		e->epoch = tab->epoch;
	}
	pthread_mutex_unlock(&sh->lock);
	if (response_path(t, is->dir, id->alg, &id->serial, path, sizeof(path)) != 0) {
		entry_put(e);
		return TREE_NO_SERIAL;
	}
	if (e != NULL) {
		file_sig_get(path, 0, &sig);
		if (sig.exists && file_sig_eq(&sig, &e->sig)) {
			*out = e;
			return entry_status(e, id);
		}
	}
	fresh = entry_load(t, path, &k, h, id, now, tab->epoch, &r);
	*out = shard_update(t, sh, &k, h, e, fresh);
	entry_put(e);
	return *out != NULL ? entry_status(*out, id) : r;
}

/* ---- the public API ---- */

enum tree_lookup tree_reader_lookup(struct tree_reader *t,
    const struct req_certid *id, int64_t now, const struct tree_response **out)
{
	struct issuer_table *tab;
	const struct issuer *is;
	struct cache_entry *e = NULL;
	enum tree_lookup r;

	*out = NULL;
	refresh_lazy(t, now);
	tab = table_get(t);
	is = issuer_table_find(tab, id);
	if (is == NULL)
		r = TREE_NO_ISSUER;
	else if (!(is->presigned & (1u << id->alg)))
		r = TREE_NO_HASH;
	else if (!id->serial_ok)
		r = TREE_NO_SERIAL;
	else
		r = cache_lookup(t, tab, is, id, now, &e);
	issuer_table_put(tab);
	if (r == TREE_FOUND && now >= e->resp.next_update)
		r = TREE_STALE;
	if (r != TREE_FOUND) {
		entry_put(e);
		return r;
	}
	*out = &e->resp;
	return TREE_FOUND;
}

void tree_response_release(struct tree_reader *t, const struct tree_response *r)
{
	if (r != NULL)
		entry_put((struct cache_entry *)((const char *)r -
		    offsetof(struct cache_entry, resp)));
}

void tree_reader_stats(struct tree_reader *t, struct tree_reader_stats *s)
{
	struct issuer_table *tab = table_get(t);

	s->generation = tab->generation;
	s->issuers = tab->n;
	s->cached = atomic_load_explicit(&t->cached, memory_order_relaxed);
	s->capacity = t->capacity;
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

static int shards_init(struct tree_reader *t, size_t entries, struct err *e)
{
	size_t limit = map_count_limit(), per, nb = 1;

	t->capacity = entries < limit ? entries : limit;
	if (t->capacity < 1)
		t->capacity = 1;
	t->nshards = 1;
	while (t->nshards < MAX_SHARDS && t->capacity / (t->nshards * 2) >= MIN_PER_SHARD)
		t->nshards *= 2;
	per = (t->capacity + t->nshards - 1) / t->nshards;
	while (nb < per)
		nb *= 2;
	t->shards = aligned_alloc(64, t->nshards * sizeof(*t->shards));
	if (t->shards == NULL)
		return err_set(e, "out of memory");
	memset(t->shards, 0, t->nshards * sizeof(*t->shards));
	for (size_t i = 0; i < t->nshards; i++) {
		struct shard *sh = &t->shards[i];
		pthread_mutex_init(&sh->lock, NULL);
		sh->lru.lru_next = sh->lru.lru_prev = &sh->lru;
		sh->cap = per;
		sh->mask = nb - 1;
	}
	for (size_t i = 0; i < t->nshards; i++) {
		t->shards[i].bucket = calloc(nb, sizeof(*t->shards[i].bucket));
		if (t->shards[i].bucket == NULL)
			return err_set(e, "out of memory");
	}
	return 0;
}

int tree_reader_open(const struct tree_reader_opts *o, struct tree_reader **out,
    struct err *e)
{
	struct tree_reader *t;

	*out = NULL;
	if (o->root == NULL || o->root[0] == '\0')
		return err_set(e, "no tree directory");
	if (strlen(o->root) >= TREE_PATH_MAX - TREE_REL_MAX)
		return err_set(e, "tree path longer than %d bytes", TREE_PATH_MAX - TREE_REL_MAX);
	if (o->reload_interval < 1)
		return err_set(e, "reload interval under one second");
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return err_set(e, "out of memory");
	pthread_mutex_init(&t->table_lock, NULL);
	pthread_mutex_init(&t->reload_lock, NULL);
	t->interval = o->reload_interval;
	t->root = strdup(o->root);
	if (t->root == NULL) {
		err_set(e, "out of memory");
		goto fail;
	}
	t->w = (struct tree_warn){ t->root, o->warn, o->warn_arg };
	if (RAND_bytes((unsigned char *)&t->seed, sizeof(t->seed)) != 1) {
		err_ssl(e, "no random seed");
		goto fail;
	}
	if (shards_init(t, o->cache_entries, e) != 0)
		goto fail;
	/* An empty table first, so that lookups never see NULL. */
	t->table = calloc(1, sizeof(*t->table));
	if (t->table == NULL) {
		err_set(e, "out of memory");
		goto fail;
	}
	atomic_init(&t->table->refs, 1);
	pthread_mutex_lock(&t->reload_lock);
	refresh_locked(t, (int64_t)time(NULL), 1);
	pthread_mutex_unlock(&t->reload_lock);
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
	for (size_t i = 0; t->shards != NULL && i < t->nshards; i++) {
		struct shard *sh = &t->shards[i];
		while (sh->lru.lru_next != &sh->lru) {
			struct cache_entry *e = sh->lru.lru_next;
			shard_unlink(t, sh, e);
			entry_put(e);
		}
		free(sh->bucket);
		pthread_mutex_destroy(&sh->lock);
	}
	free(t->shards);
	if (t->table != NULL)
		issuer_table_put(t->table);
	pthread_mutex_destroy(&t->table_lock);
	pthread_mutex_destroy(&t->reload_lock);
	free(t->root);
	free(t);
}
