/* sql_row_parse: one database row, for each preset. The input's first
 * byte picks the preset; the rest is up to SQL_COLS lines, one a column,
 * "\N" for SQL NULL (missing lines are NULL too). */
#include <string.h>

#include "ocsp/source_sql.h"
#include "fuzz.h"

static const char *const names[] = { "openxpki", "ejbca", "custom" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *cols[SQL_COLS] = { NULL };
	size_t lens[SQL_COLS] = { 0 }, ncol = 0, start = 1;
	const struct sql_preset *p;
	struct status_rec r;
	struct serial back;
	struct err e;
	char dec[SERIAL_DECIMAL_MAX + 1];
	int rc;

	if (size < 1 || size > 1 + SQL_COLS * (SQL_VALUE_MAX + 8))
		return 0;
	p = sql_preset_find(names[data[0] % 3]);
	FUZZ_ASSERT(p != NULL);
	for (size_t i = 1; i <= size && ncol < SQL_COLS; i++) {
		if (i == size || data[i] == '\n') {
			const char *c = (const char *)data + start;
			size_t n = i - start;
			if (!(n == 2 && c[0] == '\\' && c[1] == 'N')) {
				cols[ncol] = c;
				lens[ncol] = n;
			}
			ncol++;
			start = i + 1;
		}
	}
	e.msg[0] = '\0';
	rc = sql_row_parse(p, cols, lens, SQL_COLS, &r, &e);
	if (rc < 0) {
		FUZZ_ASSERT(e.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(rc == 0 || rc == 1);
	if (rc == 1)
		return 0;
	FUZZ_ASSERT(r.status == CERT_GOOD || r.status == CERT_REVOKED);
	FUZZ_ASSERT(r.reason == REASON_NONE || status_reason_name(r.reason) != NULL);
	FUZZ_ASSERT(r.reason != REASON_REMOVE_FROM_CRL);
	FUZZ_ASSERT(r.hold <= HOLD_REJECT);
	FUZZ_ASSERT(r.hold == HOLD_NOT_SET || r.reason == REASON_CERTIFICATE_HOLD);
	/* Good rows carry nothing of a revocation. */
	FUZZ_ASSERT(r.status == CERT_REVOKED || (r.reason == REASON_NONE &&
	    r.revoked_at == 0 && r.invalidity == 0 && r.hold == HOLD_NOT_SET));
	/* Revoked rows have a revocation time: the column was there. */
	FUZZ_ASSERT(r.status == CERT_GOOD || cols[SQL_COL_REVOKED_AT] != NULL);
	FUZZ_ASSERT(r.revoked_at >= 0 && r.invalidity >= 0 && r.not_after >= 0);
	FUZZ_ASSERT(r.serial.len >= 1 && r.serial.len <= SERIAL_MAX);
	FUZZ_ASSERT(r.serial.len == 1 || r.serial.b[0] != 0);
	/* decimal -> serial -> decimal: the column's digits, leading zeros
	 * dropped (custom's 0x hex aside). */
	serial_to_decimal(&r.serial, dec);
	FUZZ_ASSERT(serial_from_decimal(&back, dec, strlen(dec), NULL) == 0);
	FUZZ_ASSERT(serial_cmp(&back, &r.serial) == 0);
	if (lens[0] < 2 || (cols[0][1] != 'x' && cols[0][1] != 'X')) {
		const char *c = cols[0];
		size_t n = lens[0];
		while (n > 1 && c[0] == '0') {
			c++;
			n--;
		}
		FUZZ_ASSERT(n == strlen(dec) && memcmp(c, dec, n) == 0);
	}
	return 0;
}
