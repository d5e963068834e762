/* What is purged (GET URLs, tags) and the request each provider's
 * documentation gives for it. No HTTP here: purge.c sends what this
 * builds. */
#include "purge_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "ocsp/array.h"
#include "ocsp/get_key.h"
#include "ocsp/hex.h"

/* Items per request, from each provider's documentation: Cloudflare
 * documents 100 operations per request today and had 30 for years (30 is
 * accepted on every plan); Fastly takes 256 surrogate keys per batch
 * purge; Akamai Fast Purge takes a body of at most 50,000 bytes. */
#define CLOUDFLARE_BATCH 30
#define FASTLY_BATCH 256
#define AKAMAI_BODY_MAX 50000
#define AKAMAI_BATCH 500

#define CLOUDFLARE_API "https://api.cloudflare.com"
#define FASTLY_API "https://api.fastly.com"

int purge_tag(char *out, size_t cap, enum hash_alg alg, const uint8_t *key_hash,
    const struct serial *s)
{
	char key[2 * HASH_MAX_LEN + 1], name[SERIAL_NAME_MAX + 1];
	int n;

	hex_lower(key, key_hash, hash_len(alg));
	key[2 * hash_len(alg)] = '\0';
	if (s != NULL) {
		serial_name(s, name);
		n = snprintf(out, cap, "ocsp-%s-%s", key, name);
	} else {
		n = snprintf(out, cap, "ocsp-%s", key);
	}
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int purge_tags(char *out, size_t cap, char sep, enum hash_alg alg, const uint8_t *key_hash,
    const struct serial *s)
{
	int a = purge_tag(out, cap, alg, key_hash, NULL), b;

	if (a < 0 || (size_t)a + 2 > cap)
		return -1;
	out[a] = sep;
	b = purge_tag(out + a + 1, cap - (size_t)a - 1, alg, key_hash, s);
	return b < 0 ? -1 : a + 1 + b;
}

static int add_url(struct purge *p, const char *base, size_t blen, const char *key,
    struct err *e)
{
	char url[PURGE_ITEM_MAX + 1];
	int n = snprintf(url, sizeof(url), "%.*s/%s", (int)blen, base, key);

	if (n < 0 || (size_t)n >= sizeof(url))
		return err_set(e, "purge_base: URL longer than %d bytes", PURGE_ITEM_MAX);
	return purge_add(p, PURGE_URL, url, e) < 0 ? -1 : 0;
}

int purge_add_urls(struct purge *p, const char *base, enum hash_alg alg,
    const struct issuer_hash *h, const struct serial *s, struct err *e)
{
	uint8_t der[GET_KEY_DER_MAX];
	char b64[GET_KEY_B64_MAX + 1], pct[GET_KEY_PCT_MAX + 1];
	size_t blen = strlen(base), len;
	int queued = 0;

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	for (int form = 0; form < GET_KEY_ALGID_COUNT; form++) {
		if (get_key_request(alg, form, h->name, h->key, s, der, sizeof(der), &len, e) != 0)
			return -1;
		if (get_key_base64(der, len, b64, sizeof(b64)) < 0 ||
		    get_key_percent(b64, pct, sizeof(pct)) < 0)
			return err_set(e, "internal: GET key does not fit");
		if (add_url(p, base, blen, b64, e) != 0)
			return -1;
		queued++;
		if (strcmp(b64, pct) != 0) {
			if (add_url(p, base, blen, pct, e) != 0)
				return -1;
			queued++;
		}
	}
	return queued;
}

/* ---- JSON bodies ---- */

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	char *v;

	if (b->oom)
		return;
	v = array_grow(b->p, &b->cap, b->len + n + 1, 1);
	if (v == NULL) {
		b->oom = 1;
		return;
	}
	b->p = v;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* A JSON string: items hold no control characters (purge_add refuses
 * them), so only the quote and the backslash need escaping. */
static void buf_json(struct buf *b, const char *s)
{
	buf_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_add(b, "\\", 1);
		buf_add(b, s, 1);
	}
	buf_add(b, "\"", 1);
}

/* {"field":["a","b",...]} of the items from first, at most max of them
 * and at most body_max bytes (0: no cap); *count says how many. */
static int json_list(const struct purge *p, const char *field, size_t first, size_t max,
    size_t body_max, struct purge_req *r, size_t *count, struct err *e)
{
	struct buf b = { NULL, 0, 0, 0 };
	size_t i;

	buf_str(&b, "{\"");
	buf_str(&b, field);
	buf_str(&b, "\":[");
	for (i = first; i < p->n && i - first < max; i++) {
		size_t before = b.len;
		if (i > first)
			buf_add(&b, ",", 1);
		buf_json(&b, p->item[i]);
		if (body_max != 0 && i > first && b.len + 2 > body_max) {
			b.len = before;		/* this one goes into the next request */
			break;
		}
	}
	buf_str(&b, "]}");
	if (b.oom) {
		free(b.p);
		return err_set(e, "out of memory");
	}
	r->body = b.p;
	r->len = b.len;
	*count = i - first;
	return 0;
}

/* "name: <prefix><value>" */
static int header(struct purge_req *r, struct err *e, const char *name, const char *prefix,
    const char *v)
{
	int n;

	if (r->nhdr == PURGE_HEADERS)
		return err_set(e, "internal: too many purge headers");
	n = snprintf(r->hdr[r->nhdr], PURGE_HEADER_MAX, "%s: %s%s", name, prefix, v);
	if (n < 0 || n >= PURGE_HEADER_MAX)
		return err_set(e, "purge: a header is longer than %d bytes", PURGE_HEADER_MAX);
	r->nhdr++;
	return 0;
}

static int set_url(struct purge_req *r, struct err *e, const char *base, const char *mid,
    const char *zone, const char *tail)
{
	size_t bl = strlen(base);
	int n;

	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	n = snprintf(r->url, sizeof(r->url), "%.*s%s%s%s", (int)bl, base, mid, zone, tail);
	if (n < 0 || (size_t)n >= sizeof(r->url))
		return err_set(e, "purge: API URL too long");
	return 0;
}

/* ---- generic: Varnish, a caching nginx ---- */

/* "PURGE <endpoint's origin><item's path>" with the item's Host, the form
 * Varnish's documentation shows (req.url and req.http.host as a client's
 * request had them). */
static int generic_purge(const struct purge *p, const char *item, struct purge_req *r,
    struct err *e)
{
	const char *host = strstr(item, "://"), *path, *eo = strstr(p->endpoint, "://");
	size_t origin;
	int n;

	if (host == NULL || eo == NULL)
		return err_set(e, "purge: '%s' is not an absolute URL", host ? p->endpoint : item);
	host += 3;
	path = host + strcspn(host, "/");
	eo += 3;
	origin = (size_t)(eo - p->endpoint) + strcspn(eo, "/");
	n = snprintf(r->url, sizeof(r->url), "%.*s%s", (int)origin, p->endpoint,
	    *path ? path : "/");
	if (n < 0 || (size_t)n >= sizeof(r->url))
		return err_set(e, "purge: URL too long");
	r->method = "PURGE";
	n = snprintf(r->hdr[0], PURGE_HEADER_MAX, "Host: %.*s", (int)(path - host), host);
	if (n < 0 || n >= PURGE_HEADER_MAX)
		return err_set(e, "purge: host name too long");
	r->nhdr = 1;
	return 0;
}

static int generic_ban(const struct purge *p, const char *item, struct purge_req *r,
    struct err *e)
{
	r->method = "BAN";
	if (snprintf(r->url, sizeof(r->url), "%s", p->endpoint) >= (int)sizeof(r->url))
		return err_set(e, "purge: URL too long");
	return header(r, e, "X-Purge-Tag", "", item);
}

/* ---- EdgeGrid ---- */

static int b64(const unsigned char *in, size_t n, char *out, size_t cap)
{
	if (cap < 4 * ((n + 2) / 3) + 1)
		return -1;
	return EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static int hmac_b64(const void *key, size_t klen, const void *data, size_t dlen,
    char *out, size_t cap)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	int n;

	if (HMAC(EVP_sha256(), key, (int)klen, data, dlen, mac, &mlen) == NULL)
		return -1;
	n = b64(mac, mlen, out, cap);
	OPENSSL_cleanse(mac, sizeof(mac));
	return n;
}

int purge_edgegrid_auth(const char *client_token, const char *client_secret,
    const char *access_token, const char *timestamp, const char *nonce,
    const char *method, const char *url, const void *body, size_t body_len,
    char *out, size_t cap)
{
	char key[64], hash[64] = "", sig[64], data[FETCH_URL_MAX + 2 * PURGE_HEADER_MAX];
	unsigned char md[32];
	const char *host, *path;
	size_t hl;
	int n, ret = -1;

	host = strstr(url, "://");
	if (host == NULL)
		return -1;
	host += 3;
	hl = strcspn(host, "/");
	path = host + hl;
	n = snprintf(out, cap, "EG1-HMAC-SHA256 client_token=%s;access_token=%s;"
	    "timestamp=%s;nonce=%s;", client_token, access_token, timestamp, nonce);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	/* The content hash covers a POST's body (up to max-body, 131072
	 * bytes by default: ours are at most 50,000). */
	if (strcmp(method, "POST") == 0 && body_len > 0) {
		if (EVP_Digest(body, body_len, md, NULL, EVP_sha256(), NULL) != 1 ||
		    b64(md, sizeof(md), hash, sizeof(hash)) < 0)
			return -1;
	}
	if (hmac_b64(client_secret, strlen(client_secret), timestamp, strlen(timestamp), key,
	    sizeof(key)) < 0)
		goto out;
	/* Host lowercased, as the specification's canonical form has it. */
	n = snprintf(data, sizeof(data), "%s\t%.*s\t", method, (int)(host - 3 - url), url);
	if (n < 0 || (size_t)n + hl + 1 >= sizeof(data))
		goto out;
	for (size_t i = 0; i < hl; i++) {
		char c = host[i];
		data[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	{
		size_t used = (size_t)n;
		int m = snprintf(data + used, sizeof(data) - used, "\t%s\t\t%s\t%s",
		    *path ? path : "/", hash, out);
		if (m < 0 || (size_t)m >= sizeof(data) - used)
			goto out;
		used += (size_t)m;
		if (hmac_b64(key, strlen(key), data, used, sig, sizeof(sig)) < 0)
			goto out;
	}
	n = (int)strlen(out);
	{
		int m = snprintf(out + n, cap - (size_t)n, "signature=%s", sig);
		if (m < 0 || (size_t)m >= cap - (size_t)n)
			goto out;
		ret = n + m;
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(data, sizeof(data));
	return ret;
}

static int akamai_sign(const struct purge *p, struct purge_req *r, struct err *e)
{
	char ts[32], nonce[40], auth[PURGE_HEADER_MAX];
	unsigned char rnd[16];
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL || strftime(ts, sizeof(ts), "%Y%m%dT%H:%M:%S+0000",
	    &tm) == 0 || RAND_bytes(rnd, sizeof(rnd)) != 1)
		return err_set(e, "purge: cannot make an EdgeGrid timestamp or nonce");
	hex_lower(nonce, rnd, sizeof(rnd));
	nonce[2 * sizeof(rnd)] = '\0';
	if (purge_edgegrid_auth(p->ak.client_token, p->ak.client_secret, p->ak.access_token,
	    ts, nonce, r->method, r->url, r->body, r->len, auth, sizeof(auth)) < 0)
		return err_set(e, "purge: cannot sign the Akamai request (EdgeGrid)");
	if (header(r, e, "Authorization", "", auth) != 0)
		return -1;
	OPENSSL_cleanse(auth, sizeof(auth));
	return 0;
}

/* ---- the presets ---- */

int purge_preset_request(const struct purge *p, size_t first, size_t *count,
    struct purge_req *r, struct err *e)
{
	char base[FETCH_URL_MAX + 1];

	memset(r, 0, sizeof(*r));
	*count = 1;
	switch (p->preset) {
	case PURGE_GENERIC:
		return p->ban ? generic_ban(p, p->item[first], r, e) :
		    generic_purge(p, p->item[first], r, e);
	case PURGE_CLOUDFLARE:
		r->method = "POST";
		if (set_url(r, e, p->api ? p->api : CLOUDFLARE_API, "/client/v4/zones/", p->zone,
		    "/purge_cache") != 0 ||
		    header(r, e, "Authorization", "Bearer ", p->secret) != 0 ||
		    header(r, e, "Content-Type", "", "application/json") != 0)
			return -1;
		return json_list(p, p->by_tag ? "tags" : "files", first, CLOUDFLARE_BATCH, 0, r,
		    count, e);
	case PURGE_FASTLY:
		r->method = "POST";
		if (set_url(r, e, p->api ? p->api : FASTLY_API, "/service/", p->zone, "/purge") != 0 ||
		    header(r, e, "Fastly-Key", "", p->secret) != 0 ||
		    header(r, e, "Content-Type", "", "application/json") != 0 ||
		    header(r, e, "Accept", "", "application/json") != 0)
			return -1;
		return json_list(p, "surrogate_keys", first, FASTLY_BATCH, 0, r, count, e);
	case PURGE_AKAMAI:
		r->method = "POST";
		if (p->api != NULL)
			snprintf(base, sizeof(base), "%s", p->api);
		else
			snprintf(base, sizeof(base), "https://%s", p->ak.host);
		if (set_url(r, e, base, p->by_tag ? "/ccu/v3/invalidate/tag/" :
		    "/ccu/v3/invalidate/url/", p->zone ? p->zone : "production", "") != 0 ||
		    header(r, e, "Content-Type", "", "application/json") != 0 ||
		    json_list(p, "objects", first, AKAMAI_BATCH, AKAMAI_BODY_MAX, r, count, e) != 0)
			return -1;
		if (akamai_sign(p, r, e) != 0) {
			free(r->body);
			r->body = NULL;
			return -1;
		}
		return 0;
	}
	return err_set(e, "internal: unknown purge preset");
}
