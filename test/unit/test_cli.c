/* The command-line layer: argv cases parsed by a table and applied over a
 * configuration file (flags in order, a flag over the file), getopt's
 * errors in e, a bad value naming the command line, and --help from the
 * table. */
#include "ocsp/cli.h"

#include "check.h"

#define DAY 86400
/* [lookupd] threads when nothing sets it. */
#define DEFAULT_THREADS 2048

enum { T_CHECK = 1, T_LEVEL, T_HELP, T_LONG };

static const struct cli_flag table[] = {
	CLI_CONFIG_FILE("config", 'c', "FILE", "configuration file"),
	CLI_KEY("tree", 't', "DIR", "", "tree", "the response tree"),
	CLI_KEY("threads", 'T', "N", "lookupd", "threads",
	    "HTTP worker threads\nand a second line"),
	CLI_CA("issuer", "FILE", "issuer", "PEM certificate of the issuing CA"),
	CLI_CA("index", "FILE", "index", "openssl ca index file"),
	CLI_CA("validity", "DAYS", "validity", "nextUpdate - thisUpdate"),
	CLI_FLAG("check", 'n', NULL, T_CHECK, "check and exit"),
	CLI_FLAG("log-level", 'L', "LEVEL", T_LEVEL, "quiet or loud"),
	CLI_FLAG("help", 'h', NULL, T_HELP, "this text"),
	CLI_FLAG("a-rather-long-flag-name", 0, "ARGUMENT", T_LONG, "help below it"),
	CLI_END
};

/* The program flags a case saw, as "n L=debug ". */
struct trace {
	char text[256];
};

static int on_flag(void *arg, int id, const char *value, struct err *e)
{
	struct trace *t = arg;
	size_t n = strlen(t->text);
	static const char names[] = " nLhx";

	snprintf(t->text + n, sizeof(t->text) - n, "%c%s%s ", names[id], value ? "=" : "",
	    value ? value : "");
	if (id == T_HELP)
		return CLI_STOP;
	if (id == T_LEVEL && strcmp(value, "quiet") != 0 && strcmp(value, "loud") != 0)
		return err_set(e, "--log-level: '%s' is not quiet or loud", value);
	return 0;
}

static const char conf_text[] =
	"tree = /from/file\n"
	"[lookupd]\n"
	"threads = 4\n"
	"[ca default]\n"
	"issuer = file.pem\n"
	"validity = 2\n";

#define CONF "@"	/* in argv: the path of conf_text written to a file */
#define ABSENT NULL	/* expected tree: not set */

static const struct {
	const char *what;
	const char *argv[10];	/* after the program name */
	int parsed;		/* cli_parse */
	const char *err;	/* part of the message of parse, or else of apply */
	int applied;		/* cli_apply, when parsed is 0 */
	const char *trace;
	int given_ca;		/* cli_given(CLI_CA_DEFAULT) */
	const char *tree;	/* after apply */
	int64_t threads;
	int64_t validity;	/* of [ca default]; 0: no CA */
} cases[] = {
	{ "nothing", { NULL }, 0, NULL, 0, "", 0, ABSENT, DEFAULT_THREADS, 0 },
	{ "the file alone", { "-c", CONF }, 0, NULL, 0, "", 0, "/from/file", 4, 2 * DAY },
	{ "flags over the file", { "-c", CONF, "-T", "8", "--tree", "/from/flag" }, 0, NULL,
	  0, "", 0, "/from/flag", 8, 2 * DAY },
	{ "a flag before --config still wins", { "-T", "8", "--config", CONF }, 0, NULL, 0,
	  "", 0, "/from/file", 8, 2 * DAY },
	{ "the last of two wins", { "-T", "2", "--threads=3" }, 0, NULL, 0, "", 0, ABSENT,
	  3, 0 },
	{ "CA flags make [ca default]", { "--issuer", "i.pem", "--validity", "12h" }, 0,
	  NULL, 0, "", 1, ABSENT, DEFAULT_THREADS, 12 * 3600 },
	{ "a CA flag over the file's CA", { "-c", CONF, "--validity", "3" }, 0, NULL, 0, "",
	  1, "/from/file", 4, 3 * DAY },
	{ "program flags in order", { "-n", "-L", "loud", "--check", "--log-level=quiet" },
	  0, NULL, 0, "n L=loud n L=quiet ", 0, ABSENT, DEFAULT_THREADS, 0 },
	{ "short flags clustered", { "-nT5", "-tx" }, 0, NULL, 0, "n ", 0, "x", 5, 0 },
	{ "a long name abbreviated", { "--thr", "6", "--a-rather", "v" }, 0, NULL, 0,
	  "x=v ", 0, ABSENT, 6, 0 },
	{ "flags after an operand-like value", { "--tree", "-n" }, 0, NULL, 0, "", 0, "-n",
	  DEFAULT_THREADS, 0 },

	{ "unknown long flag", { "-n", "--bogus", "-n" }, CLI_EUSAGE,
	  "unrecognized option '--bogus'", 0, "n ", 0, NULL, 0, 0 },
	{ "unknown long flag with a value", { "--bogus=1" }, CLI_EUSAGE,
	  "unrecognized option '--bogus=1'", 0, "", 0, NULL, 0, 0 },
	{ "unknown short flag", { "-z" }, CLI_EUSAGE, "invalid option -- 'z'", 0, "", 0,
	  NULL, 0, 0 },
	{ "unknown short flag in a cluster", { "-nz" }, CLI_EUSAGE, "invalid option -- 'z'",
	  0, "n ", 0, NULL, 0, 0 },
	{ "missing argument, long", { "--tree" }, CLI_EUSAGE,
	  "option '--tree' requires an argument", 0, "", 0, NULL, 0, 0 },
	{ "missing argument, short", { "-T" }, CLI_EUSAGE,
	  "option requires an argument -- 'T'", 0, "", 0, NULL, 0, 0 },
	{ "missing argument of a program flag", { "--log-level" }, CLI_EUSAGE,
	  "option '--log-level' requires an argument", 0, "", 0, NULL, 0, 0 },
	{ "missing file name", { "-c" }, CLI_EUSAGE, "option requires an argument -- 'c'", 0,
	  "", 0, NULL, 0, 0 },
	{ "argument not allowed", { "--check=yes" }, CLI_EUSAGE,
	  "option '--check' doesn't allow an argument", 0, "", 0, NULL, 0, 0 },
	{ "ambiguous abbreviation", { "--i", "x" }, CLI_EUSAGE,
	  "option '--i' is ambiguous; possibilities: '--issuer' '--index'", 0, "", 0, NULL,
	  0, 0 },
	{ "an operand", { "-n", "extra" }, CLI_ERR, "unexpected argument 'extra'", 0, "n ",
	  0, NULL, 0, 0 },
	{ "after --", { "--", "-n" }, CLI_ERR, "unexpected argument '-n'", 0, "", 0, NULL,
	  0, 0 },
	{ "a program flag's bad value", { "-L", "medium", "-n" }, CLI_ERR,
	  "--log-level: 'medium' is not quiet or loud", 0, "L=medium ", 0, NULL, 0, 0 },
	{ "a stop ends parsing", { "-n", "-h", "--bogus" }, CLI_STOP, NULL, 0, "n h ", 0,
	  NULL, 0, 0 },

	{ "a bad value names the command line", { "-T", "many" }, 0,
	  "command line: threads: 'many' is not a whole number", -1, "", 0, NULL, 0, 0 },
	{ "a bad value over a good file", { "-c", CONF, "--validity", "11" }, 0,
	  "command line: validity: '11' is outside 1h..10d", -1, "", 1, NULL, 0, 0 },
	{ "an unreadable file", { "-c", "/nonexistent/ocsp.conf", "-T", "many" }, 0,
	  "/nonexistent/ocsp.conf: No such file", -1, "", 0, NULL, 0, 0 },
	{ "a CA from flags is checked as a whole", { "--validity", "2" }, 0,
	  "command line:0: [ca default] has no 'issuer'", -1, "", 1, NULL, 0, 0 },
};

static void build_argv(char **argv, int *argc, const char *const *args, const char *conf)
{
	*argc = 0;
	argv[(*argc)++] = (char *)"test_cli";
	for (int i = 0; args[i] != NULL; i++)
		argv[(*argc)++] = (char *)(strcmp(args[i], CONF) == 0 ? conf : args[i]);
	argv[*argc] = NULL;
}

static void check_applied(size_t i, const struct cli *cli, const char *conf)
{
	struct config c;
	struct err e = { "" };
	int r = cli_apply(cli, &c, CONFIG_LOOKUPD, &e);

	CHECK_EQ(r, cases[i].applied);
	if (cases[i].applied != 0) {
		CHECK_CONTAINS(e.msg, cases[i].err);
		config_fini(&c);
		return;
	}
	CHECK_STR(c.path ? c.path : "none", cli->config ? conf : "none");
	if (cases[i].tree == ABSENT)
		CHECK(c.tree == NULL);
	else
		CHECK_STR(c.tree, cases[i].tree);
	CHECK_EQ(c.http_threads, cases[i].threads);
	CHECK_EQ(c.ncas, cases[i].validity != 0);
	if (c.ncas == 1) {
		CHECK_STR(c.cas[0].name, "default");
		CHECK_EQ(c.cas[0].validity, cases[i].validity);
	}
	config_fini(&c);
}

static void test_cases(void)
{
	const char *conf = check_tmp_file("cli.conf", conf_text, strlen(conf_text));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[16];
		int argc;
		struct cli cli;
		struct trace t = { "" };
		struct err e = { "" };
		int r;

		check_case("%s", cases[i].what);
		build_argv(argv, &argc, cases[i].argv, conf);
		r = cli_parse(&cli, table, argc, argv, on_flag, &t, &e);
		CHECK_EQ(r, cases[i].parsed);
		CHECK_STR(t.text, cases[i].trace);
		if (r != 0 && cases[i].err != NULL)
			CHECK_CONTAINS(e.msg, cases[i].err);
		if (r == 0) {
			CHECK_EQ(cli_given(&cli, CLI_CA_DEFAULT), cases[i].given_ca);
			check_applied(i, &cli, conf);
		}
		cli_fini(&cli);
		CHECK(cli.set == NULL && cli.nset == 0);
	}
	check_case_clear();
}

/* A row that sets a key must take the value from somewhere. */
static void test_bad_table(void)
{
	static const struct cli_flag bad[] = {
		{ "sig-required", 0, NULL, "ca default", "sig_required", 0, "no argument", NULL },
		CLI_END
	};
	char *argv[] = { (char *)"test_cli", NULL };
	struct cli cli;
	struct err e = { "" };

	CHECK_EQ(cli_parse(&cli, bad, 1, argv, NULL, NULL, &e), CLI_ERR);
	CHECK_CONTAINS(e.msg, "--sig-required sets a key from neither or both");
	cli_fini(&cli);
}

/* A switch sets its key to its fixed value, in command-line order with the
 * other key flags, and over the file. */
static void test_switch(void)
{
	static const struct cli_flag table2[] = {
		CLI_KEY_SET("get-keys", 0, "publisher", "get_keys", "yes", "GET keys"),
		CLI_KEY("get-keys-to", 0, "YES|NO", "publisher", "get_keys", "the same"),
		CLI_END
	};
	static const struct {
		const char *argv[4];
		int64_t want;
	} sw[] = {
		{ { NULL }, 0 },
		{ { "--get-keys", NULL }, 1 },
		{ { "--get-keys", "--get-keys-to", "no", NULL }, 0 },
		{ { "--get-keys-to", "no", "--get-keys", NULL }, 1 },
	};

	for (size_t i = 0; i < sizeof(sw) / sizeof(sw[0]); i++) {
		char *argv[6] = { (char *)"test_cli" };
		int argc = 1;
		struct cli cli;
		struct config c;
		struct err e = { "" };

		for (size_t k = 0; sw[i].argv[k] != NULL; k++)
			argv[argc++] = (char *)sw[i].argv[k];
		check_case("switch case %zu", i);
		CHECK_EQ(cli_parse(&cli, table2, argc, argv, NULL, NULL, &e), 0);
		CHECK_EQ(cli_apply(&cli, &c, CONFIG_LOOKUPD, &e), 0);
		CHECK_EQ(c.pub_get_keys, sw[i].want);
		config_fini(&c);
		cli_fini(&cli);
	}
	check_case_clear();
}

static void collect(const char *text, void *arg)
{
	char *all = arg;
	size_t n = strlen(all);

	snprintf(all + n, 4096 - n, "%s\n", text);
}

static void test_describe(void)
{
	static const char want[] =
		"  -c, --config FILE     configuration file\n"
		"  -t, --tree DIR        the response tree\n"
		"  -T, --threads N       HTTP worker threads\n"
		"                        and a second line\n"
		"      --issuer FILE     PEM certificate of the issuing CA\n"
		"      --index FILE      openssl ca index file\n"
		"      --validity DAYS   nextUpdate - thisUpdate\n"
		"  -n, --check           check and exit\n"
		"  -L, --log-level LEVEL\n"		/* too wide for two spaces */
		"                        quiet or loud\n"
		"  -h, --help            this text\n"
		"      --a-rather-long-flag-name ARGUMENT\n"
		"                        help below it\n";
	char *all = calloc(1, 4096);

	CHECK(all != NULL);
	if (all == NULL)
		return;
	cli_describe(table, 24, collect, all);
	CHECK_STR(all, want);
	/* and, whatever the layout, every flag with its argument and help */
	for (size_t i = 0; table[i].name != NULL; i++) {
		char flag[64], help[64];
		check_case("--%s", table[i].name);
		snprintf(flag, sizeof(flag), "--%s%s%s", table[i].name, table[i].arg ? " " : "",
		    table[i].arg ? table[i].arg : "");
		snprintf(help, sizeof(help), "%.*s", (int)strcspn(table[i].help, "\n"),
		    table[i].help);
		CHECK_CONTAINS(all, flag);
		CHECK_CONTAINS(all, help);
	}
	check_case_clear();
	free(all);
}

static void test_version(void)
{
	const char *v = ocsp_version();

	CHECK(v != NULL && v[0] >= '0' && v[0] <= '9');
	CHECK(strchr(v, '.') != NULL);
}

int main(void)
{
	test_cases();
	test_bad_table();
	test_switch();
	test_describe();
	test_version();
	return check_done();
}
