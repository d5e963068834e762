
#include "ocsp/duration.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int64_t unit_seconds(char u)
{
	switch (u) {
	case 's': return 1;
	case 'm': return 60;
	case 'h': return 3600;
	case 'd': return 86400;
	default: return 0;
	}
}

int duration_parse(const char *s, char default_unit, int64_t *out)
{
	char *end;
	long long v;
	int64_t mult;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v < 0 || v > 100LL * 365 * 86400)
		return -1;
	if (*end == '\0')
		mult = unit_seconds(default_unit);
	else if (end[1] == '\0')
		mult = unit_seconds(*end);
	else
		return -1;
	if (mult == 0)
		return -1;
	*out = (int64_t)v * mult;
	return 0;
}

void duration_format(char *out, size_t size, int64_t d)
{
	if (d != 0 && d % 86400 == 0)
		snprintf(out, size, "%lldd", (long long)(d / 86400));
	else if (d != 0 && d % 3600 == 0)
		snprintf(out, size, "%lldh", (long long)(d / 3600));
	else if (d != 0 && d % 60 == 0)
		snprintf(out, size, "%lldm", (long long)(d / 60));
	else
		snprintf(out, size, "%llds", (long long)d);
}
