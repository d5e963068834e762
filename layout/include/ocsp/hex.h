/* Hexadecimal, for serial numbers, hashes in metadata and GET escapes. */
#ifndef OCSP_HEX_H
#define OCSP_HEX_H

#include <stddef.h>
#include <stdint.h>

/* The value of one hex digit (either case), or -1. */
int hex_value(char c);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
void hex_lower(char *out, const uint8_t *p, size_t n);
/* Decodes exactly 2n hex digits of s into out. Returns 0 or -1. */
int hex_decode(uint8_t *out, size_t n, const char *s);

#endif
