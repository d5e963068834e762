/* File helpers with the atomicity rules of the tree: a reader only ever
 * sees a complete old file or a complete new one. */
#ifndef OCSP_FSUTIL_H
#define OCSP_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

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

/* Identity of a file as stat sees it: a rename gives a new inode, an
 * in-place edit a new size or mtime, and a change of permissions (a file
 * made readable again) a new ctime, so an equal identity means the same
 * file in the same state. Readers of the tree use it to notice changes. */
struct file_sig {
	int exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_s;
	long mtime_ns;
	int64_t ctime_s;
	long ctime_ns;
};

void file_sig_from_stat(struct file_sig *s, const struct stat *st);
/* exists is 0 when path cannot be stat'ed; follow: follow a final symlink. */
void file_sig_get(const char *path, int follow, struct file_sig *s);
int file_sig_eq(const struct file_sig *a, const struct file_sig *b);

/* Longest path fs_mkdirs takes. */
#define FS_PATH_MAX 4096

/* mkdir -p with mode for every directory created. */
int fs_mkdirs(const char *path, unsigned mode, struct err *e);

#endif
