/* lookupd's cache of online answers: found by the CertIDs of a request
 * (in their order, whatever else the request carries), never served from
 * another status epoch or from its refresh point on, a copy of the bytes
 * it was given, held entries outliving eviction and replacement, and a
 * disabled cache that answers nothing. */
#include "online_cache.h"

#include <time.h>

#include <openssl/evp.h>

#include "check.h"
#include "pki.h"

#define DAY 86400

static int64_t T0;
static X509 *ca_a, *ca_b;
static EVP_PKEY *key_a, *key_b;

enum { A, B };

struct id_spec {
	int ca;
	enum hash_alg alg;
	long serial;
};

static X509 *make_ca(const char *cn, EVP_PKEY **key)
{
	struct pki_cert_opts o = { .cn = cn, .serial = 1, .not_before = T0 - DAY,
	    .not_after = T0 + DAY, .ca = 1 };

	*key = pki_key(PKI_EC256);
	o.key = *key;
	return pki_cert(&o);
}

/* Parses a request for the CertIDs ids (n of them), with a nonce when
 * asked, as lookupd parses what a client sends. */
static void make_req(const struct id_spec *ids, size_t n, int nonce, struct ocsp_request *out)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	struct err e = { "" };
	uint8_t *der;
	size_t len;

	for (size_t i = 0; i < n; i++)
		if (OCSP_request_add0_id(req, pki_certid(hash_md(ids[i].alg),
		    ids[i].ca == A ? ca_a : ca_b, ids[i].serial)) == NULL)
			exit(2);
	if (nonce && !OCSP_request_add1_nonce(req, NULL, 16))
		exit(2);
	der = pki_request_der(req, &len);
	if (request_parse(der, len, REQUEST_MAX_CERTS, out, &e) != REQUEST_OK) {
		fprintf(stderr, "request_parse: %s\n", e.msg);
		exit(2);
	}
	free(der);
	OCSP_REQUEST_free(req);
}

/* Bytes standing for a response: the cache never looks inside. */
static void fill(uint8_t *b, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

static void check_resp(const struct signed_response *r, const uint8_t *der, size_t len,
    int64_t tu, int64_t nu)
{
	uint8_t digest[32];

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK_MEM(r->der, r->len, der, len);
	CHECK(r->der != der);		/* a copy */
	CHECK_EQ(r->this_update, tu);
	CHECK_EQ(r->next_update, nu);
	CHECK(EVP_Digest(der, len, digest, NULL, EVP_sha256(), NULL));
	CHECK_MEM(r->digest, sizeof(r->digest), digest, sizeof(digest));
}

static struct online_cache *cache_of(size_t entries)
{
	struct online_cache *c = NULL;
	struct err e = { "" };

	if (online_cache_new(entries, &c, &e) != 0 || c == NULL) {
		fprintf(stderr, "online_cache_new: %s\n", e.msg);
		exit(2);
	}
	return c;
}

/* One entry, and every request that should and should not find it. */
static void test_key_and_freshness(void)
{
	static const struct id_spec put_ids[] = { { A, HASH_SHA1, 0x10 },
		{ A, HASH_SHA256, 0x11 } };
	const int64_t tu = T0 - 3600, nu = T0 + 4 * DAY, refresh_at = T0 + DAY;
	const uint64_t epoch = 5;
	static const struct {
		const char *label;
		struct id_spec ids[3];
		size_t n;
		int nonce;
		int64_t epoch_delta, at;	/* at: seconds after T0 */
		int hit;
	} cases[] = {
		{ "the same CertIDs", { { A, HASH_SHA1, 0x10 }, { A, HASH_SHA256, 0x11 } }, 2,
		  0, 0, 0, 1 },
		{ "the same CertIDs and a nonce",
		  { { A, HASH_SHA1, 0x10 }, { A, HASH_SHA256, 0x11 } }, 2, 1, 0, 0, 1 },
		{ "the same CertIDs in the other order",
		  { { A, HASH_SHA256, 0x11 }, { A, HASH_SHA1, 0x10 } }, 2, 0, 0, 0, 0 },
		{ "the first CertID alone", { { A, HASH_SHA1, 0x10 } }, 1, 0, 0, 0, 0 },
		{ "the second CertID alone", { { A, HASH_SHA256, 0x11 } }, 1, 0, 0, 0, 0 },
		{ "one CertID more", { { A, HASH_SHA1, 0x10 }, { A, HASH_SHA256, 0x11 },
		  { A, HASH_SHA1, 0x12 } }, 3, 0, 0, 0, 0 },
		{ "another serial", { { A, HASH_SHA1, 0x10 }, { A, HASH_SHA256, 0x12 } }, 2,
		  0, 0, 0, 0 },
		{ "another hash", { { A, HASH_SHA1, 0x10 }, { A, HASH_SHA1, 0x11 } }, 2,
		  0, 0, 0, 0 },
		{ "another issuer", { { B, HASH_SHA1, 0x10 }, { B, HASH_SHA256, 0x11 } }, 2,
		  0, 0, 0, 0 },
		{ "an older status", { { A, HASH_SHA1, 0x10 }, { A, HASH_SHA256, 0x11 } }, 2,
		  0, -1, 0, 0 },
		{ "a newer status", { { A, HASH_SHA1, 0x10 }, { A, HASH_SHA256, 0x11 } }, 2,
		  0, 1, 0, 0 },
		{ "a second before its refresh point",
		  { { A, HASH_SHA1, 0x10 }, { A, HASH_SHA256, 0x11 } }, 2, 0, 0, DAY - 1, 1 },
		{ "at its refresh point", { { A, HASH_SHA1, 0x10 }, { A, HASH_SHA256, 0x11 } }, 2,
		  0, 0, DAY, 0 },
		{ "after it", { { A, HASH_SHA1, 0x10 }, { A, HASH_SHA256, 0x11 } }, 2, 0, 0,
		  2 * DAY, 0 },
		{ "again, after the misses", { { A, HASH_SHA1, 0x10 }, { A, HASH_SHA256, 0x11 } },
		  2, 0, 0, 0, 1 },
	};
	struct online_cache *c = cache_of(16);
	struct ocsp_request req;
	uint8_t der[300];
	const struct signed_response *put;

	fill(der, sizeof(der), 1);
	make_req(put_ids, 2, 0, &req);
	put = online_cache_put(c, &req, epoch, der, sizeof(der), tu, nu, refresh_at);
	check_resp(put, der, sizeof(der), tu, nu);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct signed_response *r;

		check_case("%s", cases[i].label);
		make_req(cases[i].ids, cases[i].n, cases[i].nonce, &req);
		r = online_cache_get(c, &req, epoch + (uint64_t)cases[i].epoch_delta,
		    T0 + cases[i].at);
		CHECK_EQ(r != NULL, cases[i].hit);
		if (r != NULL) {
			CHECK(r == put);
			check_resp(r, der, sizeof(der), tu, nu);
		}
		online_cache_release(c, r);
	}
	check_case_clear();
	online_cache_release(c, put);
	online_cache_free(c);
}

/* Its bytes are a copy: the caller may reuse its buffer at once. */
static void test_copy(void)
{
	static const struct id_spec ids[] = { { A, HASH_SHA1, 0x20 } };
	struct online_cache *c = cache_of(16);
	struct ocsp_request req;
	uint8_t der[64], want[64];
	const struct signed_response *r;

	fill(der, sizeof(der), 3);
	memcpy(want, der, sizeof(der));
	make_req(ids, 1, 0, &req);
	r = online_cache_put(c, &req, 1, der, sizeof(der), T0, T0 + DAY, T0 + 3600);
	online_cache_release(c, r);
	memset(der, 0, sizeof(der));
	r = online_cache_get(c, &req, 1, T0);
	check_resp(r, want, sizeof(want), T0, T0 + DAY);
	online_cache_release(c, r);
	online_cache_free(c);
}

/* What signed_response_set refuses is not stored. */
static void test_refused_put(void)
{
	static const struct id_spec ids[] = { { A, HASH_SHA1, 0x21 } };
	struct online_cache *c = cache_of(16);
	struct ocsp_request req;
	uint8_t der[32];

	fill(der, sizeof(der), 4);
	make_req(ids, 1, 0, &req);
	CHECK(online_cache_put(c, &req, 1, der, sizeof(der), T0, T0, T0 + 1) == NULL);
	CHECK(online_cache_put(c, &req, 1, der, sizeof(der), T0, T0 - 1, T0 + 1) == NULL);
	CHECK(online_cache_get(c, &req, 1, T0) == NULL);
	online_cache_free(c);
}

/* An answer is never served past its own nextUpdate, even when its refresh
 * point is later: online_sign caps nextUpdate at the certificate's expiry
 * (response_times) but not the refresh point. */
static void test_past_next_update(void)
{
	static const struct id_spec ids[] = { { A, HASH_SHA1, 0x22 } };
	struct online_cache *c = cache_of(16);
	struct ocsp_request req;
	uint8_t der[32];
	const struct signed_response *r;
	/* a certificate that expires in two hours, refresh after two days */
	const int64_t tu = T0 - 3600, nu = T0 + 7200, refresh_at = tu + 2 * DAY;

	fill(der, sizeof(der), 5);
	make_req(ids, 1, 0, &req);
	online_cache_release(c, online_cache_put(c, &req, 1, der, sizeof(der), tu, nu,
	    refresh_at));
	r = online_cache_get(c, &req, 1, nu - 1);
	CHECK(r != NULL);
	online_cache_release(c, r);
	r = online_cache_get(c, &req, 1, nu);
	CHECK(r == NULL);
	if (r != NULL)
		fprintf(stderr, "  served at %lld a response whose nextUpdate is %lld\n",
		    (long long)nu, (long long)r->next_update);
	online_cache_release(c, r);
	online_cache_free(c);
}

/* Held entries stay valid when a full cache evicts them or a put replaces
 * them; a replacement is what later gets find. */
static void test_held(void)
{
	struct online_cache *c = cache_of(2);
	struct ocsp_request req[4];
	uint8_t der[4][80];
	const struct signed_response *held, *r, *old;

	for (int i = 0; i < 4; i++) {
		struct id_spec id = { A, HASH_SHA1, 0x30 + i };
		make_req(&id, 1, 0, &req[i]);
		fill(der[i], sizeof(der[i]), (uint8_t)(10 + i));
	}
	held = online_cache_put(c, &req[0], 1, der[0], sizeof(der[0]), T0, T0 + DAY, T0 + 3600);
	check_resp(held, der[0], sizeof(der[0]), T0, T0 + DAY);
	for (int i = 1; i < 4; i++) {
		check_case("put %d", i);
		r = online_cache_put(c, &req[i], 1, der[i], sizeof(der[i]), T0, T0 + DAY,
		    T0 + 3600);
		check_resp(r, der[i], sizeof(der[i]), T0, T0 + DAY);
		online_cache_release(c, r);
	}
	check_case_clear();
	/* the least recently used two are gone, the last two are there */
	CHECK(online_cache_get(c, &req[0], 1, T0) == NULL);
	CHECK(online_cache_get(c, &req[1], 1, T0) == NULL);
	for (int i = 2; i < 4; i++) {
		r = online_cache_get(c, &req[i], 1, T0);
		check_resp(r, der[i], sizeof(der[i]), T0, T0 + DAY);
		online_cache_release(c, r);
	}
	/* evicted, and still whole */
	check_resp(held, der[0], sizeof(der[0]), T0, T0 + DAY);
	online_cache_release(c, held);

	/* replaced by a put under the same CertIDs (a new status epoch) */
	old = online_cache_get(c, &req[3], 1, T0);
	CHECK(old != NULL);
	r = online_cache_put(c, &req[3], 2, der[0], sizeof(der[0]), T0 + 60, T0 + DAY,
	    T0 + 3600);
	online_cache_release(c, r);
	CHECK(online_cache_get(c, &req[3], 1, T0 + 60) == NULL);
	r = online_cache_get(c, &req[3], 2, T0 + 60);
	CHECK(r != NULL && r != old);
	check_resp(r, der[0], sizeof(der[0]), T0 + 60, T0 + DAY);
	online_cache_release(c, r);
	check_resp(old, der[3], sizeof(der[3]), T0, T0 + DAY);
	online_cache_release(c, old);
	online_cache_free(c);
}

/* entries 0: no cache at all, and every call copes with that. */
static void test_disabled(void)
{
	static const struct id_spec ids[] = { { A, HASH_SHA1, 0x40 } };
	struct online_cache *c = (struct online_cache *)&c;
	struct ocsp_request req;
	struct err e = { "" };
	uint8_t der[16];

	fill(der, sizeof(der), 6);
	CHECK_EQ(online_cache_new(0, &c, &e), 0);
	CHECK(c == NULL);
	make_req(ids, 1, 0, &req);
	CHECK(online_cache_put(c, &req, 1, der, sizeof(der), T0, T0 + DAY, T0 + 3600) == NULL);
	CHECK(online_cache_get(c, &req, 1, T0) == NULL);
	online_cache_release(c, NULL);
	online_cache_free(c);
}

int main(void)
{
	T0 = (int64_t)time(NULL);
	ca_a = make_ca("Online cache A", &key_a);
	ca_b = make_ca("Online cache B", &key_b);
	test_key_and_freshness();
	test_copy();
	test_refused_put();
	test_past_next_update();
	test_held();
	test_disabled();
	X509_free(ca_a);
	X509_free(ca_b);
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
	return check_done();
}
