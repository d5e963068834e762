/* Shared by the fuzz targets: the libFuzzer entry point, and a check that
 * crashes (so the fuzzer reports the input) when an invariant breaks. */
#ifndef OCSP_FUZZ_H
#define OCSP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#endif
