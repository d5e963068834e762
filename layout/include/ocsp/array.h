/* Growing arrays: one rule for every list that grows by appending. */
#ifndef OCSP_ARRAY_H
#define OCSP_ARRAY_H

#include <stddef.h>

/* Capacity of an array's first allocation. */
#define ARRAY_MIN 16

/* Makes room for need elements of size bytes in v, which holds *cap now:
 * the capacity doubles (from ARRAY_MIN) until it is enough. Returns the
 * array, moved or not, or NULL when memory or size_t runs out; v and *cap
 * are then as they were. need is at least 1. */
void *array_grow(void *v, size_t *cap, size_t need, size_t size);

#endif
