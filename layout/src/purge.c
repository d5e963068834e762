/* CDN purges: the queue, credentials, the pending file and the HTTP
 * transport (libcurl's easy interface; fetch.c owns its initialisation). */
#include "purge_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ini.h>
#include <openssl/crypto.h>

#include "ocsp/array.h"
#include "ocsp/cli.h"
#include "ocsp/fsutil.h"
#include "ocsp/log.h"
#include "ocsp/secret.h"
#include "ini_setup.h"

/* What is kept of a provider's answer for a message. */
#define PURGE_ANSWER_MAX 200
#define EDGERC_SECTION "default"

/* ---- credentials ---- */

/* A secret from the environment, bounded like a file's. */
static int secret_env(const char *var, char *buf, size_t max, struct err *e)
{
	const char *v = getenv(var);
	size_t n;

	if (v == NULL || *v == '\0')
		return err_set(e, "%s is not set (and no purge_credentials_file)", var);
	n = strlen(v);
	if (n > max)
		return err_set(e, "%s is longer than %zu bytes", var, max);
	memcpy(buf, v, n + 1);
	return 0;
}

struct edgerc_ctx {
	struct purge_akamai *ak;
	unsigned seen;
	int too_long;
};

static int on_edgerc(void *user, const char *section, const char *name, const char *value)
{
	static const char *const names[] = { "client_token", "client_secret", "access_token",
		"host" };
	struct edgerc_ctx *c = user;
	char *slot[] = { c->ak->client_token, c->ak->client_secret, c->ak->access_token,
		c->ak->host };

	if (strcmp(section, EDGERC_SECTION) != 0 || value == NULL)
		return 1;
	for (size_t i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0) {
			if (strlen(value) > PURGE_SECRET_MAX) {
				c->too_long = 1;
				return 1;
			}
			memcpy(slot[i], value, strlen(value) + 1);
			c->seen |= 1u << i;
		}
	return 1;
}

/* The [default] section of an .edgerc file, which others may not read. */
static int edgerc_read(const char *path, struct purge_akamai *ak, struct err *e)
{
	struct edgerc_ctx c = { ak, 0, 0 };
	struct stat st;
	FILE *f = fopen(path, "re");
	int r;

	if (f == NULL)
		return err_set(e, "Akamai credentials '%s': %s", path, strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_IRWXO)) {
		fclose(f);
		return err_set(e, "Akamai credentials '%s': not a regular file, or others may "
		    "read it (chmod o-rwx)", path);
	}
	config_ini_setup();
	r = ini_parse_file(f, on_edgerc, &c);
	fclose(f);
	if (r != 0)
		return err_set(e, "Akamai credentials '%s': syntax error at line %d", path, r);
	if (c.too_long)
		return err_set(e, "Akamai credentials '%s': a value is longer than %d bytes", path,
		    PURGE_SECRET_MAX);
	if (c.seen != 15)
		return err_set(e, "Akamai credentials '%s': [%s] needs client_token, "
		    "client_secret, access_token and host", path, EDGERC_SECTION);
	return 0;
}

static int akamai_env(struct purge_akamai *ak, struct err *e)
{
	if (secret_env("AKAMAI_CLIENT_TOKEN", ak->client_token, PURGE_SECRET_MAX, e) != 0 ||
	    secret_env("AKAMAI_CLIENT_SECRET", ak->client_secret, PURGE_SECRET_MAX, e) != 0 ||
	    secret_env("AKAMAI_ACCESS_TOKEN", ak->access_token, PURGE_SECRET_MAX, e) != 0 ||
	    secret_env("AKAMAI_HOST", ak->host, PURGE_SECRET_MAX, e) != 0)
		return -1;
	return 0;
}

static int load_credentials(struct purge *p, const char *file, struct err *e)
{
	switch (p->preset) {
	case PURGE_GENERIC:
		return 0;
	case PURGE_CLOUDFLARE:
		if (file != NULL)
			return secret_read("Cloudflare API token file", file, p->secret,
			    PURGE_SECRET_MAX, e) < 0 ? -1 : 0;
		return secret_env("CLOUDFLARE_API_TOKEN", p->secret, PURGE_SECRET_MAX, e);
	case PURGE_FASTLY:
		if (file != NULL)
			return secret_read("Fastly API key file", file, p->secret, PURGE_SECRET_MAX,
			    e) < 0 ? -1 : 0;
		return secret_env("FASTLY_API_KEY", p->secret, PURGE_SECRET_MAX, e);
	case PURGE_AKAMAI:
		return file != NULL ? edgerc_read(file, &p->ak, e) : akamai_env(&p->ak, e);
	}
	return err_set(e, "internal: unknown purge preset");
}

/* ---- life cycle ---- */

static int is_http_url(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

static int check_opts(const struct purge_opts *o, struct err *e)
{
	if (o->preset == PURGE_GENERIC && (o->endpoint == NULL || !is_http_url(o->endpoint)))
		return err_set(e, "purge: an http(s) URL is needed (purge = URL)");
	if ((o->preset == PURGE_CLOUDFLARE || o->preset == PURGE_FASTLY) &&
	    (o->zone == NULL || *o->zone == '\0' || strcspn(o->zone, "/?#%") != strlen(o->zone)))
		return err_set(e, "purge_zone: the %s is needed (letters and digits)",
		    o->preset == PURGE_FASTLY ? "Fastly service id" : "Cloudflare zone id");
	if (o->preset == PURGE_AKAMAI && o->zone != NULL && strcmp(o->zone, "production") != 0 &&
	    strcmp(o->zone, "staging") != 0)
		return err_set(e, "purge_zone: Akamai's network is production or staging");
	if (o->api != NULL && !is_http_url(o->api))
		return err_set(e, "purge_api: not an http(s) URL");
	if (o->rate < 1 || o->rate > PURGE_RATE_MAX || o->retries < 0 ||
	    o->retries > PURGE_RETRIES_MAX)
		return err_set(e, "purge_rate or purge_retries out of range");
	return 0;
}

static int dup_opt(char **slot, const char *v)
{
	if (v == NULL)
		return 0;
	*slot = strdup(v);
	return *slot == NULL ? -1 : 0;
}

int purge_new(const struct purge_opts *o, struct purge **out, struct err *e)
{
	struct purge *p;

	*out = NULL;
	if (check_opts(o, e) != 0 || fetch_global_init(e) != 0)
		return -1;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return err_set(e, "out of memory");
	p->preset = o->preset;
	p->ban = o->ban;
	p->by_tag = o->by_tag;
	p->rate = o->rate;
	p->retries = o->retries;
	if (dup_opt(&p->endpoint, o->endpoint) != 0 || dup_opt(&p->zone, o->zone) != 0 ||
	    dup_opt(&p->api, o->api) != 0) {
		purge_free(p);
		return err_set(e, "out of memory");
	}
	if (load_credentials(p, o->credentials_file, e) != 0) {
		purge_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

void purge_free(struct purge *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->item[i]);
	free(p->item);
	free(p->endpoint);
	free(p->zone);
	free(p->api);
	OPENSSL_cleanse(p->secret, sizeof(p->secret));
	OPENSSL_cleanse(&p->ak, sizeof(p->ak));
	free(p);
}

enum purge_kind purge_kind(const struct purge *p)
{
	switch (p->preset) {
	case PURGE_GENERIC: return p->ban ? PURGE_TAG : PURGE_URL;
	case PURGE_FASTLY: return PURGE_TAG;
	default: return p->by_tag ? PURGE_TAG : PURGE_URL;
	}
}

/* ---- the queue ---- */

static int item_ok(const char *s, size_t n)
{
	if (n == 0 || n > PURGE_ITEM_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return 0;	/* a space or a control character would split a line */
	return 1;
}

static int queue_push(struct purge *p, const char *s, size_t n, struct err *e)
{
	char **v = array_grow(p->item, &p->cap, p->n + 1, sizeof(*v));

	if (v == NULL)
		return err_set(e, "out of memory");
	p->item = v;
	if ((p->item[p->n] = strndup(s, n)) == NULL)
		return err_set(e, "out of memory");
	p->n++;
	return 0;
}

int purge_add(struct purge *p, enum purge_kind kind, const char *item, struct err *e)
{
	size_t n = strlen(item);
	char shown[128];

	if (!item_ok(item, n))
		return err_set(e, "purge: refused item '%s' (empty, longer than %d bytes, or with "
		    "blanks or control characters)", log_escape(shown, sizeof(shown), item, n),
		    PURGE_ITEM_MAX);
	if (kind != purge_kind(p))
		return 1;
	return queue_push(p, item, n, e);
}

size_t purge_queued(const struct purge *p)
{
	return p->n;
}

/* ---- HTTP ---- */

/* The answer, whole up to PURGE_ANSWER_BODY_MAX, to judge it. */
struct answer {
	char *text;
	size_t len, cap;
	int too_big;
};

static size_t on_body(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	size_t n = size * nmemb;
	char *v;

	if (a->too_big || n > PURGE_ANSWER_BODY_MAX - a->len) {
		a->too_big = 1;
		return n;	/* read on, judged a failure */
	}
	if ((v = array_grow(a->text, &a->cap, a->len + n + 1, 1)) == NULL) {
		a->too_big = 1;
		return n;
	}
	a->text = v;
	memcpy(a->text + a->len, buf, n);
	a->len += n;
	a->text[a->len] = '\0';
	return n;
}

/* One attempt. Returns 0 for an answer the provider documents as success
 * (purge_answer_ok), else -1 with a message naming the URL (redacted) and
 * what came back; never a header (they hold keys). */
static int perform(const struct purge *p, const struct purge_req *r, struct err *e)
{
	char name[FETCH_URL_MAX + 1], errbuf[CURL_ERROR_SIZE] = "", ua[64], shown[256];
	char why[128];
	struct curl_slist *h = NULL, *n;
	struct answer a = { NULL, 0, 0, 0 };
	CURL *c = curl_easy_init();
	CURLcode rc = CURLE_OK;
	long status = 0;
	int ret = -1;

	fetch_url_redact(r->url, name, sizeof(name));
	if (c == NULL)
		return err_set(e, "purge %s: out of memory", name);
	for (size_t i = 0; i < r->nhdr; i++) {
		if ((n = curl_slist_append(h, r->hdr[i])) == NULL)
			goto oom;
		h = n;
	}
	/* libcurl would add "Expect: 100-continue" to a large POST: not all
	 * APIs answer it. */
	if ((n = curl_slist_append(h, "Expect:")) == NULL)
		goto oom;
	h = n;
	snprintf(ua, sizeof(ua), "ocsp-responder/%s", ocsp_version());
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_URL, r->url);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_CONNECTTIMEOUT, 10L);
	SET(CURLOPT_TIMEOUT, (long)PURGE_TIMEOUT);
	SET(CURLOPT_USERAGENT, ua);
	SET(CURLOPT_CUSTOMREQUEST, r->method);
	SET(CURLOPT_HTTPHEADER, h);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, &a);
	if (r->body != NULL) {
		SET(CURLOPT_POSTFIELDS, r->body);
		SET(CURLOPT_POSTFIELDSIZE, (long)r->len);
	}
#undef SET
	if (rc == CURLE_OK)
		rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		err_set(e, "purge %s %s: %s%s%s%s", r->method, name, curl_easy_strerror(rc),
		    errbuf[0] ? " (" : "", errbuf, errbuf[0] ? ")" : "");
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (a.too_big)
		snprintf(why, sizeof(why), "HTTP status %ld, an answer longer than %d bytes",
		    status, PURGE_ANSWER_BODY_MAX);
	if (a.too_big || !purge_answer_ok(p->preset, status, a.text ? a.text : "", a.len,
	    r->items, r->nitems, why, sizeof(why))) {
		err_set(e, "purge %s %s: %s: %s", r->method, name, why,
		    log_escape(shown, sizeof(shown), a.text ? a.text : "",
		    a.len < PURGE_ANSWER_MAX ? a.len : PURGE_ANSWER_MAX));
		goto out;
	}
	ret = 0;
	goto out;
oom:
	err_set(e, "purge %s: out of memory", name);
out:
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(a.text);
	return ret;
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec t = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	while (ms > 0 && nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

/* Waits for the request slot that purge_rate allows. */
static void rate_wait(const struct purge *p, int64_t *next)
{
	int64_t t = now_ms();

	if (*next > t)
		sleep_ms(*next - t);
	*next = (*next > t ? *next : t) + 1000 / p->rate;
}

/* One batch, retried with doubling back-off. */
static int send_batch(struct purge *p, const struct purge_req *r, int64_t *next,
    struct purge_stats *st, struct err *e)
{
	int64_t backoff = PURGE_BACKOFF_MS;

	for (int64_t attempt = 0;; attempt++) {
		rate_wait(p, next);
		st->requests++;
		if (perform(p, r, e) == 0)
			return 0;
		if (attempt == p->retries)
			return -1;
		log_warn("%s; retrying in %lld ms", e->msg, (long long)backoff);
		st->retries++;
		sleep_ms(backoff);
		backoff *= 2;
	}
}

int purge_send(struct purge *p, struct purge_stats *st, struct err *e)
{
	struct err last;
	size_t kept = 0, i = 0, count;
	int64_t next = 0;
	int failed = 0;

	memset(st, 0, sizeof(*st));
	while (i < p->n) {
		struct purge_req r;
		int ok;
		if (purge_preset_request(p, i, &count, &r, &last) != 0) {
			ok = -1;
			count = 1;	/* this item cannot be sent: kept, and on */
		} else {
			r.items = (const char *const *)p->item + i;
			r.nitems = count;
			ok = send_batch(p, &r, &next, st, &last);
			OPENSSL_cleanse(r.hdr, sizeof(r.hdr));
			free(r.body);
		}
		for (size_t k = i; k < i + count; k++) {
			if (ok == 0) {
				free(p->item[k]);
				st->purged++;
			} else {
				p->item[kept++] = p->item[k];	/* kept for the pending file */
			}
		}
		if (ok != 0)
			failed = 1;
		i += count;
	}
	p->n = kept;
	st->failed = kept;
	if (failed) {
		*e = last;
		return -1;
	}
	return 0;
}

/* ---- the pending file ---- */

static int pending_path(char *out, size_t cap, const char *dir, struct err *e)
{
	int n = snprintf(out, cap, "%s/%s", dir, PURGE_PENDING_NAME);

	if (n < 0 || (size_t)n >= cap)
		return err_set(e, "purge: directory path too long");
	return 0;
}

static const char *kind_word(enum purge_kind k)
{
	return k == PURGE_URL ? "url" : "tag";
}

/* Lines "url <URL>" or "tag <TAG>" after the magic line. */
static int pending_line(struct purge *p, const char *line, size_t n, size_t *skipped,
    int *added, struct err *e)
{
	enum purge_kind k;

	if (n > 4 && memcmp(line, "url ", 4) == 0)
		k = PURGE_URL;
	else if (n > 4 && memcmp(line, "tag ", 4) == 0)
		k = PURGE_TAG;
	else
		return err_set(e, "not a 'url ...' or 'tag ...' line");
	if (!item_ok(line + 4, n - 4))
		return err_set(e, "a refused item");
	if (k != purge_kind(p)) {
		(*skipped)++;
		return 0;
	}
	if (queue_push(p, line + 4, n - 4, e) != 0)
		return -1;
	(*added)++;
	return 0;
}

int purge_pending_load(struct purge *p, const char *dir, size_t *skipped, struct err *e)
{
	char path[FS_PATH_MAX];
	uint8_t *data = NULL;
	size_t len = 0, magic = strlen(PURGE_PENDING_MAGIC), lineno = 1;
	int added = 0, ret = -1;
	const char *s, *end;

	*skipped = 0;
	if (pending_path(path, sizeof(path), dir, e) != 0)
		return -1;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (fs_read_file(path, PURGE_PENDING_MAX, &data, &len, e) != 0)
		return -1;
	s = (const char *)data;
	end = s + len;
	if (len < magic + 1 || memcmp(s, PURGE_PENDING_MAGIC, magic) != 0 || s[magic] != '\n') {
		err_set(e, "%s: not a purge pending file", path);
		goto out;
	}
	s += magic + 1;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		lineno++;
		if (n > 0 && pending_line(p, s, n, skipped, &added, e) != 0) {
			err_prefix(e, "%s:%zu", path, lineno);
			goto out;
		}
		s += n + 1;
	}
	ret = added;
out:
	free(data);
	return ret;
}

int purge_pending_save(const struct purge *p, const char *dir, struct err *e)
{
	char path[FS_PATH_MAX];
	struct buf { char *p; size_t len, cap; } b = { NULL, 0, 0 };
	size_t need = strlen(PURGE_PENDING_MAGIC) + 1;
	int fd, ret = -1;

	if (pending_path(path, sizeof(path), dir, e) != 0)
		return -1;
	if (p->n == 0) {
		if (unlink(path) != 0 && errno != ENOENT)
			return err_set(e, "%s: %s", path, strerror(errno));
		return 0;
	}
	for (size_t i = 0; i < p->n; i++)
		need += 4 + strlen(p->item[i]) + 1;
	if ((b.p = malloc(need + 1)) == NULL)
		return err_set(e, "out of memory");
	b.len = (size_t)snprintf(b.p, need + 1, "%s\n", PURGE_PENDING_MAGIC);
	for (size_t i = 0; i < p->n; i++)
		b.len += (size_t)snprintf(b.p + b.len, need + 1 - b.len, "%s %s\n",
		    kind_word(purge_kind(p)), p->item[i]);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err_set(e, "%s: %s", dir, strerror(errno));
		goto out;
	}
	ret = fs_write_atomic(fd, PURGE_PENDING_NAME, b.p, b.len, FS_SYNC, e);
	close(fd);
out:
	free(b.p);
	return ret;
}
