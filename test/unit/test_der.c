/* The backwards DER writer: length forms, INTEGER sign byte, sticky
 * overflow, GeneralizedTime. Encodings are checked byte for byte and, where
 * OpenSSL can read them, decoded again by OpenSSL. */
#include "ocsp/der.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>

#include "check.h"

static const struct {
	size_t len;
	uint8_t hdr[5];
	size_t hdr_len;
} lengths[] = {
	{ 0, { 0x04, 0x00 }, 2 },
	{ 1, { 0x04, 0x01 }, 2 },
	{ 127, { 0x04, 0x7f }, 2 },
	{ 128, { 0x04, 0x81, 0x80 }, 3 },
	{ 255, { 0x04, 0x81, 0xff }, 3 },
	{ 256, { 0x04, 0x82, 0x01, 0x00 }, 4 },
	{ 65535, { 0x04, 0x82, 0xff, 0xff }, 4 },
	{ 65536, { 0x04, 0x83, 0x01, 0x00, 0x00 }, 5 },
	{ 70000, { 0x04, 0x83, 0x01, 0x11, 0x70 }, 5 },
};

static void test_lengths(void)
{
	static uint8_t content[70000], buf[70016];

	for (size_t i = 0; i < sizeof(content); i++)
		content[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		struct der d;
		size_t n = lengths[i].len;

		check_case("OCTET STRING of %zu", n);
		der_init(&d, buf, sizeof(buf));
		der_octets(&d, content, n);
		CHECK(der_ok(&d));
		CHECK_EQ(der_len(&d), lengths[i].hdr_len + n);
		CHECK_MEM(der_data(&d), lengths[i].hdr_len, lengths[i].hdr, lengths[i].hdr_len);
		CHECK(memcmp(der_data(&d) + lengths[i].hdr_len, content, n) == 0);

		const unsigned char *p = der_data(&d);
		ASN1_OCTET_STRING *os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)der_len(&d));
		CHECK(os != NULL);
		if (os != NULL) {
			CHECK_EQ(ASN1_STRING_length(os), n);
			CHECK(p == der_data(&d) + der_len(&d));
		}
		ASN1_OCTET_STRING_free(os);
	}
	check_case_clear();
}

/* Headers without content: the largest length it can write and the first
 * it refuses (nothing this program builds is 16 MiB). */
static void test_header_limits(void)
{
	static const uint8_t max[] = { 0x30, 0x83, 0xff, 0xff, 0xff };
	uint8_t buf[16];
	struct der d;

	der_init(&d, buf, sizeof(buf));
	der_header(&d, DER_SEQUENCE, 0xffffff);
	CHECK(der_ok(&d));
	CHECK_MEM(der_data(&d), der_len(&d), max, sizeof(max));

	der_init(&d, buf, sizeof(buf));
	der_header(&d, DER_SEQUENCE, 0x1000000);
	CHECK(!der_ok(&d));
}

static const struct {
	uint8_t mag[4];
	size_t n;
	uint8_t der[8];
	size_t der_len;
	long value;
} ints[] = {
	{ { 0 }, 0, { 0x02, 0x01, 0x00 }, 3, 0 },
	{ { 0x00 }, 1, { 0x02, 0x01, 0x00 }, 3, 0 },
	{ { 0x01 }, 1, { 0x02, 0x01, 0x01 }, 3, 1 },
	{ { 0x7f }, 1, { 0x02, 0x01, 0x7f }, 3, 127 },
	{ { 0x80 }, 1, { 0x02, 0x02, 0x00, 0x80 }, 4, 128 },
	{ { 0xff }, 1, { 0x02, 0x02, 0x00, 0xff }, 4, 255 },
	{ { 0x01, 0x00 }, 2, { 0x02, 0x02, 0x01, 0x00 }, 4, 256 },
	{ { 0x7f, 0xff }, 2, { 0x02, 0x02, 0x7f, 0xff }, 4, 32767 },
	{ { 0x80, 0x00 }, 2, { 0x02, 0x03, 0x00, 0x80, 0x00 }, 5, 32768 },
	{ { 0xff, 0xff, 0xff }, 3, { 0x02, 0x04, 0x00, 0xff, 0xff, 0xff }, 6, 0xffffff },
};

static void test_uint(void)
{
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		uint8_t buf[16];
		struct der d;

		check_case("INTEGER %ld", ints[i].value);
		der_init(&d, buf, sizeof(buf));
		der_uint(&d, ints[i].mag, ints[i].n);
		CHECK(der_ok(&d));
		CHECK_MEM(der_data(&d), der_len(&d), ints[i].der, ints[i].der_len);

		const unsigned char *p = der_data(&d);
		ASN1_INTEGER *a = d2i_ASN1_INTEGER(NULL, &p, (long)der_len(&d));
		CHECK(a != NULL);
		if (a != NULL) {
			CHECK_EQ(ASN1_STRING_type(a), V_ASN1_INTEGER);	/* not negative */
			CHECK_EQ(ASN1_INTEGER_get(a), ints[i].value);
		}
		ASN1_INTEGER_free(a);
	}
	check_case_clear();
}

/* A 20-octet serial with the top bit set, as CAs make them. */
static void test_uint_long(void)
{
	uint8_t mag[20], buf[32];
	struct der d;

	memset(mag, 0xa5, sizeof(mag));
	der_init(&d, buf, sizeof(buf));
	der_uint(&d, mag, sizeof(mag));
	CHECK(der_ok(&d));
	CHECK_EQ(der_len(&d), 23);
	CHECK_EQ(der_data(&d)[0], 0x02);
	CHECK_EQ(der_data(&d)[1], 21);
	CHECK_EQ(der_data(&d)[2], 0x00);
	CHECK(memcmp(der_data(&d) + 3, mag, 20) == 0);

	const unsigned char *p = der_data(&d);
	ASN1_INTEGER *a = d2i_ASN1_INTEGER(NULL, &p, (long)der_len(&d));
	BIGNUM *bn = a ? ASN1_INTEGER_to_BN(a, NULL) : NULL;
	uint8_t back[20];
	CHECK(bn != NULL && !BN_is_negative(bn));
	CHECK(bn != NULL && BN_bn2binpad(bn, back, 20) == 20 && memcmp(back, mag, 20) == 0);
	BN_free(bn);
	ASN1_INTEGER_free(a);
}

static void test_small_values(void)
{
	static const uint8_t want[] = {
		0x30, 0x0a,
		0x02, 0x01, 0x05,
		0x05, 0x00,
		0x0a, 0x01, 0x03,
		0xa0, 0x00,
	};
	static const uint8_t five = 5;
	uint8_t buf[32];
	struct der d;
	size_t m;

	der_init(&d, buf, sizeof(buf));
	CHECK_EQ(der_len(&d), 0);
	m = der_len(&d);
	der_wrap(&d, DER_CTX0, m);	/* empty [0] */
	der_enum(&d, 3);
	der_header(&d, DER_NULL, 0);
	der_uint(&d, &five, 1);
	der_wrap(&d, DER_SEQUENCE, 0);
	CHECK(der_ok(&d));
	CHECK_MEM(der_data(&d), der_len(&d), want, sizeof(want));
	CHECK(der_data(&d) + der_len(&d) == buf + sizeof(buf));
}

/* Wrapping from a mark leaves what came before the mark outside. */
static void test_wrap_mark(void)
{
	static const uint8_t want[] = { 0xa1, 0x03, 0x04, 0x01, 0x41, 0x05, 0x00 };
	uint8_t buf[16];
	struct der d;
	size_t m;

	der_init(&d, buf, sizeof(buf));
	der_header(&d, DER_NULL, 0);
	m = der_len(&d);
	der_octets(&d, "A", 1);
	der_wrap(&d, DER_CTX1, m);
	CHECK(der_ok(&d));
	CHECK_MEM(der_data(&d), der_len(&d), want, sizeof(want));
}

static void test_overflow(void)
{
	uint8_t buf[4];
	struct der d;

	/* exactly full is fine */
	der_init(&d, buf, 3);
	der_raw(&d, "abc", 3);
	CHECK(der_ok(&d));
	CHECK_EQ(der_len(&d), 3);

	/* one byte too many; later writes that would fit stay refused */
	der_init(&d, buf, sizeof(buf));
	der_raw(&d, "abc", 3);
	CHECK(der_ok(&d));
	der_raw(&d, "de", 2);
	CHECK(!der_ok(&d));
	CHECK_EQ(der_len(&d), 3);
	der_raw(&d, "f", 1);
	CHECK(!der_ok(&d));
	CHECK_EQ(der_len(&d), 3);
	der_header(&d, DER_NULL, 0);
	der_wrap(&d, DER_SEQUENCE, 0);
	der_uint(&d, (const uint8_t *)"\x01", 1);
	CHECK(!der_ok(&d));
	CHECK_EQ(der_len(&d), 3);
	CHECK(memcmp(der_data(&d), "abc", 3) == 0);

	/* a header that does not fit */
	der_init(&d, buf, sizeof(buf));
	der_raw(&d, "ab", 2);
	der_wrap(&d, DER_SEQUENCE, 0);
	CHECK(der_ok(&d));
	CHECK_EQ(der_len(&d), 4);
	der_wrap(&d, DER_SEQUENCE, 0);
	CHECK(!der_ok(&d));

	/* zero capacity */
	der_init(&d, buf, 0);
	der_raw(&d, "", 0);
	CHECK(der_ok(&d));
	der_header(&d, DER_NULL, 0);
	CHECK(!der_ok(&d));
	CHECK_EQ(der_len(&d), 0);
}

static const struct {
	int64_t t;
	const char *text;	/* NULL: cannot be written */
} times[] = {
	{ 0, "19700101000000Z" },
	{ 1795504092, "20261124070812Z" },
	{ 2147483648, "20380119031408Z" },
	{ -631152000, "19500101000000Z" },
	{ 253402300799, "99991231235959Z" },
	{ 253402300800, NULL },
	{ -631152001, NULL },
};

static void test_gentime(void)
{
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		uint8_t buf[32], want[17];
		struct der d;

		check_case("GeneralizedTime %lld", (long long)times[i].t);
		der_init(&d, buf, sizeof(buf));
		der_gentime(&d, times[i].t);
		if (times[i].text == NULL) {
			CHECK(!der_ok(&d));
			continue;
		}
		want[0] = DER_GENERALIZEDTIME;
		want[1] = 15;
		memcpy(want + 2, times[i].text, 15);
		CHECK(der_ok(&d));
		CHECK_MEM(der_data(&d), der_len(&d), want, sizeof(want));

		const unsigned char *p = der_data(&d);
		ASN1_GENERALIZEDTIME *g = d2i_ASN1_GENERALIZEDTIME(NULL, &p, (long)der_len(&d));
		CHECK(g != NULL && ASN1_GENERALIZEDTIME_check(g));
		ASN1_GENERALIZEDTIME_free(g);
	}
	check_case_clear();

	/* does not fit: 17 bytes into 16 */
	uint8_t small[16];
	struct der d;
	der_init(&d, small, sizeof(small));
	der_gentime(&d, 0);
	CHECK(!der_ok(&d));
}

int main(void)
{
	test_lengths();
	test_header_limits();
	test_uint();
	test_uint_long();
	test_small_values();
	test_wrap_mark();
	test_overflow();
	test_gentime();
	return check_done();
}
