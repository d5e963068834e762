/* The shard partition (shard.h): fixed values that every machine and
 * version must keep (computed independently with Python's hashlib: 1 +
 * int.from_bytes(sha256(serial)[:8], "big") % N), leading zeros not
 * counting, an even spread, and the K/N syntax. */
#include "ocsp/shard.h"

#include "check.h"

static void test_fixed(void)
{
	static const struct {
		const char *hex;
		uint32_t want[5];	/* for N = 1, 2, 3, 7, 1024 */
	} cases[] = {
		{ "00", { 1, 1, 3, 5, 665 } },
		{ "01", { 1, 2, 2, 2, 198 } },
		{ "0A", { 1, 2, 2, 2, 1002 } },
		{ "80", { 1, 2, 3, 4, 504 } },
		{ "0080", { 1, 2, 3, 4, 504 } },	/* the DER sign octet is not the serial's */
		{ "1000", { 1, 2, 2, 2, 950 } },
		{ "20000000", { 1, 2, 2, 6, 326 } },
		{ "0123456789ABCDEF0123456789ABCDEF01234567", { 1, 1, 3, 7, 147 } },
	};
	static const uint32_t ns[5] = { 1, 2, 3, 7, 1024 };
	struct serial s;
	struct err e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ(serial_from_hex(&s, cases[i].hex, strlen(cases[i].hex), &e), 0);
		for (size_t j = 0; j < 5; j++) {
			check_case("%s mod %u", cases[i].hex, (unsigned)ns[j]);
			CHECK_EQ(shard_of(&s, ns[j]), cases[i].want[j]);
			struct shard sh = { cases[i].want[j], ns[j] }, other = sh;
			other.k = sh.k % sh.n + 1;
			CHECK(shard_owns(&sh, &s));
			CHECK(sh.n == 1 || !shard_owns(&other, &s));
		}
	}
	check_case_clear();
	struct shard none = { 0, 0 };
	CHECK(shard_owns(&none, &s));
}

/* Sequential serials, as CAs issue them, spread evenly: each of N shards
 * within 10% of its share. */
static void test_spread(void)
{
	static const uint32_t ns[] = { 2, 3, 10, 64 };
	enum { COUNT = 64000 };
	uint32_t hits[64];
	struct serial s;

	for (size_t j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
		memset(hits, 0, sizeof(hits));
		for (uint32_t i = 0; i < COUNT; i++) {
			uint8_t b[4] = { 0x20, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
			serial_from_bytes(&s, b, sizeof(b));
			uint32_t k = shard_of(&s, ns[j]);
			CHECK(k >= 1 && k <= ns[j]);
			if (k >= 1 && k <= ns[j])
				hits[k - 1]++;
		}
		for (uint32_t k = 0; k < ns[j]; k++) {
			check_case("N %u shard %u: %u of %u", (unsigned)ns[j], (unsigned)k + 1,
			    (unsigned)hits[k], (unsigned)COUNT);
			CHECK(hits[k] * 10 >= COUNT / ns[j] * 9 && hits[k] * 10 <= COUNT / ns[j] * 11);
		}
	}
	check_case_clear();
}

static void test_parse(void)
{
	static const struct {
		const char *text;
		int ok;
		uint32_t k, n;
	} cases[] = {
		{ "1/3", 1, 1, 3 }, { "3/3", 1, 3, 3 }, { "1/1", 1, 1, 1 },
		{ "1024/1024", 1, 1024, 1024 }, { "7/1024", 1, 7, 1024 },
		{ "0/3", 0, 0, 0 }, { "4/3", 0, 0, 0 }, { "1/1025", 0, 0, 0 },
		{ "1/0", 0, 0, 0 }, { "01/3", 0, 0, 0 }, { "1/03", 0, 0, 0 },
		{ "1", 0, 0, 0 }, { "/3", 0, 0, 0 }, { "1/", 0, 0, 0 }, { "", 0, 0, 0 },
		{ " 1/3", 0, 0, 0 }, { "1/3 ", 0, 0, 0 }, { "+1/3", 0, 0, 0 },
		{ "-1/3", 0, 0, 0 }, { "1/3/3", 0, 0, 0 }, { "1-of-3", 0, 0, 0 },
		{ "99999999999/3", 0, 0, 0 }, { "1/18446744073709551619", 0, 0, 0 },
	};
	char text[SHARD_TEXT_MAX + 1], name[SHARD_MARKER_MAX];
	struct err e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct shard s = { 99, 99 };
		check_case("'%s'", cases[i].text);
		int r = shard_parse(cases[i].text, &s, &e);
		CHECK_EQ(r, cases[i].ok ? 0 : -1);
		if (!cases[i].ok) {
			CHECK(s.k == 99 && s.n == 99);	/* untouched on error */
			continue;
		}
		CHECK(s.k == cases[i].k && s.n == cases[i].n);
		shard_format(&s, text);
		CHECK_STR(text, cases[i].text);
	}
	check_case_clear();
	struct shard s = { 1024, 1024 }, none = { 0, 0 };
	CHECK_EQ(shard_marker_name(&s, name, sizeof(name)), 0);
	CHECK_STR(name, "shards/1024-of-1024");
	CHECK_EQ(shard_marker_name(&none, name, sizeof(name)), -1);
	shard_format(&none, text);
	CHECK_STR(text, "");
}

int main(void)
{
	test_fixed();
	test_spread();
	test_parse();
	return check_done();
}
