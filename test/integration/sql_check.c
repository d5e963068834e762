/* A small driver of the SQL source for test_sql.sh (and the benchmark):
 *
 *   sql_check CONN PRESET CA.pem     (CONN as after "sql:"; PRESET "-" = custom)
 *
 * opens the source, prints "name NAME", then answers commands read one a
 * line from standard input, so that one process (with its cache, pool and
 * back-off) lives across a database restart:
 *   read           "read N", then "rec HEX status reason hold revoked_at
 *                  invalidity not_after" per record, or "error MSG"
 *   count          "count N" (the records read, not printed) or "error MSG"
 *   lookup DEC     "found good|revoked reason=R hold=H revoked_at=T" |
 *                  "absent" | "down MSG"
 *   health         "health outages=N down=D"
 * Options come from the environment: SQL_PASSWORD_FILE, SQL_PASSWORD_ENV,
 * SQL_ISSUER, SQL_QUERY, SQL_TTL. A failed open prints "open-error MSG"
 * and exits 1. The source's warnings go to standard error as "warn MSG". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "ocsp/source_sql.h"

static void on_warn(void *arg, const char *msg)
{
	fprintf(stderr, "warn %s\n", msg);
}

static void print_rec(const struct status_rec *r)
{
	char name[SERIAL_NAME_MAX + 1];

	serial_name(&r->serial, name);
	printf("rec %s %s %d %d %lld %lld %lld\n", name,
	    r->status == CERT_GOOD ? "good" : "revoked", r->reason, r->hold,
	    (long long)r->revoked_at, (long long)r->invalidity, (long long)r->not_after);
}

static void do_read(struct sql_source *s, int print)
{
	struct status_list l;
	struct err e = { "" };

	status_list_init(&l);
	if (sql_source_read(s, &l, &e) != 0) {
		printf("error %s\n", e.msg);
	} else {
		printf("%s %zu\n", print ? "read" : "count", l.n);
		for (size_t i = 0; print && i < l.n; i++)
			print_rec(&l.v[i]);
	}
	status_list_fini(&l);
}

static void do_lookup(struct sql_source *s, const char *dec)
{
	struct serial sn;
	struct status_rec r;
	struct err e = { "" };

	if (serial_from_decimal(&sn, dec, strlen(dec), &e) != 0) {
		printf("error %s\n", e.msg);
		return;
	}
	switch (sql_source_lookup(s, &sn, (int64_t)time(NULL), &r, &e)) {
	case SOURCE_FOUND:
		printf("found %s reason=%d hold=%d revoked_at=%lld\n",
		    r.status == CERT_GOOD ? "good" : "revoked", r.reason, r.hold,
		    (long long)r.revoked_at);
		break;
	case SOURCE_ABSENT:
		printf("absent\n");
		break;
	default:
		printf("down %s\n", e.msg);
		break;
	}
}

static X509 *load_ca(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL) {
		fprintf(stderr, "%s: not a PEM certificate\n", path);
		exit(2);
	}
	return x;
}

int main(int argc, char **argv)
{
	struct source_conf c;
	struct sql_source *s = NULL;
	struct err e = { "" };
	char line[256];
	const char *ttl = getenv("SQL_TTL");

	if (argc != 4) {
		fprintf(stderr, "usage: sql_check CONN PRESET|- CA.pem\n");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	c.issuer = load_ca(argv[3]);
	c.sql_preset = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
	c.sql_query = getenv("SQL_QUERY");
	c.sql_issuer = getenv("SQL_ISSUER");
	c.sql_password_file = getenv("SQL_PASSWORD_FILE");
	c.sql_password_env = getenv("SQL_PASSWORD_ENV");
	c.sql_cache_ttl = ttl ? strtoll(ttl, NULL, 10) : 0;
	c.warn.fn = on_warn;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sql_source_open(&c, argv[1], &s, &e) != 0) {
		printf("open-error %s\n", e.msg);
		X509_free(c.issuer);
		return 1;
	}
	printf("name %s\n", sql_source_name(s));
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "read") == 0) {
			do_read(s, 1);
		} else if (strcmp(line, "count") == 0) {
			do_read(s, 0);
		} else if (strncmp(line, "lookup ", 7) == 0) {
			do_lookup(s, line + 7);
		} else if (strcmp(line, "health") == 0) {
			struct sql_health h;
			sql_source_health(s, &h);
			printf("health outages=%llu down=%d\n", (unsigned long long)h.outages, h.down);
		} else if (line[0] != '\0') {
			printf("error unknown command\n");
		}
	}
	sql_source_close(s);
	X509_free(c.issuer);
	return 0;
}
