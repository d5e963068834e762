/* The SQL source on a real SQLite file made here: both preset-shaped
 * tables (OpenXPKI's certificate, EJBCA's CertificateData) and a custom
 * query; rows good, revoked with reasons, on hold, archived, expired,
 * skipped, of another issuer, with a 20-octet serial, and malformed ones
 * that must stop the read with their row named; live look-ups through the
 * cache and its TTL, and the back-off while the database is locked. The
 * issuer values the presets compare are checked too. */
#include "ocsp/source_sql.h"

#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/x509.h>
#include <sqlite3.h>

#include <stdatomic.h>

#include "check.h"
#include "pki.h"

#define BIG "1461501637330902918203684832716283019655932542975"	/* 2^160 - 1 */
#define BIG_HEX "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"

static X509 *ca;
static EVP_PKEY *ca_key;
static char ident[64], ejbca_dn[SQL_ISSUER_MAX];
static const char *db_path;

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s\n  in: %s\n", msg, sql);
		exit(2);
	}
}

/* One statement with text parameters (NULL: SQL NULL), as a CA writes. */
static void exec_p(sqlite3 *db, const char *sql, int n, const char *const *p)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
		exit(2);
	}
	for (int i = 0; i < n; i++)
		sqlite3_bind_text(st, i + 1, p[i], -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
		exit(2);
	}
	sqlite3_finalize(st);
}

/* OpenXPKI's certificate table. cert_key is NUMERIC(49,0) in OpenXPKI's
 * schema; in SQLite NUMERIC affinity turns a number past 64 bits into a
 * floating-point one, so the text type keeps it exact here (the NUMERIC
 * case is checked to fail loudly below). */
static const char openxpki_schema[] =
    "CREATE TABLE certificate ("
    " issuer_dn VARCHAR(1000), cert_key TEXT NOT NULL,"
    " issuer_identifier VARCHAR(64) NOT NULL, identifier VARCHAR(64),"
    " subject VARCHAR(1000), status VARCHAR(255) NOT NULL DEFAULT 'UNKNOWN',"
    " reason_code VARCHAR(50), revocation_time INTEGER, invalidity_time INTEGER,"
    " hold_instruction_code VARCHAR(64), notbefore INTEGER, notafter INTEGER,"
    " data TEXT, PRIMARY KEY (issuer_identifier, cert_key));";

static const char openxpki_insert[] =
    "INSERT INTO certificate (cert_key, issuer_identifier, status, reason_code,"
    " revocation_time, invalidity_time, hold_instruction_code, notafter)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

/* EJBCA's CertificateData, the columns that matter and a few that do not. */
static const char ejbca_schema[] =
    "CREATE TABLE CertificateData ("
    " fingerprint VARCHAR(250) PRIMARY KEY, issuerDN VARCHAR(250) NOT NULL,"
    " subjectDN VARCHAR(400), cAFingerprint VARCHAR(250),"
    " serialNumber VARCHAR(250) NOT NULL, status INTEGER NOT NULL,"
    " type INTEGER NOT NULL DEFAULT 1, revocationDate BIGINT NOT NULL,"
    " revocationReason INTEGER NOT NULL, expireDate BIGINT NOT NULL,"
    " username VARCHAR(250), rowVersion INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX certificatedata_idx3 ON CertificateData (serialNumber, issuerDN);";

static const char ejbca_insert[] =
    "INSERT INTO CertificateData (fingerprint, issuerDN, serialNumber, status,"
    " revocationDate, revocationReason, expireDate) VALUES (?, ?, ?, ?, ?, ?, ?)";

struct ox_row {
	const char *serial, *issuer, *status, *reason, *revoked, *invalidity, *hold, *notafter;
};

static const struct ox_row ox_rows[] = {
	{ "1", NULL, "ISSUED", NULL, NULL, NULL, NULL, "2000000000" },
	{ "2", NULL, "REVOKED", "keyCompromise", "1700000000", "1699990000", NULL, "2000000000" },
	{ "3", NULL, "CRL_ISSUANCE_PENDING", "superseded", "1700000100", NULL, NULL, NULL },
	{ "4", NULL, "HOLD", "certificateHold", "1700000200", NULL, "1.2.840.10040.2.2", NULL },
	{ "5", NULL, "UNKNOWN", NULL, NULL, NULL, NULL, NULL },
	{ "6", NULL, "ISSUED", NULL, NULL, NULL, NULL, "1000000000" },	/* expired */
	{ "8", NULL, "REVOKED", "cACompromise", "1700000300", NULL, NULL, NULL },
	{ BIG, NULL, "ISSUED", NULL, NULL, NULL, NULL, "2000000000" },
	/* Another CA's rows, one under a serial of ours. */
	{ "1", "other", "REVOKED", "keyCompromise", "1700000000", NULL, NULL, NULL },
	{ "7", "other", "ISSUED", NULL, NULL, NULL, NULL, NULL },
	/* Malformed, each under its own issuer value (sql_issuer). */
	{ "11", "bad-status", "VALID", NULL, NULL, NULL, NULL, NULL },
	{ "12x", "bad-serial", "ISSUED", NULL, NULL, NULL, NULL, NULL },
	{ "13", "bad-reason", "REVOKED", "stolen", "1700000000", NULL, NULL, NULL },
	{ "14", "bad-time", "REVOKED", "keyCompromise", "yesterday", NULL, NULL, NULL },
	{ "15", "no-time", "REVOKED", "keyCompromise", NULL, NULL, NULL, NULL },
	{ "16", "bad-hold", "HOLD", NULL, "1700000000", NULL, "1.2.3", NULL },
	{ "1", "dup", "ISSUED", NULL, NULL, NULL, NULL, NULL },
	{ "001", "dup", "ISSUED", NULL, NULL, NULL, NULL, NULL },
	{ "1", "good-then-bad", "ISSUED", NULL, NULL, NULL, NULL, NULL },
	{ "2", "good-then-bad", "REVOKED", "keyCompromise", "-5", NULL, NULL, NULL },
};

struct ej_row {
	const char *serial, *issuer, *status, *revdate, *reason, *expire;
};

static const struct ej_row ej_rows[] = {
	{ "10", NULL, "20", "-1", "-1", "2000000000000" },
	{ "11", NULL, "21", "-1", "-1", "2000000000999" },
	{ "12", NULL, "40", "1700000000123", "1", "2000000000000" },
	{ "13", NULL, "40", "1700000001000", "6", "2000000000000" },
	{ "14", NULL, "60", "-1", "-1", "1000000000000" },	/* archived, not revoked */
	{ "15", NULL, "60", "1700000002000", "8", "1000000000000" },	/* un-held */
	{ "16", NULL, "60", "1700000003000", "4", "1000000000000" },	/* revoked, expired */
	{ "17", NULL, "10", "-1", "-1", "2000000000000" },	/* inactive: skipped */
	{ BIG, NULL, "20", "-1", "-1", "2000000000000" },
	{ "10", "CN=Other CA,O=Example,C=SE", "40", "1700000000000", "1", "2000000000000" },
	{ "18", "CN=Other CA,O=Example,C=SE", "20", "-1", "-1", "2000000000000" },
	{ "19", "CN=Bad", "30", "-1", "-1", "2000000000000" },
	{ "20", "CN=Bad reason", "40", "1700000000000", "7", "2000000000000" },
};

static void make_db(void)
{
	sqlite3 *db;

	db_path = check_tmp_path("ca.db");
	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		exit(2);
	exec(db, openxpki_schema);
	exec(db, ejbca_schema);
	exec(db, "CREATE TABLE numeric_keys (cert_key NUMERIC(49,0), issuer VARCHAR(64));"
	    "INSERT INTO numeric_keys VALUES ('" BIG "', 'x');");
	for (size_t i = 0; i < sizeof(ox_rows) / sizeof(ox_rows[0]); i++) {
		const struct ox_row *r = &ox_rows[i];
		const char *p[] = { r->serial, r->issuer ? r->issuer : ident, r->status,
		    r->reason, r->revoked, r->invalidity, r->hold, r->notafter };
		exec_p(db, openxpki_insert, 8, p);
	}
	for (size_t i = 0; i < sizeof(ej_rows) / sizeof(ej_rows[0]); i++) {
		const struct ej_row *r = &ej_rows[i];
		char fp[32];
		const char *p[] = { fp, r->issuer ? r->issuer : ejbca_dn, r->serial, r->status,
		    r->revdate, r->reason, r->expire };
		snprintf(fp, sizeof(fp), "fp%zu", i);
		exec_p(db, ejbca_insert, 7, p);
	}
	sqlite3_close(db);
}

/* The test CA: C=SE, O=Example, Inc, OU=B, OU=A, CN=Test CA,
 * emailAddress=ca@example.com, in that DER order. */
static void make_ca(void)
{
	struct pki_cert_opts o = { 0 };
	X509_NAME *name = X509_NAME_new();

	ca_key = pki_key(PKI_EC256);
	o.cn = "Test CA";
	o.key = ca_key;
	o.serial = 1;
	o.not_before = 1600000000;
	o.not_after = 2000000000;
	o.ca = 1;
	ca = pki_cert(&o);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"SE", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"Example, Inc", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8, (const unsigned char *)"B", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8, (const unsigned char *)"A", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Test CA", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "emailAddress", MBSTRING_ASC,
	    (const unsigned char *)"ca@example.com", -1, -1, 0);
	X509_set_subject_name(ca, name);
	X509_set_issuer_name(ca, name);
	X509_sign(ca, ca_key, EVP_sha256());
	X509_NAME_free(name);
}

static X509 *ca_named(const char *const *fields, int multi_last)
{
	X509 *c = X509_dup(ca);
	X509_NAME *name = X509_NAME_new();

	for (size_t i = 0; fields[i] != NULL; i += 2)
		X509_NAME_add_entry_by_txt(name, fields[i], MBSTRING_UTF8,
		    (const unsigned char *)fields[i + 1], -1, -1,
		    multi_last && fields[i + 2] == NULL ? -1 : 0);
	X509_set_subject_name(c, name);
	X509_NAME_free(name);
	return c;
}

static void test_issuer_values(void)
{
	struct err e = { "" };
	char out[SQL_ISSUER_MAX];
	static const char *const escaped[] = { "C", "SE", "CN", " #lead+trail; ", NULL };
	static const char *const hash[] = { "CN", "#1", NULL };
	static const char *const dcs[] = { "DC", "com", "DC", "example", "CN", "Issuing", NULL };
	static const char *const cn_first[] = { "CN", "X", "OU", "one", "OU", "two", "O", "Y",
	    NULL };
	static const char *const unknown[] = { "C", "SE", "organizationIdentifier",
	    "VATSE-1", "CN", "X", NULL };
	X509 *c;

	check_case("openxpki identifier");
	CHECK_EQ(sql_issuer_openxpki(ca, out, sizeof(out), &e), 0);
	CHECK_EQ(strlen(out), 27);	/* 20 octets, base64 without padding */
	CHECK(strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
	    == 27);
	CHECK_EQ(sql_issuer_openxpki(ca, out, 10, &e), -1);

	check_case("ejbca DN");
	CHECK_EQ(sql_issuer_ejbca(ca, out, sizeof(out), &e), 0);
	CHECK_STR(out, "E=ca@example.com,CN=Test CA,OU=A,OU=B,O=Example\\, Inc,C=SE");
	CHECK_EQ(sql_issuer_ejbca(ca, out, 20, &e), -1);
	CHECK_CONTAINS(e.msg, "longer than");

	check_case("ejbca DN escapes");
	c = ca_named(escaped, 0);
	CHECK_EQ(sql_issuer_ejbca(c, out, sizeof(out), &e), 0);
	/* '#' is escaped only as the value's first character. */
	CHECK_STR(out, "CN=\\ #lead\\+trail\\;\\ ,C=SE");
	X509_free(c);

	c = ca_named(hash, 0);
	CHECK_EQ(sql_issuer_ejbca(c, out, sizeof(out), &e), 0);
	CHECK_STR(out, "CN=\\#1");
	X509_free(c);

	check_case("ejbca DN with DCs");
	c = ca_named(dcs, 0);
	CHECK_EQ(sql_issuer_ejbca(c, out, sizeof(out), &e), 0);
	CHECK_STR(out, "CN=Issuing,DC=example,DC=com");
	X509_free(c);

	/* Already CN first in DER: not reversed, the OUs keep their order. */
	check_case("ejbca DN CN first");
	c = ca_named(cn_first, 0);
	CHECK_EQ(sql_issuer_ejbca(c, out, sizeof(out), &e), 0);
	CHECK_STR(out, "CN=X,OU=one,OU=two,O=Y");
	X509_free(c);

	check_case("ejbca DN unknown attribute");
	c = ca_named(unknown, 0);
	CHECK_EQ(sql_issuer_ejbca(c, out, sizeof(out), &e), -1);
	CHECK_CONTAINS(e.msg, "set sql_issuer");
	X509_free(c);

	check_case("ejbca DN multi-valued");
	c = ca_named(cn_first, 1);
	CHECK_EQ(sql_issuer_ejbca(c, out, sizeof(out), &e), -1);
	CHECK_CONTAINS(e.msg, "multi-valued");
	X509_free(c);
	check_case_clear();
}

static void conf_init(struct source_conf *c, const char *preset)
{
	memset(c, 0, sizeof(*c));
	c->issuer = ca;
	c->sql_preset = preset;
}

static char conn[512];

static struct sql_source *open_ok(const struct source_conf *c)
{
	struct sql_source *s = NULL;
	struct err e = { "" };

	if (sql_source_open(c, conn, &s, &e) != 0)
		fprintf(stderr, "open: %s\n", e.msg);
	CHECK(s != NULL);
	return s;
}

static const struct status_rec *find(const struct status_list *l, const char *dec)
{
	struct serial s;

	if (serial_from_decimal(&s, dec, strlen(dec), NULL) != 0)
		return NULL;
	return status_list_find(l, &s);
}

struct expect {
	const char *serial;
	int status, reason, hold;
	int64_t revoked_at, invalidity, not_after;
};

static void check_list(const struct status_list *l, const struct expect *x, size_t n)
{
	CHECK_EQ(l->n, n);
	for (size_t i = 0; i < n; i++) {
		const struct status_rec *r = find(l, x[i].serial);
		check_case("serial %s", x[i].serial);
		CHECK(r != NULL);
		if (r == NULL)
			continue;
		CHECK_EQ(r->status, x[i].status);
		CHECK_EQ(r->reason, x[i].reason);
		CHECK_EQ(r->hold, x[i].hold);
		CHECK_EQ(r->revoked_at, x[i].revoked_at);
		CHECK_EQ(r->invalidity, x[i].invalidity);
		CHECK_EQ(r->not_after, x[i].not_after);
	}
	check_case_clear();
}

static const struct expect ox_expect[] = {
	{ "1", CERT_GOOD, REASON_NONE, HOLD_NOT_SET, 0, 0, 2000000000 },
	{ "2", CERT_REVOKED, REASON_KEY_COMPROMISE, HOLD_NOT_SET, 1700000000, 1699990000,
	  2000000000 },
	{ "3", CERT_REVOKED, REASON_SUPERSEDED, HOLD_NOT_SET, 1700000100, 0, 0 },
	{ "4", CERT_REVOKED, REASON_CERTIFICATE_HOLD, HOLD_CALL_ISSUER, 1700000200, 0, 0 },
	{ "6", CERT_GOOD, REASON_NONE, HOLD_NOT_SET, 0, 0, 1000000000 },
	{ "8", CERT_REVOKED, REASON_CA_COMPROMISE, HOLD_NOT_SET, 1700000300, 0, 0 },
	{ BIG, CERT_GOOD, REASON_NONE, HOLD_NOT_SET, 0, 0, 2000000000 },
};

static const struct expect ej_expect[] = {
	{ "10", CERT_GOOD, REASON_NONE, HOLD_NOT_SET, 0, 0, 2000000000 },
	{ "11", CERT_GOOD, REASON_NONE, HOLD_NOT_SET, 0, 0, 2000000000 },
	{ "12", CERT_REVOKED, REASON_KEY_COMPROMISE, HOLD_NOT_SET, 1700000000, 0, 2000000000 },
	{ "13", CERT_REVOKED, REASON_CERTIFICATE_HOLD, HOLD_NOT_SET, 1700000001, 0, 2000000000 },
	{ "14", CERT_GOOD, REASON_NONE, HOLD_NOT_SET, 0, 0, 1000000000 },
	{ "15", CERT_GOOD, REASON_NONE, HOLD_NOT_SET, 0, 0, 1000000000 },
	{ "16", CERT_REVOKED, REASON_SUPERSEDED, HOLD_NOT_SET, 1700000003, 0, 1000000000 },
	{ BIG, CERT_GOOD, REASON_NONE, HOLD_NOT_SET, 0, 0, 2000000000 },
};

static void test_read_openxpki(void)
{
	struct source_conf c;
	struct status_list l;
	struct err e = { "" };
	struct sql_source *s;
	const struct status_rec *big;

	conf_init(&c, "openxpki");
	if ((s = open_ok(&c)) == NULL)
		return;
	{
		char want[600];
		snprintf(want, sizeof(want), "sql:%s", conn);
		CHECK_STR(sql_source_name(s), want);
	}
	status_list_init(&l);
	CHECK_EQ(sql_source_read(s, &l, &e), 0);
	check_list(&l, ox_expect, sizeof(ox_expect) / sizeof(ox_expect[0]));
	big = find(&l, BIG);
	if (big != NULL) {
		char name[SERIAL_NAME_MAX + 1];
		serial_name(&big->serial, name);
		CHECK_STR(name, BIG_HEX);
		CHECK_EQ(big->serial.len, 20);
	}
	/* Sorted by serial. */
	for (size_t i = 1; i < l.n; i++)
		CHECK(serial_cmp(&l.v[i - 1].serial, &l.v[i].serial) < 0);
	status_list_fini(&l);
	sql_source_close(s);
}

static void test_read_ejbca(void)
{
	struct source_conf c;
	struct status_list l;
	struct err e = { "" };
	struct sql_source *s;

	conf_init(&c, "ejbca");
	if ((s = open_ok(&c)) == NULL)
		return;
	status_list_init(&l);
	CHECK_EQ(sql_source_read(s, &l, &e), 0);
	if (e.msg[0])
		fprintf(stderr, "ejbca: %s\n", e.msg);
	check_list(&l, ej_expect, sizeof(ej_expect) / sizeof(ej_expect[0]));
	status_list_fini(&l);
	sql_source_close(s);
}

/* The operator's own query over the OpenXPKI table: the same answers. */
static void test_read_custom(void)
{
	struct source_conf c;
	struct status_list l;
	struct status_rec r;
	struct serial sn;
	struct err e = { "" };
	struct sql_source *s;

	conf_init(&c, NULL);
	c.sql_issuer = ident;
	c.sql_query = "SELECT cert_key AS serial, CASE status WHEN 'ISSUED' THEN 'good'"
	    " WHEN 'HOLD' THEN 'hold' WHEN 'UNKNOWN' THEN 'unknown' ELSE 'revoked' END,"
	    " revocation_time, reason_code, invalidity_time, notafter, hold_instruction_code"
	    " FROM certificate WHERE issuer_identifier = ?;";
	if ((s = open_ok(&c)) == NULL)
		return;
	status_list_init(&l);
	CHECK_EQ(sql_source_read(s, &l, &e), 0);
	check_list(&l, ox_expect, sizeof(ox_expect) / sizeof(ox_expect[0]));
	status_list_fini(&l);
	/* Live, through the wrapped query. */
	serial_from_decimal(&sn, "4", 1, NULL);
	CHECK_EQ(sql_source_lookup(s, &sn, 1000, &r, &e), SOURCE_FOUND);
	CHECK_EQ(r.status, CERT_REVOKED);
	CHECK_EQ(r.hold, HOLD_CALL_ISSUER);
	serial_from_decimal(&sn, "5", 1, NULL);
	CHECK_EQ(sql_source_lookup(s, &sn, 1000, &r, &e), SOURCE_ABSENT);
	sql_source_close(s);
}

/* A malformed row stops the read and is named: source, row, serial, what. */
static const struct {
	const char *preset, *issuer;
	const char *msg[3];
} bad_reads[] = {
	{ "openxpki", "bad-status", { "row 1 (serial 11)", "status 'VALID'", "not a status" } },
	{ "openxpki", "bad-serial", { "serial 12x", "cert_key", "not a decimal" } },
	{ "openxpki", "bad-reason", { "serial 13", "reason_code 'stolen'", "CRLReason" } },
	{ "openxpki", "bad-time", { "serial 14", "revocation_time 'yesterday'", "number" } },
	{ "openxpki", "no-time", { "serial 15", "revocation_time is empty", "revoked" } },
	{ "openxpki", "bad-hold", { "serial 16", "hold_instruction_code '1.2.3'", "hold" } },
	{ "openxpki", "dup", { "serial 01 already appears", "", "" } },
	{ "openxpki", "good-then-bad", { "row 2 (serial 2)", "revocation_time '-5'", "" } },
	{ "ejbca", "CN=Bad", { "serial 19", "status '30'", "not a status" } },
	{ "ejbca", "CN=Bad reason", { "serial 20", "revocationReason '7'", "CRLReason" } },
};

static void test_read_malformed(void)
{
	for (size_t i = 0; i < sizeof(bad_reads) / sizeof(bad_reads[0]); i++) {
		struct source_conf c;
		struct status_list l;
		struct err e = { "" };
		struct sql_source *s;

		check_case("malformed %s %s", bad_reads[i].preset, bad_reads[i].issuer);
		conf_init(&c, bad_reads[i].preset);
		c.sql_issuer = bad_reads[i].issuer;
		if ((s = open_ok(&c)) == NULL)
			continue;
		status_list_init(&l);
		CHECK_EQ(sql_source_read(s, &l, &e), -1);
		CHECK_CONTAINS(e.msg, "sql:sqlite:");
		for (int j = 0; j < 3; j++)
			CHECK_CONTAINS(e.msg, bad_reads[i].msg[j]);
		status_list_fini(&l);
		sql_source_close(s);
	}
	check_case_clear();
}

/* Refused at open, with the source named. */
static void test_open_errors(void)
{
	struct source_conf c;
	struct sql_source *s = NULL;
	struct err e = { "" };
	const char *pw = check_tmp_file("pw-world", "secret\n", 7);
	char missing[600];

	check_case("missing file");
	snprintf(missing, sizeof(missing), "sqlite:%s.missing", db_path);
	conf_init(&c, "openxpki");
	CHECK_EQ(sql_source_open(&c, missing, &s, &e), -1);
	CHECK_CONTAINS(e.msg, "sql:sqlite:");
	CHECK_CONTAINS(e.msg, "unable to open");

	check_case("unknown preset");
	conf_init(&c, "dogtag");
	CHECK_EQ(sql_source_open(&c, conn, &s, &e), -1);
	CHECK_CONTAINS(e.msg, "sql_preset 'dogtag'");

	check_case("query without issuer parameter");
	conf_init(&c, NULL);
	c.sql_query = "SELECT cert_key, status, NULL, NULL, NULL, NULL, NULL FROM certificate";
	CHECK_EQ(sql_source_open(&c, conn, &s, &e), -1);
	CHECK_CONTAINS(e.msg, "parameters");

	check_case("query with 3 columns");
	c.sql_query = "SELECT cert_key AS serial, status, notafter FROM certificate"
	    " WHERE issuer_identifier = ?";
	CHECK_EQ(sql_source_open(&c, conn, &s, &e), -1);
	CHECK_CONTAINS(e.msg, "columns");

	check_case("password file others may read");
	chmod(pw, 0644);
	conf_init(&c, "openxpki");
	c.sql_password_file = pw;
	CHECK_EQ(sql_source_open(&c, conn, &s, &e), -1);
	CHECK_CONTAINS(e.msg, "others may read it");
	CHECK(strstr(e.msg, "secret") == NULL);

	check_case("password env unset");
	conf_init(&c, "openxpki");
	c.sql_password_env = "OCSP_TEST_NO_SUCH_VARIABLE";
	CHECK_EQ(sql_source_open(&c, conn, &s, &e), -1);
	CHECK_CONTAINS(e.msg, "OCSP_TEST_NO_SUCH_VARIABLE");

	check_case("no issuer");
	conf_init(&c, "ejbca");
	c.issuer = NULL;
	CHECK_EQ(sql_source_open(&c, conn, &s, &e), -1);
	CHECK_CONTAINS(e.msg, "no issuer");

	check_case("not a URI");
	conf_init(&c, "ejbca");
	CHECK_EQ(sql_source_open(&c, "host=db password=hunter2", &s, &e), -1);
	CHECK_CONTAINS(e.msg, "postgresql://");
	CHECK(strstr(e.msg, "hunter2") == NULL);
	CHECK(s == NULL);
	check_case_clear();
}

/* A number in a NUMERIC column past 64 bits comes back as a float: an
 * error naming the row, never a wrong serial. */
static void test_numeric_affinity(void)
{
	struct source_conf c;
	struct status_list l;
	struct err e = { "" };
	struct sql_source *s;

	conf_init(&c, NULL);
	c.sql_issuer = "x";
	c.sql_query = "SELECT cert_key AS serial, 'good', NULL, NULL, NULL, NULL, NULL"
	    " FROM numeric_keys WHERE issuer = ?";
	if ((s = open_ok(&c)) == NULL)
		return;
	status_list_init(&l);
	CHECK_EQ(sql_source_read(s, &l, &e), -1);
	CHECK_CONTAINS(e.msg, "row 1 (serial 1.4615");
	CHECK_CONTAINS(e.msg, "not a decimal");
	status_list_fini(&l);
	sql_source_close(s);
}

/* A statement with our issuer's identifier as its one parameter. */
static void db_write(const char *sql)
{
	sqlite3 *db;
	const char *p[] = { ident };

	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		exit(2);
	exec_p(db, sql, 1, p);
	sqlite3_close(db);
}

static enum source_find look(struct sql_source *s, const char *dec, int64_t now,
    struct status_rec *r)
{
	struct serial sn;
	struct err e = { "" };
	enum source_find f;

	if (serial_from_decimal(&sn, dec, strlen(dec), NULL) != 0)
		exit(2);
	f = sql_source_lookup(s, &sn, now, r, &e);
	if (f == SOURCE_DOWN)
		fprintf(stderr, "  (down: %s)\n", e.msg);
	return f;
}

/* Live answers: found, absent, skipped, another issuer's; the cache keeps
 * answers of both kinds for the TTL and no longer. */
static void test_lookup(void)
{
	struct source_conf c;
	struct status_rec r;
	struct sql_source *s;

	conf_init(&c, "openxpki");
	c.sql_cache_ttl = 5;
	if ((s = open_ok(&c)) == NULL)
		return;
	check_case("look-ups");
	CHECK_EQ(look(s, "2", 1000, &r), SOURCE_FOUND);
	CHECK_EQ(r.status, CERT_REVOKED);
	CHECK_EQ(r.reason, REASON_KEY_COMPROMISE);
	CHECK_EQ(r.revoked_at, 1700000000);
	CHECK_EQ(r.invalidity, 1699990000);
	CHECK_EQ(look(s, BIG, 1000, &r), SOURCE_FOUND);
	CHECK_EQ(r.status, CERT_GOOD);
	CHECK_EQ(r.serial.len, 20);
	CHECK_EQ(look(s, "5", 1000, &r), SOURCE_ABSENT);	/* UNKNOWN */
	CHECK_EQ(look(s, "7", 1000, &r), SOURCE_ABSENT);	/* another CA's */
	CHECK_EQ(look(s, "99", 1000, &r), SOURCE_ABSENT);

	check_case("cache TTL");
	CHECK_EQ(look(s, "1", 1000, &r), SOURCE_FOUND);
	CHECK_EQ(r.status, CERT_GOOD);
	db_write("UPDATE certificate SET status = 'REVOKED', reason_code = 'superseded',"
	    " revocation_time = 1700000500 WHERE cert_key = '1' AND issuer_identifier = ?");
	db_write("INSERT INTO certificate (cert_key, issuer_identifier, status)"
	    " VALUES ('99', ?, 'ISSUED')");
	CHECK_EQ(look(s, "1", 1004, &r), SOURCE_FOUND);
	CHECK_EQ(r.status, CERT_GOOD);		/* cached */
	CHECK_EQ(look(s, "99", 1004, &r), SOURCE_ABSENT);	/* cached absence */
	CHECK_EQ(look(s, "1", 1005, &r), SOURCE_FOUND);
	CHECK_EQ(r.status, CERT_REVOKED);
	CHECK_EQ(r.reason, REASON_SUPERSEDED);
	CHECK_EQ(r.revoked_at, 1700000500);
	CHECK_EQ(look(s, "99", 1005, &r), SOURCE_FOUND);
	CHECK_EQ(r.status, CERT_GOOD);
	check_case_clear();
	sql_source_close(s);
}

static int warnings;
static char last_warning[1024];

static void on_warn(void *arg, const char *msg)
{
	warnings++;
	snprintf(last_warning, sizeof(last_warning), "%s", msg);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A writer holding the lock past the busy timeout: SOURCE_DOWN, one
 * outage, answers refused at once during the back-off, and back when the
 * lock goes. */
static void test_down(void)
{
	struct source_conf c;
	struct status_rec r;
	struct sql_health h;
	struct sql_source *s;
	sqlite3 *w;
	double t;

	conf_init(&c, "openxpki");
	c.warn.fn = on_warn;
	if ((s = open_ok(&c)) == NULL)
		return;
	check_case("down");
	if (sqlite3_open(db_path, &w) != SQLITE_OK)
		exit(2);
	exec(w, "BEGIN EXCLUSIVE");
	t = mono();
	CHECK_EQ(look(s, "2", 2000, &r), SOURCE_DOWN);
	CHECK(mono() - t < SQL_LOOKUP_TIMEOUT_MS / 1000.0 + 2);
	sql_source_health(s, &h);
	CHECK_EQ(h.down, 1);
	CHECK_EQ(h.outages, 1);
	CHECK_EQ(warnings, 1);
	CHECK_CONTAINS(last_warning, "database down");
	t = mono();
	CHECK_EQ(look(s, "3", 2000, &r), SOURCE_DOWN);	/* back-off: not asked */
	CHECK(mono() - t < 0.5);
	exec(w, "COMMIT");
	sqlite3_close(w);
	CHECK_EQ(look(s, "3", 2000, &r), SOURCE_DOWN);	/* still backing off */
	CHECK_EQ(look(s, "3", 2001, &r), SOURCE_FOUND);
	CHECK_EQ(r.reason, REASON_SUPERSEDED);
	sql_source_health(s, &h);
	CHECK_EQ(h.down, 0);
	CHECK_EQ(h.outages, 1);
	CHECK_EQ(warnings, 2);
	CHECK_CONTAINS(last_warning, "answers again");
	check_case_clear();
	sql_source_close(s);
}

/* Many workers at once, more than SQL_MAX_CONNECTIONS, over a few
 * serials and several cache periods: every answer the right one. */
#define THREADS 12
static struct sql_source *shared;
static atomic_int wrong;

static void *worker(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < 300; i++) {
		struct status_rec r;
		int64_t now = 3000 + i / 20;	/* the cache expires every 5 */
		const char *dec = (i + id) % 3 == 0 ? "2" : (i + id) % 3 == 1 ? "6" : "77";
		enum source_find f = look(shared, dec, now, &r);
		if (dec[0] == '2' && (f != SOURCE_FOUND || r.status != CERT_REVOKED))
			wrong++;
		if (dec[0] == '6' && (f != SOURCE_FOUND || r.status != CERT_GOOD))
			wrong++;
		if (dec[0] == '7' && f != SOURCE_ABSENT)
			wrong++;
	}
	return NULL;
}

static void test_threads(void)
{
	struct source_conf c;
	pthread_t t[THREADS];

	conf_init(&c, "openxpki");
	if ((shared = open_ok(&c)) == NULL)
		return;
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(wrong, 0);
	sql_source_close(shared);
}

int main(void)
{
	make_ca();
	if (sql_issuer_openxpki(ca, ident, sizeof(ident), NULL) != 0 ||
	    sql_issuer_ejbca(ca, ejbca_dn, sizeof(ejbca_dn), NULL) != 0)
		return 2;
	make_db();
	snprintf(conn, sizeof(conn), "sqlite:%s", db_path);
	test_issuer_values();
	test_read_openxpki();
	test_read_ejbca();
	test_read_custom();
	test_read_malformed();
	test_open_errors();
	test_numeric_affinity();
	test_lookup();
	test_down();
	test_threads();
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return check_done();
}
