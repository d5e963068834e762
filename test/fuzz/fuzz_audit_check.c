/* audit_check: ocsp-audit's strict check of one response from a tree, a
 * CDN or a responder (publisher/audit_check.c). The seeds are responses
 * the publisher signed for the CA below (good, revoked, SHA-256 CertID,
 * by a delegated responder, truncated), so mutations reach the signature,
 * time and status checks, not only the decoder. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "ocsp/timefmt.h"

#include "audit.h"
#include "fuzz.h"

/* The seeds' CA ("Fuzz CA", P-256). */
static const char ca_pem[] =
"-----BEGIN CERTIFICATE-----\n"
"MIIBaDCCAQ6gAwIBAgIUNkgnbmjC6fQhMb7rnJDXxprHnUUwCgYIKoZIzj0EAwIw\n"
"EjEQMA4GA1UEAwwHRnV6eiBDQTAeFw0yNjEyMDIwNTM5MjFaFw0yNzEyMDIwNTM5\n"
"MjFaMBIxEDAOBgNVBAMMB0Z1enogQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC\n"
"AARpEybC5w8z00NEH8loqSFgZszHZTF8ZfKzhOYlZ5O+xhbpZFssmLHezYtbsZJj\n"
"kUasx39X9bm6ecRG+Hg4MMElo0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB\n"
"/wQEAwIBBjAdBgNVHQ4EFgQUondGKAsCW98KeqH3p5Mi3Sfd8FAwCgYIKoZIzj0E\n"
"AwIDSAAwRQIgSvvp/nVNLetI/r2Vtf0P736XxCJffOYiylk5+kQYAmcCIQCUtl+S\n"
"vPhA8aokGuchDM7mOCDr9CI2Gm7XjbWt9SiY7w==\n"
"-----END CERTIFICATE-----\n";

/* The seeds were signed at 2026-12-02T05:39:21Z: an hour later they are
 * fresh, and the outcome does not depend on when the fuzzer runs. */
#define SEED_NOW 1796189961LL

static struct audit_ca *fuzz_ca(void)
{
	static struct audit_ca a;
	static int ready;
	BIO *b;

	if (ready)
		return &a;
	struct ca *ca = calloc(1, sizeof(*ca));
	struct err e;
	FUZZ_ASSERT(ca != NULL);
	b = BIO_new_mem_buf(ca_pem, -1);
	ca->issuer = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	FUZZ_ASSERT(ca->issuer != NULL);
	for (int alg = 0; alg < HASH_COUNT; alg++)
		FUZZ_ASSERT(certid_issuer_hash(ca->issuer, alg, &ca->hash[alg], &e) == 0);
	snprintf(ca->subject, sizeof(ca->subject), "CN=Fuzz CA");
	a.ca = ca;
	a.name = "fuzz";
	a.key = X509_get0_pubkey(ca->issuer);
	memcpy(a.key_sha1, ca->hash[HASH_SHA1].key, 20);
	a.refresh = 2 * 86400;
	pthread_mutex_init(&a.lock, NULL);
	ready = 1;
	return &a;
}

struct tally {
	int calls;
	unsigned kinds;
};

static void count(void *arg, enum audit_kind k, const char *what)
{
	struct tally *t = arg;

	FUZZ_ASSERT((unsigned)k < AUDIT_KIND_COUNT);
	FUZZ_ASSERT(what != NULL && what[0] != '\0' && strlen(what) < ERR_MSG_MAX);
	t->calls++;
	t->kinds |= 1u << k;
}

/* What the input names, so that the expectation can match it: its CertID's
 * hash and serial, and what it says into rec, when it has them. */
static void expect_from(const uint8_t *data, size_t size, struct audit_expect *x,
    struct serial *s, struct status_rec *rec)
{
	ASN1_GENERALIZEDTIME *rev = NULL;
	int reason = -1, st;
	const unsigned char *p = data;
	OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)size);
	OCSP_BASICRESP *bs = r ? OCSP_response_get1_basic(r) : NULL;
	struct req_certid id;
	struct err e;

	x->alg = HASH_SHA1;
	serial_from_hex(s, "1000", 4, &e);
	if (bs != NULL && OCSP_resp_count(bs) >= 1 &&
	    certid_from_ocsp(OCSP_SINGLERESP_get0_id(OCSP_resp_get0(bs, 0)), &id, &e) == 0) {
		if (id.alg >= 0)
			x->alg = (enum hash_alg)id.alg;
		if (id.serial_ok)
			*s = id.serial;
		st = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), &reason, &rev, NULL, NULL);
		rec->status = st == V_OCSP_CERTSTATUS_REVOKED ? CERT_REVOKED :
		    st == V_OCSP_CERTSTATUS_GOOD ? CERT_GOOD : CERT_UNKNOWN;
		rec->reason = reason < 0 ? REASON_NONE : (uint8_t)reason;
		if (rev == NULL || timefmt_from_asn1(rev, &rec->revoked_at) != 0)
			rec->revoked_at = 0;
	}
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	ERR_clear_error();
	x->serial = s;
}

/* Strict means: what was accepted re-encodes to exactly the input. */
static int round_trips(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)size);
	unsigned char *re = NULL;
	int n = r ? i2d_OCSP_RESPONSE(r, &re) : -1;
	int same = p == data + size && n == (int)size && memcmp(re, data, size) == 0;

	OPENSSL_free(re);
	OCSP_RESPONSE_free(r);
	ERR_clear_error();
	return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_ca *a = fuzz_ca();
	struct audit_policy pol = { SEED_NOW + 3600, 300, 6 * 3600, (int)(size & 1) };
	struct status_rec rec;
	struct serial s;
	struct audit_expect x;
	struct audit_seen seen;
	struct tally t = { 0, 0 }, again = { 0, 0 };
	struct audit_sink sink = { count, &t }, sink2 = { count, &again };
	int n;

	if (size > AUDIT_RESPONSE_MAX + 1)
		return 0;
	memset(&rec, 0, sizeof(rec));
	rec.reason = REASON_NONE;
	expect_from(data, size, &x, &s, &rec);
	rec.serial = s;
	/* By the input's size: the source says what the response says (the
	 * path to a clean verdict), the opposite, or never issued. */
	if (size % 3 == 1) {
		rec.status = rec.status == CERT_GOOD ? CERT_REVOKED : CERT_GOOD;
		rec.reason = REASON_NONE;
	}
	x.st = size % 3 == 2 ? NULL : &rec;
	n = audit_check(a, &pol, &x, data, size, &seen, &sink);
	FUZZ_ASSERT(n == t.calls);
	if (seen.successful) {
		FUZZ_ASSERT(round_trips(data, size));
		FUZZ_ASSERT(seen.cert_status < 0 || seen.cert_status <= 2);
	}
	if (n == 0 && x.st != NULL) {
		FUZZ_ASSERT(seen.successful && seen.this_update != 0 && seen.next_update != 0);
		FUZZ_ASSERT(seen.cert_status == (rec.status == CERT_GOOD ? V_OCSP_CERTSTATUS_GOOD :
		    rec.status == CERT_REVOKED ? V_OCSP_CERTSTATUS_REVOKED :
		    V_OCSP_CERTSTATUS_UNKNOWN));
		FUZZ_ASSERT(seen.next_update > pol.now && seen.this_update <= pol.now + pol.skew);
	}
	if (getenv("FUZZ_AUDIT_VERBOSE"))
		fprintf(stderr, "%zu bytes, expect %s: %d findings\n", size,
		    x.st == NULL ? "never issued" : size % 3 == 1 ? "the opposite" : "the same", n);
	if (n == 0 && x.st == NULL && seen.successful)
		FUZZ_ASSERT(seen.cert_status != V_OCSP_CERTSTATUS_GOOD);
	/* The signer memo must not change a verdict. */
	FUZZ_ASSERT(audit_check(a, &pol, &x, data, size, NULL, &sink2) == n);
	FUZZ_ASSERT(again.kinds == t.kinds);
	return 0;
}
