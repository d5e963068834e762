/* Time conversions: index dates, GeneralizedTime, HTTP dates, ISO 8601. */
#include "ocsp/timefmt.h"

#include "check.h"

#define BAD INT64_MIN

static const struct {
	const char *s;
	int64_t t;	/* BAD: refused */
} asn1[] = {
	/* UTCTime: 50..99 are 19xx, 00..49 are 20xx */
	{ "700101000000Z", 0 },
	{ "500101000000Z", -631152000 },
	{ "991231235959Z", 946684799 },
	{ "000101000000Z", 946684800 },
	{ "491231235959Z", 2524607999 },
	{ "301231235959Z", 1924991999 },
	{ "240229120000Z", 1709208000 },
	/* GeneralizedTime */
	{ "19700101000000Z", 0 },
	{ "19500101000000Z", -631152000 },
	{ "20491231235959Z", 2524607999 },
	{ "20510101000000Z", 2556144000 },
	{ "20380119031408Z", 2147483648 },	/* past 32-bit time_t */
	{ "99991231235959Z", 253402300799 },
	{ "20240229120000Z", 1709208000 },	/* leap year */
	{ "20000229000000Z", 951782400 },	/* divisible by 400 */
	/* invalid dates */
	{ "20230229120000Z", BAD },
	{ "21000229000000Z", BAD },		/* divisible by 100 only */
	{ "20240230000000Z", BAD },		/* Feb 30 */
	{ "240230000000Z", BAD },
	{ "20240431000000Z", BAD },		/* Apr 31 */
	{ "20241301000000Z", BAD },		/* month 13 */
	{ "241301000000Z", BAD },
	{ "20240001000000Z", BAD },		/* month 0 */
	{ "20240100000000Z", BAD },		/* day 0 */
	{ "20240132000000Z", BAD },
	{ "20240101240000Z", BAD },		/* hour 24 */
	{ "20240101006000Z", BAD },		/* minute 60 */
	{ "20240101000060Z", BAD },		/* leap second */
	/* not digits, wrong shape */
	{ "2024010100000AZ", BAD },
	{ "2O240101000000Z", BAD },
	{ "2401010000 0Z", BAD },
	{ " 40101000000Z", BAD },
	{ "-0240101000000Z", BAD },
	{ "+0240101000000Z", BAD },
	{ "20240101000000z", BAD },
	{ "20240101000000", BAD },
	{ "2024010100000000", BAD },
	{ "240101000000+0100", BAD },
	{ "2401010000Z", BAD },
	{ "20240101000000Y", BAD },
	{ "24010100000Z", BAD },
	{ "Z", BAD },
	{ "", BAD },
};

static void test_parse_asn1(void)
{
	for (size_t i = 0; i < sizeof(asn1) / sizeof(asn1[0]); i++) {
		int64_t t = 12345;
		int r = timefmt_parse_asn1(asn1[i].s, strlen(asn1[i].s), &t);

		check_case("asn1 \"%s\"", asn1[i].s);
		if (asn1[i].t == BAD) {
			CHECK_EQ(r, -1);
		} else {
			CHECK_EQ(r, 0);
			CHECK_EQ(t, asn1[i].t);
		}
	}
	/* exactly n bytes are read */
	check_case("asn1 length");
	int64_t t;
	CHECK_EQ(timefmt_parse_asn1("20240101000000Zjunk", 15, &t), 0);
	CHECK_EQ(t, 1704067200);
	CHECK_EQ(timefmt_parse_asn1("20240101000000Z", 14, &t), -1);
	check_case_clear();
}

static const struct {
	int64_t t;
	const char *gen, *http, *iso;	/* NULL: outside 1950..9999 */
} fmt[] = {
	{ 0, "19700101000000Z", "Thu, 01 Jan 1970 00:00:00 GMT", "1970-01-01T00:00:00Z" },
	{ 784111777, "19941106084937Z", "Sun, 06 Nov 1994 08:49:37 GMT",
	  "1994-11-06T08:49:37Z" },
	{ 1795504092, "20261124070812Z", "Tue, 24 Nov 2026 07:08:12 GMT",
	  "2026-11-24T07:08:12Z" },
	{ 1709208000, "20240229120000Z", "Thu, 29 Feb 2024 12:00:00 GMT",
	  "2024-02-29T12:00:00Z" },
	{ 2147483648, "20380119031408Z", "Tue, 19 Jan 2038 03:14:08 GMT",
	  "2038-01-19T03:14:08Z" },
	{ -631152000, "19500101000000Z", "Sun, 01 Jan 1950 00:00:00 GMT",
	  "1950-01-01T00:00:00Z" },
	{ 253402300799, "99991231235959Z", "Fri, 31 Dec 9999 23:59:59 GMT",
	  "9999-12-31T23:59:59Z" },
	{ -631152001, NULL, NULL, NULL },	/* 1949 */
	{ 253402300800, NULL, NULL, NULL },	/* year 10000 */
};

static void test_format(void)
{
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		char buf[64];
		int64_t t;

		check_case("format %lld", (long long)fmt[i].t);
		if (fmt[i].gen == NULL) {
			CHECK_EQ(timefmt_generalized(buf, sizeof(buf), fmt[i].t), -1);
			CHECK_EQ(timefmt_http(buf, sizeof(buf), fmt[i].t), -1);
			CHECK_EQ(timefmt_iso(buf, sizeof(buf), fmt[i].t), -1);
			continue;
		}
		CHECK_EQ(timefmt_generalized(buf, sizeof(buf), fmt[i].t), 0);
		CHECK_STR(buf, fmt[i].gen);
		CHECK_EQ(strlen(buf), TIMEFMT_GEN_LEN);
		CHECK_EQ(timefmt_parse_asn1(buf, strlen(buf), &t), 0);
		CHECK_EQ(t, fmt[i].t);

		CHECK_EQ(timefmt_http(buf, sizeof(buf), fmt[i].t), 0);
		CHECK_STR(buf, fmt[i].http);
		CHECK_EQ(strlen(buf), TIMEFMT_HTTP_LEN);
		t = 1;
		CHECK_EQ(timefmt_parse_http(buf, &t), 0);
		CHECK_EQ(t, fmt[i].t);

		CHECK_EQ(timefmt_iso(buf, sizeof(buf), fmt[i].t), 0);
		CHECK_STR(buf, fmt[i].iso);
		CHECK_EQ(strlen(buf), TIMEFMT_ISO_LEN);
		t = 1;
		CHECK_EQ(timefmt_parse_iso(buf, &t), 0);
		CHECK_EQ(t, fmt[i].t);
	}
	check_case_clear();
}

/* The output must fit with its NUL; one byte less is refused. */
static void test_format_size(void)
{
	char buf[64];

	CHECK_EQ(timefmt_generalized(buf, TIMEFMT_GEN_LEN + 1, 0), 0);
	CHECK_EQ(timefmt_generalized(buf, TIMEFMT_GEN_LEN, 0), -1);
	CHECK_EQ(timefmt_http(buf, TIMEFMT_HTTP_LEN + 1, 0), 0);
	CHECK_EQ(timefmt_http(buf, TIMEFMT_HTTP_LEN, 0), -1);
	CHECK_EQ(timefmt_iso(buf, TIMEFMT_ISO_LEN + 1, 0), 0);
	CHECK_EQ(timefmt_iso(buf, TIMEFMT_ISO_LEN, 0), -1);
}

/* Every second of a leap day and a few years round-trips. */
static void test_round_trip(void)
{
	for (int64_t t = 1709164800 - 7200; t < 1709251200 + 7200; t += 61) {
		char g[32], h[32], s[32];
		int64_t a = 0, b = 0, c = 0;

		CHECK(timefmt_generalized(g, sizeof(g), t) == 0 &&
		    timefmt_parse_asn1(g, strlen(g), &a) == 0 && a == t);
		CHECK(timefmt_http(h, sizeof(h), t) == 0 &&
		    timefmt_parse_http(h, &b) == 0 && b == t);
		CHECK(timefmt_iso(s, sizeof(s), t) == 0 &&
		    timefmt_parse_iso(s, &c) == 0 && c == t);
	}
	for (int64_t t = -631152000; t < 4102444800; t += 86400 * 397 + 3671) {
		char h[32], s[32];
		int64_t b = 0, c = 0;

		CHECK(timefmt_http(h, sizeof(h), t) == 0 &&
		    timefmt_parse_http(h, &b) == 0 && b == t);
		CHECK(timefmt_iso(s, sizeof(s), t) == 0 &&
		    timefmt_parse_iso(s, &c) == 0 && c == t);
	}
}

static const char *const bad_http[] = {
	"Sun, 06 Nov 1994 08:49:37 UTC",
	"Sun, 06 Nov 1994 08:49:37 GMT ",
	"Sun, 06 Nov 1994 08:49:37",
	"Sunday, 06-Nov-94 08:49:37 GMT",	/* RFC 850 */
	"Sun Nov  6 08:49:37 1994",		/* asctime */
	"Sun, 6 Nov 1994 08:49:37 GMT",
	"Sun, 06 nov 1994 08:49:37 GMT",
	"Sun, 06 Foo 1994 08:49:37 GMT",
	"Sun, 31 Feb 1994 08:49:37 GMT",
	"Sun, 06 Nov 1994 24:49:37 GMT",
	"Sun, 06 Nov 1994 08:60:37 GMT",
	"Sun, 06 Nov 1994 08:49:60 GMT",
	"Sun, 06 Nov 19x4 08:49:37 GMT",
	"Sun, 06 Nov 1994 08-49-37 GMT",
	"",
};

static const char *const bad_iso[] = {
	"2026-11-24 07:08:12Z",
	"2026-11-24T07:08:12",
	"2026-11-24T07:08:12+00:00",
	"2026-11-24T07:08:12.5Z",
	"2026-13-24T07:08:12Z",
	"2026-02-29T07:08:12Z",
	"2026-11-24T25:08:12Z",
	"2026-11-24t07:08:12Z",
	"26-11-24T07:08:12Z",
	"2026/11/24T07:08:12Z",
	"20261124T070812Z",
	"",
};

static void test_bad_text(void)
{
	int64_t t;

	for (size_t i = 0; i < sizeof(bad_http) / sizeof(bad_http[0]); i++) {
		check_case("http \"%s\"", bad_http[i]);
		CHECK_EQ(timefmt_parse_http(bad_http[i], &t), -1);
	}
	for (size_t i = 0; i < sizeof(bad_iso) / sizeof(bad_iso[0]); i++) {
		check_case("iso \"%s\"", bad_iso[i]);
		CHECK_EQ(timefmt_parse_iso(bad_iso[i], &t), -1);
	}
	check_case_clear();
}

int main(void)
{
	test_parse_asn1();
	test_format();
	test_format_size();
	test_round_trip();
	test_bad_text();
	return check_done();
}
