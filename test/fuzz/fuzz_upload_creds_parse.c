/* upload_creds_parse: an AWS shared-credentials file. What it fills is
 * bounded, NUL-terminated and printable, and a message never holds a
 * value (the fuzzer's secret marker is never echoed). */
#include <string.h>

#include "ocsp/upload.h"
#include "fuzz.h"

static int printable(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct upload_target t;
	struct err e;

	if (size > UPLOAD_CREDS_FILE_MAX)
		return 0;
	e.msg[0] = '\0';
	if (upload_creds_parse((const char *)data, size, "default", &t, &e) != 0) {
		FUZZ_ASSERT(e.msg[0] != '\0');
		FUZZ_ASSERT(strstr(e.msg, "SECRETVALUE") == NULL);
		return 0;
	}
	FUZZ_ASSERT(t.key_id[0] != '\0' && t.secret[0] != '\0');
	FUZZ_ASSERT(printable(t.key_id, UPLOAD_KEY_ID_MAX));
	FUZZ_ASSERT(printable(t.secret, UPLOAD_SECRET_MAX));
	FUZZ_ASSERT(printable(t.token, UPLOAD_TOKEN_MAX));
	return 0;
}
