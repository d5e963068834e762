/* Online answers: what lookupd signs itself when the tree of pre-signed
 * responses cannot answer (a nonce, a CertID hash not pre-signed, several
 * certificates in one request, a serial nobody pre-signed) and for CAs
 * with no tree at all (online-only operation).
 *
 * One entry per configured CA: its issuer (to recognise its CertIDs), its
 * signer when a key is online, its status (the status index the publisher
 * wrote, else its index file) and its policies. Status records are the
 * ones the publisher signs from, and responses are built by the same
 * layout code, so an online answer says what the pre-signed file says. */
#ifndef LOOKUPD_ONLINE_H
#define LOOKUPD_ONLINE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509_vfy.h>

#include "ocsp/ca.h"
#include "ocsp/certid.h"
#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/request.h"
#include "ocsp/status_view.h"

struct online_ca {
	const struct ca_conf *conf;
	struct ca *ca;			/* ca->signer NULL: no key online */
	struct status_view *view;	/* NULL: no status source at all */
	X509_STORE *requestors;		/* for sig_required */
	size_t index;			/* position, for per-thread contexts */
};

struct online;

/* Loads every [ca] of the configuration: certificates, keys (checked as
 * the publisher checks them) and status. tree may be NULL. */
int online_new(const struct config *c, const char *tree, struct online **out,
    struct err *e);
void online_free(struct online *o);

/* The configured CA a CertID names (both hashes, any hash algorithm). */
const struct online_ca *online_find(const struct online *o, const struct req_certid *id);

/* Picks up replaced status files; called every reload interval. */
void online_refresh(struct online *o);

/* Per-thread signing state: contexts per CA, created on first use, and
 * the buffer answers are built in. */
struct online_worker {
	struct signer_ctx **ctx;
	size_t nctx;
	uint8_t *buf;
};

void online_worker_fini(struct online_worker *w);

enum online_status {
	ONLINE_SIGNED,
	ONLINE_UNAUTHORIZED,	/* a never-issued serial under the unauthorized policy */
	ONLINE_TRY_LATER,	/* no status loaded yet */
	ONLINE_ERROR,		/* signing failed (logged) */
};

struct online_answer {
	const uint8_t *der;	/* in the worker's buffer */
	size_t len;
	int64_t this_update;
	int64_t next_update;
	int64_t refresh_at;	/* when a cached copy should be signed again */
	uint64_t epoch;		/* of the status it was made from */
};

/* Signs the answer to req, whose CertIDs all name oc (which has a key).
 * A nonce in req is echoed. */
enum online_status online_sign(const struct online_ca *oc, const struct ocsp_request *req,
    int64_t now, struct online_worker *w, struct online_answer *out);

#endif
