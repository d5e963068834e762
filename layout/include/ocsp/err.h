/* Error reporting for the layout library.
 *
 * Library functions never print: they return -1 (or a negative code) and
 * leave a one-line, human-readable message in a struct err that the caller
 * owns. Only the programs decide whether and how to show it. */
#ifndef OCSP_ERR_H
#define OCSP_ERR_H


#define ERR_MSG_MAX 512

struct err {
	char msg[ERR_MSG_MAX];
};

/* Formats a message into e (may be NULL) and returns -1, so that callers
 * can write "return err_set(e, ...)". */
int err_set(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like err_set, and appends the first reason on OpenSSL's error queue (then
 * clears the queue, so stale errors never leak into a later message). */
int err_ssl(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefixes the message already in e with "prefix: ". Returns -1. */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
