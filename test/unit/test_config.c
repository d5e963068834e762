/* Configuration: every key of a full file, errors that name file and
 * line, command-line overrides, and what config_finish requires. */
#include "ocsp/config.h"

#include "check.h"

#define DAY 86400

static const char sample[] =
	"; every section and key\n"					/* 1 */
	"tree = /var/lib/ocsp/tree\n"
	"\n"
	"[publisher]\n"
	"threads = 6\n"						/* 5 */
	"shard = 2/3\n"
	"[lookupd]\n"
	"listen = 127.0.0.1:8080,[::1]:8080\n"
	"path_prefix = /ocsp\n"
	"threads = 16\n"						/* 10 */
	"max_request_bytes = 4096\n"
	"cache_entries = 1000\n"
	"max_age = 30m\n"
	"reload_interval = 5s\n"
	"\n"								/* 15 */
	"[ca demo]\n"
	"issuer = /etc/ocsp/demo-ca.pem\n"
	"signer = /etc/ocsp/demo-ocsp.pem\n"
	"key = /etc/ocsp/demo-ocsp.key\n"
	"index = /etc/ocsp/demo/index.txt\n"				/* 20 */
	"validity = 2\n"
	"refresh = 12h\n"
	"backdate = 30m\n"
	"\n"
	"# a second CA with the defaults\n"				/* 25 */
	"[ca other-CA_2.x]\n"
	"issuer = other.pem ; an inline comment\n"
	"signer = other.pem\n"
	"key = other.key\n"
	"index = other.txt\n";						/* 30 */

static void test_sample(void)
{
	struct config c;
	struct err e = { "" };
	const char *path = check_tmp_file("sample.conf", sample, strlen(sample));

	CHECK_EQ(config_init(&c, &e), 0);
	CHECK_EQ(config_load(&c, path, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_STR(c.path, path);
	CHECK_STR(c.tree, "/var/lib/ocsp/tree");
	CHECK_EQ(c.pub_threads, 6);
	CHECK(c.shard.k == 2 && c.shard.n == 3);
	CHECK_STR(c.listen, "127.0.0.1:8080,[::1]:8080");
	CHECK_STR(c.path_prefix, "/ocsp");
	CHECK_EQ(c.http_threads, 16);
	CHECK_EQ(c.max_request_bytes, 4096);
	CHECK_EQ(c.cache_entries, 1000);
	CHECK_EQ(c.max_age, 1800);
	CHECK_EQ(c.reload_interval, 5);
	CHECK_EQ(c.ncas, 2);
	if (c.ncas == 2) {
		struct ca_conf *a = &c.cas[0], *b = &c.cas[1];
		CHECK_STR(a->name, "demo");
		CHECK_STR(a->issuer, "/etc/ocsp/demo-ca.pem");
		CHECK_EQ(a->nown, 1);
		if (a->nown == 1) {
			CHECK_STR(a->own[0].certificate, "/etc/ocsp/demo-ocsp.pem");
			CHECK_STR(a->own[0].key, "/etc/ocsp/demo-ocsp.key");
		}
		CHECK_STR(a->source, "index:/etc/ocsp/demo/index.txt");
		CHECK_EQ(a->validity, 2 * DAY);	/* a bare number is days */
		CHECK_EQ(a->refresh, 12 * 3600);
		CHECK_EQ(a->backdate, 1800);
		/* the line of the section's first key */
		CHECK_EQ(a->line, 17);
		CHECK_STR(b->name, "other-CA_2.x");
		CHECK_STR(b->issuer, "other.pem");
		CHECK_EQ(b->validity, 4 * DAY);
		CHECK_EQ(b->refresh, 0);
		CHECK_EQ(b->backdate, 3600);
		CHECK_EQ(b->line, 27);
	}
	CHECK_EQ(config_finish(&c, CONFIG_PUBLISHER, &e), 0);
	if (c.ncas == 2) {
		CHECK_EQ(c.cas[0].refresh, 12 * 3600);	/* given */
		CHECK_EQ(c.cas[1].refresh, 2 * DAY);	/* validity / 2 */
	}
	config_fini(&c);
	CHECK(c.tree == NULL && c.cas == NULL && c.ncas == 0);
}

static void test_defaults(void)
{
	struct config c;
	struct err e = { "" };

	CHECK_EQ(config_init(&c, &e), 0);
	CHECK(c.tree == NULL);
	CHECK(c.path == NULL);
	CHECK_EQ(c.pub_threads, 0);
	CHECK(c.shard.n == 0);
	CHECK_STR(c.listen, "127.0.0.1:8080");
	CHECK_STR(c.path_prefix, "");
	CHECK_EQ(c.http_threads, 2048);
	CHECK_EQ(c.header_timeout, 3);
	CHECK_EQ(c.body_timeout, 3);
	CHECK_EQ(c.keep_alive_timeout, 5);
	CHECK_EQ(c.busy_threshold, 75);
	CHECK_EQ(c.keep_alive_requests, 100);
	CHECK_EQ(c.max_headers, 32);
	CHECK_EQ(c.max_header_bytes, 16384);
	CHECK_EQ(c.max_request_bytes, 16384);
	CHECK_EQ(c.cache_entries, 16384);
	CHECK_EQ(c.max_age, 3600);
	CHECK_EQ(c.reload_interval, 1);
	CHECK_EQ(c.ncas, 0);
	CHECK_EQ(config_finish(&c, CONFIG_LOOKUPD, &e), 0);	/* no CA: nothing to check */
	config_fini(&c);
}

static char long_line[420];

static const struct {
	const char *what;
	const char *text;
	int line;
	const char *err;
} errors[] = {
	{ "unknown key", "tree = /t\n[lookupd]\nthreads = 4\nbogus = 1\n", 4,
	  "unknown key 'bogus' in [lookupd]" },
	{ "unknown top-level key", "\n\nbogus = 1\n", 3,
	  "unknown key 'bogus' at the top level" },
	{ "publisher key in [lookupd]", "[lookupd]\nlisten = :80\nvalidity = 4\n", 3,
	  "unknown key 'validity' in [lookupd]" },
	{ "CA key at the top", "issuer = ca.pem\n", 1, "unknown key 'issuer'" },
	{ "unknown CA key", "[ca a]\nissuer = x\nkeyfile = y\n", 3,
	  "unknown key 'keyfile' in [ca a]" },
	{ "unknown section", "tree = /t\n[bogus]\nfoo = 1\n", 3, "unknown section [bogus]" },
	{ "section case", "[Lookupd]\nthreads = 1\n", 2, "unknown section [Lookupd]" },
	{ "bad number", "[lookupd]\nthreads = 4x\n", 2, "threads: '4x' is not a whole number" },
	{ "empty number", "[lookupd]\nthreads =\n", 2, "is not a whole number" },
	{ "huge number", "[lookupd]\nthreads = 99999999999999999999\n", 2,
	  "is not a whole number" },
	{ "hex number", "[lookupd]\nthreads = 0x10\n", 2, "is not a whole number" },
	{ "number below range", "[lookupd]\nthreads = 0\n", 2, "0 is outside 1..16384" },
	{ "number above range", "[publisher]\nthreads = 1025\n", 2, "outside 0..1024" },
	{ "negative number", "[lookupd]\nmax_request_bytes = -1\n", 2, "outside 256..65536" },
	{ "validity too long", "[ca a]\nvalidity = 11d\n", 2,
	  "validity: '11d' is outside 1h..10d" },
	{ "validity too long, bare days", "[ca a]\nvalidity = 11\n", 2, "outside 1h..10d" },
	{ "validity too short", "[ca a]\nissuer = x\nvalidity = 30m\n", 3, "outside 1h..10d" },
	{ "backdate too long", "[ca a]\nbackdate = 2d\n", 2, "outside 0s..1d" },
	{ "text after the unit", "[lookupd]\nmax_age = 240h1\n", 2, "is not a duration" },
	{ "max_age over 10 days", "[lookupd]\nmax_age = 241h\n", 2, "outside 0s..10d" },
	{ "reload_interval 0", "[lookupd]\nreload_interval = 0\n", 2, "outside 1s..1h" },
	{ "bad duration", "[ca a]\nvalidity = 4x\n", 2, "'4x' is not a duration" },
	{ "negative duration", "[ca a]\nrefresh = -1h\n", 2, "is not a duration" },
	{ "an unknown source kind", "[ca a]\nissuer = x\nsource = ldap://x\n", 3,
	  "source: 'ldap://x' is not index:FILE, crl:FILE|URL or sql:CONNECTION" },
	{ "a source without a place", "[ca a]\nsource = crl:\n", 2,
	  "source: 'crl:' names no file or URL" },
	{ "an empty shorthand", "[ca a]\nsql =\n", 2, "sql: 'sql:' names no database" },
	{ "unlisted answered unknown", "[ca a]\nunlisted = unknown\n", 2,
	  "'unknown' is not one of policy, good" },
	{ "shard past N", "[publisher]\nshard = 4/3\n", 2,
	  "shard '4/3' is not K/N with 1 <= K <= N <= 1024" },
	{ "shard over 1024", "tree = /t\n[publisher]\nshard = 1/1025\n", 3, "is not K/N" },
	{ "shard 0", "[publisher]\nshard = 0/2\n", 2, "is not K/N" },
	{ "shard without N", "[publisher]\nshard = 2\n", 2, "is not K/N" },
	{ "crl_grace over a week", "[ca a]\ncrl_grace = 8d\n", 2, "outside 0s..7d" },
	{ "syntax error", "[ca a]\nissuer = x\nthis line is wrong\n", 3, "syntax error" },
	{ "unterminated section", "tree = /t\n[ca a\nissuer = x\n", 2, "syntax error" },
	{ "bad CA name", "[ca bad/name]\nissuer = x\n", 2, "CA name 'bad/name'" },
	{ "empty CA name", "[ca ]\nissuer = x\n", 2, "CA name ''" },
	{ "CA name too long",
	  "[ca 0123456789012345678901234567890123456789012345678901234567890123]\n"
	  "issuer = x\n", 2, "section name longer than 48 characters" },
	{ "CA name of 46 characters",
	  "[ca 0123456789012345678901234567890123456789012345]\nissuer = x\n", 2,
	  "section name longer than 48 characters" },
	/* long lines do not shift the count */
	{ "after a 400-byte comment", NULL, 4, "unknown key 'bogus'" },
	{ "after a 400-byte value", NULL, 4, "syntax error" },
};

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		struct config c;
		struct err e = { "" };
		char text[1024], want[600], name[32];
		const char *path;

		check_case("%s", errors[i].what);
		if (errors[i].text != NULL)
			snprintf(text, sizeof(text), "%s", errors[i].text);
		else if (strstr(errors[i].what, "comment"))
			snprintf(text, sizeof(text), "tree = /t\n; %s\n[lookupd]\nbogus = 1\n",
			    long_line);
		else
			snprintf(text, sizeof(text), "tree = /%s\n[lookupd]\nthreads = 4\n"
			    "oops\n", long_line);
		snprintf(name, sizeof(name), "err%zu.conf", i);
		path = check_tmp_file(name, text, strlen(text));
		CHECK_EQ(config_init(&c, &e), 0);
		CHECK_EQ(config_load(&c, path, &e), -1);
		snprintf(want, sizeof(want), "%s:%d: ", path, errors[i].line);
		CHECK(strncmp(e.msg, want, strlen(want)) == 0);
		CHECK_CONTAINS(e.msg, errors[i].err);
		if (strncmp(e.msg, want, strlen(want)) != 0)
			fprintf(stderr, "  expected it to start with \"%s\"\n", want);
		config_fini(&c);
	}
	check_case_clear();
}

/* A line longer than the reader's buffer still gets its own line number
 * (its tail must not be counted, or read, as a line of its own). */
static void test_very_long_line(void)
{
	size_t n = 9000;
	char *text = malloc(n + 64), want[600];
	struct config c;
	struct err e = { "" };
	const char *path;

	CHECK(text != NULL);
	if (text == NULL)
		return;
	memcpy(text, "tree = /t\n; ", 12);
	memset(text + 12, 'x', n);
	snprintf(text + 12 + n, 52, "\n[lookupd]\nthreads = 2\n");
	path = check_tmp_file("verylong.conf", text, strlen(text));
	CHECK_EQ(config_init(&c, &e), 0);
	CHECK_EQ(config_load(&c, path, &e), -1);
	snprintf(want, sizeof(want), "%s:2: ", path);
	CHECK(strncmp(e.msg, want, strlen(want)) == 0);
	if (strncmp(e.msg, want, strlen(want)) != 0)
		fprintf(stderr, "  got \"%.80s\", expected \"%s...\"\n", e.msg, want);
	config_fini(&c);
	free(text);
}

/* inih keeps at most 49 characters of a section name: two long CA names
 * must not become one CA, silently merged. */
static void test_long_section(void)
{
	char text[512];
	struct config c;
	struct err e = { "" };
	const char *path;
	int r;

	snprintf(text, sizeof(text), "[ca %.47sB]\nissuer = b.pem\n[ca %.47sC]\nissuer = c.pem\n",
	    long_line, long_line);
	path = check_tmp_file("longsection.conf", text, strlen(text));
	CHECK_EQ(config_init(&c, &e), 0);
	r = config_load(&c, path, &e);
	CHECK(r == -1 || c.ncas == 2);
	if (r == 0 && c.ncas == 2) {
		CHECK_STR(c.cas[0].issuer, "b.pem");
		CHECK_STR(c.cas[1].issuer, "c.pem");
	}
	if (r == -1)
		CHECK_CONTAINS(e.msg, ":2: section name longer");
	config_fini(&c);
}

/* An indented line is a key of its own, never a continuation of the value
 * above it (which would silently set issuer to "signer = b.pem"). */
static void test_indented(void)
{
	static const char text[] =
		"[ca demo]\n"
		"  issuer = a.pem\n"
		"\tsigner = b.pem\n"
		"    key = c.key\n";
	const char *path = check_tmp_file("indent.conf", text, strlen(text));
	struct config c;
	struct err e = { "" };

	CHECK_EQ(config_init(&c, &e), 0);
	CHECK_EQ(config_load(&c, path, &e), 0);
	CHECK_EQ(c.ncas, 1);
	if (c.ncas == 1) {
		CHECK_STR(c.cas[0].issuer, "a.pem");
		CHECK_EQ(c.cas[0].nown, 1);
		if (c.cas[0].nown == 1) {
			CHECK_STR(c.cas[0].own[0].certificate, "b.pem");
			CHECK_STR(c.cas[0].own[0].key, "c.key");
		}
	}
	config_fini(&c);
}

static void test_set(void)
{
	struct config c;
	struct err e = { "" };
	const char *path = check_tmp_file("set.conf", sample, strlen(sample));

	CHECK_EQ(config_init(&c, &e), 0);
	CHECK_EQ(config_load(&c, path, &e), 0);

	/* flags override the file, through the same table */
	CHECK_EQ(config_set(&c, "", "tree", "/srv/tree", &e), 0);
	CHECK_STR(c.tree, "/srv/tree");
	CHECK_EQ(config_set(&c, "lookupd", "threads", "8", &e), 0);
	CHECK_EQ(c.http_threads, 8);
	CHECK_EQ(config_set(&c, "ca demo", "validity", "12h", &e), 0);
	CHECK_EQ(c.cas[0].validity, 12 * 3600);
	CHECK_EQ(config_set(&c, "ca demo", "validity", "3", &e), 0);
	CHECK_EQ(c.cas[0].validity, 3 * DAY);

	/* a new CA from the command line */
	CHECK_EQ(config_set(&c, "ca cli", "issuer", "cli.pem", &e), 0);
	CHECK_EQ(c.ncas, 3);
	if (c.ncas == 3) {
		CHECK_STR(c.cas[2].name, "cli");
		CHECK_EQ(c.cas[2].line, 0);
		CHECK_EQ(c.cas[2].validity, 4 * DAY);
	}

	/* the same checks as in a file, without a line */
	CHECK_EQ(config_set(&c, "lookupd", "threads", "many", &e), -1);
	CHECK_STR(e.msg, "threads: 'many' is not a whole number");
	CHECK_EQ(c.http_threads, 8);	/* unchanged */
	CHECK_EQ(config_set(&c, "ca demo", "validity", "30d", &e), -1);
	CHECK_CONTAINS(e.msg, "outside");
	CHECK_EQ(config_set(&c, "lookupd", "nope", "1", &e), -1);
	CHECK_CONTAINS(e.msg, "unknown key 'nope'");
	CHECK_EQ(config_set(&c, "nope", "threads", "1", &e), -1);
	CHECK_CONTAINS(e.msg, "unknown section [nope]");
	CHECK_EQ(config_set(&c, "ca a;b", "issuer", "x", &e), -1);
	CHECK_CONTAINS(e.msg, "CA name");
	config_fini(&c);
}

static void test_finish(void)
{
	static const struct {
		const char *what;
		enum config_user who;
		const char *text;
		const char *err;	/* NULL: accepted */
		int64_t refresh;	/* after finish, when accepted */
	} cases[] = {
		{ "publisher, complete", CONFIG_PUBLISHER,
		  "[ca a]\nissuer = i\nsigner = s\nkey = k\nindex = x\n", NULL, 2 * DAY },
		{ "publisher without key", CONFIG_PUBLISHER,
		  "\n[ca a]\nissuer = i\nsigner = s\nindex = x\n",
		  ":3: [ca a] has no 'key' for its signer s", 0 },
		{ "publisher without index", CONFIG_PUBLISHER,
		  "[ca a]\nissuer = i\nsigner = s\nkey = k\n",
		  "[ca a] has no 'source' (or 'index', 'crl', 'sql')", 0 },
		{ "a source string", CONFIG_PUBLISHER,
		  "[ca a]\nissuer = i\nsigner = s\nkey = k\nsource = index:x\n", NULL, 2 * DAY },
		{ "a crl shorthand with its list", CONFIG_PUBLISHER,
		  "[ca a]\nissuer = i\nsigner = s\nkey = k\ncrl = http://h/c.crl\n"
		  "issued = dir:/certs\ncrl_grace = 2h\n", NULL, 2 * DAY },
		{ "issued with an index", CONFIG_PUBLISHER,
		  "[ca a]\nissuer = i\nsigner = s\nkey = k\nindex = x\nissued = file:s\n",
		  "'issued', 'crl_signer' and 'crl_delta' go with a crl: source", 0 },
		{ "issued and unlisted = good", CONFIG_PUBLISHER,
		  "[ca a]\nissuer = i\nsigner = s\nkey = k\ncrl = c\nissued = file:s\n"
		  "unlisted = good\n", "has both 'issued' and 'unlisted = good'", 0 },
		{ "sql without preset or query", CONFIG_PUBLISHER,
		  "[ca a]\nissuer = i\nsigner = s\nkey = k\nsql = sqlite:/x.db\n",
		  "needs either 'sql_preset' (openxpki or ejbca) or 'sql_query'", 0 },
		{ "sql with both preset and query", CONFIG_PUBLISHER,
		  "[ca a]\nissuer = i\nsigner = s\nkey = k\nsql = sqlite:/x.db\n"
		  "sql_preset = ejbca\nsql_query = select 1\n",
		  "needs either 'sql_preset' (openxpki or ejbca) or 'sql_query'", 0 },
		{ "an unknown preset", CONFIG_PUBLISHER,
		  "[ca a]\nissuer = i\nsigner = s\nkey = k\nsql = sqlite:/x.db\n"
		  "sql_preset = dogtag\n", "sql_preset: 'dogtag' is not one of openxpki, ejbca", 0 },
		{ "an sql preset", CONFIG_PUBLISHER,
		  "[ca a]\nissuer = i\nsigner = s\nkey = k\n"
		  "source = sql:postgresql://ca@127.0.0.1:5432/openxpki\nsql_preset = openxpki\n"
		  "sql_password_file = /etc/ocsp/db.pw\n", NULL, 2 * DAY },
		{ "sql keys with a crl", CONFIG_PUBLISHER,
		  "[ca a]\nissuer = i\nsigner = s\nkey = k\ncrl = c\nsql_preset = ejbca\n",
		  "the sql_ keys go with an sql: source", 0 },
		{ "publisher without signer", CONFIG_PUBLISHER,
		  "[ca a]\nissuer = i\nkey = k\nindex = x\n", "[ca a] has no 'signer' for its key k",
		  0 },
		{ "publisher with neither signer nor key", CONFIG_PUBLISHER,
		  "[ca a]\nissuer = i\nindex = x\n", "[ca a] has no 'signer' (give", 0 },
		{ "publisher, a named signer", CONFIG_PUBLISHER,
		  "[signer s1]\ncertificate = s\nkey = k\n[ca a]\nissuer = i\nsigners = s1\n"
		  "index = x\n", NULL, 2 * DAY },
		{ "an unknown signer name", CONFIG_PUBLISHER,
		  "[signer s1]\ncertificate = s\nkey = k\n\n[ca a]\nissuer = i\n"
		  "signers = s1, s2\nindex = x\n", ":6: [ca a] signers: there is no [signer s2]", 0 },
		{ "a signer without key", CONFIG_LOOKUPD,
		  "[ca a]\nissuer = i\n[signer s1]\ncertificate = s\n",
		  ":4: [signer s1] needs both 'certificate' and 'key'", 0 },
		{ "publisher without issuer", CONFIG_PUBLISHER,
		  "[ca a]\nsigner = s\nkey = k\nindex = x\n", "[ca a] has no 'issuer'", 0 },
		{ "lookupd, issuer only", CONFIG_LOOKUPD, "[ca a]\nissuer = i\n", NULL, 2 * DAY },
		{ "lookupd without issuer", CONFIG_LOOKUPD, "[ca a]\nvalidity = 2\n",
		  "[ca a] has no 'issuer'", 0 },
		{ "second CA incomplete", CONFIG_LOOKUPD,
		  "[ca a]\nissuer = i\n[ca b]\nkey = k\n", ":4: [ca b] has no 'issuer'", 0 },
		{ "refresh default of 12h", CONFIG_LOOKUPD,
		  "[ca a]\nissuer = i\nvalidity = 12h\nbackdate = 0\n", NULL, 6 * 3600 },
		{ "refresh just below validity", CONFIG_LOOKUPD,
		  "[ca a]\nissuer = i\nvalidity = 2\nrefresh = 47h\n", NULL, 47 * 3600 },
		{ "refresh equal to validity", CONFIG_LOOKUPD,
		  "[ca a]\nissuer = i\nvalidity = 2\nrefresh = 2d\n",
		  "refresh must be shorter than validity", 0 },
		{ "refresh above validity", CONFIG_LOOKUPD,
		  "[ca a]\nissuer = i\nvalidity = 2\nrefresh = 3\n",
		  "refresh must be shorter than validity", 0 },
		{ "backdate over half the validity", CONFIG_LOOKUPD,
		  "[ca a]\nissuer = i\nvalidity = 1h\nbackdate = 31m\n",
		  "backdate must be at most half", 0 },
		{ "backdate of half the validity", CONFIG_LOOKUPD,
		  "[ca a]\nissuer = i\nvalidity = 2h\nbackdate = 1h\n", NULL, 3600 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		struct err e = { "" };
		char name[32];
		const char *path;

		check_case("%s", cases[i].what);
		snprintf(name, sizeof(name), "finish%zu.conf", i);
		path = check_tmp_file(name, cases[i].text, strlen(cases[i].text));
		CHECK_EQ(config_init(&c, &e), 0);
		CHECK_EQ(config_load(&c, path, &e), 0);
		if (cases[i].err == NULL) {
			CHECK_EQ(config_finish(&c, cases[i].who, &e), 0);
			CHECK_STR(e.msg, "");
			CHECK_EQ(c.cas[0].refresh, cases[i].refresh);
		} else {
			CHECK_EQ(config_finish(&c, cases[i].who, &e), -1);
			CHECK_CONTAINS(e.msg, path);
			CHECK_CONTAINS(e.msg, cases[i].err);
		}
		config_fini(&c);
	}
	check_case_clear();

	/* from the command line alone, messages say so */
	struct config c;
	struct err e = { "" };
	CHECK_EQ(config_init(&c, &e), 0);
	CHECK_EQ(config_set(&c, "ca x", "issuer", "i.pem", &e), 0);
	CHECK_EQ(config_set(&c, "ca x", "index", "x.txt", &e), 0);
	CHECK_EQ(config_finish(&c, CONFIG_PUBLISHER, &e), -1);
	CHECK_CONTAINS(e.msg, "command line");
	CHECK_CONTAINS(e.msg, "[ca x] has no 'signer'");
	config_fini(&c);
}

/* [signer NAME] sections shared by CAs, a CA's own signer/key pairs with
 * the section's signer settings, and what config_finish resolves. */
static void test_signer_sections(void)
{
	static const char text[] =
		"pkcs11_module = /usr/lib/softhsm/libsofthsm2.so\n"		/* 1 */
		"[signer hsm-2026]\n"
		"certificate = ocsp-2026.pem\n"
		"key = pkcs11:token=ocsp;object=ocsp-2026;type=private\n"
		"pin_file = /etc/ocsp/pin\n"					/* 5 */
		"rsa_padding = pss\n"
		"responder_id = name\n"
		"max_sign_rate = 200\n"
		"[signer file]\n"
		"certificate = f.pem\n"					/* 10 */
		"key = f.key\n"
		"key_passphrase_file = /etc/ocsp/pass\n"
		"allow_readable_key = yes\n"
		"[ca a]\n"
		"issuer = a.pem\n"						/* 15 */
		"index = a.txt\n"
		"signers = hsm-2026, file, hsm-2026\n"
		"signer_expiry_warning = 30d\n"
		"[ca b]\n"
		"issuer = b.pem\n"						/* 20 */
		"index = b.txt\n"
		"rsa_padding = pss\n"
		"signer = old.pem\n"
		"key = old.key\n"
		"signer = new.pem\n"						/* 25 */
		"key = new.key\n"
		"signers = file\n";
	const char *path = check_tmp_file("signers.conf", text, strlen(text));
	struct config c;
	struct err e = { "" };

	CHECK_EQ(config_init(&c, &e), 0);
	CHECK_EQ(config_load(&c, path, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_EQ(config_finish(&c, CONFIG_PUBLISHER, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_STR(c.pkcs11_module, "/usr/lib/softhsm/libsofthsm2.so");
	CHECK_EQ(c.nsigners, 2);
	CHECK_EQ(c.ncas, 2);
	if (c.nsigners != 2 || c.ncas != 2)
		goto out;
	const struct signer_conf *h = &c.signers[0], *f = &c.signers[1];
	CHECK_STR(h->name, "hsm-2026");
	CHECK_EQ(h->line, 3);
	CHECK_STR(h->key, "pkcs11:token=ocsp;object=ocsp-2026;type=private");
	CHECK_STR(h->pin_file, "/etc/ocsp/pin");
	CHECK(h->pkcs11_module == NULL);	/* the top-level one applies */
	CHECK_EQ(h->rsa_padding, RSA_PADDING_PSS);
	CHECK_EQ(h->responder_id, RESPONDER_ID_NAME);
	CHECK_EQ(h->max_sign_rate, 200);
	CHECK_STR(f->key_passphrase_file, "/etc/ocsp/pass");
	CHECK_EQ(f->allow_readable_key, 1);
	CHECK_EQ(f->rsa_padding, RSA_PADDING_PKCS1);
	CHECK_EQ(f->responder_id, RESPONDER_ID_KEY);
	CHECK_EQ(f->max_sign_rate, 0);

	/* a names both, once each, in its order */
	const struct ca_conf *a = &c.cas[0], *b = &c.cas[1];
	CHECK_EQ(a->nown, 0);
	CHECK_EQ(a->nuse, 2);
	if (a->nuse == 2) {
		CHECK(a->use[0] == h);
		CHECK(a->use[1] == f);
	}
	CHECK_EQ(a->signer_expiry_warning, 30 * DAY);

	/* b pairs its own two, with its signer settings, then the shared one */
	CHECK_EQ(b->signer_expiry_warning, 14 * DAY);
	CHECK_EQ(b->nown, 2);
	CHECK_EQ(b->nuse, 3);
	if (b->nown == 2 && b->nuse == 3) {
		CHECK_STR(b->own[0].certificate, "old.pem");
		CHECK_STR(b->own[0].key, "old.key");
		CHECK_STR(b->own[1].certificate, "new.pem");
		CHECK_STR(b->own[1].key, "new.key");
		CHECK_EQ(b->own[0].rsa_padding, RSA_PADDING_PSS);
		CHECK_EQ(b->own[1].rsa_padding, RSA_PADDING_PSS);
		CHECK_STR(b->own[0].name, "");
		CHECK(b->use[0] == &b->own[0] && b->use[1] == &b->own[1] && b->use[2] == f);
	}
out:
	config_fini(&c);

	/* the same pairs from repeated flags */
	CHECK_EQ(config_init(&c, &e), 0);
	CHECK_EQ(config_set(&c, "ca x", "issuer", "i.pem", &e), 0);
	CHECK_EQ(config_set(&c, "ca x", "index", "x.txt", &e), 0);
	CHECK_EQ(config_set(&c, "ca x", "signer", "s1.pem", &e), 0);
	CHECK_EQ(config_set(&c, "ca x", "key", "s1.key", &e), 0);
	CHECK_EQ(config_set(&c, "ca x", "key", "s2.key", &e), 0);
	CHECK_EQ(config_set(&c, "ca x", "signer", "s2.pem", &e), 0);
	CHECK_EQ(config_finish(&c, CONFIG_PUBLISHER, &e), 0);
	CHECK_EQ(c.ncas, 1);
	if (c.ncas == 1 && c.cas[0].nown == 2) {
		CHECK_STR(c.cas[0].own[1].certificate, "s2.pem");
		CHECK_STR(c.cas[0].own[1].key, "s2.key");
	} else {
		CHECK(0);
	}
	config_fini(&c);

	/* bad values name the file and line */
	static const struct { const char *text, *err; } bad[] = {
		{ "[signer s]\nrsa_padding = oaep\n", ":2:" },
		{ "[signer s]\nresponder_id = hash\n", ":2:" },
		{ "[signer s]\nmax_sign_rate = -1\n", ":2:" },
		{ "\n[signer a/b]\ncertificate = x\n", "signer name 'a/b'" },
		{ "[signer s]\nissuer = x\n", "unknown key 'issuer' in [signer s]" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[32];
		check_case("bad signer %zu", i);
		snprintf(name, sizeof(name), "badsigner%zu.conf", i);
		path = check_tmp_file(name, bad[i].text, strlen(bad[i].text));
		CHECK_EQ(config_init(&c, &e), 0);
		CHECK_EQ(config_load(&c, path, &e), -1);
		CHECK_CONTAINS(e.msg, path);
		CHECK_CONTAINS(e.msg, bad[i].err);
		config_fini(&c);
	}
	check_case_clear();
}

/* contrib/ocsp.conf.example, as shipped: every key in it exists and the
 * signers it names resolve. */
static void test_example(void)
{
	struct config c;
	struct err e = { "" };

	CHECK_EQ(config_init(&c, &e), 0);
	CHECK_EQ(config_load(&c, OCSP_EXAMPLE_CONF, &e), 0);
	CHECK_EQ(config_finish(&c, CONFIG_PUBLISHER, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_EQ(c.ncas, 4);
	CHECK_EQ(c.nsigners, 1);
	if (c.ncas == 4) {
		CHECK_EQ(c.cas[0].nuse, 1);
		CHECK_EQ(c.cas[1].nuse, 2);
		CHECK_STR(c.cas[1].index, "/srv/ca/issuing-ecc/index.txt");
		CHECK_STR(c.cas[2].source, "crl:http://crl.example.com/legacy-rsa.crl");
		CHECK_STR(c.cas[2].issued, "dir:/srv/ca/legacy-rsa/certs");
		CHECK_STR(c.cas[3].source, "sql:postgresql://ocsp@db.example.com:5432/openxpki");
		CHECK_STR(c.cas[3].sql_preset, "openxpki");
	}
	config_fini(&c);
}

static void test_load_missing(void)
{
	struct config c;
	struct err e = { "" };
	const char *path = check_tmp_path("absent.conf");

	CHECK_EQ(config_init(&c, &e), 0);
	CHECK_EQ(config_load(&c, path, &e), -1);
	CHECK_CONTAINS(e.msg, path);
	CHECK_CONTAINS(e.msg, "No such file");
	config_fini(&c);
}

static void collect(const char *text, void *arg)
{
	char *all = arg;
	size_t n = strlen(all);

	snprintf(all + n, 16384 - n, "%s\n", text);
}

static void test_describe(void)
{
	static const char *const keys[] = { "tree", "threads", "listen", "path_prefix",
		"max_request_bytes", "cache_entries", "max_age", "reload_interval", "issuer",
		"signer", "key", "index", "validity", "refresh", "backdate", "[publisher]",
		"[lookupd]", "[ca NAME]", "(default 4d)", "(default 1h)", "shard" };
	char *all = calloc(1, 16384);

	CHECK(all != NULL);
	if (all == NULL)
		return;
	config_describe(collect, all);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK_CONTAINS(all, keys[i]);
	free(all);
}

int main(void)
{
	memset(long_line, 'x', sizeof(long_line) - 1);
	test_sample();
	test_defaults();
	test_errors();
	test_very_long_line();
	test_indented();
	test_long_section();
	test_set();
	test_finish();
	test_signer_sections();
	test_example();
	test_load_missing();
	test_describe();
	return check_done();
}
