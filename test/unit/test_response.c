/* The CA, the signer and the response builder, checked by OpenSSL as a
 * client checks them: the signature verifies against the CA, each CertID
 * finds its status, reason and times, the nonce matches, the delegated
 * signer is in certs and the ResponderID is byKey. */
#include "ocsp/response.h"

#include <time.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "ocsp/ca.h"
#include "ocsp/hex.h"
#include "ocsp/request.h"
#include "ocsp/tree.h"
#include "check.h"
#include "pki.h"

#define DAY 86400

static int64_t now;

struct test_ca {
	const char *label;
	enum pki_key_type type;
	int sig_nid;		/* signature algorithm of responses it signs */
	const char *desc;	/* signer_key_desc */
	EVP_PKEY *key;
	X509 *cert;
	const char *cert_path, *key_path;
};

static struct test_ca cas[] = {
	{ "ec", PKI_EC256, NID_ecdsa_with_SHA256, "ECDSA P-256", NULL, NULL, NULL, NULL },
	{ "rsa", PKI_RSA2048, NID_sha256WithRSAEncryption, "RSA 2048", NULL, NULL, NULL, NULL },
	{ "ed25519", PKI_ED25519, NID_ED25519, "Ed25519", NULL, NULL, NULL, NULL },
	{ "ec384", PKI_EC384, NID_ecdsa_with_SHA384, "ECDSA P-384", NULL, NULL, NULL, NULL },
};
#define NCAS (sizeof(cas) / sizeof(cas[0]))

static void setup(void)
{
	char name[64];

	now = time(NULL);
	for (size_t i = 0; i < NCAS; i++) {
		struct pki_cert_opts o = { .cn = cas[i].label, .serial = 1,
		    .not_before = now - DAY, .not_after = now + 365 * DAY, .ca = 1 };
		cas[i].key = pki_key(cas[i].type);
		o.key = cas[i].key;
		cas[i].cert = pki_cert(&o);
		snprintf(name, sizeof(name), "%s-ca.pem", cas[i].label);
		cas[i].cert_path = pki_write_cert(cas[i].cert, check_tmp_path(name));
		snprintf(name, sizeof(name), "%s-ca.key", cas[i].label);
		cas[i].key_path = pki_write_key(cas[i].key, check_tmp_path(name), NULL, 0);
	}
}

static void teardown(void)
{
	for (size_t i = 0; i < NCAS; i++) {
		X509_free(cas[i].cert);
		EVP_PKEY_free(cas[i].key);
	}
}

static int64_t asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	return (int64_t)timegm(&tm);
}

static void sha1_key_bits(X509 *cert, uint8_t out[20])
{
	const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(cert);

	CHECK(EVP_Digest(ASN1_STRING_get0_data(bits), (size_t)ASN1_STRING_length(bits),
	    out, NULL, EVP_sha1(), NULL));
}

/* ca_open: directory name and CertID hashes, against OpenSSL's CertIDs. */
static void test_ca_open(void)
{
	for (size_t i = 0; i < NCAS; i++) {
		struct ca *ca = NULL;
		struct err e = { "" };
		uint8_t key_sha1[20];
		char dir[41];

		check_case("ca_open %s", cas[i].label);
		CHECK_EQ(ca_open(cas[i].cert_path, &ca, &e), 0);
		if (ca == NULL)
			continue;
		sha1_key_bits(cas[i].cert, key_sha1);
		hex_lower(dir, key_sha1, 20);
		CHECK_STR(ca->dir, dir);
		CHECK(tree_issuer_dir_valid(ca->dir));
		CHECK_CONTAINS(ca->subject, "CN=");
		CHECK_CONTAINS(ca->subject, cas[i].label);
		CHECK(ca_signer_now(ca) == NULL);

		static const struct { int alg; const EVP_MD *(*md)(void); } a[] = {
			{ HASH_SHA1, EVP_sha1 }, { HASH_SHA256, EVP_sha256 },
			{ HASH_SHA384, EVP_sha384 }, { HASH_SHA512, EVP_sha512 },
		};
		for (size_t k = 0; k < 4; k++) {
			OCSP_CERTID *id = pki_certid(a[k].md(), cas[i].cert, 1);
			ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
			size_t hl = hash_len(a[k].alg);
			CHECK(OCSP_id_get0_info(&nh, NULL, &kh, NULL, id));
			CHECK_MEM(ca->hash[a[k].alg].name, hl, ASN1_STRING_get0_data(nh),
			    (size_t)ASN1_STRING_length(nh));
			CHECK_MEM(ca->hash[a[k].alg].key, hl, ASN1_STRING_get0_data(kh),
			    (size_t)ASN1_STRING_length(kh));
			OCSP_CERTID_free(id);
		}
		ca_free(ca);
	}
	check_case_clear();

	struct ca *ca = NULL;
	struct err e = { "" };
	const char *missing = check_tmp_path("missing.pem");
	CHECK_EQ(ca_open(missing, &ca, &e), -1);
	CHECK_CONTAINS(e.msg, missing);
	CHECK_EQ(ca_open(cas[0].key_path, &ca, &e), -1);
	CHECK_CONTAINS(e.msg, "no PEM certificate");
	ca_free(NULL);
}

static const uint8_t algid_ecdsa256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
	0xce, 0x3d, 0x04, 0x03, 0x02 };

/* The last warning ca_attach_signer gave, "" if none. */
static char warned[ERR_MSG_MAX + 256];

static void warn_fn(void *arg, const char *msg)
{
	(void)arg;
	snprintf(warned, sizeof(warned), "%s", msg);
}

static const struct ca_warn warn = { warn_fn, NULL };

/* The CA signs for itself. */
static struct ca *open_self(struct test_ca *t, struct err *e)
{
	struct ca *ca = NULL;
	struct signer *s = NULL;

	warned[0] = '\0';
	if (ca_open(t->cert_path, &ca, e) != 0)
		return NULL;
	if (signer_load_pem(t->cert_path, t->key_path, &s, e) != 0 ||
	    ca_attach_signer(ca, s, now, 4 * DAY, &warn, e) != 0) {
		ca_free(ca);
		return NULL;
	}
	return ca;
}

static void test_self_signer(void)
{
	for (size_t i = 0; i < NCAS; i++) {
		struct err e = { "" };
		struct ca *ca;
		uint8_t key_sha1[20], fpr[32];
		char hex[65];
		size_t algid_len;
		const uint8_t *algid;

		check_case("self signer %s", cas[i].label);
		ca = open_self(&cas[i], &e);
		CHECK(ca != NULL);
		if (ca == NULL) {
			fprintf(stderr, "  %s\n", e.msg);
			continue;
		}
		CHECK(ca_signer_now(ca) != NULL);
		CHECK_STR(signer_key_desc(ca_signer_now(ca)->signer), cas[i].desc);
		CHECK_EQ(ca_signer_now(ca)->certs_len, 0);		/* nothing to add to certs */
		CHECK_STR(warned, "");
		sha1_key_bits(cas[i].cert, key_sha1);
		CHECK_MEM(ca_signer_now(ca)->responder_key_hash, 20, key_sha1, 20);
		CHECK(X509_digest(cas[i].cert, EVP_sha256(), fpr, NULL));
		hex_lower(hex, fpr, 32);
		CHECK_STR(ca_signer_now(ca)->fpr, hex);
		CHECK_EQ(ca_signer_now(ca)->not_after, asn1_time(X509_get0_notAfter(cas[i].cert)));

		/* the algorithm identifier is what OpenSSL writes for the key */
		algid = signer_algid(ca_signer_now(ca)->signer, &algid_len);
		const unsigned char *p = algid;
		X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)algid_len);
		CHECK(alg != NULL && p == algid + algid_len);
		if (alg != NULL) {
			const ASN1_OBJECT *oid;
			X509_ALGOR_get0(&oid, NULL, NULL, alg);
			CHECK_EQ(OBJ_obj2nid(oid), cas[i].sig_nid);
		}
		X509_ALGOR_free(alg);
		if (cas[i].type == PKI_EC256)
			CHECK_MEM(algid, algid_len, algid_ecdsa256, sizeof(algid_ecdsa256));
		ca_free(ca);
	}
	check_case_clear();
}

struct responder {
	EVP_PKEY *key;
	X509 *cert;
	const char *cert_path, *key_path;
};

static struct responder make_responder(const char *name, struct test_ca *issuer,
    enum pki_key_type type, const struct pki_cert_opts *base)
{
	struct responder r;
	struct pki_cert_opts o = *base;
	char file[64];

	r.key = pki_key(type);
	o.cn = name;
	o.key = r.key;
	o.issuer = issuer->cert;
	o.issuer_key = issuer->key;
	if (o.serial == 0)
		o.serial = 100;
	if (o.not_before == 0 && o.not_after == 0) {
		o.not_before = now - DAY;
		o.not_after = now + 30 * DAY;
	}
	r.cert = pki_cert(&o);
	snprintf(file, sizeof(file), "%s.pem", name);
	r.cert_path = pki_write_cert(r.cert, check_tmp_path(file));
	snprintf(file, sizeof(file), "%s.key", name);
	r.key_path = pki_write_key(r.key, check_tmp_path(file), NULL, 0);
	return r;
}

static void free_responder(struct responder *r)
{
	X509_free(r->cert);
	EVP_PKEY_free(r->key);
}

/* Attaches the responder's cert and key to a fresh ca of issuer; returns
 * the attach result, with the message in e. */
static int attach(struct test_ca *issuer, const char *cert_path, const char *key_path,
    int64_t validity, struct ca **out, struct err *e)
{
	struct ca *ca = NULL;
	struct signer *s = NULL;
	int r;

	e->msg[0] = '\0';
	warned[0] = '\0';
	*out = NULL;
	if (ca_open(issuer->cert_path, &ca, e) != 0)
		return -2;
	if (signer_load_pem(cert_path, key_path, &s, e) != 0) {
		ca_free(ca);
		return -3;
	}
	r = ca_attach_signer(ca, s, now, validity, &warn, e);
	if (r != 0)
		ca_free(ca);
	else
		*out = ca;
	return r;
}

static void test_delegated(void)
{
	struct test_ca *ec = &cas[0];
	struct ca *ca = NULL;
	struct err e;
	uint8_t key_sha1[20];

	/* with id-kp-OCSPSigning and nocheck: accepted, no warning */
	struct pki_cert_opts good = { .ocsp_signing = 1, .nocheck = 1 };
	struct responder r = make_responder("ocsp-good", ec, PKI_EC256, &good);
	CHECK_EQ(attach(ec, r.cert_path, r.key_path, 4 * DAY, &ca, &e), 0);
	if (ca != NULL) {
		CHECK_STR(warned, "");
		CHECK(ca_signer_now(ca)->certs_len > 0);
		sha1_key_bits(r.cert, key_sha1);
		CHECK_MEM(ca_signer_now(ca)->responder_key_hash, 20, key_sha1, 20);
		CHECK_CONTAINS(ca_signer_now(ca)->subject, "CN=ocsp-good");
		ca_free(ca);
	}
	free_responder(&r);

	/* without nocheck: accepted with a warning */
	struct pki_cert_opts no_nocheck = { .ocsp_signing = 1 };
	r = make_responder("ocsp-nocheck", ec, PKI_EC256, &no_nocheck);
	CHECK_EQ(attach(ec, r.cert_path, r.key_path, 4 * DAY, &ca, &e), 0);
	if (ca != NULL)
		CHECK_CONTAINS(warned, "nocheck");
	ca_free(ca);
	free_responder(&r);

	/* expires before the responses it signs: accepted with a warning */
	struct pki_cert_opts short_lived = { .ocsp_signing = 1, .nocheck = 1,
	    .not_before = now - DAY, .not_after = now + 2 * DAY };
	r = make_responder("ocsp-short", ec, PKI_EC256, &short_lived);
	CHECK_EQ(attach(ec, r.cert_path, r.key_path, 4 * DAY, &ca, &e), 0);
	if (ca != NULL)
		CHECK_CONTAINS(warned, "before the responses it signs");
	ca_free(ca);
	CHECK_EQ(attach(ec, r.cert_path, r.key_path, DAY, &ca, &e), 0);
	if (ca != NULL)
		CHECK_STR(warned, "");
	ca_free(ca);
	free_responder(&r);
}

static void test_refused(void)
{
	struct test_ca *ec = &cas[0], *rsa = &cas[1];
	struct ca *ca = NULL;
	struct err e;
	struct responder r;

	check_case("no extended key usage");
	struct pki_cert_opts no_eku = { .nocheck = 1 };
	r = make_responder("ocsp-no-eku", ec, PKI_EC256, &no_eku);
	CHECK_EQ(attach(ec, r.cert_path, r.key_path, 4 * DAY, &ca, &e), -1);
	CHECK(ca == NULL);
	CHECK_CONTAINS(e.msg, "id-kp-OCSPSigning");
	free_responder(&r);

	check_case("serverAuth only");
	struct pki_cert_opts server = { .server_auth = 1, .nocheck = 1 };
	r = make_responder("ocsp-server", ec, PKI_EC256, &server);
	CHECK_EQ(attach(ec, r.cert_path, r.key_path, 4 * DAY, &ca, &e), -1);
	CHECK_CONTAINS(e.msg, "id-kp-OCSPSigning");
	free_responder(&r);

	check_case("issued by another CA");
	struct pki_cert_opts good = { .ocsp_signing = 1, .nocheck = 1 };
	r = make_responder("ocsp-other-ca", rsa, PKI_EC256, &good);
	CHECK_EQ(attach(ec, r.cert_path, r.key_path, 4 * DAY, &ca, &e), -1);
	CHECK_CONTAINS(e.msg, "not issued by");
	free_responder(&r);

	check_case("expired");
	struct pki_cert_opts expired = { .ocsp_signing = 1, .nocheck = 1,
	    .not_before = now - 30 * DAY, .not_after = now - 1 };
	r = make_responder("ocsp-expired", ec, PKI_EC256, &expired);
	CHECK_EQ(attach(ec, r.cert_path, r.key_path, 4 * DAY, &ca, &e), -1);
	CHECK_CONTAINS(e.msg, "has expired");
	free_responder(&r);

	check_case("not yet valid");
	struct pki_cert_opts future = { .ocsp_signing = 1, .nocheck = 1,
	    .not_before = now + 3600, .not_after = now + 30 * DAY };
	r = make_responder("ocsp-future", ec, PKI_EC256, &future);
	CHECK_EQ(attach(ec, r.cert_path, r.key_path, 4 * DAY, &ca, &e), -1);
	CHECK_CONTAINS(e.msg, "not valid yet");
	free_responder(&r);

	check_case("key of another certificate");
	r = make_responder("ocsp-mismatch", ec, PKI_EC256, &good);
	CHECK_EQ(attach(ec, r.cert_path, ec->key_path, 4 * DAY, &ca, &e), -3);
	CHECK_CONTAINS(e.msg, "does not match");
	CHECK_CONTAINS(e.msg, ec->key_path);

	check_case("encrypted PKCS#8 key");
	const char *enc = pki_write_key(r.key, check_tmp_path("enc8.key"), "secret", 0);
	CHECK_EQ(attach(ec, r.cert_path, enc, 4 * DAY, &ca, &e), -3);
	CHECK_CONTAINS(e.msg, "encrypted");
	CHECK_CONTAINS(e.msg, enc);

	check_case("encrypted traditional key");
	enc = pki_write_key(r.key, check_tmp_path("enc-trad.key"), "secret", 1);
	CHECK_EQ(attach(ec, r.cert_path, enc, 4 * DAY, &ca, &e), -3);
	CHECK_CONTAINS(e.msg, "encrypted");

	check_case("missing key file");
	const char *missing = check_tmp_path("missing.key");
	CHECK_EQ(attach(ec, r.cert_path, missing, 4 * DAY, &ca, &e), -3);
	CHECK_CONTAINS(e.msg, missing);

	check_case("certificate given as the key");
	CHECK_EQ(attach(ec, r.cert_path, r.cert_path, 4 * DAY, &ca, &e), -3);
	CHECK_CONTAINS(e.msg, "no PEM private key");
	free_responder(&r);

	check_case("CA expired");
	struct pki_cert_opts old = { .cn = "old-ca", .key = ec->key, .serial = 2,
	    .not_before = now - 60 * DAY, .not_after = now - DAY, .ca = 1 };
	X509 *old_ca = pki_cert(&old);
	const char *old_path = pki_write_cert(old_ca, check_tmp_path("old-ca.pem"));
	struct test_ca t = { .cert_path = old_path };
	CHECK_EQ(attach(&t, old_path, ec->key_path, 4 * DAY, &ca, &e), -1);
	CHECK_CONTAINS(e.msg, "has expired");
	X509_free(old_ca);
	check_case_clear();
}

/* The statuses a response can carry. */
static struct status_rec recs[6];
static const long rec_serial[6] = { 0x0a, 0x80, 0, 0x123456, 0x7fffffff, 0xbeef };

static void make_records(void)
{
	for (size_t i = 0; i < 6; i++) {
		uint8_t b[8];
		long v = rec_serial[i];
		for (int k = 7; k >= 0; k--) {
			b[k] = (uint8_t)v;
			v >>= 8;
		}
		memset(&recs[i], 0, sizeof(recs[i]));
		CHECK_EQ(serial_from_bytes(&recs[i].serial, b, 8), 0);
		recs[i].reason = REASON_NONE;
		recs[i].not_after = now + 90 * DAY;
	}
	recs[0].status = CERT_GOOD;
	recs[1].status = CERT_REVOKED;			/* with a reason */
	recs[1].reason = REASON_SUPERSEDED;
	recs[1].revoked_at = now - 10 * DAY;
	recs[2].status = CERT_REVOKED;			/* without one */
	recs[2].revoked_at = now - 20 * DAY;
	recs[3].status = CERT_REVOKED;			/* key compromise, invalidity */
	recs[3].reason = REASON_KEY_COMPROMISE;
	recs[3].revoked_at = now - 5 * DAY;
	recs[3].invalidity = now - 30 * DAY;
	recs[4].status = CERT_REVOKED;			/* on hold */
	recs[4].reason = REASON_CERTIFICATE_HOLD;
	recs[4].hold = HOLD_REJECT;
	recs[4].revoked_at = now - DAY;
	recs[5].status = CERT_UNKNOWN;
}

static const int want_status[6] = { V_OCSP_CERTSTATUS_GOOD, V_OCSP_CERTSTATUS_REVOKED,
	V_OCSP_CERTSTATUS_REVOKED, V_OCSP_CERTSTATUS_REVOKED, V_OCSP_CERTSTATUS_REVOKED,
	V_OCSP_CERTSTATUS_UNKNOWN };
static const int want_reason[6] = { -1, OCSP_REVOKED_STATUS_SUPERSEDED,
	OCSP_REVOKED_STATUS_NOSTATUS, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
	OCSP_REVOKED_STATUS_CERTIFICATEHOLD, -1 };

/* Parses der as a client would and checks the envelope: exact DER,
 * successful, signed by signer (verifying with the CA as the only trust
 * anchor), ResponderID byKey, certs as expected. Returns the basic
 * response or NULL. */
static OCSP_BASICRESP *client_parse(const uint8_t *der, size_t len, struct test_ca *t,
    X509 *signer, int delegated, int64_t produced_at)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = NULL;
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *certs = sk_X509_new_null();
	unsigned char *again = NULL;
	int n;

	CHECK(resp != NULL);
	if (resp == NULL)
		goto out;
	CHECK(p == der + len);
	/* OpenSSL writes it back identically: the DER is canonical */
	n = i2d_OCSP_RESPONSE(resp, &again);
	CHECK(n > 0 && (size_t)n == len && memcmp(again, der, len) == 0);
	OPENSSL_free(again);
	CHECK_EQ(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = OCSP_response_get1_basic(resp);
	CHECK(bs != NULL);
	if (bs == NULL)
		goto out;

	X509_STORE_add_cert(store, t->cert);
	if (!delegated)
		sk_X509_push(certs, t->cert);	/* the client knows its issuer */
	n = OCSP_basic_verify(bs, delegated ? NULL : certs, store, 0);
	CHECK_EQ(n, 1);
	if (n != 1)
		ERR_print_errors_fp(stderr);
	ERR_clear_error();

	const ASN1_OCTET_STRING *byKey = NULL;
	const X509_NAME *byName = NULL;
	uint8_t key_sha1[20];
	CHECK(OCSP_resp_get0_id(bs, &byKey, &byName));
	CHECK(byName == NULL);
	CHECK(byKey != NULL);
	sha1_key_bits(signer, key_sha1);
	if (byKey != NULL)
		CHECK_MEM(ASN1_STRING_get0_data(byKey), (size_t)ASN1_STRING_length(byKey),
		    key_sha1, 20);

	const STACK_OF(X509) *in = OCSP_resp_get0_certs(bs);
	if (delegated) {
		CHECK_EQ(sk_X509_num(in), 1);
		if (sk_X509_num(in) == 1)
			CHECK_EQ(X509_cmp(sk_X509_value(in, 0), signer), 0);
	} else {
		CHECK(in == NULL || sk_X509_num(in) == 0);	/* certs absent */
	}

	const ASN1_OBJECT *oid;
	X509_ALGOR_get0(&oid, NULL, NULL, OCSP_resp_get0_tbs_sigalg(bs));
	CHECK_EQ(OBJ_obj2nid(oid), t->sig_nid);
	CHECK_EQ(asn1_time(OCSP_resp_get0_produced_at(bs)), produced_at);
out:
	sk_X509_free(certs);
	X509_STORE_free(store);
	OCSP_RESPONSE_free(resp);
	return bs;
}

/* Checks single response i against recs[k] for a CertID of hash md. */
static void check_single(OCSP_BASICRESP *bs, struct test_ca *t, const EVP_MD *md,
    size_t k, int64_t this_update, int64_t next_update)
{
	OCSP_CERTID *id = pki_certid(md, t->cert, rec_serial[k]);
	int status = -9, reason = -9, idx;
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;

	CHECK(OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd, &nextupd));
	CHECK_EQ(status, want_status[k]);
	if (status == V_OCSP_CERTSTATUS_REVOKED) {
		CHECK_EQ(reason, want_reason[k]);
		CHECK_EQ(asn1_time(rev), recs[k].revoked_at);
	}
	CHECK_EQ(asn1_time(thisupd), this_update);
	CHECK_EQ(asn1_time(nextupd), next_update);
	CHECK_EQ(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);

	idx = OCSP_resp_find(bs, id, -1);
	CHECK(idx >= 0);
	OCSP_SINGLERESP *sr = OCSP_resp_get0(bs, idx);
	int crit = -9;
	ASN1_GENERALIZEDTIME *inv = OCSP_SINGLERESP_get1_ext_d2i(sr, NID_invalidity_date,
	    &crit, NULL);
	ASN1_OBJECT *hold = OCSP_SINGLERESP_get1_ext_d2i(sr, NID_hold_instruction_code,
	    NULL, NULL);
	if (recs[k].invalidity != 0) {
		CHECK(inv != NULL);
		CHECK_EQ(crit, 0);
		CHECK_EQ(asn1_time(inv), recs[k].invalidity);
	} else {
		CHECK(inv == NULL);
	}
	if (recs[k].hold != HOLD_NOT_SET) {
		CHECK(hold != NULL);
		CHECK_EQ(OBJ_obj2nid(hold), NID_hold_instruction_reject);
	} else {
		CHECK(hold == NULL);
	}
	CHECK_EQ(OCSP_SINGLERESP_get_ext_count(sr),
	    (recs[k].invalidity != 0) + (recs[k].hold != HOLD_NOT_SET));
	ASN1_GENERALIZEDTIME_free(inv);
	ASN1_OBJECT_free(hold);
	OCSP_CERTID_free(id);
}

static void fill_single(struct single_resp *s, const struct ca *ca, enum hash_alg alg,
    size_t k, int64_t this_update, int64_t next_update)
{
	s->alg = alg;
	s->name_hash = ca->hash[alg].name;
	s->key_hash = ca->hash[alg].key;
	s->serial = &recs[k].serial;
	s->st = &recs[k];
	s->this_update = this_update;
	s->next_update = next_update;
}

static uint8_t *buf;

/* One response per status, then all in one, then with a nonce and the
 * extended-revoke extension, for signer on ca. */
static void check_responses(struct ca *ca, struct test_ca *t, X509 *signer, int delegated)
{
	int64_t tu = now - 3600, nu = now + 4 * DAY, pa = now - 60;
	struct response_opts o = { .produced_at = pa };
	struct single_resp s[12];
	struct signer_ctx *sc;
	struct err e = { "" };
	const uint8_t *der;
	size_t len;
	OCSP_BASICRESP *bs;

	sc = signer_ctx_new(ca_signer_now(ca)->signer, &e);
	CHECK(sc != NULL);
	if (sc == NULL)
		return;

	for (size_t k = 0; k < 6; k++) {
		static const char *const what[] = { "good", "revoked with reason",
			"revoked without reason", "keyCompromise with invalidity date",
			"certificateHold with hold instruction", "unknown" };
		check_case("%s signer %s: %s", t->label, delegated ? "delegated" : "self",
		    what[k]);
		fill_single(&s[0], ca, k % 2 ? HASH_SHA256 : HASH_SHA1, k, tu, nu);
		CHECK_EQ(response_build(ca_signer_now(ca), sc, s, 1, &o, buf, RESPONSE_MAX, &der, &len, &e), 0);
		bs = client_parse(der, len, t, signer, delegated, pa);
		if (bs == NULL)
			continue;
		CHECK_EQ(OCSP_resp_count(bs), 1);
		CHECK_EQ(OCSP_BASICRESP_get_ext_count(bs), 0);
		check_single(bs, t, k % 2 ? EVP_sha256() : EVP_sha1(), k, tu, nu);
		OCSP_BASICRESP_free(bs);
	}

	/* several singles, SHA-1 and SHA-512 CertIDs, in the order given */
	check_case("%s signer %s: 12 singles", t->label, delegated ? "delegated" : "self");
	for (size_t k = 0; k < 12; k++)
		fill_single(&s[k], ca, k < 6 ? HASH_SHA1 : HASH_SHA512, k % 6, tu - (int64_t)k,
		    nu + (int64_t)k);
	CHECK_EQ(response_build(ca_signer_now(ca), sc, s, 12, &o, buf, RESPONSE_MAX, &der, &len, &e), 0);
	bs = client_parse(der, len, t, signer, delegated, pa);
	if (bs != NULL) {
		CHECK_EQ(OCSP_resp_count(bs), 12);
		for (size_t k = 0; k < 6; k++) {
			check_single(bs, t, EVP_sha1(), k, tu - (int64_t)k, nu + (int64_t)k);
			check_single(bs, t, EVP_sha512(), k, tu - (int64_t)k - 6,
			    nu + (int64_t)k + 6);
		}
		for (int k = 0; k < 12; k++) {
			const OCSP_CERTID *cid = OCSP_SINGLERESP_get0_id(OCSP_resp_get0(bs, k));
			ASN1_INTEGER *serial = NULL;
			OCSP_id_get0_info(NULL, NULL, NULL, &serial, (OCSP_CERTID *)cid);
			CHECK_EQ(ASN1_INTEGER_get(serial), rec_serial[k % 6]);
		}
		OCSP_BASICRESP_free(bs);
	}

	/* the nonce of a real request, echoed */
	check_case("%s signer %s: nonce", t->label, delegated ? "delegated" : "self");
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	struct ocsp_request r;
	uint8_t *req_der;
	size_t req_len;
	CHECK(OCSP_request_add0_id(req, pki_certid(EVP_sha256(), t->cert, rec_serial[0])) != NULL);
	CHECK(OCSP_request_add1_nonce(req, NULL, 32));
	req_der = pki_request_der(req, &req_len);
	CHECK_EQ(request_parse(req_der, req_len, 1, &r, &e), REQUEST_OK);
	free(req_der);
	fill_single(&s[0], ca, HASH_SHA256, 0, tu, nu);
	o.nonce = r.nonce;
	o.nonce_len = r.nonce_len;
	CHECK_EQ(response_build(ca_signer_now(ca), sc, s, 1, &o, buf, RESPONSE_MAX, &der, &len, &e), 0);
	bs = client_parse(der, len, t, signer, delegated, pa);
	if (bs != NULL) {
		CHECK_EQ(OCSP_check_nonce(req, bs), 1);
		CHECK_EQ(OCSP_BASICRESP_get_ext_count(bs), 1);
		OCSP_BASICRESP_free(bs);
	}
	/* and a response without it: the nonce is missing, not wrong */
	o.nonce = NULL;
	o.nonce_len = 0;
	CHECK_EQ(response_build(ca_signer_now(ca), sc, s, 1, &o, buf, RESPONSE_MAX, &der, &len, &e), 0);
	bs = client_parse(der, len, t, signer, delegated, pa);
	if (bs != NULL) {
		CHECK_EQ(OCSP_check_nonce(req, bs), -1);
		OCSP_BASICRESP_free(bs);
	}
	OCSP_REQUEST_free(req);

	/* extended revoke (RFC 6960 2.2): a never-issued serial */
	check_case("%s signer %s: extended revoke", t->label, delegated ? "delegated" : "self");
	struct status_rec never = { .status = CERT_REVOKED, .reason = REASON_CERTIFICATE_HOLD,
	    .revoked_at = 0 };
	serial_from_bytes(&never.serial, (const uint8_t *)"\x0f\xff", 2);
	s[0].serial = &never.serial;
	s[0].st = &never;
	o.extended_revoke = 1;
	o.nonce = (const uint8_t *)"\x04\x03" "abc";
	o.nonce_len = 5;
	CHECK_EQ(response_build(ca_signer_now(ca), sc, s, 1, &o, buf, RESPONSE_MAX, &der, &len, &e), 0);
	bs = client_parse(der, len, t, signer, delegated, pa);
	if (bs != NULL) {
		ASN1_OBJECT *ext_oid = OBJ_txt2obj("1.3.6.1.5.5.7.48.1.9", 1);
		int idx = OCSP_BASICRESP_get_ext_by_OBJ(bs, ext_oid, -1);
		CHECK(idx >= 0);
		if (idx >= 0) {
			X509_EXTENSION *x = OCSP_BASICRESP_get_ext(bs, idx);
			const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(x);
			CHECK_EQ(X509_EXTENSION_get_critical(x), 0);
			CHECK_MEM(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v),
			    "\x05\x00", 2);
		}
		CHECK_EQ(OCSP_BASICRESP_get_ext_count(bs), 2);
		ASN1_OBJECT_free(ext_oid);

		OCSP_CERTID *id = pki_certid(EVP_sha256(), t->cert, 0x0fff);
		int status = -9, reason = -9;
		ASN1_GENERALIZEDTIME *rev = NULL;
		CHECK(OCSP_resp_find_status(bs, id, &status, &reason, &rev, NULL, NULL));
		CHECK_EQ(status, V_OCSP_CERTSTATUS_REVOKED);
		CHECK_EQ(reason, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);
		CHECK_EQ(asn1_time(rev), 0);
		OCSP_CERTID_free(id);
		OCSP_BASICRESP_free(bs);
	}
	check_case_clear();
	signer_ctx_free(sc);
}

static void test_responses(void)
{
	for (size_t i = 0; i < NCAS; i++) {
		struct err e = { "" };
		struct ca *ca = open_self(&cas[i], &e);

		CHECK(ca != NULL);
		if (ca == NULL)
			continue;
		check_responses(ca, &cas[i], cas[i].cert, 0);
		ca_free(ca);
	}

	/* delegated responders of each key type, under EC and Ed25519 CAs */
	static const struct { size_t ca; enum pki_key_type type; const char *name; } d[] = {
		{ 0, PKI_RSA2048, "ocsp-rsa-under-ec" },
		{ 0, PKI_EC256, "ocsp-ec-under-ec" },
		{ 2, PKI_EC384, "ocsp-ec384-under-ed25519" },
		{ 1, PKI_ED25519, "ocsp-ed25519-under-rsa" },
	};
	struct pki_cert_opts good = { .ocsp_signing = 1, .nocheck = 1 };
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		struct responder r = make_responder(d[i].name, &cas[d[i].ca], d[i].type, &good);
		struct test_ca t = cas[d[i].ca];
		struct ca *ca = NULL;
		struct err e = { "" };

		/* responses carry the responder's signature algorithm */
		for (size_t k = 0; k < NCAS; k++)
			if (cas[k].type == d[i].type)
				t.sig_nid = cas[k].sig_nid;
		t.label = d[i].name;
		CHECK_EQ(attach(&cas[d[i].ca], r.cert_path, r.key_path, 4 * DAY, &ca, &e), 0);
		if (ca != NULL)
			check_responses(ca, &t, r.cert, 1);
		ca_free(ca);
		free_responder(&r);
	}
}

static void test_limits(void)
{
	struct err e = { "" };
	struct ca *ca = open_self(&cas[2], &e);	/* Ed25519: fixed-size signatures */
	struct signer_ctx *sc = ca ? signer_ctx_new(ca_signer_now(ca)->signer, &e) : NULL;
	struct response_opts o = { .produced_at = now };
	struct single_resp *s = calloc(400, sizeof(*s));
	const uint8_t *der;
	size_t len = 0, full;

	CHECK(sc != NULL && s != NULL);
	if (sc == NULL || s == NULL)
		goto out;
	for (size_t k = 0; k < 400; k++)
		fill_single(&s[k], ca, HASH_SHA512, k % 6, now, now + DAY);

	CHECK_EQ(response_build(ca_signer_now(ca), sc, s, 0, &o, buf, RESPONSE_MAX, &der, &len, &e), -1);
	CHECK_CONTAINS(e.msg, "at least one");
	CHECK_EQ(response_build(ca_signer_now(ca), sc, s, 400, &o, buf, RESPONSE_MAX, &der, &len, &e), -1);
	CHECK_CONTAINS(e.msg, "too large");

	/* the output must fit in cap, to the byte */
	CHECK_EQ(response_build(ca_signer_now(ca), sc, s, 3, &o, buf, RESPONSE_MAX, &der, &len, &e), 0);
	full = len;
	CHECK(der + len == buf + RESPONSE_MAX);
	CHECK_EQ(response_build(ca_signer_now(ca), sc, s, 3, &o, buf, full, &der, &len, &e), 0);
	CHECK(der == buf);
	CHECK_EQ(len, full);
	CHECK_EQ(response_build(ca_signer_now(ca), sc, s, 3, &o, buf, full - 1, &der, &len, &e), -1);
	CHECK_CONTAINS(e.msg, "does not fit");
out:
	free(s);
	signer_ctx_free(sc);
	ca_free(ca);
}

static void test_error_der(void)
{
	static const struct {
		enum response_error status;
		int want;
	} errs[] = {
		{ RESPONSE_MALFORMED, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST },
		{ RESPONSE_INTERNAL_ERROR, OCSP_RESPONSE_STATUS_INTERNALERROR },
		{ RESPONSE_TRY_LATER, OCSP_RESPONSE_STATUS_TRYLATER },
		{ RESPONSE_SIG_REQUIRED, OCSP_RESPONSE_STATUS_SIGREQUIRED },
		{ RESPONSE_UNAUTHORIZED, OCSP_RESPONSE_STATUS_UNAUTHORIZED },
		{ (enum response_error)99, OCSP_RESPONSE_STATUS_INTERNALERROR },
	};

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		size_t len = 0;
		const uint8_t *der = response_error_der(errs[i].status, &len);
		uint8_t want[5] = { 0x30, 0x03, 0x0a, 0x01, (uint8_t)errs[i].want };

		check_case("error %d", (int)errs[i].status);
		CHECK_MEM(der, len, want, sizeof(want));
		const unsigned char *p = der;
		OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
		CHECK(resp != NULL);
		if (resp != NULL) {
			CHECK_EQ(OCSP_response_status(resp), errs[i].want);
			CHECK(OCSP_response_get1_basic(resp) == NULL);
		}
		OCSP_RESPONSE_free(resp);
	}
	check_case_clear();
}

int main(void)
{
	buf = malloc(RESPONSE_MAX);
	if (buf == NULL)
		return 2;
	setup();
	make_records();
	test_ca_open();
	test_self_signer();
	test_delegated();
	test_refused();
	test_responses();
	test_limits();
	test_error_der();
	teardown();
	free(buf);
	return check_done();
}
