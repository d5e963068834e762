/* Store mode: the S3 bucket or WebDAV origin the publisher uploads to
 * (upload.h), read as the tree it mirrors. Every certificate's object is
 * fetched by its tree name (signed with SigV4 on S3) and checked with its
 * headers; on S3 a listing of each issuer's prefix (ListObjectsV2) finds
 * the objects no certificate has. A WebDAV origin cannot be listed with
 * what nginx offers (PROPFIND is a separate module): there, strays are not
 * looked for. */
#include <stdlib.h>
#include <string.h>

#include "ocsp/tree.h"
#include "ocsp/upload.h"

#include "audit.h"

struct job {
	uint32_t ca;
	uint8_t alg;
	size_t rec;
};

struct worker {
	void *curl;
	struct audit_reply reply;
};

struct store_audit {
	struct audit_run *r;
	struct upload_target t;
	struct audit_s3_auth auth;
	const struct audit_s3_auth *use_auth;	/* NULL for WebDAV */
	struct job *jobs;
	size_t njobs;
	struct worker *w;
};

static void tell(void *arg, enum audit_kind k, const char *what)
{
	const struct audit_where *w = arg;

	audit_out_finding(w->r->out, w->a->name, w->serial, w->what, k, what);
}

static void store_job(void *arg, unsigned worker, size_t i)
{
	struct store_audit *s = arg;
	struct worker *wk = &s->w[worker];
	const struct job *j = &s->jobs[i];
	struct audit_ca *a = &s->r->cas[j->ca];
	const struct status_rec *rec = &a->recs.v[j->rec];
	struct audit_expect x = { (enum hash_alg)j->alg, &rec->serial, rec };
	char name[TREE_REL_MAX + 1], url[UPLOAD_URL_MAX + TREE_REL_MAX + 8];
	struct audit_where w = { s->r, a, &rec->serial, url };
	struct audit_sink sink = { tell, &w };
	struct audit_seen seen;
	struct err e;
	int n;

	if (tree_response_path(name, sizeof(name), NULL, a->ca->dir, j->alg, &rec->serial) < 0 ||
	    snprintf(url, sizeof(url), "%s%s", s->t.base, name) >= (int)sizeof(url)) {
		audit_out_finding(s->r->out, a->name, &rec->serial, s->t.shown, AUDIT_UNCHECKED,
		    "no object name for this serial");
		audit_out_checked(s->r->out, 0);
		return;
	}
	if (audit_fetch(&wk->curl, url, NULL, 0, s->use_auth, s->r->timeout, &wk->reply,
	    &e) != 0) {
		audit_out_finding(s->r->out, a->name, &rec->serial, url, AUDIT_UNCHECKED, e.msg);
		audit_out_checked(s->r->out, 0);
		return;
	}
	if (wk->reply.status == 404) {
		audit_out_finding(s->r->out, a->name, &rec->serial, url, AUDIT_MISSING,
		    "no object for a certificate of the source");
		audit_out_checked(s->r->out, 0);
		return;
	}
	n = audit_http_head(&w, &wk->reply);
	if (wk->reply.status == 200) {
		n += audit_check(a, &s->r->policy, &x, wk->reply.body, wk->reply.len, &seen, &sink);
		n += audit_http_caching(&w, &wk->reply, &seen, &s->r->policy);
	}
	audit_out_checked(s->r->out, n == 0);
}

/* ---- strays, from a listing (S3) ---- */

struct listing {
	struct store_audit *s;
	const struct audit_ca *a;
	size_t skip;			/* the prefix's length: keys start with it */
};

/* A key below "<prefix><issuer>/": issuer.meta, SERIAL or HASH/SERIAL. */
static int list_item(void *arg, const struct upload_list_item *it, struct err *e)
{
	struct listing *l = arg;
	const char *rest = it->key + l->skip, *slash;
	char url[UPLOAD_URL_MAX + UPLOAD_S3_KEY_MAX + 2];
	struct serial sn;
	int alg = HASH_SHA1;

	if (it->key_len < l->skip || strcmp(rest, TREE_ISSUER_META) == 0)
		return 0;
	if ((slash = strchr(rest, '/')) != NULL) {
		char h[8];
		size_t n = (size_t)(slash - rest);
		if (n < sizeof(h)) {
			memcpy(h, rest, n);
			h[n] = '\0';
			alg = hash_from_name(h);
		} else {
			alg = -1;
		}
		rest = slash + 1;
	}
	/* Keys start with the target's prefix, which its base URL ends in. */
	snprintf(url, sizeof(url), "%s%s", l->s->t.base, it->key + strlen(l->s->t.prefix));
	if (alg <= HASH_SHA1 && slash != NULL)
		alg = -1;
	if (alg < 0 || !serial_name_valid(rest) ||
	    serial_from_hex(&sn, rest, strlen(rest), e) != 0) {
		audit_out_finding(l->s->r->out, l->a->name, NULL, url, AUDIT_STRAY,
		    "not an object name of the tree");
		return 0;
	}
	if (status_list_find(&l->a->recs, &sn) == NULL)
		audit_out_finding(l->s->r->out, l->a->name, &sn, url, AUDIT_STRAY,
		    "an object for a serial the source does not have");
	return 0;
}

/* Lists "<prefix><issuer>/" page by page. */
static int list_ca(struct store_audit *s, const struct audit_ca *a, struct audit_reply *rep,
    struct err *e)
{
	static const char *const names[] = { "list-type", "prefix", "continuation-token" };
	char prefix[UPLOAD_URL_MAX + TREE_ISSUER_DIR_LEN + 2], query[UPLOAD_URL_MAX * 4];
	char url[sizeof(s->t.bucket_url) + sizeof(query) + 2];
	struct listing l = { s, a, 0 };
	struct upload_list_page pg;
	void *curl = NULL;
	int ret = -1;

	snprintf(prefix, sizeof(prefix), "%s%s/", s->t.prefix, a->ca->dir);
	l.skip = strlen(prefix);
	pg.token[0] = '\0';
	for (unsigned page = 0; page < UPLOAD_LIST_PAGES_MAX; page++) {
		const char *values[] = { "2", prefix, pg.token };
		if (upload_s3_query(names, values, pg.token[0] ? 3 : 2, query, sizeof(query)) < 0 ||
		    snprintf(url, sizeof(url), "%s?%s", s->t.bucket_url, query) >= (int)sizeof(url)) {
			err_set(e, "listing: the query does not fit");
			goto out;
		}
		if (audit_fetch(&curl, url, NULL, 0, s->use_auth, s->r->timeout, rep, e) != 0)
			goto out;
		if (rep->status != 200) {
			err_set(e, "listing %s: HTTP status %ld", prefix, rep->status);
			goto out;
		}
		if (upload_s3_list_parse((const char *)rep->body, rep->len, &pg, list_item, &l, e) != 0)
			goto out;
		if (!pg.truncated) {
			ret = 0;
			goto out;
		}
	}
	err_set(e, "listing %s: more than %d pages", prefix, UPLOAD_LIST_PAGES_MAX);
out:
	audit_fetch_free(curl);
	return ret;
}

static void find_strays(struct store_audit *s)
{
	struct audit_reply rep;
	struct err e;

	memset(&rep, 0, sizeof(rep));
	rep.cap = UPLOAD_LIST_BODY_MAX;
	if ((rep.body = malloc(rep.cap)) == NULL)
		return;
	for (size_t c = 0; c < s->r->ncas; c++)
		if (s->r->cas[c].loaded && list_ca(s, &s->r->cas[c], &rep, &e) != 0)
			audit_out_finding(s->r->out, s->r->cas[c].name, NULL, s->t.shown,
			    AUDIT_UNCHECKED, e.msg);
	free(rep.body);
}

/* ---- the run ---- */

static int auth_of(struct store_audit *s, struct err *e)
{
	int n;

	if (s->t.kind != UPLOAD_S3)
		return 0;
	n = snprintf(s->auth.sigv4, sizeof(s->auth.sigv4), "aws:amz:%s:s3", s->t.region);
	if (n < 0 || (size_t)n >= sizeof(s->auth.sigv4))
		return err_set(e, "S3 region too long");
	n = snprintf(s->auth.userpwd, sizeof(s->auth.userpwd), "%s:%s", s->t.key_id,
	    s->t.secret);
	if (n < 0 || (size_t)n >= sizeof(s->auth.userpwd))
		return err_set(e, "S3 credentials too long");
	if (s->t.token[0]) {
		n = snprintf(s->auth.token_header, sizeof(s->auth.token_header),
		    "x-amz-security-token: %s", s->t.token);
		if (n < 0 || (size_t)n >= sizeof(s->auth.token_header))
			return err_set(e, "S3 session token too long");
	}
	s->use_auth = &s->auth;
	return 0;
}

static int plan(struct store_audit *s, struct err *e)
{
	size_t n = 0;

	for (size_t c = 0; c < s->r->ncas; c++)
		for (int alg = 0; alg < HASH_COUNT; alg++)
			if (s->r->cas[c].algs & (1u << alg))
				n += s->r->cas[c].recs.n;
	s->jobs = calloc(n ? n : 1, sizeof(*s->jobs));
	if (s->jobs == NULL)
		return err_set(e, "out of memory");
	for (size_t c = 0; c < s->r->ncas; c++)
		for (int alg = 0; alg < HASH_COUNT; alg++)
			if (s->r->cas[c].algs & (1u << alg))
				for (size_t i = 0; i < s->r->cas[c].recs.n; i++)
					s->jobs[s->njobs++] = (struct job){ (uint32_t)c, (uint8_t)alg, i };
	return 0;
}

/* The marker is written last: without it, no upload has completed. */
static void check_marker(struct store_audit *s)
{
	char url[UPLOAD_URL_MAX + sizeof(TREE_MARKER) + 1];
	struct err e;

	snprintf(url, sizeof(url), "%s%s", s->t.base, TREE_MARKER);
	if (audit_fetch(&s->w[0].curl, url, NULL, 0, s->use_auth, s->r->timeout, &s->w[0].reply,
	    &e) != 0)
		audit_out_finding(s->r->out, NULL, NULL, url, AUDIT_UNCHECKED, e.msg);
	else if (s->w[0].reply.status != 200)
		audit_out_finding(s->r->out, NULL, NULL, url, AUDIT_MISSING,
		    "no generation marker: no upload has completed");
}

int audit_store(struct audit_run *r, const struct upload_opts *o, struct err *e)
{
	struct store_audit *s = calloc(1, sizeof(*s));
	int ret = -1;

	if (s == NULL)
		return err_set(e, "out of memory");
	s->r = r;
	if (upload_target_open(o, &s->t, e) != 0 || auth_of(s, e) != 0 || plan(s, e) != 0 ||
	    (s->w = calloc(r->threads, sizeof(*s->w))) == NULL)
		goto out;
	for (unsigned i = 0; i < r->threads; i++) {
		s->w[i].reply.cap = AUDIT_RESPONSE_MAX;
		if ((s->w[i].reply.body = malloc(AUDIT_RESPONSE_MAX)) == NULL) {
			err_set(e, "out of memory");
			goto out;
		}
	}
	check_marker(s);
	/* Even for a failed listing, every object is still checked. */
	if (audit_pool_run(s->njobs, r->threads, store_job, s, e) != 0)
		goto out;
	if (s->t.kind == UPLOAD_S3)
		find_strays(s);
	ret = 0;
out:
	for (unsigned i = 0; s->w && i < r->threads; i++) {
		audit_fetch_free(s->w[i].curl);
		free(s->w[i].reply.body);
	}
	free(s->w);
	free(s->jobs);
	audit_s3_auth_wipe(&s->auth);
	upload_target_fini(&s->t);
	free(s);
	return ret;
}
