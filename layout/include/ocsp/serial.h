/* Certificate serial numbers, normalised once so that every part of the
 * system agrees on one spelling.
 *
 * A serial is kept as the big-endian magnitude without leading zero bytes
 * (zero itself is the single byte 00). Its name in the tree is that
 * magnitude in uppercase hex, which is exactly what `openssl x509 -serial`
 * and `openssl ca` print: an even number of digits, at least "00". */
#ifndef OCSP_SERIAL_H
#define OCSP_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"

/* RFC 5280 allows 20 octets; some CAs emit a 21st for a sign byte and a few
 * misbehave further, so keep a margin and refuse anything longer. */
#define SERIAL_MAX 32
#define SERIAL_NAME_MAX (2 * SERIAL_MAX)	/* hex digits, without NUL */
/* Decimal digits of the largest serial, 2^256 - 1, without NUL: CA
 * databases (OpenXPKI, EJBCA) keep serials as decimal numbers. */
#define SERIAL_DECIMAL_MAX 78

struct serial {
	uint8_t len;
	uint8_t b[SERIAL_MAX];
};

/* From hex digits (either case, odd count allowed, leading zeros dropped).
 * Returns 0, or -1 with a message for empty, non-hex or too long input. */
int serial_from_hex(struct serial *s, const char *hex, size_t n, struct err *e);

/* From big-endian magnitude bytes (leading zeros dropped). Returns 0 or -1
 * when longer than SERIAL_MAX after dropping them. */
int serial_from_bytes(struct serial *s, const uint8_t *b, size_t n);

/* From decimal digits (leading zeros dropped), exactly: no floating point,
 * no 64-bit limit. Returns 0, or -1 with a message for empty input,
 * anything but the digits 0-9 (no sign, no spaces), or a value longer than
 * SERIAL_MAX octets. */
int serial_from_decimal(struct serial *s, const char *dec, size_t n, struct err *e);

/* Writes the value in decimal (no leading zeros; "0" for zero) and a NUL
 * into out. Returns the number of digits. */
size_t serial_to_decimal(const struct serial *s, char out[SERIAL_DECIMAL_MAX + 1]);

/* Writes the tree name (uppercase hex) and a NUL into out, which must hold
 * SERIAL_NAME_MAX + 1 bytes. Returns the number of digits. */
size_t serial_name(const struct serial *s, char out[SERIAL_NAME_MAX + 1]);

/* Non-zero when name (NUL-terminated) is a canonical serial name: even
 * number of uppercase hex digits, no leading 00 pair unless it is "00". */
int serial_name_valid(const char *name);

/* Numeric order: <0, 0, >0. */
int serial_cmp(const struct serial *a, const struct serial *b);

#endif
