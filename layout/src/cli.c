#include "ocsp/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocsp_version.h"	/* generated from the project's VERSION */

/* getopt_long returns LONG_BASE + row for a long name and the letter for a
 * short one, so every answer (and every optopt) leads back to one row. */
#define LONG_BASE 256

/* What getopt_long is given, built from the table. */
struct getopt_spec {
	char *shorts;
	struct option *longs;
};

static size_t table_rows(const struct cli_flag *table)
{
	size_t n = 0;

	while (table[n].name != NULL)
		n++;
	return n;
}

static int spec_build(const struct cli_flag *table, struct getopt_spec *g,
    struct err *e)
{
	size_t n = table_rows(table), s = 0;

	g->shorts = malloc(2 * n + 2);
	g->longs = calloc(n + 1, sizeof(*g->longs));
	if (g->shorts == NULL || g->longs == NULL)
		return err_set(e, "out of memory");
	/* A leading ':' makes a missing argument ':' rather than '?', so it is
	 * told apart from an unknown flag. */
	g->shorts[s++] = ':';
	for (size_t i = 0; i < n; i++) {
		const struct cli_flag *f = &table[i];
		if (f->key != NULL && (f->arg == NULL) == (f->value == NULL))
			return err_set(e, "internal: --%s sets a key from neither or both of an "
			    "argument and a fixed value",
			    f->name);
		g->longs[i].name = f->name;
		g->longs[i].has_arg = f->arg ? required_argument : no_argument;
		g->longs[i].val = LONG_BASE + (int)i;
		if (f->letter != 0) {
			g->shorts[s++] = f->letter;
			if (f->arg != NULL)
				g->shorts[s++] = ':';
		}
	}
	g->shorts[s] = '\0';
	return 0;
}

static void spec_free(struct getopt_spec *g)
{
	free(g->shorts);
	free(g->longs);
}

static const struct cli_flag *row_of(const struct cli_flag *table, int opt)
{
	if (opt >= LONG_BASE)
		return &table[opt - LONG_BASE];
	for (size_t i = 0; table[i].name != NULL; i++)
		if (table[i].letter != 0 && table[i].letter == opt)
			return &table[i];
	return NULL;
}

/* getopt_long says only that a long name matched no row or several; the
 * message names the candidates, as getopt itself would. */
static int unknown_long(const struct cli_flag *table, const char *given, struct err *e)
{
	const char *name = given + 2;
	size_t len = strcspn(name, "="), used = 0;
	char list[256] = "";
	int matches = 0;

	if (strncmp(given, "--", 2) != 0)
		return err_set(e, "unrecognized option '%s'", given);
	for (size_t i = 0; table[i].name != NULL; i++) {
		if (strncmp(table[i].name, name, len) != 0)
			continue;
		matches++;
		int n = snprintf(list + used, sizeof(list) - used, " '--%s'", table[i].name);
		if (n > 0 && (size_t)n < sizeof(list) - used)
			used += (size_t)n;
	}
	if (matches > 1)
		return err_set(e, "option '%s' is ambiguous; possibilities:%s", given, list);
	return err_set(e, "unrecognized option '%s'", given);
}

/* The wording is getopt's own (which would have printed it), without
 * argv[0]: the program puts its name in front. */
static int getopt_error(const struct cli_flag *table, int opt, char **argv,
    struct err *e)
{
	const struct cli_flag *f = optopt >= LONG_BASE ? row_of(table, optopt) : NULL;

	if (opt == ':' && f != NULL)
		err_set(e, "option '--%s' requires an argument", f->name);
	else if (opt == ':')
		err_set(e, "option requires an argument -- '%c'", optopt);
	else if (f != NULL)
		err_set(e, "option '--%s' doesn't allow an argument", f->name);
	else if (optopt != 0)
		err_set(e, "invalid option -- '%c'", optopt);
	else
		unknown_long(table, argv[optind - 1], e);
	return CLI_EUSAGE;
}

static int take(struct cli *cli, size_t cap, const struct cli_flag *f,
    const char *value, cli_handler *handler, void *arg, struct err *e)
{
	if (f == NULL)
		return err_set(e, "internal: getopt returned a flag of no row");
	if (f->key != NULL) {
		if (cli->nset == cap)	/* each is an argument at least, so argc bounds them */
			return err_set(e, "internal: more key flags than arguments");
		cli->set[cli->nset].flag = f;
		cli->set[cli->nset++].value = f->arg != NULL ? value : f->value;
		return 0;
	}
	if (f->id == CLI_ID_CONFIG) {
		cli->config = value;
		return 0;
	}
	if (handler == NULL)
		return err_set(e, "internal: --%s has no handler", f->name);
	return handler(arg, f->id, value, e);
}

int cli_parse(struct cli *cli, const struct cli_flag *table, int argc, char **argv,
    cli_handler *handler, void *arg, struct err *e)
{
	struct getopt_spec g = { NULL, NULL };
	size_t cap = argc > 0 ? (size_t)argc : 0;
	int opt, r = 0;

	memset(cli, 0, sizeof(*cli));
	cli->set = calloc(cap + 1, sizeof(*cli->set));
	if (cli->set == NULL) {
		r = err_set(e, "out of memory");
		goto out;
	}
	if (spec_build(table, &g, e) != 0) {
		r = CLI_ERR;
		goto out;
	}
	optind = 0;	/* glibc and musl: start afresh, even on another argv */
	opterr = 0;	/* getopt would print; its message goes into e instead */
	while (r == 0 && (opt = getopt_long(argc, argv, g.shorts, g.longs, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			r = getopt_error(table, opt, argv, e);
		else
			r = take(cli, cap, row_of(table, opt), optarg, handler, arg, e);
	}
	if (r == 0 && optind < argc)
		r = err_set(e, "unexpected argument '%s'", argv[optind]);
out:
	spec_free(&g);
	return r;
}

void cli_fini(struct cli *cli)
{
	free(cli->set);
	memset(cli, 0, sizeof(*cli));
}

int cli_given(const struct cli *cli, const char *section)
{
	for (size_t i = 0; i < cli->nset; i++)
		if (strcmp(cli->set[i].flag->section, section) == 0)
			return 1;
	return 0;
}

int cli_apply(const struct cli *cli, struct config *c, enum config_user who,
    struct err *e)
{
	if (config_init(c, e) != 0)
		return -1;
	if (cli->config != NULL && config_load(c, cli->config, e) != 0)
		return -1;
	for (size_t i = 0; i < cli->nset; i++) {
		const struct cli_setting *s = &cli->set[i];
		if (config_set(c, s->flag->section, s->flag->key, s->value, e) != 0)
			return err_prefix(e, "command line");
	}
	return config_finish(c, who, e);
}

/* Appends text (len bytes) to buf at column, padding with spaces; a line
 * longer than buf is cut, which only --help could show. */
static void at_column(char *buf, size_t size, int column, const char *text, size_t len)
{
	size_t used = strlen(buf);
	int pad = column > (int)used ? column - (int)used : 0;

	snprintf(buf + used, size - used, "%*s%.*s", pad, "", (int)len, text);
}

static void describe_row(const struct cli_flag *f, int column,
    void (*line)(const char *text, void *arg), void *arg)
{
	const char *help = f->help ? f->help : "";
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "  %c%c%c --%s%s%s", f->letter ? '-' : ' ',
	    f->letter ? f->letter : ' ', f->letter ? ',' : ' ', f->name,
	    f->arg ? " " : "", f->arg ? f->arg : "");
	if (help[0] == '\0') {
		line(buf, arg);
		return;
	}
	if (n < 0 || n + 2 > column) {	/* too wide: the help starts below */
		line(buf, arg);
		buf[0] = '\0';
	}
	for (;;) {
		size_t len = strcspn(help, "\n");
		at_column(buf, sizeof(buf), column, help, len);
		line(buf, arg);
		if (help[len] == '\0')
			break;
		help += len + 1;
		buf[0] = '\0';
	}
}

void cli_describe(const struct cli_flag *table, int column,
    void (*line)(const char *text, void *arg), void *arg)
{
	for (size_t i = 0; table[i].name != NULL; i++)
		if (table[i].help != NULL)	/* NULL: hidden (CLI_HIDDEN) */
			describe_row(&table[i], column, line, arg);
}

const char *ocsp_version(void)
{
	return OCSP_VERSION;
}
