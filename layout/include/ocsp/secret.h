/* One-line secrets in files: PINs, passphrases, database passwords. The
 * one bounded reader, for the signer and the SQL source alike. */
#ifndef OCSP_SECRET_H
#define OCSP_SECRET_H

#include <stddef.h>

#include "ocsp/err.h"

/* Reads a one-line secret (a passphrase, a PIN) of 1 to max bytes from
 * the regular file path into buf (max + 3 bytes), NUL-terminated, a final
 * LF or CR LF dropped; the file must not be readable by others. Returns
 * its length, or -1 with a message that begins with what ("PIN file") and
 * never holds the secret; buf is wiped then, else the caller wipes it. */
int secret_read(const char *what, const char *path, char *buf, size_t max, struct err *e);

#endif
