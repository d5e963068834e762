/* request_parse: DER from any client (POST body or decoded GET path). */
#include <string.h>

#include "ocsp/request.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocsp_request r;
	struct err e;
	char name[SERIAL_NAME_MAX + 1];
	size_t max = size > 0 ? data[0] % (REQUEST_MAX_CERTS + 2) : 1;
	int ret;

	e.msg[0] = '\0';
	ret = request_parse(data, size, max, &r, &e);
	FUZZ_ASSERT(ret == REQUEST_OK || ret == REQUEST_MALFORMED || ret == REQUEST_TOO_MANY);
	FUZZ_ASSERT(memchr(e.msg, '\0', sizeof(e.msg)) != NULL);
	if (ret != REQUEST_OK) {
		FUZZ_ASSERT(e.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(r.n >= 1 && r.n <= max && r.n <= REQUEST_MAX_CERTS);
	FUZZ_ASSERT(!r.has_nonce || (r.nonce_len >= REQUEST_NONCE_MIN &&
	    r.nonce_len <= sizeof(r.nonce)));
	FUZZ_ASSERT(r.has_nonce || r.nonce_len == 0);
	FUZZ_ASSERT(!r.is_signed == !r.signed_req);
	for (size_t i = 0; i < r.n; i++) {
		FUZZ_ASSERT(r.id[i].alg >= -1 && r.id[i].alg < HASH_COUNT);
		if (!r.id[i].serial_ok)
			continue;
		/* a usable serial always has a tree name */
		FUZZ_ASSERT(r.id[i].serial.len >= 1 && r.id[i].serial.len <= SERIAL_MAX);
		serial_name(&r.id[i].serial, name);
		FUZZ_ASSERT(serial_name_valid(name));
	}
	request_release(&r);
	return 0;
}
