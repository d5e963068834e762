/* One issuing CA as the responder sees it: the issuer certificate with
 * its CertID hashes and tree directory, and (when a key is configured) the
 * signer that answers for it, checked to be authorised (RFC 6960 4.2.2.2). */
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

struct ca {
	X509 *issuer;
	struct issuer_hash hash[HASH_COUNT];
	char dir[TREE_ISSUER_DIR_LEN + 1];	/* in the tree */
	char subject[256];		/* RFC 2253 form, for messages */

	/* Present once ca_attach_signer succeeded. */
	struct signer *signer;
	uint8_t responder_key_hash[20];	/* ResponderID byKey */
	uint8_t *certs;			/* [0] EXPLICIT SEQUENCE OF Certificate */
	size_t certs_len;		/* 0 when the CA signs for itself */
	char signer_fpr[65];		/* SHA-256 of the signer certificate */
	char signer_subject[256];
	int64_t signer_not_after;
	char warning[256];		/* non-fatal finding, empty if none */
};

/* Loads the issuer certificate and computes its hashes and directory. */
int ca_open(const char *issuer_path, struct ca **out, struct err *e);
void ca_free(struct ca *ca);

/* Takes ownership of signer (also on error) after checking that it may
 * sign for this CA at time now: it is the CA itself, or a certificate the
 * CA issued with the id-kp-OCSPSigning extended key usage, and it is
 * within its validity period. validity is the response lifetime, used to
 * warn when the signer expires before responses it signs. */
int ca_attach_signer(struct ca *ca, struct signer *signer, int64_t now,
    int64_t validity, struct err *e);

/* Loads a configured CA at time now: its issuer certificate and, when the
 * configuration names a key, its signer, checked by ca_attach_signer. */
int ca_load_conf(const struct ca_conf *conf, int64_t now, struct ca **out,
    struct err *e);

#endif
