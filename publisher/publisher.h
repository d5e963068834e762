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
};

struct pub_ca {
	const struct ca_conf *conf;
	struct ca *ca;
	struct status_list recs;	/* the new status, sorted by serial */
	size_t *sign;			/* indexes into recs to sign */
	size_t nsign;
	struct serial *removed;		/* serials gone from the source */
	size_t nremoved;
	size_t unchanged;
	int resign_all;			/* signer, validity or hashes changed */
	unsigned dropped;		/* CertID hashes no longer pre-signed */
	int handle;			/* sink handle of the issuer directory */
	int alg_handle[HASH_COUNT];	/* per pre-signed hash: its directory */
	int bad_input;
	atomic_size_t signed_ok;	/* certificates */
	atomic_size_t signatures;	/* responses: one per pre-signed hash */
	atomic_size_t errors;
	pthread_mutex_t lock;		/* guards first_error */
	char first_error[ERR_MSG_MAX];
};

/* Loads certificates, key and index of one CA; on error sets bad_input. */
int pub_ca_load(struct pub_ca *p, const struct ca_conf *conf, int64_t now,
    struct err *e);
void pub_ca_fini(struct pub_ca *p);

/* Decides what to sign and remove against the tree's status index.
 * force re-signs everything. */
int plan_ca(struct pub_ca *p, const char *tree, int64_t now, int force,
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
    size_t issuers, struct err *e);

/* Progress bar on a terminal. */
struct progress;
struct progress *progress_new(size_t total, int enabled);
void progress_update(struct progress *p, size_t done);
void progress_done(struct progress *p);

#endif
