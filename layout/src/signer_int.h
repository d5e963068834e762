/* Where signer.c gets private keys from: PEM files (signer_pem.c) and
 * PKCS#11 tokens (signer_p11.c). Only signer.c calls these. */
#ifndef OCSP_SIGNER_INT_H
#define OCSP_SIGNER_INT_H

#include <stddef.h>

#include <openssl/evp.h>

#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/secret.h"

/* Passphrase files and PINs are a line; anything longer is not one. */
#define SIGNER_SECRET_MAX 1024

/* Loads the PEM private key sc->key names, plain or encrypted (PKCS#8 or
 * the traditional form), the passphrase from sc->key_passphrase_file or
 * the environment variable sc->key_passphrase_env; never prompts. A key
 * file group or others may read is refused unless allow_readable_key.
 * Passphrases are wiped after use (the environment's copy by the signer
 * set, once every key is loaded). */
int pem_key_load(const struct signer_conf *sc, EVP_PKEY **out, struct err *e);

#endif
