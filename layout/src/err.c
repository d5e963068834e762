#include "ocsp/err.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

int err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int err_ssl(struct err *e, const char *fmt, ...)
{
	va_list ap;
	unsigned long code = ERR_peek_error();
	char reason[256] = "";
	size_t used;

	if (code != 0)
		ERR_error_string_n(code, reason, sizeof(reason));
	ERR_clear_error();
	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	used = strlen(e->msg);
	if (reason[0] != '\0' && used < sizeof(e->msg))
		snprintf(e->msg + used, sizeof(e->msg) - used, " (%s)", reason);
	return -1;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	char old[ERR_MSG_MAX];
	va_list ap;
	size_t n;

	if (e == NULL)
		return -1;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	/* Keep as much of the old message as fits after "prefix: ". */
	if (n + 2 < sizeof(e->msg)) {
		memcpy(e->msg + n, ": ", 2);
		n += 2;
		size_t rest = strnlen(old, sizeof(old) - 1);
		if (rest > sizeof(e->msg) - 1 - n)
			rest = sizeof(e->msg) - 1 - n;
		memcpy(e->msg + n, old, rest);
		e->msg[n + rest] = '\0';
	}
	return -1;
}
