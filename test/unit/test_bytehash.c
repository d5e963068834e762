/* SipHash-1-3 against OpenSSL's SIPHASH MAC (key 00..0f, message 00..n-1,
 * size:8, c-rounds:1, d-rounds:3, which with the default 2 and 4 rounds
 * gives the vectors of the SipHash paper), and FNV-1a against its
 * published values. */
#include "ocsp/bytehash.h"

#include "check.h"

static void test_siphash(void)
{
	static const struct { size_t n; uint64_t want; } cases[] = {
		{ 0, 0xabac0158050fc4dcULL },
		{ 15, 0xd320d86d2a519956ULL },	/* a word and a 7-byte tail */
		{ 7, 0xd3927d989bb11140ULL },	/* a tail alone */
		{ 64, 0xf17997ec4b4a6065ULL },	/* several whole words, empty tail */
	};
	struct bytehash_key k = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	uint8_t msg[64];

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case("%zu bytes", cases[i].n);
		CHECK(bytehash_keyed(&k, msg, cases[i].n) == cases[i].want);
	}
	check_case_clear();

	/* Another key gives another hash: that is the point of the key. */
	struct bytehash_key other = k;
	other.k1 ^= 1;
	CHECK(bytehash_keyed(&other, msg, 15) != bytehash_keyed(&k, msg, 15));

	struct bytehash_key r1, r2;
	struct err e;
	CHECK_EQ(bytehash_key_random(&r1, &e), 0);
	CHECK_EQ(bytehash_key_random(&r2, &e), 0);
	CHECK(r1.k0 != r2.k0 || r1.k1 != r2.k1);
}

static void test_fnv(void)
{
	CHECK_EQ(bytehash_fnv1a32("", 0), 0x811c9dc5u);
	CHECK_EQ(bytehash_fnv1a32("a", 1), 0xe40c292cu);
	CHECK_EQ(bytehash_fnv1a32("foobar", 6), 0xbf9cf968u);
}

/* Every change of one bit anywhere shows, and so does a change of length. */
static void test_check(void)
{
	uint8_t buf[701];
	int missed = 0;
	uint64_t c;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	c = bytehash_check(buf, sizeof(buf));
	CHECK(c == bytehash_check(buf, sizeof(buf)));
	for (size_t i = 0; i < sizeof(buf); i++)
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			missed += bytehash_check(buf, sizeof(buf)) == c;
			buf[i] ^= (uint8_t)(1u << bit);
		}
	CHECK_EQ(missed, 0);
	for (size_t n = 0; n < 40; n++)
		CHECK(bytehash_check(buf, n) != bytehash_check(buf, n + 1));
	memset(buf, 0, sizeof(buf));
	CHECK(bytehash_check(buf, 8) != bytehash_check(buf, 16));	/* zeros count */
}

int main(void)
{
	test_siphash();
	test_fnv();
	test_check();
	return check_done();
}
