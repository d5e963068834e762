/* The response tree: names and metadata files (see layout/TREE.md, the
 * public description that CDNs, rsync and other tools rely on).
 *
 *   <tree>/generation              root marker, written last by each run
 *   <tree>/<issuer>/<SERIAL>       DER OCSPResponse, SHA-1 CertID
 *   <tree>/<issuer>/issuer.meta    maps CertID hashes to this directory
 *   <tree>/<issuer>/status.idx     what was signed (status index)
 *   <tree>/get/<GET key>           the same responses under the paths of
 *                                  clients' GET requests (get_key.h)
 */
#ifndef OCSP_TREE_H
#define OCSP_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/certid.h"
#include "ocsp/err.h"
#include "ocsp/serial.h"
#include "ocsp/shard.h"

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
	unsigned get_keys;		/* CertID hashes with GET keys under get/ */
	char signer_fpr[65];
	char signer_subject[256];
	char signer_name[64];		/* its [signer NAME], "" for a CA's own */
	int64_t signer_expires;		/* its notAfter */
	/* When it first signed for this CA; the newest thisUpdate of a
	 * response the signers before it signed (those are re-signed, spread
	 * over the time the previous one has left); when that one expires.
	 * 0: not known. */
	int64_t signer_since;
	int64_t previous_signer_until;
	int64_t previous_signer_expires;
	int64_t validity, refresh, backdate;
	uint64_t generation;
	int64_t published;
	uint64_t count;
	struct shard shard;		/* the part of a sharded run; n 0: none */
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
	/* A sharded run's part ("shard = K/N", absent otherwise): the tree
	 * holds only that part of every CA. n 0: not sharded. */
	struct shard shard;
};

int tree_marker_format(const struct tree_marker *m, char *buf, size_t cap,
    size_t *len, struct err *e);
int tree_marker_parse(const char *text, struct tree_marker *m, struct err *e);
/* Returns 0, 1 when the tree has no marker yet, -1 on error. */
int tree_marker_read(const char *tree, struct tree_marker *m, struct err *e);

/* ---- names and paths: the one place a tree path is made ---- */

/* An issuer directory is the lowercase hex SHA-1 of the issuer's key. */
#define TREE_ISSUER_DIR_LEN 40
/* Every path into a tree fits in this, root included. */
#define TREE_PATH_MAX 4096
/* The longest name below the root: "<issuer>/sha512/<SERIAL>". */
#define TREE_REL_MAX (TREE_ISSUER_DIR_LEN + 1 + 6 + 1 + SERIAL_NAME_MAX)
/* So a root may be this long at most. */
#define TREE_ROOT_MAX (TREE_PATH_MAX - 1 - TREE_REL_MAX - 1)

/* Non-zero when name is an issuer directory name (40 lowercase hex). */
int tree_issuer_dir_valid(const char *name);
/* The directory name of the issuer whose key hashes (SHA-1) to key_sha1. */
void tree_issuer_dir(char out[TREE_ISSUER_DIR_LEN + 1], const uint8_t key_sha1[20]);

/* Builds "<root>/<issuer>/<hash>/<name>" into out (cap bytes, at most
 * TREE_PATH_MAX is ever needed) and returns its length, or -1 when a part
 * is not a tree name or the path does not fit. Parts may be left out:
 * root NULL gives a path relative to the root (for sinks), issuer NULL a
 * file at the root, alg HASH_SHA1 or -1 the issuer directory itself (the
 * other CertID hashes have a subdirectory each), name NULL the directory.
 * name must be one path component other than "." and "..". */
int tree_path(char *out, size_t cap, const char *root, const char *issuer, int alg,
    const char *name);
/* The path of the response file for serial s with CertID hash alg. */
int tree_response_path(char *out, size_t cap, const char *root, const char *issuer,
    int alg, const struct serial *s);

#endif
