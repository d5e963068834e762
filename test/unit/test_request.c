/* The OCSP request parser, fed with requests that OpenSSL's own API makes
 * (as `openssl ocsp` and every OpenSSL-based client would send them) and
 * with hand-made DER for what OpenSSL will not produce. */
#include "ocsp/request.h"

#include <time.h>

#include <openssl/err.h>

#include "ocsp/der.h"
#include "check.h"
#include "pki.h"

static X509 *ca_cert;
static EVP_PKEY *ca_key;

static void setup(void)
{
	int64_t now = time(NULL);
	struct pki_cert_opts o = { .cn = "Request Test CA", .serial = 1,
	    .not_before = now - 3600, .not_after = now + 86400, .ca = 1 };

	ca_key = pki_key(PKI_EC256);
	o.key = ca_key;
	ca_cert = pki_cert(&o);
}

/* The hashes a CertID must carry, computed here without layout's help. */
static void expected_hashes(const EVP_MD *md, uint8_t *name, uint8_t *key)
{
	unsigned char *der = NULL;
	int n = i2d_X509_NAME(X509_get_subject_name(ca_cert), &der);
	const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(ca_cert);

	CHECK(n > 0);
	CHECK(EVP_Digest(der, (size_t)n, name, NULL, md, NULL));
	CHECK(EVP_Digest(ASN1_STRING_get0_data(bits), (size_t)ASN1_STRING_length(bits),
	    key, NULL, md, NULL));
	OPENSSL_free(der);
}

static int parse(OCSP_REQUEST *req, size_t max, struct ocsp_request *r, struct err *e)
{
	size_t len;
	uint8_t *der = pki_request_der(req, &len);
	int ret;

	e->msg[0] = '\0';
	ret = request_parse(der, len, max, r, e);
	free(der);
	return ret;
}

static OCSP_REQUEST *request_for(OCSP_CERTID *id)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();

	CHECK(req != NULL && OCSP_request_add0_id(req, id) != NULL);
	return req;
}

static const struct {
	const char *name;
	const EVP_MD *(*md)(void);
	int alg;
} algs[] = {
	{ "sha1", EVP_sha1, HASH_SHA1 },
	{ "sha256", EVP_sha256, HASH_SHA256 },
	{ "sha384", EVP_sha384, HASH_SHA384 },
	{ "sha512", EVP_sha512, HASH_SHA512 },
	{ "md5", EVP_md5, -1 },
	{ "sha224", EVP_sha224, -1 },
};

static void test_algorithms(void)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		struct ocsp_request r;
		struct err e;
		uint8_t name[EVP_MAX_MD_SIZE], key[EVP_MAX_MD_SIZE];
		char serial[SERIAL_NAME_MAX + 1];
		OCSP_REQUEST *req = request_for(pki_certid(algs[i].md(), ca_cert, 0x1234));

		check_case("%s", algs[i].name);
		CHECK_EQ(parse(req, 1, &r, &e), REQUEST_OK);
		CHECK_EQ(r.n, 1);
		CHECK_EQ(r.id[0].alg, algs[i].alg);
		CHECK_EQ(r.id[0].serial_ok, 1);
		serial_name(&r.id[0].serial, serial);
		CHECK_STR(serial, "1234");
		CHECK_EQ(r.has_nonce, 0);
		CHECK_EQ(r.nonce_len, 0);
		CHECK_EQ(r.is_signed, 0);
		if (algs[i].alg >= 0) {
			size_t hl = hash_len(algs[i].alg);
			expected_hashes(algs[i].md(), name, key);
			CHECK_MEM(r.id[0].name_hash, hl, name, hl);
			CHECK_MEM(r.id[0].key_hash, hl, key, hl);
		}
		OCSP_REQUEST_free(req);
	}
	check_case_clear();
}

static const struct {
	const char *what;
	uint8_t mag[40];
	size_t n;
	int neg;
	int ok;
	const char *name;
} serials[] = {
	{ "0", { 0 }, 1, 0, 1, "00" },
	{ "1", { 1 }, 1, 0, 1, "01" },
	{ "0x80", { 0x80 }, 1, 0, 1, "80" },
	{ "0xff00", { 0xff, 0x00 }, 2, 0, 1, "FF00" },
	{ "20 octets, top bit", { 0x9f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	  16, 17, 18, 19 }, 20, 0, 1, "9F0102030405060708090A0B0C0D0E0F10111213" },
	{ "32 octets", { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 32, 0, 1,
	  "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF" },
	{ "33 octets", { 1 }, 33, 0, 0, NULL },
	{ "-5", { 5 }, 1, 1, 0, NULL },
	{ "-0x80", { 0x80 }, 1, 1, 0, NULL },
};

static void test_serials(void)
{
	for (size_t i = 0; i < sizeof(serials) / sizeof(serials[0]); i++) {
		struct ocsp_request r;
		struct err e;
		char name[SERIAL_NAME_MAX + 1];
		OCSP_REQUEST *req = request_for(pki_certid_bytes(EVP_sha1(), ca_cert,
		    serials[i].mag, serials[i].n, serials[i].neg));

		check_case("serial %s", serials[i].what);
		/* an unusable serial is still a well-formed request */
		CHECK_EQ(parse(req, 1, &r, &e), REQUEST_OK);
		CHECK_EQ(r.n, 1);
		CHECK_EQ(r.id[0].serial_ok, serials[i].ok);
		if (serials[i].ok) {
			serial_name(&r.id[0].serial, name);
			CHECK_STR(name, serials[i].name);
		}
		OCSP_REQUEST_free(req);
	}
	check_case_clear();
}

/* The nonce's extnValue as OpenSSL wrote it into the request. */
static int request_nonce(OCSP_REQUEST *req, const uint8_t **p, size_t *n)
{
	int idx = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1);
	const ASN1_OCTET_STRING *v;

	if (idx < 0)
		return 0;
	v = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(req, idx));
	*p = ASN1_STRING_get0_data(v);
	*n = (size_t)ASN1_STRING_length(v);
	return 1;
}

static void test_nonce_lengths(void)
{
	static const struct {
		int len;		/* given to OCSP_request_add1_nonce */
		int ok;
		size_t ext_len;		/* extnValue: OCTET STRING header + value */
	} cases[] = {
		{ 0, 1, 18 },		/* OpenSSL picks 16 random octets */
		{ 1, 1, 3 },
		{ 16, 1, 18 },
		{ 32, 1, 34 },
		{ 33, 1, 35 },		/* RFC 8954's old cap of 32 is gone */
		{ 127, 1, 129 },
		{ 128, 1, 131 },
		{ 129, 0, 132 },
		{ 200, 0, 203 },
	};
	uint8_t val[256];

	for (size_t i = 0; i < sizeof(val); i++)
		val[i] = (uint8_t)(0xa0 ^ i);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ocsp_request r;
		struct err e;
		const uint8_t *ext = NULL;
		size_t ext_len = 0;
		OCSP_REQUEST *req = request_for(pki_certid(EVP_sha1(), ca_cert, 7));

		check_case("nonce of %d", cases[i].len);
		CHECK(OCSP_request_add1_nonce(req, cases[i].len ? val : NULL, cases[i].len));
		CHECK(request_nonce(req, &ext, &ext_len));
		CHECK_EQ(ext_len, cases[i].ext_len);
		if (!cases[i].ok) {
			CHECK_EQ(parse(req, 1, &r, &e), REQUEST_MALFORMED);
			CHECK_CONTAINS(e.msg, "nonce");
			OCSP_REQUEST_free(req);
			continue;
		}
		CHECK_EQ(parse(req, 1, &r, &e), REQUEST_OK);
		CHECK_EQ(r.has_nonce, 1);
		CHECK_MEM(r.nonce, r.nonce_len, ext, ext_len);
		CHECK_EQ(r.n, 1);
		OCSP_REQUEST_free(req);
	}
	check_case_clear();
}

/* Adds a nonce extension whose extnValue is exactly value. */
static void add_raw_nonce(OCSP_REQUEST *req, const void *value, int n)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;

	CHECK(os != NULL && ASN1_OCTET_STRING_set(os, value, n));
	ext = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_Nonce, 0, os);
	CHECK(ext != NULL && OCSP_REQUEST_add_ext(req, ext, -1));
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
}

static void test_nonce_forms(void)
{
	static const struct {
		const char *what;
		const char *value;
		int n;
		int ok;
	} cases[] = {
		{ "empty OCTET STRING", "\x04\x00", 2, 0 },
		{ "empty extnValue", "", 0, 0 },
		{ "bare octets (old clients)", "0123456789abcdef", 16, 1 },
		{ "one bare octet", "\x42", 1, 1 },
		{ "OCTET STRING with a wrong length", "\x04\x05" "abc", 5, 1 },	/* bare */
		{ "OCTET STRING, long form", "\x04\x81\x03" "abc", 6, 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ocsp_request r;
		struct err e;
		OCSP_REQUEST *req = request_for(pki_certid(EVP_sha1(), ca_cert, 7));

		check_case("nonce: %s", cases[i].what);
		add_raw_nonce(req, cases[i].value, cases[i].n);
		if (cases[i].ok) {
			CHECK_EQ(parse(req, 1, &r, &e), REQUEST_OK);
			CHECK_EQ(r.has_nonce, 1);
			CHECK_MEM(r.nonce, r.nonce_len, cases[i].value, (size_t)cases[i].n);
		} else {
			CHECK_EQ(parse(req, 1, &r, &e), REQUEST_MALFORMED);
			CHECK_CONTAINS(e.msg, "nonce of 0 octets");
		}
		OCSP_REQUEST_free(req);
	}
	check_case_clear();

	/* bare octets over the limit */
	uint8_t big[RESPONSE_NONCE_EXT_MAX + 1];
	struct ocsp_request r;
	struct err e;
	OCSP_REQUEST *req = request_for(pki_certid(EVP_sha1(), ca_cert, 7));
	memset(big, 0x55, sizeof(big));
	add_raw_nonce(req, big, (int)sizeof(big));
	CHECK_EQ(parse(req, 1, &r, &e), REQUEST_MALFORMED);
	OCSP_REQUEST_free(req);

	/* two nonces */
	req = request_for(pki_certid(EVP_sha1(), ca_cert, 7));
	add_raw_nonce(req, "\x04\x04" "abcd", 6);
	add_raw_nonce(req, "\x04\x04" "efgh", 6);
	CHECK_EQ(OCSP_REQUEST_get_ext_count(req), 2);
	CHECK_EQ(parse(req, 1, &r, &e), REQUEST_MALFORMED);
	CHECK_CONTAINS(e.msg, "more than one nonce");
	OCSP_REQUEST_free(req);
}

static OCSP_REQUEST *request_with(size_t n)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();

	for (size_t i = 0; i < n; i++) {
		const EVP_MD *md = i % 2 ? EVP_sha256() : EVP_sha1();
		CHECK(OCSP_request_add0_id(req, pki_certid(md, ca_cert, (long)i + 100)) != NULL);
	}
	return req;
}

static void test_many(void)
{
	static const struct {
		size_t n, max;
		int want;
	} cases[] = {
		{ 3, 3, REQUEST_OK },
		{ 3, 64, REQUEST_OK },
		{ 5, 4, REQUEST_TOO_MANY },
		{ 1, 0, REQUEST_TOO_MANY },
		{ 64, 64, REQUEST_OK },
		{ 64, 1000, REQUEST_OK },
		{ 65, 1000, REQUEST_TOO_MANY },		/* capped at REQUEST_MAX_CERTS */
		{ 65, 65, REQUEST_TOO_MANY },
		{ 0, 4, REQUEST_MALFORMED },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ocsp_request r;
		struct err e;
		OCSP_REQUEST *req = request_with(cases[i].n);

		check_case("%zu CertIDs, at most %zu", cases[i].n, cases[i].max);
		CHECK(OCSP_request_add1_nonce(req, (unsigned char *)"nonce", 5));
		CHECK_EQ(parse(req, cases[i].max, &r, &e), cases[i].want);
		if (cases[i].want == REQUEST_TOO_MANY)
			CHECK_CONTAINS(e.msg, "certificates");
		if (cases[i].want == REQUEST_MALFORMED)
			CHECK_CONTAINS(e.msg, "no certificate");
		if (cases[i].want != REQUEST_OK) {
			OCSP_REQUEST_free(req);
			continue;
		}
		CHECK_EQ(r.n, cases[i].n);
		CHECK_EQ(r.has_nonce, 1);
		for (size_t k = 0; k < r.n; k++) {
			char name[SERIAL_NAME_MAX + 1], want[8];
			serial_name(&r.id[k].serial, name);
			snprintf(want, sizeof(want), "%02zX", k + 100);
			CHECK_STR(name, want);
			CHECK_EQ(r.id[k].alg, k % 2 ? HASH_SHA256 : HASH_SHA1);
		}
		OCSP_REQUEST_free(req);
	}
	check_case_clear();
}

static void test_signed(void)
{
	EVP_PKEY *key = pki_key(PKI_EC256);
	int64_t now = time(NULL);
	struct pki_cert_opts o = { .cn = "Requestor", .key = key, .issuer = ca_cert,
	    .issuer_key = ca_key, .serial = 77, .not_before = now - 60,
	    .not_after = now + 3600 };
	X509 *cert = pki_cert(&o);
	OCSP_REQUEST *req = request_with(2);
	struct ocsp_request r;
	struct err e;

	CHECK(OCSP_request_add1_nonce(req, NULL, 0));
	CHECK(OCSP_request_sign(req, cert, key, EVP_sha256(), NULL, 0));
	CHECK_EQ(parse(req, 4, &r, &e), REQUEST_OK);
	CHECK_EQ(r.is_signed, 1);
	CHECK_EQ(r.n, 2);
	CHECK_EQ(r.has_nonce, 1);
	CHECK(r.signed_req != NULL);

	/* Verified on the parsed form: trusted through its CA, or not at all. */
	X509_STORE *trusted = X509_STORE_new(), *empty = X509_STORE_new();
	CHECK(trusted != NULL && empty != NULL && X509_STORE_add_cert(trusted, ca_cert));
	CHECK_EQ(request_verify(&r, trusted, &e), 1);
	CHECK_EQ(request_verify(&r, empty, &e), 0);
	CHECK_CONTAINS(e.msg, "does not verify");
	request_release(&r);
	CHECK(r.signed_req == NULL);
	request_release(&r);	/* twice is harmless */
	CHECK_EQ(request_verify(&r, trusted, &e), 0);

	OCSP_REQUEST *plain = request_with(1);
	CHECK_EQ(parse(plain, 4, &r, &e), REQUEST_OK);
	CHECK(r.signed_req == NULL);
	CHECK_EQ(request_verify(&r, trusted, &e), 0);
	CHECK_CONTAINS(e.msg, "not signed");
	OCSP_REQUEST_free(plain);
	X509_STORE_free(trusted);
	X509_STORE_free(empty);
	OCSP_REQUEST_free(req);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* The CertID of a real certificate, as `openssl ocsp -cert` makes it. */
static void test_cert_to_id(void)
{
	EVP_PKEY *key = pki_key(PKI_EC256);
	int64_t now = time(NULL);
	struct pki_cert_opts o = { .cn = "leaf", .key = key, .issuer = ca_cert,
	    .issuer_key = ca_key, .serial = 0x1234abcd, .not_before = now - 60,
	    .not_after = now + 3600 };
	X509 *leaf = pki_cert(&o);
	OCSP_REQUEST *req = request_for(OCSP_cert_to_id(EVP_sha256(), leaf, ca_cert));
	struct ocsp_request r;
	struct err e;
	uint8_t name[32], keyh[32];
	char serial[SERIAL_NAME_MAX + 1];

	CHECK_EQ(parse(req, 1, &r, &e), REQUEST_OK);
	CHECK_EQ(r.id[0].alg, HASH_SHA256);
	expected_hashes(EVP_sha256(), name, keyh);
	CHECK_MEM(r.id[0].name_hash, 32, name, 32);
	CHECK_MEM(r.id[0].key_hash, 32, keyh, 32);
	serial_name(&r.id[0].serial, serial);
	CHECK_STR(serial, "1234ABCD");
	OCSP_REQUEST_free(req);
	X509_free(leaf);
	EVP_PKEY_free(key);
}

static void test_broken_der(void)
{
	OCSP_REQUEST *req = request_with(2);
	struct ocsp_request r;
	struct err e;
	size_t len;
	uint8_t *der, *big;

	CHECK(OCSP_request_add1_nonce(req, NULL, 0));
	der = pki_request_der(req, &len);
	OCSP_REQUEST_free(req);
	CHECK_EQ(request_parse(der, len, 4, &r, &e), REQUEST_OK);

	/* every truncation */
	for (size_t n = 0; n < len; n++) {
		check_case("truncated to %zu of %zu", n, len);
		e.msg[0] = '\0';
		CHECK_EQ(request_parse(der, n, 4, &r, &e), REQUEST_MALFORMED);
		CHECK(e.msg[0] != '\0');
	}
	check_case_clear();

	/* trailing bytes */
	big = malloc(REQUEST_MAX_DER + 1);
	CHECK(big != NULL);
	if (big != NULL) {
		memcpy(big, der, len);
		big[len] = 0;
		CHECK_EQ(request_parse(big, len + 1, 4, &r, &e), REQUEST_MALFORMED);
		CHECK_CONTAINS(e.msg, "trailing");
		memcpy(big + len, der, len);
		CHECK_EQ(request_parse(big, 2 * len, 4, &r, &e), REQUEST_MALFORMED);

		/* over the size limit, whatever it holds */
		memset(big + len, 0, REQUEST_MAX_DER + 1 - len);
		CHECK_EQ(request_parse(big, REQUEST_MAX_DER + 1, 4, &r, &e), REQUEST_MALFORMED);
		free(big);
	}

	/* a flipped outer tag, garbage, an empty SEQUENCE */
	der[0] = 0x31;
	CHECK_EQ(request_parse(der, len, 4, &r, &e), REQUEST_MALFORMED);
	CHECK_EQ(request_parse((const uint8_t *)"hello, world", 12, 4, &r, &e),
	    REQUEST_MALFORMED);
	CHECK_EQ(request_parse((const uint8_t *)"\x30\x00", 2, 4, &r, &e), REQUEST_MALFORMED);
	CHECK_EQ(request_parse((const uint8_t *)"\x30\x80\x00\x00", 4, 4, &r, &e),
	    REQUEST_MALFORMED);
	free(der);
	/* the result says nothing after a failure */
	CHECK_EQ(r.n, 0);
	CHECK_EQ(r.has_nonce, 0);
}

/* OCSPRequest with one CertID, made by hand: lets the CertID hold what
 * OpenSSL's API would not build. integer is the INTEGER's content. */
static size_t handmade(uint8_t *buf, size_t cap, const uint8_t *algid, size_t algid_len,
    const uint8_t *name, size_t name_len, const uint8_t *key, size_t key_len,
    const uint8_t *integer, size_t int_len, const uint8_t **out)
{
	struct der d;

	der_init(&d, buf, cap);
	der_raw(&d, integer, int_len);
	der_header(&d, DER_INTEGER, int_len);
	der_octets(&d, key, key_len);
	der_octets(&d, name, name_len);
	der_raw(&d, algid, algid_len);
	der_wrap(&d, DER_SEQUENCE, 0);	/* CertID */
	der_wrap(&d, DER_SEQUENCE, 0);	/* Request */
	der_wrap(&d, DER_SEQUENCE, 0);	/* requestList */
	der_wrap(&d, DER_SEQUENCE, 0);	/* TBSRequest */
	der_wrap(&d, DER_SEQUENCE, 0);	/* OCSPRequest */
	CHECK(der_ok(&d));
	*out = der_data(&d);
	return der_len(&d);
}

static void test_handmade(void)
{
	static const uint8_t sha1_null[] = { 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02,
		0x1a, 0x05, 0x00 };
	static const uint8_t sha1_absent[] = { 0x30, 0x07, 0x06, 0x05, 0x2b, 0x0e, 0x03,
		0x02, 0x1a };
	static const uint8_t sha256_null[] = { 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
		0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00 };
	static const uint8_t unknown_oid[] = { 0x30, 0x05, 0x06, 0x03, 0x2a, 0x03, 0x04 };
	static const uint8_t one[] = { 0x01 }, neg[] = { 0xff };
	uint8_t h[64], buf[512];
	const uint8_t *der;
	size_t len;
	struct ocsp_request r;
	struct err e;

	memset(h, 0x11, sizeof(h));

	/* SHA-1 with absent parameters, as some clients send */
	len = handmade(buf, sizeof(buf), sha1_absent, sizeof(sha1_absent), h, 20, h, 20,
	    one, 1, &der);
	CHECK_EQ(request_parse(der, len, 1, &r, &e), REQUEST_OK);
	CHECK_EQ(r.id[0].alg, HASH_SHA1);

	len = handmade(buf, sizeof(buf), sha1_null, sizeof(sha1_null), h, 20, h, 20,
	    one, 1, &der);
	CHECK_EQ(request_parse(der, len, 1, &r, &e), REQUEST_OK);
	CHECK_EQ(r.id[0].alg, HASH_SHA1);
	CHECK_EQ(r.id[0].serial_ok, 1);

	/* hash lengths that do not match the algorithm */
	len = handmade(buf, sizeof(buf), sha1_null, sizeof(sha1_null), h, 32, h, 32,
	    one, 1, &der);
	CHECK_EQ(request_parse(der, len, 1, &r, &e), REQUEST_MALFORMED);
	CHECK_CONTAINS(e.msg, "lengths");
	len = handmade(buf, sizeof(buf), sha256_null, sizeof(sha256_null), h, 32, h, 20,
	    one, 1, &der);
	CHECK_EQ(request_parse(der, len, 1, &r, &e), REQUEST_MALFORMED);
	len = handmade(buf, sizeof(buf), sha1_null, sizeof(sha1_null), h, 0, h, 0,
	    one, 1, &der);
	CHECK_EQ(request_parse(der, len, 1, &r, &e), REQUEST_MALFORMED);

	/* an algorithm nobody knows: parsed, alg -1 */
	len = handmade(buf, sizeof(buf), unknown_oid, sizeof(unknown_oid), h, 7, h, 7,
	    one, 1, &der);
	CHECK_EQ(request_parse(der, len, 1, &r, &e), REQUEST_OK);
	CHECK_EQ(r.id[0].alg, -1);

	/* INTEGER -1 */
	len = handmade(buf, sizeof(buf), sha1_null, sizeof(sha1_null), h, 20, h, 20,
	    neg, 1, &der);
	CHECK_EQ(request_parse(der, len, 1, &r, &e), REQUEST_OK);
	CHECK_EQ(r.id[0].serial_ok, 0);

	/* an empty INTEGER is not DER */
	len = handmade(buf, sizeof(buf), sha1_null, sizeof(sha1_null), h, 20, h, 20,
	    one, 0, &der);
	CHECK_EQ(request_parse(der, len, 1, &r, &e), REQUEST_MALFORMED);
}

int main(void)
{
	setup();
	test_algorithms();
	test_serials();
	test_nonce_lengths();
	test_nonce_forms();
	test_many();
	test_signed();
	test_cert_to_id();
	test_broken_der();
	test_handmade();
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	return check_done();
}
