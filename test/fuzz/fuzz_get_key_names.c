/* get_key: from any hash algorithm, issuer hashes and serial, every GET key
 * a client sends (raw, percent-encoded, '+' as a space) decodes through
 * get_path_decode to a request that request_parse reads back as exactly
 * that CertID; every store name is a path of non-empty parts with no "//"
 * and is one of the spellings a store resolves. Input: one octet of
 * algorithm, one of serial length, then hashes and serial octets. */
#include <string.h>

#include "ocsp/get_key.h"
#include "ocsp/request.h"
#include "fuzz.h"

static void same_certid(const char *key, enum hash_alg alg, const struct issuer_hash *h,
    const struct serial *s)
{
	static uint8_t der[GET_PATH_MAX];
	struct ocsp_request r;
	struct err e;
	size_t n = 0;

	FUZZ_ASSERT(get_path_decode(key, strlen(key), "", der, sizeof(der), &n) == GET_PATH_OK);
	FUZZ_ASSERT(request_parse(der, n, 1, &r, &e) == REQUEST_OK);
	FUZZ_ASSERT(r.n == 1 && !r.has_nonce && !r.is_signed && r.id[0].alg == (int)alg);
	FUZZ_ASSERT(memcmp(r.id[0].name_hash, h->name, hash_len(alg)) == 0);
	FUZZ_ASSERT(memcmp(r.id[0].key_hash, h->key, hash_len(alg)) == 0);
	FUZZ_ASSERT(r.id[0].serial_ok && r.id[0].serial.len == s->len &&
	    memcmp(r.id[0].serial.b, s->b, s->len) == 0);
	request_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct issuer_hash h;
	struct serial s;
	struct get_key_names names;
	struct err e;
	enum hash_alg alg;
	size_t hl, sl, stored = 0;

	if (size < 2)
		return 0;
	alg = (enum hash_alg)(data[0] % HASH_COUNT);
	hl = hash_len(alg);
	sl = 1 + data[1] % SERIAL_MAX;
	if (size < 2 + 2 * hl + sl)
		return 0;
	memcpy(h.name, data + 2, hl);
	memcpy(h.key, data + 2 + hl, hl);
	if (serial_from_bytes(&s, data + 2 + 2 * hl, sl) != 0 || s.len == 0) {
		s.len = 1;	/* all zeros: the serial 0 */
		s.b[0] = 0;
	}
	FUZZ_ASSERT(get_key_names(alg, &h, &s, &names, &e) == 0);
	FUZZ_ASSERT(names.n + names.unstorable >= GET_KEY_ALGID_COUNT);
	for (int f = 0; f < GET_KEY_ALGID_COUNT; f++) {
		uint8_t der[GET_KEY_DER_MAX];
		char b64[GET_KEY_B64_MAX + 2], pct[GET_KEY_PCT_MAX + 2], name[GET_KEY_B64_MAX + 1];
		size_t len;
		FUZZ_ASSERT(get_key_request(alg, f, h.name, h.key, &s, der, sizeof(der), &len,
		    &e) == 0);
		/* "/" + base64: the path a client appends to the AIA URL. */
		b64[0] = '/';
		FUZZ_ASSERT(get_key_base64(der, len, b64 + 1, sizeof(b64) - 1) > 0);
		pct[0] = '/';
		FUZZ_ASSERT(get_key_percent(b64 + 1, pct + 1, sizeof(pct) - 1) > 0);
		same_certid(b64, alg, &h, &s);
		same_certid(pct, alg, &h, &s);
		for (int how = 0; how < GET_KEY_STORE_COUNT; how++) {
			int n = get_key_store_path(b64 + 1, how, name, sizeof(name));
			int found = 0;
			FUZZ_ASSERT(n >= 0);
			if (n == 0) {
				FUZZ_ASSERT(b64[strlen(b64) - 1] == '/' || alg == HASH_SHA512);
				continue;
			}
			FUZZ_ASSERT(name[0] != '/' && name[n - 1] != '/' && strstr(name, "//") == NULL);
			for (const char *p = name, *q; *p; p = *q ? q + 1 : q) {
				q = strchr(p, '/');
				q = q ? q : p + strlen(p);
				FUZZ_ASSERT(q > p && (size_t)(q - p) <= GET_KEY_SEGMENT_MAX);
			}
			for (size_t i = 0; i < names.n; i++)
				found |= strcmp(names.name[i], name) == 0;
			FUZZ_ASSERT(found);
			stored++;
			if (strstr(b64, "//") == NULL)
				same_certid(name, alg, &h, &s);
		}
	}
	FUZZ_ASSERT(stored >= names.n);
	return 0;
}
