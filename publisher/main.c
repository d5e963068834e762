/* ocsp-publisher: signs one OCSP response per certificate for any number
 * of CAs and publishes them as a tree of files (layout/TREE.md). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ocsp/ca.h"
#include "ocsp/certid.h"
#include "ocsp/cli.h"
#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/fetch.h"
#include "ocsp/log.h"
#include "ocsp/manpage.h"
#include "ocsp/purge.h"
#include "ocsp/serial.h"
#include "ocsp/signer.h"
#include "ocsp/sink.h"
#include "ocsp/source.h"
#include "ocsp/status.h"
#include "ocsp/timefmt.h"
#include "ocsp/tree.h"
#include "ocsp/upload.h"

#include "publisher.h"
#include "ops.h"

struct options {
	int check, dry_run, force, quiet, progress;
	int answer;		/* --help, --help-config or --version: print it, exit 0 */
	const char *man;	/* --help-man's argument (points into argv) */
	int journal_verify, has_serial;	/* --journal-verify [--serial HEX] */
	struct serial serial;
};

enum { FLAG_CHECK = 1, FLAG_DRY_RUN, FLAG_FORCE, FLAG_QUIET, FLAG_NO_PROGRESS,
	FLAG_HELP_CONFIG, FLAG_HELP, FLAG_VERSION,
	FLAG_HELP_MAN, FLAG_JOURNAL_VERIFY, FLAG_SERIAL };

/* Every flag, in the order --help lists them. A single-CA flag sets its
 * key in [ca default], as a [ca NAME] section of a file would. */
static const struct cli_flag flags[] = {
	CLI_CONFIG_FILE("config", 'c', "FILE", "configuration with one [ca NAME] section per CA"),
	CLI_SOURCE_FLAGS,
	CLI_CA("issuer", "FILE", "issuer", "PEM certificate of the issuing CA"),
	CLI_CA("signer", "FILE", "signer",
	    "PEM signer certificate (the CA or a delegated responder);\n"
	    "repeat --signer/--key pairs for several (rollover)"),
	CLI_CA("key", "FILE|URI", "key",
	    "its private key: a PEM file, or a pkcs11: URI (RFC 7512)"),
	CLI_CA("key-passphrase-file", "FILE", "key_passphrase_file",
	    "passphrase of an encrypted PEM key"),
	CLI_CA("pin-file", "FILE", "pin_file", "user PIN of a PKCS#11 key"),
	CLI_KEY("pkcs11-module", 0, "PATH", "", "pkcs11_module",
	    "PKCS#11 module (default: p11-kit's proxy)"),
	CLI_CA("validity", "DAYS", "validity",
	    "nextUpdate - thisUpdate (default 4, at most 10; or 12h, 90m)"),
	CLI_CA("refresh", "DUR", "refresh",
	    "re-sign responses this old (default half the validity)"),
	CLI_CA("backdate", "DUR", "backdate",
	    "thisUpdate before signing time, for clock skew (default 1h)"),
	CLI_KEY("out", 'o', "DIR|URL", "", "tree",
	    "the response tree (overrides 'tree' in the configuration); an\n"
	    "s3:// or http(s):// URL uploads there, with --state as the tree"),
	CLI_KEY("state", 0, "DIR", "", "state_dir",
	    "the local tree when --out is a URL"),
	CLI_KEY("upload", 0, "URL", "publisher", "upload",
	    "after publishing, mirror the tree to s3://bucket/prefix or an\n"
	    "http(s):// WebDAV origin (only what changed is sent)"),
	CLI_S3_FLAGS,
	CLI_KEY("upload-concurrency", 0, "N", "publisher", "upload_concurrency",
	    "uploads in flight at once (default 16)"),
	CLI_KEY_SET("get-keys", 0, "publisher", "get_keys", "yes",
	    "also store responses under get/, at the paths of clients'\n"
	    "GET requests (serve the tree with any web server)"),
	CLI_KEY("purge", 0, "URL", "publisher", "purge",
	    "after publishing, purge what changed status from the cache\n"
	    "at URL (Varnish, a caching nginx: PURGE per GET URL)"),
	CLI_KEY("purge-preset", 0, "NAME", "publisher", "purge_preset",
	    "or a CDN's API: cloudflare, fastly or akamai"),
	CLI_KEY("purge-base", 0, "URL", "publisher", "purge_base",
	    "public responder URL(s) as in the AIA, for the GET URLs"),
	CLI_KEY("shard", 0, "K/N", "publisher", "shard",
	    "publish only shard K of N (by serial), each shard with its own\n"
	    "local tree, into one upload target (TREE.md, Shards)"),
	CLI_KEY("threads", 'j', "N", "publisher", "threads",
	    "signing threads (default: one per core)"),
	CLI_KEY("metrics-file", 0, "PATH", "publisher", "metrics_file",
	    "after the run, write Prometheus metrics to PATH (atomically;\n"
	    "for node_exporter's textfile collector, name it *.prom)"),
	CLI_FLAG("journal-verify", 0, NULL, FLAG_JOURNAL_VERIFY,
	    "check the audit journal's hash chain (TREE/.journal) and list\n"
	    "its runs; publishes nothing"),
	CLI_FLAG("serial", 0, "HEX", FLAG_SERIAL,
	    "with --journal-verify: what each run signed or removed for\n"
	    "this serial (hex, as openssl x509 -serial prints it)"),
	CLI_FLAG("check", 'n', NULL, FLAG_CHECK,
	    "check configuration, certificates, keys and indexes; sign nothing"),
	CLI_FLAG("dry-run", 0, NULL, FLAG_DRY_RUN,
	    "sign what is due but write nothing (to measure signing)"),
	CLI_FLAG("force", 0, NULL, FLAG_FORCE, "re-sign every response"),
	CLI_FLAG("quiet", 'q', NULL, FLAG_QUIET, "print errors only"),
	CLI_FLAG("no-progress", 0, NULL, FLAG_NO_PROGRESS, "no progress bar even on a terminal"),
	CLI_FLAG("help-config", 0, NULL, FLAG_HELP_CONFIG, "list every configuration key"),
	CLI_FLAG("help", 'h', NULL, FLAG_HELP, "this text"),
	CLI_FLAG("version", 'V', NULL, FLAG_VERSION, "version"),
	/* The build's: the manual's OPTIONS or ocsp.conf(5)'s keys, in roff. */
	CLI_HIDDEN("help-man", "options|config", FLAG_HELP_MAN),
	CLI_END
};

#define HELP_COLUMN 24

static const char usage_head[] =
"Usage: ocsp-publisher --config FILE [options]\n"
"       ocsp-publisher --index FILE --issuer CA.pem --signer SIGNER.pem --key KEY.pem\n"
"                      --out DIR [--validity DAYS] [options]\n"
"\n"
"Signs one OCSP response per certificate of each CA and publishes them into\n"
"DIR/<issuer key SHA-1>/<SERIAL> (see layout/TREE.md). Incremental: only new,\n"
"changed or ageing responses are signed; gone certificates are removed.\n"
"\n";

static const char usage_tail[] =
"\n"
"Exit status: 0 everything published; 1 usage or configuration error, nothing\n"
"done; 2 a CA's input was bad (that CA left as it was, the others published);\n"
"3 writing, signing or uploading failed (the tree holds only complete\n"
"responses; run again); 4 another run is publishing into the same tree;\n"
"5 published, but CDN purges failed (kept in TREE/.purge-pending, sent again\n"
"by the next run). --journal-verify: 0 the chain is intact, 2 it is broken\n"
"(each break is printed), 3 the journal cannot be read.\n";

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

static int on_flag(void *arg, int id, const char *value, struct err *e)
{
	struct options *o = arg;

	switch (id) {
	case FLAG_CHECK: o->check = 1; return 0;
	case FLAG_DRY_RUN: o->dry_run = 1; return 0;
	case FLAG_FORCE: o->force = 1; return 0;
	case FLAG_QUIET: o->quiet = 1; return 0;
	case FLAG_NO_PROGRESS: o->progress = 0; return 0;
	case FLAG_JOURNAL_VERIFY: o->journal_verify = 1; return 0;
	case FLAG_SERIAL:
		if (serial_from_hex(&o->serial, value, strlen(value), e) != 0)
			return err_prefix(e, "--serial");
		o->has_serial = 1;
		return 0;
	case FLAG_HELP_MAN:
		o->man = value;
		/* fall through */
	case FLAG_HELP_CONFIG:
	case FLAG_HELP:
	case FLAG_VERSION:
		o->answer = id;	/* at once: later flags are not even looked at */
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
	case FLAG_VERSION: printf("ocsp-publisher %s\n", ocsp_version()); break;
	case FLAG_HELP_MAN:
		if (man_print(o->man, flags, print_line, stdout, &e) != 0) {
			fprintf(stderr, "ocsp-publisher: %s\n", e.msg);
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
	o->progress = 1;
	r = cli_parse(cli, flags, argc, argv, on_flag, o, &e);
	if (r == CLI_STOP)
		return answer(o) == 0 ? 1 : -1;
	if (r != 0) {
		fprintf(stderr, "ocsp-publisher: %s\n", e.msg);
		if (r == CLI_EUSAGE)
			usage(stderr);
		return -1;
	}
	single = cli_given(cli, CLI_CA_DEFAULT);
	if (cli->config != NULL && single) {
		fprintf(stderr, "ocsp-publisher: give CAs either in --config or with "
		    "--index/--issuer/--signer/--key, not both\n");
		return -1;
	}
	if (o->has_serial && !o->journal_verify) {
		fprintf(stderr, "ocsp-publisher: --serial goes with --journal-verify\n");
		return -1;
	}
	if (cli->config == NULL && !single && !o->journal_verify) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int build_config(struct config *c, const struct cli *cli)
{
	struct err e;
	int r = cli_apply(cli, c, CONFIG_PUBLISHER, &e);

	if (r == 0 && c->tree == NULL)
		r = err_set(&e, "no tree directory: give --out DIR or 'tree =' in the "
		    "configuration");
	if (r != 0)
		fprintf(stderr, "ocsp-publisher: %s\n", e.msg);
	return r;
}

/* Warnings about a CA's signers, with the CA's name. */
static void warn_ca(void *arg, const char *msg)
{
	log_warn("ca %s: %s", (const char *)arg, msg);
}

static void warn_plain(void *arg, const char *msg)
{
	log_warn("%s", msg);
}

/* The status, read whole; its source is closed again (a run reads once). */
static int read_status(struct pub_ca *p, const char *cache_dir, int64_t now, struct err *e)
{
	struct source_warn sw = { warn_ca, (void *)p->conf->name };
	struct source_conf sc;
	struct source *src;
	int r;

	source_conf_of_ca(&sc, p->conf, cache_dir, p->ca->issuer, &sw);
	if (source_open(&sc, &src, e) != 0)
		return -1;
	r = source_read(src, now, &p->recs, e);
	p->valid_until = p->conf->crl_bounds_validity ? source_valid_until(src) : INT64_MAX;
	source_close(src);
	return r;
}

int pub_ca_load(struct pub_ca *p, const struct ca_conf *conf, const char *cache_dir,
    const struct signer_set *set, int64_t now, struct err *e)
{
	struct ca_warn w = { warn_ca, (void *)conf->name };

	p->conf = conf;
	p->handle = -1;
	for (int alg = 0; alg < HASH_COUNT; alg++)
		p->alg_handle[alg] = -1;
	status_list_init(&p->recs);
	pthread_mutex_init(&p->lock, NULL);
	atomic_init(&p->signed_ok, 0);
	atomic_init(&p->signatures, 0);
	atomic_init(&p->errors, 0);
	atomic_init(&p->get_written, 0);
	atomic_init(&p->get_unstorable, 0);
	if (ca_load_conf(conf, set, now, &w, &p->ca, e) != 0 ||
	    read_status(p, cache_dir, now, e) != 0) {
		p->bad_input = 1;
		return -1;
	}
	return 0;
}

void pub_ca_fini(struct pub_ca *p)
{
	ca_free(p->ca);
	status_list_fini(&p->recs);
	free(p->sign);
	free(p->changed);
	free(p->removed);
	free(p->der_sha256);
	free(p->der_noted);
	pthread_mutex_destroy(&p->lock);
}

/* A shard reads the whole source and keeps its part: the list stays
 * sorted, and everything after (plan, sign, commit, upload) sees only it. */
static void keep_shard(struct pub_ca *p, const struct shard *sh)
{
	size_t n = 0;

	p->shard = *sh;
	p->source_total = p->recs.n;
	if (sh->n == 0)
		return;
	for (size_t i = 0; i < p->recs.n; i++)
		if (shard_owns(sh, &p->recs.v[i].serial))
			p->recs.v[n++] = p->recs.v[i];
	p->recs.n = n;
}

/* Loads every CA; a bad one is reported and skipped, the others go on. */
static size_t load_cas(struct pub_ca *cas, const struct config *c,
    const struct signer_set *set, int64_t now)
{
	size_t bad = 0;
	struct err e;

	for (size_t i = 0; i < c->ncas; i++) {
		if (pub_ca_load(&cas[i], &c->cas[i], c->cache_dir, set, now, &e) != 0) {
			log_error("ca %s: %s", c->cas[i].name, e.msg);
			bad++;
			continue;
		}
		keep_shard(&cas[i], &c->shard);
	}
	return bad;
}

/* A local tree holds one part: another partition (or none) would merge
 * against a status index of other serials, removing what it does not own
 * and leaving what it now owns to two shards. Refused, before anything is
 * signed; a tree without a marker has never completed a run (its issuers'
 * metadata are checked again by the planner). */
static int check_state_shard(const struct config *c)
{
	char was[SHARD_TEXT_MAX + 1], want[SHARD_TEXT_MAX + 1];
	struct tree_marker m;
	struct err e;
	int r = tree_marker_read(c->tree, &m, &e);

	if (r != 0 || shard_eq(&m.shard, &c->shard))
		return 0;	/* unreadable: next_generation starts over, as before */
	shard_format(&m.shard, was);
	shard_format(&c->shard, want);
	log_error("%s holds %s%s%s, this run is %s%s: each shard needs the local tree of its "
	    "own part. To re-shard, run the old shards a last time, then every new shard "
	    "with a new, empty local tree (--state), and delete the old shards' markers "
	    "from the target (TREE.md, Shards). Nothing was changed.", c->tree,
	    was[0] ? "shard " : "an unsharded tree", was, was[0] ? " of a sharded publication" : "",
	    want[0] ? "shard " : "not sharded", want);
	return -1;
}

/* Two CAs with one key would share a directory and overwrite each other. */
static int check_distinct(const struct pub_ca *cas, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (cas[i].ca && cas[j].ca && strcmp(cas[i].ca->dir, cas[j].ca->dir) == 0) {
				log_error("ca %s and ca %s have the same issuer key; configure it once",
				    cas[i].conf->name, cas[j].conf->name);
				return -1;
			}
	return 0;
}

/* One per core; where a key is on a token, the token's session pool is
 * the limit and more threads than it serves only wait (measured with
 * SoftHSM2 and test/bench/p11sign). */
static unsigned thread_count(const struct config *c, const struct pub_ca *cas)
{
	long n = c->pub_threads > 0 ? (long)c->pub_threads : sysconf(_SC_NPROCESSORS_ONLN);

	if (c->pub_threads == 0)
		for (size_t i = 0; i < c->ncas; i++) {
			const struct ca_signer *cs = cas[i].ca ? ca_signer_now(cas[i].ca) : NULL;
			if (cs != NULL && signer_on_token(cs->signer) && n > TOKEN_THREADS_MAX)
				n = TOKEN_THREADS_MAX;
		}
	return n > 0 ? (unsigned)n : 1;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}


struct run {
	struct config *c;
	const struct options *o;
	struct pub_ca *cas;
	struct sink *sink;
	int64_t now;
	uint64_t generation;
	int failed;
	int committed;		/* the marker is written: the tree is complete */
	double sign_secs;	/* time spent in the signing pool */
	unsigned threads;	/* signing threads */
	struct timespec t0;	/* the run's start */
	struct ops ops;		/* journal and metrics (ops.c) */
};

static void plan_all(struct run *r)
{
	struct err e;

	for (size_t i = 0; i < r->c->ncas; i++) {
		struct pub_ca *p = &r->cas[i];
		if (p->bad_input)
			continue;
		if (plan_ca(p, r->c->tree, r->now, r->o->force, (int)r->c->pub_get_keys, &e) != 0 ||
		    pub_ca_open_dirs(p, r->sink, &e) != 0) {
			log_error("ca %s: %s", p->conf->name, e.msg);
			p->bad_input = 1;
			r->failed = 1;
		}
	}
}

static void commit_all(struct run *r)
{
	struct err e;
	size_t committed = 0;

	if (r->sink->ops->sync(r->sink, &e) != 0) {
		log_error("%s", e.msg);
		r->failed = 1;
		return;
	}
	for (size_t i = 0; i < r->c->ncas; i++) {
		struct pub_ca *p = &r->cas[i];
		if (p->bad_input)
			continue;
		if (atomic_load(&p->errors) > 0) {
			log_error("ca %s: %zu responses failed, first: %s", p->conf->name,
			    atomic_load(&p->errors), p->first_error);
			r->failed = 1;
			continue;
		}
		if (p->nsign == 0 && p->nremoved == 0 && p->dropped == 0 && p->get_dropped == 0) {
			committed++;	/* nothing changed: keep its files as they are */
			continue;
		}
		if (publish_commit_ca(p, r->sink, r->generation, r->now, &e) != 0) {
			log_error("ca %s: %s", p->conf->name, e.msg);
			r->failed = 1;
			continue;
		}
		p->committed = 1;
		committed++;
	}
	/* The journal goes in before the marker: a run killed in between has
	 * its journal, and the marker is never newer than the journal. */
	if (ops_journal_commit(&r->ops, r->c, r->cas, r->failed) != 0)
		r->failed = 1;
	if (publish_commit_tree(r->sink, r->generation, r->now, committed, &r->c->shard,
	    &e) != 0) {
		log_error("%s", e.msg);
		r->failed = 1;
		return;
	}
	r->committed = 1;
}


/* --check: the target parses and its credentials can be read. */
static int upload_check(const struct config *c)
{
	struct upload_opts uo;
	struct upload_target t;
	struct err e;
	int r;

	if (c->upload == NULL)
		return 0;
	upload_opts_from_config(c, c->upload, &uo);
	r = upload_target_open(&uo, &t, &e);
	upload_target_fini(&t);
	if (r != 0)
		log_error("upload: %s", e.msg);
	return r;
}

/* The mirror step, under the tree's lock, once the local tree is complete. */
static void upload_all(struct run *r)
{
	struct upload_opts uo;
	struct upload_counts n;
	struct timespec t0;
	struct err e;
	char shown[FETCH_URL_MAX + 1], marker[SHARD_MARKER_MAX];
	int rc;

	if (r->c->upload == NULL || r->o->dry_run)
		return;
	fetch_url_redact(r->c->upload, shown, sizeof(shown));
	if (!r->committed) {
		log_error("upload %s: not started, the local tree was not completed", shown);
		r->failed = 1;
		return;
	}
	upload_opts_from_config(r->c, r->c->upload, &uo);
	/* Each shard's marker has its own name: one "generation" rewritten by
	 * every shard could only say which one finished last. */
	if (shard_marker_name(&r->c->shard, marker, sizeof(marker)) == 0) {
		uo.marker_name = marker;
		uo.shard = &r->c->shard;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = upload_tree(&uo, r->c->tree, r->now, &n, &e);
	double secs = seconds_since(&t0);
	if (rc != 0) {
		log_error("upload %s: %s", shown, e.msg);
		r->failed = 1;
	}
	if (!r->o->quiet || rc != 0)
		printf("upload %s: %zu uploaded, %zu unchanged, %zu deleted, %zu failed, "
		    "%zu not tried in %.2f s (%.0f uploads/s)%s\n", shown, n.uploaded, n.unchanged,
		    n.deleted, n.failed, n.skipped, secs, secs > 0 ? (double)n.uploaded / secs : 0.0,
		    rc != 0 ? ": incomplete, run again" : "");
	/* Said only when the manifest had to be rebuilt from a listing. */
	if (n.listed > 0 && (!r->o->quiet || rc != 0))
		printf("upload %s: no usable manifest, rebuilt from a listing of %zu objects "
		    "(%zu foreign, left alone)\n", shown, n.listed, n.foreign);
}

static void report_ca(const struct pub_ca *p)
{
	const struct ca_signer *cs = ca_signer_now(p->ca);
	char when[TIMEFMT_ISO_LEN + 1] = "?";

	timefmt_iso(when, sizeof(when), cs->not_after);
	printf("ca %s: %zu signed, %zu unchanged, %zu removed%s%s (%s, signer %s, %s, until %s)\n",
	    p->conf->name, (size_t)atomic_load(&p->signed_ok), p->unchanged, p->nremoved,
	    p->resign_all && p->nsign ? ", all re-signed" : "",
	    p->signer_changed ? ", new signer: re-signing spread" : "", p->ca->dir,
	    signer_source(cs->signer), signer_key_desc(cs->signer), when);
	if (p->shard.n != 0)
		printf("ca %s: shard %u/%u: %zu of %zu certificates\n", p->conf->name,
		    (unsigned)p->shard.k, (unsigned)p->shard.n, p->recs.n, p->source_total);
	if (p->get_algs != 0 || p->get_dropped != 0)
		printf("ca %s: %zu GET keys stored, %zu not storable (a path ending in '/')%s\n",
		    p->conf->name, (size_t)atomic_load(&p->get_written),
		    (size_t)atomic_load(&p->get_unstorable),
		    p->get_dropped ? ", keys of hashes no longer wanted removed" : "");
	if (p->rate_wait > 0.005)
		printf("ca %s: max_sign_rate = %lld made signing threads wait %.2f s in all\n",
		    p->conf->name, (long long)cs->max_sign_rate, p->rate_wait);
}

static void report(const struct run *r, double secs)
{
	size_t ok = 0, sigs = 0, unchanged = 0, removed = 0, errors = 0, bad = 0;

	for (size_t i = 0; i < r->c->ncas; i++) {
		const struct pub_ca *p = &r->cas[i];
		if (p->bad_input) {
			bad++;
			continue;
		}
		ok += atomic_load(&p->signed_ok);
		sigs += atomic_load(&p->signatures);
		unchanged += p->unchanged;
		removed += p->nremoved;
		errors += atomic_load(&p->errors);
		if (!r->o->quiet)
			report_ca(p);
	}
	if (!r->o->quiet)
		printf("%s%zu signed, %zu unchanged, %zu removed, %zu errors, %zu CAs skipped "
		    "in %.2f s (%.0f signatures/s while signing, %u thread%s)\n",
		    r->o->dry_run ? "dry run, nothing written: " : "", ok, unchanged, removed,
		    errors, bad, secs, r->sign_secs > 0 ? (double)sigs / r->sign_secs : 0.0,
		    r->threads, r->threads == 1 ? "" : "s");
}

static int open_sink(struct run *r)
{
	struct err e;
	int busy = 0;

	r->sink = r->o->dry_run ? sink_null_new(&e) : sink_dir_new(r->c->tree, &busy, &e);
	if (r->sink != NULL)
		return EXIT_PUBLISHED;
	log_error("%s", e.msg);
	return busy ? EXIT_BUSY : EXIT_FAILED;
}

static uint64_t next_generation(const char *tree)
{
	struct tree_marker m;
	struct err e;

	return tree_marker_read(tree, &m, &e) == 0 ? m.generation + 1 : 1;
}

static int publish(struct config *c, const struct options *o)
{
	struct run r = { .c = c, .o = o, .now = (int64_t)time(NULL) };
	struct signer_set *set = NULL;
	struct purge *pg = NULL;
	int purge_failed = 0;
	struct timespec t1;
	size_t bad = 0;
	struct err e;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	r.cas = calloc(c->ncas + 1, sizeof(*r.cas));
	if (r.cas == NULL)
		return EXIT_FAILED;
	if (signer_set_load(c, warn_plain, NULL, &set, &e) != 0) {
		log_error("%s", e.msg);
		free(r.cas);
		return EXIT_FAILED;
	}
	bad = load_cas(r.cas, c, set, r.now);
	source_env_wipe(c);
	if (check_distinct(r.cas, c->ncas) != 0) {
		status = EXIT_USAGE;
		goto out;
	}
	if (o->check) {
		if (upload_check(c) != 0)
			bad++;
		if (!o->quiet)
			printf("%zu CAs checked, %zu with errors\n", c->ncas, bad);
		status = bad ? EXIT_BAD_INPUT : EXIT_PUBLISHED;
		goto out;
	}
	/* Before anything is signed: missing credentials stop the run here. */
	if (!o->dry_run && purge_step_open(c, &pg) != 0) {
		status = EXIT_USAGE;
		goto out;
	}
	if (bad == c->ncas && bad > 0) {
		status = EXIT_BAD_INPUT;	/* nothing to publish: leave the tree alone */
		goto out;
	}
	if ((status = open_sink(&r)) != EXIT_PUBLISHED)
		goto out;
	if (check_state_shard(c) != 0) {
		status = EXIT_USAGE;
		goto out;
	}
	r.generation = next_generation(c->tree);
	plan_all(&r);
	if (!o->dry_run && ops_journal_open(&r.ops, c, r.cas, r.generation, r.now) != 0)
		r.failed = 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r.threads = thread_count(c, r.cas);
	if (pool_run(r.cas, c->ncas, r.sink, r.threads, o->progress && !o->quiet, &e) != 0) {
		log_error("%s", e.msg);
		r.failed = 1;
	}
	r.sign_secs = seconds_since(&t1);
	if (!o->dry_run)
		commit_all(&r);
	report(&r, seconds_since(&r.t0));
	if (r.committed)
		ops_after_commit(&r.ops, c, r.cas, o->quiet);
	upload_all(&r);
	/* Purges go out only once the new responses are committed and, with
	 * an upload target, uploaded: else they wait for the run that is. */
	if (pg != NULL && purge_step_run(pg, c, r.cas, r.failed, o->quiet) != 0)
		purge_failed = 1;
	status = r.failed ? EXIT_FAILED : bad ? EXIT_BAD_INPUT :
	    purge_failed ? EXIT_PURGE_FAILED : EXIT_PUBLISHED;
out:
	if (!o->check && !o->dry_run && status != EXIT_USAGE && status != EXIT_BUSY)
		ops_metrics(&r.ops, c, r.cas, &(struct ops_outcome){ status, seconds_since(&r.t0),
		    r.sign_secs, r.committed });
	ops_fini(&r.ops);
	purge_free(pg);
	sink_free(r.sink);
	for (size_t i = 0; i < c->ncas; i++)
		pub_ca_fini(&r.cas[i]);
	free(r.cas);
	signer_set_free(set);
	return status;
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct options o;
	struct config c;
	int r, status = EXIT_USAGE;

	log_init("ocsp-publisher", 0, LOG_LVL_INFO);
	r = parse_args(argc, argv, &cli, &o);
	if (r != 0) {
		status = r > 0 ? EXIT_PUBLISHED : EXIT_USAGE;
		goto out;
	}
	if (build_config(&c, &cli) == 0)
		status = o.journal_verify ? ops_journal_verify(&c, o.quiet,
		    o.has_serial ? &o.serial : NULL) : publish(&c, &o);
	config_fini(&c);
out:
	cli_fini(&cli);
	return status;
}
