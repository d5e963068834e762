/* lookupd's access log: what a client chose is escaped so that one
 * request is one line of nine fields, absent fields are "-", a line is
 * bounded, and a reopen after the file was moved writes to the new file
 * under the old descriptor. */
#include "access_log.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "check.h"

static void test_escape(void)
{
	static const struct { const char *in; size_t n; size_t cap; const char *want; } cases[] = {
		{ "GET", 3, 64, "GET" },
		{ "", 0, 64, "-" },
		{ NULL, 0, 64, "-" },
		{ "a b", 3, 64, "a\\x20b" },
		{ "q\"\\", 3, 64, "q\\x22\\x5c" },
		{ "nl\n\r\t", 5, 64, "nl\\x0a\\x0d\\x09" },
		{ "\x7f\xff", 2, 64, "\\x7f\\xff" },
		{ "nul\0x", 5, 64, "nul\\x00x" },
		/* Cut before an escape that does not fit, never inside one. */
		{ "ab\ncd", 5, 6, "ab" },
		{ "abcdef", 6, 4, "abc" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_case("escape %zu", i);
		size_t n = access_log_escape(out, cases[i].cap, cases[i].in, cases[i].n);
		CHECK_STR(out, cases[i].want);
		CHECK_EQ(n, strlen(cases[i].want));
	}
	check_case_clear();
	CHECK_EQ(access_log_escape(out, 0, "x", 1), 0);
}

static size_t fields(const char *line)
{
	size_t n = 1;

	for (; *line != '\0' && *line != '\n'; line++)
		n += *line == ' ';
	return n;
}

static void test_format(void)
{
	struct access_entry e = { 1796189104, "192.0.2.1", "GET", "ab12", "1000", 200,
	    "successful", "tree", 85 };
	char line[ACCESS_LOG_LINE_MAX], method[200];

	CHECK(access_log_format(line, sizeof(line), &e) > 0);
	CHECK_STR(line, "2026-12-02T05:25:04Z 192.0.2.1 GET ab12 1000 200 successful tree 85\n");
	e.method = "PUT";
	e.issuer = e.serial = e.ocsp_status = e.source = NULL;
	e.code = 405;
	access_log_format(line, sizeof(line), &e);
	CHECK_STR(line, "2026-12-02T05:25:04Z 192.0.2.1 PUT - - 405 - - 85\n");
	/* A method with blanks and a newline stays one field of one line, and
	 * only ACCESS_LOG_FIELD_MAX bytes of it are shown. */
	memset(method, 'M', sizeof(method) - 1);
	method[sizeof(method) - 1] = '\0';
	memcpy(method, "G T\nX", 5);
	e.method = method;
	access_log_format(line, sizeof(line), &e);
	CHECK_EQ(fields(line), 9);
	CHECK(strchr(line, '\n') == line + strlen(line) - 1);
	CHECK_CONTAINS(line, " G\\x20T\\x0aX" "MMMMMMMMMMMMMMMMMMMMMMMMMMM - - 405 ");
	/* Too small for the fixed fields. */
	CHECK_EQ(access_log_format(line, 10, &e), 0);
	/* A small buffer still ends in a newline. */
	CHECK(access_log_format(line, 70, &e) > 0);
	CHECK(line[strlen(line) - 1] == '\n');
}

static size_t file_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c;

	if (f == NULL)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void test_reopen(void)
{
	const char *path = check_tmp_path("access.log");
	const char *moved = check_tmp_path("access.log.1");
	struct access_entry e = { 1796189104, "192.0.2.1", "GET", NULL, NULL, 200, NULL, NULL, 1 };
	struct access_log *l = NULL;
	struct stat st;
	struct err er;

	CHECK_EQ(access_log_open(NULL, &l, &er), 0);
	CHECK(l == NULL);
	access_log_write(NULL, &e);
	CHECK_EQ(access_log_reopen(NULL, &er), 0);
	CHECK_EQ(access_log_open(path, &l, &er), 0);
	CHECK(l != NULL);
	access_log_write(l, &e);
	access_log_write(l, &e);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0640);
	CHECK_EQ(rename(path, moved), 0);
	access_log_write(l, &e);	/* still to the moved file */
	CHECK_EQ(access_log_reopen(l, &er), 0);
	access_log_write(l, &e);
	CHECK_EQ(file_lines(moved), 3);
	CHECK_EQ(file_lines(path), 1);
	access_log_free(l);
	access_log_free(NULL);
	CHECK(access_log_open("/nonexistent/dir/log", &l, &er) != 0);
	CHECK_CONTAINS(er.msg, "/nonexistent/dir/log");
}

int main(void)
{
	test_escape();
	test_format();
	test_reopen();
	return check_done();
}
