/* One response checked as a client would, and more strictly: the bytes
 * are untrusted (a tree anyone may have written to, a CDN, a responder). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "ocsp/timefmt.h"

#include "audit.h"

struct ctx {
	const struct audit_sink *s;
	int n;
};

static void found(struct ctx *c, enum audit_kind k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void found(struct ctx *c, enum audit_kind k, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->n++;
	if (c->s != NULL && c->s->fn != NULL)
		c->s->fn(c->s->arg, k, msg);
}

struct parsed {
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	OCSP_SINGLERESP *single;
};

/* Re-encoding must give the bytes back: OpenSSL's decoder takes BER
 * (indefinite lengths, long-form small lengths, non-minimal integers), a
 * client's may not, and a signature is over the DER. */
static int same_der(const uint8_t *der, size_t len, int n, unsigned char *re)
{
	int same = n > 0 && (size_t)n <= len && memcmp(re, der + (len - (size_t)n), (size_t)n) == 0;

	OPENSSL_free(re);
	return same;
}

/* 0: parsed; 1: an unsuccessful response to a never-issued serial (no
 * more to check); -1: a finding was told. */
static int parse_strict(const uint8_t *der, size_t len, const struct audit_expect *x,
    struct parsed *p, struct ctx *c)
{
	const unsigned char *q = der;
	unsigned char *re = NULL;
	int status, n;

	if (len == 0 || len > AUDIT_RESPONSE_MAX) {
		found(c, AUDIT_MALFORMED, "%zu bytes (1 to %d allowed)", len, AUDIT_RESPONSE_MAX);
		return -1;
	}
	p->resp = d2i_OCSP_RESPONSE(NULL, &q, (long)len);
	if (p->resp == NULL) {
		found(c, AUDIT_MALFORMED, "not a DER OCSPResponse (truncated or damaged)");
		return -1;
	}
	if (q != der + len) {
		found(c, AUDIT_MALFORMED, "%zu trailing bytes after the response",
		    (size_t)(der + len - q));
		return -1;
	}
	n = i2d_OCSP_RESPONSE(p->resp, &re);
	if (!same_der(der, len, n, re) || n != (int)len) {
		found(c, AUDIT_MALFORMED, "not DER: the response re-encodes differently");
		return -1;
	}
	status = OCSP_response_status(p->resp);
	if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		if (x->st == NULL)
			return 1;
		found(c, AUDIT_STATUS, "responseStatus %s (%d) for an issued certificate",
		    OCSP_response_status_str(status), status);
		return -1;
	}
	p->bs = OCSP_response_get1_basic(p->resp);
	if (p->bs == NULL) {
		found(c, AUDIT_MALFORMED, "not a basic OCSP response");
		return -1;
	}
	/* The BasicOCSPResponse is the OCTET STRING that ends the response:
	 * its DER must be the last bytes, with nothing after it inside. */
	re = NULL;
	n = i2d_OCSP_BASICRESP(p->bs, &re);
	if (!same_der(der, len, n, re)) {
		found(c, AUDIT_MALFORMED, "the BasicOCSPResponse is not DER or has trailing bytes");
		return -1;
	}
	if (OCSP_resp_count(p->bs) != 1) {
		found(c, AUDIT_MALFORMED, "%d SingleResponses (exactly one expected)",
		    OCSP_resp_count(p->bs));
		return -1;
	}
	p->single = OCSP_resp_get0(p->bs, 0);
	return 0;
}

static int check_certid(const struct audit_ca *a, const struct audit_expect *x,
    const OCSP_SINGLERESP *single, struct ctx *c)
{
	const struct issuer_hash *h = &a->ca->hash[x->alg];
	char name[SERIAL_NAME_MAX + 1];
	struct req_certid got;
	struct err e;

	if (certid_from_ocsp(OCSP_SINGLERESP_get0_id(single), &got, &e) != 0) {
		found(c, AUDIT_CERTID, "%s", e.msg);
		return -1;
	}
	if (got.alg != (int)x->alg) {
		found(c, AUDIT_CERTID, "CertID hash is %s, not %s",
		    got.alg < 0 ? "not supported" : hash_name(got.alg), hash_name(x->alg));
		return -1;
	}
	if (memcmp(got.name_hash, h->name, hash_len(x->alg)) != 0 ||
	    memcmp(got.key_hash, h->key, hash_len(x->alg)) != 0) {
		found(c, AUDIT_CERTID, "CertID names another issuer");
		return -1;
	}
	if (!got.serial_ok || serial_cmp(&got.serial, x->serial) != 0) {
		if (got.serial_ok)
			serial_name(&got.serial, name);
		found(c, AUDIT_CERTID, "CertID is for serial %s (misplaced response)",
		    got.serial_ok ? name : "(negative or too long)");
		return -1;
	}
	return 0;
}

/* The certificate the ResponderID names: the CA's own, or one in certs. */
static X509 *named_signer(const struct audit_ca *a, const OCSP_BASICRESP *bs)
{
	const ASN1_OCTET_STRING *bykey = NULL;
	const X509_NAME *byname = NULL;
	const STACK_OF(X509) *certs = OCSP_resp_get0_certs(bs);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;

	if (OCSP_resp_get0_id(bs, &bykey, &byname) != 1)
		return NULL;
	if (bykey != NULL && bykey->length == 20 && memcmp(bykey->data, a->key_sha1, 20) == 0)
		return a->ca->issuer;
	if (byname != NULL && X509_NAME_cmp(byname, X509_get_subject_name(a->ca->issuer)) == 0)
		return a->ca->issuer;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		if (bykey != NULL && X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) == 1 &&
		    mdlen == (unsigned)bykey->length && memcmp(md, bykey->data, mdlen) == 0)
			return x;
		if (byname != NULL && X509_NAME_cmp(byname, X509_get_subject_name(x)) == 0)
			return x;
	}
	return NULL;
}

/* RFC 6960 4.2.2.2, judged once per certificate and CA. */
static int authorised(struct audit_ca *a, X509 *cert, char *why, size_t size)
{
	uint8_t fpr[32];
	unsigned len = 0;
	struct err e;
	int ok;

	if (cert == a->ca->issuer)
		return 1;
	if (X509_digest(cert, EVP_sha256(), fpr, &len) != 1 || len != sizeof(fpr)) {
		snprintf(why, size, "the signer certificate cannot be digested");
		return 0;
	}
	/* The check runs under the lock too: X509_check_issued fills the
	 * CA certificate's shared extension cache, which OpenSSL 3.0 does not
	 * guard against a concurrent reader (ThreadSanitizer saw it). It runs
	 * once per signer certificate, so the lock costs nothing. */
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->nmemo; i++)
		if (memcmp(a->memo[i].fpr, fpr, sizeof(fpr)) == 0) {
			ok = a->memo[i].ok;
			snprintf(why, size, "%s", a->memo[i].why);
			pthread_mutex_unlock(&a->lock);
			return ok;
		}
	ok = ca_signer_authorised(a->ca, cert, &e) == 0;
	ERR_clear_error();
	snprintf(why, size, "%s", ok ? "" : e.msg);
	/* When full, later certificates are judged every time: still right. */
	if (a->nmemo < AUDIT_SIGNER_MEMO) {
		struct audit_signer_memo *m = &a->memo[a->nmemo++];
		memcpy(m->fpr, fpr, sizeof(fpr));
		m->ok = ok;
		snprintf(m->why, sizeof(m->why), "%s", why);
	}
	pthread_mutex_unlock(&a->lock);
	return ok;
}

static void check_valid_at(X509 *cert, int64_t t, const char *when, struct ctx *c)
{
	int64_t nb, na;

	if (timefmt_from_asn1(X509_get0_notBefore(cert), &nb) != 0 ||
	    timefmt_from_asn1(X509_get0_notAfter(cert), &na) != 0) {
		found(c, AUDIT_SIGNATURE, "the signer certificate's validity cannot be read");
		return;
	}
	if (t < nb || t > na)
		found(c, AUDIT_SIGNATURE, "the signer certificate is not valid at %s", when);
}

static void check_signer(struct audit_ca *a, const struct audit_policy *p,
    const OCSP_BASICRESP *bs, int64_t produced, struct ctx *c)
{
	X509 *cert = named_signer(a, bs);
	char why[ERR_MSG_MAX];

	if (cert == NULL) {
		found(c, AUDIT_SIGNATURE, "the ResponderID names neither the CA nor a "
		    "certificate in the response");
		return;
	}
	if (ASN1_item_verify(ASN1_ITEM_rptr(OCSP_RESPDATA), OCSP_resp_get0_tbs_sigalg(bs),
	    OCSP_resp_get0_signature(bs), OCSP_resp_get0_respdata(bs),
	    X509_get0_pubkey(cert)) != 1) {
		ERR_clear_error();
		found(c, AUDIT_SIGNATURE, "the signature does not verify with the signer's key");
		return;
	}
	if (!authorised(a, cert, why, sizeof(why))) {
		found(c, AUDIT_SIGNATURE, "signer not authorised for this CA: %s", why);
		return;
	}
	check_valid_at(cert, produced, "producedAt", c);
	check_valid_at(cert, p->now, "now", c);
}

static void check_times(const struct audit_ca *a, const struct audit_policy *p,
    const struct audit_expect *x, const struct audit_seen *s, struct ctx *c)
{
	int64_t validity = s->next_update - s->this_update;
	/* The publisher ends a response at its certificate's expiry. */
	int at_expiry = x->st != NULL && x->st->not_after != 0 && s->next_update == x->st->not_after;

	if (s->produced_at > p->now + p->skew)
		found(c, AUDIT_NOT_YET_VALID, "producedAt is %lld s in the future",
		    (long long)(s->produced_at - p->now));
	if (s->this_update > p->now + p->skew)
		found(c, AUDIT_NOT_YET_VALID, "thisUpdate is %lld s in the future",
		    (long long)(s->this_update - p->now));
	if (s->next_update == 0) {
		found(c, AUDIT_VALIDITY, "no nextUpdate (RFC 9919 requires one)");
		return;
	}
	if (s->next_update <= p->now)
		found(c, AUDIT_EXPIRED, "nextUpdate passed %lld s ago",
		    (long long)(p->now - s->next_update));
	if (validity <= 0)
		found(c, AUDIT_MALFORMED, "nextUpdate is not after thisUpdate");
	else if (validity > AUDIT_VALIDITY_MAX)
		found(c, AUDIT_VALIDITY, "valid for %lld s, more than 10 days", (long long)validity);
	else if (p->br && validity < AUDIT_VALIDITY_MIN_BR && !at_expiry)
		found(c, AUDIT_VALIDITY, "valid for %lld s, less than the 8 hours the BRs require",
		    (long long)validity);
	if (p->now - s->this_update > a->refresh + p->slack)
		found(c, AUDIT_AGE, "%lld s old, more than refresh (%lld s) + slack (%lld s): "
		    "not re-signed", (long long)(p->now - s->this_update), (long long)a->refresh,
		    (long long)p->slack);
}

static const char *status_word(int st)
{
	switch (st) {
	case V_OCSP_CERTSTATUS_GOOD: return "good";
	case V_OCSP_CERTSTATUS_REVOKED: return "revoked";
	default: return "unknown";
	}
}

static int expected_status(const struct status_rec *r)
{
	switch (r->status) {
	case CERT_GOOD: return V_OCSP_CERTSTATUS_GOOD;
	case CERT_REVOKED: return V_OCSP_CERTSTATUS_REVOKED;
	default: return V_OCSP_CERTSTATUS_UNKNOWN;
	}
}

static void check_status(const struct audit_expect *x, int st, int reason,
    const ASN1_GENERALIZEDTIME *revtime, struct ctx *c)
{
	const struct status_rec *r = x->st;
	int want, want_reason;
	int64_t t = 0;

	if (r == NULL) {
		if (st == V_OCSP_CERTSTATUS_GOOD)
			found(c, AUDIT_NEVER_ISSUED, "good for a serial the CA never issued "
			    "(RFC 6960 2.2, BR 4.9.10)");
		return;
	}
	want = expected_status(r);
	if (st != want) {
		found(c, AUDIT_STATUS, "says %s, the source says %s", status_word(st),
		    status_word(want));
		return;
	}
	if (st != V_OCSP_CERTSTATUS_REVOKED)
		return;
	if (revtime == NULL || timefmt_from_asn1(revtime, &t) != 0 || t != r->revoked_at)
		found(c, AUDIT_STATUS, "revocationTime %lld, the source says %lld", (long long)t,
		    (long long)r->revoked_at);
	want_reason = r->reason == REASON_NONE ? -1 : r->reason;
	if (reason != want_reason)
		found(c, AUDIT_STATUS, "revocation reason %s, the source says %s",
		    reason < 0 ? "absent" : status_reason_name(reason) ? status_reason_name(reason) : "?",
		    want_reason < 0 ? "absent" : status_reason_name(want_reason) ?
		    status_reason_name(want_reason) : "?");
}

static int read_time(const ASN1_GENERALIZEDTIME *g, int64_t *t)
{
	*t = 0;
	return g == NULL ? 0 : timefmt_from_asn1(g, t);
}

int audit_check(struct audit_ca *a, const struct audit_policy *p,
    const struct audit_expect *x, const uint8_t *der, size_t len, struct audit_seen *seen,
    const struct audit_sink *s)
{
	struct parsed ps = { NULL, NULL, NULL };
	struct ctx c = { s, 0 };
	struct audit_seen local, *sn = seen ? seen : &local;
	ASN1_GENERALIZEDTIME *revtime = NULL, *thisupd = NULL, *nextupd = NULL;
	int reason = -1, st;

	memset(sn, 0, sizeof(*sn));
	sn->cert_status = -1;
	if (parse_strict(der, len, x, &ps, &c) != 0 || check_certid(a, x, ps.single, &c) != 0)
		goto out;
	sn->successful = 1;
	st = OCSP_single_get0_status(ps.single, &reason, &revtime, &thisupd, &nextupd);
	if (st < 0 || thisupd == NULL || read_time(thisupd, &sn->this_update) != 0 ||
	    read_time(nextupd, &sn->next_update) != 0 ||
	    read_time(OCSP_resp_get0_produced_at(ps.bs), &sn->produced_at) != 0) {
		found(&c, AUDIT_MALFORMED, "bad certStatus, thisUpdate, nextUpdate or producedAt");
		goto out;
	}
	sn->cert_status = st;
	check_signer(a, p, ps.bs, sn->produced_at, &c);
	check_times(a, p, x, sn, &c);
	check_status(x, st, reason, revtime, &c);
out:
	OCSP_BASICRESP_free(ps.bs);
	OCSP_RESPONSE_free(ps.resp);
	ERR_clear_error();
	return c.n;
}
