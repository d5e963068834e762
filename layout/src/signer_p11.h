/* Private keys in PKCS#11 tokens (HSMs), through libp11. Internal to the
 * signer: signer_p11.c is the only file that includes libp11.h.
 *
 * Keys from the same module share one loaded module (a PKCS11_CTX with its
 * slot list, loaded on the first p11_key_open and unloaded on the last
 * p11_key_close), and keys on the same token share its login. Modules are
 * told apart by their real path, so reach each module one way in a
 * process: SoftHSM2 loaded directly and through p11-kit's proxy is one
 * instance of the library, and the first of the two to be unloaded
 * finalises it (C_Finalize) for the other.
 *
 * Threads: p11_key_open and p11_key_close do every look-up (slots, login,
 * keys) in the calling thread and are serialised by a lock; call them at
 * start-up and shut-down. The EVP_PKEY may be used by many threads at once
 * (EVP_PKEY_sign, EVP_DigestSign, each thread with its own EVP_PKEY_CTX /
 * EVP_MD_CTX): libp11 hands each operation a session from its per-slot pool
 * of up to 16 sessions. libp11 re-initialises the module after fork() and
 * logs in again there with a copy of the PIN that it keeps for that.
 *
 * PINs are never logged or put in a message; the copies made here are
 * wiped as soon as the login is done. */
#ifndef OCSP_SIGNER_P11_H
#define OCSP_SIGNER_P11_H

#include <stddef.h>

#include <openssl/evp.h>

#include "ocsp/err.h"

/* p11-kit's proxy, which loads the modules configured for p11-kit. */
#define P11_DEFAULT_MODULE "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so"
/* A PIN file holds one PIN, a trailing newline allowed. */
#define P11_PIN_MAX 256

struct p11_key;

/* Opens the private key uri names (an RFC 7512 URI; see
 * ocsp/pkcs11_uri.h), which must name the key by object= and/or id=, and
 * may only say type=private.
 *
 * The module comes from the URI's module-path, else the module argument
 * (NULL or "" for none), else P11_DEFAULT_MODULE; module-name alone is
 * refused. The token is the one initialised token whose label, serial,
 * manufacturer and model match those the URI gives: none or several is an
 * error. The PIN is read from pin_file (NULL or "" for none), else from the
 * URI's pin-source file, else taken from the URI's pin-value; a token that
 * needs a login and gets no PIN is an error.
 *
 * warning (warning_size bytes, may be NULL) gets "" or a sentence to log:
 * the URI carries a PIN (pin-value), which belongs in a file.
 *
 * Returns 0 with *out, or -1 with a message naming the module, the token or
 * the key; a wrong PIN is reported as such ("login to token 'ocsp' failed:
 * wrong PIN"). A second key on a token already logged in must come with the
 * same PIN. */
int p11_key_open(const char *uri, const char *pin_file, const char *module,
    struct p11_key **out, char *warning, size_t warning_size, struct err *e);

/* The key, owned by k (never NULL): RSA or EC. */
EVP_PKEY *p11_key_pkey(const struct p11_key *k);

/* For messages, e.g. "PKCS#11 token 'ocsp', key 'signer1'" (owned by k). */
const char *p11_key_desc(const struct p11_key *k);

/* Frees k, and unloads its module with the last key of it. NULL is a no-op.
 * No thread may be signing with the key. */
void p11_key_close(struct p11_key *k);

/* How many modules are loaded now (for the tests). */
unsigned p11_modules_loaded(void);

#endif
