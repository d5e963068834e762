#include "ocsp/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static const char *log_ident = "ocsp";
static int log_syslog;
static enum log_level log_max = LOG_LVL_INFO;

void log_init(const char *ident, int use_syslog, enum log_level level)
{
	log_ident = ident;
	log_syslog = use_syslog;
	log_max = level;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static int syslog_priority(enum log_level level)
{
	switch (level) {
	case LOG_LVL_ERROR: return LOG_ERR;
	case LOG_LVL_WARN: return LOG_WARNING;
	case LOG_LVL_INFO: return LOG_INFO;
	default: return LOG_DEBUG;
	}
}

static const char *level_name(enum log_level level)
{
	switch (level) {
	case LOG_LVL_ERROR: return "error";
	case LOG_LVL_WARN: return "warning";
	case LOG_LVL_INFO: return "info";
	default: return "debug";
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_syslog) {
		syslog(syslog_priority(level), "%s", line);
		return;
	}
	/* One fprintf per line: stdio locks the stream, so lines from
	 * different threads never interleave. */
	fprintf(stderr, "%s: %s: %s\n", log_ident, level_name(level), line);
}

char *log_escape(char *out, size_t out_size, const char *in, size_t in_len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (out_size == 0)
		return out;
	for (size_t i = 0; i < in_len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= out_size)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= out_size)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}
