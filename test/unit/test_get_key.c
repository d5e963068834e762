/* GET keys: the canonical request is byte for byte what `openssl ocsp
 * -reqout` writes, and every key a client sends (raw, percent-encoded, with
 * '+' turned into a space) decodes through lookupd's own GET decoder to a
 * request for the same CertID. */
#include "ocsp/get_key.h"

#include <openssl/pem.h>

#include "ocsp/certid.h"
#include "ocsp/hex.h"
#include "ocsp/request.h"
#include "ocsp/serial.h"

#include "check.h"
#include "pki.h"

/* The CA the table's requests were made for, with
 *   openssl ocsp -issuer ca.pem -<hash> -serial <serial> -no_nonce -reqout r.der */
static const char ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBrTCCAVOgAwIBAgIUB5h2WYdbJhtc/uZsrfi/NicQQ6IwCgYIKoZIzj0EAwIw\n"
    "LDEYMBYGA1UEAwwPR0VUIGtleSB0ZXN0IENBMRAwDgYDVQQKDAdFeGFtcGxlMB4X\n"
    "DTI2MTIwMjAyNTgxOFoXDTM2MTEyOTAyNTgxOFowLDEYMBYGA1UEAwwPR0VUIGtl\n"
    "eSB0ZXN0IENBMRAwDgYDVQQKDAdFeGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0D\n"
    "AQcDQgAEsnM/rObS24sdhxZGdf/Df5irAQ07XMdVEcQJ8yFmERy66SKArxOZYkcS\n"
    "UatHxAWNwkg6dEevZaf3EcKvPn0tUKNTMFEwHQYDVR0OBBYEFPqBVMqx6keZhOhl\n"
    "NFjsc4jXhfrHMB8GA1UdIwQYMBaAFPqBVMqx6keZhOhlNFjsc4jXhfrHMA8GA1Ud\n"
    "EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgYbFuUbb8447X9MjgStBFxDim\n"
    "ueEApIXWJThrqEAFXjECIQDHc2uulYQ/giMeV4uHO2E2b+bgxYZvqEDAK+27hg3h\n"
    "hg==\n"
    "-----END CERTIFICATE-----\n";

#define H1N "041465f9888cbc0e6b3ed9b7a76572b062e68e541d49"
#define H1K "0414fa8154cab1ea479984e8653458ec7388d785fac7"
#define H256N "042064866c939f2f150c729f65461d61fb2d43472abaf2927ccca0f4f6da4afe6b9a"
#define H256K "0420eadd9618a8a1e9cc6e9234820060c6f8100b8cca8f232b0fce67daeecceead61"
#define A1 "300906052b0e03021a0500"
#define A256 "300d06096086480165030402010500"

static const struct {
	const char *serial;	/* hex, as -serial took it */
	enum hash_alg alg;
	const char *der;	/* what -reqout wrote */
} reqout[] = {
	{ "01", HASH_SHA1, "30423040303e303c303a" A1 H1N H1K "020101" },
	{ "01", HASH_SHA256, "305e305c305a30583056" A256 H256N H256K "020101" },
	{ "00", HASH_SHA1, "30423040303e303c303a" A1 H1N H1K "020100" },
	{ "00", HASH_SHA256, "305e305c305a30583056" A256 H256N H256K "020100" },
	{ "7F", HASH_SHA1, "30423040303e303c303a" A1 H1N H1K "02017f" },
	{ "80", HASH_SHA1, "30433041303f303d303b" A1 H1N H1K "02020080" },
	{ "80", HASH_SHA256, "305f305d305b30593057" A256 H256N H256K "02020080" },
	{ "0100", HASH_SHA1, "30433041303f303d303b" A1 H1N H1K "02020100" },
	{ "0100", HASH_SHA256, "305f305d305b30593057" A256 H256N H256K "02020100" },
	{ "1234567890ABCDEF", HASH_SHA1, "30493047304530433041" A1 H1N H1K
	  "02081234567890abcdef" },
	{ "1234567890ABCDEF", HASH_SHA256, "306530633061305f305d" A256 H256N H256K
	  "02081234567890abcdef" },
	{ "8A5C30E1F2B4D6978812ABCDEF0123456789ABCD", HASH_SHA1,
	  "3056305430523050304e" A1 H1N H1K "0215008a5c30e1f2b4d6978812abcdef0123456789abcd" },
	{ "8A5C30E1F2B4D6978812ABCDEF0123456789ABCD", HASH_SHA256,
	  "30723070306e306c306a" A256 H256N H256K
	  "0215008a5c30e1f2b4d6978812abcdef0123456789abcd" },
};

static X509 *table_ca(void)
{
	BIO *b = BIO_new_mem_buf(ca_pem, (int)sizeof(ca_pem) - 1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (x == NULL) {
		fprintf(stderr, "cannot read the table's CA\n");
		exit(1);
	}
	return x;
}

/* path (a request path as a client sends it, after "/ocsp") decodes to a
 * request for exactly the CertID (alg, h, s), without a nonce. */
static void check_decodes(const char *path, enum hash_alg alg, const struct issuer_hash *h,
    const struct serial *s)
{
	char full[GET_KEY_PCT_MAX + 16];
	uint8_t der[GET_KEY_DER_MAX];
	struct ocsp_request r;
	struct err e;
	size_t n = 0;

	snprintf(full, sizeof(full), "/ocsp/%s", path);
	CHECK_EQ(get_path_decode(full, strlen(full), "/ocsp", der, sizeof(der), &n), GET_PATH_OK);
	CHECK_EQ(request_parse(der, n, 1, &r, &e), REQUEST_OK);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.has_nonce, 0);
	CHECK_EQ(r.id[0].alg, alg);
	CHECK_MEM(r.id[0].name_hash, hash_len(alg), h->name, hash_len(alg));
	CHECK_MEM(r.id[0].key_hash, hash_len(alg), h->key, hash_len(alg));
	CHECK_EQ(r.id[0].serial_ok, 1);
	CHECK_MEM(r.id[0].serial.b, r.id[0].serial.len, s->b, s->len);
	request_release(&r);
}

static size_t longest_part(const char *s)
{
	size_t part = 0, longest = 0;

	for (; *s; s++) {
		part = *s == '/' ? 0 : part + 1;
		longest = part > longest ? part : longest;
	}
	return longest;
}

/* Every client spelling of both forms of (alg, h, s) decodes to it, and the
 * store names are those spellings as a store sees them. Returns a bit set
 * of what the keys held: 1 "//", 2 a '/' at the end, 4 '+', 8 a part too
 * long for a file name. */
static unsigned check_all_forms(enum hash_alg alg, const struct issuer_hash *h,
    const struct serial *s)
{
	uint8_t der[GET_KEY_DER_MAX];
	char b64[GET_KEY_B64_MAX + 1], pct[GET_KEY_PCT_MAX + 1], space[GET_KEY_B64_MAX + 1];
	char name[GET_KEY_B64_MAX + 1];
	struct get_key_names names;
	struct err e;
	size_t len;
	unsigned seen = 0;

	CHECK_EQ(get_key_names(alg, h, s, &names, &e), 0);
	for (int f = 0; f < GET_KEY_ALGID_COUNT; f++) {
		CHECK_EQ(get_key_request(alg, f, h->name, h->key, s, der, sizeof(der), &len, &e), 0);
		CHECK_EQ(get_key_base64(der, len, b64, sizeof(b64)), 4 * ((len + 2) / 3));
		CHECK(get_key_percent(b64, pct, sizeof(pct)) > 0);
		CHECK(strpbrk(pct, "+/=") == NULL);
		snprintf(space, sizeof(space), "%s", b64);
		for (char *p = space; *p; p++)
			if (*p == '+')
				*p = ' ';
		check_decodes(b64, alg, h, s);
		check_decodes(pct, alg, h, s);
		check_decodes(space, alg, h, s);
		seen |= strstr(b64, "//") ? 1u : 0;
		seen |= b64[strlen(b64) - 1] == '/' ? 2u : 0;
		seen |= strchr(b64, '+') ? 4u : 0;
		/* The store names: a client's path as the store resolves it. */
		for (int how = 0; how < GET_KEY_STORE_COUNT; how++) {
			int n = get_key_store_path(b64, how, name, sizeof(name));
			int found = 0;
			CHECK(n >= 0);
			if (n == 0) {
				CHECK(b64[strlen(b64) - 1] == '/' || longest_part(b64) > GET_KEY_SEGMENT_MAX);
				seen |= longest_part(b64) > GET_KEY_SEGMENT_MAX ? 8u : 0;
				continue;
			}
			CHECK(strstr(name, "//") == NULL && name[0] != '/');
			for (size_t i = 0; i < names.n; i++)
				found |= strcmp(names.name[i], name) == 0;
			CHECK(found);
			/* Without an empty segment the name is itself a path a
			 * client might send. */
			if (strstr(b64, "//") == NULL)
				check_decodes(name, alg, h, s);
		}
	}
	for (size_t i = 0; i < names.n; i++)
		for (size_t j = i + 1; j < names.n; j++)
			CHECK(strcmp(names.name[i], names.name[j]) != 0);
	/* An object store's names: each form's base64 exactly, '//' and a
	 * '/' at the end kept, and with '+' as a space when it has one. */
	CHECK_EQ(get_key_object_names(alg, h, s, &names, &e), 0);
	CHECK_EQ(names.unstorable, 0);
	{
		size_t want = 0;
		for (int f = 0; f < GET_KEY_ALGID_COUNT; f++) {
			int found_raw = 0, found_sp = 0;
			CHECK_EQ(get_key_request(alg, f, h->name, h->key, s, der, sizeof(der), &len, &e), 0);
			get_key_base64(der, len, b64, sizeof(b64));
			snprintf(space, sizeof(space), "%s", b64);
			for (char *p = space; *p; p++)
				if (*p == '+')
					*p = ' ';
			want += strchr(b64, '+') ? 2 : 1;
			for (size_t i = 0; i < names.n; i++) {
				found_raw |= strcmp(names.name[i], b64) == 0;
				found_sp |= strcmp(names.name[i], space) == 0;
			}
			CHECK(found_raw && found_sp);
		}
		CHECK_EQ(names.n, want);
	}
	return seen;
}

static void test_reqout(void)
{
	X509 *ca = table_ca();
	struct issuer_hash h[HASH_COUNT];
	struct err e;

	for (int a = 0; a < HASH_COUNT; a++)
		CHECK_EQ(certid_issuer_hash(ca, a, &h[a], &e), 0);
	for (size_t i = 0; i < sizeof(reqout) / sizeof(reqout[0]); i++) {
		uint8_t want[GET_KEY_DER_MAX], got[GET_KEY_DER_MAX], absent[GET_KEY_DER_MAX];
		size_t wlen = strlen(reqout[i].der) / 2, glen = 0, alen = 0;
		struct serial s;
		enum hash_alg alg = reqout[i].alg;

		check_case("serial %s %s", reqout[i].serial, hash_name(alg));
		CHECK_EQ(hex_decode(want, wlen, reqout[i].der), 0);
		CHECK_EQ(serial_from_hex(&s, reqout[i].serial, strlen(reqout[i].serial), &e), 0);
		CHECK_EQ(get_key_request(alg, GET_KEY_ALGID_NULL, h[alg].name, h[alg].key, &s, got,
		    sizeof(got), &glen, &e), 0);
		CHECK_MEM(got, glen, want, wlen);
		/* Without parameters: the same less "05 00", each of the five
		 * enclosing lengths two less. */
		CHECK_EQ(get_key_request(alg, GET_KEY_ALGID_ABSENT, h[alg].name, h[alg].key, &s,
		    absent, sizeof(absent), &alen, &e), 0);
		CHECK_EQ(alen, wlen - 2);
		for (size_t k = 0; k < 5 && alen == wlen - 2; k++)
			CHECK_EQ(absent[2 * k + 1], want[2 * k + 1] - 2);
		CHECK_EQ(absent[11], want[11] - 2);	/* the AlgorithmIdentifier */
		check_all_forms(alg, &h[alg], &s);
	}
	check_case_clear();
	X509_free(ca);
}

/* A small deterministic generator: the same serials every run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint8_t rng_byte(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t)(rng_state >> 24);
}

/* Random serials against OpenSSL's own encoder (what `openssl ocsp` uses)
 * for every hash, and the decoding property for each; the loop is long
 * enough to meet "//" and a '/' at the end. */
static void test_random(void)
{
	int64_t now = time(NULL);
	EVP_PKEY *key = pki_key(PKI_EC256);
	struct pki_cert_opts o = { .cn = "GET key random CA", .key = key, .serial = 1,
	    .not_before = now - 60, .not_after = now + 3600, .ca = 1 };
	X509 *ca = pki_cert(&o);
	struct issuer_hash h[HASH_COUNT];
	unsigned seen = 0;
	struct err e;

	for (int a = 0; a < HASH_COUNT; a++)
		CHECK_EQ(certid_issuer_hash(ca, a, &h[a], &e), 0);
	for (int i = 0; i < 3000; i++) {
		uint8_t mag[SERIAL_MAX], got[GET_KEY_DER_MAX], *want = NULL;
		size_t n = 1 + rng_byte() % SERIAL_MAX, glen = 0;
		enum hash_alg alg = (enum hash_alg)(i % HASH_COUNT);
		struct serial s;
		OCSP_REQUEST *req = OCSP_REQUEST_new();
		size_t wlen;

		for (size_t k = 0; k < n; k++)
			mag[k] = rng_byte();
		CHECK_EQ(serial_from_bytes(&s, mag, n), 0);
		CHECK(OCSP_request_add0_id(req, pki_certid_bytes(hash_md(alg), ca, s.b, s.len,
		    0)) != NULL);
		want = pki_request_der(req, &wlen);
		check_case("random %d: %s, %u octets", i, hash_name(alg), (unsigned)s.len);
		CHECK_EQ(get_key_request(alg, GET_KEY_ALGID_NULL, h[alg].name, h[alg].key, &s, got,
		    sizeof(got), &glen, &e), 0);
		CHECK_MEM(got, glen, want, wlen);
		seen |= check_all_forms(alg, &h[alg], &s);
		free(want);
		OCSP_REQUEST_free(req);
	}
	check_case_clear();
	CHECK_EQ(seen & 7u, 7u);	/* "//", a final '/' and '+' all came up */
	X509_free(ca);
	EVP_PKEY_free(key);
}

static void test_limits(void)
{
	uint8_t h[HASH_MAX_LEN] = { 0 }, der[GET_KEY_DER_MAX];
	char out[8], b64[GET_KEY_B64_MAX + 1];
	struct serial s = { .len = SERIAL_MAX };
	struct err e;
	size_t len = 0;

	/* The largest request fits, and is what GET_KEY_DER_MAX says. */
	memset(s.b, 0xff, sizeof(s.b));
	CHECK_EQ(get_key_request(HASH_SHA512, GET_KEY_ALGID_NULL, h, h, &s, der, sizeof(der),
	    &len, &e), 0);
	CHECK_EQ(len, 197);
	CHECK(get_key_base64(der, len, b64, sizeof(b64)) > 0);
	CHECK_EQ(get_key_request(HASH_SHA512, GET_KEY_ALGID_NULL, h, h, &s, der, 196, &len, &e),
	    -1);
	s.len = 0;
	CHECK_EQ(get_key_request(HASH_SHA1, GET_KEY_ALGID_NULL, h, h, &s, der, sizeof(der),
	    &len, &e), -1);
	/* Short buffers and what is not base64. */
	CHECK_EQ(get_key_base64(der, 6, out, sizeof(out)), -1);
	CHECK_EQ(get_key_base64(der, 5, out, sizeof(out)), -1);	/* 8 and a NUL */
	CHECK_EQ(get_key_base64(der, 3, out, sizeof(out)), 4);
	CHECK_EQ(get_key_percent("AB+", out, 5), -1);
	CHECK_EQ(get_key_percent("AB+", out, 6), 5);
	CHECK_STR(out, "AB%2B");
	CHECK_EQ(get_key_store_path("a//b+c=", GET_KEY_STORE_RAW, b64, sizeof(b64)), 6);
	CHECK_STR(b64, "a/b+c=");
	CHECK_EQ(get_key_store_path("a//b+c=", GET_KEY_STORE_PLUS_SPACE, b64, sizeof(b64)), 6);
	CHECK_STR(b64, "a/b c=");
	CHECK_EQ(get_key_store_path("ab/", GET_KEY_STORE_RAW, b64, sizeof(b64)), 0);
	{
		char longk[GET_KEY_SEGMENT_MAX + 4], name[sizeof(longk)];
		memset(longk, 'A', GET_KEY_SEGMENT_MAX);
		longk[GET_KEY_SEGMENT_MAX] = '\0';
		CHECK_EQ(get_key_store_path(longk, GET_KEY_STORE_RAW, name, sizeof(name)),
		    GET_KEY_SEGMENT_MAX);
		memcpy(longk + GET_KEY_SEGMENT_MAX, "A/A", 4);
		CHECK_EQ(get_key_store_path(longk, GET_KEY_STORE_RAW, name, sizeof(name)), 0);
		longk[3] = '/';
		CHECK_EQ(get_key_store_path(longk, GET_KEY_STORE_RAW, name, sizeof(name)),
		    GET_KEY_SEGMENT_MAX + 3);
	}
	CHECK_EQ(get_key_store_path("a b", GET_KEY_STORE_RAW, b64, sizeof(b64)), -1);
	CHECK_EQ(get_key_store_path("a..", GET_KEY_STORE_RAW, b64, sizeof(b64)), -1);
	CHECK_EQ(get_key_store_path("abcdefgh", GET_KEY_STORE_RAW, out, sizeof(out)), -1);
}

int main(void)
{
	test_reqout();
	test_random();
	test_limits();
	return check_done();
}
