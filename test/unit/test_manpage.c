/* Manual page parts from the tables (layout/src/manpage.c): roff escaping
 * by table, a flag table's .TP rows (hidden rows left out, the key a flag
 * sets), and the configuration keys, every one of config_keys_each on the
 * page with its default and choices. */
#include "ocsp/manpage.h"

#include "ocsp/config.h"

#include "check.h"

static const struct {
	const char *in, *out;
} escapes[] = {
	{ "plain", "plain" },
	{ "", "" },
	{ "--flag", "\\-\\-flag" },
	{ "a\\b", "a\\eb" },
	{ ".starts with a dot", "\\&.starts with a dot" },
	{ "'quote first", "\\&'quote first" },
	{ "mid.dot 'q'", "mid.dot 'q'" },
	{ "\\.", "\\e." },
};

static void test_escape(void)
{
	char buf[64];

	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		check_case("escape '%s'", escapes[i].in);
		CHECK_EQ(man_escape(buf, sizeof(buf), escapes[i].in, strlen(escapes[i].in)), 0);
		CHECK_STR(buf, escapes[i].out);
	}
	check_case("escape: too small");
	CHECK_EQ(man_escape(buf, 4, "--ab", 4), -1);
	CHECK_EQ(man_escape(buf, 5, "abcd", 4), 0);
	CHECK_EQ(man_escape(buf, 4, "abcd", 4), -1);
	check_case_clear();
}

/* Every output line joined with '\n', with a check that no line starts
 * with a control character unless it is one of the macros used. */
struct page {
	char text[1 << 17];
	size_t used;
	int bad_lines;
};

static void collect(const char *line, void *arg)
{
	struct page *p = arg;
	size_t n = strlen(line);

	if ((line[0] == '.' || line[0] == '\'') && strncmp(line, ".TP", 3) != 0 &&
	    strncmp(line, ".SS ", 4) != 0 && strcmp(line, ".br") != 0 &&
	    strncmp(line, ".BR ", 4) != 0)
		p->bad_lines++;
	if (p->used + n + 2 < sizeof(p->text)) {
		memcpy(p->text + p->used, line, n);
		p->used += n;
		p->text[p->used++] = '\n';
		p->text[p->used] = '\0';
	}
}

enum { T_CHECK = 1, T_SECRET };

static const struct cli_flag table[] = {
	CLI_CONFIG_FILE("config", 'c', "FILE", "configuration file"),
	CLI_KEY("listen", 'l', "LIST", "lookupd", "listen", "ADDR:PORT\n.a second line"),
	CLI_KEY_SET("get-keys", 0, "publisher", "get_keys", "yes", "GET keys too"),
	CLI_CA("index", "FILE", "index", "openssl ca index file"),
	CLI_FLAG("check", 'n', NULL, T_CHECK, "check and exit"),
	CLI_HIDDEN("secret-flag", "X", T_SECRET),
	CLI_END
};

static void test_flags(void)
{
	static struct page p;
	struct err e;

	memset(&p, 0, sizeof(p));
	CHECK_EQ(man_flags(table, collect, &p, &e), 0);
	CHECK_STR(p.text,
	    ".TP\n"
	    "\\fB\\-c\\fR, \\fB\\-\\-config\\fR \\fIFILE\\fR\n"
	    "configuration file\n"
	    ".TP\n"
	    "\\fB\\-l\\fR, \\fB\\-\\-listen\\fR \\fILIST\\fR\n"
	    "ADDR:PORT\n"
	    "\\&.a second line\n"
	    ".br\n"
	    "Sets \\fBlisten\\fR in \\fB[lookupd]\\fR; see\n"
	    ".BR ocsp.conf (5).\n"
	    ".TP\n"
	    "\\fB\\-\\-get\\-keys\\fR\n"
	    "GET keys too\n"
	    ".br\n"
	    "Sets \\fBget_keys\\fR in \\fB[publisher]\\fR to \\fByes\\fR; see\n"
	    ".BR ocsp.conf (5).\n"
	    ".TP\n"
	    "\\fB\\-\\-index\\fR \\fIFILE\\fR\n"
	    "openssl ca index file\n"
	    ".br\n"
	    "Sets \\fBindex\\fR in \\fB[ca default]\\fR; see\n"
	    ".BR ocsp.conf (5).\n"
	    ".TP\n"
	    "\\fB\\-n\\fR, \\fB\\-\\-check\\fR\n"
	    "check and exit\n");
	CHECK_EQ(p.bad_lines, 0);
	CHECK(strstr(p.text, "secret") == NULL);
}

struct expect {
	const struct page *p;
	int keys, missing;
};

/* Each key of the table must be on the page as a .TP tag, in its section,
 * with its default and each of its choices. */
static void expect_key(const struct config_key_doc *k, void *arg)
{
	struct expect *x = arg;
	char want[512], name[256];
	const char *at;

	x->keys++;
	CHECK_EQ(man_escape(name, sizeof(name), k->name, strlen(k->name)), 0);
	if (k->section[0] == '\0')
		snprintf(want, sizeof(want), ".SS \"Top level (before any section)\"\n");
	else
		snprintf(want, sizeof(want), ".SS \"[%s]\"\n", k->section);
	at = strstr(x->p->text, want);
	snprintf(want, sizeof(want), ".TP\n\\fB%s\\fR\n", name);
	if (at == NULL || (at = strstr(at, want)) == NULL) {
		check_case("key %s in [%s]", k->name, k->section);
		CHECK(!"on the page in its section");
		x->missing++;
		return;
	}
	if (k->def != NULL) {
		CHECK_EQ(man_escape(name, sizeof(name), k->def, strlen(k->def)), 0);
		snprintf(want, sizeof(want), "Default: \\fB%s\\fR.", name);
		check_case("default of %s", k->name);
		CHECK(strstr(at, want) != NULL);
	}
	for (size_t i = 0; k->choices != NULL && k->choices[i] != NULL; i++) {
		CHECK_EQ(man_escape(name, sizeof(name), k->choices[i], strlen(k->choices[i])), 0);
		snprintf(want, sizeof(want), "\\fB%s\\fR", name);
		check_case("choice %s of %s", k->choices[i], k->name);
		CHECK(strstr(at, want) != NULL);
	}
	check_case_clear();
}

static void test_config(void)
{
	static struct page p;
	struct expect x = { &p, 0, 0 };
	struct err e;

	memset(&p, 0, sizeof(p));
	CHECK_EQ(man_print("config", table, collect, &p, &e), 0);
	CHECK_EQ(p.bad_lines, 0);
	CHECK(p.used + 2 < sizeof(p.text));	/* nothing cut off */
	config_keys_each(expect_key, &x);
	CHECK(x.keys > 50);
	CHECK_EQ(x.missing, 0);
	/* A duration's bounds in its unit, an integer's as they are. */
	CHECK(strstr(p.text, "A duration (s, m, h or d; a bare number is days) from 1h to 10d.")
	    != NULL);
	CHECK(strstr(p.text, "An integer from 0 to 1024. Default: \\fB0\\fR.") != NULL);
	CHECK_EQ(man_print("bogus", table, collect, &p, &e), -1);
	CHECK(strstr(e.msg, "bogus") != NULL);
}

int main(void)
{
	test_escape();
	test_flags();
	test_config();
	return check_done();
}
