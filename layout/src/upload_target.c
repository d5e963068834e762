/* Where uploads go: the target URL, S3 addressing and region, and the
 * credentials (environment or an AWS shared-credentials file). */
#include "ocsp/upload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ocsp/config.h"
#include "ocsp/err.h"
#include "ocsp/fetch.h"

#define S3_BUCKET_MAX 63
#define S3_PREFIX_MAX 512
#define DEFAULT_REGION "us-east-1"

int upload_is_url(const char *s)
{
	return strncasecmp(s, "s3://", 5) == 0 || strncasecmp(s, "http://", 7) == 0 ||
	    strncasecmp(s, "https://", 8) == 0;
}

static int bucket_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/* Key characters that need no %-encoding anywhere (RFC 3986 unreserved),
 * so the path libcurl signs is the canonical URI S3 computes. */
static int prefix_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '_' || c == '~' || c == '-';
}

static int check_prefix(const char *p, size_t n, struct err *e)
{
	size_t seg = 0;

	if (n > S3_PREFIX_MAX)
		return err_set(e, "s3 prefix longer than %d bytes", S3_PREFIX_MAX);
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '/') {
			const char *s = p + i - seg;
			if (seg == 0 && i < n)
				return err_set(e, "s3 prefix has an empty segment (\"//\" or a leading /)");
			if ((seg == 1 && s[0] == '.') || (seg == 2 && s[0] == '.' && s[1] == '.'))
				return err_set(e, "s3 prefix has a \".\" or \"..\" segment");
			seg = 0;
		} else if (!prefix_char(p[i])) {
			return err_set(e, "s3 prefix: only letters, digits, '.', '_', '~', '-' and '/'");
		} else {
			seg++;
		}
	}
	return 0;
}

int upload_s3_url_parse(const char *url, char *bucket, size_t bucket_size,
    char *prefix, size_t prefix_size, struct err *e)
{
	const char *b, *slash;
	size_t bn, pn;

	if (strncasecmp(url, "s3://", 5) != 0)
		return err_set(e, "not an s3:// URL");
	b = url + 5;
	slash = strchr(b, '/');
	bn = slash ? (size_t)(slash - b) : strlen(b);
	if (bn < 3 || bn > S3_BUCKET_MAX || bn >= bucket_size)
		return err_set(e, "s3 bucket name must be 3 to %d characters", S3_BUCKET_MAX);
	for (size_t i = 0; i < bn; i++)
		if (!bucket_char(b[i]))
			return err_set(e, "s3 bucket name: only a-z, 0-9, '.' and '-'");
	memcpy(bucket, b, bn);
	bucket[bn] = '\0';
	prefix[0] = '\0';
	if (slash == NULL)
		return 0;
	pn = strlen(slash + 1);
	while (pn > 0 && slash[pn] == '/')
		pn--;		/* "s3://b/p/" is "s3://b/p" */
	if (pn == 0)
		return 0;
	if (check_prefix(slash + 1, pn, e) != 0)
		return -1;
	if (pn + 2 > prefix_size)
		return err_set(e, "s3 prefix too long");
	memcpy(prefix, slash + 1, pn);
	prefix[pn] = '/';
	prefix[pn + 1] = '\0';
	return 0;
}

/* A region names a host and a signing scope: a-z, 0-9 and '-' only. */
static int set_region(struct upload_target *t, const char *r, struct err *e)
{
	size_t n = strlen(r);

	if (n == 0 || n > UPLOAD_REGION_MAX)
		return err_set(e, "s3 region must be 1 to %d characters", UPLOAD_REGION_MAX);
	for (size_t i = 0; i < n; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
			return err_set(e, "s3 region '%.*s': only a-z, 0-9 and '-'", (int)n, r);
	memcpy(t->region, r, n + 1);
	return 0;
}

/* An IPv4 address or a bracketed IPv6 one cannot carry a bucket name in
 * front of it. */
static int host_is_ip(const char *h, size_t n)
{
	if (n > 0 && h[0] == '[')
		return 1;
	for (size_t i = 0; i < n; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || h[i] == '.'))
			return 0;
	return n > 0;
}

/* Splits "http(s)://host[:port][/]" into scheme ("http://") and authority. */
static int endpoint_split(const char *ep, size_t *scheme_len, const char **auth,
    size_t *auth_len, size_t *host_len, struct err *e)
{
	const char *a, *end, *colon;

	if (strncasecmp(ep, "http://", 7) == 0)
		*scheme_len = 7;
	else if (strncasecmp(ep, "https://", 8) == 0)
		*scheme_len = 8;
	else
		return err_set(e, "s3 endpoint must be an http:// or https:// URL");
	a = ep + *scheme_len;
	end = a + strcspn(a, "/?#");
	if (*end != '\0' && strcmp(end, "/") != 0)
		return err_set(e, "s3 endpoint: give scheme, host and port only, no path");
	if (memchr(a, '@', (size_t)(end - a)) != NULL)
		return err_set(e, "s3 endpoint: no user or password in the URL (credentials come "
		    "from the environment or s3_credentials_file)");
	if (end == a)
		return err_set(e, "s3 endpoint has no host");
	*auth = a;
	*auth_len = (size_t)(end - a);
	if (a[0] == '[') {
		const char *rb = memchr(a, ']', *auth_len);
		*host_len = rb ? (size_t)(rb - a) + 1 : *auth_len;
	} else {
		colon = memchr(a, ':', *auth_len);
		*host_len = colon ? (size_t)(colon - a) : *auth_len;
	}
	return 0;
}

static int s3_base(const struct upload_opts *o, struct upload_target *t, struct err *e)
{
	char bucket[S3_BUCKET_MAX + 1], prefix[S3_PREFIX_MAX + 2], def[128];
	const char *ep = o->s3_endpoint, *auth = NULL;
	size_t sl = 0, al = 0, hl = 0;
	int n;

	if (upload_s3_url_parse(o->url, bucket, sizeof(bucket), prefix, sizeof(prefix), e) != 0)
		return -1;
	if (ep == NULL) {
		snprintf(def, sizeof(def), "https://s3.%s.amazonaws.com", t->region);
		ep = def;
	}
	if (strlen(ep) > UPLOAD_URL_MAX / 2)
		return err_set(e, "s3 endpoint too long");
	if (endpoint_split(ep, &sl, &auth, &al, &hl, e) != 0)
		return -1;
	/* The bucket's URL as S3 (and s3rver) take its canonical URI:
	 * "/bucket" path-style, "/" on the bucket's own host. */
	if (o->s3_path_style || host_is_ip(auth, hl))
		n = snprintf(t->bucket_url, sizeof(t->bucket_url), "%.*s%.*s/%s", (int)sl, ep,
		    (int)al, auth, bucket);
	else
		n = snprintf(t->bucket_url, sizeof(t->bucket_url), "%.*s%s.%.*s/", (int)sl, ep,
		    bucket, (int)al, auth);
	if (n < 0 || (size_t)n >= sizeof(t->bucket_url))
		return err_set(e, "s3 object URL too long");
	n = snprintf(t->base, sizeof(t->base), "%s%s%s", t->bucket_url,
	    t->bucket_url[n - 1] == '/' ? "" : "/", prefix);
	if (n < 0 || (size_t)n >= sizeof(t->base))
		return err_set(e, "s3 object URL too long");
	snprintf(t->prefix, sizeof(t->prefix), "%s", prefix);
	snprintf(t->shown, sizeof(t->shown), "%s", t->base);
	return 0;
}

static int dav_base(const struct upload_opts *o, struct upload_target *t, struct err *e)
{
	size_t n = strlen(o->url);
	const char *a = strstr(o->url, "://") + 3;

	if (n + 1 > UPLOAD_URL_MAX)
		return err_set(e, "upload URL longer than %d bytes", UPLOAD_URL_MAX - 1);
	if (strcspn(a, "/") == 0)
		return err_set(e, "upload URL has no host");
	if (strpbrk(o->url, "?#") != NULL)
		return err_set(e, "upload URL: no query or fragment");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)o->url[i] <= 0x20 || o->url[i] == 0x7f)
			return err_set(e, "upload URL: no spaces or control characters");
	/* Object names are appended: the base is a collection. */
	snprintf(t->base, sizeof(t->base), "%s%s", o->url, o->url[n - 1] == '/' ? "" : "/");
	fetch_url_redact(t->base, t->shown, sizeof(t->shown));
	return 0;
}

static int value_copy(char *dst, size_t max, const char *v, size_t n, const char *what,
    unsigned line, struct err *e)
{
	if (n > max)
		return err_set(e, "line %u: %s longer than %zu bytes", line, what, max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
			return err_set(e, "line %u: %s holds spaces or control characters", line, what);
	OPENSSL_cleanse(dst, max + 1);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static void trim(const char **p, size_t *n)
{
	while (*n > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r'))
		(*n)--;
}

static int is_key(const char *k, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(k, name, n) == 0;
}

/* One "key = value" line of the profile being read. */
static int creds_line(const char *k, size_t kn, const char *v, size_t vn, unsigned line,
    struct upload_target *t, struct err *e)
{
	if (is_key(k, kn, "aws_access_key_id"))
		return value_copy(t->key_id, UPLOAD_KEY_ID_MAX, v, vn, "aws_access_key_id", line, e);
	if (is_key(k, kn, "aws_secret_access_key"))
		return value_copy(t->secret, UPLOAD_SECRET_MAX, v, vn, "aws_secret_access_key", line, e);
	if (is_key(k, kn, "aws_session_token"))
		return value_copy(t->token, UPLOAD_TOKEN_MAX, v, vn, "aws_session_token", line, e);
	return 0;
}

int upload_creds_parse(const char *text, size_t len, const char *profile,
    struct upload_target *t, struct err *e)
{
	size_t pos = 0, pn = strlen(profile);
	unsigned line = 0;
	int in = 0, seen = 0;

	t->key_id[0] = t->secret[0] = t->token[0] = '\0';
	while (pos < len) {
		const char *p = text + pos, *nl = memchr(p, '\n', len - pos), *eq;
		size_t n = nl ? (size_t)(nl - p) : len - pos;
		pos += n + 1;
		line++;
		trim(&p, &n);
		if (n == 0 || p[0] == '#' || p[0] == ';')
			continue;
		if (p[0] == '[') {
			if (p[n - 1] != ']')
				return err_set(e, "line %u: a section is [name]", line);
			p++;
			n -= 2;
			trim(&p, &n);
			if (n > 8 && memcmp(p, "profile ", 8) == 0) {
				p += 8;
				n -= 8;
				trim(&p, &n);
			}
			in = n == pn && memcmp(p, profile, n) == 0;
			seen |= in;
			continue;
		}
		eq = memchr(p, '=', n);
		if (eq == NULL)
			return err_set(e, "line %u: expected key = value", line);
		if (!in)
			continue;
		const char *k = p, *v = eq + 1;
		size_t kn = (size_t)(eq - p), vn = n - kn - 1;
		trim(&k, &kn);
		trim(&v, &vn);
		if (creds_line(k, kn, v, vn, line, t, e) != 0)
			return -1;
	}
	if (!seen)
		return err_set(e, "no profile [%s]", profile);
	if (t->key_id[0] == '\0' || t->secret[0] == '\0')
		return err_set(e, "profile [%s] lacks aws_access_key_id or aws_secret_access_key",
		    profile);
	return 0;
}

/* Like secret_read: a regular file, not readable by others, bounded. */
static int creds_file(const char *path, const char *profile, struct upload_target *t,
    struct err *e)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_set(e, "s3_credentials_file '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		err_set(e, "s3_credentials_file '%s' is not a regular file", path);
		goto out;
	}
	if (st.st_mode & S_IRWXO) {
		err_set(e, "s3_credentials_file '%s': others may read it (mode %04o); chmod o-rwx",
		    path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > UPLOAD_CREDS_FILE_MAX) {
		err_set(e, "s3_credentials_file '%s' is larger than %d bytes", path,
		    UPLOAD_CREDS_FILE_MAX);
		goto out;
	}
	if ((buf = malloc(UPLOAD_CREDS_FILE_MAX + 1)) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, UPLOAD_CREDS_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(e, "s3_credentials_file '%s': %s", path, strerror(errno));
			goto out;
		}
		if (r == 0 || (n += (size_t)r) > UPLOAD_CREDS_FILE_MAX)
			break;
	}
	if (n > UPLOAD_CREDS_FILE_MAX) {
		err_set(e, "s3_credentials_file '%s' grew past %d bytes", path, UPLOAD_CREDS_FILE_MAX);
		goto out;
	}
	if (upload_creds_parse(buf, n, profile, t, e) != 0) {
		err_prefix(e, "s3_credentials_file '%s'", path);
		goto out;
	}
	ret = 0;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, UPLOAD_CREDS_FILE_MAX + 1);
		free(buf);
	}
	close(fd);
	return ret;
}

static int env_copy(char *dst, size_t max, const char *name, int required, struct err *e)
{
	const char *v = getenv(name);
	size_t n = v ? strlen(v) : 0;

	if (n == 0)
		return required ? err_set(e, "%s is not set (or give s3_credentials_file)", name) : 0;
	if (n > max)
		return err_set(e, "%s is longer than %zu bytes", name, max);
	memcpy(dst, v, n + 1);
	return 0;
}

static int s3_creds(const struct upload_opts *o, struct upload_target *t, struct err *e)
{
	const char *profile = o->s3_profile;

	if (o->s3_credentials_file == NULL)
		return env_copy(t->key_id, UPLOAD_KEY_ID_MAX, "AWS_ACCESS_KEY_ID", 1, e) != 0 ||
		    env_copy(t->secret, UPLOAD_SECRET_MAX, "AWS_SECRET_ACCESS_KEY", 1, e) != 0 ||
		    env_copy(t->token, UPLOAD_TOKEN_MAX, "AWS_SESSION_TOKEN", 0, e) != 0 ? -1 : 0;
	if (profile == NULL)
		profile = getenv("AWS_PROFILE");
	if (profile == NULL || *profile == '\0')
		profile = "default";
	if (strlen(profile) > UPLOAD_PROFILE_MAX)
		return err_set(e, "s3 profile name longer than %d bytes", UPLOAD_PROFILE_MAX);
	return creds_file(o->s3_credentials_file, profile, t, e);
}

int upload_target_open(const struct upload_opts *o, struct upload_target *t,
    struct err *e)
{
	const char *region = o->s3_region;

	memset(t, 0, sizeof(*t));
	if (o->url == NULL || !upload_is_url(o->url))
		return err_set(e, "upload target must be s3://bucket/prefix or an http(s):// URL");
	if (strncasecmp(o->url, "s3://", 5) != 0) {
		t->kind = UPLOAD_DAV;
		return dav_base(o, t, e);
	}
	t->kind = UPLOAD_S3;
	if (region == NULL || *region == '\0')
		region = getenv("AWS_REGION");
	if (region == NULL || *region == '\0')
		region = getenv("AWS_DEFAULT_REGION");
	if (region == NULL || *region == '\0')
		region = DEFAULT_REGION;
	if (set_region(t, region, e) != 0 || s3_base(o, t, e) != 0)
		return -1;
	if (s3_creds(o, t, e) != 0)
		return err_prefix(e, "%s", t->shown);
	return 0;
}

void upload_target_fini(struct upload_target *t)
{
	OPENSSL_cleanse(t->key_id, sizeof(t->key_id));
	OPENSSL_cleanse(t->secret, sizeof(t->secret));
	OPENSSL_cleanse(t->token, sizeof(t->token));
}

static int unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~';
}

static int encode(const char *s, char *out, size_t size, size_t *pos)
{
	static const char hexd[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		size_t need = unreserved(c) ? 1 : 3;
		if (*pos + need >= size)
			return -1;
		if (need == 1) {
			out[(*pos)++] = (char)c;
		} else {
			out[(*pos)++] = '%';
			out[(*pos)++] = hexd[c >> 4];
			out[(*pos)++] = hexd[c & 15];
		}
	}
	return 0;
}

static int pair_cmp(const char *const *names, const char *const *values, size_t a,
    size_t b)
{
	int c = strcmp(names[a], names[b]);

	return c != 0 ? c : strcmp(values[a], values[b]);
}

int upload_s3_query(const char *const *names, const char *const *values, size_t n,
    char *out, size_t size)
{
	size_t order[UPLOAD_QUERY_MAX], pos = 0;

	if (size == 0 || n > UPLOAD_QUERY_MAX)
		return -1;
	/* Insertion sort of the indexes: n is a handful, the arrays stay as given. */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		for (; j > 0 && pair_cmp(names, values, order[j - 1], i) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0) {
			if (pos + 1 >= size)
				return -1;
			out[pos++] = '&';
		}
		if (encode(names[order[i]], out, size, &pos) != 0 || pos + 1 >= size)
			return -1;
		out[pos++] = '=';
		if (encode(values[order[i]], out, size, &pos) != 0)
			return -1;
	}
	out[pos] = '\0';
	return (int)pos;
}

void upload_opts_from_config(const struct config *c, const char *url,
    struct upload_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->url = url;
	o->s3_endpoint = c->s3_endpoint;
	o->s3_region = c->s3_region;
	o->s3_path_style = (int)c->s3_path_style;
	o->s3_credentials_file = c->s3_credentials_file;
	o->s3_profile = c->s3_profile;
	o->concurrency = (unsigned)c->upload_concurrency;
	o->retries = (unsigned)c->upload_retries;
	o->max_age = c->upload_max_age;
}
