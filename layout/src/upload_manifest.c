/* The record of what an upload target holds: object name -> SHA-256 and
 * size, one text line per object, sorted by name (upload.h). */
#include "ocsp/upload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocsp/array.h"
#include "ocsp/certid.h"
#include "ocsp/err.h"
#include "ocsp/hex.h"
#include "ocsp/serial.h"
#include "ocsp/tree.h"

#define MANIFEST_MAGIC "ocsp-upload-manifest 1"
/* "<64 hex> <size> <name>": size has at most 20 digits. */
#define LINE_MAX_LEN (64 + 1 + 20 + 1 + UPLOAD_NAME_MAX)

void upload_manifest_init(struct upload_manifest *m)
{
	memset(m, 0, sizeof(*m));
}

void upload_manifest_fini(struct upload_manifest *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static int hash_dir_valid(const char *s, size_t n)
{
	for (int alg = 0; alg < HASH_COUNT; alg++) {
		const char *h = hash_name(alg);
		if (alg != HASH_SHA1 && strlen(h) == n && memcmp(h, s, n) == 0)
			return 1;
	}
	return 0;
}

static int get_key_name_valid(const char *k, size_t n)
{
	if (n == 0 || n > GET_KEY_B64_MAX || k[0] != 'M')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= 'a' && k[i] <= 'z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '+' || k[i] == '/' || k[i] == '=' ||
		    k[i] == ' '))
			return 0;
	return 1;
}

int upload_name_valid(const char *name)
{
	char dir[TREE_ISSUER_DIR_LEN + 1];
	const char *rest, *slash;
	size_t n = strlen(name), gp = sizeof(UPLOAD_GET_PREFIX) - 1;

	if (strcmp(name, TREE_MARKER) == 0)
		return 1;
	if (n > gp && memcmp(name, UPLOAD_GET_PREFIX, gp) == 0)
		return get_key_name_valid(name + gp, n - gp);
	if (n <= TREE_ISSUER_DIR_LEN || n > UPLOAD_NAME_MAX || name[TREE_ISSUER_DIR_LEN] != '/')
		return 0;
	memcpy(dir, name, TREE_ISSUER_DIR_LEN);
	dir[TREE_ISSUER_DIR_LEN] = '\0';
	if (!tree_issuer_dir_valid(dir))
		return 0;
	rest = name + TREE_ISSUER_DIR_LEN + 1;
	if (strcmp(rest, TREE_ISSUER_META) == 0)
		return 1;
	slash = strchr(rest, '/');
	if (slash != NULL) {
		if (!hash_dir_valid(rest, (size_t)(slash - rest)))
			return 0;
		rest = slash + 1;
	}
	return serial_name_valid(rest);
}

static int parse_size(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* One "<hex> <size> <name>" line of n bytes (no LF) into ent. */
static int parse_entry(const char *p, size_t n, struct upload_entry *ent)
{
	const char *sp;
	size_t rest;
	char hex[65];

	memset(ent, 0, sizeof(*ent));
	if (n < 64 + 1 + 1 + 1 + 1 || p[64] != ' ')
		return -1;
	memcpy(hex, p, 64);
	hex[64] = '\0';
	for (int i = 0; i < 64; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return -1;
	if (hex_decode(ent->sha256, 32, hex) != 0)
		return -1;
	p += 65;
	n -= 65;
	sp = memchr(p, ' ', n);
	if (sp == NULL || parse_size(p, (size_t)(sp - p), &ent->size) != 0)
		return -1;
	rest = n - (size_t)(sp - p) - 1;
	if (rest == 0 || rest > UPLOAD_NAME_MAX || memchr(sp + 1, '\0', rest) != NULL)
		return -1;
	memcpy(ent->name, sp + 1, rest);
	ent->name[rest] = '\0';
	return upload_name_valid(ent->name) ? 0 : -1;
}

static int push(struct upload_manifest *m, const struct upload_entry *ent)
{
	struct upload_entry *v = array_grow(m->v, &m->cap, m->n + 1, sizeof(*v));

	if (v == NULL)
		return -1;
	m->v = v;
	m->v[m->n++] = *ent;
	return 0;
}

int upload_manifest_parse(const char *text, size_t len, struct upload_manifest *m,
    struct err *e)
{
	struct upload_entry ent;
	size_t pos = 0;
	unsigned long line = 0;

	m->n = 0;
	if (len > UPLOAD_MANIFEST_MAX)
		return err_set(e, "manifest larger than %zu bytes", UPLOAD_MANIFEST_MAX);
	while (pos < len) {
		const char *p = text + pos, *nl = memchr(p, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - p) : len - pos;
		line++;
		if (nl == NULL) {
			err_set(e, "line %lu: not terminated (a write cut short?)", line);
			goto fail;
		}
		pos += n + 1;
		if (line == 1) {
			size_t k = sizeof(MANIFEST_MAGIC) - 1;
			if (n < k || memcmp(p, MANIFEST_MAGIC, k) != 0 || (n > k && p[k] != ' ')) {
				err_set(e, "line 1: not an upload manifest of format 1");
				goto fail;
			}
			continue;
		}
		if (n > LINE_MAX_LEN || parse_entry(p, n, &ent) != 0) {
			err_set(e, "line %lu: expected '<sha256 hex> <size> <object name>'", line);
			goto fail;
		}
		if (m->n > 0 && strcmp(m->v[m->n - 1].name, ent.name) >= 0) {
			err_set(e, "line %lu: names out of order or repeated", line);
			goto fail;
		}
		if (push(m, &ent) != 0) {
			err_set(e, "out of memory");
			goto fail;
		}
	}
	if (line == 0) {
		err_set(e, "empty manifest");
		goto fail;
	}
	return 0;
fail:
	m->n = 0;
	return -1;
}

int upload_manifest_format(const struct upload_manifest *m, const char *shown,
    char **out, size_t *len, struct err *e)
{
	size_t cap = sizeof(MANIFEST_MAGIC) + strlen(shown) + 2 + m->n * (LINE_MAX_LEN + 1);
	char *buf = malloc(cap), hex[65];
	size_t pos;
	int k;

	*out = NULL;
	if (buf == NULL)
		return err_set(e, "out of memory");
	/* shown is for people; a line break in it would end the header early. */
	k = snprintf(buf, cap, "%s %.*s\n", MANIFEST_MAGIC, (int)strcspn(shown, "\r\n"), shown);
	pos = (size_t)k;
	for (size_t i = 0; i < m->n; i++) {
		hex_lower(hex, m->v[i].sha256, 32);
		hex[64] = '\0';
		k = snprintf(buf + pos, cap - pos, "%s %llu %s\n", hex,
		    (unsigned long long)m->v[i].size, m->v[i].name);
		if (k < 0 || (size_t)k >= cap - pos) {
			free(buf);
			return err_set(e, "internal: manifest line too long");
		}
		pos += (size_t)k;
	}
	*out = buf;
	*len = pos;
	return 0;
}

struct upload_entry *upload_manifest_find(const struct upload_manifest *m,
    const char *name)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->v[mid].name, name);
		if (c == 0)
			return &m->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
