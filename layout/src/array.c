#include "ocsp/array.h"

#include <stdint.h>
#include <stdlib.h>

void *array_grow(void *v, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : ARRAY_MIN;
	void *p;

	if (need <= *cap)
		return v;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return NULL;
		n *= 2;
	}
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	p = realloc(v, n * size);
	if (p == NULL)
		return NULL;
	*cap = n;
	return p;
}
