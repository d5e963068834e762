#include "ocsp/timefmt.h"

#include <string.h>
#include <time.h>

#include <openssl/asn1.h>

/* Civil time from seconds (proleptic Gregorian, Howard Hinnant's
 * days-to-civil algorithm): no gmtime_r, locale or snprintf, because the
 * publisher formats three times per signed response. */
struct civil {
	int year, mon, day, hour, min, sec, wday;
};

static int to_civil(int64_t t, struct civil *c)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	c->year = (int)(yoe + era * 400 + (c->mon <= 2));
	c->hour = (int)(secs / 3600);
	c->min = (int)(secs / 60 % 60);
	c->sec = (int)(secs % 60);
	c->wday = (int)(((days % 7) + 11) % 7);	/* 1970-01-01 was a Thursday */
	return c->year < 1950 || c->year > 9999 ? -1 : 0;
}

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* YYYY, MM, DD with separator sep (none when 0), like "2026-11-24". */
static char *put_date(char *p, const struct civil *c, char sep)
{
	p = put2(p, c->year / 100);
	p = put2(p, c->year % 100);
	if (sep)
		*p++ = sep;
	p = put2(p, c->mon);
	if (sep)
		*p++ = sep;
	return put2(p, c->day);
}

static char *put_clock(char *p, const struct civil *c, char sep)
{
	p = put2(p, c->hour);
	if (sep)
		*p++ = sep;
	p = put2(p, c->min);
	if (sep)
		*p++ = sep;
	return put2(p, c->sec);
}

int timefmt_generalized(char *out, size_t size, int64_t t)
{
	struct civil c;
	char *p;

	if (size < TIMEFMT_GEN_LEN + 1 || to_civil(t, &c) != 0)
		return -1;
	p = put_clock(put_date(out, &c, 0), &c, 0);
	memcpy(p, "Z", 2);
	return 0;
}

static const char wdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

int timefmt_http(char *out, size_t size, int64_t t)
{
	struct civil c;
	char *p = out;

	if (size < TIMEFMT_HTTP_LEN + 1 || to_civil(t, &c) != 0)
		return -1;
	memcpy(p, wdays[c.wday], 3);
	memcpy(p + 3, ", ", 2);
	p = put2(p + 5, c.day);
	*p++ = ' ';
	memcpy(p, months[c.mon - 1], 3);
	p[3] = ' ';
	p = put2(p + 4, c.year / 100);
	p = put2(p, c.year % 100);
	*p++ = ' ';
	p = put_clock(p, &c, ':');
	memcpy(p, " GMT", 5);
	return 0;
}

int timefmt_iso(char *out, size_t size, int64_t t)
{
	struct civil c;
	char *p;

	if (size < TIMEFMT_ISO_LEN + 1 || to_civil(t, &c) != 0)
		return -1;
	p = put_date(out, &c, '-');
	*p++ = 'T';
	p = put_clock(p, &c, ':');
	memcpy(p, "Z", 2);
	return 0;
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

int timefmt_from_asn1(const ASN1_TIME *a, int64_t *t)
{
	struct tm tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return -1;
	*t = (int64_t)timegm(&tm);
	return 0;
}
