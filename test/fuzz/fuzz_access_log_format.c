/* Fuzz target: lookupd's access log line (lookupd/access_log.c) for a
 * request whose method, client and issuer fields are arbitrary bytes (a
 * method is what a client chose; the others are checked as if they were).
 *
 * Input: one byte choosing the buffer size, then the fields separated by
 * 0xff 0xff (missing ones are absent). Checked:
 *  - a line comes back whenever the buffer holds the fixed fields, of
 *    fields separated by single spaces, ending in its only newline, within
 *    the buffer, and of printable ASCII only; all nine fields when the
 *    buffer is the real one and client and issuer are of real lengths
 *    (fields that do not fit are left out from the first that does not,
 *    never shifted);
 *  - each field unescaped (\xHH) is a prefix of what was given, at most
 *    ACCESS_LOG_FIELD_MAX bytes of the method; "-" for an empty one;
 *  - access_log_escape's result is what the line holds for the method
 *    when the line has room for all of it. */
#include <string.h>

#include "access_log.h"
#include "fuzz.h"

#define MAX_INPUT 4096

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Unescapes s[0..n) into out; -1 when an escape is malformed. */
static long unescape(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (i + 3 >= n)
			return -1;
		if (s[i + 1] != 'x' || hexval(s[i + 2]) < 0 || hexval(s[i + 3]) < 0)
			return -1;
		out[o++] = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
		i += 3;
	}
	return (long)o;
}

static void check_field(const char *f, size_t n, const char *given, size_t given_n,
    size_t max)
{
	static char plain[ACCESS_LOG_LINE_MAX];
	long u;

	if (given_n > max)
		given_n = max;
	if (given_n == 0) {
		FUZZ_ASSERT(n == 1 && f[0] == '-');
		return;
	}
	u = unescape(f, n, plain);
	FUZZ_ASSERT(u >= 0 && (size_t)u <= given_n);
	FUZZ_ASSERT(memcmp(plain, given, (size_t)u) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char part[3][MAX_INPUT + 1];
	size_t plen[3] = { 0, 0, 0 }, k = 0, cap;
	char line[ACCESS_LOG_LINE_MAX], esc[ACCESS_LOG_LINE_MAX];
	const char *start[9];
	size_t flen[9], nf = 0, n;

	if (size < 1 || size > MAX_INPUT)
		return 0;
	cap = 64 + (size_t)data[0] * (ACCESS_LOG_LINE_MAX - 64) / 255;
	for (size_t i = 1; i < size; i++) {
		if (i + 1 < size && data[i] == 0xff && data[i + 1] == 0xff && k < 2) {
			k++;
			i++;
			continue;
		}
		part[k][plen[k]++] = (char)data[i];
	}
	for (int j = 0; j < 3; j++)
		part[j][plen[j]] = '\0';
	/* The formatter takes NUL-terminated strings: what follows a NUL is
	 * not part of the field. */
	for (int j = 0; j < 3; j++)
		plen[j] = strlen(part[j]);
	struct access_entry e = { 1796189104, part[1], part[0], part[2], "1000", 200,
	    "successful", "tree", 42 };
	n = access_log_format(line, cap, &e);
	FUZZ_ASSERT(n > 0 && n < cap && line[n] == '\0' && line[n - 1] == '\n');
	for (size_t i = 0; i + 1 < n; i++)
		FUZZ_ASSERT(line[i] >= ' ' && line[i] <= '~');
	for (size_t i = 0, s = 0; i < n; i++)
		if (line[i] == ' ' || line[i] == '\n') {
			FUZZ_ASSERT(i > s);	/* no empty field: single spaces */
			if (nf < 9) {
				start[nf] = line + s;
				flen[nf] = i - s;
			}
			nf++;
			s = i + 1;
		}
	/* A short buffer may leave out the last fields, never half a line. */
	FUZZ_ASSERT(nf <= 9);
	/* Every field fits when client and issuer are as long as real ones
	 * (an address, a hex hash) and the method is anything. */
	if (cap == ACCESS_LOG_LINE_MAX && plen[1] <= 64 && plen[2] <= 2 * 64)
		FUZZ_ASSERT(nf == 9);
	if (nf >= 3) {
		check_field(start[1], flen[1], part[1], plen[1], 64);
		check_field(start[2], flen[2], part[0], plen[0], ACCESS_LOG_FIELD_MAX);
	}
	if (nf >= 4)
		check_field(start[3], flen[3], part[2], plen[2], 2 * 64);
	if (nf == 9) {
		size_t m = plen[0] < ACCESS_LOG_FIELD_MAX ? plen[0] : ACCESS_LOG_FIELD_MAX;
		size_t en = access_log_escape(esc, sizeof(esc), part[0], m);
		FUZZ_ASSERT(en == flen[2] && memcmp(esc, start[2], en) == 0);
	}
	return 0;
}
