#include "ocsp/response.h"

#include <string.h>

#include <openssl/evp.h>

#include "ocsp/bytehash.h"
#include "ocsp/der.h"
#include "ocsp/serial.h"

static const uint8_t oid_basic[] = { 0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05,
	0x07, 0x30, 0x01, 0x01 };
static const uint8_t oid_nonce[] = { 0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05,
	0x07, 0x30, 0x01, 0x02 };
static const uint8_t oid_extended_revoke[] = { 0x06, 0x09, 0x2b, 0x06, 0x01,
	0x05, 0x05, 0x07, 0x30, 0x01, 0x09 };
static const uint8_t oid_invalidity_date[] = { 0x06, 0x03, 0x55, 0x1d, 0x18 };
static const uint8_t oid_hold_code[] = { 0x06, 0x03, 0x55, 0x1d, 0x17 };
/* holdInstructionNone/CallIssuer/Reject: 1.2.840.10040.2.{1,2,3} */
static const uint8_t oid_hold_prefix[] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce,
	0x38, 0x02 };

/* Extension ::= SEQUENCE { extnID, extnValue OCTET STRING } (not critical,
 * so the DEFAULT FALSE is omitted). value is the DER inside extnValue. */
static void put_extension(struct der *d, const uint8_t *oid, size_t oid_len,
    const uint8_t *value, size_t value_len)
{
	size_t mark = der_len(d);

	der_octets(d, value, value_len);
	der_raw(d, oid, oid_len);
	der_wrap(d, DER_SEQUENCE, mark);
}

static void put_single_extensions(struct der *d, const struct status_rec *st)
{
	size_t mark = der_len(d);

	if (st->status != CERT_REVOKED)
		return;
	if (st->invalidity != 0 && (st->reason == REASON_KEY_COMPROMISE ||
	    st->reason == REASON_CA_COMPROMISE)) {
		uint8_t buf[24];
		struct der v;
		der_init(&v, buf, sizeof(buf));
		der_gentime(&v, st->invalidity);
		put_extension(d, oid_invalidity_date, sizeof(oid_invalidity_date),
		    der_data(&v), der_len(&v));
	}
	if (st->hold != HOLD_NOT_SET && st->reason == REASON_CERTIFICATE_HOLD) {
		uint8_t oid[sizeof(oid_hold_prefix) + 1];
		memcpy(oid, oid_hold_prefix, sizeof(oid_hold_prefix));
		oid[sizeof(oid_hold_prefix)] = st->hold;
		put_extension(d, oid_hold_code, sizeof(oid_hold_code), oid, sizeof(oid));
	}
	if (der_len(d) == mark)
		return;
	der_wrap(d, DER_SEQUENCE, mark);
	der_wrap(d, DER_CTX1, mark);
}

static void put_cert_status(struct der *d, const struct status_rec *st)
{
	/* good [0] IMPLICIT NULL, unknown [2] IMPLICIT UnknownInfo (NULL) */
	static const uint8_t good[] = { DER_CTX0_PRIM, 0x00 }, unknown[] = { DER_CTX2_PRIM, 0x00 };
	size_t mark = der_len(d);

	if (st->status == CERT_GOOD) {
		der_raw(d, good, sizeof(good));
		return;
	}
	if (st->status != CERT_REVOKED) {
		der_raw(d, unknown, sizeof(unknown));
		return;
	}
	/* RevokedInfo ::= SEQUENCE { revocationTime, [0] EXPLICIT CRLReason } */
	if (st->reason != REASON_NONE) {
		size_t rmark = der_len(d);
		der_enum(d, st->reason);
		der_wrap(d, DER_CTX0, rmark);
	}
	der_gentime(d, st->revoked_at);
	der_wrap(d, DER_CTX1, mark);	/* [1] IMPLICIT RevokedInfo */
}

static void put_single(struct der *d, const struct single_resp *s)
{
	size_t mark = der_len(d), m;
	size_t algid_len, hl = hash_len(s->alg);
	const uint8_t *algid = hash_algid_der(s->alg, &algid_len);

	put_single_extensions(d, s->st);
	m = der_len(d);
	der_gentime(d, s->next_update);
	der_wrap(d, DER_CTX0, m);
	der_gentime(d, s->this_update);
	put_cert_status(d, s->st);
	m = der_len(d);
	der_uint(d, s->serial->b, s->serial->len);
	der_octets(d, s->key_hash, hl);
	der_octets(d, s->name_hash, hl);
	der_raw(d, algid, algid_len);
	der_wrap(d, DER_SEQUENCE, m);		/* CertID */
	der_wrap(d, DER_SEQUENCE, mark);	/* SingleResponse */
}

static void put_response_extensions(struct der *d, const struct response_opts *o)
{
	static const uint8_t null_value[] = { DER_NULL, 0x00 };
	size_t mark = der_len(d);

	if (o->extended_revoke)
		put_extension(d, oid_extended_revoke, sizeof(oid_extended_revoke),
		    null_value, sizeof(null_value));
	if (o->nonce != NULL)
		put_extension(d, oid_nonce, sizeof(oid_nonce), o->nonce, o->nonce_len);
	if (der_len(d) == mark)
		return;
	der_wrap(d, DER_SEQUENCE, mark);
	der_wrap(d, DER_CTX1, mark);
}

/* ResponseData ::= SEQUENCE { responderID, producedAt, responses, [1] ext } */
static void put_tbs(struct der *d, const struct ca_signer *cs, const struct single_resp *s,
    size_t n, const struct response_opts *o)
{
	size_t m;

	put_response_extensions(d, o);
	m = der_len(d);
	for (size_t i = n; i > 0; i--)
		put_single(d, &s[i - 1]);
	der_wrap(d, DER_SEQUENCE, m);
	der_gentime(d, o->produced_at);
	der_raw(d, cs->responder_id, cs->responder_id_len);	/* byKey or byName */
	der_wrap(d, DER_SEQUENCE, 0);
}

int response_build(const struct ca_signer *cs, struct signer_ctx *sc,
    const struct single_resp *s, size_t n, const struct response_opts *o,
    uint8_t *buf, size_t cap, const uint8_t **out, size_t *out_len,
    struct err *e)
{
	uint8_t tbs_buf[RESPONSE_TBS_MAX];
	uint8_t sig[SIGNER_MAX_SIG + 1];
	size_t sig_len = 0, algid_len, m;
	const uint8_t *algid = signer_algid(cs->signer, &algid_len);
	struct der tbs, d;

	if (n == 0)
		return err_set(e, "a response needs at least one certificate");
	der_init(&tbs, tbs_buf, sizeof(tbs_buf));
	put_tbs(&tbs, cs, s, n, o);
	if (!der_ok(&tbs))
		return err_set(e, "response for %zu certificates is too large", n);
	if (signer_sign(sc, der_data(&tbs), der_len(&tbs), sig + 1, &sig_len, e) != 0)
		return -1;
	sig[0] = 0;	/* BIT STRING: no unused bits */

	/* BasicOCSPResponse ::= SEQUENCE { tbs, algorithm, signature, [0] certs } */
	der_init(&d, buf, cap);
	der_raw(&d, cs->certs, cs->certs_len);
	m = der_len(&d);
	der_raw(&d, sig, sig_len + 1);
	der_wrap(&d, DER_BIT_STRING, m);
	der_raw(&d, algid, algid_len);
	der_raw(&d, der_data(&tbs), der_len(&tbs));
	der_wrap(&d, DER_SEQUENCE, 0);
	/* responseBytes: SEQUENCE { id-pkix-ocsp-basic, OCTET STRING } in [0] */
	der_wrap(&d, DER_OCTET_STRING, 0);
	der_raw(&d, oid_basic, sizeof(oid_basic));
	der_wrap(&d, DER_SEQUENCE, 0);
	der_wrap(&d, DER_CTX0, 0);
	der_enum(&d, 0);	/* successful */
	der_wrap(&d, DER_SEQUENCE, 0);
	if (!der_ok(&d))
		return err_set(e, "response does not fit in %zu bytes", cap);
	*out = der_data(&d);
	*out_len = der_len(&d);
	return 0;
}

void response_times(int64_t validity, int64_t backdate, const struct status_rec *r,
    int64_t now, int64_t *this_update, int64_t *next_update)
{
	*this_update = now - backdate;
	/* A revocation of the last few minutes: the status is known since
	 * then, so thisUpdate is not before it. */
	if (r->status == CERT_REVOKED && r->revoked_at > *this_update && r->revoked_at <= now)
		*this_update = r->revoked_at;
	*next_update = *this_update + validity;
	if (r->not_after > now + 3600 && r->not_after < *next_update)
		*next_update = r->not_after;
}

int signed_response_set(struct signed_response *r, const uint8_t *der, size_t len,
    int64_t this_update, int64_t next_update, struct err *e)
{
	unsigned int n = 0;

	if (next_update <= this_update)
		return err_set(e, "nextUpdate is not after thisUpdate");
	r->der = der;
	r->len = len;
	r->this_update = this_update;
	r->next_update = next_update;
	if (!EVP_Digest(der, len, r->digest, &n, EVP_sha256(), NULL) || n != sizeof(r->digest))
		return err_ssl(e, "SHA-256 failed");
	r->check = bytehash_check(der, len);
	return 0;
}

const uint8_t *response_error_der(enum response_error status, size_t *len)
{
	static const uint8_t der[][5] = {
		{ 0x30, 0x03, 0x0a, 0x01, 0x00 },
		{ 0x30, 0x03, 0x0a, 0x01, 0x01 },
		{ 0x30, 0x03, 0x0a, 0x01, 0x02 },
		{ 0x30, 0x03, 0x0a, 0x01, 0x03 },
		{ 0x30, 0x03, 0x0a, 0x01, 0x04 },
		{ 0x30, 0x03, 0x0a, 0x01, 0x05 },
		{ 0x30, 0x03, 0x0a, 0x01, 0x06 },
	};

	*len = 5;
	return der[status <= RESPONSE_UNAUTHORIZED ? status : RESPONSE_INTERNAL_ERROR];
}
