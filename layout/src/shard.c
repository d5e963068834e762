#include "ocsp/shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

/* One decimal number in [1, SHARD_N_MAX] from p up to end. */
static int parse_part(const char *p, const char *end, uint32_t *out)
{
	char buf[8], *stop;
	unsigned long v;
	size_t n = (size_t)(end - p);

	if (n == 0 || n >= sizeof(buf) || p[0] < '1' || p[0] > '9')
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &stop, 10);
	if (errno != 0 || *stop != '\0' || v < 1 || v > SHARD_N_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int shard_parse(const char *text, struct shard *out, struct err *e)
{
	const char *slash = strchr(text, '/');
	struct shard s;

	if (slash == NULL || parse_part(text, slash, &s.k) != 0 ||
	    parse_part(slash + 1, slash + 1 + strlen(slash + 1), &s.n) != 0 || s.k > s.n)
		return err_set(e, "shard '%.32s' is not K/N with 1 <= K <= N <= %d", text,
		    SHARD_N_MAX);
	*out = s;
	return 0;
}

void shard_format(const struct shard *s, char out[SHARD_TEXT_MAX + 1])
{
	if (s->n == 0)
		out[0] = '\0';
	else
		snprintf(out, SHARD_TEXT_MAX + 1, "%u/%u", (unsigned)s->k, (unsigned)s->n);
}

uint32_t shard_of(const struct serial *s, uint32_t n)
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	uint64_t v = 0;

	SHA256(s->b, s->len, h);
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return n <= 1 ? 1 : (uint32_t)(v % n) + 1;
}

int shard_owns(const struct shard *sh, const struct serial *s)
{
	return sh->n == 0 || shard_of(s, sh->n) == sh->k;
}

int shard_eq(const struct shard *a, const struct shard *b)
{
	return a->k == b->k && a->n == b->n;
}

int shard_marker_name(const struct shard *sh, char *out, size_t size)
{
	int n;

	if (sh->n == 0)
		return -1;
	n = snprintf(out, size, "%s/%u-of-%u", SHARD_MARKER_DIR, (unsigned)sh->k,
	    (unsigned)sh->n);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
