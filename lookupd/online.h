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
	struct ca *ca;			/* ca_signer_now NULL: no key online */
	struct status_view *view;	/* NULL: no status source at all */
	X509_STORE *requestors;		/* for sig_required */
	size_t index;			/* position, for per-thread contexts */
	_Atomic uint64_t signer_changes;	/* rollovers since start */
};

/* What a cached online answer was made from: the status and the signer.
 * An answer from an older one is stale. Read before either is used. */
uint64_t online_epoch(const struct online_ca *oc);

struct online;

/* Loads every [ca] of the configuration: certificates, signers (checked
 * as the publisher checks them) and status. tree may be NULL. A CA whose
 * signers are all unusable (an expired certificate, a token gone, a wrong
 * PIN) is an error when strict (--check), else logged: its answers then
 * come from the tree only. */
int online_new(const struct config *c, const char *tree, int strict, struct online **out,
    struct err *e);
void online_free(struct online *o);

/* The configured CA a CertID names (both hashes, any hash algorithm). */
const struct online_ca *online_find(const struct online *o, const struct req_certid *id);

/* Picks up replaced status files and chooses each CA's signer again at
 * time now (a rollover needs no restart); called every reload interval. */
void online_refresh(struct online *o, int64_t now);

/* Per-thread signing state: a context per CA for the signer it was made
 * for, created on first use, and the buffer answers are built in. */
struct online_worker {
	struct worker_ctx {
		struct signer_ctx *ctx;
		const struct signer *signer;
	} *ctx;
	size_t nctx;
	uint8_t *buf;
};

void online_worker_fini(struct online_worker *w);

enum online_status {
	ONLINE_SIGNED,
	ONLINE_UNAUTHORIZED,	/* a never-issued serial under the unauthorized policy */
	ONLINE_TRY_LATER,	/* no status loaded yet */
	ONLINE_ERROR,		/* signing failed (a token gone...): e says why */
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
    int64_t now, struct online_worker *w, struct online_answer *out, struct err *e);

#endif
