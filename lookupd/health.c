#include "health.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ocsp/array.h"
#include "ocsp/fsutil.h"
#include "ocsp/status_index.h"
#include "ocsp/timefmt.h"
#include "ocsp/tree.h"

/* What a reason's detail may hold (paths, a parser's message). */
#define HEALTH_DETAIL_MAX 320

struct health_ca {
	char dir[TREE_ISSUER_DIR_LEN + 1];
	char name[64];			/* issuer.meta's name, else the directory */
	int broken;
	char why[HEALTH_DETAIL_MAX];
	uint64_t count;			/* responses with times in status.idx */
	int64_t oldest_this_update;	/* 0: none */
	int64_t soonest_next_update;	/* 0: none */
	int64_t share_at;		/* first time one passes stale_share; 0: never */
	int64_t signer_not_after;	/* 0: not known */
};

struct health {
	struct health_opts o;
	char *tree;			/* NULL: no tree */
	pthread_mutex_t lock;
	/* The last scan, under lock. */
	int scanned;
	int64_t scanned_at;
	struct file_sig marker_sig;
	char problem[HEALTH_DETAIL_MAX];	/* "" when the tree is readable */
	uint64_t generation;
	int64_t published;		/* 0: not known */
	struct health_ca *cas;
	size_t ncas, cap;
};

int health_new(const struct health_opts *o, struct health **out, struct err *e)
{
	struct health *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (h == NULL)
		return err_set(e, "out of memory");
	h->o = *o;
	h->o.tree = NULL;
	if (o->tree != NULL && o->tree[0] != '\0' && (h->tree = strdup(o->tree)) == NULL) {
		free(h);
		return err_set(e, "out of memory");
	}
	pthread_mutex_init(&h->lock, NULL);
	*out = h;
	return 0;
}

void health_free(struct health *h)
{
	if (h == NULL)
		return;
	pthread_mutex_destroy(&h->lock);
	free(h->cas);
	free(h->tree);
	free(h);
}

/* ---- reading the tree ---- */

/* Messages are cut to what a reason holds. */
static void ca_broken(struct health_ca *ca, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void ca_broken(struct health_ca *ca, const char *fmt, ...)
{
	va_list ap;

	ca->broken = 1;
	va_start(ap, fmt);
	vsnprintf(ca->why, sizeof(ca->why), fmt, ap);
	va_end(ap);
}

static void set_problem(struct health *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_problem(struct health *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->problem, sizeof(h->problem), fmt, ap);
	va_end(ap);
}

static void copy_name(char *out, size_t size, const char *in)
{
	size_t n = strnlen(in, size - 1);

	memcpy(out, in, n);
	out[n] = '\0';
}

/* The times of every pre-signed response in the issuer's status index. A
 * missing index (nothing signed yet) leaves them unknown. */
static void scan_status(const struct health *h, struct health_ca *ca, const char *path)
{
	struct status_index *si = NULL;
	struct status_rec r;
	struct err e;
	int rc = status_index_open(path, &si, &e);

	if (rc != 0) {
		if (rc < 0)
			ca_broken(ca, "%s", e.msg);
		return;
	}
	for (size_t i = 0, n = status_index_count(si); i < n; i++) {
		status_index_get(si, i, &r);
		if (r.this_update == 0 || r.next_update <= r.this_update)
			continue;
		ca->count++;
		if (ca->oldest_this_update == 0 || r.this_update < ca->oldest_this_update)
			ca->oldest_this_update = r.this_update;
		if (ca->soonest_next_update == 0 || r.next_update < ca->soonest_next_update)
			ca->soonest_next_update = r.next_update;
		if (h->o.stale_share > 0) {
			int64_t at = r.this_update +
			    (r.next_update - r.this_update) / 100 * h->o.stale_share +
			    (r.next_update - r.this_update) % 100 * h->o.stale_share / 100;
			if (ca->share_at == 0 || at < ca->share_at)
				ca->share_at = at;
		}
	}
	status_index_close(si);
}

/* Returns 1, with nothing in ca, for a directory without issuer.meta (a
 * publish in progress, as the tree reader sees it). */
static int scan_issuer(const struct health *h, const char *dir, struct health_ca *ca)
{
	char path[TREE_PATH_MAX], keydir[TREE_ISSUER_DIR_LEN + 1];
	struct issuer_meta m;
	struct stat st;
	struct err e;

	memset(ca, 0, sizeof(*ca));
	copy_name(ca->dir, sizeof(ca->dir), dir);
	copy_name(ca->name, sizeof(ca->name), dir);
	if (tree_path(path, sizeof(path), h->tree, dir, HASH_SHA1, TREE_ISSUER_META) < 0) {
		ca_broken(ca, "%s: path too long", dir);
		return 0;
	}
	if (stat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
		return 1;
	if (issuer_meta_read(path, &m, &e) != 0) {
		ca_broken(ca, "%s", e.msg);
		return 0;
	}
	tree_issuer_dir(keydir, m.hash[HASH_SHA1].key);
	if (strcmp(keydir, dir) != 0) {
		ca_broken(ca, "%s: describes another issuer key than its directory's", path);
		return 0;
	}
	if (m.name[0] != '\0')
		copy_name(ca->name, sizeof(ca->name), m.name);
	ca->signer_not_after = m.signer_expires;
	if (tree_path(path, sizeof(path), h->tree, dir, HASH_SHA1, TREE_STATUS_INDEX) >= 0)
		scan_status(h, ca, path);
	return 0;
}

/* Whether the directory entry may be an issuer's: its name, a directory. */
static int is_issuer(const struct health *h, const char *name)
{
	char path[TREE_PATH_MAX];
	struct stat st;

	if (!tree_issuer_dir_valid(name) ||
	    tree_path(path, sizeof(path), h->tree, name, HASH_SHA1, NULL) < 0 ||
	    stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	return 1;
}

static void scan_issuers(struct health *h, DIR *d)
{
	struct dirent *de;

	h->ncas = 0;
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!is_issuer(h, de->d_name))
			continue;
		struct health_ca *v = array_grow(h->cas, &h->cap, h->ncas + 1, sizeof(*v));
		if (v == NULL) {
			set_problem(h, "%s: out of memory", h->tree);
			return;
		}
		h->cas = v;
		if (scan_issuer(h, de->d_name, &h->cas[h->ncas]) == 0)
			h->ncas++;
	}
	if (errno != 0)
		set_problem(h, "%s: %s", h->tree, strerror(errno));
}

static void scan(struct health *h, int64_t now, const struct file_sig *sig)
{
	struct tree_marker marker;
	struct err e;
	DIR *d;
	int r;

	h->scanned = 1;
	h->scanned_at = now;
	h->marker_sig = *sig;
	h->problem[0] = '\0';
	h->ncas = 0;
	h->generation = 0;
	h->published = 0;
	if ((d = opendir(h->tree)) == NULL) {
		set_problem(h, "%s: %s", h->tree,
		    errno == ENOENT ? "the tree is missing" : strerror(errno));
		return;
	}
	r = tree_marker_read(h->tree, &marker, &e);
	if (r == 0) {
		h->generation = marker.generation;
		h->published = marker.published;
	} else if (r == 1) {
		set_problem(h, "%s: no generation marker: nothing "
		    "published yet", h->tree);
	} else {
		set_problem(h, "%s", e.msg);
	}
	scan_issuers(h, d);
	closedir(d);
}

/* Reads the tree again when its marker changed or the last read is old. */
static void refresh_locked(struct health *h, int64_t now)
{
	char path[TREE_PATH_MAX];
	struct file_sig sig;

	if (h->tree == NULL)
		return;
	if (tree_path(path, sizeof(path), h->tree, NULL, -1, TREE_MARKER) < 0) {
		set_problem(h, "%s: path too long", h->tree);
		return;
	}
	file_sig_get(path, 1, &sig);
	if (h->scanned && file_sig_eq(&sig, &h->marker_sig) &&
	    now - h->scanned_at < HEALTH_RESCAN && now >= h->scanned_at)
		return;
	scan(h, now, &sig);
}

/* ---- the verdict ---- */

void health_json_escape(struct metrics_text *t, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		char u[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char)*p };
			metrics_text_add(t, esc, 2);
		} else if (*p < 0x20 || *p >= 0x7f) {
			/* Bytes, not characters: what is not ASCII is shown, never
			 * passed on as (possibly invalid) UTF-8. */
			metrics_text_add(t, u, sizeof(u));
		} else {
			metrics_text_add(t, (const char *)p, 1);
		}
	}
}

struct verdict {
	struct metrics_text *json;	/* NULL: count only */
	int failed;
};

/* One reason: check, then optional "ca", then a detail. */
static void reason(struct verdict *v, const char *check, const char *ca, const char *detail)
{
	struct metrics_text *t = v->json;

	if (t != NULL) {
		metrics_text_str(t, v->failed ? ",{\"check\":\"" :
		    "{\"status\":\"unhealthy\",\"reasons\":[{\"check\":\"");
		metrics_text_str(t, check);
		if (ca != NULL) {
			metrics_text_str(t, "\",\"ca\":\"");
			health_json_escape(t, ca);
		}
		metrics_text_str(t, "\",\"detail\":\"");
		health_json_escape(t, detail);
		metrics_text_str(t, "\"}");
	}
	v->failed++;
}

static void check_ca(const struct health *h, const struct health_ca *ca, int64_t now,
    struct verdict *v)
{
	char when[TIMEFMT_ISO_LEN + 1], detail[HEALTH_DETAIL_MAX];

	if (ca->broken) {
		reason(v, "issuer", ca->name, ca->why);
		return;
	}
	if (h->o.stale_share > 0 && ca->share_at != 0 && now >= ca->share_at) {
		timefmt_iso(when, sizeof(when), ca->oldest_this_update);
		snprintf(detail, sizeof(detail), "responses past %lld%% of their validity "
		    "(oldest thisUpdate %s)", (long long)h->o.stale_share, when);
		reason(v, "validity_share", ca->name, detail);
	}
	if (h->o.stale_warning > 0 && ca->soonest_next_update != 0 &&
	    now >= ca->soonest_next_update - h->o.stale_warning) {
		timefmt_iso(when, sizeof(when), ca->soonest_next_update);
		snprintf(detail, sizeof(detail), "a response %s its nextUpdate %s",
		    now >= ca->soonest_next_update ? "is past" : "is close to", when);
		reason(v, "stale_warning", ca->name, detail);
	}
}

static void check_locked(struct health *h, int64_t now, const struct health_workers *w,
    struct verdict *v)
{
	char detail[HEALTH_DETAIL_MAX];

	if (h->tree != NULL) {
		if (h->problem[0] != '\0')
			reason(v, "tree", NULL, h->problem);
		for (size_t i = 0; i < h->ncas; i++)
			check_ca(h, &h->cas[i], now, v);
		if (h->o.max_generation_age > 0 && h->published != 0 &&
		    now - h->published > h->o.max_generation_age) {
			snprintf(detail, sizeof(detail), "generation %llu was published %lld s ago, "
			    "more than max_generation_age (%lld s)",
			    (unsigned long long)h->generation, (long long)(now - h->published),
			    (long long)h->o.max_generation_age);
			reason(v, "generation_age", NULL, detail);
		}
	}
	/* The worker asking is busy too: with every one busy, a new client
	 * waits. One worker alone is always busy answering, so not then. */
	if (w != NULL && w->threads > 1 && w->busy >= w->threads) {
		snprintf(detail, sizeof(detail), "all %lld workers are busy",
		    (long long)w->threads);
		reason(v, "workers", NULL, detail);
	}
}

int health_check(struct health *h, int64_t now, const struct health_workers *w,
    struct metrics_text *json)
{
	struct verdict v = { json, 0 };

	pthread_mutex_lock(&h->lock);
	refresh_locked(h, now);
	check_locked(h, now, w, &v);
	pthread_mutex_unlock(&h->lock);
	if (v.failed == 0)
		return 200;
	metrics_text_str(json, "]}\n");
	return 503;
}

/* ---- gauges ---- */

static void render_ca_gauge(struct metrics_text *t, const struct health *h,
    const char *name, const char *help, size_t offset)
{
	const char *labels[] = { "ca", NULL, "issuer", NULL, NULL };

	metrics_text_family(t, name, "gauge", help);
	for (size_t i = 0; i < h->ncas; i++) {
		int64_t v = *(const int64_t *)((const char *)&h->cas[i] + offset);
		if (v == 0)
			continue;
		labels[1] = h->cas[i].name;
		labels[3] = h->cas[i].dir;
		metrics_text_i64(t, name, labels, v);
	}
}

static void render_tree(struct metrics_text *t, const struct health *h, int64_t now)
{
	const char *labels[] = { "ca", NULL, "issuer", NULL, NULL };

	metrics_text_family(t, "ocsp_lookupd_tree_ok", "gauge", "1 when the tree and its "
	    "generation marker can be read.");
	metrics_text_u64(t, "ocsp_lookupd_tree_ok", NULL, h->problem[0] == '\0');
	metrics_text_family(t, "ocsp_lookupd_tree_generation", "gauge",
	    "Generation of the tree served (its root marker).");
	metrics_text_u64(t, "ocsp_lookupd_tree_generation", NULL, h->generation);
	if (h->published != 0) {
		metrics_text_family(t, "ocsp_lookupd_tree_published_timestamp_seconds", "gauge",
		    "When the generation served was published.");
		metrics_text_i64(t, "ocsp_lookupd_tree_published_timestamp_seconds", NULL,
		    h->published);
		metrics_text_family(t, "ocsp_lookupd_tree_age_seconds", "gauge",
		    "Seconds since the generation served was published.");
		metrics_text_i64(t, "ocsp_lookupd_tree_age_seconds", NULL, now - h->published);
	}
	metrics_text_family(t, "ocsp_lookupd_ca_metadata_ok", "gauge",
	    "1 when the issuer's issuer.meta and status.idx can be read.");
	for (size_t i = 0; i < h->ncas; i++) {
		labels[1] = h->cas[i].name;
		labels[3] = h->cas[i].dir;
		metrics_text_u64(t, "ocsp_lookupd_ca_metadata_ok", labels, !h->cas[i].broken);
	}
	metrics_text_family(t, "ocsp_lookupd_ca_responses", "gauge",
	    "Pre-signed responses in the issuer's status index.");
	for (size_t i = 0; i < h->ncas; i++) {
		labels[1] = h->cas[i].name;
		labels[3] = h->cas[i].dir;
		metrics_text_u64(t, "ocsp_lookupd_ca_responses", labels, h->cas[i].count);
	}
	render_ca_gauge(t, h, "ocsp_lookupd_ca_oldest_this_update_timestamp_seconds",
	    "Oldest thisUpdate among the responses served for the CA.",
	    offsetof(struct health_ca, oldest_this_update));
	render_ca_gauge(t, h, "ocsp_lookupd_ca_soonest_next_update_timestamp_seconds",
	    "Soonest nextUpdate among the responses served for the CA.",
	    offsetof(struct health_ca, soonest_next_update));
	render_ca_gauge(t, h, "ocsp_lookupd_ca_signer_not_after_timestamp_seconds",
	    "notAfter of the certificate that signs the CA's responses.",
	    offsetof(struct health_ca, signer_not_after));
}

void health_render(struct health *h, int64_t now, const struct health_workers *w,
    struct metrics_text *t)
{
	struct verdict v = { NULL, 0 };

	pthread_mutex_lock(&h->lock);
	refresh_locked(h, now);
	if (h->tree != NULL)
		render_tree(t, h, now);
	check_locked(h, now, w, &v);
	pthread_mutex_unlock(&h->lock);
	metrics_text_family(t, "ocsp_lookupd_healthy", "gauge",
	    "1 when /healthz answers 200: every readiness check passes.");
	metrics_text_u64(t, "ocsp_lookupd_healthy", NULL, v.failed == 0);
	if (w != NULL) {
		metrics_text_family(t, "ocsp_lookupd_workers", "gauge", "Worker threads.");
		metrics_text_i64(t, "ocsp_lookupd_workers", NULL, w->threads);
		metrics_text_family(t, "ocsp_lookupd_workers_busy", "gauge",
		    "Workers holding a connection (the one answering this included).");
		metrics_text_i64(t, "ocsp_lookupd_workers_busy", NULL, w->busy);
	}
}
