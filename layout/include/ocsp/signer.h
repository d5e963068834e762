/* The signer: the only holder of private keys.
 *
 * Loads a signer certificate and its key once, and signs bytes through
 * per-thread contexts. Callers never see the key; it is never logged or
 * written, and its file contents are wiped from memory after loading. */
#ifndef OCSP_SIGNER_H
#define OCSP_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ocsp/err.h"

/* Largest signature any supported key makes (RSA 16384 bits). */
#define SIGNER_MAX_SIG 2048

struct signer;
struct signer_ctx;

/* Loads a PEM certificate and an unencrypted PEM private key and checks
 * that they belong together. Encrypted keys are refused with a clear
 * message rather than prompting on a terminal. */
int signer_load_pem(const char *cert_path, const char *key_path,
    struct signer **out, struct err *e);
void signer_free(struct signer *s);

/* The signer certificate (owned by the signer). */
X509 *signer_cert(const struct signer *s);
/* DER AlgorithmIdentifier of the signatures this signer makes:
 * sha256WithRSAEncryption, ecdsa-with-SHA256/384/512 by curve, or Ed25519. */
const uint8_t *signer_algid(const struct signer *s, size_t *len);
/* A short description such as "ECDSA P-256" for messages. */
const char *signer_key_desc(const struct signer *s);

/* One context per thread; the signer must outlive its contexts. */
struct signer_ctx *signer_ctx_new(const struct signer *s, struct err *e);
void signer_ctx_free(struct signer_ctx *c);

/* Signs tbs into sig (SIGNER_MAX_SIG bytes); *sig_len gets the length. */
int signer_sign(struct signer_ctx *c, const uint8_t *tbs, size_t tbs_len,
    uint8_t *sig, size_t *sig_len, struct err *e);

#endif
