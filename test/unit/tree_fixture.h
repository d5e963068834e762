/* A response tree made in a test's temp directory the way the publisher
 * makes one: responses signed by layout's response_build, every file
 * written through a temp file and rename(2) (fs_write_atomic), then each
 * issuer.meta, then the root marker. For the tests of the tree reader and
 * of lookupd's answers. Like pki.h, every helper exits the program when
 * the setup fails, since no test can go on. */
#ifndef OCSP_TEST_TREE_FIXTURE_H
#define OCSP_TEST_TREE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/ca.h"
#include "ocsp/certid.h"
#include "ocsp/signer.h"
#include "ocsp/status.h"
#include "pki.h"

/* A self-signed CA that signs its own responses. */
struct fx_ca {
	EVP_PKEY *key;
	X509 *cert;
	const char *cert_path, *key_path;	/* PEM files (the caller's paths) */
	struct ca *ca;				/* with the CA as its signer */
	struct signer_ctx *sc;
};

/* Makes the CA (valid from now - 1 day for a year) and writes its PEM
 * files to cert_path and key_path. */
void fx_ca_make(struct fx_ca *c, const char *cn, int64_t now, const char *cert_path,
    const char *key_path);
void fx_ca_free(struct fx_ca *c);

/* The status of one certificate in a response. */
struct fx_single {
	long serial;
	enum hash_alg alg;
	enum cert_status status;
	int64_t revoked_at;			/* when status is CERT_REVOKED */
};

/* A signed response with n SingleResponses, valid from this_update to
 * next_update; malloc'd DER, its length in *len. */
uint8_t *fx_response(const struct fx_ca *c, const struct fx_single *s, size_t n,
    int64_t this_update, int64_t next_update, size_t *len);
/* The common case: one good or revoked certificate. */
uint8_t *fx_response1(const struct fx_ca *c, enum hash_alg alg, long serial,
    enum cert_status status, int64_t this_update, int64_t next_update, size_t *len);

/* Writes data as "<dir>/<name>" through a temp file and rename. */
void fx_write(const char *dir, const char *name, const void *data, size_t len);
/* The path of the response file for serial (alg's place in c's issuer
 * directory); out holds TREE_PATH_MAX bytes. */
void fx_response_path(char *out, const char *root, const struct fx_ca *c,
    enum hash_alg alg, long serial);
/* Writes data as the response file of serial in c's issuer directory
 * (creating the directories), atomically. */
void fx_put(const char *root, const struct fx_ca *c, enum hash_alg alg, long serial,
    const void *data, size_t len);
/* The issuer directory's path; out holds TREE_PATH_MAX bytes. */
void fx_issuer_dir(char *out, const char *root, const struct fx_ca *c);
/* issuer.meta for c (hashes from ca_open, all four), with files for the
 * CertID hashes in presigned (bit per enum hash_alg). */
void fx_issuer_meta(const char *root, const struct fx_ca *c, unsigned presigned,
    uint64_t generation);
/* The root marker, written last. */
void fx_marker(const char *root, uint64_t generation, uint64_t issuers);

/* The whole file a path names (malloc'd), its length in *len. */
uint8_t *fx_read(const char *path, size_t *len);

/* Removes root and everything below it (for the end of a test). */
void fx_rmtree(const char *root);

#endif
