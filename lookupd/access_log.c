#define _GNU_SOURCE	/* dup3 */
#include "access_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "ocsp/timefmt.h"

struct access_log {
	int fd;				/* -1: syslog */
	char *path;
};

static int plain(unsigned char c)
{
	return c > ' ' && c <= '~' && c != '"' && c != '\\';
}

size_t access_log_escape(char *out, size_t cap, const char *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (cap == 0)
		return 0;
	if (in == NULL || n == 0) {
		in = "-";
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (plain(c)) {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)c;
			continue;
		}
		if (o + 4 >= cap)
			break;
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	out[o] = '\0';
	return o;
}

/* Appends one field (cut to what fits); *full once one did not fit at
 * all: the fields after it are left out rather than shifted into its
 * place, so a field's position always says what it is. */
static size_t field(char *out, size_t cap, size_t o, const char *s, size_t max, int *full)
{
	size_t n = s ? strnlen(s, max) : 0, w;

	if (*full || o + 2 >= cap) {
		*full = 1;
		return o;
	}
	w = access_log_escape(out + o + 1, cap - o - 1, s, n);
	if (w == 0) {
		*full = 1;
		out[o] = '\0';
		return o;
	}
	out[o] = ' ';
	return o + 1 + w;
}

size_t access_log_format(char *out, size_t cap, const struct access_entry *e)
{
	char when[TIMEFMT_ISO_LEN + 1], code[8], us[24];
	size_t o = 0;
	int full = 0;

	if (cap < 64)
		return 0;
	if (timefmt_iso(when, sizeof(when), e->time) != 0)
		snprintf(when, sizeof(when), "-");
	snprintf(code, sizeof(code), "%d", e->code);
	snprintf(us, sizeof(us), "%llu", (unsigned long long)e->duration_us);
	/* cap - 1: room is kept for the newline. */
	o = access_log_escape(out, cap - 1, when, strlen(when));
	o = field(out, cap - 1, o, e->client, 64, &full);
	o = field(out, cap - 1, o, e->method, ACCESS_LOG_FIELD_MAX, &full);
	o = field(out, cap - 1, o, e->issuer, 2 * 64, &full);
	o = field(out, cap - 1, o, e->serial, 2 * 64, &full);
	o = field(out, cap - 1, o, code, sizeof(code), &full);
	o = field(out, cap - 1, o, e->ocsp_status, 32, &full);
	o = field(out, cap - 1, o, e->source, 32, &full);
	o = field(out, cap - 1, o, us, sizeof(us), &full);
	out[o++] = '\n';
	out[o] = '\0';
	return o;
}

static int open_file(const char *path, struct err *e)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	if (fd < 0)
		err_set(e, "access_log %s: %s", path, strerror(errno));
	return fd;
}

int access_log_open(const char *spec, struct access_log **out, struct err *e)
{
	struct access_log *l;

	*out = NULL;
	if (spec == NULL || spec[0] == '\0')
		return 0;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return err_set(e, "out of memory");
	l->fd = -1;
	if (strcmp(spec, "syslog") != 0) {
		if ((l->path = strdup(spec)) == NULL) {
			free(l);
			return err_set(e, "out of memory");
		}
		if ((l->fd = open_file(spec, e)) < 0) {
			access_log_free(l);
			return -1;
		}
	}
	*out = l;
	return 0;
}

void access_log_free(struct access_log *l)
{
	if (l == NULL)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l);
}

void access_log_write(struct access_log *l, const struct access_entry *e)
{
	char line[ACCESS_LOG_LINE_MAX];
	size_t n;

	if (l == NULL || (n = access_log_format(line, sizeof(line), e)) == 0)
		return;
	if (l->fd < 0) {
		line[n - 1] = '\0';
		syslog(LOG_INFO, "%s", line);
		return;
	}
	/* One write: O_APPEND keeps concurrent lines whole. */
	if (write(l->fd, line, n) < 0)
		return;
}

int access_log_reopen(struct access_log *l, struct err *e)
{
	int fd, rc = 0;

	if (l == NULL || l->fd < 0)
		return 0;
	if ((fd = open_file(l->path, e)) < 0)
		return -1;
	/* dup2 swaps the file under the number writers use in one step:
	 * closing it instead could let a new connection take that number and
	 * receive log lines. */
	if (dup3(fd, l->fd, O_CLOEXEC) < 0)
		rc = err_set(e, "access_log %s: %s", l->path, strerror(errno));
	close(fd);
	return rc;
}
