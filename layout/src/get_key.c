/* GET keys (get_key.h): the canonical request, its base64 and the names a
 * store holds it under. */
#include "ocsp/get_key.h"

#include <string.h>

#include <openssl/evp.h>

#include "ocsp/certid.h"
#include "ocsp/der.h"
#include "ocsp/serial.h"

/* The AlgorithmIdentifier of a form: hash_algid_der gives the one with
 * NULL parameters; without them it is the OID alone in a SEQUENCE. */
static void put_algid(struct der *d, enum hash_alg alg, enum get_key_algid form)
{
	size_t n, mark;
	const uint8_t *a = hash_algid_der(alg, &n);

	if (form == GET_KEY_ALGID_NULL) {
		der_raw(d, a, n);
		return;
	}
	/* a is 30 L 06 len OID 05 00: keep the OID. */
	mark = der_len(d);
	der_raw(d, a + 2, (size_t)a[3] + 2);
	der_wrap(d, DER_SEQUENCE, mark);
}

int get_key_request(enum hash_alg alg, enum get_key_algid form,
    const uint8_t *name_hash, const uint8_t *key_hash, const struct serial *s,
    uint8_t *out, size_t cap, size_t *len, struct err *e)
{
	struct der d;
	size_t mark;

	if ((int)alg < 0 || alg >= HASH_COUNT || (int)form < 0 || form >= GET_KEY_ALGID_COUNT)
		return err_set(e, "internal: no such CertID hash or AlgorithmIdentifier form");
	if (s->len == 0 || s->len > SERIAL_MAX)
		return err_set(e, "serial of %u octets", (unsigned)s->len);
	der_init(&d, out, cap);
	/* Each SEQUENCE holds all that is written before it: one mark. */
	mark = der_len(&d);
	der_uint(&d, s->b, s->len);
	der_octets(&d, key_hash, hash_len(alg));
	der_octets(&d, name_hash, hash_len(alg));
	put_algid(&d, alg, form);
	der_wrap(&d, DER_SEQUENCE, mark);	/* CertID */
	der_wrap(&d, DER_SEQUENCE, mark);	/* Request, no singleRequestExtensions */
	der_wrap(&d, DER_SEQUENCE, mark);	/* requestList */
	der_wrap(&d, DER_SEQUENCE, mark);	/* TBSRequest: v1 is the default, left out */
	der_wrap(&d, DER_SEQUENCE, mark);	/* OCSPRequest, unsigned */
	if (!der_ok(&d))
		return err_set(e, "internal: OCSP request larger than its buffer");
	*len = der_len(&d);
	memmove(out, der_data(&d), *len);
	return 0;
}

int get_key_base64(const uint8_t *der, size_t len, char *out, size_t cap)
{
	size_t need = 4 * ((len + 2) / 3);

	if (len > GET_KEY_DER_MAX || need + 1 > cap)
		return -1;
	/* EVP_EncodeBlock writes no newlines and a NUL. */
	return EVP_EncodeBlock((unsigned char *)out, der, (int)len);
}

int get_key_percent(const char *b64, char *out, size_t cap)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; b64[i] != '\0'; i++) {
		unsigned char c = (unsigned char)b64[i];
		int esc = c == '+' || c == '/' || c == '=';
		if (o + (esc ? 3 : 1) + 1 > cap)
			return -1;
		if (esc) {
			out[o++] = '%';
			out[o++] = hexd[c >> 4];
			out[o++] = hexd[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	if (o + 1 > cap)
		return -1;
	out[o] = '\0';
	return (int)o;
}

static int is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/' || c == '=';
}

int get_key_store_path(const char *b64, enum get_key_store how, char *out, size_t cap)
{
	size_t o = 0, part = 0, longest = 0;

	for (size_t i = 0; b64[i] != '\0'; i++) {
		char c = b64[i];
		if (!is_b64(c))
			return -1;
		/* Nothing before the first '/' or after another is no segment. */
		if (c == '/' && (o == 0 || out[o - 1] == '/'))
			continue;
		if (c == '+' && how == GET_KEY_STORE_PLUS_SPACE)
			c = ' ';
		if (o + 2 > cap)
			return -1;
		out[o++] = c;
		part = c == '/' ? 0 : part + 1;
		longest = part > longest ? part : longest;
	}
	if (o + 1 > cap)
		return -1;
	out[o] = '\0';
	return o == 0 || out[o - 1] == '/' || longest > GET_KEY_SEGMENT_MAX ? 0 : (int)o;
}

static int seen(const struct get_key_names *k, const char *name)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->name[i], name) == 0)
			return 1;
	return 0;
}

int get_key_names(enum hash_alg alg, const struct issuer_hash *hash,
    const struct serial *s, struct get_key_names *out, struct err *e)
{
	uint8_t der[GET_KEY_DER_MAX];
	char b64[GET_KEY_B64_MAX + 1];
	size_t len;

	out->n = 0;
	out->unstorable = 0;
	for (int f = 0; f < GET_KEY_ALGID_COUNT; f++) {
		if (get_key_request(alg, f, hash->name, hash->key, s, der, sizeof(der), &len,
		    e) != 0)
			return -1;
		if (get_key_base64(der, len, b64, sizeof(b64)) < 0)
			return err_set(e, "internal: GET key longer than its buffer");
		for (int how = 0; how < GET_KEY_STORE_COUNT; how++) {
			char *slot = out->name[out->n];
			int n = get_key_store_path(b64, how, slot, GET_KEY_B64_MAX + 1);
			if (n < 0)
				return err_set(e, "internal: GET key longer than its buffer");
			if (n == 0 && how == GET_KEY_STORE_RAW)
				out->unstorable++;	/* one key, however spelt */
			if (n == 0)
				continue;
			if (!seen(out, slot))
				out->n++;
		}
	}
	return 0;
}

int get_key_object_names(enum hash_alg alg, const struct issuer_hash *hash,
    const struct serial *s, struct get_key_names *out, struct err *e)
{
	uint8_t der[GET_KEY_DER_MAX];
	size_t len;

	out->n = 0;
	out->unstorable = 0;
	for (int f = 0; f < GET_KEY_ALGID_COUNT; f++) {
		char *raw = out->name[out->n];
		if (get_key_request(alg, f, hash->name, hash->key, s, der, sizeof(der), &len,
		    e) != 0)
			return -1;
		if (get_key_base64(der, len, raw, GET_KEY_B64_MAX + 1) < 0)
			return err_set(e, "internal: GET key longer than its buffer");
		out->n++;
		if (strchr(raw, '+') == NULL)
			continue;
		char *sp = out->name[out->n++];
		memcpy(sp, raw, strlen(raw) + 1);
		for (char *p = sp; *p != '\0'; p++)
			if (*p == '+')
				*p = ' ';
	}
	return 0;
}
