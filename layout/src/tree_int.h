/* Internals of the tree reader shared by its two files: the issuer table
 * (tree_issuers.c) and the response cache (tree_reader.c). */
#ifndef OCSP_TREE_INT_H
#define OCSP_TREE_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ocsp/certid.h"
#include "ocsp/request.h"

/* Bounds one scan of the root, whatever is found there. */
#define TREE_MAX_ISSUERS 65536
/* Room for root + "/<40 hex>/sha512/<64 hex>". */
#define TREE_PATH_MAX 4096

/* Where warnings about the tree go: the root they are about and the
 * reader's optional callback. */
struct tree_warn {
	const char *root;
	void (*warn)(void *arg, const char *msg);
	void *arg;
};

void tree_warnf(const struct tree_warn *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct issuer {
	char dir[41];			/* validated 40-hex directory name */
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

/* Scans the root into a new table (one reference held by the caller). A
 * missing root gives an empty table; any other failure gives NULL, so that
 * the old table stays in use. */
struct issuer_table *issuer_table_build(const struct tree_warn *w);
void issuer_table_free(struct issuer_table *tab);
/* Drops a reference; the last one frees the table. */
void issuer_table_put(struct issuer_table *tab);
/* The issuer whose name and key hashes for the CertID's algorithm match. */
const struct issuer *issuer_table_find(const struct issuer_table *tab,
    const struct req_certid *id);

#endif
