/* CertID hash algorithms: names, lengths, NIDs, AlgorithmIdentifier DER
 * (compared with OpenSSL's own encoding), and the hex helpers. */
#include "ocsp/certid.h"
#include "ocsp/hex.h"

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "check.h"

static const struct {
	int alg;
	const char *name;
	size_t len;
	int nid;
} algs[] = {
	{ HASH_SHA1, "sha1", 20, NID_sha1 },
	{ HASH_SHA256, "sha256", 32, NID_sha256 },
	{ HASH_SHA384, "sha384", 48, NID_sha384 },
	{ HASH_SHA512, "sha512", 64, NID_sha512 },
};

static void test_algorithms(void)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		size_t len = 0;
		const uint8_t *der;
		X509_ALGOR *a = X509_ALGOR_new();
		unsigned char *want = NULL;
		int n;

		check_case("%s", algs[i].name);
		CHECK_STR(hash_name(algs[i].alg), algs[i].name);
		CHECK_EQ(hash_len(algs[i].alg), algs[i].len);
		CHECK_EQ(hash_from_name(algs[i].name), algs[i].alg);
		CHECK_EQ(hash_from_nid(algs[i].nid), algs[i].alg);
		CHECK_EQ(EVP_MD_get_type(hash_md(algs[i].alg)), algs[i].nid);
		CHECK_EQ(EVP_MD_get_size(hash_md(algs[i].alg)), algs[i].len);

		/* SEQUENCE { OID, NULL }, as OpenSSL writes a CertID's */
		der = hash_algid_der(algs[i].alg, &len);
		CHECK(a != NULL && X509_ALGOR_set0(a, OBJ_nid2obj(algs[i].nid), V_ASN1_NULL, NULL));
		n = i2d_X509_ALGOR(a, &want);
		CHECK(n > 0);
		CHECK_MEM(der, len, want, (size_t)n);
		OPENSSL_free(want);
		X509_ALGOR_free(a);
	}
	check_case_clear();
	CHECK_EQ(hash_from_name("SHA1"), -1);
	CHECK_EQ(hash_from_name("sha"), -1);
	CHECK_EQ(hash_from_name("md5"), -1);
	CHECK_EQ(hash_from_name(""), -1);
	CHECK_EQ(hash_from_nid(NID_md5), -1);
	CHECK_EQ(hash_from_nid(NID_sha224), -1);
	CHECK_EQ(hash_from_nid(NID_undef), -1);
}

static void test_hex(void)
{
	static const uint8_t bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	uint8_t back[6];
	char hex[13];

	hex_lower(hex, bytes, sizeof(bytes));
	CHECK_STR(hex, "00017f80abff");
	CHECK_EQ(hex_decode(back, 6, hex), 0);
	CHECK_MEM(back, 6, bytes, 6);
	CHECK_EQ(hex_decode(back, 6, "00017F80ABFF"), 0);
	CHECK_MEM(back, 6, bytes, 6);
	hex_lower(hex, bytes, 0);
	CHECK_STR(hex, "");

	CHECK_EQ(hex_decode(back, 6, "00017f80abf"), -1);	/* short */
	CHECK_EQ(hex_decode(back, 6, "00017f80abfff"), -1);	/* long */
	CHECK_EQ(hex_decode(back, 6, "00017f80abfg"), -1);
	CHECK_EQ(hex_decode(back, 6, " 0017f80abff"), -1);
	CHECK_EQ(hex_decode(back, 6, "0x017f80abff"), -1);
	CHECK_EQ(hex_decode(back, 0, ""), 0);
}

int main(void)
{
	test_algorithms();
	test_hex();
	return check_done();
}
