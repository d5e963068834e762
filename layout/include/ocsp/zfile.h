/* Input files read the same whether plain or gzip'd.
 *
 * Index files, issued-serial lists and CRLs may be stored compressed
 * (index.txt.gz, a CRL archive): zlib's gzread passes a file that does not
 * start with the gzip magic (1f 8b) through as is, so callers never ask.
 * The magic is still looked at, only so that messages can say "(gzip)" when
 * a file is corrupt or truncated. Every limit applies to the DECOMPRESSED
 * bytes: a small file that inflates past it (a gzip bomb) is refused,
 * named, as soon as the limit is passed, never inflated whole.
 *
 * Concatenated gzip members are read as one stream (as gunzip does); bytes
 * after the last member that are not another member are ignored, as zlib
 * does. A truncated member or a bad CRC is an error. */
#ifndef OCSP_ZFILE_H
#define OCSP_ZFILE_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"

struct zfile;

/* Opens path (a regular file, plain or gzip'd) for zfile_line, which
 * returns lines of at most max_line bytes (1 ≤ max_line ≤ 16 MiB), not
 * counting the line's end. -1 naming the file (missing, not a regular
 * file, out of memory). */
int zfile_open(const char *path, size_t max_line, struct zfile **out, struct err *e);

/* The next line, without its end: "\n" or "\r\n" (CRLF is tolerated, one
 * CR before the LF, or ending the file, is dropped; a CR anywhere else
 * stays in the line). The last line need not end in "\n". *line points
 * into zf (NUL-terminated, valid until the next call); *len excludes the
 * NUL.
 * Returns 1 with a line, 0 at the end of the file, -1 on error:
 * "path:12: line longer than N bytes", "path:12: NUL byte in line", or a
 * read error, a truncated or corrupt gzip stream ("path (gzip): ...").
 * After -1 or 0 every further call returns the same. */
int zfile_line(struct zfile *zf, const char **line, size_t *len, struct err *e);

/* Number of the line last returned (or that failed), from 1; blank lines
 * count. 0 before the first call. */
uint32_t zfile_lineno(const struct zfile *zf);

/* Whether the file is gzip'd (starts with the gzip magic). */
int zfile_is_gzip(const struct zfile *zf);

/* Closes zf; zfile_close(NULL) is a no-op. */
void zfile_close(struct zfile *zf);

/* Reads a whole file (plain or gzip'd) of at most max_bytes decompressed
 * bytes. *buf is malloc'd and NUL-terminated (the NUL not counted in
 * *len); the caller frees it. -1 naming the file: missing, not a regular
 * file, "larger than N bytes" (for a gzip file: "inflates to more than N
 * bytes"), truncated or corrupt. */
int zfile_read_all(const char *path, size_t max_bytes, uint8_t **buf, size_t *len,
    struct err *e);

#endif
