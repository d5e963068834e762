/* ocsp-publisher internals: one run publishes several CAs in four steps,
 * load (main.c) -> plan (plan.c) -> sign (pool.c) -> commit (publish.c). */
#ifndef PUBLISHER_H
#define PUBLISHER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ocsp/ca.h"
#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/journal.h"
#include "ocsp/sink.h"
#include "ocsp/status.h"
#include "ocsp/tree.h"

/* Exit codes (documented in --help and the README). */
enum pub_exit {
	EXIT_PUBLISHED = 0,
	EXIT_USAGE = 1,		/* usage or configuration error; nothing done */
	EXIT_BAD_INPUT = 2,	/* a CA's input was bad; that CA left untouched */
	EXIT_FAILED = 3,	/* I/O or signing failed; tree holds complete files */
	EXIT_BUSY = 4,		/* another run holds the tree lock */
	EXIT_PURGE_FAILED = 5,	/* published, but CDN purges failed (kept pending) */
};

/* max_sign_rate of one signer, shared by every thread and CA using it. */
struct ratecap {
	int64_t interval_ns;		/* 0: no cap */
	_Atomic int64_t next_ns;	/* when the next signature may start */
};

void ratecap_init(struct ratecap *r, int64_t per_second);
/* Waits for the next slot; returns the nanoseconds waited (r NULL: 0). */
int64_t ratecap_take(struct ratecap *r);

struct pub_ca {
	const struct ca_conf *conf;
	struct ca *ca;
	struct status_list recs;	/* the new status, sorted by serial */
	struct shard shard;		/* this run's part (shard.h); n 0: all */
	size_t source_total;		/* records the source gave, before the shard's cut */
	int64_t valid_until;		/* no nextUpdate later (a CRL's); INT64_MAX: none */
	size_t *sign;			/* indexes into recs to sign */
	size_t nsign;
	struct serial *removed;		/* serials gone from the source */
	size_t nremoved;
	size_t unchanged;
	size_t *changed;		/* indexes into recs whose status changed */
	size_t nchanged;
	int committed;			/* its run is in the tree: purge what changed */
	int resign_all;			/* validity, backdating or hashes changed */
	/* The signer changed (this run or an earlier one) at signer_since:
	 * responses with a thisUpdate up to previous_signer_until (the last
	 * run before) are the previous signer's and are re-signed, each at its
	 * own point in the spread that follows; new ones get a later one. */
	int signer_changed;
	int64_t signer_since, spread;
	int64_t previous_signer_until, previous_signer_expires;
	double rate_wait;		/* seconds max_sign_rate held signing back */
	struct ratecap *cap;		/* its signer's, during pool_run; NULL: none */
	atomic_llong waited_ns;
	unsigned dropped;		/* CertID hashes no longer pre-signed */
	/* GET keys (get_key.h): the hashes to store them for in this run,
	 * those the last run stored, those to remove from every certificate. */
	unsigned get_algs, get_was, get_dropped;
	atomic_size_t get_written;	/* GET key names stored */
	atomic_size_t get_unstorable;	/* GET keys no file can be reached by */
	int handle;			/* sink handle of the issuer directory */
	int alg_handle[HASH_COUNT];	/* per pre-signed hash: its directory */
	int bad_input;
	atomic_size_t signed_ok;	/* certificates */
	atomic_size_t signatures;	/* responses: one per pre-signed hash */
	atomic_size_t errors;
	pthread_mutex_t lock;		/* guards first_error */
	char first_error[ERR_MSG_MAX];
	/* For the audit journal (publish.c): per planned signature (sign[i],
	 * each pre-signed hash in enum order) the SHA-256 of the response
	 * stored, and per sign[i] the hashes stored. NULL: no journal. */
	uint8_t (*der_sha256)[JOURNAL_SHA256_LEN];
	uint8_t *der_noted;
	unsigned der_nalgs;
};

/* Most signing threads by default (threads = 0) when a key is on a
 * PKCS#11 token: libp11's pool holds 16 sessions per slot, and a 17th
 * thread only waits for one. Below that, one per core as for PEM keys:
 * test/bench/p11sign on SoftHSM2 (2 cores) gives 1.6x (EC) and 1.9x (RSA)
 * the one-thread rate with 2 threads, and no more with 4 or 8. */
#define TOKEN_THREADS_MAX 16

/* Loads certificates, signers (from set) and the status of one CA (from
 * its source; cache_dir for fetched CRLs, may be NULL); on error sets
 * bad_input. */
int pub_ca_load(struct pub_ca *p, const struct ca_conf *conf, const char *cache_dir,
    const struct signer_set *set, int64_t now, struct err *e);
void pub_ca_fini(struct pub_ca *p);

/* Decides what to sign and remove against the tree's status index.
 * force re-signs everything; get_keys: store GET keys for every
 * pre-signed hash. */
int plan_ca(struct pub_ca *p, const char *tree, int64_t now, int force, int get_keys,
    struct err *e);

/* Signs every planned record of every CA on nthreads threads, storing
 * each response through sink. progress: draw a progress bar on stderr. */
int pool_run(struct pub_ca *cas, size_t ncas, struct sink *sink,
    unsigned nthreads, int progress, struct err *e);

/* Opens the issuer directory and one per extra CertID hash ("sha256/"). */
int pub_ca_open_dirs(struct pub_ca *p, struct sink *sink, struct err *e);

/* Commits a CA after signing: removals, status index, issuer metadata. */
int publish_commit_ca(struct pub_ca *p, struct sink *sink, uint64_t generation,
    int64_t now, struct err *e);
/* Writes the root marker, last. */
int publish_commit_tree(struct sink *sink, uint64_t generation, int64_t now,
    size_t issuers, const struct shard *shard, struct err *e);

/* The audit journal of a run (publish.c, JOURNAL.md). prepare: room for
 * the hashes of what p will sign (after plan_ca). note: called by the
 * signing thread for each response stored. write: p's signed, removed and
 * ca lines, signed lines only for certificates whose every response was
 * stored; result is p's enum journal_result. */
int publish_journal_prepare(struct pub_ca *p, struct err *e);
void publish_journal_note(struct pub_ca *p, const struct status_rec *r, int alg,
    const uint8_t *der, size_t len);
int publish_journal_write(struct journal_writer *w, const struct pub_ca *p, int result,
    struct err *e);
/* p's enum journal_result once commit_all has run. */
int publish_ca_result(const struct pub_ca *p);

/* CDN purges (purge_step.c). purge_step_open: *out NULL when no purge is
 * configured; -1 (logged) for a configuration that cannot work. */
struct purge;
int purge_step_open(const struct config *c, struct purge **out);
/* After the commit (and the upload): queues what changed status in
 * committed CAs (and every certificate removed from their source), and
 * the pending file's items, sends them, keeps what
 * failed. hold: the upload failed, so everything is kept for a later run
 * instead. Returns 0, or -1 when some purge failed or was held (logged,
 * counted in the summary). */
int purge_step_run(struct purge *pg, const struct config *c, const struct pub_ca *cas,
    int hold, int quiet);

/* Progress bar on a terminal. */
struct progress;
struct progress *progress_new(size_t total, int enabled);
void progress_update(struct progress *p, size_t done);
void progress_done(struct progress *p);

#endif
