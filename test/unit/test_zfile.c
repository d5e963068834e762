/* Plain and gzip'd inputs: lines, limits, bombs, damaged streams. */
#include "ocsp/zfile.h"

#include <sys/stat.h>

#include <zlib.h>

#include "check.h"

/* Writes data gzip'd (one member) to a temp file; returns its path. */
static const char *gz_file(const char *name, const void *data, size_t n)
{
	const char *path = check_tmp_path(name);
	gzFile gz = gzopen(path, "wb9");

	if (gz == NULL || (n > 0 && gzwrite(gz, data, (unsigned)n) != (int)n) ||
	    gzclose(gz) != Z_OK) {
		perror(path);
		exit(2);
	}
	return path;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = malloc(1 << 20);

	if (f == NULL || b == NULL)
		exit(2);
	*n = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

/* Every line of path joined with '|', or "ERR:" and the message. */
static void lines_of(const char *path, size_t max, char *out, size_t size)
{
	struct zfile *zf;
	struct err e = { "" };
	const char *l;
	size_t n, o = 0;
	int r;

	out[0] = '\0';
	if (zfile_open(path, max, &zf, &e) != 0) {
		snprintf(out, size, "ERR:%s", e.msg);
		return;
	}
	while ((r = zfile_line(zf, &l, &n, &e)) > 0) {
		CHECK_EQ(strlen(l), n);
		o += (size_t)snprintf(out + o, size - o, "%s%s", o ? "|" : "", l);
		if (o >= size)
			break;
	}
	if (r < 0)
		snprintf(out, size, "ERR:%s", e.msg);
	zfile_close(zf);
}

static const char text[] = "alpha\nbeta\r\n\ngam\rma\r\r\nlast";
static const char want[] = "alpha|beta||gam\rma\r|last";

static void test_lines(void)
{
	char got[256];
	const char *plain = check_tmp_file("plain.txt", text, strlen(text));
	const char *gz = gz_file("lines.gz", text, strlen(text));
	struct zfile *zf;
	struct err e = { "" };
	const char *l;
	size_t n;

	check_case("plain");
	lines_of(plain, 64, got, sizeof(got));
	CHECK_STR(got, want);
	check_case("gzip");
	lines_of(gz, 64, got, sizeof(got));
	CHECK_STR(got, want);
	check_case_clear();

	CHECK_EQ(zfile_open(gz, 64, &zf, &e), 0);
	CHECK_EQ(zfile_is_gzip(zf), 1);
	CHECK_EQ(zfile_lineno(zf), 0);
	while (zfile_line(zf, &l, &n, &e) == 1)
		;
	CHECK_EQ(zfile_lineno(zf), 5);
	CHECK_EQ(zfile_line(zf, &l, &n, &e), 0);	/* the end stays the end */
	zfile_close(zf);
	CHECK_EQ(zfile_open(plain, 64, &zf, &e), 0);
	CHECK_EQ(zfile_is_gzip(zf), 0);
	zfile_close(zf);
	zfile_close(NULL);

	/* a final newline adds no empty line; empty files have no lines */
	lines_of(check_tmp_file("nl.txt", "a\n", 2), 8, got, sizeof(got));
	CHECK_STR(got, "a");
	lines_of(check_tmp_file("empty.txt", "", 0), 8, got, sizeof(got));
	CHECK_STR(got, "");
	lines_of(gz_file("empty.gz", "", 0), 8, got, sizeof(got));
	CHECK_STR(got, "");
}

/* Lines across zlib's 64 KiB reads, the same plain and gzip'd. */
static void test_big(void)
{
	size_t cap = 600000, n = 0, lines = 0;
	char *t = malloc(cap);
	const char *paths[2];

	CHECK(t != NULL);
	if (t == NULL)
		return;
	while (n + 5000 < cap) {
		size_t len = (lines * 7919) % 4000;
		memset(t + n, 'a' + (int)(lines % 26), len);
		n += len;
		t[n++] = '\n';
		lines++;
	}
	paths[0] = check_tmp_file("big.txt", t, n);
	paths[1] = gz_file("big.gz", t, n);
	for (int i = 0; i < 2; i++) {
		struct zfile *zf;
		struct err e = { "" };
		const char *l;
		size_t len, at = 0, count = 0;
		int r, same = 1;

		check_case("big %s", i ? "gzip" : "plain");
		CHECK_EQ(zfile_open(paths[i], 4000, &zf, &e), 0);
		while ((r = zfile_line(zf, &l, &len, &e)) == 1) {
			same = same && at + len < n && memcmp(t + at, l, len) == 0 &&
			    t[at + len] == '\n';
			at += len + 1;
			count++;
		}
		CHECK_EQ(r, 0);
		CHECK(same);
		CHECK_EQ(count, lines);
		CHECK_EQ(at, n);
		zfile_close(zf);
	}
	check_case_clear();
	free(t);
}

static void test_limits(void)
{
	char got[600], exp[600];
	const char *p;

	/* max_line counts the line without its end, CRLF included */
	p = check_tmp_file("eight.txt", "12345678\n12345678\r\nx\n", 21);
	lines_of(p, 8, got, sizeof(got));
	CHECK_STR(got, "12345678|12345678|x");
	p = check_tmp_file("nine.txt", "ok\n123456789\n", 13);
	lines_of(p, 8, got, sizeof(got));
	snprintf(exp, sizeof(exp), "ERR:%s:2: line longer than 8 bytes", p);
	CHECK_STR(got, exp);
	/* also when the long line is the last, without a newline */
	p = gz_file("nine.gz", "ok\n123456789", 12);
	lines_of(p, 8, got, sizeof(got));
	snprintf(exp, sizeof(exp), "ERR:%s:2: line longer than 8 bytes", p);
	CHECK_STR(got, exp);
	/* a CR that is not the end of a CRLF counts */
	p = check_tmp_file("cr.txt", "12345678\r", 9);
	lines_of(p, 8, got, sizeof(got));
	CHECK_STR(got, "12345678");
	p = check_tmp_file("crcr.txt", "12345678\r\r\n", 11);
	lines_of(p, 8, got, sizeof(got));
	CHECK_CONTAINS(got, ":1: line longer than 8 bytes");

	/* a NUL is an error, also gzip'd, and stays one */
	p = gz_file("nul.gz", "a\nb\0c\nd\n", 8);
	lines_of(p, 8, got, sizeof(got));
	snprintf(exp, sizeof(exp), "ERR:%s:2: NUL byte in line", p);
	CHECK_STR(got, exp);
	{
		struct zfile *zf;
		struct err e = { "" };
		const char *l;
		size_t n;

		CHECK_EQ(zfile_open(p, 8, &zf, &e), 0);
		CHECK_EQ(zfile_line(zf, &l, &n, &e), 1);
		CHECK_EQ(zfile_line(zf, &l, &n, &e), -1);
		e.msg[0] = '\0';
		CHECK_EQ(zfile_line(zf, &l, &n, &e), -1);
		CHECK_CONTAINS(e.msg, "NUL byte");
		zfile_close(zf);
	}

	/* bounds of max_line itself */
	struct zfile *zf;
	struct err e = { "" };
	CHECK_EQ(zfile_open(p, 0, &zf, &e), -1);
	CHECK(zf == NULL);
	CHECK_EQ(zfile_open(p, (size_t)1 << 30, &zf, &e), -1);
}

static void test_open_errors(void)
{
	struct zfile *zf;
	struct err e = { "" };
	uint8_t *b;
	size_t n;
	const char *missing = check_tmp_path("missing.txt");
	const char *dir = check_tmp_path("adir");

	CHECK_EQ(zfile_open(missing, 10, &zf, &e), -1);
	CHECK_CONTAINS(e.msg, missing);
	CHECK_CONTAINS(e.msg, "No such file");
	CHECK_EQ(mkdir(dir, 0700), 0);
	CHECK_EQ(zfile_open(dir, 10, &zf, &e), -1);
	CHECK_CONTAINS(e.msg, "not a regular file");
	CHECK_EQ(zfile_read_all(dir, 10, &b, &n, &e), -1);
	CHECK_CONTAINS(e.msg, "not a regular file");
	CHECK(b == NULL);
}

static void test_read_all(void)
{
	size_t big = 10u << 20, n, zn;
	uint8_t *zeros = calloc(1, big), *b, *z;
	struct err e = { "" };
	const char *p;

	CHECK(zeros != NULL);
	if (zeros == NULL)
		return;
	/* 10 MiB of zeros are about 10 KiB gzip'd: refused with a 1 MiB cap */
	p = gz_file("bomb.gz", zeros, big);
	z = slurp(p, &zn);
	CHECK(zn < 64 * 1024);
	free(z);
	CHECK_EQ(zfile_read_all(p, 1u << 20, &b, &n, &e), -1);
	CHECK_CONTAINS(e.msg, p);
	CHECK_CONTAINS(e.msg, "(gzip): inflates to more than 1048576 bytes");
	CHECK(b == NULL);
	/* exactly at the cap: read */
	CHECK_EQ(zfile_read_all(p, big, &b, &n, &e), 0);
	CHECK_EQ(n, big);
	CHECK(b != NULL && b[n] == '\0' && memcmp(b, zeros, big) == 0);
	free(b);
	CHECK_EQ(zfile_read_all(p, big - 1, &b, &n, &e), -1);

	/* plain files: the same cap, another message */
	p = check_tmp_file("plain.bin", "0123456789", 10);
	CHECK_EQ(zfile_read_all(p, 10, &b, &n, &e), 0);
	CHECK_MEM(b, n, "0123456789", 10);
	free(b);
	CHECK_EQ(zfile_read_all(p, 9, &b, &n, &e), -1);
	CHECK_CONTAINS(e.msg, "larger than 9 bytes");
	p = check_tmp_file("zero.bin", "", 0);
	CHECK_EQ(zfile_read_all(p, 9, &b, &n, &e), 0);
	CHECK_EQ(n, 0);
	CHECK(b != NULL && b[0] == '\0');
	free(b);

	/* binary bytes (a DER CRL) pass through untouched, gzip'd or not */
	static const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x0d, 0x00 };
	p = gz_file("der.gz", der, sizeof(der));
	CHECK_EQ(zfile_read_all(p, 100, &b, &n, &e), 0);
	CHECK_MEM(b, n, der, sizeof(der));
	free(b);
	free(zeros);
}

/* Concatenated members read as one; truncated or damaged ones fail. */
static void test_damaged(void)
{
	char got[600];
	const char *p;
	uint8_t *z, *b, *cat;
	size_t zn, n;
	struct err e = { "" };

	p = gz_file("one.gz", text, strlen(text));
	z = slurp(p, &zn);
	cat = malloc(2 * zn);
	CHECK(cat != NULL);
	if (cat == NULL)
		return;
	/* "last" of the first joins "alpha" of the second: no newline between */
	memcpy(cat, z, zn);
	memcpy(cat + zn, z, zn);
	p = check_tmp_file("two.gz", cat, 2 * zn);
	lines_of(p, 64, got, sizeof(got));
	CHECK_STR(got, "alpha|beta||gam\rma\r|lastalpha|beta||gam\rma\r|last");
	free(cat);

	/* cut inside the deflate data, and inside the trailer */
	for (size_t cut = 1; cut <= 10; cut += 3) {
		char name[32];

		check_case("cut %zu", cut);
		snprintf(name, sizeof(name), "cut%zu.gz", cut);
		p = check_tmp_file(name, z, zn - cut);
		lines_of(p, 64, got, sizeof(got));
		CHECK_CONTAINS(got, "ERR:");
		CHECK_CONTAINS(got, "(gzip): truncated");
		CHECK_EQ(zfile_read_all(p, 1000, &b, &n, &e), -1);
		CHECK_CONTAINS(e.msg, "(gzip): truncated");
	}
	check_case_clear();
	/* only the magic */
	p = check_tmp_file("magic.gz", z, 2);
	CHECK_EQ(zfile_read_all(p, 1000, &b, &n, &e), -1);
	CHECK_CONTAINS(e.msg, "(gzip)");

	/* a wrong CRC-32 in the trailer */
	z[zn - 8] ^= 0x55;
	p = check_tmp_file("crc.gz", z, zn);
	CHECK_EQ(zfile_read_all(p, 1000, &b, &n, &e), -1);
	CHECK_CONTAINS(e.msg, "(gzip): corrupt");
	lines_of(p, 64, got, sizeof(got));
	CHECK_CONTAINS(got, "(gzip): corrupt");
	free(z);
}

int main(void)
{
	test_lines();
	test_big();
	test_limits();
	test_open_errors();
	test_read_all();
	test_damaged();
	return check_done();
}
