/* get_path_decode: the raw path of any GET request, under every kind of
 * prefix, then (as lookupd does) the decoded bytes into request_parse. */
#include <string.h>

#include "ocsp/request.h"
#include "fuzz.h"

static const char *const prefixes[] = { "", "/ocsp", "/ocsp/", "/a/b", NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[GET_PATH_MAX], again[GET_PATH_MAX];
	const char *path = (const char *)data;

	for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
		size_t len = (size_t)-1, len2 = (size_t)-1;
		int ret = get_path_decode(path, size, prefixes[p], out, sizeof(out), &len);

		FUZZ_ASSERT(ret == GET_PATH_OK || ret == GET_PATH_NOT_REQUEST ||
		    ret == GET_PATH_MALFORMED);
		if (ret != GET_PATH_OK)
			continue;
		FUZZ_ASSERT(len <= size * 3 / 4 + 1);
		/* an output that does not fit is refused, not cut */
		if (len > 0)
			FUZZ_ASSERT(get_path_decode(path, size, prefixes[p], again, len - 1,
			    &len2) == GET_PATH_MALFORMED);
		FUZZ_ASSERT(get_path_decode(path, size, prefixes[p], again, len, &len2) ==
		    GET_PATH_OK && len2 == len && memcmp(again, out, len) == 0);
		if (p == 0 && len > 0) {
			struct ocsp_request r;
			struct err e;
			if (request_parse(out, len, REQUEST_MAX_CERTS, &r, &e) == REQUEST_OK)
				request_release(&r);
		}
	}
	return 0;
}
