/* One issuing CA as the responder sees it: the issuer certificate with
 * its CertID hashes and tree directory, and the signers that may answer
 * for it, each checked to be authorised (RFC 6960 4.2.2.2), of which the
 * one that signs is chosen by time: valid now, with the newest notBefore.
 * A rollover is then a new signer added next to the old one. */
#ifndef OCSP_CA_H
#define OCSP_CA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ocsp/certid.h"
#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/signer.h"
#include "ocsp/tree.h"

/* A ResponderID: [1] EXPLICIT Name or [2] EXPLICIT KeyHash. */
#define CA_RESPONDER_ID_MAX 1024

/* One of a CA's signers (a signer and one of its certificates), with what
 * every response it signs carries. */
struct ca_signer {
	struct signer *signer;		/* the signer set's, or the CA's own if owned */
	X509 *cert;			/* the signer's, authorised for this CA */
	int owned;
	uint8_t responder_id[CA_RESPONDER_ID_MAX];	/* encoded ResponderID */
	size_t responder_id_len;
	uint8_t responder_key_hash[20];	/* SHA-1 of the signer's key (byKey) */
	uint8_t *certs;			/* [0] EXPLICIT SEQUENCE OF Certificate */
	size_t certs_len;		/* 0 when the CA signs for itself */
	char fpr[65];			/* SHA-256 of the signer certificate */
	char subject[256];
	int64_t not_before, not_after;
	int64_t max_sign_rate;		/* signatures a second; 0: no cap */
};

/* Told about what does not stop a CA: a signer skipped and why, one that
 * expires soon, a delegated signer without id-pkix-ocsp-nocheck. */
struct ca_warn {
	void (*fn)(void *arg, const char *msg);
	void *arg;
};

struct ca {
	X509 *issuer;
	struct issuer_hash hash[HASH_COUNT];
	char dir[TREE_ISSUER_DIR_LEN + 1];	/* in the tree */
	char subject[256];		/* RFC 2253 form, for messages */
	struct ca_signer cand[CONFIG_CA_SIGNERS_MAX];	/* authorised signers */
	size_t ncand;
	/* The one that signs now; NULL when none is usable (no key online).
	 * Replaced by ca_choose while other threads may be signing. */
	const struct ca_signer *_Atomic signer;
};

/* Loads the issuer certificate and computes its hashes and directory. */
int ca_open(const char *issuer_path, struct ca **out, struct err *e);
void ca_free(struct ca *ca);

/* Adds signer as a candidate once it is checked to be authorised: the CA
 * itself, or a certificate the CA issued with the id-kp-OCSPSigning
 * extended key usage. A signer with several certificates (one key serving
 * many CAs) gives a candidate for each one authorised for this CA.
 * owned: the CA frees it (also on error). Returns -1 when none is
 * authorised, saying why. */
int ca_add_signer(struct ca *ca, struct signer *signer, int owned,
    const struct ca_warn *w, struct err *e);

/* Chooses, at time now, the candidate that is valid now and has the
 * newest notBefore, and warns about those it skips (not valid yet,
 * expired), about a choice that expires before responses it signs
 * (validity) and about one that expires within expiry_warning. Returns 1
 * when the choice changed, 0 when it did not, -1 when none is usable (the
 * CA then has no signer; e says why). */
int ca_choose(struct ca *ca, int64_t now, int64_t validity, int64_t expiry_warning,
    const struct ca_warn *w, struct err *e);

/* The chosen signer (an atomic load; NULL: none). */
const struct ca_signer *ca_signer_now(const struct ca *ca);

/* For tests and tools: adds an owned signer and chooses at now. */
int ca_attach_signer(struct ca *ca, struct signer *signer, int64_t now,
    int64_t validity, const struct ca_warn *w, struct err *e);

/* Loads a configured CA at time now: its issuer certificate and every
 * signer it may use, from set (which must outlive it); a signer that
 * could not be loaded or is not authorised is skipped with a warning.
 * Returns 0; 1 when the configuration names signers and none is usable
 * (*out is loaded, without a signer, and e says why: the publisher stops
 * that CA, lookupd answers it from the tree only); -1 when the CA cannot
 * be loaded at all. */
int ca_load_conf(const struct ca_conf *conf, const struct signer_set *set, int64_t now,
    const struct ca_warn *w, struct ca **out, struct err *e);

/* Whether cert may sign responses for ca (RFC 6960 4.2.2.2): it has the
 * CA's own key, or the CA issued and signed it with id-kp-OCSPSigning.
 * Its validity period is not looked at. 0, or -1 with e saying why not.
 * For checking responses someone else signed (ocsp-audit). */
int ca_signer_authorised(const struct ca *ca, X509 *cert, struct err *e);

#endif
