#include "ocsp/certid.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

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

int certid_from_ocsp(const OCSP_CERTID *cid, struct req_certid *out, struct err *e)
{
	ASN1_OCTET_STRING *name = NULL, *key = NULL;
	ASN1_OBJECT *md = NULL;
	ASN1_INTEGER *serial = NULL;
	size_t hl;

	memset(out, 0, sizeof(*out));
	if (!OCSP_id_get0_info(&name, &md, &key, &serial, (OCSP_CERTID *)cid) || !name ||
	    !md || !key || !serial)
		return err_set(e, "incomplete CertID");
	out->alg = hash_from_nid(OBJ_obj2nid(md));
	if (out->alg >= 0) {
		hl = hash_len(out->alg);
		if ((size_t)ASN1_STRING_length(name) != hl || (size_t)ASN1_STRING_length(key) != hl)
			return err_set(e, "CertID hash lengths do not match its algorithm");
		memcpy(out->name_hash, ASN1_STRING_get0_data(name), hl);
		memcpy(out->key_hash, ASN1_STRING_get0_data(key), hl);
	}
	out->serial_ok = ASN1_STRING_type(serial) == V_ASN1_INTEGER &&
	    serial_from_bytes(&out->serial, ASN1_STRING_get0_data(serial),
	    (size_t)ASN1_STRING_length(serial)) == 0;
	return 0;
}

int certid_same_issuer(const struct req_certid *a, const struct req_certid *b)
{
	size_t hl;

	if (a->alg < 0 || a->alg != b->alg)
		return 0;
	hl = hash_len(a->alg);
	return memcmp(a->name_hash, b->name_hash, hl) == 0 &&
	    memcmp(a->key_hash, b->key_hash, hl) == 0;
}
