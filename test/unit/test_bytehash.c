/* SipHash-2-4 against the vectors of its paper (key 00..0f, message
 * 00..n-1; the same values as OpenSSL's SIPHASH MAC with size:8), and
 * FNV-1a against its published values. */
#include "ocsp/bytehash.h"

#include "check.h"

static void test_siphash(void)
{
	static const struct { size_t n; uint64_t want; } cases[] = {
		{ 0, 0x726fdb47dd0e0e31ULL },
		{ 15, 0xa129ca6149be45e5ULL },	/* the paper's worked example */
		{ 64, 0xacd2c40b8502cad8ULL },	/* several whole words, empty tail */
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

int main(void)
{
	test_siphash();
	test_fnv();
	return check_done();
}
