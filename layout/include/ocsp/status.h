/* The status model: what is known about one certificate.
 *
 * Every status source (the openssl ca index today) produces these records,
 * the publisher signs them, and the status index stores them, so a
 * pre-signed file and an online answer always say the same thing. */
#ifndef OCSP_STATUS_H
#define OCSP_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"
#include "ocsp/serial.h"

enum cert_status {
	CERT_GOOD = 0,
	CERT_REVOKED = 1,
	CERT_UNKNOWN = 2,
};

/* CRLReason values (RFC 5280 5.3.1); 7 is unused by the standard. */
enum crl_reason {
	REASON_UNSPECIFIED = 0,
	REASON_KEY_COMPROMISE = 1,
	REASON_CA_COMPROMISE = 2,
	REASON_AFFILIATION_CHANGED = 3,
	REASON_SUPERSEDED = 4,
	REASON_CESSATION = 5,
	REASON_CERTIFICATE_HOLD = 6,
	REASON_REMOVE_FROM_CRL = 8,
	REASON_PRIVILEGE_WITHDRAWN = 9,
	REASON_AA_COMPROMISE = 10,
	REASON_NONE = 0xff,	/* revoked without a reason code */
};

/* Hold instruction codes (RFC 5280 5.3.2), for certificateHold. */
enum hold_instruction {
	HOLD_NOT_SET = 0,
	HOLD_NONE = 1,
	HOLD_CALL_ISSUER = 2,
	HOLD_REJECT = 3,
};

struct status_rec {
	struct serial serial;
	uint8_t status;		/* enum cert_status */
	uint8_t reason;		/* enum crl_reason, REASON_NONE if absent */
	uint8_t hold;		/* enum hold_instruction */
	int64_t revoked_at;	/* revocationTime, when revoked */
	int64_t invalidity;	/* key compromise time, 0 if none */
	int64_t not_after;	/* certificate expiry, 0 if not known */
	int64_t this_update;	/* of the pre-signed response, 0 if none */
	int64_t next_update;
	uint32_t line;		/* source line, for messages; not stored */
};

/* Non-zero when a and b would produce a different response (serial,
 * status, reason, hold, times of revocation and invalidity, expiry). */
int status_differs(const struct status_rec *a, const struct status_rec *b);

/* Reason names as `openssl ca -crl_reason` spells them; NULL if unknown. */
const char *status_reason_name(int reason);
/* Returns the reason for an openssl name, or -1. */
int status_reason_from_name(const char *name, size_t n);

/* A growable array of records. */
struct status_list {
	struct status_rec *v;
	size_t n, cap;
};

void status_list_init(struct status_list *l);
void status_list_fini(struct status_list *l);
/* Returns a zeroed slot at the end, or NULL when out of memory. */
struct status_rec *status_list_push(struct status_list *l);
/* Sorts by serial; refuses duplicates with a message naming path and
 * both lines. */
int status_list_sort(struct status_list *l, const char *path, struct err *e);
/* Binary search in a sorted list; NULL when absent. */
const struct status_rec *status_list_find(const struct status_list *l,
    const struct serial *s);

#endif
