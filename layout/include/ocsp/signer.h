/* The signer: the only holder of private keys.
 *
 * Loads a signer's certificates and its key once (a PEM file, plain or
 * encrypted, or a key on a PKCS#11 token named by an RFC 7512 URI), checks
 * that they belong together, and signs bytes through per-thread contexts.
 * Callers never see the key; it is never logged or written, and file
 * contents, passphrases and PINs are wiped from memory after loading.
 *
 * The signer set loads every signer a configuration's CAs may use, each
 * once however many CAs share it; which of a CA's signers signs is the
 * CA's choice (ca.h). */
#ifndef OCSP_SIGNER_H
#define OCSP_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ocsp/config.h"
#include "ocsp/err.h"

/* Largest signature any supported key makes (RSA 16384 bits). */
#define SIGNER_MAX_SIG 2048
/* Longest AlgorithmIdentifier a signer writes (RSASSA-PSS with its
 * parameters). */
#define SIGNER_ALGID_MAX 80
/* Certificates in one signer's file: a key serving a hundred CAs, each
 * with a renewal under way. */
#define SIGNER_CERTS_MAX 256

struct signer;
struct signer_ctx;

/* Loads the signer sc describes; default_module is the PKCS#11 module for
 * a pkcs11: key that names none (NULL: p11-kit's proxy). *warning (size
 * bytes) gets a non-fatal finding, "" if none. */
int signer_load(const struct signer_conf *sc, const char *default_module,
    struct signer **out, char *warning, size_t size, struct err *e);
/* A plain PEM certificate and key, with the defaults of every setting
 * (for tests and tools). */
int signer_load_pem(const char *cert_path, const char *key_path,
    struct signer **out, struct err *e);
void signer_free(struct signer *s);

/* The signer's certificates (owned by the signer): the file may hold
 * several for the one key, one per CA it serves or a renewal, each
 * checked against the key. signer_cert is the first. */
X509 *signer_cert(const struct signer *s);
size_t signer_cert_count(const struct signer *s);
X509 *signer_cert_at(const struct signer *s, size_t i);
/* DER AlgorithmIdentifier of the signatures this signer makes:
 * sha256WithRSAEncryption or RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte
 * salt) for RSA, ecdsa-with-SHA256/384/512 by curve, or Ed25519. */
const uint8_t *signer_algid(const struct signer *s, size_t *len);
/* A short description such as "ECDSA P-256" or "RSA 2048 PSS, PKCS#11"
 * for messages. */
const char *signer_key_desc(const struct signer *s);
/* Where it came from, for messages: "signer NAME" or the certificate's
 * file. */
const char *signer_source(const struct signer *s);
/* Its configuration (owned by the caller of signer_load). */
const struct signer_conf *signer_conf_of(const struct signer *s);
/* Non-zero when the key is on a PKCS#11 token. */
int signer_on_token(const struct signer *s);

/* One context per thread; the signer must outlive its contexts. */
struct signer_ctx *signer_ctx_new(const struct signer *s, struct err *e);
void signer_ctx_free(struct signer_ctx *c);

/* Signs tbs into sig (SIGNER_MAX_SIG bytes); *sig_len gets the length. */
int signer_sign(struct signer_ctx *c, const uint8_t *tbs, size_t tbs_len,
    uint8_t *sig, size_t *sig_len, struct err *e);

/* ---- every signer of a configuration ---- */

struct signer_set;

/* Loads every signer some CA of c may use. A signer that cannot be loaded
 * is no error here: its CAs find the reason with signer_set_find and go
 * on with their other signers. warn (may be NULL) is told about non-fatal
 * findings. Environment variables that held passphrases are wiped. */
int signer_set_load(const struct config *c, void (*warn)(void *arg, const char *msg),
    void *arg, struct signer_set **out, struct err *e);
void signer_set_free(struct signer_set *set);
/* The loaded signer for sc, or NULL with e saying why it could not be. */
struct signer *signer_set_find(const struct signer_set *set, const struct signer_conf *sc,
    struct err *e);

#endif
