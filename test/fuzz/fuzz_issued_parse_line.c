/* issued_parse_line: one line of a file: issued-serial list. An accepted
 * serial, printed back with serial_name and parsed again, is the same
 * serial; so is the line with blanks, a "0x" and a comment around it. */
#include <string.h>

#include "ocsp/issued.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serial s, again;
	struct err e;
	char name[SERIAL_NAME_MAX + 1], dressed[SERIAL_NAME_MAX + 32];
	size_t n;
	int r;

	if (size > ISSUED_MAX_LINE)
		return 0;
	e.msg[0] = '\0';
	r = issued_parse_line((const char *)data, size, &s, &e);
	FUZZ_ASSERT(r >= -1 && r <= 1);
	if (r < 0) {
		FUZZ_ASSERT(e.msg[0] != '\0');
		return 0;
	}
	if (r == 0) {
		/* nothing but blanks, or a comment after them */
		size_t i = 0;
		while (i < size && (data[i] == ' ' || data[i] == '\t'))
			i++;
		FUZZ_ASSERT(i == size || data[i] == '#');
		return 0;
	}
	FUZZ_ASSERT(s.len >= 1 && s.len <= SERIAL_MAX);
	n = serial_name(&s, name);
	FUZZ_ASSERT(serial_name_valid(name));
	FUZZ_ASSERT(issued_parse_line(name, n, &again, &e) == 1);
	FUZZ_ASSERT(serial_cmp(&s, &again) == 0);
	memcpy(dressed, " \t0x", 4);
	memcpy(dressed + 4, name, n);
	memcpy(dressed + 4 + n, "  # again", 9);
	FUZZ_ASSERT(issued_parse_line(dressed, n + 13, &again, &e) == 1);
	FUZZ_ASSERT(serial_cmp(&s, &again) == 0);
	return 0;
}
