/* The unit tests' whole framework: checks that count failures instead of
 * stopping, a label naming the table row being checked, and temp files
 * that are removed at exit.
 *
 *   int main(void) { CHECK_EQ(f(1), 2); return check_done(); }
 *
 * check_done() prints a summary and returns non-zero on any failure, so
 * ctest sees a failed test. */
#ifndef OCSP_TEST_CHECK_H
#define OCSP_TEST_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_failures;
static int check_count;
static char check_label[256];

/* Names the case being checked, shown with every failure until changed. */
__attribute__((format(printf, 1, 2), unused))
static void check_case(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(check_label, sizeof(check_label), fmt, ap);
	va_end(ap);
}

__attribute__((unused))
static void check_case_clear(void)
{
	check_label[0] = '\0';
}

__attribute__((format(printf, 3, 4), unused))
static void check_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	check_failures++;
	fprintf(stderr, "%s:%d: ", file, line);
	if (check_label[0] != '\0')
		fprintf(stderr, "[%s] ", check_label);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define CHECK(cond) do { \
	check_count++; \
	if (!(cond)) \
		check_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond); \
} while (0)

/* Integers of any type up to 64 bits, signed or not. */
#define CHECK_EQ(a, b) do { \
	long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
	check_count++; \
	if (check_a_ != check_b_) \
		check_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, \
		    check_a_, check_b_); \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *check_a_ = (a), *check_b_ = (b); \
	check_count++; \
	if (check_a_ == NULL || check_b_ == NULL || strcmp(check_a_, check_b_) != 0) \
		check_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
		    check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
} while (0)

/* haystack contains needle: for error messages. */
#define CHECK_CONTAINS(hay, needle) do { \
	const char *check_h_ = (hay), *check_n_ = (needle); \
	check_count++; \
	if (check_h_ == NULL || strstr(check_h_, check_n_) == NULL) \
		check_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", \
		    check_h_ ? check_h_ : "(null)", check_n_); \
} while (0)

__attribute__((unused))
static void check_hexdump(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "  %s (%zu):", what, n);
	for (size_t i = 0; i < n && i < 64; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, n > 64 ? " ...\n" : "\n");
}

#define CHECK_MEM(a, alen, b, blen) do { \
	const uint8_t *check_a_ = (const uint8_t *)(a), *check_b_ = (const uint8_t *)(b); \
	size_t check_al_ = (alen), check_bl_ = (blen); \
	check_count++; \
	if (check_al_ != check_bl_ || (check_al_ > 0 && \
	    memcmp(check_a_, check_b_, check_al_) != 0)) { \
		check_fail(__FILE__, __LINE__, "%s != %s", #a, #b); \
		check_hexdump("got", check_a_, check_al_); \
		check_hexdump("expected", check_b_, check_bl_); \
	} \
} while (0)

/* Temp files: one private directory per test program, removed at exit
 * with every file made through check_tmp_path(). */
#define CHECK_TMP_MAX 256
static char check_tmp_dir[256];
static char *check_tmp_files[CHECK_TMP_MAX];
static int check_tmp_n;

static void check_tmp_cleanup(void)
{
	for (int i = check_tmp_n - 1; i >= 0; i--) {
		if (unlink(check_tmp_files[i]) != 0)
			rmdir(check_tmp_files[i]);
		free(check_tmp_files[i]);
	}
	if (check_tmp_dir[0] != '\0')
		rmdir(check_tmp_dir);
}

/* A path "<tmpdir>/name" (static storage until exit, removed then). */
__attribute__((unused))
static const char *check_tmp_path(const char *name)
{
	char path[512];

	if (check_tmp_dir[0] == '\0') {
		const char *base = getenv("TMPDIR");
		snprintf(check_tmp_dir, sizeof(check_tmp_dir), "%s/ocsp-unit.XXXXXX",
		    base && base[0] ? base : "/tmp");
		if (mkdtemp(check_tmp_dir) == NULL) {
			perror("mkdtemp");
			exit(2);
		}
		atexit(check_tmp_cleanup);
	}
	if (check_tmp_n == CHECK_TMP_MAX) {
		fprintf(stderr, "too many temp files\n");
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/%s", check_tmp_dir, name);
	check_tmp_files[check_tmp_n] = strdup(path);
	if (check_tmp_files[check_tmp_n] == NULL)
		exit(2);
	return check_tmp_files[check_tmp_n++];
}

/* Writes n bytes to a temp file called name; returns its path. */
__attribute__((unused))
static const char *check_tmp_file(const char *name, const void *data, size_t n)
{
	const char *path = check_tmp_path(name);
	FILE *f = fopen(path, "wb");

	if (f == NULL || (n > 0 && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

__attribute__((unused))
static int check_done(void)
{
	if (check_failures != 0)
		fprintf(stderr, "%d of %d checks failed\n", check_failures, check_count);
	else
		printf("all %d checks passed\n", check_count);
	return check_failures != 0;
}

#endif
