/* Status source: the index file of `openssl ca` (its "database").
 *
 * One certificate per line, six tab-separated fields as the openssl-ca(1)
 * manual documents them:
 *   type (V valid, R revoked, E expired)
 *   expiry date (ASN.1 UTCTime or GeneralizedTime)
 *   revocation: empty, or time[,reason[,hold instruction | compromise time]]
 *   serial (hex)
 *   file name (usually "unknown")
 *   subject name
 * Reasons use openssl's spellings, including its pseudo reasons
 * holdInstruction (certificateHold with an instruction OID), keyTime and
 * CAkeyTime (keyCompromise or CACompromise with the compromise time). */
#ifndef OCSP_SOURCE_INDEX_H
#define OCSP_SOURCE_INDEX_H

#include <stddef.h>

#include "ocsp/err.h"
#include "ocsp/status.h"

/* Longest line accepted; real lines are a few hundred bytes. */
#define SOURCE_INDEX_MAX_LINE 65536

/* Parses one line (without its newline) into r. On error returns -1 with a
 * message that does not name the file or line; the caller adds them. */
int source_index_parse_line(const char *line, size_t len,
    struct status_rec *r, struct err *e);

/* Reads a whole index into out (which the caller has initialised), sorted
 * by serial. The file may be gzip'd (zfile.h). Lines end in LF or CRLF;
 * blank lines are skipped; a line longer than SOURCE_INDEX_MAX_LINE or
 * holding a NUL byte is an error (openssl ca writes neither). Errors name
 * the file and line ("index.txt:12: ..."); on error out holds whatever was
 * read and must still be finalised. */
int source_index_read(const char *path, struct status_list *out, struct err *e);

#endif
