/* source_index_parse_line: one line of an openssl ca index. */
#include <string.h>

#include "ocsp/source_index.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct status_rec r;
	struct err e;
	char name[SERIAL_NAME_MAX + 1];

	if (size > SOURCE_INDEX_MAX_LINE)
		return 0;
	e.msg[0] = '\0';
	if (source_index_parse_line((const char *)data, size, &r, &e) != 0) {
		FUZZ_ASSERT(e.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(r.status == CERT_GOOD || r.status == CERT_REVOKED);
	FUZZ_ASSERT(r.reason == REASON_NONE || status_reason_name(r.reason) != NULL);
	FUZZ_ASSERT(r.hold <= HOLD_REJECT);
	FUZZ_ASSERT(r.hold == HOLD_NOT_SET || r.reason == REASON_CERTIFICATE_HOLD);
	FUZZ_ASSERT(r.status == CERT_REVOKED || (r.reason == REASON_NONE &&
	    r.revoked_at == 0 && r.invalidity == 0));
	FUZZ_ASSERT(r.serial.len >= 1 && r.serial.len <= SERIAL_MAX);
	serial_name(&r.serial, name);
	FUZZ_ASSERT(serial_name_valid(name));
	return 0;
}
