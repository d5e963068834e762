#include "ocsp/zfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "ocsp/array.h"

/* Bytes asked of zlib at a time, and the size of its own buffers. */
#define ZFILE_CHUNK 65536
/* Longest line a caller may ask for: beyond, a "line" is no longer text. */
#define ZFILE_LINE_LIMIT (16u * 1024 * 1024)

struct zfile {
	gzFile gz;
	char *path;
	int gzip;
	int state;		/* 1 reading, 0 at the end, -1 failed */
	struct err failed;	/* the message repeated after a failure */
	uint32_t lineno;
	size_t max_line;
	char *line;		/* max_line + 1 (a CR) + 1 (NUL) bytes */
	size_t rpos, rlen;
	unsigned char rbuf[ZFILE_CHUNK];
};

/* Opens path as a regular file and hands it to zlib. O_NONBLOCK only keeps
 * open(2) from hanging on a FIFO put where a file was expected; it means
 * nothing for the regular file that is then required. */
static int zopen(const char *path, gzFile *gz, int *gzip, struct err *e)
{
	unsigned char magic[2];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return err_set(e, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, "%s: not a regular file", path);
	}
	*gzip = pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	*gz = gzdopen(fd, "rb");
	if (*gz == NULL) {
		close(fd);
		return err_set(e, "%s: out of memory", path);
	}
	gzbuffer(*gz, ZFILE_CHUNK);
	return 0;
}

static const char *kind(int gzip)
{
	return gzip ? " (gzip)" : "";
}

/* zlib's state after gzread returned n (< 0 an error, 0 the end). A
 * truncated gzip member is not an error to gzread: it stops with
 * Z_BUF_ERROR and reports the end, so the end is checked too. */
static int zcheck(gzFile gz, int n, const char *path, int gzip, struct err *e)
{
	int zerr = Z_OK;
	const char *msg = gzerror(gz, &zerr);

	if (n > 0)
		return 0;
	if (zerr == Z_ERRNO)
		return err_set(e, "%s: read error: %s", path, strerror(errno));
	if (zerr == Z_BUF_ERROR)
		return err_set(e, "%s%s: truncated: unexpected end of file", path, kind(gzip));
	if (n < 0 || zerr != Z_OK)
		return err_set(e, "%s%s: corrupt: %s", path, kind(gzip),
		    msg != NULL ? msg : "unknown zlib error");
	return 0;
}

int zfile_open(const char *path, size_t max_line, struct zfile **out, struct err *e)
{
	struct zfile *zf = NULL;

	*out = NULL;
	if (max_line < 1 || max_line > ZFILE_LINE_LIMIT)
		return err_set(e, "%s: line limit %zu out of range", path, max_line);
	zf = calloc(1, sizeof(*zf));
	if (zf == NULL)
		return err_set(e, "%s: out of memory", path);
	zf->path = strdup(path);
	zf->line = malloc(max_line + 2);
	if (zf->path == NULL || zf->line == NULL) {
		err_set(e, "%s: out of memory", path);
		goto fail;
	}
	if (zopen(path, &zf->gz, &zf->gzip, e) != 0)
		goto fail;
	zf->max_line = max_line;
	zf->state = 1;
	*out = zf;
	return 0;
fail:
	zfile_close(zf);
	return -1;
}

/* Refills rbuf; returns the bytes now in it, 0 at the end, -1 on error. */
static int fill(struct zfile *zf, struct err *e)
{
	int n = gzread(zf->gz, zf->rbuf, sizeof(zf->rbuf));

	if (zcheck(zf->gz, n, zf->path, zf->gzip, e) != 0)
		return -1;
	zf->rpos = 0;
	zf->rlen = n > 0 ? (size_t)n : 0;
	return n > 0 ? n : 0;
}

static int fail_line(struct zfile *zf, struct err *e)
{
	zf->state = -1;
	zf->failed = e != NULL ? *e : (struct err){ "" };
	return -1;
}

int zfile_line(struct zfile *zf, const char **line, size_t *len, struct err *e)
{
	size_t n = 0;
	int any = 0;

	if (zf->state != 1) {
		if (zf->state < 0 && e != NULL)
			*e = zf->failed;
		return zf->state;
	}
	if (zf->lineno == UINT32_MAX) {
		err_set(e, "%s: more than %u lines", zf->path, UINT32_MAX);
		return fail_line(zf, e);
	}
	for (;;) {
		const unsigned char *p, *nl;
		size_t take;

		if (zf->rpos == zf->rlen) {
			int got = fill(zf, e);
			if (got < 0)
				return fail_line(zf, e);
			if (got == 0)
				break;
		}
		if (!any)
			zf->lineno++;
		any = 1;
		p = zf->rbuf + zf->rpos;
		nl = memchr(p, '\n', zf->rlen - zf->rpos);
		take = nl != NULL ? (size_t)(nl - p) : zf->rlen - zf->rpos;
		/* one byte more than max_line: the CR of a CRLF */
		if (take > zf->max_line + 1 - n) {
			err_set(e, "%s:%u: line longer than %zu bytes", zf->path, zf->lineno,
			    zf->max_line);
			return fail_line(zf, e);
		}
		memcpy(zf->line + n, p, take);
		n += take;
		zf->rpos += take + (nl != NULL);
		if (nl != NULL)
			break;
	}
	if (!any) {
		zf->state = 0;
		return 0;
	}
	if (n > 0 && zf->line[n - 1] == '\r')
		n--;
	if (n > zf->max_line) {
		err_set(e, "%s:%u: line longer than %zu bytes", zf->path, zf->lineno,
		    zf->max_line);
		return fail_line(zf, e);
	}
	/* The callers' parsers are pointer+length safe, but a NUL is never
	 * text: it means a binary or damaged file. */
	if (memchr(zf->line, '\0', n) != NULL) {
		err_set(e, "%s:%u: NUL byte in line", zf->path, zf->lineno);
		return fail_line(zf, e);
	}
	zf->line[n] = '\0';
	*line = zf->line;
	*len = n;
	return 1;
}

uint32_t zfile_lineno(const struct zfile *zf)
{
	return zf->lineno;
}

int zfile_is_gzip(const struct zfile *zf)
{
	return zf->gzip;
}

void zfile_close(struct zfile *zf)
{
	if (zf == NULL)
		return;
	if (zf->gz != NULL)
		gzclose(zf->gz);
	free(zf->line);
	free(zf->path);
	free(zf);
}

int zfile_read_all(const char *path, size_t max_bytes, uint8_t **buf, size_t *len,
    struct err *e)
{
	gzFile gz = NULL;
	uint8_t *b = NULL;
	size_t cap = 0, got = 0;
	int gzip = 0, ret = -1;

	*buf = NULL;
	*len = 0;
	if (max_bytes >= SIZE_MAX - ZFILE_CHUNK)
		return err_set(e, "%s: size limit out of range", path);
	if (zopen(path, &gz, &gzip, e) != 0)
		return -1;
	for (;;) {
		/* never more than one byte past the cap, so that a bomb is
		 * stopped at max_bytes + 1 */
		size_t want = max_bytes + 1 - got;
		void *nb;
		int n;

		if (want > ZFILE_CHUNK)
			want = ZFILE_CHUNK;
		nb = array_grow(b, &cap, got + want + 1, 1);
		if (nb == NULL) {
			err_set(e, "%s: out of memory", path);
			goto out;
		}
		b = nb;
		n = gzread(gz, b + got, (unsigned)want);
		if (zcheck(gz, n, path, gzip, e) != 0)
			goto out;
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max_bytes) {
			if (gzip)
				err_set(e, "%s (gzip): inflates to more than %zu bytes", path,
				    max_bytes);
			else
				err_set(e, "%s: larger than %zu bytes", path, max_bytes);
			goto out;
		}
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	b = NULL;
	ret = 0;
out:
	free(b);
	gzclose(gz);
	return ret;
}
