/* CRLs: made by the openssl CLI (openssl ca -gencrl, -revoke with reasons,
 * holds and compromise times, a delta through -crlexts) and by the C API
 * (pki.c) for what the CLI cannot write: negative and long serials,
 * duplicates, indirect CRLs, unknown critical extensions, CRL signers. */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "pki.h"

#include "ocsp/crl.h"
#include "ocsp/fsutil.h"
#include "ocsp/pem.h"

extern char **environ;

#define T0 1767225600	/* 2026-01-01T00:00:00Z */
#define DAY 86400

/* The actors of the tests: CAs and CRL signers, each a key and a
 * certificate. */
enum actor {
	A_NONE, A_CA, A_OTHER, A_SIGNER, A_SIGNER_NOKU, A_SIGNER_OTHERCA,
	A_SIGNER_EXPIRED, A_CA_NOCRLSIGN, A_CA_NOKU, A_CA_ED, A_CA_RSA, A_COUNT
};
static EVP_PKEY *key[A_COUNT];
static X509 *cert[A_COUNT];

static const X509_NAME *name_of(enum actor a)
{
	return X509_get_subject_name(cert[a]);
}

static void make_actor(enum actor a, enum pki_key_type type, const char *cn,
    enum actor issuer, int ca, const char *ku, int64_t nb, int64_t na)
{
	struct pki_cert_opts o = { .cn = cn, .serial = 100 + a, .not_before = nb,
	    .not_after = na, .ca = ca, .key_usage = ku };

	key[a] = pki_key(type);
	o.key = key[a];
	if (issuer != A_NONE) {
		o.issuer = cert[issuer];
		o.issuer_key = key[issuer];
	}
	cert[a] = pki_cert(&o);
}

static void make_actors(void)
{
	int64_t nb = T0 - 365 * DAY, na = T0 + 365 * DAY;

	make_actor(A_CA, PKI_EC256, "CRL Test CA", A_NONE, 1, NULL, nb, na);
	make_actor(A_OTHER, PKI_EC256, "Other CA", A_NONE, 1, NULL, nb, na);
	make_actor(A_SIGNER, PKI_EC256, "CRL Signer", A_CA, 0, "critical,cRLSign", nb, na);
	make_actor(A_SIGNER_NOKU, PKI_EC256, "CRL Signer without cRLSign", A_CA, 0,
	    "critical,digitalSignature", nb, na);
	make_actor(A_SIGNER_OTHERCA, PKI_EC256, "CRL Signer of another CA", A_OTHER, 0,
	    "critical,cRLSign", nb, na);
	make_actor(A_SIGNER_EXPIRED, PKI_EC256, "CRL Signer from later", A_CA, 0,
	    "critical,cRLSign", T0 + DAY, na);
	make_actor(A_CA_NOCRLSIGN, PKI_EC256, "CA without cRLSign", A_NONE, 1,
	    "critical,keyCertSign", nb, na);
	make_actor(A_CA_NOKU, PKI_EC256, "CA without keyUsage", A_NONE, 1, "", nb, na);
	make_actor(A_CA_ED, PKI_ED25519, "Ed25519 CA", A_NONE, 1, NULL, nb, na);
	make_actor(A_CA_RSA, PKI_RSA2048, "RSA CA", A_NONE, 1, NULL, nb, na);
}

/* A CRL of the CA (unless o says otherwise) as DER, malloc'd. */
static uint8_t *crl_der_of(struct pki_crl_opts o, enum actor signer, enum actor named,
    size_t *len)
{
	X509_CRL *c;
	uint8_t *der;

	o.key = key[signer];
	o.issuer = name_of(named);
	if (o.this_update == 0)
		o.this_update = T0;
	c = pki_crl(&o);
	der = pki_crl_der(c, len);
	X509_CRL_free(c);
	return der;
}

static struct crl *parse_or_fail(const uint8_t *der, size_t len, const char *name)
{
	struct crl *c = NULL;
	struct err e = { "" };

	if (crl_parse(der, len, name, &c, &e) != 0)
		check_fail(__FILE__, __LINE__, "crl_parse: %s", e.msg);
	return c;
}

static const struct pki_crl_entry three[] = {
	{ .serial_long = 0x10, .revoked_at = T0 - 3 * DAY, .reason = 1 },
	{ .serial_long = 0x05, .revoked_at = T0 - 2 * DAY, .reason = -1 },
	{ .serial_long = 0x0777, .revoked_at = T0 - DAY, .reason = 4 },
};
#define THREE .entries = three, .n = 3, .number = 7, .delta_base = -1, \
	.next_update = T0 + 7 * DAY

/* ---- crl_parse ---- */

static const char pem_other[] = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";

static uint8_t *to_pem(const uint8_t *der, size_t len, const char *before,
    int twice, size_t *out_len)
{
	const unsigned char *p = der;
	X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)len);
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	uint8_t *copy;

	if (c == NULL || b == NULL || BIO_puts(b, before) < 0 || !PEM_write_bio_X509_CRL(b, c) ||
	    (twice && !PEM_write_bio_X509_CRL(b, c)))
		exit(2);
	n = BIO_get_mem_data(b, &data);
	copy = malloc((size_t)n);
	if (copy == NULL)
		exit(2);
	memcpy(copy, data, (size_t)n);
	*out_len = (size_t)n;
	BIO_free(b);
	X509_CRL_free(c);
	return copy;
}

static void expect_parse(const char *what, const uint8_t *buf, size_t len,
    const char *want_err)
{
	struct crl *c = NULL;
	struct err e = { "" };
	int r = crl_parse(buf, len, "t.crl", &c, &e);

	check_case("parse: %s", what);
	if (want_err == NULL) {
		CHECK_EQ(r, 0);
		if (r != 0)
			fprintf(stderr, "  %s\n", e.msg);
		CHECK_EQ(c != NULL ? crl_entries(c) : 0, 3);
	} else {
		CHECK_EQ(r, -1);
		CHECK(c == NULL);
		CHECK_CONTAINS(e.msg, "t.crl: ");
		CHECK_CONTAINS(e.msg, want_err);
	}
	crl_free(c);
}

static void test_parse(void)
{
	size_t len, n;
	uint8_t *der = crl_der_of((struct pki_crl_opts){ THREE }, A_CA, A_CA, &len);
	uint8_t *buf = malloc(len + 16), *pem;

	expect_parse("DER", der, len, NULL);
	pem = to_pem(der, len, "", 0, &n);
	expect_parse("PEM", pem, n, NULL);
	free(pem);
	pem = to_pem(der, len, "Certificate Revocation List (CRL):\n  text\n", 0, &n);
	expect_parse("PEM after text", pem, n, NULL);
	free(pem);
	pem = to_pem(der, len, "", 1, &n);
	expect_parse("two PEM blocks", pem, n, "more than one PEM block");
	free(pem);
	expect_parse("a certificate", (const uint8_t *)pem_other, strlen(pem_other),
	    "not \"X509 CRL\"");
	expect_parse("empty", der, 0, "empty");
	expect_parse("text", (const uint8_t *)"hello\n", 6, "neither DER nor PEM");
	/* crl_parse refuses on the length alone, before reading. */
	expect_parse("too large", der, CRL_MAX_BYTES + 1, "larger than");

	memcpy(buf, der, len);
	buf[len] = 0;
	expect_parse("a byte after the DER", buf, len + 1, "1 bytes after the CRL");
	expect_parse("truncated", der, len - 1, "not a DER CertificateList");
	expect_parse("cut inside", der, len / 2, "not a DER CertificateList");
	/* The outer length written in five bytes instead of three. */
	if (der[1] == 0x82) {
		buf[0] = 0x30;
		buf[1] = 0x84;
		buf[2] = 0;
		buf[3] = 0;
		memcpy(buf + 4, der + 2, len - 2);
		expect_parse("long form length not minimal", buf, len + 2,
		    "not a DER CertificateList");
	} else {
		check_fail(__FILE__, __LINE__, "test CRL is not 256..65535 bytes long");
	}
	free(buf);
	free(der);

	static const struct {
		const char *what;
		struct pki_crl_opts o;
		const char *want;
	} cases[] = {
		{ "unknown non-critical extension", { THREE, .unknown_noncritical = 1 }, NULL },
		{ "unknown critical extension", { THREE, .unknown_critical = 1 },
		  "unknown critical extension 1.3.6.1.4.1.55555.1" },
		{ "v1 with extensions", { THREE, .version1 = 1 }, "a v1 CRL with extensions" },
		{ "nextUpdate before thisUpdate", { .entries = three, .n = 3, .number = 1,
		  .delta_base = -1, .next_update = T0 - 1 }, "nextUpdate is before thisUpdate" },
		{ "two onlyContains flags", { THREE, .idp = 1, .idp_only_user = 1,
		  .idp_only_ca = 1 }, "more than one of" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		der = crl_der_of(cases[i].o, A_CA, A_CA, &len);
		expect_parse(cases[i].what, der, len, cases[i].want);
		free(der);
	}
	check_case_clear();
}

/* ---- crl_verify ---- */

static void test_verify(void)
{
	static const struct {
		const char *what;
		enum actor signed_by, named, ca, signer;
		int tamper;
		const char *want;
	} cases[] = {
		{ "the CA's own", A_CA, A_CA, A_CA, A_NONE, 0, NULL },
		{ "Ed25519", A_CA_ED, A_CA_ED, A_CA_ED, A_NONE, 0, NULL },
		{ "RSA", A_CA_RSA, A_CA_RSA, A_CA_RSA, A_NONE, 0, NULL },
		{ "CA without keyUsage", A_CA_NOKU, A_CA_NOKU, A_CA_NOKU, A_NONE, 0, NULL },
		{ "a byte changed", A_CA, A_CA, A_CA, A_NONE, 1,
		  "the signature does not verify with the CA's key" },
		{ "wrong CA", A_CA, A_CA, A_OTHER, A_NONE, 0,
		  "issued by \"O=OCSP unit tests,CN=CRL Test CA\", not by the CA "
		  "\"O=OCSP unit tests,CN=Other CA\"" },
		{ "CA's name, another key", A_OTHER, A_CA, A_CA, A_NONE, 0,
		  "the signature does not verify with the CA's key" },
		{ "CA without cRLSign", A_CA_NOCRLSIGN, A_CA_NOCRLSIGN, A_CA_NOCRLSIGN,
		  A_NONE, 0, "the CA's keyUsage lacks cRLSign" },
		{ "CRL signer", A_SIGNER, A_SIGNER, A_CA, A_SIGNER, 0, NULL },
		{ "CRL signer, a byte changed", A_SIGNER, A_SIGNER, A_CA, A_SIGNER, 1,
		  "does not verify with the CRL signer's key" },
		{ "CRL signer without cRLSign", A_SIGNER_NOKU, A_SIGNER_NOKU, A_CA,
		  A_SIGNER_NOKU, 0, "the CRL signer certificate has no keyUsage cRLSign" },
		{ "CRL signer of another CA", A_SIGNER_OTHERCA, A_SIGNER_OTHERCA, A_CA,
		  A_SIGNER_OTHERCA, 0, "is issued by \"O=OCSP unit tests,CN=Other CA\"" },
		{ "CRL signer not valid yet", A_SIGNER_EXPIRED, A_SIGNER_EXPIRED, A_CA,
		  A_SIGNER_EXPIRED, 0, "was not valid at the CRL's thisUpdate" },
		{ "CA's CRL, a signer given", A_CA, A_CA, A_CA, A_SIGNER, 0,
		  "not by the CRL signer \"O=OCSP unit tests,CN=CRL Signer\"" },
		{ "signer's name, CA's key", A_CA, A_SIGNER, A_CA, A_SIGNER, 0,
		  "does not verify with the CRL signer's key" },
		{ "signer's CRL, no signer given", A_SIGNER, A_SIGNER, A_CA, A_NONE, 0,
		  "not by the CA" },
	};
	static const uint8_t marker[] = { 0x02, 0x04, 0x5e, 0xc7, 0x1a, 0x3d };
	const struct pki_crl_entry entry = { .serial_long = 0x5ec71a3d,
	    .revoked_at = T0 - DAY, .reason = 1 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pki_crl_opts o = { .entries = &entry, .n = 1, .number = 1,
		    .delta_base = -1, .next_update = T0 + DAY };
		size_t len;
		uint8_t *der = crl_der_of(o, cases[i].signed_by, cases[i].named, &len);
		struct crl *c;
		struct err e = { "" };
		int r;

		check_case("verify: %s", cases[i].what);
		if (cases[i].tamper) {
			/* The serial's last byte: still a CRL, no longer the one signed. */
			uint8_t *p = memmem(der, len, marker, sizeof(marker));
			CHECK(p != NULL);
			if (p != NULL)
				p[sizeof(marker) - 1] ^= 1;
		}
		c = parse_or_fail(der, len, "v.crl");
		if (c != NULL) {
			r = crl_verify(c, cert[cases[i].ca], cases[i].signer ?
			    cert[cases[i].signer] : NULL, &e);
			if (cases[i].want == NULL) {
				CHECK_EQ(r, 0);
				if (r != 0)
					fprintf(stderr, "  %s\n", e.msg);
			} else {
				CHECK_EQ(r, -1);
				CHECK_CONTAINS(e.msg, "v.crl: ");
				CHECK_CONTAINS(e.msg, cases[i].want);
			}
		}
		crl_free(c);
		free(der);
	}
	check_case_clear();
}

/* ---- accessors and completeness ---- */

static void test_accessors(void)
{
	static const struct {
		const char *what;
		struct pki_crl_opts o;
		const char *complete_err;	/* crl_check_complete */
		struct crl_scope scope;
	} cases[] = {
		{ "plain", { THREE }, NULL, { 0 } },
		{ "onlyContainsUserCerts", { THREE, .idp = 1, .idp_only_user = 1 }, NULL,
		  { .has_idp = 1, .only_user = 1 } },
		{ "onlyContainsCACerts", { THREE, .idp = 1, .idp_only_ca = 1 },
		  "covers only CA certificates", { .has_idp = 1, .only_ca = 1 } },
		{ "onlyContainsAttributeCerts", { THREE, .idp = 1, .idp_only_attr = 1 },
		  "covers only attribute certificates", { .has_idp = 1, .only_attr = 1 } },
		{ "onlySomeReasons", { THREE, .idp = 1, .idp_some_reasons = 1 },
		  "covers only some revocation reasons", { .has_idp = 1,
		  .only_some_reasons = 1 } },
		{ "indirect", { THREE, .idp = 1, .idp_indirect = 1 }, NULL,
		  { .has_idp = 1, .indirect = 1 } },
		{ "delta", { .entries = three, .n = 3, .number = 8, .delta_base = 7,
		  .next_update = T0 + DAY }, "a delta CRL lists only changes", { 0 } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		uint8_t *der = crl_der_of(cases[i].o, A_CA, A_CA, &len);
		struct crl *c = parse_or_fail(der, len, "a.crl");
		struct crl_scope s;
		struct err e = { "" };

		check_case("accessors: %s", cases[i].what);
		if (c == NULL) {
			free(der);
			continue;
		}
		crl_scope(c, &s);
		CHECK_MEM(&s, sizeof(s), &cases[i].scope, sizeof(s));
		if (cases[i].complete_err == NULL) {
			CHECK_EQ(crl_check_complete(c, &e), 0);
		} else {
			CHECK_EQ(crl_check_complete(c, &e), -1);
			CHECK_CONTAINS(e.msg, cases[i].complete_err);
		}
		crl_free(c);
		free(der);
	}

	/* An expired CRL (nextUpdate long past) parses and verifies: expiry is
	 * the caller's policy, told by the accessors. */
	struct pki_crl_opts o = { THREE, .this_update = T0 - 30 * DAY };
	o.next_update = T0 - 23 * DAY;
	size_t len;
	uint8_t *der = crl_der_of(o, A_CA, A_CA, &len);
	struct crl *c = parse_or_fail(der, len, "old.crl");
	struct serial n, want;
	struct err e = { "" };
	int64_t t = 0;

	check_case("accessors: expired CRL");
	if (c != NULL) {
		CHECK_EQ(crl_verify(c, cert[A_CA], NULL, &e), 0);
		CHECK_EQ(crl_this_update(c), T0 - 30 * DAY);
		CHECK_EQ(crl_next_update(c, &t, &e), 0);
		CHECK_EQ(t, T0 - 23 * DAY);
		CHECK_EQ(crl_number(c, &n), 1);
		serial_from_bytes(&want, (const uint8_t *)"\x07", 1);
		CHECK_EQ(serial_cmp(&n, &want), 0);
		CHECK_EQ(crl_delta_base(c, &n), 0);
		CHECK_EQ(crl_entries(c), 3);
		CHECK(X509_NAME_cmp(crl_issuer(c), name_of(A_CA)) == 0);
		CHECK_STR(crl_name(c), "old.crl");
	}
	crl_free(c);
	free(der);

	/* No nextUpdate, no cRLNumber. */
	der = crl_der_of((struct pki_crl_opts){ .entries = three, .n = 3, .number = -1,
	    .delta_base = -1 }, A_CA, A_CA, &len);
	c = parse_or_fail(der, len, "bare.crl");
	check_case("accessors: no nextUpdate");
	if (c != NULL) {
		CHECK_EQ(crl_next_update(c, &t, &e), -1);
		CHECK_STR(e.msg, "bare.crl: no nextUpdate");
		CHECK_EQ(crl_number(c, &n), 0);
	}
	crl_free(c);
	free(der);
	check_case_clear();
}

/* ---- crl_records ---- */

struct want_rec {
	long serial;
	int reason, hold;
	int64_t invalidity;
	uint32_t line;
};

static void serial_of_long(struct serial *s, long v)
{
	uint8_t b[8];

	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
	serial_from_bytes(s, b, 8);
}

static void check_recs(const struct status_list *l, const struct pki_crl_entry *en,
    const struct want_rec *want, size_t n)
{
	CHECK_EQ(l->n, n);
	for (size_t i = 0; i < n && i < l->n; i++) {
		struct serial s;
		serial_of_long(&s, want[i].serial);
		CHECK_EQ(serial_cmp(&l->v[i].serial, &s), 0);
		CHECK_EQ(l->v[i].status, CERT_REVOKED);
		CHECK_EQ(l->v[i].reason, want[i].reason);
		CHECK_EQ(l->v[i].hold, want[i].hold);
		CHECK_EQ(l->v[i].invalidity, want[i].invalidity);
		CHECK_EQ(l->v[i].line, want[i].line);
		if (en != NULL && want[i].line > 0)
			CHECK_EQ(l->v[i].revoked_at, en[want[i].line - 1].revoked_at);
	}
}

#define NR REASON_NONE
static const uint8_t serial20[20] = { 0x80, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
	14, 15, 16, 17, 18, 19 };
static const uint8_t serial33[33] = { 1 };

static void test_records(void)
{
	static const struct {
		const char *what;
		struct pki_crl_entry en[6];
		size_t n;
		const char *want_err;
		struct want_rec want[6];
		size_t nwant;
	} cases[] = {
		{ "sorted, reasons", {
		  { .serial_long = 0x10, .revoked_at = T0 - 3, .reason = 1 },
		  { .serial_long = 0x05, .revoked_at = T0 - 2, .reason = -1 },
		  { .serial_long = 0x0777, .revoked_at = T0 - 1, .reason = 0 },
		  { .serial_long = 0x06, .revoked_at = T0, .reason = 10 } }, 4, NULL,
		  { { 0x05, NR, 0, 0, 2 }, { 0x06, 10, 0, 0, 4 }, { 0x10, 1, 0, 0, 1 },
		    { 0x0777, 0, 0, 0, 3 } }, 4 },
		{ "every reason", {
		  { .serial_long = 2, .reason = 2 }, { .serial_long = 3, .reason = 3 },
		  { .serial_long = 4, .reason = 4 }, { .serial_long = 5, .reason = 5 },
		  { .serial_long = 9, .reason = 9 } }, 5, NULL,
		  { { 2, 2, 0, 0, 1 }, { 3, 3, 0, 0, 2 }, { 4, 4, 0, 0, 3 }, { 5, 5, 0, 0, 4 },
		    { 9, 9, 0, 0, 5 } }, 5 },
		{ "holds", {
		  { .serial_long = 1, .reason = 6 },
		  { .serial_long = 2, .reason = 6, .hold_nid = NID_hold_instruction_none },
		  { .serial_long = 3, .reason = 6, .hold_nid = NID_hold_instruction_call_issuer },
		  { .serial_long = 4, .reason = 6, .hold_nid = NID_hold_instruction_reject } },
		  4, NULL,
		  { { 1, 6, HOLD_NOT_SET, 0, 1 }, { 2, 6, HOLD_NONE, 0, 2 },
		    { 3, 6, HOLD_CALL_ISSUER, 0, 3 }, { 4, 6, HOLD_REJECT, 0, 4 } }, 4 },
		{ "invalidity", {
		  { .serial_long = 1, .reason = 1, .invalidity = T0 - 5 * DAY },
		  { .serial_long = 2, .reason = -1, .invalidity = 1000000000 } }, 2, NULL,
		  { { 1, 1, 0, T0 - 5 * DAY, 1 }, { 2, NR, 0, 1000000000, 2 } }, 2 },
		{ "empty", { { 0 } }, 0, NULL, { { 0 } }, 0 },
		{ "serial zero", { { .serial_long = 0, .reason = -1 } }, 1, NULL,
		  { { 0, NR, 0, 0, 1 } }, 1 },
		{ "negative serial", { { .serial_long = 1, .reason = 1 },
		  { .serial_long = 2, .neg = 1, .reason = 1 } }, 2,
		  "entry 2: negative serial number", { { 0 } }, 0 },
		{ "33-octet serial", { { .serial = serial33, .serial_len = 33, .reason = 1 } }, 1,
		  "entry 1: serial number longer than 32 octets", { { 0 } }, 0 },
		{ "duplicate", { { .serial_long = 5, .reason = 1 }, { .serial_long = 6,
		  .reason = 1 }, { .serial_long = 5, .reason = 4 } }, 3,
		  "serial 05 is on entries 1 and 3", { { 0 } }, 0 },
		{ "reason 7", { { .serial_long = 5, .reason = 7 } }, 1,
		  "entry 1: reasonCode is not a CRLReason", { { 0 } }, 0 },
		{ "reason 11", { { .serial_long = 5, .reason = 11 } }, 1,
		  "entry 1: reasonCode is not a CRLReason", { { 0 } }, 0 },
		{ "removeFromCRL in a full CRL", { { .serial_long = 5, .reason = 1 },
		  { .serial_long = 6, .reason = 8 } }, 2,
		  "entry 2: removeFromCRL outside a delta CRL", { { 0 } }, 0 },
		{ "hold instruction without hold", { { .serial_long = 5, .reason = 1,
		  .hold_nid = NID_hold_instruction_reject } }, 1,
		  "entry 1: a hold instruction without reason certificateHold", { { 0 } }, 0 },
		{ "unknown hold instruction", { { .serial_long = 5, .reason = 6,
		  .hold_nid = NID_sha256 } }, 1,
		  "entry 1: unknown hold instruction 2.16.840.1.101.3.4.2.1", { { 0 } }, 0 },
		{ "unknown critical entry extension", { { .serial_long = 5, .reason = 1 },
		  { .serial_long = 6, .reason = 1, .unknown_critical = 1 } }, 2,
		  "entry 2: unknown critical extension 1.3.6.1.4.1.55555.1", { { 0 } }, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pki_crl_opts o = { .entries = cases[i].en, .n = cases[i].n,
		    .number = 3, .delta_base = -1, .next_update = T0 + DAY };
		size_t len;
		uint8_t *der = crl_der_of(o, A_CA, A_CA, &len);
		struct crl *c = parse_or_fail(der, len, "r.crl");
		struct status_list l;
		struct err e = { "" };
		int r;

		check_case("records: %s", cases[i].what);
		status_list_init(&l);
		if (c != NULL) {
			CHECK_EQ(crl_entries(c), cases[i].n);
			r = crl_records(c, name_of(A_CA), &l, &e);
			if (cases[i].want_err == NULL) {
				CHECK_EQ(r, 0);
				if (r != 0)
					fprintf(stderr, "  %s\n", e.msg);
				else
					check_recs(&l, cases[i].en, cases[i].want, cases[i].nwant);
			} else {
				CHECK_EQ(r, -1);
				CHECK_CONTAINS(e.msg, "r.crl: ");
				CHECK_CONTAINS(e.msg, cases[i].want_err);
			}
		}
		status_list_fini(&l);
		crl_free(c);
		free(der);
	}

	/* A 20-octet serial with its top bit set: 21 octets of INTEGER. */
	const struct pki_crl_entry big = { .serial = serial20, .serial_len = 20,
	    .reason = 1 };
	size_t len;
	uint8_t *der = crl_der_of((struct pki_crl_opts){ .entries = &big, .n = 1,
	    .number = 1, .delta_base = -1 }, A_CA, A_CA, &len);
	struct crl *c = parse_or_fail(der, len, "r.crl");
	struct status_list l;
	struct err e = { "" };

	check_case("records: 20-octet serial");
	status_list_init(&l);
	CHECK(c != NULL && crl_records(c, NULL, &l, &e) == 0);
	CHECK_EQ(l.n, 1);
	if (l.n == 1)
		CHECK_MEM(l.v[0].serial.b, l.v[0].serial.len, serial20, 20);
	status_list_fini(&l);
	crl_free(c);
	free(der);
	check_case_clear();
}

/* ---- indirect CRLs ---- */

static void test_indirect(void)
{
	X509_NAME *ca = X509_NAME_dup(name_of(A_CA)), *other = X509_NAME_dup(name_of(A_OTHER));
	const struct pki_crl_entry en[] = {
		{ .serial_long = 1, .reason = 1 },			/* the signer's */
		{ .serial_long = 2, .reason = 1, .cert_issuer = ca },	/* the CA's */
		{ .serial_long = 3, .reason = 4 },			/* still the CA's */
		{ .serial_long = 2, .reason = 5, .cert_issuer = other },/* another CA's */
		{ .serial_long = 4, .reason = 1 },			/* still other's */
		{ .serial_long = 9, .reason = 3, .cert_issuer = ca },	/* the CA's again */
	};
	static const struct want_rec want_ca[] = { { 2, 1, 0, 0, 2 }, { 3, 4, 0, 0, 3 },
		{ 9, 3, 0, 0, 6 } };
	static const struct want_rec want_other[] = { { 2, 5, 0, 0, 4 }, { 4, 1, 0, 0, 5 } };
	static const struct want_rec want_signer[] = { { 1, 1, 0, 0, 1 } };
	struct pki_crl_opts o = { .entries = en, .n = 6, .number = 2, .delta_base = -1,
	    .next_update = T0 + DAY, .idp = 1, .idp_indirect = 1 };
	size_t len;
	uint8_t *der = crl_der_of(o, A_SIGNER, A_SIGNER, &len);
	struct crl *c = parse_or_fail(der, len, "i.crl");
	struct status_list l;
	struct err e = { "" };

	check_case("indirect");
	if (c != NULL) {
		CHECK_EQ(crl_verify(c, cert[A_CA], cert[A_SIGNER], &e), 0);
		status_list_init(&l);
		CHECK_EQ(crl_records(c, name_of(A_CA), &l, &e), 0);
		check_recs(&l, en, want_ca, 3);
		status_list_fini(&l);
		CHECK_EQ(crl_records(c, name_of(A_OTHER), &l, &e), 0);
		check_recs(&l, en, want_other, 2);
		status_list_fini(&l);
		CHECK_EQ(crl_records(c, NULL, &l, &e), 0);
		check_recs(&l, en, want_signer, 1);
		status_list_fini(&l);
	}
	crl_free(c);
	free(der);

	/* The same entries without indirectCRL. */
	o.idp_indirect = 0;
	der = crl_der_of(o, A_SIGNER, A_SIGNER, &len);
	c = parse_or_fail(der, len, "i.crl");
	check_case("certificateIssuer, not indirect");
	status_list_init(&l);
	CHECK(c != NULL && crl_records(c, NULL, &l, &e) == -1);
	CHECK_CONTAINS(e.msg, "i.crl: entry 2: certificateIssuer in a CRL that is not indirect");
	status_list_fini(&l);
	/* And a CRL that is not indirect, asked for another CA's entries. */
	check_case("not indirect, another CA");
	CHECK(c != NULL && crl_records(c, name_of(A_CA), &l, &e) == -1);
	CHECK_CONTAINS(e.msg, "i.crl: issued by \"O=OCSP unit tests,CN=CRL Signer\", not by "
	    "\"O=OCSP unit tests,CN=CRL Test CA\", and not an indirect CRL");
	status_list_fini(&l);
	crl_free(c);
	free(der);
	X509_NAME_free(ca);
	X509_NAME_free(other);
	check_case_clear();
}

/* ---- crl_apply_delta ---- */

static struct crl *crl_of(struct pki_crl_opts o, enum actor named, const char *name)
{
	size_t len;
	uint8_t *der = crl_der_of(o, named, named, &len);
	struct crl *c = parse_or_fail(der, len, name);

	free(der);
	return c;
}

static void test_delta(void)
{
	static const struct pki_crl_entry base_en[] = {
		{ .serial_long = 1, .revoked_at = T0 - 9, .reason = 1 },
		{ .serial_long = 2, .revoked_at = T0 - 8, .reason = 6,
		  .hold_nid = NID_hold_instruction_reject },
		{ .serial_long = 3, .revoked_at = T0 - 7, .reason = 4 },
		{ .serial_long = 7, .revoked_at = T0 - 6, .reason = 6 },
	};
	static const struct pki_crl_entry delta_en[] = {
		{ .serial_long = 2, .revoked_at = T0 - 5, .reason = 8 },	/* released */
		{ .serial_long = 3, .revoked_at = T0 - 4, .reason = 8 },	/* stays */
		{ .serial_long = 4, .revoked_at = T0 - 3, .reason = 1 },	/* new */
		{ .serial_long = 1, .revoked_at = T0 - 9, .reason = 2 },	/* changed */
		{ .serial_long = 5, .revoked_at = T0 - 2, .reason = 8 },	/* unknown */
		{ .serial_long = 7, .revoked_at = T0 - 1, .reason = 1 },	/* hold to final */
	};
	struct pki_crl_opts bo = { .entries = base_en, .n = 4, .number = 10,
	    .delta_base = -1, .next_update = T0 + DAY };
	struct pki_crl_opts dopt = { .entries = delta_en, .n = 6, .number = 11,
	    .delta_base = 10, .next_update = T0 + DAY };
	struct crl *base = crl_of(bo, A_CA, "base.crl"), *d;
	struct status_list l;
	struct err e = { "" };
	static const struct want_rec want[] = { { 1, 2, 0, 0, 4 }, { 3, 4, 0, 0, 3 },
		{ 4, 1, 0, 0, 3 }, { 7, 1, 0, 0, 6 } };

	if (base == NULL)
		return;
	status_list_init(&l);
	check_case("delta: apply");
	CHECK_EQ(crl_records(base, NULL, &l, &e), 0);
	CHECK_EQ(l.n, 4);
	d = crl_of(dopt, A_CA, "delta.crl");
	CHECK(d != NULL && crl_apply_delta(&l, base, d, NULL, &e) == 0);
	check_recs(&l, NULL, want, 4);
	if (l.n == 4) {
		CHECK_EQ(l.v[1].revoked_at, T0 - 7);	/* the base's entry, kept */
		CHECK_EQ(l.v[3].revoked_at, T0 - 1);
	}
	crl_free(d);

	/* The delta CRL is based on an older CRL than the base: fine. */
	dopt.delta_base = 8;
	d = crl_of(dopt, A_CA, "delta.crl");
	status_list_fini(&l);
	CHECK_EQ(crl_records(base, NULL, &l, &e), 0);
	check_case("delta: older base number");
	CHECK(d != NULL && crl_apply_delta(&l, base, d, NULL, &e) == 0);
	CHECK_EQ(l.n, 4);
	crl_free(d);

	static const struct {
		const char *what;
		long number, delta_base;
		int idp;
		enum actor named;
		int base_is_delta;
		const char *want;
	} bad[] = {
		{ "base number too new", 11, 12, 0, A_CA, 0,
		  "delta.crl: based on CRL number 0C, newer than the base CRL's 0A" },
		{ "number not above", 10, 9, 0, A_CA, 0,
		  "delta.crl: CRL number 0A is not above the base CRL's 0A" },
		{ "not a delta", 11, -1, 0, A_CA, 0, "delta.crl: not a delta CRL" },
		{ "no number", -1, 10, 0, A_CA, 0, "delta.crl: no cRLNumber" },
		{ "another issuer", 11, 10, 0, A_OTHER, 0,
		  "delta.crl: not issued by the base CRL's issuer" },
		{ "another scope", 11, 10, 1, A_CA, 0,
		  "delta.crl: its issuingDistributionPoint differs" },
		{ "base is a delta", 11, 10, 0, A_CA, 1,
		  "delta.crl: a delta CRL cannot be the base of another" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pki_crl_opts o = dopt;
		struct status_list before;
		check_case("delta: %s", bad[i].what);
		o.number = bad[i].number;
		o.delta_base = bad[i].delta_base;
		o.idp = bad[i].idp;
		o.idp_only_user = bad[i].idp;
		d = crl_of(o, bad[i].named, "delta.crl");
		before = l;
		if (d != NULL) {
			const struct crl *b = bad[i].base_is_delta ? d : base;
			CHECK_EQ(crl_apply_delta(&l, b, d, NULL, &e), -1);
			CHECK_CONTAINS(e.msg, bad[i].want);
			CHECK(l.v == before.v && l.n == before.n);	/* unchanged */
		}
		crl_free(d);
	}
	status_list_fini(&l);
	crl_free(base);
	check_case_clear();
}

/* ---- identity ---- */

static void test_id(void)
{
	struct crl *a = crl_of((struct pki_crl_opts){ THREE }, A_CA, "a");
	struct crl *b = crl_of((struct pki_crl_opts){ THREE }, A_CA, "b");
	struct crl_id ia, ia2, ib;
	const uint8_t *der;
	size_t len;
	struct crl *a2;

	check_case("identity");
	if (a == NULL || b == NULL) {
		crl_free(a);
		crl_free(b);
		return;
	}
	der = crl_der(a, &len);
	a2 = parse_or_fail(der, len, "a2");
	crl_get_id(a, &ia);
	crl_get_id(a2, &ia2);
	crl_get_id(b, &ib);
	CHECK(crl_id_eq(&ia, &ia2));
	/* ECDSA signatures differ: same content, another CRL. */
	CHECK(!crl_id_eq(&ia, &ib));
	CHECK_EQ(ia.has_number, 1);
	CHECK_EQ(ia.number.len, 1);
	CHECK_EQ(ia.number.b[0], 7);
	CHECK_EQ(ia.this_update, T0);
	crl_free(a);
	crl_free(a2);
	crl_free(b);
	check_case_clear();
}

/* ---- CRLs from the openssl CLI ---- */

static char dir[256];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static void remove_dir(void)
{
	if (dir[0] != '\0')
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void must_run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) == 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "failed:");
		for (int i = 0; argv[i] != NULL; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
		exit(2);
	}
}

static const char *in_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
	return buf;
}

static void write_text(const char *name, const char *text)
{
	char path[512];
	FILE *f = fopen(in_dir(path, sizeof(path), name), "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static void cli_ca(void)
{
	char conf[2048], cnf[512], kpath[512], pem[512], csr[512], out[512], n[16];
	const char *base = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/ocsp-crl.XXXXXX", base && base[0] ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	atexit(remove_dir);
	snprintf(conf, sizeof(conf),
	    "[ca]\ndefault_ca = ca_sec\n"
	    "[ca_sec]\ndir = %s\ndatabase = $dir/index.txt\nnew_certs_dir = $dir\n"
	    "certificate = $dir/ca.pem\nprivate_key = $dir/ca.key\nserial = $dir/serial\n"
	    "crlnumber = $dir/crlnumber\ndefault_md = sha256\ndefault_crl_days = 7\n"
	    "default_days = 30\npolicy = pol\ncrl_extensions = crlext\nunique_subject = no\n"
	    "[pol]\ncommonName = supplied\n"
	    "[crlext]\nauthorityKeyIdentifier = keyid:always\n"
	    /* openssl ca has no delta switch; the extension by OID does it. */
	    "[delta]\nauthorityKeyIdentifier = keyid:always\n"
	    "2.5.29.27 = critical,DER:02:01:05\n", dir);
	write_text("ca.cnf", conf);
	write_text("index.txt", "");
	write_text("serial", "1000\n");
	write_text("crlnumber", "05\n");
	in_dir(cnf, sizeof(cnf), "ca.cnf");
	must_run((char *[]){ "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:P-256", "-nodes", "-keyout", (char *)in_dir(kpath, sizeof(kpath),
	    "ca.key"), "-out", (char *)in_dir(pem, sizeof(pem), "ca.pem"), "-subj",
	    "/CN=CLI CA", "-days", "30", NULL });
	for (int i = 1; i <= 4; i++) {
		snprintf(n, sizeof(n), "k%d", i);
		in_dir(kpath, sizeof(kpath), n);
		snprintf(n, sizeof(n), "r%d", i);
		in_dir(csr, sizeof(csr), n);
		snprintf(n, sizeof(n), "c%d", i);
		in_dir(out, sizeof(out), n);
		must_run((char *[]){ "openssl", "req", "-newkey", "ec", "-pkeyopt",
		    "ec_paramgen_curve:P-256", "-nodes", "-keyout", kpath, "-out", csr, "-subj",
		    "/CN=leaf", NULL });
		must_run((char *[]){ "openssl", "ca", "-batch", "-config", cnf, "-in", csr,
		    "-out", out, NULL });
	}
	must_run((char *[]){ "openssl", "ca", "-config", cnf, "-revoke",
	    (char *)in_dir(out, sizeof(out), "c1"), "-crl_reason", "keyCompromise", NULL });
	must_run((char *[]){ "openssl", "ca", "-config", cnf, "-revoke",
	    (char *)in_dir(out, sizeof(out), "c2"), "-crl_hold", "holdInstructionReject", NULL });
	must_run((char *[]){ "openssl", "ca", "-config", cnf, "-revoke",
	    (char *)in_dir(out, sizeof(out), "c3"), "-crl_compromise", "20240101000000Z", NULL });
	must_run((char *[]){ "openssl", "ca", "-config", cnf, "-gencrl", "-out",
	    (char *)in_dir(out, sizeof(out), "full.pem"), NULL });
	must_run((char *[]){ "openssl", "crl", "-in", out, "-outform", "DER", "-out",
	    (char *)in_dir(pem, sizeof(pem), "full.der"), NULL });
	must_run((char *[]){ "openssl", "ca", "-config", cnf, "-revoke",
	    (char *)in_dir(out, sizeof(out), "c4"), "-crl_reason", "removeFromCRL", NULL });
	must_run((char *[]){ "openssl", "ca", "-config", cnf, "-gencrl", "-crlexts", "delta",
	    "-out", (char *)in_dir(out, sizeof(out), "delta.pem"), NULL });
}

static struct crl *cli_crl(const char *name)
{
	char path[512];
	uint8_t *buf = NULL;
	size_t len = 0;
	struct crl *c = NULL;
	struct err e = { "" };

	if (fs_read_file(in_dir(path, sizeof(path), name), CRL_MAX_BYTES, &buf, &len, &e) != 0 ||
	    crl_parse(buf, len, name, &c, &e) != 0)
		check_fail(__FILE__, __LINE__, "%s: %s", name, e.msg);
	free(buf);
	return c;
}

static void test_cli(void)
{
	static const struct want_rec want[] = {
		{ 0x1000, REASON_KEY_COMPROMISE, 0, 0, 1 },
		{ 0x1001, REASON_CERTIFICATE_HOLD, HOLD_REJECT, 0, 2 },
		{ 0x1002, REASON_KEY_COMPROMISE, 0, 1704067200, 3 },	/* 2024-01-01 */
	};
	static const char *const files[] = { "full.pem", "full.der" };
	char path[512];
	int64_t start = (int64_t)time(NULL) - 60, t;
	struct status_list l, dl;
	struct crl *c, *d;
	struct serial s;
	X509 *ca = NULL;
	struct err e = { "" };

	cli_ca();
	if (pem_read_cert(in_dir(path, sizeof(path), "ca.pem"), &ca, &e) != 0) {
		check_fail(__FILE__, __LINE__, "%s", e.msg);
		return;
	}
	for (size_t i = 0; i < 2; i++) {
		check_case("openssl ca: %s", files[i]);
		if ((c = cli_crl(files[i])) == NULL)
			continue;
		CHECK_EQ(crl_verify(c, ca, NULL, &e), 0);
		CHECK_EQ(crl_check_complete(c, &e), 0);
		CHECK_EQ(crl_number(c, &s), 1);
		CHECK(s.len == 1 && s.b[0] == 5);
		CHECK_EQ(crl_next_update(c, &t, &e), 0);
		CHECK_EQ(t - crl_this_update(c), 7 * DAY);
		status_list_init(&l);
		CHECK_EQ(crl_records(c, X509_get_subject_name(ca), &l, &e), 0);
		check_recs(&l, NULL, want, 3);
		for (size_t j = 0; j < l.n; j++)
			CHECK(l.v[j].revoked_at >= start && l.v[j].revoked_at <= start + 600);
		if (i == 0) {
			check_case("openssl ca: delta");
			d = cli_crl("delta.pem");
			CHECK(d != NULL && crl_verify(d, ca, NULL, &e) == 0);
			CHECK(d != NULL && crl_delta_base(d, &s) == 1 && s.b[0] == 5);
			CHECK(d != NULL && crl_check_complete(d, &e) == -1);
			status_list_init(&dl);
			/* the delta's own records: removeFromCRL for c4 (1003) */
			CHECK(d != NULL && crl_records(d, NULL, &dl, &e) == 0);
			CHECK_EQ(dl.n, 4);
			if (dl.n == 4)
				CHECK_EQ(dl.v[3].reason, REASON_REMOVE_FROM_CRL);
			status_list_fini(&dl);
			CHECK(d != NULL && crl_apply_delta(&l, c, d, NULL, &e) == 0);
			check_recs(&l, NULL, want, 3);
			crl_free(d);
			/* A byte of the signed part changed (a digit of thisUpdate). */
			check_case("openssl ca: tampered");
			size_t len;
			const uint8_t *der = crl_der(c, &len);
			uint8_t *copy = malloc(len);
			memcpy(copy, der, len);
			uint8_t *p = memmem(copy, len, "Z\x17\x0d", 3);	/* end of thisUpdate */
			CHECK(p != NULL);
			if (p != NULL) {
				p[-1] = p[-1] == '0' ? '1' : '0';	/* a second */
				struct crl *bad = parse_or_fail(copy, len, "tampered.der");
				CHECK(bad != NULL && crl_verify(bad, ca, NULL, &e) == -1);
				CHECK_CONTAINS(e.msg, "tampered.der: the signature does not verify");
				crl_free(bad);
			}
			free(copy);
		}
		status_list_fini(&l);
		crl_free(c);
	}
	X509_free(ca);
	check_case_clear();
}

int main(void)
{
	make_actors();
	test_parse();
	test_verify();
	test_accessors();
	test_records();
	test_indirect();
	test_delta();
	test_id();
	test_cli();
	for (int a = 0; a < A_COUNT; a++) {
		X509_free(cert[a]);
		EVP_PKEY_free(key[a]);
	}
	return check_done();
}
