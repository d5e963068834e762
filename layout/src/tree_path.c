/* Tree names and the one path builder (layout/TREE.md). Whatever reaches
 * these functions, from a request or a configuration, what comes out is a
 * name of the tree or nothing. */
#include "ocsp/tree.h"

#include <stdint.h>
#include <string.h>

#include "ocsp/certid.h"
#include "ocsp/hex.h"
#include "ocsp/serial.h"

int tree_issuer_dir_valid(const char *name)
{
	if (strlen(name) != TREE_ISSUER_DIR_LEN)
		return 0;
	for (size_t i = 0; i < TREE_ISSUER_DIR_LEN; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return 1;
}

void tree_issuer_dir(char out[TREE_ISSUER_DIR_LEN + 1], const uint8_t key_sha1[20])
{
	hex_lower(out, key_sha1, TREE_ISSUER_DIR_LEN / 2);
}

static int component_ok(const char *s)
{
	return s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0;
}

/* Appends "/" (unless at the start) and part. */
static int append(char *out, size_t cap, size_t *len, const char *part)
{
	size_t n = strlen(part), sep = *len > 0;

	if (*len + sep + n >= cap)
		return -1;
	if (sep)
		out[(*len)++] = '/';
	memcpy(out + *len, part, n + 1);
	*len += n;
	return 0;
}

int tree_path(char *out, size_t cap, const char *root, const char *issuer, int alg,
    const char *name)
{
	size_t len = 0;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	if (alg >= HASH_COUNT || (alg > HASH_SHA1 && issuer == NULL))
		return -1;
	if ((issuer != NULL && !tree_issuer_dir_valid(issuer)) ||
	    (name != NULL && !component_ok(name)) ||
	    (root != NULL && root[0] == '\0'))
		return -1;
	if ((root != NULL && append(out, cap, &len, root) != 0) ||
	    (issuer != NULL && append(out, cap, &len, issuer) != 0) ||
	    (alg > HASH_SHA1 && append(out, cap, &len, hash_name(alg)) != 0) ||
	    (name != NULL && append(out, cap, &len, name) != 0))
		return -1;
	return (int)len;
}

int tree_response_path(char *out, size_t cap, const char *root, const char *issuer,
    int alg, const struct serial *s)
{
	char name[SERIAL_NAME_MAX + 1];

	if (s->len == 0 || s->len > SERIAL_MAX)
		return -1;
	serial_name(s, name);
	if (!serial_name_valid(name))
		return -1;
	return tree_path(out, cap, root, issuer, alg, name);
}
