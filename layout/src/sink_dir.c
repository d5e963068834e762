/* syncfs(2) is Linux-specific. */
#define _GNU_SOURCE
#include "ocsp/sink.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocsp/array.h"
#include "ocsp/err.h"
#include "ocsp/fsutil.h"
#include "ocsp/get_key.h"
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

/* GET keys nest a few directories deep ('/' in base64): their temp files
 * are looked for below get/ too, no deeper than a key can reach. */
#define KEY_DEPTH_MAX 64

static int clean_temp_tree(int dirfd, int depth, struct err *e)
{
	int fd = dup(dirfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int ret = 0;

	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		return err_set(e, "cannot list a tree directory: %s", strerror(errno));
	}
	while (ret == 0 && (de = readdir(dir)) != NULL) {
		size_t n = strlen(de->d_name);
		int sub;
		if (de->d_name[0] == '.') {
			if (n > 5 && strcmp(de->d_name + n - 4, ".tmp") == 0)
				unlinkat(dirfd, de->d_name, 0);
			continue;
		}
		if (depth >= KEY_DEPTH_MAX)
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (sub < 0)
			continue;	/* a file */
		ret = clean_temp_tree(sub, depth + 1, e);
		close(sub);
	}
	closedir(dir);
	return ret;
}

static int clean_get_keys(struct dir_sink *d, struct err *e)
{
	int fd = openat(d->rootfd, GET_KEY_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	int ret;

	if (fd < 0)
		return 0;	/* none published */
	ret = clean_temp_tree(fd, 0, e);
	close(fd);
	return ret;
}

/* "get/<key>" relative to the root, after checking that every part of key
 * is a name (no empty part, none starting with '.'). Returns the offset of
 * the last part in out, or -1. */
static int key_path(const char *key, char *out, size_t cap, struct err *e)
{
	size_t n = strlen(key), last = 0;
	int w;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && key[i] != '/')
			continue;
		if (i == last || key[last] == '.' || i - last > GET_KEY_SEGMENT_MAX)
			return err_set(e, "'%s' is not a GET key", key);
		if (i < n)
			last = i + 1;
	}
	w = snprintf(out, cap, "%s/%s", GET_KEY_DIR, key);
	if (w < 0 || (size_t)w >= cap)
		return err_set(e, "GET key too long");
	return (int)(sizeof(GET_KEY_DIR) + last);
}

/* Creates the directories of path (relative to dirfd) up to its last part,
 * which starts at leaf. */
static int make_dirs(int dirfd, char *path, size_t leaf, struct err *e)
{
	for (size_t i = 0; i < leaf; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		int r = mkdirat(dirfd, path, 0755);
		path[i] = '/';
		if (r != 0 && errno != EEXIST)
			return err_set(e, "%.*s: %s", (int)i, path, strerror(errno));
	}
	return 0;
}

/* A hard link to the response just written: one inode for the response and
 * all its keys, and nothing more to write. Any file system that cannot link
 * gets a copy. */
static int dir_put_key(struct sink *s, const char *key, int handle, const char *name,
    const void *p, size_t n, struct err *e)
{
	struct dir_sink *d = dir_of(s);
	char path[sizeof(GET_KEY_DIR) + GET_KEY_B64_MAX + 1], tmp[NAME_MAX + 1];
	int leaf = key_path(key, path, sizeof(path), e), fd = -1, ret = -1;

	if (leaf < 0 || make_dirs(d->rootfd, path, (size_t)leaf, e) != 0)
		return -1;
	path[leaf - 1] = '\0';
	fd = openat(d->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	path[leaf - 1] = '/';
	if (fd < 0)
		return err_set(e, "%s: %s", path, strerror(errno));
	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", path + leaf) >= (int)sizeof(tmp)) {
		err_set(e, "GET key part too long");
		goto out;
	}
	unlinkat(fd, tmp, 0);
	if (linkat(fd_of(d, handle), name, fd, tmp, 0) == 0) {
		if (renameat(fd, tmp, fd, path + leaf) != 0) {
			err_set(e, "%s: %s", path, strerror(errno));
			unlinkat(fd, tmp, 0);
			goto out;
		}
		/* Renaming a link over another link to the same file does
		 * nothing and leaves the temp name. */
		unlinkat(fd, tmp, 0);
		ret = 0;
		goto out;
	}
	ret = fs_write_atomic(fd, path + leaf, p, n, FS_NOSYNC, e);
out:
	close(fd);
	return ret;
}

static int dir_remove_key(struct sink *s, const char *key, struct err *e)
{
	struct dir_sink *d = dir_of(s);
	char path[sizeof(GET_KEY_DIR) + GET_KEY_B64_MAX + 1];
	int leaf = key_path(key, path, sizeof(path), e);

	if (leaf < 0)
		return -1;
	if (unlinkat(d->rootfd, path, 0) != 0 && errno != ENOENT)
		return err_set(e, "%s: %s", path, strerror(errno));
	/* Directories left empty go too, up to get/ (kept); one still
	 * holding another key stops it. */
	for (size_t i = strlen(path); i > sizeof(GET_KEY_DIR); i--) {
		if (path[i - 1] != '/')
			continue;
		path[i - 1] = '\0';
		if (unlinkat(d->rootfd, path, AT_REMOVEDIR) != 0)
			break;
	}
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
	dir_open_issuer, dir_put, dir_remove, dir_put_key, dir_remove_key, dir_sync, dir_finish, dir_free,
};

/* A tree written by two users ends up with files one of them cannot
 * replace (and a lookupd that cannot read some): the run refuses a tree
 * whose root another user owns, root included, and says who is who. */
static int owner_check(int rootfd, const char *root, struct err *e)
{
	char owner[64], me[64], buf[1024];
	struct passwd pw, *res;
	struct stat st;
	uid_t uid = geteuid();

	if (fstat(rootfd, &st) != 0)
		return err_set(e, "%s: %s", root, strerror(errno));
	if (st.st_uid == uid)
		return 0;
	res = NULL;
	snprintf(owner, sizeof(owner), "%s", getpwuid_r(st.st_uid, &pw, buf, sizeof(buf),
	    &res) == 0 && res != NULL ? res->pw_name : "?");
	res = NULL;
	snprintf(me, sizeof(me), "%s", getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL ? res->pw_name : "?");
	return err_set(e, "%s: refusing to write a tree owned by user %s (uid %lu) as user %s "
	    "(uid %lu): run the publisher as %s, or chown -R the tree", root, owner,
	    (unsigned long)st.st_uid, me, (unsigned long)uid, owner);
}

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
	if (owner_check(d->rootfd, root, e) != 0 || take_lock(d, root, busy, e) != 0)
		goto fail;
	d->interrupted = faccessat(d->rootfd, TREE_IN_PROGRESS, F_OK, 0) == 0;
	if (d->interrupted && (clean_temp_files(d->rootfd, e) != 0 || clean_get_keys(d, e) != 0))
		goto fail;
	if (fs_write_atomic(d->rootfd, TREE_IN_PROGRESS, marker, sizeof(marker) - 1,
	    FS_SYNC, e) != 0)
		goto fail;
	return &d->base;
fail:
	dir_free(&d->base);
	return NULL;
}
