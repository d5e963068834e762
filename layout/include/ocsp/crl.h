/* Certificate revocation lists (RFC 5280 section 5): parsed from bytes the
 * caller read or fetched, checked against the CA, and turned into the
 * status records every source produces (status.h). The CRL source
 * (source.h, "crl:...") is built on this module; this module reads no files
 * and fetches nothing.
 *
 * The order of use is crl_parse, crl_verify, crl_check_complete, then
 * crl_records (and crl_apply_delta with a delta CRL). Each refuses what it
 * cannot vouch for, with a message that starts with the CRL's name:
 *   crl_parse          structure, times, the CRL's own extensions
 *   crl_verify         issuer name, signature, the signer's authority
 *   crl_check_complete whether the CRL lists every revoked serial
 *   crl_records        each entry: serial, reason, hold, issuer
 *
 * Memory: a CRL keeps its DER and OpenSSL's view of everything except the
 * entries; entries are decoded one at a time by crl_records, so a CRL of
 * a million entries costs its DER plus the records, not a decoded copy of
 * every entry. */
#ifndef OCSP_CRL_H
#define OCSP_CRL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ocsp/err.h"
#include "ocsp/serial.h"
#include "ocsp/status.h"

/* Largest CRL taken, DER or PEM: a few million entries (about 50 bytes
 * each with a reason code), far beyond any public CA's CRL. */
#define CRL_MAX_BYTES ((size_t)256 * 1024 * 1024)
/* Longest name kept for messages (a path or URL); longer ones are cut. */
#define CRL_NAME_MAX 1024
/* Extensions of the CRL itself, and of one entry: RFC 5280 defines seven
 * and four. More is refused, which bounds the duplicate checks. */
#define CRL_MAX_EXTENSIONS 32
#define CRL_ENTRY_MAX_EXTENSIONS 16

struct crl;

/* Parses a CRL from len bytes at buf: DER (one CertificateList, nothing
 * after it) or PEM (exactly one "X509 CRL" block; text around it is
 * ignored, a second block is refused). name (a path or URL, may be NULL)
 * starts every message about this CRL. The buffer is not kept.
 *
 * Refused: more than CRL_MAX_BYTES, lengths that are not DER (indefinite
 * or not minimal, in the outer structure and the entry list), a version
 * other than v1/v2, extensions in a v1 CRL, unknown critical CRL
 * extensions, a duplicated extension, a negative or over-long cRLNumber
 * or BaseCRLNumber, thisUpdate or nextUpdate unreadable, nextUpdate
 * before thisUpdate, an issuingDistributionPoint with more than one
 * onlyContains* flag. Entries are counted here and decoded by
 * crl_records. Returns 0 with *out set (free with crl_free), or -1. */
int crl_parse(const uint8_t *buf, size_t len, const char *name, struct crl **out,
    struct err *e);
void crl_free(struct crl *c);

/* Checks that c was issued for the CA issuer:
 *  - without crl_signer: the CRL's issuer name is the CA's subject, and the
 *    CA signed it;
 *  - with crl_signer (RFC 5280 indirect or delegated CRL signer): the
 *    signer certificate names the CA as its issuer and carries the CA's
 *    signature, has a keyUsage extension with cRLSign (required: a
 *    delegated signer must be authorised explicitly), was valid at the
 *    CRL's thisUpdate, and the CRL's issuer is the signer's subject and
 *    the signer signed it.
 * A CA or signer with a keyUsage extension must have cRLSign in it (and a
 * CA that issued a signer, keyCertSign). The signature algorithm inside
 * the signed part must equal the outer one. Returns 0, or -1 saying which
 * check failed. */
int crl_verify(const struct crl *c, X509 *issuer, X509 *crl_signer, struct err *e);

/* The issuingDistributionPoint of a CRL (RFC 5280 5.2.5), all 0 when the
 * CRL has none. */
struct crl_scope {
	int has_idp;
	int has_dp_name;	/* a distributionPoint: maybe one partition */
	int only_user;		/* onlyContainsUserCerts */
	int only_ca;		/* onlyContainsCACerts */
	int only_attr;		/* onlyContainsAttributeCerts */
	int only_some_reasons;	/* onlySomeReasons present */
	int indirect;		/* indirectCRL */
};

void crl_scope(const struct crl *c, struct crl_scope *out);

/* Whether c can stand alone as the complete revocation list of an OCSP
 * source, where a serial that is not listed is answered "good". Refused
 * (-1, saying why):
 *  - a delta CRL: it lists only changes since its base (use
 *    crl_apply_delta on the base's records);
 *  - onlySomeReasons: certificates revoked for other reasons are on
 *    another CRL, so "not listed" would not mean "not revoked";
 *  - onlyContainsCACerts (an ARL): every end-entity certificate would
 *    look good;
 *  - onlyContainsAttributeCerts: not about public-key certificates.
 * Accepted, and left to the caller to warn about (crl_scope):
 *  - onlyContainsUserCerts: complete for the end-entity certificates,
 *    which is what an issuing CA's responder answers for; a subordinate
 *    CA certificate of this CA is not covered by it;
 *  - a distributionPoint name: many CAs name the CRL's own URL on a
 *    complete CRL, and sharded CRLs look the same, so this cannot be
 *    decided from the CRL: configuring one shard is an operator's error. */
int crl_check_complete(const struct crl *c, struct err *e);

/* The name given to crl_parse ("crl" when NULL). */
const char *crl_name(const struct crl *c);
const X509_NAME *crl_issuer(const struct crl *c);
int64_t crl_this_update(const struct crl *c);
/* 0 with *t set, or -1 "no nextUpdate": a CRL without one never expires,
 * which callers treat as a refusal (they cannot bound a response). */
int crl_next_update(const struct crl *c, int64_t *t, struct err *e);
/* 1 with *n set to the cRLNumber, 0 when the CRL has none. */
int crl_number(const struct crl *c, struct serial *n);
/* 1 when c is a delta CRL, with *base set to its BaseCRLNumber; else 0. */
int crl_delta_base(const struct crl *c, struct serial *base);
/* Entries in revokedCertificates (of every issuer, in an indirect CRL). */
size_t crl_entries(const struct crl *c);

/* What identifies one CRL, for change detection: two CRLs with the same
 * digest are the same bytes; number and this_update order a newer CRL
 * after an older one. */
struct crl_id {
	uint8_t sha256[32];	/* of the DER */
	int has_number;
	struct serial number;
	int64_t this_update;
};

void crl_get_id(const struct crl *c, struct crl_id *out);
int crl_id_eq(const struct crl_id *a, const struct crl_id *b);

/* The CRL's DER (owned by c). */
const uint8_t *crl_der(const struct crl *c, size_t *len);

/* The revoked certificates of the CA named ca_name (NULL: the CRL's
 * issuer) as records, sorted by serial, appended to out, which must be
 * initialised and empty. Each record: status CERT_REVOKED, revoked_at the
 * revocationDate, reason from reasonCode (REASON_NONE when absent), hold
 * from holdInstructionCode (only with certificateHold), invalidity from
 * invalidityDate (0 when absent), line the entry's number (from 1).
 *
 * A CRL that is not indirect must be issued by ca_name. In an indirect
 * CRL (issuingDistributionPoint indirectCRL), an entry's certificateIssuer
 * names the issuer of that entry and of those after it (RFC 5280 5.3.3),
 * starting with the CRL's issuer; only entries whose issuer is ca_name
 * are kept. Refused, naming the entry: a decoding error, a negative
 * serial or one over SERIAL_MAX octets, an unknown critical or duplicated
 * entry extension, extensions in a v1 CRL, reason 7 or above 10,
 * removeFromCRL outside a delta CRL (in a delta it marks a removal, which
 * crl_apply_delta consumes), a hold instruction without certificateHold
 * or with an unknown OID, certificateIssuer in a CRL that is not
 * indirect, the same serial twice (both entries named). On -1, out must
 * be discarded (status_list_fini). */
int crl_records(const struct crl *c, const X509_NAME *ca_name,
    struct status_list *out, struct err *e);

/* Applies the delta CRL delta to base, the records crl_records made from
 * base_crl (both crl_verify'd by the caller). Checks: delta is a delta and
 * base_crl is not; both have cRLNumbers; same issuer and same
 * issuingDistributionPoint (RFC 5280 5.2.4: same scope); the delta's
 * BaseCRLNumber is at most, and its cRLNumber above, base_crl's cRLNumber.
 * Then every delta entry replaces the base's record of its serial, and a
 * removeFromCRL entry removes it when the base has it on certificateHold
 * (a hold released). A removeFromCRL for a serial the base has revoked
 * for any other reason leaves it revoked: revocation is final (RFC 5280
 * 5.3.1), so the CA can only mean that the certificate expired, and an
 * OCSP answer for an expired revoked certificate stays "revoked".
 * Result sorted by serial. On -1, base is unchanged. */
int crl_apply_delta(struct status_list *base, const struct crl *base_crl,
    const struct crl *delta, const X509_NAME *ca_name, struct err *e);

#endif
