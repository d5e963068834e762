/* The fetch cache of fetch.h: one file per URL, validators then body.
 *
 *   ocsp-fetch-cache 1
 *   url https://u@host/ca.crl        (for people; the password left out)
 *   etag "5f3a-1b2"                  (optional)
 *   last-modified Tue, 01 Oct 2024 10:00:00 GMT   (optional)
 *   date 1727776800
 *   length 6914
 *                                    (an empty line, then length bytes)
 */
#include "ocsp/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ocsp/fsutil.h"
#include "ocsp/hex.h"

#define CACHE_MAGIC "ocsp-fetch-cache 1\n"
/* Everything before the body, at most. */
#define CACHE_HEADER_MAX (FETCH_URL_MAX + 2 * FETCH_VALIDATOR_MAX + 256)
#define CACHE_NAME_LEN (6 + 2 * 32)	/* "fetch-" and a SHA-256 in hex */

/* A validator that fits on its line of the file. */
static int one_line(const char *v)
{
	if (v == NULL)
		return 1;
	for (size_t i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < 0x20 || i >= FETCH_VALIDATOR_MAX)
			return 0;
	return v[0] != '\0';
}

static int cache_name(const char *url, char out[CACHE_NAME_LEN + 1], struct err *e)
{
	uint8_t md[32];
	unsigned int n = 0;

	if (!EVP_Digest(url, strlen(url), md, &n, EVP_sha256(), NULL) || n != sizeof(md))
		return err_set(e, "fetch cache: SHA-256 failed");
	memcpy(out, "fetch-", 6);
	hex_lower(out + 6, md, sizeof(md));
	return 0;
}

static int cache_path(const char *dir, const char *url, char *path, size_t size,
    struct err *e)
{
	char name[CACHE_NAME_LEN + 1];
	int n;

	if (cache_name(url, name, e) != 0)
		return -1;
	n = snprintf(path, size, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= size)
		return err_set(e, "fetch cache %s: path too long", dir);
	return 0;
}

/* The value of line "key value" at *p (advanced past its newline), or -1
 * when the next line is not that key. Values are bounded by end. */
static int field(const char **p, const char *end, const char *key, const char **v,
    size_t *vn)
{
	size_t k = strlen(key);
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (nl == NULL || (size_t)(nl - *p) < k + 1 || memcmp(*p, key, k) != 0 ||
	    (*p)[k] != ' ')
		return -1;
	*v = *p + k + 1;
	*vn = (size_t)(nl - *v);
	*p = nl + 1;
	return 0;
}

static int number(const char *v, size_t n, long long max, long long *out)
{
	char d[24], *end;

	if (n == 0 || n >= sizeof(d))
		return -1;
	memcpy(d, v, n);
	d[n] = '\0';
	errno = 0;
	*out = strtoll(d, &end, 10);
	return errno != 0 || *end != '\0' || *out < 0 || *out > max ? -1 : 0;
}

static int dup_value(char **dst, const char *v, size_t n)
{
	*dst = malloc(n + 1);
	if (*dst == NULL)
		return -1;
	memcpy(*dst, v, n);
	(*dst)[n] = '\0';
	return 0;
}

/* Parses a cache file; r receives copies. */
static int parse(const uint8_t *buf, size_t len, size_t max_bytes, struct fetch_result *r)
{
	const char *p = (const char *)buf, *end = p + len, *v;
	size_t vn, ml = strlen(CACHE_MAGIC);
	long long date, blen;

	if (len < ml || memcmp(p, CACHE_MAGIC, ml) != 0)
		return -1;
	p += ml;
	if (field(&p, end, "url", &v, &vn) != 0)
		return -1;
	if (field(&p, end, "etag", &v, &vn) == 0 &&
	    (vn == 0 || vn > FETCH_VALIDATOR_MAX || dup_value(&r->etag, v, vn) != 0))
		return -1;
	if (field(&p, end, "last-modified", &v, &vn) == 0 &&
	    (vn == 0 || vn > FETCH_VALIDATOR_MAX || dup_value(&r->last_modified, v, vn) != 0))
		return -1;
	if (field(&p, end, "date", &v, &vn) != 0 || number(v, vn, INT64_MAX, &date) != 0)
		return -1;
	if (field(&p, end, "length", &v, &vn) != 0 ||
	    number(v, vn, (long long)max_bytes, &blen) != 0)
		return -1;
	if (p == end || *p != '\n' || (size_t)(end - p - 1) != (size_t)blen)
		return -1;
	p++;
	r->body = malloc((size_t)blen + 1);
	if (r->body == NULL)
		return -1;
	memcpy(r->body, p, (size_t)blen);
	r->body[blen] = '\0';
	r->len = (size_t)blen;
	r->date = date;
	return 0;
}

int fetch_cache_load(const char *dir, const char *url, size_t max_bytes,
    struct fetch_result *r, struct err *e)
{
	char path[FS_PATH_MAX];
	struct file_sig sig;
	uint8_t *buf = NULL;
	size_t len;

	fetch_result_fini(r);
	if (max_bytes >= SIZE_MAX - CACHE_HEADER_MAX)
		return err_set(e, "fetch cache %s: size limit out of range", dir);
	if (cache_path(dir, url, path, sizeof(path), e) != 0)
		return -1;
	file_sig_get(path, 1, &sig);
	if (!sig.exists)
		return 0;
	if (fs_read_file(path, max_bytes + CACHE_HEADER_MAX, &buf, &len, e) != 0)
		return -1;
	if (parse(buf, len, max_bytes, r) != 0) {
		fetch_result_fini(r);
		free(buf);
		return err_set(e, "%s: not a fetch cache file, damaged, or a body larger "
		    "than %zu bytes", path, max_bytes);
	}
	free(buf);
	return 1;
}

int fetch_cache_store(const char *dir, const char *url, const struct fetch_result *r,
    struct err *e)
{
	char name[CACHE_NAME_LEN + 1], shown[FETCH_URL_MAX + 1], head[CACHE_HEADER_MAX];
	uint8_t *buf = NULL;
	int n, dfd = -1, ret = -1;

	if (r->body == NULL)
		return err_set(e, "fetch cache %s: nothing to store", dir);
	if (!one_line(r->etag) || !one_line(r->last_modified))
		return err_set(e, "fetch cache %s: validator empty, too long or with "
		    "control characters", dir);
	if (cache_name(url, name, e) != 0)
		return -1;
	fetch_url_redact(url, shown, sizeof(shown));
	n = snprintf(head, sizeof(head), "%surl %s\n%s%s%s%s%s%sdate %lld\nlength %zu\n\n",
	    CACHE_MAGIC, shown,
	    r->etag ? "etag " : "", r->etag ? r->etag : "", r->etag ? "\n" : "",
	    r->last_modified ? "last-modified " : "",
	    r->last_modified ? r->last_modified : "", r->last_modified ? "\n" : "",
	    (long long)(r->date > 0 ? r->date : 0), r->len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return err_set(e, "fetch cache %s: validators too long", dir);
	buf = malloc((size_t)n + r->len);
	if (buf == NULL)
		return err_set(e, "fetch cache %s: out of memory", dir);
	memcpy(buf, head, (size_t)n);
	memcpy(buf + n, r->body, r->len);
	if (fs_mkdirs(dir, 0755, e) != 0) {
		err_prefix(e, "fetch cache");
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		err_set(e, "fetch cache %s: %s", dir, strerror(errno));
		goto out;
	}
	if (fs_write_atomic(dfd, name, buf, (size_t)n + r->len, FS_SYNC, e) != 0) {
		err_prefix(e, "fetch cache %s", dir);
		goto out;
	}
	ret = 0;
out:
	if (dfd >= 0)
		close(dfd);
	free(buf);
	return ret;
}

static int same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int fetch_get_cached(const char *dir, const struct fetch_opts *o, struct fetch_result *r,
    struct err *e)
{
	struct fetch_result cached;
	struct fetch_opts oc = *o;
	struct err ignored;
	int have, ret;

	fetch_result_init(&cached);
	fetch_result_fini(r);
	if (o->url == NULL)
		return fetch_get(o, r, e);
	/* a damaged copy only costs a full fetch, which then replaces it */
	have = fetch_cache_load(dir, o->url, o->max_bytes, &cached, &ignored) == 1;
	oc.etag = have ? cached.etag : NULL;
	oc.last_modified = have ? cached.last_modified : NULL;
	ret = fetch_get(&oc, r, e);
	if (ret == FETCH_NEW && fetch_cache_store(dir, o->url, r, e) != 0) {
		fetch_result_fini(r);
		ret = -1;
	} else if (ret == FETCH_NOT_MODIFIED) {
		int changed = (r->etag != NULL && !same(r->etag, cached.etag)) ||
		    (r->last_modified != NULL && !same(r->last_modified, cached.last_modified));
		/* what the server said now wins; what it left out stays */
		if (r->etag == NULL) {
			r->etag = cached.etag;
			cached.etag = NULL;
		}
		if (r->last_modified == NULL) {
			r->last_modified = cached.last_modified;
			cached.last_modified = NULL;
		}
		r->body = cached.body;
		r->len = cached.len;
		cached.body = NULL;
		if (r->date == 0)
			r->date = cached.date;
		if (changed && fetch_cache_store(dir, o->url, r, e) != 0) {
			fetch_result_fini(r);
			ret = -1;
		}
	}
	fetch_result_fini(&cached);
	return ret;
}
