/* The one logging module of the programs (the library itself never logs).
 *
 * Messages go to stderr in the foreground, to syslog when log_init() was
 * asked for it. Strings that come from clients must be passed through
 * log_escape() first so that a request cannot forge log lines. */
#ifndef OCSP_LOG_H
#define OCSP_LOG_H

#include <stddef.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* ident: program name; use_syslog: non-zero for syslog; level: the most
 * verbose level that is still written. */
void log_init(const char *ident, int use_syslog, enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Copies at most in_len bytes of in into out (always NUL-terminated),
 * replacing every byte outside printable ASCII by \xHH. Returns out. */
char *log_escape(char *out, size_t out_size, const char *in, size_t in_len);

#endif
