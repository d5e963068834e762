/* Internals of the tree reader, shared by its three files:
 *   tree_issuers.c  the issuer table, and its refresh when a publish lands
 *   tree_file.c     mapping and validating one response file
 *   tree_reader.c   the cache of validated files, and the public API */
#ifndef OCSP_TREE_INT_H
#define OCSP_TREE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ocsp/certid.h"
#include "ocsp/fsutil.h"
#include "ocsp/response.h"
#include "ocsp/tree.h"

/* Bounds one scan of the root, whatever is found there. */
#define TREE_MAX_ISSUERS 65536

/* Where warnings about the tree go: the root they are about and the
 * reader's optional callback. */
struct tree_warn {
	const char *root;
	void (*warn)(void *arg, const char *msg);
	void *arg;
};

void tree_warnf(const struct tree_warn *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A check planned for time next is due at now; a clock set back by more
 * than one interval also makes it due, rather than silencing it. */
static inline int tree_due(int64_t now, int64_t next, int64_t interval)
{
	return now >= next || next - now > interval;
}

/* ---- the issuer table (tree_issuers.c) ---- */

struct issuer {
	char dir[TREE_ISSUER_DIR_LEN + 1];	/* validated directory name */
	unsigned have_hash;
	unsigned presigned;
	struct issuer_hash hash[HASH_COUNT];
};

/* Immutable once published; readers hold a reference while they use it. */
struct issuer_table {
	atomic_uint refs;
	uint64_t epoch;			/* bumped by every swap */
	uint64_t generation;
	size_t n;
	struct issuer *v;
	size_t mask;			/* slots per algorithm - 1 */
	uint32_t *slot[HASH_COUNT];	/* index + 1 into v, 0 when empty */
};

/* Drops a reference; the last one frees the table. */
void issuer_table_put(struct issuer_table *tab);
/* The issuer whose name and key hashes for the CertID's algorithm match. */
const struct issuer *issuer_table_find(const struct issuer_table *tab,
    const struct req_certid *id);

/* The table in service, replaced when the root or its marker changes:
 * checked at most every interval, by one thread at a time. */
struct tree_issuers {
	const struct tree_warn *w;
	int64_t interval;
	pthread_mutex_t table_lock;	/* guards taking a reference on table */
	struct issuer_table *table;
	pthread_mutex_t reload_lock;	/* one reloader; guards the sigs and epoch */
	struct file_sig root_sig, marker_sig;
	uint64_t epoch;
	_Atomic int64_t next_check;
};

/* Scans the root once. Returns 0, or -1 (out of memory). */
int tree_issuers_init(struct tree_issuers *s, const struct tree_warn *w,
    int64_t interval, struct err *e);
void tree_issuers_fini(struct tree_issuers *s);
/* The table in service, with a reference; a check that is due is made
 * first unless another thread is making it (lookups never wait for one). */
struct issuer_table *tree_issuers_get(struct tree_issuers *s, int64_t now);
/* The table in service, with a reference, without checking the tree. */
struct issuer_table *tree_issuers_current(struct tree_issuers *s);
/* Checks now, waiting for a check in progress. */
void tree_issuers_refresh(struct tree_issuers *s, int64_t now);

/* ---- one response file (tree_file.c) ---- */

struct tree_file {
	struct file_sig sig;		/* of the file as it was opened */
	void *map;
	size_t map_len;
	struct req_certid id;		/* the CertID the file answers */
	struct signed_response resp;	/* resp.der is the mapping */
};

/* Opens, maps and validates path as the response for id: exactly one
 * SingleResponse, for exactly that CertID, with both update times.
 * Returns TREE_FILE_OK (f mapped), TREE_FILE_NONE when there is no such
 * file, or TREE_FILE_BAD with e saying why; then *lasting tells whether
 * the refusal holds until the file changes (f->sig is set) or may pass by
 * itself (no memory, no descriptor), and f holds no mapping. */
enum tree_file_status { TREE_FILE_OK, TREE_FILE_NONE, TREE_FILE_BAD };

enum tree_file_status tree_file_load(struct tree_file *f, const char *path,
    const struct req_certid *id, int *lasting, struct err *e);
void tree_file_unmap(struct tree_file *f);

#endif
