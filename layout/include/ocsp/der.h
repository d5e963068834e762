/* A small DER writer that fills a caller-owned buffer from the end.
 *
 * Writing backwards means the length of every constructed value is known
 * when its header is written, so there is no second pass and no copying:
 * write the last field first, then wrap what was written since a mark.
 * Overflow is sticky: after one failed write every later call is a no-op
 * and der_ok() returns 0, so callers check once at the end. */
#ifndef OCSP_DER_H
#define OCSP_DER_H

#include <stddef.h>
#include <stdint.h>

struct der {
	uint8_t *buf;
	size_t cap;
	size_t off;	/* data lives in buf[off .. cap) */
	int overflow;
};

void der_init(struct der *d, uint8_t *buf, size_t cap);
int der_ok(const struct der *d);
const uint8_t *der_data(const struct der *d);
size_t der_len(const struct der *d);

/* Prepends raw bytes (already-encoded DER, or content). */
void der_raw(struct der *d, const void *p, size_t n);
/* Prepends tag and length for a value of len bytes. */
void der_header(struct der *d, uint8_t tag, size_t len);
/* Wraps everything written since mark (a der_len() taken earlier). */
void der_wrap(struct der *d, uint8_t tag, size_t mark);

void der_octets(struct der *d, const void *p, size_t n);
void der_enum(struct der *d, uint8_t v);
/* A non-negative INTEGER from big-endian magnitude bytes without leading
 * zeros (a zero value is one 0x00 byte). */
void der_uint(struct der *d, const uint8_t *mag, size_t n);
/* GeneralizedTime YYYYMMDDHHMMSSZ; t must be a time gmtime can show. */
void der_gentime(struct der *d, int64_t t);

enum {
	DER_INTEGER = 0x02, DER_BIT_STRING = 0x03,
	DER_OCTET_STRING = 0x04, DER_NULL = 0x05,
	DER_ENUMERATED = 0x0a, DER_GENERALIZEDTIME = 0x18,
	DER_SEQUENCE = 0x30,
	DER_CTX0 = 0xa0, DER_CTX1 = 0xa1, DER_CTX2 = 0xa2,	/* [n] constructed */
	DER_CTX0_PRIM = 0x80, DER_CTX2_PRIM = 0x82,		/* [n] primitive */
};

#endif
