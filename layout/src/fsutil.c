#include "ocsp/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_temp_name(char *out, size_t size, const char *name)
{
	int n = snprintf(out, size, ".%s.tmp", name);

	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len,
    enum fs_sync sync, struct err *e)
{
	char tmp[300];
	int fd;

	if (fs_temp_name(tmp, sizeof(tmp), name) != 0)
		return err_set(e, "%s: name too long", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(e, "%s: %s", tmp, strerror(errno));
	if (write_all(fd, data, len) != 0 || (sync && fsync(fd) != 0)) {
		err_set(e, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		err_set(e, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) != 0) {
		err_set(e, "%s: rename: %s", name, strerror(errno));
		goto fail;
	}
	if (sync && fsync(dirfd) != 0)
		return err_set(e, "%s: fsync of directory: %s", name, strerror(errno));
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return -1;
}

int fs_read_file(const char *path, size_t max, uint8_t **out, size_t *len,
    struct err *e)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_set(e, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err_set(e, "%s: not a regular file", path);
		goto fail;
	}
	if ((uint64_t)st.st_size > max) {
		err_set(e, "%s: larger than %zu bytes", path, max);
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		err_set(e, "%s: out of memory", path);
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set(e, "%s: %s", path, n < 0 ? strerror(errno) : "file shrank");
			goto fail;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	*out = buf;
	*len = got;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

int fs_mkdirs(const char *path, unsigned mode, struct err *e)
{
	char buf[FS_PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return err_set(e, "bad directory path");
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return err_set(e, "%s: %s", buf, strerror(errno));
		buf[i] = i == n ? '\0' : '/';
	}
	return 0;
}

void file_sig_from_stat(struct file_sig *s, const struct stat *st)
{
	memset(s, 0, sizeof(*s));
	s->exists = 1;
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtime_s = (int64_t)st->st_mtim.tv_sec;
	s->mtime_ns = st->st_mtim.tv_nsec;
	s->ctime_s = (int64_t)st->st_ctim.tv_sec;
	s->ctime_ns = st->st_ctim.tv_nsec;
}

void file_sig_get(const char *path, int follow, struct file_sig *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (fstatat(AT_FDCWD, path, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) == 0)
		file_sig_from_stat(s, &st);
}

int file_sig_eq(const struct file_sig *a, const struct file_sig *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns &&
	    a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns;
}
