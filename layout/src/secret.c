/* One-line secrets in files: PINs, passphrases, database passwords. */
#include "ocsp/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ocsp/err.h"

/* Reads up to max + 2 bytes: enough to tell a line of max bytes with its
 * CR LF from a longer one. */
static int read_bounded(int fd, const char *what, const char *path, char *buf, size_t cap,
    size_t *n, struct err *e)
{
	ssize_t r;

	*n = 0;
	while (*n < cap) {
		r = read(fd, buf + *n, cap - *n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_set(e, "%s '%s': %s", what, path, strerror(errno));
		if (r == 0)
			break;
		*n += (size_t)r;
	}
	return 0;
}

int secret_read(const char *what, const char *path, char *buf, size_t max, struct err *e)
{
	struct stat st;
	size_t n = 0;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set(e, "%s '%s': %s", what, path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		err_set(e, "%s '%s': %s", what, path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, "%s '%s' is not a regular file", what, path);
		goto out;
	}
	if (st.st_mode & S_IRWXO) {
		err_set(e, "%s '%s': others may read it (mode %04o); chmod o-rwx", what, path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (read_bounded(fd, what, path, buf, max + 2, &n, e) != 0)
		goto out;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (n > max)
		err_set(e, "%s '%s' is longer than %zu bytes", what, path, max);
	else if (n == 0)
		err_set(e, "%s '%s' is empty", what, path);
	else if (strlen(buf) != n)
		err_set(e, "%s '%s' contains a NUL byte", what, path);
	else if (memchr(buf, '\n', n) != NULL)
		err_set(e, "%s '%s' holds more than one line", what, path);
	else
		ret = (int)n;
out:
	if (ret < 0)
		OPENSSL_cleanse(buf, max + 3);
	close(fd);
	return ret;
}
