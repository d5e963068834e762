#include "ocsp/serial.h"

#include <string.h>

#include "ocsp/hex.h"

int serial_from_bytes(struct serial *s, const uint8_t *b, size_t n)
{
	while (n > 1 && b[0] == 0) {
		b++;
		n--;
	}
	if (n == 0) {
		s->len = 1;
		s->b[0] = 0;
		return 0;
	}
	if (n > SERIAL_MAX)
		return -1;
	s->len = (uint8_t)n;
	memcpy(s->b, b, n);
	return 0;
}

int serial_from_hex(struct serial *s, const char *hex, size_t n, struct err *e)
{
	uint8_t buf[SERIAL_MAX];
	size_t nbytes, i = 0, o = 0;

	if (n == 0)
		return err_set(e, "empty serial number");
	while (n > 1 && hex[0] == '0') {	/* leading zeros carry no value */
		hex++;
		n--;
	}
	nbytes = (n + 1) / 2;
	if (nbytes > SERIAL_MAX)
		return err_set(e, "serial number longer than %d octets", SERIAL_MAX);
	if (n % 2 == 1) {
		int v = hex_value(hex[0]);
		if (v < 0)
			return err_set(e, "serial number is not hexadecimal");
		buf[o++] = (uint8_t)v;
		i = 1;
	}
	for (; i < n; i += 2) {
		int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
		if (hi < 0 || lo < 0)
			return err_set(e, "serial number is not hexadecimal");
		buf[o++] = (uint8_t)(hi << 4 | lo);
	}
	return serial_from_bytes(s, buf, o);
}

size_t serial_name(const struct serial *s, char out[SERIAL_NAME_MAX + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < s->len; i++) {
		out[o++] = hex[s->b[i] >> 4];
		out[o++] = hex[s->b[i] & 15];
	}
	out[o] = '\0';
	return o;
}

int serial_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n % 2 != 0 || n > SERIAL_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'A' && name[i] <= 'F')))
			return 0;
	return !(n > 2 && name[0] == '0' && name[1] == '0');
}

int serial_cmp(const struct serial *a, const struct serial *b)
{
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->b, b->b, a->len);
}

int serial_from_decimal(struct serial *s, const char *dec, size_t n, struct err *e)
{
	uint8_t buf[SERIAL_MAX] = { 0 };

	if (n == 0)
		return err_set(e, "empty serial number");
	for (size_t i = 0; i < n; i++)
		if (dec[i] < '0' || dec[i] > '9')
			return err_set(e, "serial number is not a decimal number");
	while (n > 1 && dec[0] == '0') {
		dec++;
		n--;
	}
	/* Also keeps the arithmetic below short on hostile input. */
	if (n > SERIAL_DECIMAL_MAX)
		return err_set(e, "serial number longer than %d octets", SERIAL_MAX);
	/* buf = buf * 10 + digit, big-endian base 256; a carry out of the
	 * top byte is a value that does not fit. */
	for (size_t i = 0; i < n; i++) {
		unsigned carry = (unsigned)(dec[i] - '0');
		for (size_t j = SERIAL_MAX; j-- > 0;) {
			unsigned v = buf[j] * 10u + carry;
			buf[j] = (uint8_t)v;
			carry = v >> 8;
		}
		if (carry != 0)
			return err_set(e, "serial number longer than %d octets", SERIAL_MAX);
	}
	return serial_from_bytes(s, buf, sizeof(buf));
}

size_t serial_to_decimal(const struct serial *s, char out[SERIAL_DECIMAL_MAX + 1])
{
	uint8_t v[SERIAL_MAX];
	size_t len = s->len, start = 0, o = 0;

	memcpy(v, s->b, len);
	/* Long division by 10, least significant digit first. */
	do {
		unsigned rem = 0;
		for (size_t i = start; i < len; i++) {
			unsigned cur = rem << 8 | v[i];
			v[i] = (uint8_t)(cur / 10);
			rem = cur % 10;
		}
		out[o++] = (char)('0' + rem);
		while (start < len && v[start] == 0)
			start++;
	} while (start < len);
	for (size_t i = 0; i < o / 2; i++) {
		char t = out[i];
		out[i] = out[o - 1 - i];
		out[o - 1 - i] = t;
	}
	out[o] = '\0';
	return o;
}
