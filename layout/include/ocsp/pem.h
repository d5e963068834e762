/* Certificates from the PEM files a configuration names. Each file is
 * read whole with a size bound (fs_read_file), then parsed from memory. */
#ifndef OCSP_PEM_H
#define OCSP_PEM_H

#include <stddef.h>

#include <openssl/safestack.h>
#include <openssl/x509.h>

#include "ocsp/err.h"

/* Larger than any certificate, key or bundle an operator would name. */
#define PEM_FILE_MAX (1024 * 1024)

/* The first certificate of a PEM file. Returns 0 with *out set (the
 * caller frees it), or -1 naming the file. */
int pem_read_cert(const char *path, X509 **out, struct err *e);
/* Every certificate of a PEM file, at least one and at most max. Returns
 * 0 with *out set (the caller frees it with sk_X509_pop_free), or
 * -1 naming the file. */
int pem_read_certs(const char *path, size_t max, STACK_OF(X509) **out, struct err *e);

#endif
