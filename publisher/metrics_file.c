/* The publisher's textfile metrics (metrics_file.h). */
#include "metrics_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocsp/array.h"
#include "ocsp/fsutil.h"

/* A growing text; a failed allocation is sticky and checked once. */
struct text {
	char *p;
	size_t len, cap;
	int oom;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->oom)
		return;
	for (;;) {
		size_t room = t->cap - t->len;
		va_start(ap, fmt);
		n = vsnprintf(t->p ? t->p + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = 1;
			return;
		}
		if ((size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		char *g = array_grow(t->p, &t->cap, t->len + (size_t)n + 1, 1);
		if (g == NULL) {
			t->oom = 1;
			return;
		}
		t->p = g;
	}
}

/* ---- the state: last success per CA ---- */

static int ca_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_' || c == '.';
}

static int parse_line(const char *s, size_t n, char *ca, int64_t *t)
{
	const char *sp = memchr(s, ' ', n);
	char num[24], *end;
	size_t cn;

	if (sp == NULL || (cn = (size_t)(sp - s)) == 0 || cn > CONFIG_CA_NAME_MAX ||
	    n - cn - 1 == 0 || n - cn - 1 >= sizeof(num))
		return -1;
	for (size_t i = 0; i < cn; i++)
		if (!ca_char(s[i]))
			return -1;
	memcpy(num, sp + 1, n - cn - 1);
	num[n - cn - 1] = '\0';
	if (num[0] < '0' || num[0] > '9')
		return -1;
	errno = 0;
	long long v = strtoll(num, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return -1;
	memcpy(ca, s, cn);
	ca[cn] = '\0';
	*t = (int64_t)v;
	return 0;
}

int metrics_state_parse(const char *text, size_t len,
    void (*found)(void *arg, const char *ca, int64_t t), void *arg, struct err *e)
{
	char ca[CONFIG_CA_NAME_MAX + 1];
	size_t i = 0;
	unsigned lineno = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
		int64_t t;
		lineno++;
		if (n > METRICS_STATE_LINE_MAX || parse_line(text + i, n, ca, &t) != 0)
			return err_set(e, "%s:%u: not '<ca> <seconds>'", METRICS_STATE_FILE, lineno);
		found(arg, ca, t);
		i += n + 1;
	}
	return 0;
}

static void take_old(void *arg, const char *ca, int64_t t)
{
	struct { struct metrics_ca *cas; size_t n; } *s = arg;

	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->cas[i].name, ca) == 0)
			s->cas[i].last_success = t;
}

/* Fills last_success from the state file; then records this run's. */
static int state_update(const char *tree, const struct metrics_run *run, struct metrics_ca *cas,
    size_t n, struct err *e)
{
	struct { struct metrics_ca *cas; size_t n; } s = { cas, n };
	char path[FS_PATH_MAX];
	struct text t = { 0 };
	uint8_t *old = NULL;
	size_t len = 0;
	int changed = 0, ret = -1, dirfd = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", tree, METRICS_STATE_FILE) >= sizeof(path))
		return err_set(e, "%s: path too long", tree);
	if (access(path, F_OK) == 0 &&
	    (fs_read_file(path, METRICS_STATE_MAX, &old, &len, e) != 0 ||
	    metrics_state_parse((const char *)old, len, take_old, &s, e) != 0))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (cas[i].ok) {
			cas[i].last_success = run->end;
			changed = 1;
		}
	if (!changed) {
		ret = 0;
		goto out;
	}
	/* CAs no longer configured are dropped: the file stays bounded. */
	for (size_t i = 0; i < n; i++)
		if (cas[i].last_success > 0)
			add(&t, "%s %" PRId64 "\n", cas[i].name, cas[i].last_success);
	if (t.oom) {
		err_set(e, "out of memory");
		goto out;
	}
	dirfd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		err_set(e, "%s: %s", tree, strerror(errno));
		goto out;
	}
	ret = fs_write_atomic(dirfd, METRICS_STATE_FILE, t.p ? t.p : "", t.len, FS_SYNC, e);
out:
	if (dirfd >= 0)
		close(dirfd);
	free(old);
	free(t.p);
	return ret;
}

/* ---- the text format ---- */

static void family(struct text *t, const char *name, const char *help)
{
	add(t, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* CA names are letters, digits, '-', '_' and '.' (config.c): nothing a
 * label value needs escaped. */
static void per_ca(struct text *t, const char *name, const char *help,
    const struct metrics_ca *cas, size_t n, uint64_t (*value)(const struct metrics_ca *),
    int skip_zero)
{
	int any = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t v = value(&cas[i]);
		if (skip_zero && v == 0)
			continue;
		if (!any)
			family(t, name, help);
		any = 1;
		add(t, "%s{ca=\"%s\"} %" PRIu64 "\n", name, cas[i].name, v);
	}
}

static uint64_t v_signed(const struct metrics_ca *c) { return c->signed_; }
static uint64_t v_unchanged(const struct metrics_ca *c) { return c->unchanged; }
static uint64_t v_removed(const struct metrics_ca *c) { return c->removed; }
static uint64_t v_errors(const struct metrics_ca *c) { return c->errors; }
static uint64_t v_ok(const struct metrics_ca *c) { return (uint64_t)c->ok; }
static uint64_t v_expiring(const struct metrics_ca *c) { return c->expiring; }
static uint64_t v_last(const struct metrics_ca *c)
{
	return c->last_success > 0 ? (uint64_t)c->last_success : 0;
}
static uint64_t v_signer(const struct metrics_ca *c)
{
	return c->signer_not_after > 0 ? (uint64_t)c->signer_not_after : 0;
}

static void format_metrics(struct text *t, const struct metrics_run *run,
    const struct metrics_ca *cas, size_t n)
{
	family(t, "ocsp_publisher_run_timestamp_seconds", "When the last run ended.");
	add(t, "ocsp_publisher_run_timestamp_seconds %" PRId64 "\n", run->end);
	family(t, "ocsp_publisher_run_duration_seconds", "How long the last run took.");
	add(t, "ocsp_publisher_run_duration_seconds %.3f\n", run->duration);
	family(t, "ocsp_publisher_run_exit_code", "Exit status of the last run (0: published).");
	add(t, "ocsp_publisher_run_exit_code %d\n", run->exit_code);
	family(t, "ocsp_publisher_signing_duration_seconds", "Time the last run spent signing.");
	add(t, "ocsp_publisher_signing_duration_seconds %.3f\n", run->sign_secs);
	family(t, "ocsp_publisher_signatures", "Responses the last run signed (one per CertID hash).");
	add(t, "ocsp_publisher_signatures %" PRIu64 "\n", run->signatures);
	family(t, "ocsp_publisher_signing_rate_per_second",
	    "Signatures per second while the last run was signing.");
	add(t, "ocsp_publisher_signing_rate_per_second %.1f\n",
	    run->sign_secs > 0 ? (double)run->signatures / run->sign_secs : 0.0);
	per_ca(t, "ocsp_publisher_ca_success", "1 when the CA was published without error in the "
	    "last run.", cas, n, v_ok, 0);
	per_ca(t, "ocsp_publisher_responses_signed", "Certificates whose responses the last run "
	    "signed.", cas, n, v_signed, 0);
	per_ca(t, "ocsp_publisher_responses_unchanged", "Certificates whose responses the last "
	    "run left as they were.", cas, n, v_unchanged, 0);
	per_ca(t, "ocsp_publisher_responses_removed", "Certificates whose responses the last run "
	    "removed.", cas, n, v_removed, 0);
	per_ca(t, "ocsp_publisher_errors", "Errors of the last run: failed signatures, and 1 for "
	    "bad input or a failed commit.", cas, n, v_errors, 0);
	per_ca(t, "ocsp_publisher_last_success_timestamp_seconds", "When the CA was last published "
	    "without error (kept across failed runs).", cas, n, v_last, 1);
	per_ca(t, "ocsp_publisher_signer_not_after_timestamp_seconds", "notAfter of the "
	    "certificate the CA's responses are signed with.", cas, n, v_signer, 1);
	if (run->run_interval_set)
		per_ca(t, "ocsp_publisher_responses_expiring_before_next_run", "Responses left in "
		    "place whose nextUpdate comes before the next scheduled run.", cas, n,
		    v_expiring, 0);
}

static int write_file(const char *path, const struct text *t, struct err *e)
{
	char dir[FS_PATH_MAX];
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	int dirfd, r;

	if (*name == '\0' || strlen(path) >= sizeof(dir))
		return err_set(e, "metrics file '%s': not a file name", path);
	if (slash == NULL || slash == path) {
		dir[0] = slash == NULL ? '.' : '/';
		dir[1] = '\0';
	} else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return err_set(e, "metrics file %s: %s: %s", path, dir, strerror(errno));
	r = fs_write_atomic(dirfd, name, t->p, t->len, FS_SYNC, e);
	close(dirfd);
	return r != 0 ? err_prefix(e, "metrics file %s", path) : 0;
}

int metrics_file_write(const char *path, const char *tree, const struct metrics_run *run,
    struct metrics_ca *cas, size_t n, struct err *e)
{
	struct text t = { 0 };
	struct err se;
	int state = state_update(tree, run, cas, n, &se), ret = -1;

	format_metrics(&t, run, cas, n);
	if (t.oom || t.p == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if (write_file(path, &t, e) != 0)
		goto out;
	if (state != 0) {
		err_set(e, "%s (the metrics were written without it)", se.msg);
		goto out;
	}
	ret = 0;
out:
	free(t.p);
	return ret;
}
