/* Durations: number + s/m/h/d, or a bare number in the key's unit. */
#include "ocsp/duration.h"

#include "check.h"

#define BAD INT64_MIN
#define DAY 86400

static const struct {
	const char *s;
	char unit;
	int64_t want;	/* BAD: refused */
} cases[] = {
	{ "4", 'd', 4 * DAY },
	{ "4", 's', 4 },
	{ "4", 'h', 4 * 3600 },
	{ "4d", 'd', 4 * DAY },
	{ "4d", 's', 4 * DAY },		/* a unit beats the default */
	{ "12h", 'd', 12 * 3600 },
	{ "90m", 'd', 90 * 60 },
	{ "30s", 'd', 30 },
	{ "0", 'd', 0 },
	{ "0s", 'd', 0 },
	{ "007", 's', 7 },
	{ "10d", 'd', 10 * DAY },
	{ "3153600000", 's', 3153600000LL },	/* the 100-year cap itself */
	{ "3153600000d", 's', 3153600000LL * DAY },
	{ "3153600001", 's', BAD },
	{ "99999999999999999999", 's', BAD },	/* overflows strtoll */
	{ "9223372036854775807", 's', BAD },
	{ "", 'd', BAD },
	{ "d", 'd', BAD },
	{ "s", 's', BAD },
	{ "4x", 'd', BAD },
	{ "4dd", 'd', BAD },
	{ "4ds", 'd', BAD },
	{ "4D", 'd', BAD },
	{ "4H", 'd', BAD },
	{ "-1", 'd', BAD },
	{ "-1d", 'd', BAD },
	{ "-0", 'd', BAD },
	{ "+4", 'd', BAD },
	{ " 4", 'd', BAD },
	{ "4 ", 'd', BAD },
	{ "4 d", 'd', BAD },
	{ "4d ", 'd', BAD },
	{ "1.5d", 'd', BAD },
	{ "1e3", 's', BAD },
	{ "0x10", 's', BAD },
	{ "4", 0, BAD },		/* no default unit */
	{ "4", 'x', BAD },
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t d = -42;
		int r = duration_parse(cases[i].s, cases[i].unit, &d);

		check_case("\"%s\" unit '%c'", cases[i].s, cases[i].unit ? cases[i].unit : '0');
		if (cases[i].want == BAD) {
			CHECK_EQ(r, -1);
			CHECK_EQ(d, -42);	/* untouched on error */
		} else {
			CHECK_EQ(r, 0);
			CHECK_EQ(d, cases[i].want);
		}
	}
	check_case_clear();
}

static const struct {
	int64_t d;
	const char *text;
} formats[] = {
	{ 0, "0s" },
	{ 1, "1s" },
	{ 30, "30s" },
	{ 60, "1m" },
	{ 90 * 60, "90m" },
	{ 3600, "1h" },
	{ 12 * 3600, "12h" },
	{ 25 * 3600, "25h" },
	{ DAY, "1d" },
	{ 4 * DAY, "4d" },
	{ 3601, "3601s" },
	{ DAY + 60, "1441m" },
};

static void test_format(void)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char buf[32];
		int64_t back = -1;

		check_case("format %lld", (long long)formats[i].d);
		duration_format(buf, sizeof(buf), formats[i].d);
		CHECK_STR(buf, formats[i].text);
		CHECK_EQ(duration_parse(buf, 'd', &back), 0);
		CHECK_EQ(back, formats[i].d);
	}
	check_case_clear();

	char small[3] = "xx";
	duration_format(small, sizeof(small), 4 * DAY + 1);	/* truncated, terminated */
	CHECK_EQ(strlen(small), 2);
}

int main(void)
{
	test_parse();
	test_format();
	return check_done();
}
