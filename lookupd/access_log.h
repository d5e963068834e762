/* The access log of lookupd (off unless access_log is set): one line per
 * request, to a file reopened on request (logrotate's postrotate sends
 * SIGHUP or SIGUSR1; the signal loop calls access_log_reopen) or to
 * syslog. A line is
 *
 *   TIME CLIENT METHOD ISSUER SERIAL CODE OCSP_STATUS SOURCE MICROSECONDS
 *
 *   2026-12-02T05:13:53Z 127.0.0.1 GET 6b7d...(hex SHA-1 of the issuer's key
 *   as the request named it) 1001 200 successful tree 85
 *
 * fields separated by one space, "-" for one not known (no OCSP request,
 * or one that could not be parsed). What a client chose (the method) is
 * escaped: every byte outside printable ASCII, a space, '"' and '\' as
 * \xHH, so one request is one line and fields cannot be forged. Writing
 * is one write(2) to an O_APPEND descriptor: lines from many workers never
 * interleave, and no lock is taken. */
#ifndef LOOKUPD_ACCESS_LOG_H
#define LOOKUPD_ACCESS_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"

/* The longest line written; what does not fit is cut at a field. */
#define ACCESS_LOG_LINE_MAX 1024
/* Bytes of a client-chosen field (the method) shown, before escaping. */
#define ACCESS_LOG_FIELD_MAX 32

struct access_entry {
	int64_t time;			/* when the request was answered */
	const char *client;		/* peer address */
	const char *method;		/* as sent: untrusted */
	const char *issuer;		/* hex, or NULL */
	const char *serial;		/* hex, or NULL */
	int code;			/* HTTP status */
	const char *ocsp_status;	/* "successful", ..., or NULL */
	const char *source;		/* "tree", "online", ..., or NULL */
	uint64_t duration_us;
};

/* Writes at most n bytes of in (untrusted), escaped, into out (cap bytes,
 * always NUL-terminated when cap > 0); "-" for an empty field. Returns the
 * length written; an escape that does not fit is left out whole. */
size_t access_log_escape(char *out, size_t cap, const char *in, size_t n);

/* Formats e as one line ending in '\n' into out (cap bytes). Returns its
 * length, or 0 when cap is too small for even the fixed fields. */
size_t access_log_format(char *out, size_t cap, const struct access_entry *e);

struct access_log;

/* spec NULL or "": no access log (*out NULL, returns 0); "syslog": to
 * syslog at LOG_INFO; otherwise a file name, created (mode 0640) or
 * appended to. */
int access_log_open(const char *spec, struct access_log **out, struct err *e);
void access_log_free(struct access_log *l);
/* Thread-safe; a failing write is dropped (a full disk must not stop
 * answers). l NULL: nothing. */
void access_log_write(struct access_log *l, const struct access_entry *e);
/* Opens the file again under its name (after logrotate moved it) and
 * puts it in place of the old one without closing the descriptor
 * writers use, so no line is lost or written elsewhere. Async-signal-safe
 * enough for a signal loop (open, dup2, close); l NULL or syslog: 0. */
int access_log_reopen(struct access_log *l, struct err *e);

#endif
