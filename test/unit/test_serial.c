/* Serial numbers: one spelling everywhere (layout/TREE.md "Names"). */
#include "ocsp/serial.h"

#include "check.h"

#define F8 "FFFFFFFF"
#define F64 F8 F8 F8 F8 F8 F8 F8 F8	/* 32 octets */

static const struct {
	const char *hex;
	const char *name;	/* NULL: refused */
	const char *err;	/* part of the message when refused */
} from_hex[] = {
	{ "0", "00", NULL },
	{ "00", "00", NULL },
	{ "000000", "00", NULL },
	{ "1", "01", NULL },
	{ "a", "0A", NULL },
	{ "0a", "0A", NULL },
	{ "0A", "0A", NULL },
	{ "80", "80", NULL },
	{ "080", "80", NULL },
	{ "0080", "80", NULL },
	{ "abc", "0ABC", NULL },
	{ "0abc", "0ABC", NULL },
	{ "DeadBeef", "DEADBEEF", NULL },
	{ "00deadBEEF", "DEADBEEF", NULL },
	{ "100", "0100", NULL },
	{ "7f", "7F", NULL },
	{ F64, F64, NULL },
	{ "0" F64, F64, NULL },		/* leading zeros do not count */
	{ "0000" F64, F64, NULL },
	{ "1" F64, NULL, "longer than 32" },	/* 33 octets */
	{ "01" F64, NULL, "longer than 32" },
	{ "", NULL, "empty" },
	{ "0x80", NULL, "not hexadecimal" },
	{ "12G4", NULL, "not hexadecimal" },
	{ "g", NULL, "not hexadecimal" },
	{ " 12", NULL, "not hexadecimal" },
	{ "12 ", NULL, "not hexadecimal" },
	{ "-1", NULL, "not hexadecimal" },
	{ "+1", NULL, "not hexadecimal" },
	{ "1:2", NULL, "not hexadecimal" },
};

static void test_from_hex(void)
{
	for (size_t i = 0; i < sizeof(from_hex) / sizeof(from_hex[0]); i++) {
		struct serial s;
		struct err e = { "" };
		char name[SERIAL_NAME_MAX + 1];
		int r;

		check_case("serial_from_hex \"%s\"", from_hex[i].hex);
		r = serial_from_hex(&s, from_hex[i].hex, strlen(from_hex[i].hex), &e);
		if (from_hex[i].name == NULL) {
			CHECK_EQ(r, -1);
			CHECK_CONTAINS(e.msg, from_hex[i].err);
			continue;
		}
		CHECK_EQ(r, 0);
		if (r != 0)
			continue;
		CHECK_EQ(serial_name(&s, name), strlen(from_hex[i].name));
		CHECK_STR(name, from_hex[i].name);
		CHECK_EQ(s.len, strlen(from_hex[i].name) / 2);
		CHECK(serial_name_valid(name));
	}
	check_case_clear();
}

/* The length given is what counts, not a NUL. */
static void test_from_hex_length(void)
{
	struct serial s;
	char name[SERIAL_NAME_MAX + 1];

	check_case("explicit lengths");
	CHECK_EQ(serial_from_hex(&s, "0A11", 2, NULL), 0);
	serial_name(&s, name);
	CHECK_STR(name, "0A");
	CHECK_EQ(serial_from_hex(&s, "1\0", 2, NULL), -1);
	CHECK_EQ(serial_from_hex(&s, "12", 0, NULL), -1);
	check_case_clear();
}

static void test_from_bytes(void)
{
	static const uint8_t zeros[3] = { 0, 0, 0 };
	static const uint8_t x0080[2] = { 0x00, 0x80 };
	uint8_t big[33];
	struct serial s;
	char name[SERIAL_NAME_MAX + 1];

	CHECK_EQ(serial_from_bytes(&s, zeros, 3), 0);
	CHECK_EQ(s.len, 1);
	CHECK_EQ(s.b[0], 0);
	CHECK_EQ(serial_from_bytes(&s, zeros, 0), 0);
	serial_name(&s, name);
	CHECK_STR(name, "00");
	CHECK_EQ(serial_from_bytes(&s, x0080, 2), 0);
	serial_name(&s, name);
	CHECK_STR(name, "80");

	memset(big, 0xff, sizeof(big));
	CHECK_EQ(serial_from_bytes(&s, big, 32), 0);
	CHECK_EQ(s.len, 32);
	CHECK_EQ(serial_from_bytes(&s, big, 33), -1);
	big[0] = 0;
	CHECK_EQ(serial_from_bytes(&s, big, 33), 0);	/* 32 after the zero */
	CHECK_EQ(s.len, 32);
}

static const struct {
	const char *name;
	int valid;
} names[] = {
	{ "00", 1 }, { "0A", 1 }, { "80", 1 }, { "7F", 1 }, { "0100", 1 },
	{ "DEADBEEF", 1 }, { F64, 1 },
	{ "", 0 }, { "0", 0 }, { "A", 0 }, { "0a", 0 }, { "deadbeef", 0 },
	{ "000A", 0 }, { "0080", 0 }, { "0000", 0 }, { "00" F64, 0 },
	{ "0F" F64, 0 },	/* 33 octets */
	{ "G0", 0 }, { ".0A", 0 }, { "0A.tmp", 0 }, { ".0A.tmp", 0 },
	{ "0A ", 0 }, { "0A\n", 0 }, { "../0A", 0 }, { "0A/", 0 },
	{ "issuer.meta", 0 }, { "status.idx", 0 }, { "generation", 0 },
};

static void test_name_valid(void)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		check_case("serial_name_valid \"%s\"", names[i].name);
		CHECK_EQ(serial_name_valid(names[i].name), names[i].valid);
	}
	check_case_clear();
}

/* In increasing numeric order. */
static const char *const ordered[] = {
	"00", "01", "0A", "7F", "80", "FF", "0100", "0101", "7FFF", "8000",
	"FFFF", "010000", "FF0000", "01000000", "7F" F8 F8 "FF", F64,
};

static void test_cmp(void)
{
	size_t n = sizeof(ordered) / sizeof(ordered[0]);
	struct serial s[sizeof(ordered) / sizeof(ordered[0])];

	for (size_t i = 0; i < n; i++)
		CHECK_EQ(serial_from_hex(&s[i], ordered[i], strlen(ordered[i]), NULL), 0);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			int c = serial_cmp(&s[i], &s[j]);
			int want = i < j ? -1 : i > j;
			check_case("serial_cmp %s %s", ordered[i], ordered[j]);
			CHECK_EQ(c < 0 ? -1 : c > 0, want);
		}
	}
	check_case_clear();
}

/* Decimal, as CA databases keep serials: exact at every size, including
 * the 20 octets RFC 5280 allows and the 32 kept as a margin. */
static const struct {
	const char *dec;
	const char *name;	/* NULL: refused */
	const char *canon;	/* serial_to_decimal of the result */
	const char *err;
} from_decimal[] = {
	{ "0", "00", "0", NULL },
	{ "000", "00", "0", NULL },
	{ "1", "01", "1", NULL },
	{ "255", "FF", "255", NULL },
	{ "256", "0100", "256", NULL },
	{ "0256", "0100", "256", NULL },
	{ "65535", "FFFF", "65535", NULL },
	{ "9223372036854775807", "7FFFFFFFFFFFFFFF", "9223372036854775807", NULL },
	{ "18446744073709551615", "FFFFFFFFFFFFFFFF", "18446744073709551615", NULL },
	{ "18446744073709551616", "010000000000000000", "18446744073709551616", NULL },
	/* 2^159 and 2^160 - 1: the largest 20-octet serials. */
	{ "730750818665451459101842416358141509827966271488",
	  "8000000000000000000000000000000000000000",
	  "730750818665451459101842416358141509827966271488", NULL },
	{ "1461501637330902918203684832716283019655932542975",
	  "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
	  "1461501637330902918203684832716283019655932542975", NULL },
	{ "115792089237316195423570985008687907853269984665640564039457584007913129639935",
	  F64,
	  "115792089237316195423570985008687907853269984665640564039457584007913129639935", NULL },
	{ "00000115792089237316195423570985008687907853269984665640564039457584007913129639935",
	  F64,
	  "115792089237316195423570985008687907853269984665640564039457584007913129639935", NULL },
	{ "100000000000000000000000000000000000000000000000000000000000000000000000000000",
	  "DD15FE86AFFAD91249EF0EB713F39EBEAA987B6E6FD2A0000000000000000000",
	  "100000000000000000000000000000000000000000000000000000000000000000000000000000", NULL },
	/* 2^256: one past the largest. */
	{ "115792089237316195423570985008687907853269984665640564039457584007913129639936",
	  NULL, NULL, "longer than 32" },
	{ "1000000000000000000000000000000000000000000000000000000000000000000000000000000",
	  NULL, NULL, "longer than 32" },
	{ "", NULL, NULL, "empty" },
	{ "-1", NULL, NULL, "not a decimal" },
	{ "+1", NULL, NULL, "not a decimal" },
	{ " 1", NULL, NULL, "not a decimal" },
	{ "1 ", NULL, NULL, "not a decimal" },
	{ "1.0", NULL, NULL, "not a decimal" },
	{ "1e3", NULL, NULL, "not a decimal" },
	{ "1.23456789012346e+48", NULL, NULL, "not a decimal" },
	{ "0x10", NULL, NULL, "not a decimal" },
	{ "12a", NULL, NULL, "not a decimal" },
};

static void test_from_decimal(void)
{
	for (size_t i = 0; i < sizeof(from_decimal) / sizeof(from_decimal[0]); i++) {
		struct serial s;
		struct err e = { "" };
		char name[SERIAL_NAME_MAX + 1], dec[SERIAL_DECIMAL_MAX + 1];
		int r;

		check_case("serial_from_decimal \"%s\"", from_decimal[i].dec);
		r = serial_from_decimal(&s, from_decimal[i].dec, strlen(from_decimal[i].dec), &e);
		if (from_decimal[i].name == NULL) {
			CHECK_EQ(r, -1);
			CHECK_CONTAINS(e.msg, from_decimal[i].err);
			continue;
		}
		CHECK_EQ(r, 0);
		if (r != 0)
			continue;
		serial_name(&s, name);
		CHECK_STR(name, from_decimal[i].name);
		CHECK_EQ(serial_to_decimal(&s, dec), strlen(from_decimal[i].canon));
		CHECK_STR(dec, from_decimal[i].canon);
	}
	check_case_clear();
}

/* Every length of serial, every byte value at the ends: hex -> decimal ->
 * serial gives the same serial back. */
static void test_decimal_round_trip(void)
{
	for (size_t len = 1; len <= SERIAL_MAX; len++) {
		for (unsigned v = 0; v < 256; v += 51) {
			uint8_t b[SERIAL_MAX];
			struct serial s, back;
			char dec[SERIAL_DECIMAL_MAX + 1];
			size_t n;

			for (size_t i = 0; i < len; i++)
				b[i] = (uint8_t)(v + 37 * i);
			b[0] |= 1;	/* no leading zero: the length stays */
			check_case("round trip len %zu v %u", len, v);
			CHECK_EQ(serial_from_bytes(&s, b, len), 0);
			n = serial_to_decimal(&s, dec);
			CHECK_EQ(n, strlen(dec));
			CHECK(n <= SERIAL_DECIMAL_MAX);
			CHECK(dec[0] != '0');
			CHECK_EQ(serial_from_decimal(&back, dec, n, NULL), 0);
			CHECK_EQ(serial_cmp(&s, &back), 0);
		}
	}
	check_case_clear();
}

int main(void)
{
	test_from_hex();
	test_from_hex_length();
	test_from_bytes();
	test_name_valid();
	test_cmp();
	test_from_decimal();
	test_decimal_round_trip();
	return check_done();
}
