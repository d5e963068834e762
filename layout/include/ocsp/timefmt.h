/* Time conversions used by the tree, the index parser and HTTP headers.
 * All times are UTC seconds since the epoch as int64_t. */
#ifndef OCSP_TIMEFMT_H
#define OCSP_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>

#define TIMEFMT_GEN_LEN 15	/* YYYYMMDDHHMMSSZ */
#define TIMEFMT_HTTP_LEN 29	/* Sun, 06 Nov 1994 08:49:37 GMT */
#define TIMEFMT_ISO_LEN 20	/* 2026-11-24T07:08:12Z */

/* Each writes a NUL-terminated string into out; returns 0, or -1 when out
 * is too small or the year is outside 1950..9999. */
int timefmt_generalized(char *out, size_t size, int64_t t);
int timefmt_http(char *out, size_t size, int64_t t);
int timefmt_iso(char *out, size_t size, int64_t t);

/* Parses an ASN.1 time as openssl ca writes it into its index: UTCTime
 * YYMMDDHHMMSSZ (years 50..99 are 19xx) or GeneralizedTime
 * YYYYMMDDHHMMSSZ. Exactly n bytes must be consumed. Returns 0 or -1. */
int timefmt_parse_asn1(const char *s, size_t n, int64_t *t);

/* An OpenSSL ASN1_TIME (UTCTime or GeneralizedTime) in seconds. Returns
 * 0, or -1 for NULL or a time OpenSSL cannot read. */
int timefmt_from_asn1(const ASN1_TIME *a, int64_t *t);

/* Parses an ISO 8601 time as timefmt_iso writes it. Returns 0 or -1. */
int timefmt_parse_iso(const char *s, int64_t *t);

/* Parses an HTTP date (IMF-fixdate only, as RFC 9110 requires senders to
 * produce). Returns 0 or -1. */
int timefmt_parse_http(const char *s, int64_t *t);

#endif
