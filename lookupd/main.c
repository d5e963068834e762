/* ocsp-lookupd: answers OCSP requests from a tree of pre-signed responses,
 * and signs online what the tree cannot answer when a CA's key is given. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

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
#include "privdrop.h"
#include "reload.h"
#include "watchdog.h"

/* Descriptors beyond one per worker: listeners, the tree, logs. */
#define FD_SPARE 256
/* How often the main thread looks again while a replaced configuration
 * waits for its last reader, and while requests drain at a stop. */
#define RETIRED_POLL_MS 100
#define DRAIN_POLL_MS 20

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
	    "works with the built-in civetweb, not Debian's library.\n"
	    "'systemd': the sockets of a .socket unit (LISTEN_FDS)."),
	CLI_KEY("path-prefix", 'p', "PATH", "lookupd", "path_prefix",
	    "URL path of the responder in the certificates' AIA,\n"
	    "e.g. /ocsp (key 'path_prefix'); requests are also\n"
	    "accepted directly under /"),
	CLI_KEY("threads", 'T', "N", "lookupd", "threads",
	    "HTTP worker threads (key 'threads'); each open\n"
	    "keep-alive connection holds one"),
	/* The help of these four rows reads as one sentence. */
	CLI_CA("issuer", "FILE", "issuer", "the CA certificate (PEM) of one CA on the command\n"
	    "line ([ca default])"),
	CLI_CA("signer", "FILE", "signer", "signer certificate for online answers (the CA\n"
	    "or a delegated responder)"),
	CLI_CA("key", "FILE", "key", "the signer's private key"),
	CLI_CA("index", "FILE", "index", "its openssl ca index, for online answers"),
	CLI_CA("crl", "FILE|URL", "crl", "or a CRL as its status (reloaded when it is renewed)"),
	CLI_CA("issued", "DIR|FILE", "issued", "with --crl: the serials issued"),
	CLI_CA("sql", "CONN", "sql", "or a CA database, asked live\n"
	    "(postgresql://... or sqlite:/path)"),
	CLI_CA("sql-preset", "NAME", "sql_preset", "with --sql: its schema (openxpki, ejbca)"),
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
	CLI_KEY_SET("allow-root", 0, "lookupd", "allow_root", "yes",
	    "serve as root when started as root without 'user'\n"
	    "(key 'allow_root'; default: refuse)"),
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
"\"ok\" for load balancers.\n"
"\n"
"Signals: HUP reloads the configuration (CAs, signers, sources, limits; a bad\n"
"one is logged and the running one kept; listen, threads and the HTTP limits\n"
"need a restart) and the tree; TERM and INT stop accepting, let the requests\n"
"in flight finish (drain_timeout) and exit 0; USR1 reopens the log files.\n"
"Started as root, lookupd binds, reads its keys and opens the tree, then runs\n"
"as 'user'/'group' (refusing to serve as root without allow_root = yes).\n"
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

/* ---- one configuration in service ---- */

/* The configuration an answerer points into ([ca] sections): published
 * with it (reload.h) and freed with it once no worker can reach it. */
struct generation {
	struct config c;
};

static void generation_release(void *value, void *arg)
{
	struct generation *g = arg;

	answerer_free(value);
	if (g != NULL) {
		config_fini(&g->c);
		free(g);
	}
}

static int answerer_from(const struct config *c, struct answerer **out, struct err *e)
{
	struct answerer_opts ao = { c->tree && c->tree[0] ? c->tree : NULL,
	    (size_t)c->cache_entries, c->reload_interval, (size_t)c->max_certs,
	    (size_t)c->online_cache_entries, c, (int)c->stale };

	return answerer_new(&ao, out, e);
}

/* What the main thread keeps while serving. */
struct daemon {
	const struct cli *cli;
	const struct options *o;
	const struct http_conf *hc;	/* as started: HTTP changes need a restart */
	/* Keys that only act at start, as started (owned copies). */
	char *user, *group, *log_file;
	int64_t allow_root;
	struct reload *live;
	struct http_server *srv;
	const struct config *cur;	/* the configuration in service */
};

/* ---- signals ---- */

/* Does nothing: the signals are blocked in every thread and taken by
 * sigtimedwait. A handler (not SIG_IGN or SIG_DFL) is set so that a
 * signal inherited as ignored (SIGINT for a background job of a
 * non-interactive shell) is delivered like the others, and so that one
 * reaching a thread that unblocked it cannot kill the process. */
static void on_signal(int sig)
{
	(void)sig;
}

static void daemon_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
}

/* Before any thread starts, so that every thread inherits the mask. */
static void block_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	struct sigaction sa;
	sigset_t set;

	daemon_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The next signal of set within ms, 0 when none came. */
static int wait_signal(const sigset_t *set, int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	int sig = sigtimedwait(set, NULL, &ts);

	return sig > 0 ? sig : 0;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGTERM: return "SIGTERM";
	case SIGINT: return "SIGINT";
	case SIGHUP: return "SIGHUP";
	case SIGUSR1: return "SIGUSR1";
	default: return "signal";
	}
}

/* ---- log files ---- */

/* The log file is stderr itself (a dup2 onto descriptor 2), so whatever
 * writes to stderr (OpenSSL, civetweb) lands there too, and a reopen
 * replaces it under every writer at once. */
static int open_log_file(void *arg, struct err *e)
{
	const char *path = arg;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		return err_set(e, "%s: %s", path, strerror(errno));
	if (dup2(fd, STDERR_FILENO) < 0) {
		err_set(e, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* syslog's socket, after the log daemon restarted. */
static int reopen_syslog(void *arg, struct err *e)
{
	const struct options *o = arg;

	(void)e;
	closelog();
	log_init("ocsp-lookupd", 1, o->level);
	return 0;
}

/* The access log (http.c), reopened with the other log files. */
static int reopen_access_log(void *arg, struct err *e)
{
	return http_reopen_logs(arg, e);
}

static int logs_open(struct daemon *d, struct err *e)
{
	if (d->log_file != NULL)
		return open_log_file(d->log_file, e) != 0 ? -1 :
		    reload_on_reopen(open_log_file, d->log_file, d->log_file, e);
	if (d->o->use_syslog)
		return reload_on_reopen(reopen_syslog, (void *)d->o, "the syslog connection", e);
	return 0;
}

/* ---- SIGHUP ---- */

static int note_restart(const char *key, int changed)
{
	if (changed)
		log_warn("reload: '%s' changed; it takes effect at the next restart (the running "
		    "value stays)", key);
	return changed;
}

static int str_differs(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* The listeners, the thread count and civetweb's limits are fixed when it
 * starts, and the drop of root happens once: a reload says so for each
 * that changed instead of pretending. */
static void note_restarts(const struct daemon *d, const struct http_conf *n,
    const struct config *nc)
{
	const struct http_conf *r = d->hc;

	note_restart("listen", strcmp(r->listen, n->listen) != 0);
	note_restart("threads", r->threads != n->threads);
	note_restart("path_prefix", strcmp(r->prefix, n->prefix) != 0);
	note_restart("max_request_bytes", r->max_body != n->max_body);
	note_restart("max_header_bytes", r->max_header_bytes != n->max_header_bytes);
	note_restart("max_headers", r->max_headers != n->max_headers);
	note_restart("header_timeout", r->header_ms != n->header_ms);
	note_restart("body_timeout", r->body_ms != n->body_ms);
	note_restart("keep_alive_timeout", r->keep_alive_ms != n->keep_alive_ms);
	note_restart("keep_alive_requests", r->keep_alive_requests != n->keep_alive_requests);
	note_restart("busy_threshold", r->busy_limit != n->busy_limit);
	note_restart("max_age", r->max_age != n->max_age);
	note_restart("cache_tags", r->cache_tags != n->cache_tags);
	note_restart("user", str_differs(d->user, nc->user));
	note_restart("group", str_differs(d->group, nc->group));
	note_restart("allow_root", d->allow_root != nc->allow_root);
	note_restart("log_file", str_differs(d->log_file, nc->log_file));
	/* The metrics listener, the access log and /healthz's checks are
	 * set up with the listeners; answers follow a new tree at once, but
	 * /healthz and the tree gauges keep reading the one they started on. */
	note_restart("metrics_listen", str_differs(r->metrics_listen, n->metrics_listen));
	note_restart("access_log", str_differs(r->access_log, n->access_log));
	note_restart("stale_share", r->stale_share != n->stale_share);
	note_restart("stale_warning", r->stale_warning != n->stale_warning);
	note_restart("max_generation_age", r->max_generation_age != n->max_generation_age);
	if (str_differs(r->tree, n->tree))
		log_warn("reload: 'tree' changed; answers come from the new tree now, /healthz "
		    "and the tree gauges read the old one until the next restart");
}

/* At start a CA whose signers cannot be used (a token gone, a key not
 * readable) is logged and answered from the tree: lookupd still starts. A
 * reload is a change someone just made: every CA is loaded strictly (as
 * --check does) and any failure keeps the running configuration. */
static int reload_check_cas(const struct config *c, struct err *e)
{
	struct online *o = NULL;

	if (online_new(c, c->tree && c->tree[0] ? c->tree : NULL, 1, &o, e) != 0)
		return -1;
	online_free(o);
	return 0;
}

/* Reads the configuration again (file and flags) and puts a new answerer
 * in service; anything wrong leaves the running one as it is. After the
 * drop of root, every file is read as the dropped user (privdrop.h). */
static void daemon_reload(struct daemon *d)
{
	struct generation *g = calloc(1, sizeof(*g));
	struct http_opts ho;
	struct http_conf nhc;
	struct answerer *a = NULL;
	struct err e;

	memset(&nhc, 0, sizeof(nhc));
	if (g == NULL) {
		log_error("reload: out of memory; the running configuration stays");
		return;
	}
	if (load_config(d->cli, &g->c, &e) != 0)
		goto bad;
	http_opts_from(&g->c, &ho);
	if (http_conf_init(&nhc, &ho, &e) != 0) {
		err_prefix(&e, "%s", g->c.path ? g->c.path : "command line");
		goto bad;
	}
	if (reload_check_cas(&g->c, &e) != 0 || answerer_from(&g->c, &a, &e) != 0 ||
	    reload_publish(d->live, a, g, &e) != 0)
		goto bad;
	note_restarts(d, &nhc, &g->c);
	http_conf_fini(&nhc);
	d->cur = &g->c;
	log_info("reloaded %s: %zu CA%s, tree %s", g->c.path ? g->c.path : "the command line",
	    g->c.ncas, g->c.ncas == 1 ? "" : "s", g->c.tree && g->c.tree[0] ? g->c.tree :
	    "none (online answers only)");
	return;
bad:
	log_error("reload: %s; the running configuration stays", e.msg);
	http_conf_fini(&nhc);
	answerer_free(a);
	config_fini(&g->c);
	free(g);
}

/* ---- serving ---- */

/* The main thread waits for signals (blocked in every thread, so they
 * arrive here), re-checks the tree between them, so requests rarely pay
 * for noticing a new generation, and frees replaced configurations once
 * no worker can reach them. Returns the signal that stops it. */
static int wait_for_stop(struct daemon *d)
{
	int64_t last = watchdog_now_ms();
	size_t retired = 0;
	sigset_t set;

	daemon_signals(&set);
	for (;;) {
		int64_t every = d->cur->reload_interval * 1000;
		int sig = wait_signal(&set, retired > 0 && every > RETIRED_POLL_MS ?
		    RETIRED_POLL_MS : every);
		if (sig == SIGTERM || sig == SIGINT)
			return sig;
		if (sig == SIGHUP) {
			log_info("SIGHUP: reloading the configuration");
			daemon_reload(d);
			/* A postrotate may send either signal: SIGHUP also
			 * reopens every log file, SIGUSR1 does only that. */
			reload_reopen_all();
		} else if (sig == SIGUSR1) {
			reload_reopen_all();
		}
		if (watchdog_now_ms() - last >= every) {
			answerer_refresh(reload_current(d->live), (int64_t)time(NULL));
			last = watchdog_now_ms();
		}
		retired = reload_collect(d->live);
	}
}

/* Stops accepting, gives the requests in flight drain_timeout to be
 * answered (a second TERM or INT cuts it short), and returns. */
static void drain(struct daemon *d, int sig)
{
	int64_t limit = d->cur->drain_timeout * 1000;
	int64_t deadline = watchdog_now_ms() + limit;
	struct err e;
	sigset_t set;
	size_t busy;

	daemon_signals(&set);
	if (http_quiesce(d->srv, &e) != 0)
		log_warn("%s", e.msg);
	log_info("stopping (%s): no new connections; %zu request%s in flight get%s up to "
	    "%llds", signal_name(sig), reload_busy(d->live),
	    reload_busy(d->live) == 1 ? "" : "s", reload_busy(d->live) == 1 ? "s" : "",
	    (long long)d->cur->drain_timeout);
	while ((busy = reload_busy(d->live)) > 0 && watchdog_now_ms() < deadline) {
		int again = wait_signal(&set, DRAIN_POLL_MS);
		if (again == SIGTERM || again == SIGINT) {
			log_warn("%s again: stopping now", signal_name(again));
			break;
		}
	}
	if ((busy = reload_busy(d->live)) > 0)
		log_warn("%zu request%s still in flight %s cut off", busy, busy == 1 ? "" : "s",
		    busy == 1 ? "is" : "are");
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

static void log_dropped(const struct privdrop *pd)
{
	if (pd->drop)
		log_info("running as user %s (uid %lu), group %s (gid %lu), no supplementary "
		    "groups", pd->user, (unsigned long)pd->uid, pd->group,
		    (unsigned long)pd->gid);
	else if (geteuid() == 0)
		log_info("serving as root, as allow_root = yes says");
}

static char *dup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

static void daemon_fini(struct daemon *d)
{
	free(d->user);
	free(d->group);
	free(d->log_file);
}

/* Start-up order: the configuration is checked (main), then bind, then
 * the keys and the tree, then the drop of root, then accepting. Takes g. */
static int serve(struct daemon *d, struct generation *g)
{
	const struct config *c = &g->c;
	struct answerer *a = NULL;
	struct privdrop pd;
	struct err e;
	int sig, rc = EXIT_RUNTIME;

	d->cur = c;
	d->user = dup_or_null(c->user);
	d->group = dup_or_null(c->group);
	d->log_file = dup_or_null(c->log_file);
	d->allow_root = c->allow_root;
	block_signals();
	if (privdrop_plan(c->user, c->group, (int)c->allow_root, &pd, &e) != 0) {
		log_error("%s", e.msg);
		rc = EXIT_USAGE;
		goto fail;
	}
	if (logs_open(d, &e) != 0) {
		log_error("log_file: %s", e.msg);
		rc = EXIT_USAGE;
		goto fail;
	}
	raise_fd_limit(d->hc->threads);
	if (memguard_install() != 0)
		log_warn("cannot install the SIGBUS guard: a tree file rewritten in place "
		    "would stop the daemon");
	if (reload_new((size_t)d->hc->threads, generation_release, &d->live, &e) != 0 ||
	    http_start(d->hc, d->live, &d->srv, &e) != 0 ||
	    (d->hc->access_log != NULL && d->hc->access_log[0] != '\0' &&
	    reload_on_reopen(reopen_access_log, d->srv, "the access log", &e) != 0) ||
	    answerer_from(c, &a, &e) != 0 || reload_publish(d->live, a, g, &e) != 0)
		goto fail;
	g = NULL;	/* the reload owns it now, with a */
	a = NULL;
	if (privdrop_apply(&pd, &e) != 0)
		goto fail;
	http_open(d->srv);
	log_started(d->srv, reload_current(d->live), d->cur, d->hc);
	log_dropped(&pd);
	sig = wait_for_stop(d);
	drain(d, sig);
	http_stop(d->srv);
	reload_free(d->live);
	log_info("stopped");
	daemon_fini(d);
	return EXIT_OK;
fail:
	if (rc == EXIT_RUNTIME)
		log_error("%s", e.msg);
	http_stop(d->srv);
	answerer_free(a);
	reload_free(d->live);
	if (g != NULL) {
		config_fini(&g->c);
		free(g);
	}
	daemon_fini(d);
	return rc;
}

/* --check also loads every CA (certificates, keys, status) the way the
 * daemon will, so a wrong key or path is found before a restart. */
static int check_cas(const struct config *c)
{
	struct online *o = NULL;
	struct err e;

	if (online_new(c, c->tree && c->tree[0] ? c->tree : NULL, 1, &o, &e) != 0 ||
	    privdrop_check(c->user, c->group, &e) != 0) {
		online_free(o);
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
	struct generation *g = calloc(1, sizeof(*g));
	struct http_opts ho;
	struct http_conf hc;
	struct daemon d;
	struct err e;
	int rc = EXIT_USAGE;

	memset(&hc, 0, sizeof(hc));
	memset(&d, 0, sizeof(d));
	memset(&cli, 0, sizeof(cli));
	if (g == NULL) {
		fprintf(stderr, "ocsp-lookupd: out of memory\n");
		return EXIT_RUNTIME;
	}
	if (parse_args(argc, argv, &cli, &o) != 0)
		goto out;
	if (o.help || o.version || o.help_config || o.man != NULL) {
		rc = answer(&o);
		goto out;
	}
	log_init("ocsp-lookupd", o.use_syslog, o.level);
	rc = EXIT_USAGE;
	if (load_config(&cli, &g->c, &e) != 0) {
		fprintf(stderr, "ocsp-lookupd: %s\n", e.msg);
		goto out;
	}
	/* Checked and normalised once, here; serve() uses the result. */
	http_opts_from(&g->c, &ho);
	if (http_conf_init(&hc, &ho, &e) != 0) {
		fprintf(stderr, "ocsp-lookupd: %s%s%s\n", g->c.path ? g->c.path : "",
		    g->c.path ? ": " : "", e.msg);
		goto out;
	}
	if (o.check) {
		rc = check_cas(&g->c);
		if (rc == EXIT_OK)
			printf("ocsp-lookupd: configuration ok (%s)\n", http_library());
		goto out;
	}
	d.cli = &cli;
	d.o = &o;
	d.hc = &hc;
	rc = serve(&d, g);
	g = NULL;
out:
	http_conf_fini(&hc);
	if (g != NULL) {
		config_fini(&g->c);
		free(g);
	}
	cli_fini(&cli);
	return rc;
}
