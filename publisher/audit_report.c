/* The report: one line per finding as it is found (or one JSON object per
 * finding inside one document), counts per kind, and the exit status that
 * follows from them. Findings come from every thread; one lock keeps
 * lines whole and counts exact. */
#include <stdlib.h>
#include <string.h>

#include "ocsp/log.h"

#include "audit.h"

static const struct {
	const char *name;
	enum audit_exit exit;
} kinds[AUDIT_KIND_COUNT] = {
	[AUDIT_MALFORMED] = { "malformed", AUDIT_EXIT_INVALID },
	[AUDIT_CERTID] = { "certid", AUDIT_EXIT_INVALID },
	[AUDIT_SIGNATURE] = { "signature", AUDIT_EXIT_INVALID },
	[AUDIT_STATUS] = { "status", AUDIT_EXIT_WRONG },
	[AUDIT_NEVER_ISSUED] = { "never-issued-good", AUDIT_EXIT_WRONG },
	[AUDIT_EXPIRED] = { "expired", AUDIT_EXIT_STALE },
	[AUDIT_NOT_YET_VALID] = { "not-yet-valid", AUDIT_EXIT_STALE },
	[AUDIT_MISSING] = { "missing", AUDIT_EXIT_COVERAGE },
	[AUDIT_STRAY] = { "stray", AUDIT_EXIT_COVERAGE },
	[AUDIT_AGE] = { "age", AUDIT_EXIT_POLICY },
	[AUDIT_VALIDITY] = { "validity", AUDIT_EXIT_POLICY },
	[AUDIT_HTTP] = { "http", AUDIT_EXIT_POLICY },
	[AUDIT_UNCHECKED] = { "unchecked", AUDIT_EXIT_INCOMPLETE },
};

const char *audit_kind_name(enum audit_kind k)
{
	return (unsigned)k < AUDIT_KIND_COUNT ? kinds[k].name : "?";
}

enum audit_exit audit_kind_exit(enum audit_kind k)
{
	return (unsigned)k < AUDIT_KIND_COUNT ? kinds[k].exit : AUDIT_EXIT_INVALID;
}

struct audit_out {
	FILE *f;
	int json;
	pthread_mutex_t lock;
	size_t findings[AUDIT_KIND_COUNT];
	size_t total;
	size_t checked, clean;
};

struct audit_out *audit_out_new(FILE *f, int json)
{
	struct audit_out *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->f = f;
	o->json = json;
	pthread_mutex_init(&o->lock, NULL);
	if (json)
		fputs("{\"findings\":[", f);
	return o;
}

void audit_out_free(struct audit_out *o)
{
	if (o == NULL)
		return;
	pthread_mutex_destroy(&o->lock);
	free(o);
}

/* A JSON string: what a tree or a responder gave may hold any byte. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void audit_out_finding(struct audit_out *o, const char *ca, const struct serial *serial,
    const char *where, enum audit_kind k, const char *what)
{
	char sn[SERIAL_NAME_MAX + 1] = "-", w[4 * 512], m[4 * ERR_MSG_MAX];

	if (serial != NULL)
		serial_name(serial, sn);
	pthread_mutex_lock(&o->lock);
	if ((unsigned)k < AUDIT_KIND_COUNT)
		o->findings[k]++;
	if (o->json) {
		fputs(o->total ? ",\n{\"ca\":" : "\n{\"ca\":", o->f);
		json_str(o->f, ca ? ca : "");
		fputs(",\"serial\":", o->f);
		json_str(o->f, serial ? sn : "");
		fputs(",\"location\":", o->f);
		json_str(o->f, where ? where : "");
		fprintf(o->f, ",\"kind\":\"%s\",\"exit\":%d,\"what\":", audit_kind_name(k),
		    (int)audit_kind_exit(k));
		json_str(o->f, what);
		fputc('}', o->f);
	} else {
		/* Untrusted parts escaped, so one finding is one line. */
		log_escape(w, sizeof(w), where ? where : "-", where ? strlen(where) : 1);
		log_escape(m, sizeof(m), what, strlen(what));
		fprintf(o->f, "%s: ca %s, serial %s, %s: %s\n", audit_kind_name(k), ca ? ca : "-",
		    sn, w, m);
	}
	o->total++;
	pthread_mutex_unlock(&o->lock);
}

void audit_out_checked(struct audit_out *o, int clean)
{
	pthread_mutex_lock(&o->lock);
	o->checked++;
	o->clean += clean != 0;
	pthread_mutex_unlock(&o->lock);
}

enum audit_exit audit_out_finish(struct audit_out *o, double secs)
{
	enum audit_exit worst = AUDIT_EXIT_CLEAN;
	double rate = secs > 0 ? (double)o->checked / secs : 0.0;

	for (int k = 0; k < AUDIT_KIND_COUNT; k++)
		if (o->findings[k] > 0 && kinds[k].exit > worst)
			worst = kinds[k].exit;
	if (o->json) {
		fprintf(o->f, "\n],\"summary\":{\"checked\":%zu,\"ok\":%zu,\"findings\":%zu,"
		    "\"seconds\":%.3f,\"per_second\":%.0f,\"exit\":%d,\"kinds\":{", o->checked,
		    o->clean, o->total, secs, rate, (int)worst);
		for (int k = 0; k < AUDIT_KIND_COUNT; k++)
			fprintf(o->f, "%s\"%s\":%zu", k ? "," : "", kinds[k].name, o->findings[k]);
		fputs("}}}\n", o->f);
	} else {
		fprintf(o->f, "%zu checked, %zu ok, %zu findings", o->checked, o->clean, o->total);
		for (int k = 0; k < AUDIT_KIND_COUNT; k++)
			if (o->findings[k] > 0)
				fprintf(o->f, ", %s %zu", kinds[k].name, o->findings[k]);
		fprintf(o->f, " in %.2f s (%.0f/s): %s\n", secs, rate,
		    worst == AUDIT_EXIT_CLEAN ? "clean" : "NOT clean");
	}
	fflush(o->f);
	return worst;
}
