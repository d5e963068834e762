/* log_escape: client strings can never forge a log line. */
#include "ocsp/log.h"

#include "check.h"

static const struct {
	const char *in;
	size_t in_len;
	size_t out_size;
	const char *want;
} cases[] = {
	{ "plain text", 10, 64, "plain text" },
	{ "a\nb", 3, 64, "a\\x0ab" },
	{ "a\r\nlevel=error", 14, 64, "a\\x0d\\x0alevel=error" },
	{ "back\\slash", 10, 64, "back\\x5cslash" },
	{ "\x1b[31mred", 8, 64, "\\x1b[31mred" },
	{ "\x7f\x80\xff", 3, 64, "\\x7f\\x80\\xff" },
	{ "nul\0here", 8, 64, "nul\\x00here" },
	{ "abcdef", 3, 64, "abc" },			/* in_len counts */
	{ "abcdef", 6, 4, "abc" },			/* truncated, terminated */
	{ "ab\ncd", 5, 6, "ab" },			/* no half escape */
	{ "ab\ncd", 5, 7, "ab\\x0a" },
	{ "", 0, 64, "" },
	{ "abc", 3, 1, "" },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];

		check_case("case %zu", i);
		memset(out, 'Z', sizeof(out));
		CHECK(log_escape(out, cases[i].out_size, cases[i].in, cases[i].in_len) == out);
		CHECK_STR(out, cases[i].want);
		CHECK(strlen(out) < cases[i].out_size);
		if (cases[i].out_size < sizeof(out))	/* nothing written past out_size */
			CHECK_EQ(out[cases[i].out_size], 'Z');
	}
	check_case_clear();
	char untouched = 'Q';
	log_escape(&untouched, 0, "abc", 3);
	CHECK_EQ(untouched, 'Q');
	return check_done();
}
