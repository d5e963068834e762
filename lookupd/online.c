#include "online.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509_vfy.h>

#include "ocsp/array.h"
#include "ocsp/ca.h"
#include "ocsp/log.h"
#include "ocsp/response.h"
#include "ocsp/signer.h"
#include "ocsp/status.h"
#include "ocsp/status_view.h"
#include "ocsp/tree.h"

struct online {
	struct online_ca *cas;
	size_t n;
};

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

static int load_view(struct online_ca *oc, const char *tree, struct err *e)
{
	char path[TREE_PATH_MAX];
	struct status_view_opts vo = { NULL, oc->conf->index };

	if (tree != NULL) {
		if (tree_path(path, sizeof(path), tree, oc->ca->dir, HASH_SHA1,
		    TREE_STATUS_INDEX) < 0)
			return err_set(e, "tree path too long");
		vo.status_index = path;
	}
	if (vo.status_index == NULL && vo.index == NULL)
		return 0;
	return status_view_new(&vo, &oc->view, e);
}

static int load_ca(struct online_ca *oc, const struct ca_conf *conf, const char *tree,
    struct err *e)
{
	oc->conf = conf;
	if (ca_load_conf(conf, (int64_t)time(NULL), &oc->ca, e) != 0)
		return -1;
	if (oc->ca->warning[0] != '\0')
		log_warn("ca %s: %s", conf->name, oc->ca->warning);
	if (load_requestors(oc, e) != 0 || load_view(oc, tree, e) != 0)
		return -1;
	return 0;
}

static void describe(const struct online_ca *oc)
{
	const char *status = oc->view ? status_view_source(oc->view) : "none";

	if (oc->ca->signer != NULL)
		log_info("ca %s (%s): key online (%s, signer %s); status from %s", oc->conf->name,
		    oc->ca->dir, signer_key_desc(oc->ca->signer), oc->ca->signer_subject, status);
	else
		log_info("ca %s (%s): no key online: nonce requests get the pre-signed response, "
		    "and what the tree cannot answer gets unauthorized", oc->conf->name,
		    oc->ca->dir);
	if (oc->ca->signer != NULL && oc->view == NULL)
		log_warn("ca %s: a key but no status (no tree, no 'index'): online answers "
		    "are tryLater", oc->conf->name);
}

int online_new(const struct config *c, const char *tree, struct online **out,
    struct err *e)
{
	struct online *o = calloc(1, sizeof(*o));

	*out = NULL;
	if (o == NULL || (o->cas = calloc(c->ncas + 1, sizeof(*o->cas))) == NULL) {
		free(o);
		return err_set(e, "out of memory");
	}
	for (size_t i = 0; i < c->ncas; i++, o->n++) {
		o->cas[i].index = i;
		if (load_ca(&o->cas[i], &c->cas[i], tree, e) != 0) {
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

void online_refresh(struct online *o)
{
	struct err e;

	for (size_t i = 0; o != NULL && i < o->n; i++) {
		struct online_ca *oc = &o->cas[i];
		int r = oc->view ? status_view_reload(oc->view, &e) : 0;
		if (r < 0)
			log_error("ca %s: %s (the previous status stays in service)",
			    oc->conf->name, e.msg);
		else if (r > 0)
			log_info("ca %s: new status loaded from the %s", oc->conf->name,
			    status_view_source(oc->view));
	}
}

void online_worker_fini(struct online_worker *w)
{
	for (size_t i = 0; i < w->nctx; i++)
		signer_ctx_free(w->ctx[i]);
	free(w->ctx);
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

/* Contexts and buffer are made on a thread's first online answer: most
 * threads of a mostly pre-signed responder never need them. */
static struct signer_ctx *worker_ctx(struct online_worker *w, const struct online_ca *oc,
    struct err *e)
{
	if (w->nctx <= oc->index) {
		size_t cap = w->nctx;
		struct signer_ctx **v = array_grow(w->ctx, &cap, oc->index + 1, sizeof(*v));
		if (v == NULL)
			return err_set(e, "out of memory"), NULL;
		memset(v + w->nctx, 0, (cap - w->nctx) * sizeof(*v));
		w->ctx = v;
		w->nctx = cap;
	}
	if (w->buf == NULL && (w->buf = malloc(RESPONSE_MAX)) == NULL)
		return err_set(e, "out of memory"), NULL;
	if (w->ctx[oc->index] == NULL)
		w->ctx[oc->index] = signer_ctx_new(oc->ca->signer, e);
	return w->ctx[oc->index];
}

/* The status of one CertID: its record, or the CA's policy for a serial
 * it never issued (RFC 6960 2.2: never "good"). */
static enum online_status status_of(const struct online_ca *oc, const struct req_certid *id,
    struct status_rec *st, int *extended_revoke)
{
	enum status_find f = STATUS_ABSENT;

	memset(st, 0, sizeof(*st));
	st->reason = REASON_NONE;
	/* A negative or over-long serial cannot be echoed as sent, and no
	 * conforming CA issues one. */
	if (!id->serial_ok)
		return ONLINE_UNAUTHORIZED;
	f = status_view_find(oc->view, &id->serial, st);
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
    int64_t now, struct online_worker *w, struct online_answer *out)
{
	struct status_rec st[REQUEST_MAX_CERTS];
	struct single_resp s[REQUEST_MAX_CERTS];
	struct response_opts o = { .produced_at = now };
	struct signer_ctx *ctx;
	struct err e;
	enum online_status r;

	if (oc->view == NULL)
		return ONLINE_TRY_LATER;
	/* Read the epoch first: a reload during the lookups below makes the
	 * answer look older than it is, never newer. */
	out->epoch = status_view_epoch(oc->view);
	out->this_update = out->next_update = 0;
	for (size_t i = 0; i < req->n; i++) {
		const struct req_certid *id = &req->id[i];
		int64_t tu, nu;
		if ((r = status_of(oc, id, &st[i], &o.extended_revoke)) != ONLINE_SIGNED)
			return r;
		response_times(oc->conf->validity, oc->conf->backdate, &st[i], now, &tu, &nu);
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
	if ((ctx = worker_ctx(w, oc, &e)) == NULL ||
	    response_build(oc->ca, ctx, s, req->n, &o, w->buf, RESPONSE_MAX, &out->der,
	    &out->len, &e) != 0) {
		log_error("ca %s: online signing failed: %s", oc->conf->name, e.msg);
		return ONLINE_ERROR;
	}
	return ONLINE_SIGNED;
}
