/* The response tree: names and metadata files (see layout/TREE.md, the
 * public description that CDNs, rsync and other tools rely on).
 *
 *   <tree>/generation              root marker, written last by each run
 *   <tree>/<issuer>/<SERIAL>       DER OCSPResponse, SHA-1 CertID
 *   <tree>/<issuer>/issuer.meta    maps CertID hashes to this directory
 *   <tree>/<issuer>/status.idx     what was signed (status index)
 */
#ifndef OCSP_TREE_H
#define OCSP_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/certid.h"
#include "ocsp/err.h"

#define TREE_FORMAT 1
#define TREE_MARKER "generation"
#define TREE_ISSUER_META "issuer.meta"
#define TREE_STATUS_INDEX "status.idx"
#define TREE_LOCK ".lock"
#define TREE_IN_PROGRESS ".publishing"
/* Metadata files are small; anything larger is not ours. */
#define TREE_META_MAX 16384

struct issuer_meta {
	int format;
	char name[64];
	char subject[256];
	struct issuer_hash hash[HASH_COUNT];
	unsigned have_hash;		/* bit per enum hash_alg */
	unsigned presigned;		/* CertID hashes the tree holds files for */
	char signer_fpr[65];
	char signer_subject[256];
	int64_t validity, refresh, backdate;
	uint64_t generation;
	int64_t published;
	uint64_t count;
};

/* Writes m as text into buf (cap bytes); *len gets the length. */
int issuer_meta_format(const struct issuer_meta *m, char *buf, size_t cap,
    size_t *len, struct err *e);
/* Parses text (NUL-terminated) into m. Errors name the line. */
int issuer_meta_parse(const char *text, struct issuer_meta *m, struct err *e);
int issuer_meta_read(const char *path, struct issuer_meta *m, struct err *e);

struct tree_marker {
	int format;
	uint64_t generation;
	int64_t published;
	uint64_t issuers;
};

int tree_marker_format(const struct tree_marker *m, char *buf, size_t cap,
    size_t *len, struct err *e);
int tree_marker_parse(const char *text, struct tree_marker *m, struct err *e);
/* Returns 0, 1 when the tree has no marker yet, -1 on error. */
int tree_marker_read(const char *tree, struct tree_marker *m, struct err *e);

/* Non-zero when name is an issuer directory name (40 lowercase hex). */
int tree_issuer_dir_valid(const char *name);

#endif
