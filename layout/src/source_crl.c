/* A CRL as a status source: fetched or read (crl.c, fetch.c, zfile.c),
 * verified against the CA before any entry is used, a delta applied on
 * top, and joined with the issued-serial list (issued.c) that tells good
 * from never issued. The publisher reads it once a run; lookupd keeps the
 * last good one in memory, asks for it again as its nextUpdate nears (a
 * conditional GET for a URL, the file's identity for a file), and stops
 * answering from it once it is past its nextUpdate (and crl_grace). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>

#include "ocsp/crl.h"
#include "ocsp/fetch.h"
#include "ocsp/fsutil.h"
#include "ocsp/issued.h"
#include "ocsp/zfile.h"
#include "source_int.h"

/* lookupd looks at a CRL URL again this often (a conditional GET, cheap),
 * and once its nextUpdate has come; after a failure, again after
 * CRL_RETRY, so a server that is down costs one log line a minute. */
#define CRL_RECHECK 300
#define CRL_RETRY 60

/* Where one CRL comes from, and what was last seen of it. */
struct crl_place {
	char *where;		/* a path, or a URL */
	int is_url;
	struct file_sig sig;	/* a file's, when last read */
	char *etag, *last_modified;	/* a URL's validators (lookupd, in memory) */
};

/* What lookups use: swapped whole under the lock. */
struct crl_data {
	struct status_list revoked;	/* sorted */
	struct issued *issued;		/* NULL: no list */
	int64_t valid_until;		/* nextUpdate + grace, of the CRL and its delta */
	int loaded;
};

struct crl_source {
	struct crl_place base, delta;
	int has_delta;
	X509 *issuer;			/* the CA's, not owned */
	X509 *signer;			/* crl_signer, owned; NULL: the CA signs */
	char *issued_spec;		/* "dir:..." or "file:..."; NULL: none */
	int unlisted_good;
	int64_t grace;
	struct fetch_opts fo;
	char *cache_dir;
	struct source_warn warn;
	const char *name;		/* the source's, for messages */
	pthread_rwlock_t lock;
	struct crl_data cur;
	int64_t next_check;		/* lookupd: when to look for a new CRL */
	struct crl_id stale_delta;	/* the superseded delta last warned about */
	int told_stale_delta;
};

static void warnf(const struct crl_source *cs, const char *msg)
{
	if (cs->warn.fn != NULL)
		cs->warn.fn(cs->warn.arg, msg);
}

static void data_fini(struct crl_data *d)
{
	status_list_fini(&d->revoked);
	issued_free(d->issued);
	memset(d, 0, sizeof(*d));
}

static int is_url(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* The bytes of a CRL, all of them when force. changed is 0 when it is the
 * one read last time (a 304, or a file with the same identity), and then
 * nothing is in *buf. */
static int place_read(struct crl_source *cs, struct crl_place *p, int force,
    uint8_t **buf, size_t *len, int *changed, struct err *e)
{
	struct fetch_result fr;
	struct fetch_opts o = cs->fo;
	struct file_sig sig;
	int r;

	*buf = NULL;
	*changed = 1;
	if (!p->is_url) {
		file_sig_get(p->where, 1, &sig);
		if (!force && file_sig_eq(&sig, &p->sig)) {
			*changed = 0;
			return 0;
		}
		/* Seen, whether it can be read or not (or is missing): a file
		 * that stays bad is reported once, not at every reload. */
		p->sig = sig;
		return zfile_read_all(p->where, (size_t)cs->fo.max_bytes, buf, len, e);
	}
	o.url = p->where;
	o.etag = force ? NULL : p->etag;
	o.last_modified = force ? NULL : p->last_modified;
	fetch_result_init(&fr);
	/* The cache in cache_dir carries validators from one run to the next
	 * (the publisher, lookupd's first load); after that lookupd keeps its
	 * own, so that a 304 costs nothing. */
	r = cs->cache_dir != NULL && force ? fetch_get_cached(cs->cache_dir, &o, &fr, e) :
	    fetch_get(&o, &fr, e);
	if (r < 0) {
		fetch_result_fini(&fr);
		return -1;
	}
	if (r == FETCH_NOT_MODIFIED && fr.body == NULL) {
		*changed = 0;
		fetch_result_fini(&fr);
		return 0;
	}
	free(p->etag);
	free(p->last_modified);
	p->etag = fr.etag;
	p->last_modified = fr.last_modified;
	fr.etag = fr.last_modified = NULL;
	*buf = fr.body;
	*len = fr.len;
	fr.body = NULL;
	fetch_result_fini(&fr);
	return 0;
}

/* A CRL that may be used now: parsed, issued for this CA, not past its
 * nextUpdate (and the grace), and either complete or, for want, a delta. */
static int crl_usable(struct crl_source *cs, const uint8_t *buf, size_t len,
    const char *where, int want_delta, int64_t now, struct crl **out, int64_t *until,
    struct err *e)
{
	struct crl *c = NULL;
	struct serial base;
	int64_t nu;

	*out = NULL;
	if (crl_parse(buf, len, where, &c, e) != 0 || crl_verify(c, cs->issuer, cs->signer, e) != 0)
		goto fail;
	if (crl_next_update(c, &nu, e) != 0)
		goto fail;
	if (now > nu + cs->grace) {
		err_set(e, "%s: past its nextUpdate (%lld s ago%s)", crl_name(c),
		    (long long)(now - nu), cs->grace ? ", beyond crl_grace" :
		    "; crl_grace allows some");
		goto fail;
	}
	if (want_delta && !crl_delta_base(c, &base)) {
		err_set(e, "%s: crl_delta is not a delta CRL (no deltaCRLIndicator)", crl_name(c));
		goto fail;
	}
	if (!want_delta && crl_check_complete(c, e) != 0)
		goto fail;
	*until = nu + cs->grace;
	*out = c;
	return 0;
fail:
	crl_free(c);
	return -1;
}

static void warn_scope(struct crl_source *cs, const struct crl *c)
{
	struct crl_scope sc;

	crl_scope(c, &sc);
	if (sc.only_user)
		warnf(cs, "the CRL covers end-entity certificates only "
		    "(onlyContainsUserCerts): a CA certificate this CA issued is not on it");
}

/* A CA that issues a new base CRL before the next delta leaves a delta
 * that says nothing the base does not (its cRLNumber is not above the
 * base's, RFC 5280 5.2.4): the base alone is the status, said once per
 * delta seen. A delta newer than the base goes on to crl_apply_delta,
 * which checks that it fits this base. */
static int delta_superseded(struct crl_source *cs, const struct crl *base,
    const struct crl *delta)
{
	struct serial nb, nd;
	char b[SERIAL_NAME_MAX + 1], d[SERIAL_NAME_MAX + 1], msg[256];
	struct crl_id id;

	if (crl_number(base, &nb) != 1 || crl_number(delta, &nd) != 1 ||
	    serial_cmp(&nd, &nb) > 0)
		return 0;
	crl_get_id(delta, &id);
	if (!cs->told_stale_delta || !crl_id_eq(&id, &cs->stale_delta)) {
		serial_name(&nb, b);
		serial_name(&nd, d);
		snprintf(msg, sizeof(msg), "%s: delta CRL number %s is not newer than its base's "
		    "(%s): the base alone is used", crl_name(delta), d, b);
		warnf(cs, msg);
		cs->stale_delta = id;
		cs->told_stale_delta = 1;
	}
	return 1;
}

/* The records of the base CRL, with its delta applied. */
static int build_revoked(struct crl_source *cs, const uint8_t *bbuf, size_t blen,
    const uint8_t *dbuf, size_t dlen, int64_t now, struct crl_data *d, struct err *e)
{
	struct crl *base = NULL, *delta = NULL;
	int64_t until_b, until_d;
	const X509_NAME *ca = X509_get_subject_name(cs->issuer);
	int r = -1;

	if (crl_usable(cs, bbuf, blen, cs->base.where, 0, now, &base, &until_b, e) != 0 ||
	    crl_records(base, ca, &d->revoked, e) != 0)
		goto out;
	warn_scope(cs, base);
	d->valid_until = until_b;
	if (dbuf != NULL) {
		if (crl_usable(cs, dbuf, dlen, cs->delta.where, 1, now, &delta, &until_d, e) != 0)
			goto out;
		if (delta_superseded(cs, base, delta)) {
			r = 0;
			goto out;
		}
		if (crl_apply_delta(&d->revoked, base, delta, ca, e) != 0)
			goto out;
		if (until_d < d->valid_until)
			d->valid_until = until_d;
	}
	r = 0;
out:
	crl_free(base);
	crl_free(delta);
	return r;
}

static void warn_issued(void *arg, const char *msg)
{
	warnf(arg, msg);
}

/* Reads what is needed into d: everything when force (the publisher, and
 * lookupd's first load), else only when something changed (returns 0 with
 * nothing in d when nothing did). Returns 1 when d was filled. */
static int load(struct crl_source *cs, int force, int64_t now, struct crl_data *d,
    struct err *e)
{
	uint8_t *bbuf = NULL, *dbuf = NULL;
	size_t blen = 0, dlen = 0;
	int bchg = 0, dchg = 0, ichg, r = -1;

	memset(d, 0, sizeof(*d));
	status_list_init(&d->revoked);
	if (place_read(cs, &cs->base, force, &bbuf, &blen, &bchg, e) != 0 ||
	    (cs->has_delta && place_read(cs, &cs->delta, force, &dbuf, &dlen, &dchg, e) != 0))
		goto out;
	ichg = cs->issued_spec != NULL && (force || cs->cur.issued == NULL ||
	    issued_changed(cs->cur.issued));
	if (!bchg && !dchg && !ichg) {
		r = 0;
		goto out;
	}
	/* One part changed: the others are read again too (a 304 gave no
	 * bytes), so what goes into service is checked as a whole. */
	if ((!bchg && place_read(cs, &cs->base, 1, &bbuf, &blen, &bchg, e) != 0) ||
	    (cs->has_delta && !dchg && place_read(cs, &cs->delta, 1, &dbuf, &dlen, &dchg, e) != 0))
		goto out;
	if (build_revoked(cs, bbuf, blen, dbuf, dlen, now, d, e) != 0)
		goto out;
	if (cs->issued_spec != NULL &&
	    issued_load(cs->issued_spec, cs->issuer, warn_issued, cs, &d->issued, e) != 0)
		goto out;
	d->loaded = 1;
	r = 1;
out:
	free(bbuf);
	free(dbuf);
	if (r != 1)
		data_fini(d);
	return r;
}

/* Revoked entries, and the issued serials that are not revoked as good
 * (with a listed serial's notAfter on its revoked record too). */
static int merge(const struct crl_data *d, struct status_list *out, struct err *e)
{
	const struct status_list *rv = &d->revoked;
	const struct status_list *is = d->issued ? issued_list(d->issued) : NULL;
	size_t i = 0, j = 0, ni = is ? is->n : 0;

	while (i < rv->n || j < ni) {
		int c = i == rv->n ? 1 : j == ni ? -1 : serial_cmp(&rv->v[i].serial, &is->v[j].serial);
		struct status_rec *r = status_list_push(out);
		if (r == NULL)
			return err_set(e, "out of memory");
		if (c <= 0) {
			*r = rv->v[i++];
			if (c == 0)
				r->not_after = is->v[j++].not_after;
		} else {
			*r = is->v[j++];
			r->status = CERT_GOOD;
			r->reason = REASON_NONE;
		}
	}
	return 0;
}

static int crl_read(void *impl, int64_t now, struct status_list *out, struct err *e)
{
	struct crl_source *cs = impl;
	struct crl_data d;
	int r;

	if (load(cs, 1, now, &d, e) < 0)
		return -1;
	r = merge(&d, out, e);
	cs->cur.valid_until = d.valid_until;
	data_fini(&d);
	return r;
}

static int64_t crl_valid_until(void *impl)
{
	struct crl_source *cs = impl;
	int64_t v;

	pthread_rwlock_rdlock(&cs->lock);
	v = cs->cur.valid_until;
	pthread_rwlock_unlock(&cs->lock);
	return v;
}

static enum source_find crl_lookup(void *impl, const struct serial *serial, int64_t now,
    struct status_rec *out, struct err *e)
{
	struct crl_source *cs = impl;
	const struct status_rec *r = NULL;
	enum source_find f = SOURCE_ABSENT;

	pthread_rwlock_rdlock(&cs->lock);
	if (!cs->cur.loaded || now > cs->cur.valid_until) {
		f = SOURCE_DOWN;
		err_set(e, cs->cur.loaded ? "the CRL in service is past its nextUpdate" :
		    "no CRL loaded yet");
	} else if ((r = status_list_find(&cs->cur.revoked, serial)) != NULL) {
		*out = *r;
		f = SOURCE_FOUND;
	} else if (cs->cur.issued != NULL && (r = issued_find(cs->cur.issued, serial)) != NULL) {
		*out = *r;
		out->status = CERT_GOOD;
		f = SOURCE_FOUND;
	} else if (cs->unlisted_good) {
		f = SOURCE_UNLISTED_GOOD;
	}
	pthread_rwlock_unlock(&cs->lock);
	return f;
}

static int is_url_source(const struct crl_source *cs)
{
	return cs->base.is_url || (cs->has_delta && cs->delta.is_url);
}

/* When lookupd looks again: every CRL_RECHECK for a URL, at every reload
 * for a file (a stat), and as soon as the data in service expires. */

static int64_t next_check(const struct crl_source *cs, int64_t now, int64_t until)
{
	int64_t t = is_url_source(cs) ? now + CRL_RECHECK : now;

	return t < until ? t : until;
}

static int crl_refresh(void *impl, int64_t now, struct err *e)
{
	struct crl_source *cs = impl;
	struct crl_data d, old;
	int r;

	if (cs->cur.loaded && now < cs->next_check)
		return 0;
	if ((r = load(cs, !cs->cur.loaded, now, &d, e)) <= 0) {
		/* Files that failed are looked at again at the next reload like
		 * any (place_read keeps quiet until they change), so a CRL
		 * fixed a moment after a bad one is in service as soon; URLs,
		 * and a first load that failed (read in full every time), wait
		 * CRL_RETRY. */
		cs->next_check = r < 0 && (!cs->cur.loaded || is_url_source(cs)) ?
		    now + CRL_RETRY : next_check(cs, now, cs->cur.valid_until);
		return r;
	}
	pthread_rwlock_wrlock(&cs->lock);
	old = cs->cur;
	cs->cur = d;
	pthread_rwlock_unlock(&cs->lock);
	data_fini(&old);
	cs->next_check = next_check(cs, now, d.valid_until);
	return 1;
}

static void place_fini(struct crl_place *p)
{
	free(p->where);
	free(p->etag);
	free(p->last_modified);
}

static void crl_close(void *impl)
{
	struct crl_source *cs = impl;

	if (cs == NULL)
		return;
	data_fini(&cs->cur);
	place_fini(&cs->base);
	place_fini(&cs->delta);
	X509_free(cs->signer);
	free(cs->issued_spec);
	free(cs->cache_dir);
	pthread_rwlock_destroy(&cs->lock);
	free(cs);
}

static const struct source_ops crl_ops = {
	.read = crl_read,
	.lookup = crl_lookup,
	.refresh = crl_refresh,
	.valid_until = crl_valid_until,
	.close = crl_close,
};

static int place_init(struct crl_place *p, const char *where, size_t n, struct err *e)
{
	if ((p->where = strndup(where, n)) == NULL)
		return err_set(e, "out of memory");
	p->is_url = is_url(p->where);
	p->sig.exists = -1;
	return 0;
}

/* issued = dir:... or file:...; on the command line (--issued DIR|FILE) a
 * bare path, which is a directory or a file. */
static int issued_spec(const char *v, char **out, struct err *e)
{
	struct stat st;
	size_t n;

	if (strncmp(v, "dir:", 4) == 0 || strncmp(v, "file:", 5) == 0) {
		*out = strdup(v);
	} else {
		n = strlen(v) + 6;
		if ((*out = malloc(n)) != NULL)
			snprintf(*out, n, "%s:%s", stat(v, &st) == 0 && S_ISDIR(st.st_mode) ?
			    "dir" : "file", v);
	}
	return *out ? 0 : err_set(e, "out of memory");
}

static int load_signer(const char *path, X509 **out, struct err *e)
{
	FILE *f = fopen(path, "r");

	*out = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f != NULL)
		fclose(f);
	return *out ? 0 : err_ssl(e, "crl_signer %s: cannot read a PEM certificate", path);
}

int source_crl_open(const struct source_conf *c, const struct source_spec *spec,
    struct source *s, struct err *e)
{
	struct crl_source *cs = calloc(1, sizeof(*cs));

	if (cs == NULL)
		return err_set(e, "out of memory");
	pthread_rwlock_init(&cs->lock, NULL);
	status_list_init(&cs->cur.revoked);
	cs->issuer = c->issuer;
	cs->unlisted_good = c->unlisted_good && c->issued == NULL;
	cs->grace = c->crl_grace;
	cs->warn = c->warn;
	cs->fo.connect_timeout = c->fetch_connect_timeout;
	cs->fo.timeout = c->fetch_timeout;
	cs->fo.max_bytes = c->fetch_max_bytes > 0 ? (size_t)c->fetch_max_bytes : CRL_MAX_BYTES;
	if (cs->fo.max_bytes > CRL_MAX_BYTES)
		cs->fo.max_bytes = CRL_MAX_BYTES;
	if (place_init(&cs->base, spec->where, spec->where_len, e) != 0 ||
	    (c->crl_delta && place_init(&cs->delta, c->crl_delta, strlen(c->crl_delta), e) != 0) ||
	    (c->issued && issued_spec(c->issued, &cs->issued_spec, e) != 0) ||
	    (c->crl_signer && load_signer(c->crl_signer, &cs->signer, e) != 0) ||
	    (c->cache_dir && (cs->cache_dir = strdup(c->cache_dir)) == NULL &&
	    err_set(e, "out of memory"))) {
		crl_close(cs);
		return -1;
	}
	cs->has_delta = c->crl_delta != NULL;
	if (cs->unlisted_good)
		warnf(cs, "unlisted = good: every serial not on the CRL is answered good, also "
		    "serials never issued (the CA/Browser Forum Baseline Requirements forbid "
		    "that; give 'issued' instead)");
	s->ops = &crl_ops;
	s->impl = cs;
	return 0;
}
