/* syncfs(2) is Linux-specific. */
#define _GNU_SOURCE
#include "ocsp/sink.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocsp/array.h"
#include "ocsp/err.h"
#include "ocsp/fsutil.h"
#include "ocsp/tree.h"

struct dir_sink {
	struct sink base;
	int rootfd;
	int lockfd;
	int interrupted;	/* a previous run was killed before finishing */
	int *fds;
	size_t n, cap;
};

static struct dir_sink *dir_of(struct sink *s)
{
	return (struct dir_sink *)s;
}

static int fd_of(struct dir_sink *d, int handle)
{
	return handle == SINK_ROOT ? d->rootfd : d->fds[handle];
}

/* Removes ".NAME.tmp" files a killed run left behind. */
static int clean_temp_files(int dirfd, struct err *e)
{
	int fd = dup(dirfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		return err_set(e, "cannot list a tree directory: %s", strerror(errno));
	}
	while ((de = readdir(dir)) != NULL) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.' && n > 5 && strcmp(de->d_name + n - 4, ".tmp") == 0)
			unlinkat(dirfd, de->d_name, 0);
	}
	closedir(dir);
	return 0;
}

static int dir_open_issuer(struct sink *s, const char *name, struct err *e)
{
	struct dir_sink *d = dir_of(s);
	int fd, *v;

	if (mkdirat(d->rootfd, name, 0755) != 0 && errno != EEXIST)
		return err_set(e, "%s: %s", name, strerror(errno));
	fd = openat(d->rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(e, "%s: %s", name, strerror(errno));
	if (d->interrupted && clean_temp_files(fd, e) != 0) {
		close(fd);
		return -1;
	}
	v = array_grow(d->fds, &d->cap, d->n + 1, sizeof(*v));
	if (v == NULL) {
		close(fd);
		return err_set(e, "out of memory");
	}
	d->fds = v;
	d->fds[d->n] = fd;
	return (int)d->n++;
}

static int dir_put(struct sink *s, int handle, const char *name, const void *p,
    size_t n, enum fs_sync sync, struct err *e)
{
	return fs_write_atomic(fd_of(dir_of(s), handle), name, p, n, sync, e);
}

static int dir_remove(struct sink *s, int handle, const char *name, struct err *e)
{
	if (unlinkat(fd_of(dir_of(s), handle), name, 0) != 0 && errno != ENOENT)
		return err_set(e, "%s: %s", name, strerror(errno));
	return 0;
}

/* One syncfs per run costs far less than an fsync per file. */
static int dir_sync(struct sink *s, struct err *e)
{
	if (syncfs(dir_of(s)->rootfd) != 0)
		return err_set(e, "syncfs: %s", strerror(errno));
	return 0;
}

static int dir_finish(struct sink *s, struct err *e)
{
	struct dir_sink *d = dir_of(s);

	if (unlinkat(d->rootfd, TREE_IN_PROGRESS, 0) != 0 && errno != ENOENT)
		return err_set(e, "%s: %s", TREE_IN_PROGRESS, strerror(errno));
	if (fsync(d->rootfd) != 0)
		return err_set(e, "fsync of the tree: %s", strerror(errno));
	return 0;
}

static void dir_free(struct sink *s)
{
	struct dir_sink *d = dir_of(s);

	for (size_t i = 0; i < d->n; i++)
		close(d->fds[i]);
	free(d->fds);
	if (d->rootfd >= 0)
		close(d->rootfd);
	if (d->lockfd >= 0)
		close(d->lockfd);	/* releases the lock */
	free(d);
}

static const struct sink_ops dir_ops = {
	dir_open_issuer, dir_put, dir_remove, dir_sync, dir_finish, dir_free,
};

static int take_lock(struct dir_sink *d, const char *root, int *busy, struct err *e)
{
	d->lockfd = openat(d->rootfd, TREE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (d->lockfd < 0)
		return err_set(e, "%s/%s: %s", root, TREE_LOCK, strerror(errno));
	if (flock(d->lockfd, LOCK_EX | LOCK_NB) != 0) {
		*busy = errno == EWOULDBLOCK;
		return err_set(e, "%s/%s: %s", root, TREE_LOCK, *busy ?
		    "another ocsp-publisher run is publishing into this tree" : strerror(errno));
	}
	return 0;
}

struct sink *sink_dir_new(const char *root, int *busy, struct err *e)
{
	struct dir_sink *d = calloc(1, sizeof(*d));
	static const char marker[] = "a publisher run is in progress or was interrupted\n";

	*busy = 0;
	if (d == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	d->base.ops = &dir_ops;
	d->lockfd = -1;
	d->rootfd = -1;
	if (fs_mkdirs(root, 0755, e) != 0)
		goto fail;
	d->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->rootfd < 0) {
		err_set(e, "%s: %s", root, strerror(errno));
		goto fail;
	}
	if (take_lock(d, root, busy, e) != 0)
		goto fail;
	d->interrupted = faccessat(d->rootfd, TREE_IN_PROGRESS, F_OK, 0) == 0;
	if (d->interrupted && clean_temp_files(d->rootfd, e) != 0)
		goto fail;
	if (fs_write_atomic(d->rootfd, TREE_IN_PROGRESS, marker, sizeof(marker) - 1,
	    FS_SYNC, e) != 0)
		goto fail;
	return &d->base;
fail:
	dir_free(&d->base);
	return NULL;
}
