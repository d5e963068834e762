/* audit_max_age: Cache-Control of a responder's or a CDN's answer, as
 * ocsp-audit reads it (publisher/audit_http.c). */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *v = (const char *)data;
	char again[64];
	int64_t age = -1, back = -1;
	int r;

	if (size > 4096)
		return 0;
	r = audit_max_age(v, size, &age);
	FUZZ_ASSERT(r >= -1 && r <= 1);
	if (r != 1)
		return 0;
	FUZZ_ASSERT(age >= 0 && age <= 366 * 86400);
	/* A found max-age is in the input, and alone it parses to itself. */
	FUZZ_ASSERT(size >= 9 && memchr(v, '=', size) != NULL);
	snprintf(again, sizeof(again), "max-age=%lld", (long long)age);
	FUZZ_ASSERT(audit_max_age(again, strlen(again), &back) == 1 && back == age);
	return 0;
}
