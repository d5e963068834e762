#include "ocsp/der.h"

#include <string.h>

#include "ocsp/timefmt.h"

void der_init(struct der *d, uint8_t *buf, size_t cap)
{
	d->buf = buf;
	d->cap = cap;
	d->off = cap;
	d->overflow = 0;
}

int der_ok(const struct der *d)
{
	return !d->overflow;
}

const uint8_t *der_data(const struct der *d)
{
	return d->buf + d->off;
}

size_t der_len(const struct der *d)
{
	return d->cap - d->off;
}

void der_raw(struct der *d, const void *p, size_t n)
{
	if (d->overflow || n > d->off) {
		d->overflow = 1;
		return;
	}
	d->off -= n;
	if (n > 0)
		memcpy(d->buf + d->off, p, n);
}

void der_header(struct der *d, uint8_t tag, size_t len)
{
	uint8_t h[6];
	size_t n = 0;

	h[n++] = tag;
	if (len < 0x80) {
		h[n++] = (uint8_t)len;
	} else if (len <= 0xff) {
		h[n++] = 0x81;
		h[n++] = (uint8_t)len;
	} else if (len <= 0xffff) {
		h[n++] = 0x82;
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
	} else if (len <= 0xffffff) {
		h[n++] = 0x83;
		h[n++] = (uint8_t)(len >> 16);
		h[n++] = (uint8_t)(len >> 8);
		h[n++] = (uint8_t)len;
	} else {
		d->overflow = 1;	/* nothing we build is 16 MiB */
		return;
	}
	der_raw(d, h, n);
}

void der_wrap(struct der *d, uint8_t tag, size_t mark)
{
	if (d->overflow)
		return;
	der_header(d, tag, der_len(d) - mark);
}

void der_octets(struct der *d, const void *p, size_t n)
{
	der_raw(d, p, n);
	der_header(d, DER_OCTET_STRING, n);
}

void der_enum(struct der *d, uint8_t v)
{
	der_raw(d, &v, 1);
	der_header(d, DER_ENUMERATED, 1);
}

void der_uint(struct der *d, const uint8_t *mag, size_t n)
{
	size_t mark = der_len(d);
	static const uint8_t zero = 0;

	if (n == 0) {
		der_raw(d, &zero, 1);
	} else {
		der_raw(d, mag, n);
		if (mag[0] & 0x80)
			der_raw(d, &zero, 1);
	}
	der_wrap(d, DER_INTEGER, mark);
}

void der_gentime(struct der *d, int64_t t)
{
	char s[TIMEFMT_GEN_LEN + 1];

	if (timefmt_generalized(s, sizeof(s), t) != 0) {
		d->overflow = 1;
		return;
	}
	der_raw(d, s, TIMEFMT_GEN_LEN);
	der_header(d, DER_GENERALIZEDTIME, TIMEFMT_GEN_LEN);
}
