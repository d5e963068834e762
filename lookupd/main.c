/* ocsp-lookupd: answers OCSP requests from a tree of pre-signed responses,
 * and signs online what the tree cannot answer when a CA's key is given. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ocsp/cli.h"
#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/log.h"
#include "ocsp/manpage.h"
#include "ocsp/memguard.h"
#include "ocsp/tree_reader.h"

#include "answer.h"
#include "http.h"
#include "online.h"

/* Descriptors beyond one per worker: listeners, the tree, logs. */
#define FD_SPARE 256

/* Exit codes (also in --help); 1 means what it means for the publisher. */
enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_RUNTIME = 2 };

enum { FLAG_CHECK = 1, FLAG_LOG_LEVEL, FLAG_SYSLOG, FLAG_HELP, FLAG_HELP_CONFIG,
	FLAG_VERSION,
	FLAG_HELP_MAN };

/* Every flag, in the order --help lists them. */
static const struct cli_flag flags[] = {
	CLI_CONFIG_FILE("config", 'c', "FILE", "configuration file (INI; see --help-config)"),
	CLI_KEY("tree", 't', "DIR", "", "tree", "the response tree (key 'tree')"),
	CLI_KEY("listen", 'l', "LIST", "lookupd", "listen",
	    "ADDR:PORT[,ADDR:PORT...] (key 'listen', default\n"
	    "127.0.0.1:8080; 0.0.0.0 for every IPv4 address; port 0\n"
	    "picks a free port, logged at start). IPv6 ([::]:PORT)\n"
	    "works with the built-in civetweb, not Debian's library."),
	CLI_KEY("path-prefix", 'p', "PATH", "lookupd", "path_prefix",
	    "URL path of the responder in the certificates' AIA,\n"
	    "e.g. /ocsp (key 'path_prefix'); requests are also\n"
	    "accepted directly under /"),
	CLI_KEY("threads", 'T', "N", "lookupd", "threads",
	    "HTTP worker threads (key 'threads'); each open\n"
	    "keep-alive connection holds one"),
	/* The help of these four rows reads as one sentence. */
	CLI_CA("issuer", "FILE", "issuer", "one CA on the command line ([ca default]): its"),
	CLI_CA("signer", "FILE", "signer", "certificate, the signer certificate and key for"),
	CLI_CA("key", "FILE", "key", "online answers (the CA or a delegated responder),"),
	CLI_CA("index", "FILE", "index", "and its openssl ca index when there is no tree"),
	CLI_CA("crl", "FILE|URL", "crl", "or a CRL as its status (reloaded when it is renewed)"),
	CLI_CA("issued", "DIR|FILE", "issued", "with --crl: the serials issued"),
	CLI_CA("sql", "CONN", "sql", "or a CA database, asked live (postgresql://... or"),
	CLI_CA("sql-preset", "NAME", "sql_preset", "sqlite:/path), and its schema"),
	CLI_CA("key-passphrase-file", "FILE", "key_passphrase_file",
	    "passphrase of an encrypted PEM key; --key may\n"
	    "also be a pkcs11: URI (RFC 7512), and --signer/--key\n"
	    "pairs may be repeated (rollover)"),
	CLI_CA("pin-file", "FILE", "pin_file", "user PIN of a PKCS#11 key"),
	CLI_KEY("pkcs11-module", 0, "PATH", "", "pkcs11_module",
	    "PKCS#11 module (default: p11-kit's proxy)"),
	CLI_CA("unknown", "POLICY", "unknown",
	    "never-issued serials: unknown (default), revoked\n"
	    "(RFC 6960 extended revoked) or unauthorized"),
	CLI_FLAG("check", 'n', NULL, FLAG_CHECK,
	    "check the configuration, print what is wrong, exit"),
	CLI_FLAG("log-level", 'L', "LEVEL", FLAG_LOG_LEVEL,
	    "error, warning, info (default) or debug"),
	CLI_FLAG("syslog", 's', NULL, FLAG_SYSLOG, "log to syslog instead of stderr"),
	CLI_FLAG("help", 'h', NULL, FLAG_HELP, "this text"),
	CLI_FLAG("help-config", 0, NULL, FLAG_HELP_CONFIG,
	    "every configuration key with its default"),
	CLI_FLAG("version", 'V', NULL, FLAG_VERSION, "print the version"),
	/* The build's: the manual's OPTIONS or ocsp.conf(5)'s keys, in roff. */
	CLI_HIDDEN("help-man", "options|config", FLAG_HELP_MAN),
	CLI_END
};

#define HELP_COLUMN 26

static const char usage_head[] =
"usage: ocsp-lookupd --config FILE [options]\n"
"       ocsp-lookupd --tree DIR [--listen ADDR:PORT] [options]\n"
"       ocsp-lookupd [--tree DIR] --issuer CA.pem --signer SIGNER.pem --key KEY.pem\n"
"                    [--index index.txt] [--listen ADDR:PORT] [options]\n"
"\n"
"Answers OCSP requests (RFC 6960 and RFC 9919 GET and POST) from the tree of\n"
"pre-signed responses that ocsp-publisher writes. With a CA's key it also signs\n"
"online what the tree cannot answer: nonces, SHA-256/384/512 CertIDs that were\n"
"not pre-signed, several certificates in one request, serials nobody\n"
"pre-signed; with a key and an index but no tree it answers entirely online.\n"
"Command-line settings override the configuration file.\n"
"\n";

static const char usage_tail[] =
"\n"
"HTTP: POST application/ocsp-request to / or PATH; GET /<base64 request> or\n"
"PATH/<base64 request> (raw or percent-encoded); HEAD; GET /healthz answers\n"
"\"ok\" for load balancers. Signals: TERM and INT stop, HUP re-reads the tree now.\n"
"\n"
"Exit status: 0 stopped cleanly or configuration ok; 1 bad command line or\n"
"configuration; 2 could not start (bind, tree).\n";

struct options {
	int check, use_syslog, help, help_config, version;
	const char *man;	/* --help-man's argument (points into argv), or NULL */
	enum log_level level;
};

static void print_line(const char *text, void *arg)
{
	fprintf(arg, "%s\n", text);
}

static int parse_level(const char *s, enum log_level *out)
{
	static const struct { const char *name; enum log_level level; } levels[] = {
		{ "error", LOG_LVL_ERROR }, { "warning", LOG_LVL_WARN },
		{ "warn", LOG_LVL_WARN }, { "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG },
	};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(s, levels[i].name) == 0) {
			*out = levels[i].level;
			return 0;
		}
	return -1;
}

static int on_flag(void *arg, int id, const char *value, struct err *e)
{
	struct options *o = arg;

	switch (id) {
	case FLAG_CHECK: o->check = 1; return 0;
	case FLAG_SYSLOG: o->use_syslog = 1; return 0;
	case FLAG_HELP: o->help = 1; return 0;
	case FLAG_HELP_CONFIG: o->help_config = 1; return 0;
	case FLAG_VERSION: o->version = 1; return 0;
	case FLAG_HELP_MAN: o->man = value; return 0;
	case FLAG_LOG_LEVEL:
		if (parse_level(value, &o->level) == 0)
			return 0;
		return err_set(e, "--log-level: '%s' is not error, warning, info or debug",
		    value);
	}
	return err_set(e, "internal: flag %d has no case", id);
}

static int parse_args(int argc, char **argv, struct cli *cli, struct options *o)
{
	struct err e;
	int r;

	memset(o, 0, sizeof(*o));
	o->level = LOG_LVL_INFO;
	r = cli_parse(cli, flags, argc, argv, on_flag, o, &e);
	if (r == 0)
		return 0;
	fprintf(stderr, "ocsp-lookupd: %s\n", e.msg);
	if (r == CLI_EUSAGE)
		fprintf(stderr, "Try 'ocsp-lookupd --help'.\n");
	return -1;
}

static int load_config(const struct cli *cli, struct config *c, struct err *e)
{
	if (cli_apply(cli, c, CONFIG_LOOKUPD, e) != 0)
		return -1;
	if ((c->tree == NULL || c->tree[0] == '\0') && c->ncas == 0)
		return err_set(e, "nothing to answer from: give a tree ('tree', --tree DIR) "
		    "or a CA ([ca NAME], --issuer/--signer/--key/--index)");
	return 0;
}

static void http_opts_from(const struct config *c, struct http_opts *ho)
{
	ho->listen = c->listen;
	ho->path_prefix = c->path_prefix;
	ho->threads = c->http_threads;
	ho->max_request_bytes = (size_t)c->max_request_bytes;
	ho->max_header_bytes = (size_t)c->max_header_bytes;
	ho->max_headers = c->max_headers;
	ho->header_timeout = c->header_timeout;
	ho->body_timeout = c->body_timeout;
	ho->keep_alive_timeout = c->keep_alive_timeout;
	ho->keep_alive_requests = c->keep_alive_requests;
	ho->busy_threshold = c->busy_threshold;
	ho->max_age = c->max_age;
	ho->cache_tags = c->cache_tags;
	ho->metrics_listen = c->metrics_listen;
	ho->access_log = c->access_log;
	ho->tree = c->tree;
	ho->stale_share = c->stale_share;
	ho->stale_warning = c->stale_warning;
	ho->max_generation_age = c->max_generation_age;
}

static void log_started(struct http_server *srv, struct answerer *a, const struct config *c,
    const struct http_conf *hc)
{
	struct tree_reader_stats st;
	char where[512];

	http_describe(srv, where, sizeof(where));
	log_info("%s", http_library());
	if (answerer_tree(a) == NULL) {
		log_info("listening on %s%s%s with %lld threads; no tree: online answers only",
		    where, hc->prefix[0] ? ", path prefix " : "", hc->prefix,
		    (long long)hc->threads);
		return;
	}
	tree_reader_stats(answerer_tree(a), &st);
	log_info("listening on %s%s%s with %lld threads; tree %s: %zu issuers, generation "
	    "%llu; cache of %zu responses", where, hc->prefix[0] ? ", path prefix " : "",
	    hc->prefix, (long long)hc->threads, c->tree, st.issuers,
	    (unsigned long long)st.generation, st.capacity);
	if (st.capacity < (size_t)c->cache_entries)
		log_warn("cache_entries %lld capped to %zu by vm.max_map_count",
		    (long long)c->cache_entries, st.capacity);
	if (c->ncas == 0)
		log_info("no CA key configured: answers come from the tree only, and nonce "
		    "requests get the pre-signed response");
	if (st.issuers == 0 && c->ncas == 0)
		log_warn("no issuer in %s yet: every request is answered unauthorized until "
		    "a publish arrives", c->tree);
}

/* The main thread waits for signals (blocked in every thread, so they
 * arrive here) and re-checks the tree between them, so requests rarely
 * pay for noticing a new generation. */
static int wait_for_stop(struct answerer *a, int64_t interval)
{
	sigset_t set;
	struct timespec ts = { (time_t)interval, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		int sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT)
			return sig;
		if (sig < 0 && errno != EAGAIN && errno != EINTR)
			return 0;
		answerer_refresh(a, (int64_t)time(NULL));
	}
}

/* Each worker may hold a connection, and descriptors are also needed for
 * the tree: raise the soft limit as far as the hard one allows (a service
 * manager's soft default of 1024 would refuse connections long before
 * the workers run out). */
static void raise_fd_limit(int64_t threads)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)threads + FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_warn("open files are limited to %llu, fewer than %lld threads need; some "
		    "connections will be refused (raise LimitNOFILE / ulimit -n)",
		    (unsigned long long)rl.rlim_cur, (long long)want);
}

static void block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Start-up order: the configuration is checked, then bind, then the tree,
 * then serve. */
static int serve(const struct config *c, const struct http_conf *hc)
{
	struct answerer_opts ao = { c->tree && c->tree[0] ? c->tree : NULL,
	    (size_t)c->cache_entries, c->reload_interval, (size_t)c->max_certs,
	    (size_t)c->online_cache_entries, c, (int)c->stale };
	struct http_server *srv = NULL;
	struct answerer *a = NULL;
	struct err e;
	int sig;

	block_signals();
	raise_fd_limit(hc->threads);
	if (memguard_install() != 0)
		log_warn("cannot install the SIGBUS guard: a tree file rewritten in place "
		    "would stop the daemon");
	if (http_start(hc, &srv, &e) != 0) {
		log_error("%s", e.msg);
		return EXIT_RUNTIME;
	}
	if (answerer_new(&ao, &a, &e) != 0) {
		log_error("%s", e.msg);
		http_stop(srv);
		return EXIT_RUNTIME;
	}
	http_set_answerer(srv, a);
	log_started(srv, a, c, hc);
	sig = wait_for_stop(a, c->reload_interval);
	log_info("stopping (%s)", sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
	    "signal wait failed");
	http_stop(srv);
	answerer_free(a);
	return EXIT_OK;
}

/* --check also loads every CA (certificates, keys, status) the way the
 * daemon will, so a wrong key or path is found before a restart. */
static int check_cas(const struct config *c)
{
	struct online *o = NULL;
	struct err e;

	if (online_new(c, c->tree && c->tree[0] ? c->tree : NULL, 1, &o, &e) != 0) {
		fprintf(stderr, "ocsp-lookupd: %s\n", e.msg);
		return EXIT_USAGE;
	}
	online_free(o);
	return EXIT_OK;
}

/* --help, --help-config, --version and --help-man, in that order when
 * several are given. Returns EXIT_OK, or EXIT_USAGE when --help-man could
 * not be answered (and says so). */
static int answer(const struct options *o)
{
	struct err e;

	if (o->help) {
		fputs(usage_head, stdout);
		cli_describe(flags, HELP_COLUMN, print_line, stdout);
		fputs(usage_tail, stdout);
	}
	if (o->help_config)
		config_describe(print_line, stdout);
	if (o->version)
		printf("ocsp-lookupd %s\n", ocsp_version());
	if (o->man != NULL && man_print(o->man, flags, print_line, stdout, &e) != 0) {
		fprintf(stderr, "ocsp-lookupd: %s\n", e.msg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct options o;
	struct config c;
	struct http_opts ho;
	struct http_conf hc;
	struct err e;
	int rc = EXIT_USAGE;

	memset(&c, 0, sizeof(c));
	memset(&hc, 0, sizeof(hc));
	if (parse_args(argc, argv, &cli, &o) != 0)
		goto out;
	if (o.help || o.version || o.help_config || o.man != NULL) {
		rc = answer(&o);
		goto out;
	}
	log_init("ocsp-lookupd", o.use_syslog, o.level);
	rc = EXIT_USAGE;
	if (load_config(&cli, &c, &e) != 0) {
		fprintf(stderr, "ocsp-lookupd: %s\n", e.msg);
		goto out;
	}
	/* Checked and normalised once, here; serve() uses the result. */
	http_opts_from(&c, &ho);
	if (http_conf_init(&hc, &ho, &e) != 0) {
		fprintf(stderr, "ocsp-lookupd: %s%s%s\n", c.path ? c.path : "", c.path ? ": " : "",
		    e.msg);
		goto out;
	}
	if (o.check) {
		rc = check_cas(&c);
		if (rc == EXIT_OK)
			printf("ocsp-lookupd: configuration ok (%s)\n", http_library());
		goto out;
	}
	rc = serve(&c, &hc);
out:
	http_conf_fini(&hc);
	config_fini(&c);
	cli_fini(&cli);
	return rc;
}
