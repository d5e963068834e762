#include "ocsp/certid.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>

/* AlgorithmIdentifier DER: SEQUENCE { OID, NULL } */
static const uint8_t algid_sha1[] = {
	0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00 };
static const uint8_t algid_sha256[] = {
	0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	0x01, 0x05, 0x00 };
static const uint8_t algid_sha384[] = {
	0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	0x02, 0x05, 0x00 };
static const uint8_t algid_sha512[] = {
	0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	0x03, 0x05, 0x00 };

static const struct {
	const char *name;
	size_t len;
	int nid;
	const uint8_t *algid;
	size_t algid_len;
} hashes[HASH_COUNT] = {
	[HASH_SHA1] = { "sha1", 20, NID_sha1, algid_sha1, sizeof(algid_sha1) },
	[HASH_SHA256] = { "sha256", 32, NID_sha256, algid_sha256, sizeof(algid_sha256) },
	[HASH_SHA384] = { "sha384", 48, NID_sha384, algid_sha384, sizeof(algid_sha384) },
	[HASH_SHA512] = { "sha512", 64, NID_sha512, algid_sha512, sizeof(algid_sha512) },
};

size_t hash_len(enum hash_alg alg)
{
	return hashes[alg].len;
}

const char *hash_name(enum hash_alg alg)
{
	return hashes[alg].name;
}

int hash_from_name(const char *name)
{
	for (int i = 0; i < HASH_COUNT; i++)
		if (strcmp(hashes[i].name, name) == 0)
			return i;
	return -1;
}

int hash_list_parse(const char *v, unsigned *mask)
{
	char name[16];
	size_t i = 0;
	int unknown = 0;

	*mask = 0;
	while (v[i] != '\0') {
		size_t n = 0;
		while (v[i] == ' ' || v[i] == ',')
			i++;
		while (v[i] != '\0' && v[i] != ' ' && v[i] != ',') {
			if (n + 1 >= sizeof(name))
				return -1;
			name[n++] = v[i++];
		}
		if (n == 0)
			continue;
		name[n] = '\0';
		int alg = hash_from_name(name);
		if (alg < 0)
			unknown++;
		else
			*mask |= 1u << alg;
	}
	return unknown;
}

int hash_from_nid(int nid)
{
	for (int i = 0; i < HASH_COUNT; i++)
		if (hashes[i].nid == nid)
			return i;
	return -1;
}

const uint8_t *hash_algid_der(enum hash_alg alg, size_t *len)
{
	*len = hashes[alg].algid_len;
	return hashes[alg].algid;
}

const EVP_MD *hash_md(enum hash_alg alg)
{
	switch (alg) {
	case HASH_SHA1: return EVP_sha1();
	case HASH_SHA256: return EVP_sha256();
	case HASH_SHA384: return EVP_sha384();
	default: return EVP_sha512();
	}
}

int certid_issuer_hash(X509 *issuer, enum hash_alg alg,
    struct issuer_hash *out, struct err *e)
{
	unsigned int n = 0;

	memset(out, 0, sizeof(*out));
	if (!X509_NAME_digest(X509_get_subject_name(issuer), hash_md(alg),
	    out->name, &n) || n != hash_len(alg))
		return err_ssl(e, "cannot hash the issuer name");
	if (!X509_pubkey_digest(issuer, hash_md(alg), out->key, &n) ||
	    n != hash_len(alg))
		return err_ssl(e, "cannot hash the issuer key");
	return 0;
}
