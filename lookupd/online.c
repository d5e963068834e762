#include "online.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509_vfy.h>

#include "ocsp/array.h"
#include "ocsp/ca.h"
#include "ocsp/log.h"
#include "ocsp/response.h"
#include "ocsp/signer.h"
#include "ocsp/source.h"
#include "ocsp/status.h"
#include "ocsp/status_view.h"
#include "ocsp/tree.h"

struct online {
	struct signer_set *set;
	struct online_ca *cas;
	size_t n;
};

static void warn_ca(void *arg, const char *msg)
{
	log_warn("ca %s: %s", (const char *)arg, msg);
}

static void warn_plain(void *arg, const char *msg)
{
	log_warn("%s", msg);
}

static int load_requestors(struct online_ca *oc, struct err *e)
{
	const char *path = oc->conf->requestors;

	if (path == NULL)
		return 0;
	oc->requestors = X509_STORE_new();
	if (oc->requestors == NULL || X509_STORE_load_file(oc->requestors, path) != 1)
		return err_ssl(e, "%s: cannot load the requestor certificates", path);
	return 0;
}

/* Once as a live source goes down, once as it comes back. */
static void on_outage(void *arg, int down, const char *msg)
{
	if (down)
		log_error("ca %s: %s; answering from the tree's pre-signed responses (tryLater "
		    "where there is none) while it is down", (const char *)arg, msg);
	else
		log_info("ca %s: %s answers again", (const char *)arg, msg);
}

static int load_view(struct online_ca *oc, const struct config *c, const char *tree,
    int strict, struct err *e)
{
	char path[TREE_PATH_MAX];
	struct status_view_opts vo = { .strict = strict, .outage = on_outage,
		.arg = (void *)oc->conf->name };
	struct source_warn sw = { warn_ca, (void *)oc->conf->name };
	struct source_conf sc;

	if (tree != NULL) {
		if (tree_path(path, sizeof(path), tree, oc->ca->dir, HASH_SHA1,
		    TREE_STATUS_INDEX) < 0)
			return err_set(e, "tree path too long");
		vo.status_index = path;
	}
	if (oc->conf->source != NULL) {
		source_conf_of_ca(&sc, oc->conf, c->cache_dir, oc->ca->issuer, &sw);
		sc.outages_told = 1;	/* on_outage, with what lookupd does meanwhile */
		/* A database down at start: the tree serves; --check says so. */
		sc.open_down = !strict;
		if (source_open(&sc, &vo.source, e) != 0)
			return -1;
	}
	if (vo.status_index == NULL && vo.source == NULL)
		return 0;
	return status_view_new(&vo, &oc->view, e);
}

static int load_ca(struct online_ca *oc, const struct config *c, const struct ca_conf *conf,
    const struct signer_set *set, const char *tree, int strict, struct err *e)
{
	struct ca_warn w = { warn_ca, (void *)conf->name };
	int r;

	oc->conf = conf;
	r = ca_load_conf(conf, set, (int64_t)time(NULL), &w, &oc->ca, e);
	if (r < 0 || (r > 0 && strict))
		return -1;
	if (r > 0)
		log_error("ca %s: %s; answering it from the tree only", conf->name, e->msg);
	if (load_requestors(oc, e) != 0 || load_view(oc, c, tree, strict, e) != 0)
		return -1;
	return 0;
}

static void describe(const struct online_ca *oc)
{
	char buf[SOURCE_SPEC_MAX + 64];
	const char *status = oc->view ? status_view_source(oc->view, buf, sizeof(buf)) : "none";
	const struct ca_signer *cs = ca_signer_now(oc->ca);

	if (cs != NULL)
		log_info("ca %s (%s): key online (%s, %s, %s); status from %s", oc->conf->name,
		    oc->ca->dir, signer_source(cs->signer), signer_key_desc(cs->signer),
		    cs->subject, status);
	else
		log_info("ca %s (%s): no key online: nonce requests get the pre-signed response, "
		    "and what the tree cannot answer gets unauthorized", oc->conf->name,
		    oc->ca->dir);
	if (cs != NULL && oc->view == NULL)
		log_warn("ca %s: a key but no status (no tree, no 'index'): online answers "
		    "are tryLater", oc->conf->name);
}

int online_new(const struct config *c, const char *tree, int strict, struct online **out,
    struct err *e)
{
	struct online *o = calloc(1, sizeof(*o));

	*out = NULL;
	if (o == NULL || (o->cas = calloc(c->ncas + 1, sizeof(*o->cas))) == NULL) {
		free(o);
		return err_set(e, "out of memory");
	}
	if (signer_set_load(c, warn_plain, NULL, &o->set, e) != 0) {
		online_free(o);
		return -1;
	}
	for (size_t i = 0; i < c->ncas; i++, o->n++) {
		o->cas[i].index = i;
		if (load_ca(&o->cas[i], c, &c->cas[i], o->set, tree, strict, e) != 0) {
			err_prefix(e, "ca %s", c->cas[i].name);
			o->n++;
			online_free(o);
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(o->cas[j].ca->dir, o->cas[i].ca->dir) == 0) {
				err_set(e, "ca %s and ca %s have the same issuer key; configure it once",
				    c->cas[j].name, c->cas[i].name);
				o->n++;
				online_free(o);
				return -1;
			}
		describe(&o->cas[i]);
	}
	source_env_wipe(c);
	*out = o;
	return 0;
}

void online_free(struct online *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->n; i++) {
		ca_free(o->cas[i].ca);
		status_view_free(o->cas[i].view);
		X509_STORE_free(o->cas[i].requestors);
	}
	free(o->cas);
	signer_set_free(o->set);
	free(o);
}

const struct online_ca *online_find(const struct online *o, const struct req_certid *id)
{
	if (o == NULL || id->alg < 0)
		return NULL;
	for (size_t i = 0; i < o->n; i++) {
		const struct issuer_hash *h = &o->cas[i].ca->hash[id->alg];
		size_t hl = hash_len(id->alg);
		if (memcmp(h->key, id->key_hash, hl) == 0 && memcmp(h->name, id->name_hash, hl) == 0)
			return &o->cas[i];
	}
	return NULL;
}

/* The signer valid now with the newest notBefore signs: a rollover, or
 * the one in use expiring, is said once, when the choice changes. */
static void rechoose(struct online_ca *oc, int64_t now)
{
	struct ca_warn w = { warn_ca, (void *)oc->conf->name };
	const struct ca_signer *before = ca_signer_now(oc->ca), *after;
	struct err e;

	int r;

	if (oc->ca->ncand == 0)
		return;
	r = ca_choose(oc->ca, now, oc->conf->validity, oc->conf->signer_expiry_warning, NULL, &e);
	if (r == 0 || (r < 0 && before == NULL))
		return;
	atomic_fetch_add(&oc->signer_changes, 1);	/* cached answers are stale */
	after = ca_signer_now(oc->ca);
	if (after == NULL) {
		log_error("ca %s: %s; answering it from the tree only", oc->conf->name, e.msg);
		return;
	}
	/* Again, to say what was skipped and what expires soon. */
	ca_choose(oc->ca, now, oc->conf->validity, oc->conf->signer_expiry_warning, &w, &e);
	log_info("ca %s: now signing online with %s (%s)%s", oc->conf->name,
	    signer_source(after->signer), after->subject, before == NULL ? "" : ", a rollover");
}

uint64_t online_epoch(const struct online_ca *oc)
{
	uint64_t rollovers = atomic_load(&((struct online_ca *)oc)->signer_changes);

	return (oc->view ? status_view_epoch(oc->view) : 0) << 16 | (rollovers & 0xffff);
}

void online_refresh(struct online *o, int64_t now)
{
	struct err e;

	for (size_t i = 0; o != NULL && i < o->n; i++) {
		struct online_ca *oc = &o->cas[i];
		char buf[SOURCE_SPEC_MAX + 64];
		int r = oc->view ? status_view_reload(oc->view, now, &e) : 0;
		rechoose(oc, now);
		if (r < 0)
			log_error("ca %s: %s (the previous status stays in service)",
			    oc->conf->name, e.msg);
		else if (r > 0)
			log_info("ca %s: new status loaded from %s", oc->conf->name,
			    status_view_source(oc->view, buf, sizeof(buf)));
	}
}

void online_worker_fini(struct online_worker *w)
{
	for (size_t i = 0; i < w->nctx; i++)
		signer_ctx_free(w->ctx[i].ctx);
	free(w->ctx);
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

/* Contexts and buffer are made on a thread's first online answer: most
 * threads of a mostly pre-signed responder never need them. */
static struct signer_ctx *worker_ctx(struct online_worker *w, const struct online_ca *oc,
    const struct ca_signer *cs, struct err *e)
{
	struct worker_ctx *c;

	if (w->nctx <= oc->index) {
		size_t cap = w->nctx;
		struct worker_ctx *v = array_grow(w->ctx, &cap, oc->index + 1, sizeof(*v));
		if (v == NULL)
			return err_set(e, "out of memory"), NULL;
		memset(v + w->nctx, 0, (cap - w->nctx) * sizeof(*v));
		w->ctx = v;
		w->nctx = cap;
	}
	if (w->buf == NULL && (w->buf = malloc(RESPONSE_MAX)) == NULL)
		return err_set(e, "out of memory"), NULL;
	c = &w->ctx[oc->index];
	if (c->ctx != NULL && c->signer != cs->signer) {
		/* The CA rolled over to another signer. */
		signer_ctx_free(c->ctx);
		c->ctx = NULL;
	}
	if (c->ctx == NULL) {
		c->ctx = signer_ctx_new(cs->signer, e);
		c->signer = cs->signer;
	}
	return c->ctx;
}

/* The status of one CertID: its record, or the CA's policy for a serial
 * it never issued (RFC 6960 2.2: never "good"). */
static enum online_status status_of(const struct online_ca *oc, const struct req_certid *id,
    int64_t now, struct status_rec *st, int *extended_revoke)
{
	enum status_find f = STATUS_ABSENT;

	memset(st, 0, sizeof(*st));
	st->reason = REASON_NONE;
	/* A negative or over-long serial cannot be echoed as sent, and no
	 * conforming CA issues one. */
	if (!id->serial_ok)
		return ONLINE_UNAUTHORIZED;
	f = status_view_find(oc->view, &id->serial, now, st);
	if (f == STATUS_NO_DATA)
		return ONLINE_TRY_LATER;
	if (f == STATUS_FOUND)
		return ONLINE_SIGNED;
	switch (oc->conf->unknown) {
	case UNKNOWN_ANSWER_UNAUTHORIZED:
		return ONLINE_UNAUTHORIZED;
	case UNKNOWN_ANSWER_REVOKED:
		/* certificateHold at 1970-01-01 with id-pkix-ocsp-extended-revoke */
		st->status = CERT_REVOKED;
		st->reason = REASON_CERTIFICATE_HOLD;
		st->revoked_at = 0;
		*extended_revoke = 1;
		return ONLINE_SIGNED;
	default:
		st->status = CERT_UNKNOWN;
		return ONLINE_SIGNED;
	}
}

enum online_status online_sign(const struct online_ca *oc, const struct ocsp_request *req,
    int64_t now, struct online_worker *w, struct online_answer *out, struct err *e)
{
	struct status_rec st[REQUEST_MAX_CERTS];
	struct single_resp s[REQUEST_MAX_CERTS];
	struct response_opts o = { .produced_at = now };
	const struct ca_signer *cs;
	struct signer_ctx *ctx;
	enum online_status r;
	int64_t ttl;

	/* Read the epoch first: a reload or a rollover during the lookups
	 * below makes the answer look older than it is, never newer. */
	out->epoch = online_epoch(oc);
	cs = ca_signer_now(oc->ca);
	/* No status, or the signer went away since the caller looked. */
	if (oc->view == NULL || cs == NULL)
		return ONLINE_TRY_LATER;
	out->this_update = out->next_update = 0;
	for (size_t i = 0; i < req->n; i++) {
		const struct req_certid *id = &req->id[i];
		int64_t tu, nu;
		if ((r = status_of(oc, id, now, &st[i], &o.extended_revoke)) != ONLINE_SIGNED)
			return r;
		response_times(oc->conf->validity, oc->conf->backdate, &st[i], now, &tu, &nu);
		if (oc->conf->crl_bounds_validity && nu > status_view_valid_until(oc->view))
			nu = status_view_valid_until(oc->view);
		if (nu <= tu)
			return ONLINE_TRY_LATER;
		s[i] = (struct single_resp){ id->alg, id->name_hash, id->key_hash, &id->serial,
		    &st[i], tu, nu };
		if (i == 0 || nu < out->next_update)
			out->next_update = nu;
		out->this_update = tu;
	}
	if (req->has_nonce) {
		o.nonce = req->nonce;
		o.nonce_len = req->nonce_len;
	}
	/* Signed again at the refresh point, and never served past its
	 * nextUpdate, which a certificate's expiry may have brought forward. */
	out->refresh_at = out->this_update + oc->conf->refresh;
	if (out->refresh_at > out->next_update)
		out->refresh_at = out->next_update;
	/* A live source changes without a reload: no longer than its cache. */
	if (status_view_live(oc->view, &ttl) && ttl > 0 && out->refresh_at > now + ttl)
		out->refresh_at = now + ttl;
	if ((ctx = worker_ctx(w, oc, cs, e)) == NULL ||
	    response_build(cs, ctx, s, req->n, &o, w->buf, RESPONSE_MAX, &out->der,
	    &out->len, e) != 0)
		return ONLINE_ERROR;
	return ONLINE_SIGNED;
}
