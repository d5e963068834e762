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
