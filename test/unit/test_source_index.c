/* The openssl ca index parser: one line at a time, then whole files. */
#include "ocsp/source_index.h"

#include <zlib.h>

#include "check.h"

#define EXP "301231235959Z"	/* 2030-12-31T23:59:59Z */
#define EXP_T 1924991999
#define REV "240101000000Z"	/* 2024-01-01T00:00:00Z */
#define REV_T 1704067200
#define KEYT "20231231120000Z"
#define KEYT_T 1704024000
#define LINE(type, rev, serial) type "\t" EXP "\t" rev "\t" serial "\tunknown\t/CN=test"

enum { OK, ERR };

static const struct {
	const char *line;
	int result;
	/* when OK */
	const char *serial;
	int status, reason, hold;
	int64_t revoked_at, invalidity;
	/* when ERR: part of the message */
	const char *err;
	int64_t not_after;	/* 0: EXP_T */
} lines[] = {
	{ LINE("V", "", "0A"), OK, "0A", CERT_GOOD, REASON_NONE, 0, 0, 0, NULL, 0 },
	{ LINE("E", "", "0B"), OK, "0B", CERT_GOOD, REASON_NONE, 0, 0, 0, NULL, 0 },
	{ LINE("V", "", "a"), OK, "0A", CERT_GOOD, REASON_NONE, 0, 0, 0, NULL, 0 },
	{ LINE("V", "", "00ff"), OK, "FF", CERT_GOOD, REASON_NONE, 0, 0, 0, NULL, 0 },
	{ LINE("V", "", "00"), OK, "00", CERT_GOOD, REASON_NONE, 0, 0, 0, NULL, 0 },
	{ LINE("R", REV, "0C"), OK, "0C", CERT_REVOKED, REASON_NONE, 0, REV_T, 0, NULL, 0 },
	{ LINE("R", "20240101000000Z", "0C"), OK, "0C", CERT_REVOKED, REASON_NONE, 0,
	  REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",unspecified", "0D"), OK, "0D", CERT_REVOKED,
	  REASON_UNSPECIFIED, 0, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",keyCompromise", "0D"), OK, "0D", CERT_REVOKED,
	  REASON_KEY_COMPROMISE, 0, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",CACompromise", "0D"), OK, "0D", CERT_REVOKED,
	  REASON_CA_COMPROMISE, 0, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",affiliationChanged", "0D"), OK, "0D", CERT_REVOKED,
	  REASON_AFFILIATION_CHANGED, 0, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",superseded", "0D"), OK, "0D", CERT_REVOKED,
	  REASON_SUPERSEDED, 0, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",cessationOfOperation", "0D"), OK, "0D", CERT_REVOKED,
	  REASON_CESSATION, 0, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",certificateHold", "0D"), OK, "0D", CERT_REVOKED,
	  REASON_CERTIFICATE_HOLD, HOLD_NOT_SET, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",removeFromCRL", "0D"), OK, "0D", CERT_REVOKED,
	  REASON_REMOVE_FROM_CRL, 0, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",privilegeWithdrawn", "0D"), OK, "0D", CERT_REVOKED,
	  REASON_PRIVILEGE_WITHDRAWN, 0, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",AACompromise", "0D"), OK, "0D", CERT_REVOKED,
	  REASON_AA_COMPROMISE, 0, REV_T, 0, NULL, 0 },
	/* openssl's pseudo reasons with their argument */
	{ LINE("R", REV ",holdInstruction,holdInstructionReject", "0E"), OK, "0E",
	  CERT_REVOKED, REASON_CERTIFICATE_HOLD, HOLD_REJECT, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",holdInstruction,holdInstructionCallIssuer", "0E"), OK, "0E",
	  CERT_REVOKED, REASON_CERTIFICATE_HOLD, HOLD_CALL_ISSUER, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",holdInstruction,holdInstructionNone", "0E"), OK, "0E",
	  CERT_REVOKED, REASON_CERTIFICATE_HOLD, HOLD_NONE, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",holdInstruction,1.2.840.10040.2.1", "0E"), OK, "0E",
	  CERT_REVOKED, REASON_CERTIFICATE_HOLD, HOLD_NONE, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",holdInstruction,1.2.840.10040.2.2", "0E"), OK, "0E",
	  CERT_REVOKED, REASON_CERTIFICATE_HOLD, HOLD_CALL_ISSUER, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",holdInstruction,1.2.840.10040.2.3", "0E"), OK, "0E",
	  CERT_REVOKED, REASON_CERTIFICATE_HOLD, HOLD_REJECT, REV_T, 0, NULL, 0 },
	{ LINE("R", REV ",keyTime," KEYT, "0F"), OK, "0F", CERT_REVOKED,
	  REASON_KEY_COMPROMISE, 0, REV_T, KEYT_T, NULL, 0 },
	{ LINE("R", REV ",CAkeyTime," KEYT, "0F"), OK, "0F", CERT_REVOKED,
	  REASON_CA_COMPROMISE, 0, REV_T, KEYT_T, NULL, 0 },
	{ LINE("R", REV ",keyTime,231231120000Z", "0F"), OK, "0F", CERT_REVOKED,
	  REASON_KEY_COMPROMISE, 0, REV_T, KEYT_T, NULL, 0 },

	/* verbatim from `openssl ca -revoke` (OpenSSL 3.0) */
	{ "R\t271124075937Z\t261124075937Z,holdInstruction,holdInstructionReject\t1003"
	  "\tunknown\t/CN=leaf 4", OK, "1003", CERT_REVOKED, REASON_CERTIFICATE_HOLD,
	  HOLD_REJECT, 1795507177, 0, NULL, 1827043177 },
	{ "R\t271124075937Z\t261124075937Z,keyTime,20240101120000Z\t1004\tunknown"
	  "\t/CN=leaf 5", OK, "1004", CERT_REVOKED, REASON_KEY_COMPROMISE, 0, 1795507177,
	  1704110400, NULL, 1827043177 },

	/* revocation field */
	{ LINE("R", REV ",fooBar", "10"), ERR, .err = "unknown revocation reason 'fooBar'" },
	{ LINE("R", REV ",keycompromise", "10"), ERR, .err = "unknown revocation reason" },
	{ LINE("R", REV ",", "10"), ERR, .err = "unknown revocation reason" },
	{ LINE("R", REV ",holdInstruction", "10"), ERR, .err = "needs an argument" },
	{ LINE("R", REV ",keyTime", "10"), ERR, .err = "needs an argument" },
	{ LINE("R", REV ",CAkeyTime", "10"), ERR, .err = "needs an argument" },
	{ LINE("R", REV ",holdInstruction,bogus", "10"), ERR,
	  .err = "unknown hold instruction 'bogus'" },
	{ LINE("R", REV ",holdInstruction,1.2.840.10040.2.4", "10"), ERR,
	  .err = "unknown hold instruction" },
	{ LINE("R", REV ",holdInstruction,", "10"), ERR, .err = "unknown hold instruction" },
	{ LINE("R", REV ",keyTime,garbage", "10"), ERR, .err = "bad compromise time 'garbage'" },
	{ LINE("R", REV ",keyTime,20231231120000", "10"), ERR, .err = "bad compromise time" },
	{ LINE("R", REV ",keyCompromise," KEYT, "10"), ERR, .err = "takes no argument" },
	{ LINE("R", REV ",superseded,x", "10"), ERR, .err = "takes no argument" },
	{ LINE("R", REV ",keyTime," KEYT ",x", "10"), ERR, .err = "more than three parts" },
	{ LINE("R", REV ",a,b,c,d", "10"), ERR, .err = "more than three parts" },
	{ LINE("R", "garbage", "10"), ERR, .err = "bad revocation time 'garbage'" },
	{ LINE("R", ",keyCompromise", "10"), ERR, .err = "bad revocation time" },
	{ LINE("R", "20240230000000Z", "10"), ERR, .err = "bad revocation time" },
	{ LINE("R", "", "10"), ERR, .err = "without revocation time" },
	{ LINE("V", REV, "10"), ERR, .err = "not revoked" },
	{ LINE("V", REV ",keyCompromise", "10"), ERR, .err = "not revoked" },
	{ LINE("E", REV, "10"), ERR, .err = "not revoked" },

	/* type, expiry, serial */
	{ LINE("X", "", "10"), ERR, .err = "first field must be V, R or E" },
	{ LINE("v", "", "10"), ERR, .err = "first field must be V, R or E" },
	{ LINE("VV", "", "10"), ERR, .err = "first field must be V, R or E" },
	{ LINE("", "", "10"), ERR, .err = "first field must be V, R or E" },
	{ "V\t301231235959\t\t10\tunknown\t/CN=x", ERR, .err = "bad expiry date" },
	{ "V\t\t\t10\tunknown\t/CN=x", ERR, .err = "bad expiry date" },
	{ "V\t20301331235959Z\t\t10\tunknown\t/CN=x", ERR, .err = "bad expiry date" },
	{ LINE("V", "", "XYZ"), ERR, .err = "not hexadecimal" },
	{ LINE("V", "", "0x10"), ERR, .err = "not hexadecimal" },
	{ LINE("V", "", "-10"), ERR, .err = "not hexadecimal" },
	{ LINE("V", "", ""), ERR, .err = "empty serial" },
	{ LINE("V", "", "1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"), ERR,
	  .err = "longer than" },

	/* field count */
	{ "", ERR, .err = "found 1" },
	{ "V", ERR, .err = "found 1" },
	{ "V " EXP "  0A unknown /CN=x", ERR, .err = "found 1" },	/* spaces */
	{ "V\t" EXP "\t\t0A\tunknown", ERR, .err = "expected 6 tab-separated fields, found 5" },
	{ LINE("V", "", "0A") "\t", ERR, .err = "found 7" },
	{ LINE("V", "", "0A") "\textra\tmore", ERR, .err = "found " },
	{ "\t\t\t\t\t\t\t\t\t\t", ERR, .err = "found " },
};

static void test_lines(void)
{
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct status_rec r;
		struct err e = { "" };
		char name[SERIAL_NAME_MAX + 1];
		int ret;

		check_case("line %zu \"%s\"", i, lines[i].line);
		ret = source_index_parse_line(lines[i].line, strlen(lines[i].line), &r, &e);
		if (lines[i].result == ERR) {
			CHECK_EQ(ret, -1);
			CHECK_CONTAINS(e.msg, lines[i].err);
			continue;
		}
		CHECK_EQ(ret, 0);
		if (ret != 0) {
			fprintf(stderr, "  error: %s\n", e.msg);
			continue;
		}
		serial_name(&r.serial, name);
		CHECK_STR(name, lines[i].serial);
		CHECK_EQ(r.status, lines[i].status);
		CHECK_EQ(r.reason, lines[i].reason);
		CHECK_EQ(r.hold, lines[i].hold);
		CHECK_EQ(r.revoked_at, lines[i].revoked_at);
		CHECK_EQ(r.invalidity, lines[i].invalidity);
		CHECK_EQ(r.not_after, lines[i].not_after ? lines[i].not_after : EXP_T);
		CHECK_EQ(r.this_update, 0);
		CHECK_EQ(r.next_update, 0);
	}
	check_case_clear();
}

/* The line is pointer + length: nothing after len is read. */
static void test_line_length(void)
{
	static const char line[] = LINE("V", "", "0A") "\tjunk after the length";
	struct status_rec r;
	struct err e;

	CHECK_EQ(source_index_parse_line(line, strlen(LINE("V", "", "0A")), &r, &e), 0);
	CHECK_EQ(source_index_parse_line(line, strlen(line), &r, &e), -1);
	/* a NUL inside the subject is just a byte */
	static const char nul[] = "V\t" EXP "\t\t0A\tunknown\t/CN=a\0b";
	CHECK_EQ(source_index_parse_line(nul, sizeof(nul) - 1, &r, &e), 0);
}

static const char *write_index(const char *name, const char *text)
{
	return check_tmp_file(name, text, strlen(text));
}

static void test_read_good(void)
{
	const char *path = write_index("good.txt",
	    "\n"
	    LINE("V", "", "30") "\r\n"
	    "\r\n"
	    LINE("R", REV ",superseded", "0A") "\n"
	    "\n"
	    LINE("E", "", "0100") "\n"
	    LINE("V", "", "00") "\n"
	    LINE("V", "", "FF"));		/* no newline at the end */
	static const char *const order[] = { "00", "0A", "30", "FF", "0100" };
	static const uint32_t order_line[] = { 7, 4, 2, 8, 6 };
	struct status_list l;
	struct err e = { "" };
	char name[SERIAL_NAME_MAX + 1];

	status_list_init(&l);
	CHECK_EQ(source_index_read(path, &l, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_EQ(l.n, 5);
	for (size_t i = 0; i < l.n && i < 5; i++) {
		check_case("record %zu", i);
		serial_name(&l.v[i].serial, name);
		CHECK_STR(name, order[i]);
		CHECK_EQ(l.v[i].line, order_line[i]);
	}
	check_case_clear();
	if (l.n == 5) {
		CHECK_EQ(l.v[1].status, CERT_REVOKED);
		CHECK_EQ(l.v[1].reason, REASON_SUPERSEDED);
		CHECK_EQ(l.v[4].status, CERT_GOOD);
	}
	status_list_fini(&l);

	/* empty files and files of blank lines hold no certificate */
	status_list_init(&l);
	CHECK_EQ(source_index_read(write_index("empty.txt", ""), &l, &e), 0);
	CHECK_EQ(l.n, 0);
	CHECK_EQ(source_index_read(write_index("blank.txt", "\n\r\n\n"), &l, &e), 0);
	CHECK_EQ(l.n, 0);
	status_list_fini(&l);
}

static void test_read_errors(void)
{
	struct status_list l;
	struct err e = { "" };
	char want[600];
	const char *path;

	/* the line number counts blank lines */
	path = write_index("bad3.txt",
	    LINE("V", "", "01") "\n"
	    "\n"
	    LINE("V", "", "0G") "\n"
	    LINE("V", "", "02") "\n");
	status_list_init(&l);
	CHECK_EQ(source_index_read(path, &l, &e), -1);
	snprintf(want, sizeof(want), "%s:3: ", path);
	CHECK(strncmp(e.msg, want, strlen(want)) == 0);
	CHECK_CONTAINS(e.msg, "not hexadecimal");
	status_list_fini(&l);

	/* duplicates, however spelled, name both lines */
	path = write_index("dup.txt",
	    LINE("V", "", "01") "\n"
	    LINE("V", "", "0a") "\n"
	    LINE("V", "", "02") "\n"
	    LINE("V", "", "03") "\n"
	    LINE("R", REV, "000A") "\n");
	status_list_init(&l);
	e.msg[0] = '\0';
	CHECK_EQ(source_index_read(path, &l, &e), -1);
	CHECK_CONTAINS(e.msg, path);
	CHECK_CONTAINS(e.msg, ":5: serial 0A already appears on line 2");
	status_list_fini(&l);

	/* a missing file names itself */
	path = check_tmp_path("missing.txt");
	status_list_init(&l);
	CHECK_EQ(source_index_read(path, &l, &e), -1);
	CHECK_CONTAINS(e.msg, path);
	CHECK_CONTAINS(e.msg, "No such file");
	status_list_fini(&l);

	/* a line longer than the limit */
	size_t big = SOURCE_INDEX_MAX_LINE + 10;
	char *text = malloc(big + 64);
	CHECK(text != NULL);
	if (text != NULL) {
		snprintf(text, 64, "%s\n", LINE("V", "", "01"));
		size_t n = strlen(text);
		memset(text + n, 'x', big);
		text[n + big] = '\n';
		path = check_tmp_file("long.txt", text, n + big + 1);
		status_list_init(&l);
		CHECK_EQ(source_index_read(path, &l, &e), -1);
		snprintf(want, sizeof(want), "%s:2: ", path);
		CHECK(strncmp(e.msg, want, strlen(want)) == 0);
		CHECK_CONTAINS(e.msg, "longer than");
		status_list_fini(&l);
		free(text);
	}
}

/* The same index gzip'd reads the same, and its errors name the line. */
static void test_read_gzip(void)
{
	static const char text[] =
	    LINE("V", "", "30") "\r\n"
	    "\n"
	    LINE("R", REV ",superseded", "0A") "\n";
	static const char bad[] = LINE("V", "", "01") "\n" LINE("V", "", "0G") "\n";
	const char *path = check_tmp_path("index.txt.gz");
	struct status_list l;
	struct err e = { "" };
	char name[SERIAL_NAME_MAX + 1], want[600];
	gzFile gz = gzopen(path, "wb");

	CHECK(gz != NULL);
	if (gz == NULL)
		return;
	CHECK_EQ(gzwrite(gz, text, sizeof(text) - 1), (int)sizeof(text) - 1);
	CHECK_EQ(gzclose(gz), Z_OK);
	status_list_init(&l);
	CHECK_EQ(source_index_read(path, &l, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_EQ(l.n, 2);
	if (l.n == 2) {
		serial_name(&l.v[0].serial, name);
		CHECK_STR(name, "0A");
		CHECK_EQ(l.v[0].line, 3);
		CHECK_EQ(l.v[0].status, CERT_REVOKED);
		CHECK_EQ(l.v[1].line, 1);
	}
	status_list_fini(&l);

	path = check_tmp_path("bad.txt.gz");
	gz = gzopen(path, "wb");
	CHECK(gz != NULL);
	if (gz == NULL)
		return;
	CHECK_EQ(gzwrite(gz, bad, sizeof(bad) - 1), (int)sizeof(bad) - 1);
	CHECK_EQ(gzclose(gz), Z_OK);
	status_list_init(&l);
	CHECK_EQ(source_index_read(path, &l, &e), -1);
	snprintf(want, sizeof(want), "%s:2: ", path);
	CHECK(strncmp(e.msg, want, strlen(want)) == 0);
	CHECK_CONTAINS(e.msg, "not hexadecimal");
	status_list_fini(&l);

	/* a NUL byte is refused by the reader, naming the line */
	static const char nul[] = LINE("V", "", "01") "\n" "V\t" EXP "\t\t0A\tunknown\t/CN=a\0b\n";
	path = check_tmp_file("nul.txt", nul, sizeof(nul) - 1);
	status_list_init(&l);
	CHECK_EQ(source_index_read(path, &l, &e), -1);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	CHECK_STR(e.msg, want);
	status_list_fini(&l);
}

int main(void)
{
	test_lines();
	test_line_length();
	test_read_good();
	test_read_errors();
	test_read_gzip();
	return check_done();
}
