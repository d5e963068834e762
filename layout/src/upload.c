/* Mirroring a committed local tree to an upload target (upload.h): scan
 * the tree, compare it with the manifest, send what changed in phases,
 * keep the manifest up to date as transfers succeed. */
#include "ocsp/upload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ocsp/array.h"
#include "ocsp/certid.h"
#include "ocsp/err.h"
#include "ocsp/fsutil.h"
#include "ocsp/get_key.h"
#include "ocsp/hex.h"
#include "ocsp/serial.h"
#include "ocsp/shard.h"
#include "ocsp/status_index.h"
#include "ocsp/tree.h"
#include "upload_int.h"

/* Larger files are not the publisher's: responses are a few KiB. */
#define UPLOAD_OBJECT_MAX (1024 * 1024)
/* A killed run re-sends at most this many seconds of work. */
#define MANIFEST_SAVE_SECS 5
#define CT_RESPONSE "application/ocsp-response"
#define CT_TEXT "text/plain; charset=utf-8"

/* A GET key is a response under another name (phase 1 with responses). */
enum obj_kind { OBJ_RESPONSE, OBJ_META, OBJ_MARKER, OBJ_GETKEY };

struct local_obj {
	struct upload_entry ent;
	char src[UPLOAD_NAME_MAX + 1];	/* the file read: "" is ent.name */
	int64_t next_update;	/* responses: from status.idx; 0 unknown */
	enum obj_kind kind;
	int sent;		/* PUT this run */
};

struct scan {
	struct local_obj *v;
	size_t n, cap;
};

struct up {
	const struct upload_opts *o;
	const char *tree;
	struct upload_target t;
	struct upload_http *http;
	struct scan local;
	struct upload_manifest old;	/* as the run found it */
	unsigned char *gone;		/* per old entry: deleted this run */
	int dirty;			/* something changed on the target */
	int marker_sent;
	char path[TREE_PATH_MAX];	/* of the manifest */
	int64_t last_save;
	struct upload_counts *c;
	size_t *jobs;			/* the phase's: indexes into local or old */
	char (*dirs)[UPLOAD_NAME_MAX + 2];	/* WebDAV collections to make */
	size_t dirs_cap, dirs_from;		/* the phase's: dirs[dirs_from..] */
	size_t nphase_failed;
	char first_error[ERR_MSG_MAX];
	int save_failed;
	/* Listing (S3, manifest missing or damaged). */
	struct upload_list_page page;
	char (*aliases)[UPLOAD_NAME_MAX + 1];	/* sorted: local names with "//", collapsed */
	size_t naliases;
};

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* ---- scanning the local tree ---- */

static int add_local(struct scan *s, const char *tree, const char *name, enum obj_kind kind,
    int64_t next_update, struct err *e)
{
	char path[TREE_PATH_MAX];
	struct local_obj *v;
	uint8_t *data = NULL;
	size_t len = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", tree, name) >= sizeof(path))
		return err_set(e, "%s/%s: path too long", tree, name);
	if (fs_read_file(path, UPLOAD_OBJECT_MAX, &data, &len, e) != 0)
		return -1;
	v = array_grow(s->v, &s->cap, s->n + 1, sizeof(*v));
	if (v == NULL) {
		free(data);
		return err_set(e, "out of memory");
	}
	s->v = v;
	v = &s->v[s->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->ent.name, sizeof(v->ent.name), "%s", name);
	SHA256(data, len, v->ent.sha256);
	v->ent.size = len;
	v->kind = kind;
	v->next_update = next_update;
	free(data);
	return 0;
}

static int64_t next_update_of(const struct status_index *si, const char *serial)
{
	struct serial s;
	struct status_rec r;
	struct err e;

	if (si == NULL || serial_from_hex(&s, serial, strlen(serial), &e) != 0 ||
	    !status_index_find(si, &s, &r))
		return 0;
	return r.next_update;
}

/* The responses of one directory: the issuer's own or a hash's. */
static int scan_dir(struct scan *s, const char *tree, const char *rel,
    const struct status_index *si, int depth, struct err *e)
{
	char path[TREE_PATH_MAX], name[UPLOAD_NAME_MAX + 1];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	if ((d = opendir(path)) == NULL)
		return err_set(e, "%s: %s", path, strerror(errno));
	while (ret == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		int alg;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;	/* gone meanwhile: not ours to send */
		if ((size_t)snprintf(name, sizeof(name), "%s/%s", rel, de->d_name) >= sizeof(name))
			continue;
		if (S_ISREG(st.st_mode) && serial_name_valid(de->d_name))
			ret = add_local(s, tree, name, OBJ_RESPONSE, next_update_of(si, de->d_name), e);
		else if (S_ISREG(st.st_mode) && depth == 0 &&
		    strcmp(de->d_name, TREE_ISSUER_META) == 0)
			ret = add_local(s, tree, name, OBJ_META, 0, e);
		else if (S_ISDIR(st.st_mode) && depth == 0 &&
		    (alg = hash_from_name(de->d_name)) > 0)
			ret = scan_dir(s, tree, name, si, 1, e);
	}
	closedir(d);
	return ret;
}

/* Another name for the response local object i: same bytes and headers. */
static int add_alias(struct scan *s, size_t i, const char *name, struct err *e)
{
	struct local_obj *v = array_grow(s->v, &s->cap, s->n + 1, sizeof(*v));

	if (v == NULL)
		return err_set(e, "out of memory");
	s->v = v;
	v = &s->v[s->n];
	*v = s->v[i];
	snprintf(v->src, sizeof(v->src), "%s", s->v[i].ent.name);
	if ((size_t)snprintf(v->ent.name, sizeof(v->ent.name), "%s%s", UPLOAD_GET_PREFIX, name) >=
	    sizeof(v->ent.name))
		return err_set(e, "internal: GET key longer than an object name");
	v->kind = OBJ_GETKEY;
	s->n++;
	return 0;
}

/* The response's CertID hash from its name: "<issuer>/<SERIAL>" is SHA-1. */
static int alg_of(const char *name, const char **serial)
{
	const char *a = strchr(name, '/') + 1, *b = strchr(a, '/');
	char h[16];

	*serial = b ? b + 1 : a;
	if (b == NULL)
		return HASH_SHA1;
	if ((size_t)(b - a) >= sizeof(h))
		return -1;
	memcpy(h, a, (size_t)(b - a));
	h[b - a] = '\0';
	return hash_from_name(h);
}

/* S3: the GET keys of responses first..s->n of an issuer whose
 * issuer.meta lists hashes with keys, by their raw names (an object store
 * holds '//' and a '/' at the end; get/ on disk cannot). */
static int add_object_keys(struct scan *s, size_t first, const char *tree, const char *dir,
    struct err *e)
{
	char path[TREE_PATH_MAX];
	struct issuer_meta meta;
	struct get_key_names k;
	struct serial ser;
	struct err me;
	size_t end = s->n;

	snprintf(path, sizeof(path), "%s/%s/%s", tree, dir, TREE_ISSUER_META);
	if (issuer_meta_read(path, &meta, &me) != 0 || meta.get_keys == 0)
		return 0;	/* no keys without the hashes they are made of */
	for (size_t i = first; i < end; i++) {
		const char *sn;
		int alg;
		if (s->v[i].kind != OBJ_RESPONSE || (alg = alg_of(s->v[i].ent.name, &sn)) < 0 ||
		    !(meta.get_keys & meta.have_hash & (1u << alg)))
			continue;
		if (serial_from_hex(&ser, sn, strlen(sn), e) != 0 ||
		    get_key_object_names(alg, &meta.hash[alg], &ser, &k, e) != 0)
			return err_prefix(e, "%s/%s", tree, s->v[i].ent.name);
		for (size_t j = 0; j < k.n; j++)
			if (add_alias(s, i, k.name[j], e) != 0)
				return -1;
	}
	return 0;
}

static int scan_issuer(struct scan *s, const char *tree, const char *dir, int s3,
    struct err *e)
{
	char path[TREE_PATH_MAX];
	struct status_index *si = NULL;
	struct err ie;
	size_t first = s->n;
	int r;

	snprintf(path, sizeof(path), "%s/%s/%s", tree, dir, TREE_STATUS_INDEX);
	/* Without a status index the responses still go, with max-age 0. */
	if (status_index_open(path, &si, &ie) < 0)
		si = NULL;
	r = scan_dir(s, tree, dir, si, 0, e);
	if (r == 0 && s3)
		r = add_object_keys(s, first, tree, dir, e);
	status_index_close(si);
	return r;
}

/* WebDAV: the files under get/ as they are (a file server holds what the
 * file system does). depth bounds the walk: a key has at most
 * GET_KEY_B64_MAX characters. */
static int scan_get_dir(struct scan *s, const char *tree, const char *rel, int depth,
    struct err *e)
{
	char path[TREE_PATH_MAX], name[UPLOAD_NAME_MAX + 1];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT && depth == 0 ? 0 : err_set(e, "%s: %s", path, strerror(errno));
	while (ret == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    (size_t)snprintf(name, sizeof(name), "%s/%s", rel, de->d_name) >= sizeof(name))
			continue;	/* temp files, gone meanwhile, or not a key */
		if (S_ISREG(st.st_mode) && upload_name_valid(name))
			ret = add_local(s, tree, name, OBJ_GETKEY, 0, e);
		else if (S_ISDIR(st.st_mode) && depth < GET_KEY_B64_MAX)
			ret = scan_get_dir(s, tree, name, depth + 1, e);
	}
	closedir(d);
	return ret;
}

static int obj_cmp(const void *a, const void *b)
{
	return strcmp(((const struct local_obj *)a)->ent.name,
	    ((const struct local_obj *)b)->ent.name);
}

/* Drops later copies of a name (sorted): two keys that coincide. */
static void dedupe(struct scan *s)
{
	size_t o = 0;

	for (size_t i = 0; i < s->n; i++)
		if (o == 0 || strcmp(s->v[o - 1].ent.name, s->v[i].ent.name) != 0)
			s->v[o++] = s->v[i];
	s->n = o;
}

static int scan_tree(struct scan *s, const char *tree, int s3, struct err *e)
{
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(tree);
	int ret = 0;

	if (d == NULL)
		return err_set(e, "%s: %s", tree, strerror(errno));
	while (ret == 0 && (de = readdir(d)) != NULL)
		if (tree_issuer_dir_valid(de->d_name) &&
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
			ret = scan_issuer(s, tree, de->d_name, s3, e);
	closedir(d);
	if (ret == 0 && !s3)
		ret = scan_get_dir(s, tree, GET_KEY_DIR, 0, e);
	if (ret == 0 && stat(tree, &st) == 0) {
		char path[TREE_PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", tree, TREE_MARKER);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			ret = add_local(s, tree, TREE_MARKER, OBJ_MARKER, 0, e);
	}
	if (ret == 0) {
		if (s->n > 1)
			qsort(s->v, s->n, sizeof(*s->v), obj_cmp);
		dedupe(s);
	}
	return ret;
}

/* ---- the manifest on disk ---- */

static int manifest_path(struct up *u, struct err *e)
{
	uint8_t h[32];
	char hex[65];
	int n;

	SHA256((const uint8_t *)u->t.base, strlen(u->t.base), h);
	hex_lower(hex, h, 32);
	n = snprintf(u->path, sizeof(u->path), "%s/%s/%s.manifest", u->tree,
	    UPLOAD_MANIFEST_DIR, hex);
	if (n < 0 || (size_t)n >= sizeof(u->path))
		return err_set(e, "%s: path too long", u->tree);
	return 0;
}

/* ---- rebuilding the manifest from a listing (S3) ---- */

static void note_failure(struct up *u, const char *msg);

static const struct local_obj *local_find(const struct up *u, const char *name)
{
	size_t lo = 0, hi = u->local.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(u->local.v[mid].ent.name, name);
		if (c == 0)
			return &u->local.v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Whether the object's ETag is the MD5 of the local file: what S3 gives a
 * single-part PUT without SSE-KMS; anything else (multipart "-N",
 * encryption) does not match and the object is sent again. */
static int etag_matches(const struct up *u, const struct local_obj *lo, const char *etag)
{
	char path[TREE_PATH_MAX], hex[33];
	uint8_t *data = NULL, md[16];
	size_t len = 0;
	unsigned int mdlen = 0;
	struct err e;
	int ok;

	if (strlen(etag) != 32)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", u->tree, lo->src[0] ? lo->src : lo->ent.name);
	if (fs_read_file(path, UPLOAD_OBJECT_MAX, &data, &len, &e) != 0)
		return 0;
	ok = EVP_Digest(data, len, md, &mdlen, EVP_md5(), NULL) == 1 && mdlen == 16;
	free(data);
	hex_lower(hex, md, 16);
	hex[32] = '\0';
	return ok && strcasecmp(hex, etag) == 0;
}

/* name with each run of '/' as one: what a store that keeps objects as
 * files (s3rver, some gateways) makes of a key holding "//". */
static void collapse(const char *name, char *out, size_t cap)
{
	size_t o = 0;

	for (; *name != '\0' && o + 1 < cap; name++)
		if (*name != '/' || o == 0 || out[o - 1] != '/')
			out[o++] = *name;
	out[o] = '\0';
}

static int alias_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int aliases_build(struct up *u, struct err *e)
{
	size_t n = 0;

	for (size_t i = 0; i < u->local.n; i++)
		n += strstr(u->local.v[i].ent.name, "//") != NULL;
	if (n == 0)
		return 0;
	if ((u->aliases = calloc(n, sizeof(*u->aliases))) == NULL)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < u->local.n; i++)
		if (strstr(u->local.v[i].ent.name, "//") != NULL)
			collapse(u->local.v[i].ent.name, u->aliases[u->naliases++],
			    sizeof(*u->aliases));
	qsort(u->aliases, u->naliases, sizeof(*u->aliases), alias_cmp);
	return 0;
}

/* Whether deleting name could delete a local "//" key the store holds
 * under it: never delete what is ours and needed. */
static int is_alias(const struct up *u, const char *name)
{
	char c[UPLOAD_NAME_MAX + 1];

	if (u->naliases == 0)
		return 0;
	collapse(name, c, sizeof(c));
	return bsearch(c, u->aliases, u->naliases, sizeof(*u->aliases), alias_cmp) != NULL;
}

/* Whether name is a response ("<issuer>/<SERIAL>", "<issuer>/<hash>/<SERIAL>")
 * whose serial belongs to this run's shard. issuer.meta, the marker and
 * GET keys are not: several shards write or may own them. */
static int own_response(const struct up *u, const char *name)
{
	const char *slash = strrchr(name, '/');
	struct serial s;
	struct err e;

	if (u->o->shard == NULL || slash == NULL || strncmp(name, UPLOAD_GET_PREFIX,
	    strlen(UPLOAD_GET_PREFIX)) == 0 || !serial_name_valid(slash + 1) ||
	    serial_from_hex(&s, slash + 1, strlen(slash + 1), &e) != 0)
		return 0;
	return shard_owns(u->o->shard, &s);
}

/* One listed object: the tree's names become manifest entries, with the
 * local hash when the ETag proves the bytes (unchanged), else an empty
 * hash (sent again if the tree has it, deleted if not). Foreign keys are
 * counted and left alone. */
static int list_item(void *arg, const struct upload_list_item *it, struct err *e)
{
	struct up *u = arg;
	size_t plen = strlen(u->t.prefix);
	const char *rel = it->key + plen;
	const struct local_obj *lo;
	struct upload_entry *v;

	u->c->listed++;
	if (it->key_len <= plen || memcmp(it->key, u->t.prefix, plen) != 0 ||
	    it->key_len - plen > UPLOAD_NAME_MAX || !upload_name_valid(rel)) {
		u->c->foreign++;
		return 0;
	}
	lo = local_find(u, rel);
	if (lo == NULL && is_alias(u, rel))
		return 0;	/* a "//" key listed collapsed: ours, and not stray */
	/* A sharded run shares the prefix with the other shards: what this
	 * shard's tree lacks is deleted only when it is provably its own. */
	if (lo == NULL && (u->o->marker_name != NULL || u->o->shard != NULL) &&
	    !own_response(u, rel)) {
		u->c->foreign++;
		return 0;
	}
	if ((v = array_grow(u->old.v, &u->old.cap, u->old.n + 1, sizeof(*v))) == NULL)
		return err_set(e, "out of memory");
	u->old.v = v;
	v = &u->old.v[u->old.n++];
	memset(v, 0, sizeof(*v));
	memcpy(v->name, rel, it->key_len - plen + 1);
	v->size = it->size;
	if (lo != NULL && lo->ent.size == it->size && etag_matches(u, lo, it->etag))
		memcpy(v->sha256, lo->ent.sha256, 32);
	return 0;
}

static int prepare_list(void *arg, size_t i, struct upload_req *r, struct err *e)
{
	struct up *u = arg;
	const char *names[3] = { "list-type", "prefix", "continuation-token" };
	const char *values[3] = { "2", u->t.prefix, u->page.token };

	(void)i;
	r->method = UPLOAD_GET;
	/* Built and sorted here: libcurl 7.88 signs the query as given. */
	if (upload_s3_query(names, values, u->page.token[0] ? 3 : 2, r->query,
	    sizeof(r->query)) < 0)
		return err_set(e, "internal: listing query too long");
	return 0;
}

static int got_list(void *arg, size_t i, const char *body, size_t len, char *msg,
    size_t size)
{
	struct up *u = arg;
	struct err e;

	(void)i;
	if (upload_s3_list_parse(body, len, &u->page, list_item, u, &e) == 0)
		return 0;
	snprintf(msg, size, "listing %s: %s", u->t.shown, e.msg);
	return -1;
}

static void done_list(void *arg, size_t i, int ok, const char *msg)
{
	(void)i;
	if (!ok)
		note_failure(arg, msg);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct upload_entry *)a)->name,
	    ((const struct upload_entry *)b)->name);
}

/* The manifest S3 implies: ListObjectsV2 under the prefix, page by page.
 * A listing that fails fails the run: without it nothing is known of what
 * the target holds, and guessing could leave stray objects forever. */
static int manifest_from_listing(struct up *u, struct err *e)
{
	struct upload_batch b = { 1, prepare_list, done_list, u, got_list };
	size_t pages = 0, o = 0;

	upload_manifest_fini(&u->old);
	memset(&u->page, 0, sizeof(u->page));
	if (aliases_build(u, e) != 0)
		return -1;
	do {
		u->nphase_failed = 0;
		if (upload_http_run(u->http, &b) != 0 || u->nphase_failed != 0)
			return err_set(e, "%s", u->first_error[0] ? u->first_error :
			    "listing: the target did not answer");
		if (++pages >= UPLOAD_LIST_PAGES_MAX)
			return err_set(e, "listing %s: more than %d pages", u->t.shown,
			    UPLOAD_LIST_PAGES_MAX);
	} while (u->page.truncated);
	if (u->old.n > 1)
		qsort(u->old.v, u->old.n, sizeof(*u->old.v), entry_cmp);
	for (size_t i = 0; i < u->old.n; i++)
		if (o == 0 || strcmp(u->old.v[o - 1].name, u->old.v[i].name) != 0)
			u->old.v[o++] = u->old.v[i];
	u->old.n = o;
	return 0;
}

/* A missing manifest is an empty WebDAV target; a damaged one is an error
 * there (it would otherwise make a first upload of everything silently).
 * On S3 both are rebuilt from a listing. */
static int manifest_load(struct up *u, struct err *e)
{
	uint8_t *text = NULL;
	size_t len = 0;
	struct stat st;
	int r;

	if (stat(u->path, &st) != 0 && errno == ENOENT)
		return u->t.kind == UPLOAD_S3 ? manifest_from_listing(u, e) : 0;
	if (fs_read_file(u->path, UPLOAD_MANIFEST_MAX, &text, &len, e) != 0)
		return -1;
	r = upload_manifest_parse((const char *)text, len, &u->old, e);
	free(text);
	if (r != 0 && u->t.kind == UPLOAD_S3)
		return manifest_from_listing(u, e);
	if (r != 0)
		return err_prefix(e, "%s (remove it to upload everything again)", u->path);
	return 0;
}

/* What the target holds now: old entries not deleted or replaced, and
 * what was sent; the marker only while nothing else changed since it was
 * sent. */
static int manifest_build(const struct up *u, struct upload_manifest *m)
{
	size_t i = 0, j = 0;

	while (i < u->old.n || j < u->local.n) {
		const struct upload_entry *oe = i < u->old.n ? &u->old.v[i] : NULL;
		const struct local_obj *lo = j < u->local.n ? &u->local.v[j] : NULL;
		const struct upload_entry *pick = NULL;
		int c = oe == NULL ? 1 : lo == NULL ? -1 : strcmp(oe->name, lo->ent.name);
		if (c <= 0 && lo != NULL && c == 0 && lo->sent)
			pick = &lo->ent;
		else if (c <= 0 && !u->gone[i])
			pick = oe;
		else if (c > 0 && lo->sent)
			pick = &lo->ent;
		if (pick != NULL && strcmp(pick->name, TREE_MARKER) == 0 && u->dirty &&
		    !u->marker_sent)
			pick = NULL;
		if (pick != NULL) {
			struct upload_entry *v = array_grow(m->v, &m->cap, m->n + 1, sizeof(*v));
			if (v == NULL)
				return -1;
			m->v = v;
			m->v[m->n++] = *pick;
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return 0;
}

static int manifest_save(struct up *u, struct err *e)
{
	char dir[TREE_PATH_MAX], *text = NULL;
	struct upload_manifest m;
	size_t len = 0;
	int fd = -1, ret = -1;

	upload_manifest_init(&m);
	snprintf(dir, sizeof(dir), "%s/%s", u->tree, UPLOAD_MANIFEST_DIR);
	if (fs_mkdirs(dir, 0755, e) != 0)
		goto out;
	if (manifest_build(u, &m) != 0) {
		err_set(e, "out of memory");
		goto out;
	}
	if (upload_manifest_format(&m, u->t.shown, &text, &len, e) != 0)
		goto out;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err_set(e, "%s: %s", dir, strerror(errno));
		goto out;
	}
	ret = fs_write_atomic(fd, strrchr(u->path, '/') + 1, text, len, FS_SYNC, e);
	u->last_save = mono_s();
out:
	if (fd >= 0)
		close(fd);
	free(text);
	upload_manifest_fini(&m);
	return ret;
}

static void maybe_save(struct up *u)
{
	struct err e;

	if (mono_s() - u->last_save < MANIFEST_SAVE_SECS || u->save_failed)
		return;
	if (manifest_save(u, &e) != 0) {
		u->save_failed = 1;
		snprintf(u->first_error, sizeof(u->first_error), "%s", e.msg);
	}
}

/* ---- one phase: a batch of jobs through the engine ---- */

static void note_failure(struct up *u, const char *msg)
{
	u->c->failed++;
	u->nphase_failed++;
	if (u->first_error[0] == '\0')
		snprintf(u->first_error, sizeof(u->first_error), "%s", msg);
}

static void cache_control(const struct up *u, const struct local_obj *lo, char *out,
    size_t size)
{
	int64_t age = lo->next_update - (int64_t)time(NULL);

	if (lo->kind != OBJ_RESPONSE && lo->kind != OBJ_GETKEY) {
		snprintf(out, size, "no-cache");
		return;
	}
	if (age > u->o->max_age)
		age = u->o->max_age;
	if (age < 0)
		age = 0;
	snprintf(out, size, "public, max-age=%lld, no-transform, must-revalidate",
	    (long long)age);
}

static int prepare_put(void *arg, size_t i, struct upload_req *r, struct err *e)
{
	struct up *u = arg;
	const struct local_obj *lo = &u->local.v[u->jobs[i]];
	char path[TREE_PATH_MAX];

	r->method = UPLOAD_PUT;
	snprintf(r->name, sizeof(r->name), "%s", lo->kind == OBJ_MARKER && u->o->marker_name ?
	    u->o->marker_name : lo->ent.name);
	snprintf(path, sizeof(path), "%s/%s", u->tree, lo->src[0] ? lo->src : lo->ent.name);
	if (fs_read_file(path, UPLOAD_OBJECT_MAX, &r->body, &r->len, e) != 0)
		return -1;
	SHA256(r->body, r->len, r->sha256);
	if (memcmp(r->sha256, lo->ent.sha256, 32) != 0)
		return err_set(e, "%s changed while uploading (is another program writing the "
		    "tree?)", path);
	r->content_type = lo->kind == OBJ_RESPONSE || lo->kind == OBJ_GETKEY ? CT_RESPONSE :
	    CT_TEXT;
	cache_control(u, lo, r->cache_control, sizeof(r->cache_control));
	if ((lo->kind == OBJ_RESPONSE || lo->kind == OBJ_GETKEY) &&
	    upload_response_tags(r->body, r->len, r, e) != 0)
		return err_prefix(e, "%s", path);
	return 0;
}

static void done_put(void *arg, size_t i, int ok, const char *msg)
{
	struct up *u = arg;
	struct local_obj *lo = &u->local.v[u->jobs[i]];

	if (!ok) {
		note_failure(u, msg);
		return;
	}
	lo->sent = 1;
	u->c->uploaded++;
	if (lo->kind == OBJ_MARKER)
		u->marker_sent = 1;
	else
		u->dirty = 1;
	maybe_save(u);
}

static int prepare_delete(void *arg, size_t i, struct upload_req *r, struct err *e)
{
	struct up *u = arg;

	(void)e;
	r->method = UPLOAD_DELETE;
	snprintf(r->name, sizeof(r->name), "%s", u->old.v[u->jobs[i]].name);
	return 0;
}

static void done_delete(void *arg, size_t i, int ok, const char *msg)
{
	struct up *u = arg;

	if (!ok) {
		note_failure(u, msg);
		return;
	}
	u->gone[u->jobs[i]] = 1;
	u->c->deleted++;
	u->dirty = 1;
	maybe_save(u);
}

static int prepare_mkcol(void *arg, size_t i, struct upload_req *r, struct err *e)
{
	struct up *u = arg;

	(void)e;
	r->method = UPLOAD_MKCOL;
	snprintf(r->name, sizeof(r->name), "%s", u->dirs[u->dirs_from + i]);
	return 0;
}

static void done_mkcol(void *arg, size_t i, int ok, const char *msg)
{
	(void)i;
	if (!ok)
		note_failure(arg, msg);
}

/* Runs n jobs of one kind; 0 when every one succeeded. */
static int phase(struct up *u, size_t n,
    int (*prepare)(void *, size_t, struct upload_req *, struct err *),
    void (*done)(void *, size_t, int, const char *))
{
	struct upload_batch b = { n, prepare, done, u, NULL };
	size_t skipped;

	u->nphase_failed = 0;
	if (n == 0)
		return 0;
	skipped = upload_http_run(u->http, &b);
	u->c->skipped += skipped;
	return u->nphase_failed == 0 && skipped == 0 ? 0 : -1;
}

/* ---- planning ---- */

static int changed(const struct up *u, const struct local_obj *lo)
{
	const struct upload_entry *m = upload_manifest_find(&u->old, lo->ent.name);

	return m == NULL || m->size != lo->ent.size || memcmp(m->sha256, lo->ent.sha256, 32) != 0;
}

/* Local objects of kind that the target lacks, into u->jobs. */
static size_t plan_puts(struct up *u, enum obj_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < u->local.n; i++)
		if ((u->local.v[i].kind == kind ||
		    (kind == OBJ_RESPONSE && u->local.v[i].kind == OBJ_GETKEY)) &&
		    changed(u, &u->local.v[i]))
			u->jobs[n++] = i;
	return n;
}

static int local_has(const struct up *u, const char *name)
{
	size_t lo = 0, hi = u->local.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(u->local.v[mid].ent.name, name);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static size_t plan_deletes(struct up *u)
{
	size_t n = 0;

	for (size_t i = 0; i < u->old.n; i++)
		if (strcmp(u->old.v[i].name, TREE_MARKER) != 0 && !local_has(u, u->old.v[i].name))
			u->jobs[n++] = i;
	return n;
}

static size_t slashes(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '/';
	return n;
}

/* Parents before children: by depth, then by name. */
static int dir_cmp(const void *a, const void *b)
{
	size_t da = slashes(a), db = slashes(b);

	return da != db ? (da < db ? -1 : 1) : strcmp(a, b);
}

static int push_dir(struct up *u, size_t *nd, const char *name, size_t len)
{
	void *v = array_grow(u->dirs, &u->dirs_cap, *nd + 1, sizeof(*u->dirs));

	if (v == NULL)
		return -1;
	u->dirs = v;
	memcpy(u->dirs[*nd], name, len);
	u->dirs[*nd][len] = '\0';
	(*nd)++;
	return 0;
}

/* The collections a WebDAV origin needs before the PUTs of jobs[0..n):
 * the base ("") and every directory of a name (issuer, hash, the parts of
 * a GET key), sorted parents first, each once. Returns how many, or
 * (size_t)-1 when out of memory. */
static size_t plan_dirs(struct up *u, size_t n)
{
	size_t nd = 0, o = 0;

	if (n == 0)
		return 0;
	if (push_dir(u, &nd, "", 0) != 0)
		return (size_t)-1;
	for (size_t k = 0; k < n; k++) {
		const char *name = u->local.v[u->jobs[k]].ent.name;
		for (const char *p = strchr(name, '/'); p != NULL; p = strchr(p + 1, '/')) {
			size_t len = (size_t)(p - name) + 1;
			/* jobs are sorted: a directory's files mostly come together */
			if (nd > 1 && strlen(u->dirs[nd - 1]) == len &&
			    memcmp(u->dirs[nd - 1], name, len) == 0)
				continue;
			if (push_dir(u, &nd, name, len) != 0)
				return (size_t)-1;
		}
	}
	qsort(u->dirs, nd, sizeof(*u->dirs), dir_cmp);
	for (size_t i = 0; i < nd; i++)
		if (o == 0 || strcmp(u->dirs[o - 1], u->dirs[i]) != 0)
			memmove(u->dirs[o++], u->dirs[i], sizeof(*u->dirs));
	return o;
}

/* ---- the run ---- */

static int count_unchanged(struct up *u)
{
	for (size_t i = 0; i < u->local.n; i++)
		if (!u->local.v[i].sent)
			u->c->unchanged++;
	return 0;
}

static int make_dirs(struct up *u, size_t n)
{
	size_t nd;

	if (u->t.kind != UPLOAD_DAV)
		return 0;
	if ((nd = plan_dirs(u, n)) == (size_t)-1) {
		note_failure(u, "out of memory");
		return -1;
	}
	/* One phase per depth: a collection is made after its parent. */
	for (size_t i = 0; i < nd;) {
		size_t j = i, depth = slashes(u->dirs[i]);
		while (j < nd && slashes(u->dirs[j]) == depth)
			j++;
		u->dirs_from = i;
		if (phase(u, j - i, prepare_mkcol, done_mkcol) != 0)
			return -1;
		i = j;
	}
	return 0;
}

/* A shard's marker lives in a collection of its own (upload_opts
 * marker_name), which a WebDAV origin needs made: the base first (a shard
 * may have had nothing else to send), then it, one after the other. */
static int make_marker_dir(struct up *u)
{
	const char *slash = u->o->marker_name ? strrchr(u->o->marker_name, '/') : NULL;
	size_t len;
	void *v;

	if (u->t.kind != UPLOAD_DAV || slash == NULL)
		return 0;
	len = (size_t)(slash - u->o->marker_name) + 1;
	if (len > UPLOAD_NAME_MAX ||
	    (v = array_grow(u->dirs, &u->dirs_cap, 1, sizeof(*u->dirs))) == NULL) {
		note_failure(u, "out of memory");
		return -1;
	}
	u->dirs = v;
	u->dirs[0][0] = '\0';
	if (phase(u, 1, prepare_mkcol, done_mkcol) != 0)
		return -1;
	memcpy(u->dirs[0], u->o->marker_name, len);
	u->dirs[0][len] = '\0';
	return phase(u, 1, prepare_mkcol, done_mkcol);
}

static int run_phases(struct up *u)
{
	size_t n;
	struct local_obj *marker = NULL;

	n = plan_puts(u, OBJ_RESPONSE);
	if (make_dirs(u, n) != 0 || phase(u, n, prepare_put, done_put) != 0)
		return -1;
	if (phase(u, plan_deletes(u), prepare_delete, done_delete) != 0)
		return -1;
	n = plan_puts(u, OBJ_META);
	if (make_dirs(u, n) != 0 || phase(u, n, prepare_put, done_put) != 0)
		return -1;
	for (size_t i = 0; i < u->local.n; i++)
		if (u->local.v[i].kind == OBJ_MARKER)
			marker = &u->local.v[i];
	if (marker == NULL)
		return 0;
	/* Sent when anything else changed, or when the target may lack it. */
	if (!u->dirty && upload_manifest_find(&u->old, TREE_MARKER) != NULL)
		return 0;
	if (make_marker_dir(u) != 0)
		return -1;
	u->jobs[0] = (size_t)(marker - u->local.v);
	return phase(u, 1, prepare_put, done_put);
}

static int alloc_work(struct up *u, struct err *e)
{
	size_t n = (u->local.n > u->old.n ? u->local.n : u->old.n) + 1;

	u->gone = calloc(u->old.n + 1, 1);
	u->jobs = calloc(n, sizeof(*u->jobs));
	if (u->gone == NULL || u->jobs == NULL)
		return err_set(e, "out of memory");
	return 0;
}

int upload_tree(const struct upload_opts *o, const char *tree, int64_t now,
    struct upload_counts *c, struct err *e)
{
	struct up u;
	int ret = -1;

	(void)now;
	memset(c, 0, sizeof(*c));
	memset(&u, 0, sizeof(u));
	u.o = o;
	u.tree = tree;
	u.c = c;
	upload_manifest_init(&u.old);
	if (upload_target_open(o, &u.t, e) != 0 || manifest_path(&u, e) != 0 ||
	    scan_tree(&u.local, tree, u.t.kind == UPLOAD_S3, e) != 0)
		goto out;
	if ((u.http = upload_http_new(&u.t, o->concurrency, o->retries, e)) == NULL)
		goto out;
	if (manifest_load(&u, e) != 0 || alloc_work(&u, e) != 0) {
		if (strstr(e->msg, u.t.shown) == NULL)
			err_prefix(e, "%s", u.t.shown);
		goto out;
	}
	u.last_save = mono_s();
	ret = run_phases(&u);
	count_unchanged(&u);
	if (u.dirty || u.marker_sent) {
		struct err se;
		if (manifest_save(&u, &se) != 0) {
			ret = -1;
			if (!u.save_failed)
				snprintf(u.first_error, sizeof(u.first_error), "%s", se.msg);
			u.save_failed = 1;
		}
	}
	if (u.save_failed)
		ret = -1;
	if (ret != 0)
		err_set(e, "%s: %s", u.t.shown, u.first_error[0] ? u.first_error :
		    "the target did not answer (given up)");
out:
	upload_http_free(u.http);
	upload_target_fini(&u.t);
	upload_manifest_fini(&u.old);
	free(u.local.v);
	free(u.gone);
	free(u.jobs);
	free(u.dirs);
	free(u.aliases);
	return ret;
}
