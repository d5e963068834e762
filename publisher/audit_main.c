/* ocsp-audit: checks every published response of every CA, in a local
 * tree or behind a responder URL, against its signer, its freshness and
 * what its status source says. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ocsp/ca.h"
#include "ocsp/cli.h"
#include "ocsp/config.h"
#include "ocsp/duration.h"
#include "ocsp/err.h"
#include "ocsp/log.h"
#include "ocsp/manpage.h"
#include "ocsp/source.h"
#include "ocsp/upload.h"

#include "audit.h"

struct options {
	const char *url;
	const char *store;
	const char *man;	/* --help-man's argument (points into argv) */
	int get, post, json, cabf;
	int64_t skew, slack, timeout, threads, probes;
	int answer;		/* --help, --help-config or --version */
};

enum { FLAG_URL = 1, FLAG_STORE, FLAG_METHOD, FLAG_PROBES, FLAG_SKEW, FLAG_SLACK, FLAG_CABF,
	FLAG_THREADS, FLAG_TIMEOUT, FLAG_JSON, FLAG_HELP_CONFIG, FLAG_HELP, FLAG_VERSION,
	FLAG_HELP_MAN };

/* The source flags are the publisher's own rows (cli.h), so a CA is
 * described to both programs in the same words. */
static const struct cli_flag flags[] = {
	CLI_CONFIG_FILE("config", 'c', "FILE", "the publisher's configuration: every [ca NAME]"),
	CLI_KEY("tree", 't', "DIR", "", "tree", "the response tree to audit (key 'tree')"),
	CLI_CA("issuer", "FILE", "issuer", "PEM certificate of the issuing CA (one CA)"),
	CLI_SOURCE_FLAGS,
	CLI_CA("refresh", "DUR", "refresh",
	    "the publisher's refresh, when the tree's issuer.meta does not say\n"
	    "(default half the validity)"),
	CLI_CA("validity", "DAYS", "validity", "the publisher's validity (default 4 days)"),
	CLI_CA("hashes", "LIST", "hashes", "CertID hashes to expect (default sha1)"),
	CLI_FLAG("url", 'u', "URL", FLAG_URL,
	    "ask this responder (lookupd, a CDN) for every serial instead of\n"
	    "reading the tree"),
	CLI_FLAG("store", 0, "URL", FLAG_STORE,
	    "read the s3://bucket/prefix or http(s):// WebDAV origin the\n"
	    "publisher uploads to; 'upload' names the configuration's"),
	CLI_S3_FLAGS,
	CLI_FLAG("method", 0, "get|post|both", FLAG_METHOD, "with --url (default both)"),
	CLI_FLAG("probes", 0, "N", FLAG_PROBES,
	    "with --url: serials never issued asked per CA (default 4)"),
	CLI_FLAG("skew", 0, "DUR", FLAG_SKEW,
	    "thisUpdate/producedAt may be this far ahead (default 5m)"),
	CLI_FLAG("slack", 0, "DUR", FLAG_SLACK,
	    "a response may be this much older than refresh (default 6h)"),
	CLI_FLAG("cabf", 0, NULL, FLAG_CABF,
	    "the responder must follow the CA/B Forum BRs: validity also at\n"
	    "least 8 hours (at most 10 days always)"),
	CLI_FLAG("threads", 'j', "N", FLAG_THREADS,
	    "threads (default: one per core; four per core with --url, --store)"),
	CLI_FLAG("timeout", 0, "DUR", FLAG_TIMEOUT,
	    "with --url or --store: per request (default 10s)"),
	CLI_FLAG("json", 0, NULL, FLAG_JSON, "findings and summary as one JSON document"),
	CLI_FLAG("help-config", 0, NULL, FLAG_HELP_CONFIG, "list every configuration key"),
	CLI_FLAG("help", 'h', NULL, FLAG_HELP, "this text"),
	CLI_FLAG("version", 'V', NULL, FLAG_VERSION, "version"),
	/* ocsp-audit(8)'s OPTIONS, written by the build from this table. */
	CLI_HIDDEN("help-man", "options", FLAG_HELP_MAN),
	CLI_END
};

#define HELP_COLUMN 24

static const char usage_head[] =
"Usage: ocsp-audit --config FILE [--tree DIR | --url URL] [options]\n"
"       ocsp-audit --tree DIR --issuer CA.pem --index FILE [options]\n"
"       ocsp-audit --url URL --issuer CA.pem --index FILE [options]\n"
"       ocsp-audit --config FILE --store upload|s3://BUCKET/PREFIX|URL [options]\n"
"\n"
"Checks every response of every CA: strict DER with one SingleResponse, the\n"
"CertID of its place and request, a signature by a signer the CA authorised\n"
"(RFC 6960 4.2.2.2) valid at producedAt and now, thisUpdate not ahead,\n"
"nextUpdate not past, age within refresh + slack, validity within the CA/B\n"
"Forum bounds, the status, time and reason of the source; certificates\n"
"without a response and responses without a certificate. With --url, also\n"
"never-issued serials (never good) and the HTTP headers. One line per\n"
"finding: KIND: ca NAME, serial SERIAL, LOCATION: WHAT.\n"
"\n";

static const char usage_tail[] =
"\n"
"Exit status (the highest that applies): 0 clean; 1 usage or configuration\n"
"error, nothing checked; 2 something could not be checked (a source, a CA,\n"
"a file, a fetch); 3 policy: too old, validity out of bounds, HTTP headers;\n"
"4 coverage: a certificate without a response, a stray file; 5 expired or\n"
"not yet valid; 6 says other than the source, or good for a never-issued\n"
"serial; 7 malformed, wrong CertID, bad or unauthorised signature.\n";

static void print_line(const char *text, void *arg)
{
	fprintf(arg, "%s\n", text);
}

static void usage(FILE *f)
{
	fputs(usage_head, f);
	cli_describe(flags, HELP_COLUMN, print_line, f);
	fputs(usage_tail, f);
}

static int duration_flag(const char *name, const char *v, int64_t max, int64_t *out,
    struct err *e)
{
	if (duration_parse(v, 's', out) != 0 || *out < 0 || *out > max)
		return err_set(e, "--%s: '%s' is not a duration up to %lld s", name, v,
		    (long long)max);
	return 0;
}

static int number_flag(const char *name, const char *v, int64_t max, int64_t *out,
    struct err *e)
{
	char *end;
	long long n = strtoll(v, &end, 10);

	if (end == v || *end != '\0' || n < 0 || n > max)
		return err_set(e, "--%s: '%s' is not a number from 0 to %lld", name, v,
		    (long long)max);
	*out = n;
	return 0;
}

static int on_flag(void *arg, int id, const char *v, struct err *e)
{
	struct options *o = arg;

	switch (id) {
	case FLAG_URL: o->url = v; return 0;
	case FLAG_STORE: o->store = v; return 0;
	case FLAG_METHOD:
		o->get = strcmp(v, "get") == 0 || strcmp(v, "both") == 0;
		o->post = strcmp(v, "post") == 0 || strcmp(v, "both") == 0;
		return o->get || o->post ? 0 :
		    err_set(e, "--method: '%s' is not one of get, post, both", v);
	case FLAG_PROBES: return number_flag("probes", v, 1000, &o->probes, e);
	case FLAG_SKEW: return duration_flag("skew", v, 86400, &o->skew, e);
	case FLAG_SLACK: return duration_flag("slack", v, 10 * 86400, &o->slack, e);
	case FLAG_CABF: o->cabf = 1; return 0;
	case FLAG_THREADS: return number_flag("threads", v, 1024, &o->threads, e);
	case FLAG_TIMEOUT: return duration_flag("timeout", v, 3600, &o->timeout, e);
	case FLAG_JSON: o->json = 1; return 0;
	case FLAG_HELP_MAN:
		o->man = v;
		/* fall through */
	case FLAG_HELP_CONFIG:
	case FLAG_HELP:
	case FLAG_VERSION:
		o->answer = id;
		return CLI_STOP;
	}
	return err_set(e, "internal: flag %d has no case", id);
}

/* Returns 0, or -1 when --help-man could not be answered (and says so). */
static int answer(const struct options *o)
{
	struct err e;

	switch (o->answer) {
	case FLAG_HELP: usage(stdout); break;
	case FLAG_HELP_CONFIG: config_describe(print_line, stdout); break;
	case FLAG_VERSION: printf("ocsp-audit %s\n", ocsp_version()); break;
	case FLAG_HELP_MAN:
		if (man_print(o->man, flags, print_line, stdout, &e) != 0) {
			fprintf(stderr, "ocsp-audit: %s\n", e.msg);
			return -1;
		}
		break;
	}
	return 0;
}

/* Returns 0 to go on, 1 when --help or the like was answered, -1 when the
 * command line is wrong (and says so). */
static int parse_args(int argc, char **argv, struct cli *cli, struct options *o)
{
	struct err e;
	int single, r;

	memset(o, 0, sizeof(*o));
	o->get = o->post = 1;
	o->probes = 4;
	o->skew = 300;
	o->slack = 6 * 3600;
	o->timeout = 10;
	r = cli_parse(cli, flags, argc, argv, on_flag, o, &e);
	if (r == CLI_STOP)
		return answer(o) == 0 ? 1 : -1;
	if (r != 0) {
		fprintf(stderr, "ocsp-audit: %s\n", e.msg);
		if (r == CLI_EUSAGE)
			usage(stderr);
		return -1;
	}
	single = cli_given(cli, CLI_CA_DEFAULT);
	if (cli->config != NULL && single) {
		fprintf(stderr, "ocsp-audit: give CAs either in --config or with "
		    "--issuer/--index (or another source flag), not both\n");
		return -1;
	}
	if (cli->config == NULL && !single) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static void warn_ca(void *arg, const char *msg)
{
	log_warn("ca %s: %s", (const char *)arg, msg);
}

int audit_ca_load(struct audit_ca *a, const struct ca_conf *conf, const char *cache_dir,
    int64_t now, struct err *e)
{
	struct source_warn sw = { warn_ca, (void *)conf->name };
	struct source_conf sc;
	struct source *src = NULL;
	int r;

	memset(a, 0, sizeof(*a));
	a->conf = conf;
	a->name = conf->name;
	a->refresh = conf->refresh;
	a->algs = (unsigned)conf->hashes | 1u << HASH_SHA1;
	status_list_init(&a->recs);
	pthread_mutex_init(&a->lock, NULL);
	if (ca_open(conf->issuer, &a->ca, e) != 0)
		return -1;
	a->key = X509_get0_pubkey(a->ca->issuer);
	/* byKey of the CA's own responses: the SHA-1 CertID key hash. */
	memcpy(a->key_sha1, a->ca->hash[HASH_SHA1].key, sizeof(a->key_sha1));
	source_conf_of_ca(&sc, conf, cache_dir, a->ca->issuer, &sw);
	if (source_open(&sc, &src, e) != 0)
		return -1;
	r = source_read(src, now, &a->recs, e);
	/* A CRL alone names only what is revoked; with the issued list it,
	 * like an index or a database, names every certificate. */
	a->source_lists_all = source_kind_of(src) != SOURCE_CRL || conf->issued != NULL;
	source_close(src);
	a->loaded = r == 0;
	return r;
}

void audit_ca_fini(struct audit_ca *a)
{
	ca_free(a->ca);
	status_list_fini(&a->recs);
	pthread_mutex_destroy(&a->lock);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static unsigned thread_count(const struct options *o)
{
	long n = o->threads > 0 ? (long)o->threads : sysconf(_SC_NPROCESSORS_ONLN);

	/* Requests mostly wait on the network: more threads than cores. */
	if (o->threads == 0 && (o->url != NULL || o->store != NULL))
		n *= 4;
	return n > 0 ? (unsigned)n : 1;
}

static int run_mode(struct audit_run *r, const struct config *c, const struct options *o,
    struct err *e)
{
	struct upload_opts uo;
	const char *target = o->store;

	if (o->url != NULL)
		return audit_url(r, e);
	if (target == NULL)
		return audit_tree(r, e);
	if (strcmp(target, "upload") == 0 && (target = c->upload) == NULL)
		return err_set(e, "--store upload: the configuration has no 'upload' target");
	upload_opts_from_config(c, target, &uo);
	return audit_store(r, &uo, e);
}

static int audit(const struct config *c, const struct options *o)
{
	struct audit_run r;
	struct timespec t0;
	struct err e;
	int status = AUDIT_EXIT_USAGE;

	memset(&r, 0, sizeof(r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r.ncas = c->ncas;
	r.cas = calloc(c->ncas + 1, sizeof(*r.cas));
	r.out = audit_out_new(stdout, o->json);
	if (r.cas == NULL || r.out == NULL)
		goto out;
	r.tree = c->tree;
	r.url = o->url;
	r.get = o->get;
	r.post = o->post;
	r.probes = (unsigned)o->probes;
	r.timeout = o->timeout > 0 ? o->timeout : 1;
	r.threads = thread_count(o);
	r.policy.now = (int64_t)time(NULL);
	r.policy.skew = o->skew;
	r.policy.slack = o->slack;
	r.policy.br = o->cabf;
	for (size_t i = 0; i < c->ncas; i++)
		if (audit_ca_load(&r.cas[i], &c->cas[i], c->cache_dir, r.policy.now, &e) != 0) {
			/* The message names the source or the issuer file. */
			audit_out_finding(r.out, c->cas[i].name, NULL, NULL, AUDIT_UNCHECKED, e.msg);
			status_list_fini(&r.cas[i].recs);
			status_list_init(&r.cas[i].recs);	/* nothing to check */
			r.cas[i].algs = 0;
		}
	source_env_wipe(c);
	if (run_mode(&r, c, o, &e) != 0) {
		fprintf(stderr, "ocsp-audit: %s\n", e.msg);
		audit_out_finding(r.out, NULL, NULL, o->url ? o->url : o->store ? o->store : c->tree,
		    AUDIT_UNCHECKED, e.msg);
	}
	status = audit_out_finish(r.out, seconds_since(&t0));
out:
	for (size_t i = 0; r.cas && i < c->ncas; i++)
		audit_ca_fini(&r.cas[i]);
	free(r.cas);
	audit_out_free(r.out);
	return status;
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct options o;
	struct config c;
	struct err e;
	int r, status = AUDIT_EXIT_USAGE;

	log_init("ocsp-audit", 0, LOG_LVL_INFO);
	r = parse_args(argc, argv, &cli, &o);
	if (r != 0) {
		status = r > 0 ? AUDIT_EXIT_CLEAN : AUDIT_EXIT_USAGE;
		goto out;
	}
	if (cli_apply(&cli, &c, CONFIG_AUDIT, &e) != 0)
		fprintf(stderr, "ocsp-audit: %s\n", e.msg);
	else if (o.url != NULL && o.store != NULL)
		fprintf(stderr, "ocsp-audit: give --url or --store, not both\n");
	else if (o.url == NULL && o.store == NULL && c.tree == NULL)
		fprintf(stderr, "ocsp-audit: nothing to audit: give --tree DIR, 'tree =' in the "
		    "configuration, or --url URL\n");
	else if (audit_url_init(&e) != 0)
		fprintf(stderr, "ocsp-audit: %s\n", e.msg);
	else
		status = audit(&c, &o);
	config_fini(&c);
out:
	cli_fini(&cli);
	return status;
}
