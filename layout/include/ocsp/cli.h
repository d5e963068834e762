/* Command-line flags of both programs, described once per program in a
 * table.
 *
 * A row either sets a configuration key (the same key a file sets, through
 * config_set, so a flag and a key can never disagree on what a value
 * means), names the configuration file, or is a program flag that the
 * program handles itself by its id. The same table builds the getopt_long
 * parser and the options part of --help, so a new flag is one new row:
 *
 *   static const struct cli_flag flags[] = {
 *           CLI_CONFIG_FILE("config", 'c', "FILE", "configuration file"),
 *           CLI_KEY("tree", 't', "DIR", "", "tree", "the response tree"),
 *           CLI_CA("index", "FILE", "index", "openssl ca index file"),
 *           CLI_FLAG("check", 'n', NULL, FLAG_CHECK, "check and exit"),
 *           CLI_END
 *   };
 *
 * Flags that set keys are applied after the file is read, in command-line
 * order, so a flag always wins over the file and the last of two wins.
 * Nothing here prints: errors come back in a struct err. */
#ifndef OCSP_CLI_H
#define OCSP_CLI_H

#include <stddef.h>

#include "ocsp/config.h"
#include "ocsp/err.h"

/* The CA that flags like --issuer and --key describe. */
#define CLI_CA_DEFAULT "ca default"

/* The id of the row naming the configuration file. */
#define CLI_ID_CONFIG (-1)

/* One row. A key flag (key not NULL) sets key in section to its argument,
 * or, taking none, to its fixed value (a switch such as --get-keys); any
 * other row is told apart by its id. */
struct cli_flag {
	const char *name;	/* long name without "--"; NULL ends the table */
	char letter;		/* short form, 0 for none */
	const char *arg;	/* the argument as --help names it; NULL: takes none */
	const char *section;	/* as config_set takes it */
	const char *key;	/* NULL: not a key flag */
	int id;			/* not a key flag: CLI_ID_CONFIG or the program's id */
	const char *help;	/* lines separated by '\n', each at most ~80 columns */
	const char *value;	/* a key flag without an argument: the value it sets */
};

/* A flag that sets key in section ("" is the top level, as in config_set). */
#define CLI_KEY(name, letter, arg, section, key, help) \
	{ name, letter, arg, section, key, 0, help, NULL }
/* A switch (no argument) that sets key in section to value. */
#define CLI_KEY_SET(name, letter, section, key, value, help) \
	{ name, letter, NULL, section, key, 0, help, value }
/* A flag that sets key of the CA given on the command line. */
#define CLI_CA(name, arg, key, help) \
	{ name, 0, arg, CLI_CA_DEFAULT, key, 0, help, NULL }
/* The flag naming the configuration file, read before any key flag. */
#define CLI_CONFIG_FILE(name, letter, arg, help) \
	{ name, letter, arg, NULL, NULL, CLI_ID_CONFIG, help, NULL }
/* A flag the program handles: id is passed to its handler. */
#define CLI_FLAG(name, letter, arg, id, help) \
	{ name, letter, arg, NULL, NULL, id, help, NULL }
/* A program flag left out of --help and the manual (help NULL): for the
 * build, such as --help-man. */
#define CLI_HIDDEN(name, arg, id) \
	{ name, 0, arg, NULL, NULL, id, NULL, NULL }
#define CLI_END { NULL, 0, NULL, NULL, NULL, 0, NULL, NULL }

/* The rows of a CA's status source (source.h), for every program that
 * reads one from the command line (ocsp-publisher, ocsp-audit): one list,
 * so the same flags set the same keys everywhere. */
#define CLI_SOURCE_FLAGS \
	CLI_CA("index", "FILE", "index", "openssl ca index file (one CA on the command line)"), \
	CLI_CA("crl", "FILE|URL", "crl", "or a CRL (DER or PEM, http(s) URLs fetched)"), \
	CLI_CA("issued", "DIR|FILE", "issued", \
	    "with --crl: the serials issued (certificates, or hex serials)"), \
	CLI_CA("sql", "CONN", "sql", \
	    "or a CA database: postgresql://user@host:port/db or sqlite:/path"), \
	CLI_CA("sql-preset", "NAME", "sql_preset", "its schema: openxpki or ejbca")

/* The rows of an S3 target (upload.h), for the publisher that uploads to
 * it and ocsp-audit that reads it back. */
#define CLI_S3_FLAGS \
	CLI_KEY("s3-endpoint", 0, "URL", "publisher", "s3_endpoint", \
	    "S3 endpoint, scheme://host[:port] (default: AWS)"), \
	CLI_KEY("s3-region", 0, "REGION", "publisher", "s3_region", \
	    "S3 region (default: AWS_REGION, else us-east-1)"), \
	CLI_KEY("s3-path-style", 0, "yes|no", "publisher", "s3_path_style", \
	    "endpoint/bucket/ addressing (always for an IP address)"), \
	CLI_KEY("s3-credentials-file", 0, "FILE", "publisher", "s3_credentials_file", \
	    "AWS shared-credentials file (default: AWS_* environment)")

/* A key flag as given, in command-line order. value points into argv. */
struct cli_setting {
	const struct cli_flag *flag;
	const char *value;
};

struct cli {
	const char *config;		/* the configuration file (the last given), or NULL */
	struct cli_setting *set;	/* key flags in command-line order; owned */
	size_t nset;
};

/* Called for each program flag in command-line order; value is its
 * argument (NULL for a flag without one). Returns 0 to go on, CLI_STOP to
 * stop parsing there (e.g. for --help), or -1 with a message in e. */
typedef int cli_handler(void *arg, int id, const char *value, struct err *e);

enum {
	CLI_STOP = 1,		/* the handler stopped parsing */
	CLI_ERR = -1,		/* e says it all: a handler's error, an operand */
	CLI_EUSAGE = -2,	/* a flag getopt could not take (unknown, ambiguous,
				 * argument missing or not allowed): e says which in
				 * getopt's words, and the program may show usage */
};

/* Parses argv by the table and fills cli, which must then go to cli_fini
 * whatever the result. The programs take no operands: one is CLI_ERR
 * ("unexpected argument 'x'"). Returns 0, CLI_STOP, CLI_ERR or CLI_EUSAGE.
 * Long names may be abbreviated as getopt_long allows. Uses getopt's
 * globals: call from one thread; argv may be permuted. */
int cli_parse(struct cli *cli, const struct cli_flag *table, int argc, char **argv,
    cli_handler *handler, void *arg, struct err *e);
void cli_fini(struct cli *cli);

/* Whether a key flag for section was given (e.g. CLI_CA_DEFAULT). */
int cli_given(const struct cli *cli, const char *section);

/* Builds the configuration: config_init, config_load of cli->config if
 * given, each key flag through config_set in order (a bad value's message
 * starts "command line: "), then config_finish(c, who). c is initialised
 * even on error and must be passed to config_fini. Returns 0 or -1. */
int cli_apply(const struct cli *cli, struct config *c, enum config_user who,
    struct err *e);

/* The options part of --help, one call of line per output line (hidden
 * rows, help NULL, left out): each row
 * as "  -x, --name ARG" with its help starting at column (0-based) and its
 * further help lines indented as far; a row too wide to leave two spaces
 * before column has its help start on the next line. */
void cli_describe(const struct cli_flag *table, int column,
    void (*line)(const char *text, void *arg), void *arg);

/* The version of the build, shared by both programs' --version. */
const char *ocsp_version(void);

#endif
