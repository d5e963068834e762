/* File helpers with the atomicity rules of the tree: a reader only ever
 * sees a complete old file or a complete new one. */
#ifndef OCSP_FSUTIL_H
#define OCSP_FSUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/err.h"

enum fs_sync {
	FS_NOSYNC = 0,	/* rename only; the caller syncs the file system later */
	FS_SYNC = 1,	/* fsync the data before rename and the directory after */
};

/* Temp-file name used for name (".name.tmp"); files starting with '.'
 * are never responses, so readers ignore them. */
int fs_temp_name(char *out, size_t size, const char *name);

/* Writes data to name inside dirfd through a temp file in the same
 * directory and rename(2). On error the temp file is removed and the old
 * file, if any, is untouched. */
int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len,
    enum fs_sync sync, struct err *e);

/* Reads a whole regular file of at most max bytes. *out is malloc'd and
 * NUL-terminated (not counted in *len); the caller frees it. */
int fs_read_file(const char *path, size_t max, uint8_t **out, size_t *len,
    struct err *e);

/* mkdir -p with mode for every directory created. */
int fs_mkdirs(const char *path, unsigned mode, struct err *e);

#endif
