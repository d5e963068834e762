/* Durations in configuration and on the command line: a whole number
 * followed by s, m, h or d. A bare number takes the key's default unit
 * (days for validity, as --validity DAYS). */
#ifndef OCSP_DURATION_H
#define OCSP_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Returns 0 with *out in seconds, or -1 for anything else. */
int duration_parse(const char *s, char default_unit, int64_t *out);

/* Writes d compactly ("4d", "36h", "90s"). */
void duration_format(char *out, size_t size, int64_t d);

#endif
