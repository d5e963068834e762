/* Issued-serial lists: which serials a CA has actually issued.
 *
 * A CRL says only what is revoked; the CA/Browser Forum Baseline
 * Requirements forbid "good" for a serial that was never issued, so a CRL
 * source needs this list to tell "good" from "never issued". Two spellings
 * of it (the [ca] key issued = ...):
 *
 *   dir:/path   every regular file in the directory (symlinks followed;
 *               names starting with '.' skipped: temp files, as fsutil.h
 *               writes them) holding a certificate, PEM or DER. A PEM file
 *               gives its first certificate, with or without the text
 *               `openssl ca` writes before it into new_certs_dir. Only
 *               certificates of this CA count: issuer name equal to the
 *               CA's subject and, when both are present, authorityKeyId
 *               equal to the CA's subjectKeyId. Signatures are not checked:
 *               the directory is the operator's, like an index file.
 *               Certificates of other CAs are skipped and counted; files
 *               that are unreadable, too large or no certificate (a README,
 *               a key) likewise, with a warning naming the first few. Not
 *               fatal: a serial missing from the list is never answered
 *               "good", which is the safe side. A directory that cannot be
 *               read is an error.
 *   file:/path  one serial per line in hex (either case, leading zeros and
 *               an optional "0x" allowed), blanks around it, '#' starting
 *               a comment (a whole line or after the serial), blank lines
 *               skipped; LF or CRLF; gzip'd or not (zfile.h). Duplicates
 *               are allowed and collapsed. A malformed line is an error
 *               naming the file and line.
 *
 * The list is a sorted status_list of CERT_GOOD records without
 * duplicates: not_after from the certificate for dir: (the latest when
 * two files hold the same serial), 0 for file:; line is the line of a
 * file: list (its first occurrence), 0 for dir:. */
#ifndef OCSP_ISSUED_H
#define OCSP_ISSUED_H

#include <stddef.h>

#include <openssl/x509.h>

#include "ocsp/err.h"
#include "ocsp/serial.h"
#include "ocsp/status.h"

/* Longest line of a file: list; a serial and a comment fit many times. */
#define ISSUED_MAX_LINE 1024
/* Largest certificate file read from a dir: list (with openssl ca's
 * text dump a certificate is a few KiB). Larger files are skipped. */
#define ISSUED_MAX_FILE_BYTES (256 * 1024)
/* Names given in each warning about skipped files. */
#define ISSUED_WARN_NAMES 5

/* One line of a file: list (without its end). Returns 1 with *out set, 0
 * for a blank or comment line, -1 with a message that names neither file
 * nor line. */
int issued_parse_line(const char *line, size_t len, struct serial *out, struct err *e);

struct issued_stats {
	size_t files;		/* dir: regular files looked at */
	size_t other_issuer;	/* dir: certificates of another CA, skipped */
	size_t not_cert;	/* dir: unreadable (a dangling symlink too), too
				 * large, or no certificate of a usable serial */
	size_t duplicates;	/* serials given more than once, collapsed */
};

struct issued;

/* Reads the list named by spec ("dir:/path" or "file:/path"). ca is the
 * CA's certificate (needed for dir:, unused for file:, may then be NULL).
 * warn (may be NULL) gets at most one message per kind of skipped file
 * ("dir:/p: 2 certificates of another CA skipped: a.pem, b.pem"), names
 * escaped. Returns 0 with *out set (free with issued_free), or -1 with a
 * message naming the list (and line). */
int issued_load(const char *spec, X509 *ca, void (*warn)(void *arg, const char *msg),
    void *warn_arg, struct issued **out, struct err *e);
void issued_free(struct issued *is);

/* The serials, sorted (valid until issued_free). */
const struct status_list *issued_list(const struct issued *is);
/* The record of s, or NULL when s was not issued. */
const struct status_rec *issued_find(const struct issued *is, const struct serial *s);
const struct issued_stats *issued_stats(const struct issued *is);
/* The spec it was loaded from, for messages. */
const char *issued_name(const struct issued *is);

/* Non-zero when the list may have changed since it was loaded (or can no
 * longer be looked at: the reload then says why), so that lookupd reloads
 * it. Cheap: stats only, reads nothing.
 *   file: the file's identity (fsutil.h file_sig: inode, size, mtime,
 *         ctime), so a rename over it or an edit in place shows.
 *   dir:  the directory's own identity (an entry added, removed or
 *         renamed changes its mtime), the number of regular files, and
 *         the newest mtime or ctime among them (a file rewritten in place,
 *         or made readable; ctime cannot be set back by touch -r or cp -p).
 *         It misses a file rewritten in place when the clock has been set
 *         back past the newest change, and changes on file systems whose
 *         timestamps are too coarse to tell two writes apart. */
int issued_changed(const struct issued *is);

#endif
