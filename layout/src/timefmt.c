#include "ocsp/timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int to_tm(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, tm) == NULL)
		return -1;
	if (tm->tm_year + 1900 < 1950 || tm->tm_year + 1900 > 9999)
		return -1;
	return 0;
}

static int checked(int n, size_t size)
{
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int timefmt_generalized(char *out, size_t size, int64_t t)
{
	struct tm tm;

	if (to_tm(t, &tm) != 0)
		return -1;
	return checked(snprintf(out, size, "%04d%02d%02d%02d%02d%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec), size);
}

static const char wdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

int timefmt_http(char *out, size_t size, int64_t t)
{
	struct tm tm;

	if (to_tm(t, &tm) != 0)
		return -1;
	return checked(snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec), size);
}

int timefmt_iso(char *out, size_t size, int64_t t)
{
	struct tm tm;

	if (to_tm(t, &tm) != 0)
		return -1;
	return checked(snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec), size);
}

/* Reads n decimal digits; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int days_in_month(int year, int mon)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : d[mon - 1];
}

/* Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int make_time(int year, int mon, int day, int h, int mi, int s, int64_t *t)
{
	if (year < 0 || mon < 1 || mon > 12 || day < 1 ||
	    day > days_in_month(year, mon) || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || s < 0 || s > 59)
		return -1;
	*t = days_from_civil(year, mon, day) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}

int timefmt_parse_asn1(const char *s, size_t n, int64_t *t)
{
	int year, off;

	if (n == 13) {
		year = digits(s, 2);
		if (year < 0)
			return -1;
		year += year >= 50 ? 1900 : 2000;
		off = 2;
	} else if (n == 15) {
		year = digits(s, 4);
		off = 4;
	} else {
		return -1;
	}
	if (s[n - 1] != 'Z')
		return -1;
	return make_time(year, digits(s + off, 2), digits(s + off + 2, 2),
	    digits(s + off + 4, 2), digits(s + off + 6, 2),
	    digits(s + off + 8, 2), t);
}

int timefmt_parse_iso(const char *s, int64_t *t)
{
	if (strlen(s) != TIMEFMT_ISO_LEN || s[4] != '-' || s[7] != '-' ||
	    s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	return make_time(digits(s, 4), digits(s + 5, 2), digits(s + 8, 2),
	    digits(s + 11, 2), digits(s + 14, 2), digits(s + 17, 2), t);
}

int timefmt_parse_http(const char *s, int64_t *t)
{
	int mon = -1;

	if (strlen(s) != TIMEFMT_HTTP_LEN || s[3] != ',' || s[4] != ' ' ||
	    s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
	    s[22] != ':' || strcmp(s + 25, " GMT") != 0)
		return -1;
	for (int i = 0; i < 12; i++)
		if (memcmp(s + 8, months[i], 3) == 0)
			mon = i + 1;
	return make_time(digits(s + 12, 4), mon, digits(s + 5, 2),
	    digits(s + 17, 2), digits(s + 20, 2), digits(s + 23, 2), t);
}
