/* status_index_from_mem: a status.idx from the tree (rsync'd, from a CDN,
 * or damaged on disk). Whatever it accepts must read back consistently:
 * every record is found by its serial, and encoding the records again
 * gives the same record bytes. */
#include <string.h>

#include "ocsp/status_index.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct status_index *si = NULL;
	struct status_rec *v = NULL, got;
	struct err e;
	uint8_t *img = NULL;
	size_t n, len = 0;

	/* a copy, so that the validator cannot read past what it was given */
	uint8_t *copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	e.msg[0] = '\0';
	if (status_index_from_mem(copy, size, &si, &e) != 0) {
		FUZZ_ASSERT(si == NULL && e.msg[0] != '\0');
		free(copy);
		return 0;
	}
	n = status_index_count(si);
	FUZZ_ASSERT(size == STATUS_INDEX_HEADER + n * STATUS_INDEX_RECORD);
	v = calloc(n ? n : 1, sizeof(*v));
	FUZZ_ASSERT(v != NULL);
	for (size_t i = 0; i < n; i++) {
		status_index_get(si, i, &v[i]);
		FUZZ_ASSERT(v[i].serial.len >= 1 && v[i].serial.len <= SERIAL_MAX);
		FUZZ_ASSERT(v[i].status <= CERT_UNKNOWN && v[i].hold <= HOLD_REJECT);
		if (i > 0)
			FUZZ_ASSERT(serial_cmp(&v[i - 1].serial, &v[i].serial) < 0);
		FUZZ_ASSERT(status_index_find(si, &v[i].serial, &got) == 1);
		FUZZ_ASSERT(memcmp(&got, &v[i], sizeof(got)) == 0);
	}
	FUZZ_ASSERT(status_index_encode(v, n, status_index_generation(si), 0, &img, &len,
	    &e) == 0);
	FUZZ_ASSERT(len == size);
	FUZZ_ASSERT(memcmp(img + STATUS_INDEX_HEADER, copy + STATUS_INDEX_HEADER,
	    size - STATUS_INDEX_HEADER) == 0);
	free(img);
	free(v);
	status_index_close(si);
	free(copy);
	return 0;
}
