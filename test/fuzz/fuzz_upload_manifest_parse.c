/* upload_manifest_parse: what the target holds, read back at every run.
 * A parsed manifest is sorted, its names valid, and formatting it and
 * parsing that again gives the same entries. */
#include <stdlib.h>
#include <string.h>

#include "ocsp/upload.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upload_manifest m, m2;
	struct err e;
	char *text = NULL;
	size_t len = 0;

	if (size > 1 << 16)
		return 0;
	upload_manifest_init(&m);
	upload_manifest_init(&m2);
	e.msg[0] = '\0';
	if (upload_manifest_parse((const char *)data, size, &m, &e) != 0) {
		FUZZ_ASSERT(e.msg[0] != '\0' && m.n == 0);
		goto out;
	}
	for (size_t i = 0; i < m.n; i++) {
		FUZZ_ASSERT(upload_name_valid(m.v[i].name));
		FUZZ_ASSERT(i == 0 || strcmp(m.v[i - 1].name, m.v[i].name) < 0);
		FUZZ_ASSERT(upload_manifest_find(&m, m.v[i].name) == &m.v[i]);
	}
	FUZZ_ASSERT(upload_manifest_format(&m, "s3://fuzz/x", &text, &len, &e) == 0);
	FUZZ_ASSERT(upload_manifest_parse(text, len, &m2, &e) == 0);
	FUZZ_ASSERT(m2.n == m.n);
	for (size_t i = 0; i < m.n; i++) {
		FUZZ_ASSERT(strcmp(m.v[i].name, m2.v[i].name) == 0);
		FUZZ_ASSERT(memcmp(m.v[i].sha256, m2.v[i].sha256, 32) == 0);
		FUZZ_ASSERT(m.v[i].size == m2.v[i].size);
	}
out:
	free(text);
	upload_manifest_fini(&m);
	upload_manifest_fini(&m2);
	return 0;
}
