/* Issued-serial lists: a directory of certificates (some of other CAs,
 * some no certificate at all) and files of hex serials. */
#include "ocsp/issued.h"

#include <sys/stat.h>
#include <time.h>

#include <openssl/pem.h>
#include <zlib.h>

#include "check.h"
#include "pki.h"

#define T0 1700000000
#define DAY 86400

static const struct {
	const char *line;
	int result;		/* 1 serial, 0 nothing, -1 error */
	const char *serial;	/* when 1 */
	const char *err;	/* when -1: part of the message */
} lines[] = {
	{ "1001", 1, "1001", NULL },
	{ "0x1001", 1, "1001", NULL },
	{ "0X00ab", 1, "AB", NULL },
	{ "abc", 1, "0ABC", NULL },
	{ "0", 1, "00", NULL },
	{ "00", 1, "00", NULL },
	{ "0x0", 1, "00", NULL },
	{ " \t1001\t ", 1, "1001", NULL },
	{ "1001 # the first", 1, "1001", NULL },
	{ "1001#tight", 1, "1001", NULL },
	{ "", 0, NULL, NULL },
	{ "   \t", 0, NULL, NULL },
	{ "# a comment", 0, NULL, NULL },
	{ "  # indented comment", 0, NULL, NULL },
	{ "0x", -1, NULL, "empty serial" },
	{ "0x # nothing", -1, NULL, "empty serial" },
	{ "10 01", -1, NULL, "more text" },
	{ "1001,1002", -1, NULL, "not hexadecimal" },
	{ "10:01", -1, NULL, "not hexadecimal" },
	{ "-1001", -1, NULL, "not hexadecimal" },
	{ "0x0x10", -1, NULL, "not hexadecimal" },
	{ "serial=1001", -1, NULL, "not hexadecimal" },
	{ "1001\r", -1, NULL, "not hexadecimal" },
	{ "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", 1,
	  "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", NULL },
	{ "10123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", -1, NULL,
	  "longer than" },
};

static void test_parse_line(void)
{
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct serial s;
		struct err e = { "" };
		char name[SERIAL_NAME_MAX + 1];
		int r;

		check_case("line '%s'", lines[i].line);
		r = issued_parse_line(lines[i].line, strlen(lines[i].line), &s, &e);
		CHECK_EQ(r, lines[i].result);
		if (r == 1 && lines[i].result == 1) {
			serial_name(&s, name);
			CHECK_STR(name, lines[i].serial);
		}
		if (lines[i].err != NULL)
			CHECK_CONTAINS(e.msg, lines[i].err);
	}
	check_case_clear();
	/* pointer + length: what follows the length is not looked at */
	struct serial s;
	struct err e = { "" };
	CHECK_EQ(issued_parse_line("12zz", 2, &s, &e), 1);
}

static char warnings[2048];
static int nwarnings;

static void on_warn(void *arg, const char *msg)
{
	size_t n = strlen(warnings);

	(void)arg;
	nwarnings++;
	snprintf(warnings + n, sizeof(warnings) - n, "%s\n", msg);
}

static int has(const struct issued *is, const char *hex)
{
	struct serial s;
	struct err e;

	return serial_from_hex(&s, hex, strlen(hex), &e) == 0 && issued_find(is, &s) != NULL;
}

static void write_der(X509 *x, const char *path)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || !i2d_X509_fp(f, x) || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

/* A certificate as `openssl ca` writes it without -notext: text first. */
static void write_with_text(X509 *x, const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs("Certificate:\n    Data:\n        Version: 3 (0x2)\n", f) < 0 ||
	    !PEM_write_X509(f, x) || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static X509 *leaf(const char *cn, long serial, X509 *ca, EVP_PKEY *ca_key, int64_t na)
{
	static EVP_PKEY *key;
	struct pki_cert_opts o = { 0 };

	if (key == NULL)
		key = pki_key(PKI_EC256);
	o.cn = cn;
	o.key = key;
	o.issuer = ca;
	o.issuer_key = ca_key;
	o.serial = serial;
	o.not_before = T0;
	o.not_after = na;
	return pki_cert(&o);
}

static X509 *ca_cert(const char *cn, EVP_PKEY *key)
{
	struct pki_cert_opts o = { 0 };

	o.cn = cn;
	o.key = key;
	o.serial = 1;
	o.not_before = T0;
	o.not_after = T0 + 3650 * DAY;
	o.ca = 1;
	return pki_cert(&o);
}

/* Waits past the file system's timestamp granularity (a clock tick). */
static void tick(void)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static void test_dir(void)
{
	EVP_PKEY *ka = pki_key(PKI_EC256), *kb = pki_key(PKI_EC256), *kc = pki_key(PKI_EC256);
	X509 *ca = ca_cert("Issued CA", ka);
	X509 *other = ca_cert("Other CA", kb);
	X509 *twin = ca_cert("Issued CA", kc);	/* same name, another key */
	X509 *certs[8];
	const char *dir = check_tmp_path("certs");
	char spec[600], big_path[600];
	struct issued *is = NULL;
	struct err e = { "" };
	const struct issued_stats *st;
	int n = 0;

	CHECK_EQ(mkdir(dir, 0700), 0);
	snprintf(spec, sizeof(spec), "dir:%s", dir);
	certs[n] = leaf("one", 0x1001, ca, ka, T0 + 90 * DAY);
	pki_write_cert(certs[n++], check_tmp_path("certs/1001.pem"));
	/* the same serial again, reissued with a later expiry */
	certs[n] = leaf("one again", 0x1001, ca, ka, T0 + 200 * DAY);
	pki_write_cert(certs[n++], check_tmp_path("certs/1001-again.pem"));
	certs[n] = leaf("two", 0x1002, ca, ka, T0 + 90 * DAY);
	write_der(certs[n++], check_tmp_path("certs/1002.der"));
	certs[n] = leaf("three", 0x1003, ca, ka, T0 + 91 * DAY);
	write_with_text(certs[n++], check_tmp_path("certs/1003.pem"));
	certs[n] = leaf("stranger", 0x2001, other, kb, T0 + 90 * DAY);
	pki_write_cert(certs[n++], check_tmp_path("certs/stranger.pem"));
	certs[n] = leaf("twin", 0x2002, twin, kc, T0 + 90 * DAY);
	pki_write_cert(certs[n++], check_tmp_path("certs/twin.pem"));
	certs[n] = leaf("negative", -5, ca, ka, T0 + 90 * DAY);
	pki_write_cert(certs[n++], check_tmp_path("certs/negative.pem"));
	/* a temp file of fsutil's is never looked at, even a good one */
	certs[n] = leaf("temp", 0x9999, ca, ka, T0 + 90 * DAY);
	pki_write_cert(certs[n++], check_tmp_path("certs/.9999.pem.tmp"));
	write_text(check_tmp_path("certs/README"), "These are the certificates.\n");
	pki_write_key(ka, check_tmp_path("certs/ca.key"), NULL, 0);
	/* a symlink to a certificate counts as it: a duplicate */
	CHECK_EQ(symlink("1002.der", check_tmp_path("certs/a1b2c3d4.0")), 0);
	CHECK_EQ(symlink("nowhere.pem", check_tmp_path("certs/dangling.pem")), 0);
	CHECK_EQ(mkdir(check_tmp_path("certs/sub"), 0700), 0);
	{
		char *b = malloc(ISSUED_MAX_FILE_BYTES + 1);
		CHECK(b != NULL);
		if (b != NULL) {
			memset(b, 'A', ISSUED_MAX_FILE_BYTES + 1);
			snprintf(big_path, sizeof(big_path), "%s",
			    check_tmp_file("certs/huge.pem", b, ISSUED_MAX_FILE_BYTES + 1));
			free(b);
		}
	}

	warnings[0] = '\0';
	nwarnings = 0;
	CHECK_EQ(issued_load(spec, ca, on_warn, NULL, &is, &e), 0);
	CHECK_STR(e.msg, "");
	if (is == NULL)
		goto out;
	CHECK_EQ(issued_list(is)->n, 3);
	CHECK(has(is, "1001"));
	CHECK(has(is, "1002"));
	CHECK(has(is, "1003"));
	CHECK(!has(is, "2001"));
	CHECK(!has(is, "2002"));
	CHECK(!has(is, "9999"));
	CHECK(!has(is, "05"));
	CHECK_STR(issued_name(is), spec);
	if (issued_list(is)->n == 3) {
		const struct status_rec *r = issued_list(is)->v;
		CHECK_EQ(r[0].status, CERT_GOOD);
		CHECK_EQ(r[0].not_after, T0 + 200 * DAY);	/* the later one */
		CHECK_EQ(r[1].not_after, T0 + 90 * DAY);
		CHECK_EQ(r[2].not_after, T0 + 91 * DAY);
		CHECK_EQ(r[2].line, 0);
	}
	st = issued_stats(is);
	/* 8 certificate files (one the symlink), README, the key, huge.pem */
	CHECK_EQ(st->files, 11);
	CHECK_EQ(st->other_issuer, 2);
	CHECK_EQ(st->not_cert, 5);	/* README, key, huge, negative, dangling */
	CHECK_EQ(st->duplicates, 2);
	CHECK_EQ(nwarnings, 2);
	CHECK_CONTAINS(warnings, "2 certificates of another CA skipped:");
	CHECK_CONTAINS(warnings, "stranger.pem");
	CHECK_CONTAINS(warnings, "twin.pem");
	CHECK_CONTAINS(warnings, "5 files that are not certificates of this CA skipped:");
	CHECK_CONTAINS(warnings, "dangling.pem (No such file or directory)");
	CHECK_CONTAINS(warnings, "README (not a certificate)");
	CHECK_CONTAINS(warnings, "ca.key (not a certificate)");
	CHECK_CONTAINS(warnings, "negative.pem (negative or overlong serial)");
	CHECK_CONTAINS(warnings, "huge.pem (larger than 262144 bytes)");
	CHECK(strstr(warnings, big_path) == NULL);	/* names, not paths */

	/* change detection: nothing yet; a new file; an edit in place */
	CHECK_EQ(issued_changed(is), 0);
	CHECK_EQ(issued_changed(is), 0);
	tick();
	write_text(check_tmp_path("certs/NOTES"), "x\n");
	CHECK_EQ(issued_changed(is), 1);
	issued_free(is);
	CHECK_EQ(issued_load(spec, ca, NULL, NULL, &is, &e), 0);
	if (is == NULL)
		goto out;
	CHECK_EQ(issued_changed(is), 0);
	tick();
	write_text(check_tmp_path("certs/NOTES"), "y\n");	/* same size, in place */
	CHECK_EQ(issued_changed(is), 1);
	issued_free(is);
	CHECK_EQ(issued_load(spec, ca, NULL, NULL, &is, &e), 0);
	if (is == NULL)
		goto out;
	tick();
	CHECK_EQ(chmod(check_tmp_path("certs/NOTES"), 0600), 0);
	CHECK_EQ(issued_changed(is), 1);
	issued_free(is);
	is = NULL;

	/* errors: no CA, an unreadable directory, not a directory */
	CHECK_EQ(issued_load(spec, NULL, NULL, NULL, &is, &e), -1);
	CHECK_CONTAINS(e.msg, "needs the CA's certificate");
	snprintf(spec, sizeof(spec), "dir:%s/nothing-here", dir);
	CHECK_EQ(issued_load(spec, ca, NULL, NULL, &is, &e), -1);
	CHECK_CONTAINS(e.msg, spec);
	CHECK_CONTAINS(e.msg, "No such file");
	CHECK(is == NULL);
	snprintf(spec, sizeof(spec), "dir:%s/README", dir);
	CHECK_EQ(issued_load(spec, ca, NULL, NULL, &is, &e), -1);
	CHECK_CONTAINS(e.msg, "Not a directory");
out:
	issued_free(is);
	for (int i = 0; i < n; i++)
		X509_free(certs[i]);
	X509_free(ca);
	X509_free(other);
	X509_free(twin);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
	EVP_PKEY_free(kc);
}

static const char list_text[] =
    "# serials issued by the test CA\n"
    "\n"
    "1001\n"
    "  0x1002   # with a comment\n"
    "1001\n"
    "ABCDEF\r\n"
    "00ff\n"
    "0X1001";

static void check_list(const char *path, const char *what)
{
	char spec[600];
	struct issued *is = NULL;
	struct err e = { "" };
	static const char *const want[] = { "FF", "1001", "1002", "ABCDEF" };
	static const uint32_t want_line[] = { 7, 3, 4, 6 };
	char name[SERIAL_NAME_MAX + 1];

	check_case("%s", what);
	snprintf(spec, sizeof(spec), "file:%s", path);
	CHECK_EQ(issued_load(spec, NULL, on_warn, NULL, &is, &e), 0);
	CHECK_STR(e.msg, "");
	if (is == NULL)
		return;
	CHECK_EQ(issued_list(is)->n, 4);
	for (size_t i = 0; i < 4 && i < issued_list(is)->n; i++) {
		serial_name(&issued_list(is)->v[i].serial, name);
		CHECK_STR(name, want[i]);
		CHECK_EQ(issued_list(is)->v[i].line, want_line[i]);
		CHECK_EQ(issued_list(is)->v[i].not_after, 0);
	}
	CHECK_EQ(issued_stats(is)->duplicates, 2);
	CHECK(has(is, "0000ABCDEF"));
	CHECK(!has(is, "1003"));
	CHECK_EQ(issued_changed(is), 0);
	issued_free(is);
	check_case_clear();
}

static void test_file(void)
{
	const char *path = check_tmp_file("issued.txt", list_text, strlen(list_text));
	const char *gz = check_tmp_path("issued.txt.gz");
	char spec[600], want[700];
	struct issued *is = NULL;
	struct err e = { "" };
	gzFile g;

	nwarnings = 0;
	check_list(path, "plain");
	g = gzopen(gz, "wb");
	CHECK(g != NULL);
	if (g != NULL) {
		CHECK_EQ(gzwrite(g, list_text, strlen(list_text)), (int)strlen(list_text));
		CHECK_EQ(gzclose(g), Z_OK);
		check_list(gz, "gzip");
	}
	CHECK_EQ(nwarnings, 0);

	/* change: replaced by rename, edited in place, removed */
	snprintf(spec, sizeof(spec), "file:%s", path);
	CHECK_EQ(issued_load(spec, NULL, NULL, NULL, &is, &e), 0);
	if (is != NULL) {
		const char *next = check_tmp_file("issued.next", "1001\n", 5);
		CHECK_EQ(issued_changed(is), 0);
		CHECK_EQ(rename(next, path), 0);
		CHECK_EQ(issued_changed(is), 1);
		issued_free(is);
		is = NULL;
	}
	CHECK_EQ(issued_load(spec, NULL, NULL, NULL, &is, &e), 0);
	if (is != NULL) {
		CHECK_EQ(issued_list(is)->n, 1);
		tick();
		write_text(path, "1002\n");
		CHECK_EQ(issued_changed(is), 1);
		issued_free(is);
		is = NULL;
	}
	CHECK_EQ(issued_load(spec, NULL, NULL, NULL, &is, &e), 0);
	if (is != NULL) {
		CHECK_EQ(unlink(path), 0);
		CHECK_EQ(issued_changed(is), 1);
		issued_free(is);
		is = NULL;
	}
	write_text(path, "1001\n");	/* for the cleanup */

	/* a malformed line names the file and line, blank lines counted */
	path = check_tmp_file("bad.txt", "1001\n\n# ok\nxyz\n", 15);
	snprintf(spec, sizeof(spec), "file:%s", path);
	CHECK_EQ(issued_load(spec, NULL, NULL, NULL, &is, &e), -1);
	snprintf(want, sizeof(want), "%s:4: serial number is not hexadecimal", path);
	CHECK_STR(e.msg, want);
	CHECK(is == NULL);
	/* an empty list is a list */
	path = check_tmp_file("empty.txt", "# none yet\n", 11);
	snprintf(spec, sizeof(spec), "file:%s", path);
	CHECK_EQ(issued_load(spec, NULL, NULL, NULL, &is, &e), 0);
	if (is != NULL)
		CHECK_EQ(issued_list(is)->n, 0);
	issued_free(is);
	is = NULL;
	/* a line too long for ISSUED_MAX_LINE */
	{
		char *b = malloc(ISSUED_MAX_LINE + 2);
		CHECK(b != NULL);
		if (b != NULL) {
			memset(b, '1', ISSUED_MAX_LINE + 1);
			b[ISSUED_MAX_LINE + 1] = '\n';
			path = check_tmp_file("long.txt", b, ISSUED_MAX_LINE + 2);
			snprintf(spec, sizeof(spec), "file:%s", path);
			CHECK_EQ(issued_load(spec, NULL, NULL, NULL, &is, &e), -1);
			CHECK_CONTAINS(e.msg, ":1: line longer than 1024 bytes");
			free(b);
		}
	}
	/* missing */
	snprintf(spec, sizeof(spec), "file:%s", check_tmp_path("nothing.txt"));
	CHECK_EQ(issued_load(spec, NULL, NULL, NULL, &is, &e), -1);
	CHECK_CONTAINS(e.msg, "No such file");
}

static void test_specs(void)
{
	static const char *const bad[] = { "", "dir:", "file:", "/plain/path", "crl:/x",
	    "File:/x" };
	struct issued *is = NULL;
	struct err e = { "" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_case("spec '%s'", bad[i]);
		CHECK_EQ(issued_load(bad[i], NULL, NULL, NULL, &is, &e), -1);
		CHECK_CONTAINS(e.msg, "expected dir:/path or file:/path");
		CHECK(is == NULL);
	}
	check_case_clear();
	issued_free(NULL);
}

int main(void)
{
	test_parse_line();
	test_dir();
	test_file();
	test_specs();
	return check_done();
}
